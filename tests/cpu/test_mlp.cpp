// SPDX-License-Identifier: MIT
// mlp (autograd/ops/mlp.cpp): a stack of Linear layers as one node, against the chain of
// linear / linear_add / linear_act / relu / sigmoid nodes it replaces (float32: the same bits,
// values and gradients), float64 gradcheck, and its errors; the kernel under its backward
// (gemm_dact, every instruction set) and Backend::matmul_dact against the default composition;
// DNN::forward_from_parts against linear_add + forward_after_first_product + the tail layer.
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "autograd/gradcheck.h"
#include "kernels/cpu/isa/kernels.h"
#include "kernels/dispatch.h"
#include "layers/dnn.h"
#include "layers/init.h"
#include "support/test_util.h"

using namespace dien;

namespace {

// The chain of nodes that mlp replaces.
Tensor chain(const Tensor& x, const Tensor& init, const std::vector<MlpLayer>& layers) {
  Tensor h = x;
  for (size_t i = 0; i < layers.size(); ++i) {
    const MlpLayer& l = layers[i];
    if (i == 0 && init.defined()) {
      h = linear_add(h, l.w, init);
      if (l.act) h = *l.act == UnaryOp::Relu ? relu(h) : sigmoid(h);
    } else if (l.act) {
      h = linear_act(h, l.w, l.b, *l.act);
    } else {
      h = linear(h, l.w, l.b);
    }
  }
  return h;
}

struct Net {
  Tensor x, init;
  std::vector<MlpLayer> layers;
  TensorList leaves() const {
    TensorList v{x};
    if (init.defined()) v.push_back(init);
    for (const MlpLayer& l : layers) {
      v.push_back(l.w);
      if (l.b.defined()) v.push_back(l.b);
    }
    return v;
  }
};

// x [rows..., D], widths H_i, acts; init [Ri, H_0] when ri > 0 (then layer 0 has no bias).
Net make_net(const Shape& xs, const std::vector<int64_t>& widths, const std::vector<std::optional<UnaryOp>>& acts,
             int64_t ri, Generator& g, DType dt) {
  Net n;
  n.x = test::rand_tensor(xs, g, dt).set_requires_grad();
  int64_t d = xs[xs.size() - 1];
  for (size_t i = 0; i < widths.size(); ++i) {
    MlpLayer l;
    l.w = test::rand_tensor({widths[i], d}, g, dt).set_requires_grad();
    if (!(i == 0 && ri > 0)) l.b = test::rand_tensor({widths[i]}, g, dt).set_requires_grad();
    l.act = acts[i];
    n.layers.push_back(l);
    d = widths[i];
  }
  if (ri > 0) n.init = test::rand_tensor({ri, widths[0]}, g, dt).set_requires_grad();
  return n;
}

}  // namespace

// The kernel: C = (A B) ⊙ act'(Y) equals gemm_any's product followed by the elementwise backward's
// operations, bit for bit, on every instruction set; any N (masked tails); C's columns between N
// and ldc (poisoned) are never written.
TEST_CASE("gemm_dact: every instruction set equals gemm_any then act', any N, poisoned gaps", "[mlp][cpu][isa]") {
  const char* isas[8];
  const int n_isa = std::min(8, isa::available_isas(isas, 8));
  Generator g(31);
  struct Case {
    int64_t M, N, K;
  };
  const std::vector<Case> cases = {{1, 1, 1}, {5, 7, 3}, {6, 16, 36}, {13, 36, 50}, {25, 100, 50}, {8, 48, 1}, {11, 113, 5}};
  for (int i = 0; i < n_isa; ++i) {
    const isa::Kernels& k = isa::select_kernels(isas[i]);
    for (const Case& c : cases)
      for (isa::Act act : {isa::Act::Relu, isa::Act::Logistic}) {
        INFO("isa " << isas[i] << " M=" << c.M << " N=" << c.N << " K=" << c.K << " relu=" << (act == isa::Act::Relu));
        const int64_t lda = c.K + 2, ldb = c.N + 3, ldc = c.N + 5, ldy = c.N + 1;
        std::vector<float> A(static_cast<size_t>(c.M * lda)), B(static_cast<size_t>(c.K * ldb)),
            Y(static_cast<size_t>(c.M * ldy));
        for (float& v : A) v = static_cast<float>(g.uniform01() * 2 - 1);
        for (float& v : B) v = static_cast<float>(g.uniform01() * 2 - 1);
        for (float& v : Y)  // relu outputs: half of them 0; sigmoid outputs in (0, 1)
          v = act == isa::Act::Relu ? (g.uniform01() < 0.5 ? 0.f : static_cast<float>(g.uniform01()))
                                    : static_cast<float>(0.02 + 0.96 * g.uniform01());
        const float poison = std::numeric_limits<float>::quiet_NaN();
        std::vector<float> C(static_cast<size_t>(c.M * ldc), poison), P(static_cast<size_t>(c.M * ldc), poison);
        k.gemm_dact(c.M, c.N, c.K, A.data(), lda, B.data(), ldb, C.data(), ldc, Y.data(), ldy, act);
        k.gemm_any(false, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, P.data(), ldc, nullptr, 0, nullptr, isa::Act::Linear);
        int64_t zeros = 0;
        for (int64_t r = 0; r < c.M; ++r) {
          for (int64_t j = 0; j < c.N; ++j) {
            const float p = P[static_cast<size_t>(r * ldc + j)], y = Y[static_cast<size_t>(r * ldy + j)];
            const float want = act == isa::Act::Relu ? (y > 0.f ? p : 0.f) : p * y * (1.f - y);
            REQUIRE(C[static_cast<size_t>(r * ldc + j)] == want);
            zeros += want == 0.f;
          }
          for (int64_t j = c.N; j < ldc; ++j) REQUIRE(std::isnan(C[static_cast<size_t>(r * ldc + j)]));
        }
        if (act == isa::Act::Logistic) REQUIRE(zeros == 0);
      }
  }
}

// Backend::matmul_dact: the CPU's float32 path against the default composition (gemm +
// unary_backward), the same bits; float64 runs the default.
TEST_CASE("matmul_dact: CPU path equals Backend's default composition", "[mlp][cpu]") {
  Generator g(32);
  Backend& be = backend_for(Device::cpu());
  for (UnaryOp act : {UnaryOp::Relu, UnaryOp::Sigmoid})
    for (int64_t R : {int64_t{3}, int64_t{700}}) {
      INFO(unary_op_name(act) << " R=" << R);
      const int64_t H = 19, D = 37;
      Tensor gy = test::rand_tensor({R, H}, g, DType::F32), w = test::rand_tensor({H, D}, g, DType::F32);
      Tensor pre = test::rand_tensor({R, D}, g, DType::F32);
      Tensor y = act == UnaryOp::Relu ? relu(pre) : sigmoid(pre);
      Tensor a = dien::full({R, D}, 7.0), b = dien::full({R, D}, -7.0);
      be.matmul_dact(gy, w, y, act, a);
      be.Backend::matmul_dact(gy, w, y, act, b);
      REQUIRE_CLOSE(a, b, 0, 0);
      Tensor want = matmul(gy, w);
      std::vector<float> wv = want.to_vector<float>(), yv = y.to_vector<float>(), av = a.to_vector<float>();
      for (size_t i = 0; i < wv.size(); ++i)
        REQUIRE(av[i] == (act == UnaryOp::Relu ? (yv[i] > 0.f ? wv[i] : 0.f) : wv[i] * yv[i] * (1.f - yv[i])));
    }
}

// mlp against the chain of nodes: float32 values and every gradient bit for bit (the forward is the
// same linear_forward calls; the backward's fused act' is the elementwise backward's operations on
// the same product); then float64 gradcheck of the node.
TEST_CASE("mlp: equals the chain of linear nodes, values and gradients; gradcheck", "[mlp][cpu]") {
  using A = std::optional<UnaryOp>;
  const A relu_ = UnaryOp::Relu, sig = UnaryOp::Sigmoid, none = std::nullopt;
  struct Case {
    const char* name;
    Shape xs;
    std::vector<int64_t> widths;
    std::vector<A> acts;
    int64_t ri;  // init rows (0: layer 0's bias)
  };
  const std::vector<Case> cases = {
      {"auxiliary net: init over two groups, sigmoid x3", {74, 6}, {21, 9, 1}, {sig, sig, sig}, 37},
      {"attention net: init per row, relu, relu, dense", {50, 5}, {17, 4, 1}, {relu_, relu_, none}, 50},
      {"3-D input, bias, none between", {3, 7, 5}, {33, 6, 2}, {relu_, none, sig}, 0},
      {"one layer", {9, 4}, {3}, {sig}, 0},
      {"wide rows (the parallel panels)", {1100, 8}, {40, 20}, {sig, relu_}, 550},
  };
  Generator g(33);
  for (const Case& c : cases) {
    INFO(c.name);
    Net n = make_net(c.xs, c.widths, c.acts, c.ri, g, DType::F32);
    std::vector<int64_t> ys = c.xs.vec();
    ys.back() = c.widths.back();
    Tensor gy = test::rand_tensor(Shape(ys), g, DType::F32);
    auto run = [&](bool fused, const TensorList& want_grad) {
      for (Tensor t : n.leaves()) {
        t.zero_grad();
        t.set_requires_grad(false);
      }
      for (Tensor t : want_grad) t.set_requires_grad(true);
      Tensor y = fused ? mlp(n.x, n.init, n.layers) : chain(n.x, n.init, n.layers);
      REQUIRE(y.shape() == Shape(ys));
      sum(mul(y, gy)).backward();
      TensorList r{y.detach()};
      for (Tensor t : n.leaves()) r.push_back(t.grad().defined() ? t.grad() : dien::full({1}, -1.0));
      return r;
    };
    // Everything differentiated; only the input (G through every layer); only the last weight
    // (nothing below it computed).
    const TensorList all = n.leaves();
    for (const TensorList& want : {all, TensorList{n.x}, TensorList{n.layers.back().w}}) {
      TensorList f = run(true, want), u = run(false, want);
      REQUIRE(f.size() == u.size());
      for (size_t i = 0; i < f.size(); ++i) REQUIRE_CLOSE(f[i], u[i], 0, 0);
    }
    Net n64 = n;
    n64.x = n.x.detach().to(DType::F64).set_requires_grad();
    if (n.init.defined()) n64.init = n.init.detach().to(DType::F64).set_requires_grad();
    for (MlpLayer& l : n64.layers) {
      l.w = l.w.detach().to(DType::F64).set_requires_grad();
      if (l.b.defined()) l.b = l.b.detach().to(DType::F64).set_requires_grad();
    }
    if (c.xs[0] > 100) continue;  // the wide case: bits above; gradcheck on the small ones
    const bool with_init = n64.init.defined();
    const GradcheckResult r = gradcheck(
        [&](const TensorList& in) {
          size_t k = 0;
          Tensor x = in[k++];
          Tensor init = with_init ? in[k++] : Tensor();
          std::vector<MlpLayer> ls = n64.layers;
          for (size_t i = 0; i < ls.size(); ++i) {
            ls[i].w = in[k++];
            if (ls[i].b.defined()) ls[i].b = in[k++];
          }
          return mlp(x, init, ls);
        },
        n64.leaves());
    INFO(r.summary());
    REQUIRE(r.ok);
  }
}

TEST_CASE("mlp: errors name the layer and the shapes", "[mlp][cpu]") {
  Generator g(34);
  Tensor x = test::rand_tensor({6, 3}, g);
  Tensor w0 = test::rand_tensor({4, 3}, g), w1 = test::rand_tensor({2, 5}, g), b0 = test::rand_tensor({4}, g);
  test::require_error([&] { mlp(x, Tensor(), {}); }, {"mlp", "at least one layer"});
  test::require_error([&] { mlp(x, Tensor(), {MlpLayer{w0, b0, UnaryOp::Relu}, MlpLayer{w1, Tensor(), std::nullopt}}); },
                      {"mlp", "layer 1", "[H, 4]", "[2, 5]"});
  test::require_error([&] { mlp(x, Tensor(), {MlpLayer{w0, test::rand_tensor({3}, g), std::nullopt}}); },
                      {"mlp", "layer 0", "bias", "[3]"});
  test::require_error([&] { mlp(x, Tensor(), {MlpLayer{w0, b0, UnaryOp::Tanh}}); }, {"mlp", "layer 0", "tanh"});
  test::require_error([&] { mlp(x, test::rand_tensor({6, 4}, g), {MlpLayer{w0, b0, std::nullopt}}); },
                      {"mlp", "bias or an init"});
  test::require_error([&] { mlp(x, test::rand_tensor({4, 4}, g), {MlpLayer{w0, Tensor(), std::nullopt}}); },
                      {"mlp", "init", "[4, 4]"});
  test::require_error([&] { mlp(x, Tensor(), {MlpLayer{test::rand_tensor({4, 3}, g, DType::F32), b0, std::nullopt}}); },
                      {"mlp", "dtype"});
}

// DNN::forward_from_parts: one mlp node where it can (relu / sigmoid / linear, no batch norm, no
// dropout in training), else the chain; both the values and gradients of linear_add +
// forward_after_first_product + the tail layer, bit for bit.
TEST_CASE("DNN::forward_from_parts equals linear_add + forward_after_first_product + tail", "[mlp][cpu][layers]") {
  Generator g(35);
  for (const char* act : {"sigmoid", "relu", "prelu"})
    for (bool use_bn : {false, true}) {
      INFO(act << " use_bn=" << use_bn);
      init::Initializer ini(init::Scheme::Glorot, 0.0, g);
      DNN dnn(8, {11, 5}, act, 0.0, 0.0, use_bn, ini);
      Linear tail(5, 1, true, g, DType::F32);
      const Linear& first = *dnn.linears()[0];
      Tensor x = test::rand_tensor({30, 3}, g, DType::F32).set_requires_grad();
      Tensor init = test::rand_tensor({15, 11}, g, DType::F32).set_requires_grad();
      Tensor gy = test::rand_tensor({30, 1}, g, DType::F32);
      auto run = [&](bool parts) {
        std::vector<Tensor> leaves{x, init, first.weight(), dnn.linears()[1]->weight(), dnn.linears()[1]->bias(),
                                   tail.weight()};
        for (Tensor t : leaves) t.zero_grad();
        Tensor w0 = slice(first.weight(), 1, 5, 8);
        Tensor y = parts ? dnn.forward_from_parts(x, w0, init, false, &tail)
                         : tail.forward(dnn.forward_after_first_product(linear_add(x, w0, init), false));
        sum(mul(y, gy)).backward();
        TensorList r{y.detach()};
        for (Tensor t : leaves) r.push_back(t.grad());
        return r;
      };
      TensorList a = run(true), b = run(false);
      for (size_t i = 0; i < a.size(); ++i) REQUIRE_CLOSE(a[i], b[i], 0, 0);
    }
}
