// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of the shape and softmax families (kernels/cuda/shape_ops.cu,
// kernels/cuda/softmax.cu): concat, slice, split, chunk (all copy_band) and transpose
// (transpose_last2) over every dtype with gradients for floats; direct copy_band calls with
// beta = 1; softmax and masked_softmax (masks of every dtype, fully masked rows, inputs whose
// exponentials overflow without the max subtraction) forward and backward.
#include <algorithm>
#include <vector>

#include "tests/cuda/backend_parity.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::require_backend_parity;
using dien::test::require_parity;
using dien::test::tol_for;

namespace {

const std::vector<DType> kAllTypes = {DType::F32, DType::F64, DType::I32, DType::I64};

// Random tensor of any dtype; integers are values in (-50, 50) truncated (mostly nonzero).
// Floating tensors require grad, so parity also checks the backward.
Tensor input(const Shape& s, Generator& g, DType dt) {
  if (is_floating(dt)) return rand_tensor(s, g, dt).set_requires_grad();
  return rand_tensor(s, g, DType::F64, -50, 50).to(dt);
}

// Floating results are copies (exact); gradients add at most two numbers.
test::Tol shape_tol(DType dt) { return is_floating(dt) ? tol_for(dt) : test::Tol{0.0, 0.0}; }

Shape with_dim(Shape s, int d, int64_t n) {
  s[d] = n;
  return s;
}

const std::vector<Shape> kShapes = {{7}, {1, 1}, {33, 65}, {3, 1, 5}, {2, 3, 1, 7}, {257, 129}};

}  // namespace

// ---- copy_band: concat / slice / split / chunk --------------------------------------

TEST_CASE("cuda parity: concat along every dim, every dtype", "[shape][cuda]") {
  Generator g(41);
  for (DType dt : kAllTypes)
    for (const Shape& s : kShapes)
      for (int d = 0; d < s.size(); ++d) {
        INFO(s.str() << " dim " << d << " " << dtype_name(dt));
        auto tol = shape_tol(dt);
        Tensor a = input(with_dim(s, d, 1), g, dt), b = input(s, g, dt), c = input(with_dim(s, d, 3), g, dt);
        require_parity([d](const TensorList& in) { return TensorList{concat(in, d)}; }, {a, b, c}, tol.rtol, tol.atol);
        require_parity([d](const TensorList& in) { return TensorList{concat({in[0]}, d)}; }, {b}, tol.rtol, tol.atol);
      }
}

TEST_CASE("cuda parity: slice, split, chunk along every dim, every dtype", "[shape][cuda]") {
  Generator g(42);
  for (DType dt : kAllTypes)
    for (const Shape& s : kShapes)
      for (int d = 0; d < s.size(); ++d) {
        INFO(s.str() << " dim " << d << " " << dtype_name(dt));
        auto tol = shape_tol(dt);
        const int64_t n = s[d];
        Tensor x = input(s, g, dt);
        require_parity(
            [d, n](const TensorList& in) {
              return TensorList{slice(in[0], d, 0, n), slice(in[0], d, n / 2, n), slice(in[0], d, n - 1, n),
                                slice(in[0], d, n / 3, n / 3)};  // the last one is empty
            },
            {x}, tol.rtol, tol.atol);
        require_parity(
            [d, n](const TensorList& in) { return split(in[0], {n / 3, n - n / 3 - n / 4, n / 4}, d); }, {x},
            tol.rtol, tol.atol);
        for (int64_t chunks : {1, 2, 3, 4})
          require_parity([d, chunks](const TensorList& in) { return chunk(in[0], chunks, d); }, {x}, tol.rtol,
                         tol.atol);
      }
}

TEST_CASE("cuda parity: copy_band kernel overwrite and accumulate, every dtype", "[shape][cuda]") {
  Generator g(43);
  const Shape ss{3, 7, 5}, ds{3, 9, 5};
  for (DType dt : kAllTypes)
    for (double beta : {0.0, 1.0})
      for (int dim = 0; dim < 3; ++dim) {
        INFO(dtype_name(dt) << " dim " << dim << " beta " << beta);
        Shape s = with_dim(ss, dim, ss[dim]), d = with_dim(ss, dim, ds[dim]);
        const int64_t len = std::min<int64_t>(s[dim], 2), src_start = s[dim] - len, dst_start = d[dim] > 1 ? 1 : 0;
        // Integers: values in (-9, 9) truncated; sums stay exact.
        Tensor src = rand_tensor(s, g, DType::F64, -9, 9).to(dt), dst = rand_tensor(d, g, DType::F64, -9, 9).to(dt);
        auto tol = shape_tol(dt);
        require_backend_parity(
            [=](Backend& be, TensorList& t) { be.copy_band(t[0], src_start, t[1], dst_start, dim, len, beta); },
            {src, dst}, tol.rtol, tol.atol);
      }
}

// ---- transpose_last2 ---------------------------------------------------------------

TEST_CASE("cuda parity: transpose of the last two dims, every dtype", "[shape][cuda]") {
  Generator g(44);
  // Sizes around the 32x32 tile: below, at, just above, several tiles; batches of 1 and more.
  const std::vector<Shape> shapes = {{1, 1},      {1, 7},     {7, 1},      {32, 32},      {33, 65},
                                     {257, 129},  {3, 7, 5},  {2, 3, 65, 33}, {1, 1, 40}, {5, 64, 31}};
  for (DType dt : kAllTypes)
    for (const Shape& s : shapes) {
      INFO(s.str() << " " << dtype_name(dt));
      auto tol = shape_tol(dt);
      Tensor x = input(s, g, dt);
      require_parity([](const TensorList& in) { return TensorList{transpose(in[0]), transpose(transpose(in[0]))}; },
                     {x}, tol.rtol, tol.atol);
    }
}

// ---- softmax -----------------------------------------------------------------------

namespace {

const std::vector<Shape> kSoftmaxShapes = {{1}, {7}, {5, 1}, {33, 65}, {3, 7, 127}, {257, 129}, {2, 3, 4, 300}};

// A mask of x's shape in dtype dt: rows r % 4 == 0 are fully masked, the rest keep a pattern of
// valid entries that always includes at least one.
Tensor make_mask(const Shape& s, DType dt) {
  const int64_t cols = s[s.size() - 1], rows = s.numel() / cols;
  std::vector<double> m(static_cast<size_t>(s.numel()));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j)
      m[r * cols + j] = r % 4 == 0 ? 0.0 : ((j * 7 + r * 3) % 5 != 0 || j == r % cols) ? 1.0 : 0.0;
  return from_vector(m, s).to(dt);
}

}  // namespace

TEST_CASE("cuda parity: softmax forward and backward", "[softmax][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(45);
  auto tol = tol_for(dt);
  for (const Shape& s : kSoftmaxShapes) {
    INFO(s.str() << " " << dtype_name(dt));
    Tensor x = rand_tensor(s, g, dt, -3, 3).set_requires_grad();
    // exp(100) overflows f32: only the max subtraction keeps these finite.
    Tensor big = rand_tensor(s, g, dt, -100, 100).set_requires_grad();
    require_parity([](const TensorList& in) { return TensorList{softmax(in[0]), softmax(in[1])}; }, {x, big},
                   tol.rtol, tol.atol);
  }
}

TEST_CASE("cuda parity: masked softmax with fully masked rows, masks of every dtype", "[softmax][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(46);
  auto tol = tol_for(dt);
  for (DType mt : kAllTypes)
    for (const Shape& s : kSoftmaxShapes) {
      INFO(s.str() << " " << dtype_name(dt) << " mask " << dtype_name(mt));
      Tensor x = rand_tensor(s, g, dt, -3, 3).set_requires_grad();
      Tensor big = rand_tensor(s, g, dt, -100, 100).set_requires_grad();
      Tensor mask = make_mask(s, mt);
      require_parity(
          [](const TensorList& in) { return TensorList{masked_softmax(in[0], in[2]), masked_softmax(in[1], in[2])}; },
          {x, big, mask}, tol.rtol, tol.atol);
    }
}

TEST_CASE("cuda parity: softmax_backward kernel", "[softmax][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(47);
  auto tol = tol_for(dt);
  for (const Shape& s : kSoftmaxShapes) {
    INFO(s.str() << " " << dtype_name(dt));
    Tensor y = Tensor::empty(s, dt);
    backend_for(Device::cpu()).softmax_forward(rand_tensor(s, g, dt, -3, 3), nullptr, y);
    Tensor gy = rand_tensor(s, g, dt);
    require_backend_parity([](Backend& be, TensorList& t) { be.softmax_backward(t[0], t[1], t[2]); },
                           {y, gy, test::poisoned(s, dt)}, tol.rtol, tol.atol);
  }
}
