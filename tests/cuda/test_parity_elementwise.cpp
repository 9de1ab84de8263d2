// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of the fill/cast and elementwise families (kernels/cuda/fill.cu,
// kernels/cuda/elementwise.cu): fill, cast, clone, axpy, scale_shift (affine ops), unary
// activations, broadcast add/sub/mul/div, sum/mean, sum_to/expand, forward and backward through
// the public ops, plus direct backend calls for the beta = 1 accumulate paths and in-place
// binary ops. f32 at rtol 1e-5, f64 at 1e-12; odd sizes and size-1 dims throughout.
#include <string>
#include <utility>
#include <vector>

#include "tests/cuda/backend_parity.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::require_backend_parity;
using dien::test::require_parity;
using dien::test::tol_for;

namespace {

const Device kGpu = Device::cuda(0);

// Shapes with odd sizes and size-1 dims; the last few are large enough for several blocks.
const std::vector<Shape> kShapes = {{1}, {7}, {1, 1}, {33, 65}, {1, 7, 1}, {3, 7, 5}, {2, 1, 3, 7}, {257, 129}, {3, 300}};

std::string label(const Shape& s, DType dt) { return s.str() + " " + dtype_name(dt); }

}  // namespace

// ---- fill / cast / clone -----------------------------------------------------------

TEST_CASE("cuda parity: fill, zeros, ones of every dtype", "[elementwise][cuda]") {
  for (DType dt : {DType::F32, DType::F64, DType::I32, DType::I64})
    for (const Shape& s : {Shape{1}, Shape{7, 33}, Shape{257, 129}}) {
      INFO(label(s, dt));
      REQUIRE_CLOSE(full(s, -3.0, dt, kGpu), full(s, -3.0, dt), 0.0, 0.0);
      REQUIRE_CLOSE(zeros(s, dt, kGpu), zeros(s, dt), 0.0, 0.0);
      REQUIRE_CLOSE(ones(s, dt, kGpu), ones(s, dt), 0.0, 0.0);
    }
  REQUIRE_CLOSE(full({5}, 2.5, DType::F32, kGpu), full({5}, 2.5, DType::F32), 0.0, 0.0);
  REQUIRE_CLOSE(full({5}, 1e-300, DType::F64, kGpu), full({5}, 1e-300, DType::F64), 0.0, 0.0);
}

TEST_CASE("cuda parity: cast between every dtype pair", "[elementwise][cuda]") {
  Generator g(11);
  const std::vector<DType> all = {DType::F32, DType::F64, DType::I32, DType::I64};
  for (DType from : all)
    for (DType to : all)
      for (const Shape& s : {Shape{1}, Shape{7, 33}, Shape{257, 129}}) {
        INFO(dtype_name(from) << " -> " << dtype_name(to) << " " << s.str());
        // Values in (-50, 50): integers truncate them identically on both sides.
        Tensor x = rand_tensor(s, g, DType::F64, -50, 50).to(from);
        Tensor want = x.to(to), got = x.to(kGpu).to(to);
        REQUIRE(got.dtype() == to);
        REQUIRE_CLOSE(got, want, 0.0, 0.0);
      }
}

TEST_CASE("cuda parity: differentiable f32 <-> f64 casts and clone", "[elementwise][cuda]") {
  Generator g(12);
  for (const Shape& s : kShapes) {
    INFO(s.str());
    Tensor xf = rand_tensor(s, g, DType::F32).set_requires_grad();
    Tensor xd = rand_tensor(s, g, DType::F64).set_requires_grad();
    // One output per call: parity.h adds the outputs' losses, which must share a dtype.
    require_parity([](const TensorList& in) { return TensorList{in[0].to(DType::F64)}; }, {xf}, 0.0, 0.0);
    require_parity([](const TensorList& in) { return TensorList{in[0].to(DType::F32)}; }, {xd}, 0.0, 0.0);
    for (const Tensor& x : {xf, xd})
      require_parity([](const TensorList& in) { return TensorList{in[0].clone()}; }, {x}, 0.0, 0.0);
  }
}

// ---- affine (scale_shift) ----------------------------------------------------------

TEST_CASE("cuda parity: scalar ops and affine", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(13);
  auto tol = tol_for(dt);
  for (const Shape& s : kShapes) {
    INFO(label(s, dt));
    Tensor x = rand_tensor(s, g, dt).set_requires_grad();
    require_parity(
        [](const TensorList& in) {
          const Tensor& a = in[0];
          return TensorList{add(a, 2.5), mul(a, -1.5), rsub(a, 3.0), affine(a, 0.7, -0.2), a - 1.25, 2.0 * a};
        },
        {x}, tol.rtol, tol.atol);
  }
}

// ---- unary -------------------------------------------------------------------------

TEST_CASE("cuda parity: unary activations forward and backward", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(14);
  auto tol = tol_for(dt);
  for (const Shape& s : kShapes) {
    INFO(label(s, dt));
    Tensor x = rand_tensor(s, g, dt, -3, 3).set_requires_grad();
    Tensor pos = rand_tensor(s, g, dt, 0.05, 4).set_requires_grad();  // log's domain
    Tensor wide = rand_tensor(s, g, dt, -12, 12).set_requires_grad();  // both sigmoid branches, saturation
    require_parity(
        [](const TensorList& in) {
          return TensorList{neg(in[0]), exp(in[0]), log(in[1]), sigmoid(in[2]), tanh(in[0]), relu(in[0]), -in[2]};
        },
        {x, pos, wide}, tol.rtol, tol.atol);
  }
}

// ---- binary with broadcasting ------------------------------------------------------

TEST_CASE("cuda parity: add/sub/mul/div over broadcast patterns", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(15);
  auto tol = tol_for(dt);
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{7, 33}, {7, 33}},          // same shape
      {{33}, {}},                  // tensor op scalar
      {{}, {7, 33}},               // scalar op tensor
      {{1}, {1}},                  // one element each
      {{65, 127}, {127}},          // row vector
      {{65, 127}, {65, 1}},        // column vector
      {{33, 300}, {300}},          // row vector, many columns (sum_to's column kernel)
      {{2, 1, 3, 1}, {5, 1, 4}},   // both broadcast, 4-D result
      {{1, 7, 1}, {7, 1}},         // size-1 dims everywhere
      {{3, 1, 5}, {1, 4, 1}},      // outer product-like
      {{257, 129}, {257, 129}},    // large, same shape
      {{257, 129}, {1, 1}},        // large vs one element with 2 dims
  };
  for (const auto& [sa, sb] : pairs) {
    INFO(sa.str() << " op " << sb.str() << " " << dtype_name(dt));
    Tensor a = rand_tensor(sa, g, dt).set_requires_grad();
    Tensor b = rand_tensor(sb, g, dt, -1, 1, 0.25).set_requires_grad();  // divisor away from 0
    require_parity(
        [](const TensorList& in) {
          return TensorList{add(in[0], in[1]), sub(in[0], in[1]), mul(in[0], in[1]), div(in[0], in[1]),
                            sub(in[1], in[0]), div(in[1], in[0])};
        },
        {a, b}, tol.rtol, tol.atol);
  }
}

// ---- reductions and broadcasting ---------------------------------------------------

TEST_CASE("cuda parity: sum and mean over all, each dim, keepdim", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(16);
  auto tol = tol_for(dt);
  for (const Shape& s : kShapes) {
    INFO(label(s, dt));
    Tensor x = rand_tensor(s, g, dt).set_requires_grad();
    require_parity([](const TensorList& in) { return TensorList{sum(in[0]), mean(in[0])}; }, {x}, tol.rtol,
                   tol.atol);
    for (int d = 0; d < s.size(); ++d)
      for (bool keep : {false, true}) {
        INFO("dim " << d << " keepdim " << keep);
        require_parity(
            [d, keep](const TensorList& in) { return TensorList{sum(in[0], d, keep), mean(in[0], d, keep)}; }, {x},
            tol.rtol, tol.atol);
      }
  }
}

TEST_CASE("cuda parity: sum_to and expand", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(17);
  auto tol = tol_for(dt);
  // (big, small): sum_to(big -> small) and expand(small -> big).
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{5, 3, 4}, {3, 1}},       {{5, 3, 4}, {4}},          {{5, 3, 4}, {1, 1, 1}}, {{5, 3, 4}, {}},
      {{257, 129}, {257, 1}},    {{6, 7, 300}, {300}},      {{6, 7, 300}, {7, 300}}, {{4, 5}, {4, 5}},
      {{1, 4, 5}, {4, 5}},       {{2, 7, 3, 5}, {7, 1, 5}}, {{2, 7, 3, 5}, {2, 1, 3, 1}}, {{1, 7, 1}, {1}},
      {{33, 65}, {33, 65}},
  };
  for (const auto& [big, small] : pairs) {
    INFO(big.str() << " <-> " << small.str() << " " << dtype_name(dt));
    Tensor x = rand_tensor(big, g, dt).set_requires_grad();
    Tensor y = rand_tensor(small, g, dt).set_requires_grad();
    require_parity([small = small](const TensorList& in) { return TensorList{sum_to(in[0], small)}; }, {x},
                   tol.rtol, tol.atol);
    require_parity([big = big](const TensorList& in) { return TensorList{expand(in[0], big)}; }, {y}, tol.rtol,
                   tol.atol);
  }
}

// ---- direct kernel calls: accumulate paths and aliasing ----------------------------

TEST_CASE("cuda parity: axpy and scale_shift kernels", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(18);
  auto tol = tol_for(dt);
  for (const Shape& s : kShapes) {
    INFO(label(s, dt));
    Tensor x = rand_tensor(s, g, dt), y = rand_tensor(s, g, dt);
    require_backend_parity([](Backend& be, TensorList& t) { be.axpy(0.75, t[0], t[1]); }, {x, y}, tol.rtol, tol.atol);
    require_backend_parity([](Backend& be, TensorList& t) { be.scale_shift(t[0], -1.25, 0.5, t[1]); },
                           {x, test::poisoned(s, dt)}, tol.rtol, tol.atol);
    // In place: y = alpha * y + beta.
    require_backend_parity([](Backend& be, TensorList& t) { be.scale_shift(t[0], 3.0, -0.5, t[0]); }, {y}, tol.rtol,
                           tol.atol);
  }
}

TEST_CASE("cuda parity: unary_backward overwrite (beta 0) and accumulate (beta 1)", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(19);
  auto tol = tol_for(dt);
  const std::vector<UnaryOp> ops = {UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sigmoid, UnaryOp::Tanh,
                                    UnaryOp::Relu};
  for (const Shape& s : {Shape{1}, Shape{33, 65}, Shape{257, 129}})
    for (UnaryOp op : ops)
      for (double beta : {0.0, 1.0}) {
        INFO(label(s, dt) << " " << unary_op_name(op) << " beta " << beta);
        Tensor x = rand_tensor(s, g, dt, 0.05, 2);  // valid for every op (log included)
        Tensor y = Tensor::empty(s, dt);
        backend_for(Device::cpu()).unary_forward(op, x, y);
        Tensor gy = rand_tensor(s, g, dt);
        Tensor gx = beta == 0.0 ? test::poisoned(s, dt) : rand_tensor(s, g, dt);
        require_backend_parity(
            [op, beta](Backend& be, TensorList& t) { be.unary_backward(op, t[0], t[1], t[2], t[3], beta); },
            {x, y, gy, gx}, tol.rtol, tol.atol);
      }
}

TEST_CASE("cuda parity: sum_to overwrite and accumulate on every kernel path", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(20);
  auto tol = tol_for(dt);
  // Nothing reduced (copy); leading dims reduced with many columns and <= 256 rows (a thread per
  // column); everything (two stages over many blocks); leading dims reduced otherwise (column
  // partials over chunks of rows: few columns, many rows, one chunk or many); trailing dims
  // reduced over up to 4,096 elements (a warp per row); the block-per-output kernel for the rest
  // (a middle dim, very long rows).
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{33, 65}, {33, 65}}, {{1, 33, 65}, {33, 65}}, {{9, 300}, {300}},      {{2, 3, 257}, {3, 257}},
      {{9, 300}, {1, 300}}, {{256, 300}, {300}},     {{300, 257}, {257}},    {{257, 129}, {129}},
      {{257, 129}, {257, 1}}, {{257, 129}, {}},      {{2, 7, 3, 5}, {7, 1, 5}}, {{2, 7, 3, 5}, {2, 1, 3, 1}},
      {{7}, {1}},           {{5000, 36}, {36}},      {{20, 36}, {36}},       {{5000, 36}, {5000, 1}},
      {{2, 3, 40}, {2, 3, 1}}, {{2, 3, 40}, {2, 1, 1}}, {{3, 5000}, {3, 1}}, {{300, 70}, {}},
  };
  for (const auto& [big, small] : pairs)
    for (double beta : {0.0, 1.0}) {
      INFO(big.str() << " -> " << small.str() << " " << dtype_name(dt) << " beta " << beta);
      Tensor x = rand_tensor(big, g, dt);
      Tensor out = beta == 0.0 ? test::poisoned(small, dt) : rand_tensor(small, g, dt);
      require_backend_parity([beta](Backend& be, TensorList& t) { be.sum_to(t[0], t[1], beta); }, {x, out}, tol.rtol,
                             tol.atol);
    }
}

TEST_CASE("cuda parity: binary_forward writing into one of its operands", "[elementwise][cuda]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(21);
  auto tol = tol_for(dt);
  const std::vector<BinaryOp> ops = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div};
  for (BinaryOp op : ops)
    for (const auto& [sa, sb] : std::vector<std::pair<Shape, Shape>>{{{257, 129}, {257, 129}}, {{65, 33}, {33}},
                                                                     {{65, 33}, {65, 1}}, {{7}, {}}}) {
      INFO(binary_op_name(op) << " " << sa.str() << " " << sb.str() << " " << dtype_name(dt));
      Tensor a = rand_tensor(sa, g, dt), b = rand_tensor(sb, g, dt, -1, 1, 0.25);
      // out is a (a has the result's shape) ...
      require_backend_parity([op](Backend& be, TensorList& t) { be.binary_forward(op, t[0], t[1], t[0]); }, {a, b},
                             tol.rtol, tol.atol);
      // ... and out is the right operand: b (broadcast) op a2, written into a2.
      Tensor a2 = rand_tensor(sa, g, dt, -1, 1, 0.25);
      require_backend_parity([op](Backend& be, TensorList& t) { be.binary_forward(op, t[1], t[0], t[0]); }, {a2, b},
                             tol.rtol, tol.atol);
    }
}
