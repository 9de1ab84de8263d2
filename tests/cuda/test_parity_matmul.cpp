// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of gemm (kernels/cuda/matmul.cu, cuBLAS): matmul with every
// combination of transposes, 2-D, batched 3-D and 3-D x 2-D, linear with and without bias
// (expand + gemm with beta = 1 in the forward, sum_to for the bias gradient), and direct gemm
// calls with alpha != 1, beta in {0, 0.5, 1} and an empty inner dimension (K = 0).
//
// Tolerances: both sides accumulate K products in the working precision, in different orders
// (Eigen's blocking vs cuBLAS's), so results near zero differ by about sqrt(K) * eps * |terms|
// in absolute terms; atol is sized for K up to ~300 (f32 1e-4, f64 1e-11). A wrong transpose
// or stride gives errors of order 1, far above either.
#include <vector>

#include "tests/cuda/backend_parity.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::require_backend_parity;
using dien::test::require_parity;

namespace {

struct MatTol {
  double rtol, atol;
};
MatTol mat_tol(DType dt) { return dt == DType::F32 ? MatTol{1e-5, 1e-4} : MatTol{1e-12, 1e-11}; }

// (M, K, N) triples: ones, odd sizes, K = 1, N = 1, and one larger product.
struct MKN {
  int64_t m, k, n;
};
const std::vector<MKN> kSizes = {{1, 1, 1}, {7, 33, 65}, {65, 1, 7}, {33, 127, 1}, {1, 257, 129}, {257, 129, 65}};

// Operand shapes for op(a) [M, K] and op(b) [K, N], with an optional leading batch.
Shape a_shape(const MKN& s, bool ta, int64_t batch) {
  Shape m = ta ? Shape{s.k, s.m} : Shape{s.m, s.k};
  return batch ? Shape{batch, m[0], m[1]} : m;
}
Shape b_shape(const MKN& s, bool tb, int64_t batch) {
  Shape m = tb ? Shape{s.n, s.k} : Shape{s.k, s.n};
  return batch ? Shape{batch, m[0], m[1]} : m;
}

}  // namespace

TEST_CASE("cuda parity: matmul 2-D, every transpose combination", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(31);
  auto tol = mat_tol(dt);
  for (const MKN& s : kSizes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("M " << s.m << " K " << s.k << " N " << s.n << " ta " << ta << " tb " << tb << " " << dtype_name(dt));
        Tensor a = rand_tensor(a_shape(s, ta, 0), g, dt).set_requires_grad();
        Tensor b = rand_tensor(b_shape(s, tb, 0), g, dt).set_requires_grad();
        require_parity([ta, tb](const TensorList& in) { return TensorList{matmul(in[0], in[1], ta, tb)}; }, {a, b},
                       tol.rtol, tol.atol);
      }
}

TEST_CASE("cuda parity: matmul batched 3-D, every transpose combination", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(32);
  auto tol = mat_tol(dt);
  for (int64_t batch : {1, 3})
    for (const MKN& s : kSizes)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          INFO("B " << batch << " M " << s.m << " K " << s.k << " N " << s.n << " ta " << ta << " tb " << tb << " "
                    << dtype_name(dt));
          Tensor a = rand_tensor(a_shape(s, ta, batch), g, dt).set_requires_grad();
          Tensor b = rand_tensor(b_shape(s, tb, batch), g, dt).set_requires_grad();
          require_parity([ta, tb](const TensorList& in) { return TensorList{matmul(in[0], in[1], ta, tb)}; }, {a, b},
                         tol.rtol, tol.atol);
        }
}

TEST_CASE("cuda parity: matmul 3-D x 2-D", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(33);
  auto tol = mat_tol(dt);
  for (const MKN& s : {MKN{1, 1, 1}, MKN{7, 33, 65}, MKN{33, 65, 1}, MKN{65, 7, 33}})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("B 3 M " << s.m << " K " << s.k << " N " << s.n << " ta " << ta << " tb " << tb << " " << dtype_name(dt));
        Tensor a = rand_tensor(a_shape(s, ta, 3), g, dt).set_requires_grad();
        Tensor b = rand_tensor(b_shape(s, tb, 0), g, dt).set_requires_grad();
        require_parity([ta, tb](const TensorList& in) { return TensorList{matmul(in[0], in[1], ta, tb)}; }, {a, b},
                       tol.rtol, tol.atol);
      }
}

TEST_CASE("cuda parity: linear with and without bias, 2-D and 3-D input", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(34);
  auto tol = mat_tol(dt);
  // (input shape, H): x [..., D], w [H, D], b [H].
  const std::vector<std::pair<Shape, int64_t>> cases = {
      {{1, 1}, 1}, {{7, 33}, 65}, {{65, 7}, 1}, {{257, 129}, 33}, {{3, 7, 33}, 65}, {{1, 1, 5}, 7}, {{4, 65, 33}, 300},
  };
  for (const auto& [xs, h] : cases) {
    INFO("x " << xs.str() << " H " << h << " " << dtype_name(dt));
    const int64_t d = xs[xs.size() - 1];
    Tensor x = rand_tensor(xs, g, dt).set_requires_grad();
    Tensor w = rand_tensor({h, d}, g, dt).set_requires_grad();
    Tensor b = rand_tensor({h}, g, dt).set_requires_grad();
    require_parity([](const TensorList& in) { return TensorList{linear(in[0], in[1], in[2])}; }, {x, w, b}, tol.rtol,
                   tol.atol);
    require_parity([](const TensorList& in) { return TensorList{linear(in[0], in[1], Tensor())}; }, {x, w}, tol.rtol,
                   tol.atol);
  }
}

TEST_CASE("cuda parity: gemm kernel with alpha, beta = 0 / 0.5 / 1", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(35);
  auto tol = mat_tol(dt);
  for (int64_t batch : {0, 2})  // 0: 2-D
    for (const MKN& s : {MKN{1, 1, 1}, MKN{7, 33, 65}, MKN{65, 129, 3}})
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (double beta : {0.0, 0.5, 1.0}) {
            INFO("B " << batch << " M " << s.m << " K " << s.k << " N " << s.n << " ta " << ta << " tb " << tb
                      << " beta " << beta << " " << dtype_name(dt));
            Tensor a = rand_tensor(a_shape(s, ta, batch), g, dt);
            Tensor b = rand_tensor(b_shape(s, tb, batch), g, dt);
            Shape cs = batch ? Shape{batch, s.m, s.n} : Shape{s.m, s.n};
            Tensor c = beta == 0.0 ? test::poisoned(cs, dt) : rand_tensor(cs, g, dt);
            require_backend_parity(
                [ta, tb, beta](Backend& be, TensorList& t) { be.gemm(t[0], ta, t[1], tb, t[2], -1.5, beta); },
                {a, b, c}, tol.rtol, tol.atol);
          }
}

TEST_CASE("cuda parity: gemm with an empty inner dimension (K = 0)", "[matmul][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(36);
  for (int64_t batch : {0, 2})
    for (double beta : {0.0, 0.5, 1.0}) {
      INFO("B " << batch << " beta " << beta << " " << dtype_name(dt));
      Shape as = batch ? Shape{batch, 7, 0} : Shape{7, 0}, bs = batch ? Shape{batch, 0, 5} : Shape{0, 5};
      Shape cs = batch ? Shape{batch, 7, 5} : Shape{7, 5};
      Tensor c = beta == 0.0 ? test::poisoned(cs, dt) : rand_tensor(cs, g, dt);
      require_backend_parity(
          [beta](Backend& be, TensorList& t) { be.gemm(t[0], false, t[1], false, t[2], 1.0, beta); },
          {Tensor::empty(as, dt), Tensor::empty(bs, dt), c}, 0.0, 0.0);
    }
}
