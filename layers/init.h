// SPDX-License-Identifier: MIT
// Weight initialisers, all drawn from a dien::Generator so that a seed fixes every value.
//
//   dien::Generator gen(1024);
//   Tensor w  = dien::init::glorot_uniform(128, 256, gen);        // [fan_out, fan_in]
//   Tensor wh = dien::init::orthogonal_gates(3, 16, 16, gen);     // [3H, H], each [H, H] block orthogonal
//
// Initializer bundles a scheme (the model option `init`), a generator and a dtype, and gives each
// role of a weight (dense, recurrent input/hidden, bias, embedding) its initial value:
//   scheme "glorot":  dense and recurrent input weights Glorot-uniform (fan_in = input width,
//                     fan_out = output rows of one gate block for recurrent weights), recurrent
//                     hidden weights orthogonal per gate block, every bias 0, embeddings
//                     N(0, 0.05^2) (the scale of Keras' uniform(-0.05, 0.05) embedding init).
//   scheme "deepctr": every weight and embedding N(0, std^2) (DeepCTR-Torch's init_std), Linear
//                     and nn.GRU biases PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the
//                     AGRU/AUGRU cell biases 0 (as DeepCTR-Torch's cells).
#pragma once
#include <cstdint>
#include <string>

#include "core/rng.h"
#include "core/tensor.h"

namespace dien::init {

// U(-b, b) with b = sqrt(6 / (fan_in + fan_out)); shape [fan_out, fan_in].
Tensor glorot_uniform(int64_t fan_out, int64_t fan_in, Generator& gen, DType dtype = DType::F32);
// [rows, cols] with orthonormal rows (rows <= cols) or columns (rows > cols): QR (modified
// Gram-Schmidt in double on the host) of a N(0,1) matrix, signs fixed by diag(R) so that the
// result is Haar-distributed.
Tensor orthogonal(int64_t rows, int64_t cols, Generator& gen, DType dtype = DType::F32);
// [gates * rows, cols]: `gates` independent orthogonal [rows, cols] blocks stacked (recurrent
// matrices, one block per gate r|z|n).
Tensor orthogonal_gates(int64_t gates, int64_t rows, int64_t cols, Generator& gen, DType dtype = DType::F32);
Tensor normal(const Shape& shape, double std, Generator& gen, DType dtype = DType::F32);
Tensor zeros(const Shape& shape, DType dtype = DType::F32);

// Copies the values of src into dst in place (same numel; dtype cast, device move), so that
// every handle to dst sees them. No graph is recorded.
void assign(const Tensor& dst, const Tensor& src);

enum class Scheme : uint8_t { Glorot, DeepCtr };
Scheme parse_scheme(const std::string& s);  // "glorot" | "deepctr", else dien::Error

class Initializer {
 public:
  Initializer(Scheme scheme, double std, Generator& gen, DType dtype = DType::F32)
      : scheme_(scheme), std_(std), gen_(gen), dtype_(dtype) {}

  Tensor dense_weight(int64_t out, int64_t in);                // [out, in]
  Tensor dense_bias(int64_t out, int64_t fan_in);              // [out]
  Tensor recurrent_ih(int64_t hidden, int64_t in);             // [3H, D]
  Tensor recurrent_hh(int64_t hidden);                         // [3H, H]
  Tensor recurrent_bias(int64_t hidden, bool cell_bias);       // [3H]; cell_bias: AGRU/AUGRU cell
  Tensor embedding(int64_t vocab, int64_t dim);                // [V, E]

  Scheme scheme() const { return scheme_; }
  DType dtype() const { return dtype_; }
  Generator& gen() { return gen_; }

 private:
  Scheme scheme_;
  double std_;
  Generator& gen_;
  DType dtype_;
};

}  // namespace dien::init
