// SPDX-License-Identifier: MIT
// gemm (the backend kernel: all transpose flags, 2-D and batched, alpha, the beta = 0 overwrite
// and beta != 0 accumulate paths), matmul and linear against naive loops in this file, and the
// error messages of misuse.
#include <limits>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "autograd/gradcheck.h"
#include "core/threads.h"
#include "kernels/cpu/isa/kernels.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::values;

namespace {

struct Dims {
  int64_t M, N, K;
};

// c[bi, m, n] = sum_k op(a)[bi, m, k] op(b)[bi, k, n]; a [batch, M, K] or [batch, K, M] when ta,
// b [batch, K, N] or [batch, N, K] when tb (batch strides 0 when the operand is shared).
std::vector<double> naive_matmul(const std::vector<double>& a, bool ta, const std::vector<double>& b, bool tb,
                                 int64_t batch, int64_t M, int64_t N, int64_t K, bool b_shared = false) {
  std::vector<double> c(static_cast<size_t>(batch * M * N), 0.0);
  for (int64_t bi = 0; bi < batch; ++bi) {
    const double* ap = a.data() + bi * M * K;
    const double* bp = b.data() + (b_shared ? 0 : bi * K * N);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) {
          double av = ta ? ap[k * M + m] : ap[m * K + k];
          double bv = tb ? bp[n * K + k] : bp[k * N + n];
          s += av * bv;
        }
        c[bi * M * N + m * N + n] = s;
      }
  }
  return c;
}

Shape mat_shape(int64_t batch, int64_t r, int64_t c) { return batch ? Shape{batch, r, c} : Shape{r, c}; }

double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
double atol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }

const std::vector<Dims> kDims = {{1, 1, 1}, {1, 7, 33}, {7, 1, 65}, {33, 65, 7}, {65, 33, 1}, {7, 7, 7}, {5, 3, 0}};

}  // namespace

TEST_CASE("gemm: overwrite (beta = 0) matches naive loops for every transpose and batch", "[matmul][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  bool ta = GENERATE(false, true), tb = GENERATE(false, true);
  int64_t batch = GENERATE(0, 1, 3);  // 0: plain 2-D
  double alpha = GENERATE(1.0, -0.75);
  Generator g(11);
  for (const Dims& d : kDims) {
    INFO(dtype_name(dt) << " M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb
                        << " batch=" << batch << " alpha=" << alpha);
    Tensor a = test::rand_tensor(ta ? mat_shape(batch, d.K, d.M) : mat_shape(batch, d.M, d.K), g, dt);
    Tensor b = test::rand_tensor(tb ? mat_shape(batch, d.N, d.K) : mat_shape(batch, d.K, d.N), g, dt);
    Tensor c = test::poisoned(mat_shape(batch, d.M, d.N), dt);  // beta = 0 must not read c
    backend_for(Device::cpu()).gemm(a, ta, b, tb, c, alpha, 0.0);
    auto ref = naive_matmul(values(a), ta, values(b), tb, std::max<int64_t>(batch, 1), d.M, d.N, d.K);
    for (auto& v : ref) v *= alpha;
    REQUIRE_CLOSE(c, ref, rtol_for(dt), atol_for(dt));
  }
}

TEST_CASE("gemm: beta != 0 accumulates into c", "[matmul][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  bool ta = GENERATE(false, true), tb = GENERATE(false, true);
  int64_t batch = GENERATE(0, 2);
  double beta = GENERATE(1.0, 0.5);
  Generator g(12);
  for (const Dims& d : kDims) {
    INFO(dtype_name(dt) << " M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb
                        << " batch=" << batch << " beta=" << beta);
    Tensor a = test::rand_tensor(ta ? mat_shape(batch, d.K, d.M) : mat_shape(batch, d.M, d.K), g, dt);
    Tensor b = test::rand_tensor(tb ? mat_shape(batch, d.N, d.K) : mat_shape(batch, d.K, d.N), g, dt);
    Tensor c = test::rand_tensor(mat_shape(batch, d.M, d.N), g, dt, -2.0, 2.0);
    auto c0 = values(c);
    backend_for(Device::cpu()).gemm(a, ta, b, tb, c, 2.0, beta);
    auto ref = naive_matmul(values(a), ta, values(b), tb, std::max<int64_t>(batch, 1), d.M, d.N, d.K);
    for (size_t i = 0; i < ref.size(); ++i) ref[i] = 2.0 * ref[i] + beta * c0[i];
    REQUIRE_CLOSE(c, ref, rtol_for(dt), atol_for(dt));
  }
}

TEST_CASE("matmul: 2-D, batched 3-D and 3-D x 2-D match naive loops", "[matmul][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  bool ta = GENERATE(false, true), tb = GENERATE(false, true);
  // Batch of a and b: 0 means a 2-D operand. {4, 0} is 3-D x 2-D (b shared by every batch).
  auto [ba, bb] = GENERATE(std::pair<int64_t, int64_t>{0, 0}, std::pair<int64_t, int64_t>{3, 3},
                           std::pair<int64_t, int64_t>{1, 1}, std::pair<int64_t, int64_t>{4, 0},
                           std::pair<int64_t, int64_t>{1, 0});
  Generator g(13);
  for (const Dims& d : kDims) {
    INFO(dtype_name(dt) << " M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb
                        << " batch a=" << ba << " b=" << bb);
    Tensor a = test::rand_tensor(ta ? mat_shape(ba, d.K, d.M) : mat_shape(ba, d.M, d.K), g, dt);
    Tensor b = test::rand_tensor(tb ? mat_shape(bb, d.N, d.K) : mat_shape(bb, d.K, d.N), g, dt);
    Tensor c = matmul(a, b, ta, tb);
    REQUIRE(c.shape() == mat_shape(ba, d.M, d.N));
    auto ref = naive_matmul(values(a), ta, values(b), tb, std::max<int64_t>(ba, 1), d.M, d.N, d.K, bb == 0);
    REQUIRE_CLOSE(c, ref, rtol_for(dt), atol_for(dt));
  }
}

TEST_CASE("linear: y = x w^T + b matches naive loops, 2-D and 3-D, with and without bias", "[matmul][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  bool with_bias = GENERATE(true, false);
  Generator g(14);
  const std::vector<Shape> xshapes = {{1, 1}, {7, 33}, {65, 7}, {1, 7, 1}, {3, 5, 33}, {2, 1, 65}};
  for (int64_t H : {1, 7, 33}) {
    for (const Shape& xs : xshapes) {
      INFO(dtype_name(dt) << " x " << xs.str() << " H=" << H << " bias=" << with_bias);
      const int64_t D = xs.back(), R = xs.numel() / D;
      Tensor x = test::rand_tensor(xs, g, dt), w = test::rand_tensor({H, D}, g, dt);
      Tensor b = with_bias ? test::rand_tensor({H}, g, dt) : Tensor();
      Tensor y = linear(x, w, b);
      std::vector<int64_t> want = xs.vec();
      want.back() = H;
      REQUIRE(y.shape() == Shape(want));
      auto xv = values(x), wv = values(w);
      std::vector<double> bv = with_bias ? values(b) : std::vector<double>(static_cast<size_t>(H), 0.0);
      std::vector<double> ref(static_cast<size_t>(R * H));
      for (int64_t r = 0; r < R; ++r)
        for (int64_t h = 0; h < H; ++h) {
          double s = bv[h];
          for (int64_t k = 0; k < D; ++k) s += xv[r * D + k] * wv[h * D + k];
          ref[r * H + h] = s;
        }
      REQUIRE_CLOSE(y, ref, rtol_for(dt), atol_for(dt));
    }
  }
}

TEST_CASE("gemm: large sizes (Eigen's threaded blocked path) match naive loops", "[matmul][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  bool ta = GENERATE(false, true), tb = GENERATE(false, true);
  Generator g(16);
  const int64_t M = 129, N = 257, K = 131;
  Tensor a = test::rand_tensor(ta ? Shape{K, M} : Shape{M, K}, g, dt);
  Tensor b = test::rand_tensor(tb ? Shape{N, K} : Shape{K, N}, g, dt);
  Tensor c = test::rand_tensor({M, N}, g, dt);
  auto c0 = values(c);
  backend_for(Device::cpu()).gemm(a, ta, b, tb, c, 0.5, 1.0);
  auto ref = naive_matmul(values(a), ta, values(b), tb, 1, M, N, K);
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = 0.5 * ref[i] + c0[i];
  REQUIRE_CLOSE(c, ref, rtol_for(dt), 4 * atol_for(dt));
}

TEST_CASE("matmul/linear: misuse names the op and the shapes", "[matmul][cpu]") {
  Generator g(15);
  auto r = [&](Shape s, DType dt = DType::F32) { return test::rand_tensor(s, g, dt); };
  test::require_error([&] { matmul(r({2, 3}), r({4, 5})); }, {"matmul", "inner", "[2, 3]", "[4, 5]"});
  test::require_error([&] { matmul(r({2, 3}), r({2, 5}), false, true); }, {"matmul", "[2, 3]", "[2, 5]"});
  test::require_error([&] { matmul(r({2, 2, 3, 4}), r({2, 2, 4, 5})); },
                      {"matmul", "[2, 2, 3, 4]", "[2, 2, 4, 5]"});
  test::require_error([&] { matmul(r({3}), r({3, 2})); }, {"matmul", "[3]", "[3, 2]"});
  test::require_error([&] { matmul(r({3, 2}), r({2, 2, 3})); }, {"matmul", "[3, 2]", "[2, 2, 3]"});
  test::require_error([&] { matmul(r({2, 3, 4}), r({3, 4, 5})); }, {"matmul", "batch", "[2, 3, 4]", "[3, 4, 5]"});
  test::require_error([&] { matmul(r({2, 3}), r({3, 4}, DType::F64)); }, {"matmul", "dtype", "[2, 3]", "[3, 4]"});
  test::require_error([&] { linear(r({2, 3}), r({4, 5}), Tensor()); }, {"linear", "[2, 3]", "[4, 5]"});
  test::require_error([&] { linear(r({2, 3}), r({4, 3}), r({3})); }, {"linear", "bias", "[3]", "[4, 3]"});
  test::require_error([&] { linear(r({3}), r({4, 3}), Tensor()); }, {"linear", "[3]", "[4, 3]"});
  test::require_error([&] { linear(r({2, 3}), r({4, 3}, DType::F64), Tensor()); }, {"linear", "dtype"});
}

// float GEMM runs Eigen compiled for the CPU's best instruction set (kernels/cpu/isa/); each one
// this CPU runs (DIEN_ISA) against naive loops, with the panel paths the pool uses: tall
// products (row panels), a small output over a long K (a weight gradient: K panels), both beta
// cases and every transpose; and the thread count changes no bit.
TEST_CASE("gemm f32: every instruction set, every panel path, against naive loops; threads change no bit",
          "[matmul][cpu][isa]") {
  const char* isas[8];
  const int n_isa = std::min(8, isa::available_isas(isas, 8));
  const char* saved = std::getenv("DIEN_ISA");
  const std::string saved_isa = saved ? saved : "";
  Generator g(17);
  const std::vector<Dims> shapes = {{1100, 37, 19}, {36, 108, 9000}, {130, 70, 300}, {3, 5, 7}, {7, 100, 36},
                                    {13, 17, 1}};
  for (int i = 0; i < n_isa; ++i)
    for (const Dims& d : shapes)
      for (int flags = 0; flags < 4; ++flags) {
        const bool ta = flags & 1, tb = flags & 2;
        INFO("isa " << isas[i] << " M=" << d.M << " N=" << d.N << " K=" << d.K << " ta=" << ta << " tb=" << tb);
        setenv("DIEN_ISA", isas[i], 1);
        Tensor a = test::rand_tensor(ta ? Shape{d.K, d.M} : Shape{d.M, d.K}, g, DType::F32);
        Tensor b = test::rand_tensor(tb ? Shape{d.N, d.K} : Shape{d.K, d.N}, g, DType::F32);
        Tensor c1 = test::rand_tensor({d.M, d.N}, g, DType::F32), c2 = c1.clone();
        auto c0 = values(c1);
        {
          ThreadScope one(1);
          backend_for(Device::cpu()).gemm(a, ta, b, tb, c1, 0.5, 1.0);
        }
        {
          ThreadScope two(2);
          backend_for(Device::cpu()).gemm(a, ta, b, tb, c2, 0.5, 1.0);
        }
        REQUIRE_CLOSE(c2, c1, 0, 0);
        auto ref = naive_matmul(values(a), ta, values(b), tb, 1, d.M, d.N, d.K);
        for (size_t k = 0; k < ref.size(); ++k) ref[k] = 0.5 * ref[k] + c0[k];
        const double scale = std::sqrt(static_cast<double>(d.K));
        REQUIRE_CLOSE(c1, ref, 1e-5, 2e-5 * scale);
        Tensor c3 = c1.clone();  // alpha = 1, beta = 1: the instruction set's kernel accumulating
        auto c3v = values(c3);
        backend_for(Device::cpu()).gemm(a, ta, b, tb, c3, 1.0, 1.0);
        ref = naive_matmul(values(a), ta, values(b), tb, 1, d.M, d.N, d.K);
        for (size_t k = 0; k < ref.size(); ++k) ref[k] += c3v[k];
        REQUIRE_CLOSE(c3, ref, 1e-5, 2e-5 * scale);
        Tensor z = test::rand_tensor({d.M, d.N}, g, DType::F32);  // beta = 0 never reads c
        backend_for(Device::cpu()).gemm(a, ta, b, tb, z, 1.0, 0.0);
        ref = naive_matmul(values(a), ta, values(b), tb, 1, d.M, d.N, d.K);
        REQUIRE_CLOSE(z, ref, 1e-5, 2e-5 * scale);
      }
  if (saved) setenv("DIEN_ISA", saved_isa.c_str(), 1);
  else unsetenv("DIEN_ISA");
}

// The instruction sets' gemm_any kernel itself (kernels/cpu/isa/kernels.h): any N (the last
// vector of a row masked), both forms of A, overwrite and accumulate, against double loops; C's
// columns between N and ldc (poisoned) are never written; a row computed alone equals the same
// row computed in a batch, bit for bit.
TEST_CASE("gemm_any: every instruction set, any N, masked tails, rows alone equal rows in a batch", "[matmul][cpu][isa]") {
  const char* isas[8];
  const int n_isa = std::min(8, isa::available_isas(isas, 8));
  Generator g(23);
  struct Case {
    int64_t M, N, K;
  };
  const std::vector<Case> cases = {{1, 1, 1}, {5, 7, 3}, {6, 16, 36}, {7, 17, 0}, {13, 36, 70}, {25, 100, 36},
                                   {8, 48, 130}, {11, 113, 5}};
  for (int i = 0; i < n_isa; ++i) {
    const isa::Kernels& k = isa::select_kernels(isas[i]);
    for (const Case& c : cases)
      for (int ta = 0; ta < 2; ++ta)
        for (int acc = 0; acc < 2; ++acc) {
          INFO("isa " << isas[i] << " M=" << c.M << " N=" << c.N << " K=" << c.K << " ta=" << ta << " acc=" << acc);
          const int64_t lda = (ta ? c.M : c.K) + 2, ldb = c.N + 3, ldc = c.N + 5;
          std::vector<float> A(static_cast<size_t>((ta ? c.K : c.M) * lda + 1)), B(static_cast<size_t>(c.K * ldb + 1));
          for (float& v : A) v = static_cast<float>(g.uniform01() * 2 - 1);
          for (float& v : B) v = static_cast<float>(g.uniform01() * 2 - 1);
          const float poison = std::numeric_limits<float>::quiet_NaN();
          std::vector<float> C(static_cast<size_t>(c.M * ldc), poison), C0;
          for (int64_t r = 0; r < c.M; ++r)
            for (int64_t j = 0; j < c.N; ++j) C[static_cast<size_t>(r * ldc + j)] = static_cast<float>(g.uniform01());
          C0 = C;
          k.gemm_any(ta == 1, c.M, c.N, c.K, A.data(), lda, B.data(), ldb, C.data(), ldc, acc == 1 ? C.data() : nullptr, ldc, nullptr,
                     isa::Act::Linear);
          for (int64_t r = 0; r < c.M; ++r) {
            for (int64_t j = 0; j < c.N; ++j) {
              double want = acc ? C0[static_cast<size_t>(r * ldc + j)] : 0.0;
              for (int64_t q = 0; q < c.K; ++q)
                want += static_cast<double>(ta ? A[static_cast<size_t>(q * lda + r)] : A[static_cast<size_t>(r * lda + q)]) *
                        B[static_cast<size_t>(q * ldb + j)];
              REQUIRE(std::fabs(C[static_cast<size_t>(r * ldc + j)] - want) <= 1e-5 * (1 + std::sqrt(double(c.K))));
            }
            for (int64_t j = c.N; j < ldc; ++j) REQUIRE(std::isnan(C[static_cast<size_t>(r * ldc + j)]));
          }
          if (ta == 0 && c.M > 1) {  // the last row alone
            const int64_t r = c.M - 1;
            std::vector<float> one(C0.begin() + r * ldc, C0.begin() + (r + 1) * ldc);
            k.gemm_any(false, 1, c.N, c.K, A.data() + r * lda, lda, B.data(), ldb, one.data(), ldc,
                       acc == 1 ? one.data() : nullptr, ldc, nullptr, isa::Act::Linear);
            for (int64_t j = 0; j < c.N; ++j) REQUIRE(one[static_cast<size_t>(j)] == C[static_cast<size_t>(r * ldc + j)]);
          }
        }
  }
}

// linear_act = the activation of linear, in one node: the same values and gradients, bit for bit
// (the same kernels in the same order), 2-D and 3-D, with and without bias; float64 gradcheck.
TEST_CASE("linear_act: equals relu/sigmoid of linear, values and gradients; gradcheck", "[matmul][cpu]") {
  Generator g(18);
  for (UnaryOp act : {UnaryOp::Relu, UnaryOp::Sigmoid})
    for (bool three_d : {false, true})
      for (bool with_bias : {true, false}) {
        INFO(unary_op_name(act) << " 3-D=" << three_d << " bias=" << with_bias);
        const Shape xs = three_d ? Shape{3, 4, 5} : Shape{7, 5};
        Tensor x = test::rand_tensor(xs, g, DType::F32).set_requires_grad();
        Tensor w = test::rand_tensor({6, 5}, g, DType::F32).set_requires_grad();
        Tensor b = with_bias ? test::rand_tensor({6}, g, DType::F32).set_requires_grad() : Tensor();
        Tensor gy = test::rand_tensor(three_d ? Shape{3, 4, 6} : Shape{7, 6}, g, DType::F32);
        auto grads = [&](bool fused) {
          for (Tensor t : {x, w, b})
            if (t.defined()) t.zero_grad();
          Tensor y = fused ? linear_act(x, w, b, act) : (act == UnaryOp::Relu ? relu(linear(x, w, b)) : sigmoid(linear(x, w, b)));
          sum(mul(y, gy)).backward();
          TensorList r{y.detach(), x.grad(), w.grad()};
          if (b.defined()) r.push_back(b.grad());
          return r;
        };
        TensorList f = grads(true), u = grads(false);
        for (size_t i = 0; i < f.size(); ++i) REQUIRE_CLOSE(f[i], u[i], 0, 0);
        Tensor x64 = x.detach().to(DType::F64).set_requires_grad(), w64 = w.detach().to(DType::F64).set_requires_grad();
        Tensor b64 = b.defined() ? b.detach().to(DType::F64).set_requires_grad() : Tensor();
        TensorList leaves{x64, w64};
        if (b64.defined()) leaves.push_back(b64);
        const GradcheckResult r = gradcheck(
            [&](const TensorList& in) { return linear_act(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), act); }, leaves);
        INFO(r.summary());
        REQUIRE(r.ok);
      }
  test::require_error([&] { linear_act(test::rand_tensor({2, 3}, g), test::rand_tensor({4, 3}, g), Tensor(), UnaryOp::Tanh); },
                      {"linear_act", "relu or sigmoid", "tanh"});
}

// linear_add(x, w, init) = init (repeated over groups of its rows) + x wᵀ in one node: against
// the composition of linear and a broadcast add (float32: the CPU tile kernel starting from the
// init rows; the default Backend composition gives the same bits), and float64 gradcheck.
TEST_CASE("linear_add: init + x wᵀ over groups of rows, values and gradients; gradcheck", "[matmul][cpu]") {
  Generator g(19);
  for (int64_t groups : {int64_t{1}, int64_t{3}}) {
    INFO("groups " << groups);
    const int64_t Ri = 37, R = groups * Ri, D = 5, H = 19;
    Tensor x = test::rand_tensor({R, D}, g, DType::F32).set_requires_grad();
    Tensor w = test::rand_tensor({H, D}, g, DType::F32).set_requires_grad();
    Tensor c = test::rand_tensor({Ri, H}, g, DType::F32).set_requires_grad();
    Tensor gy = test::rand_tensor({R, H}, g, DType::F32);
    auto run = [&](bool fused) {
      for (Tensor t : {x, w, c}) t.zero_grad();
      Tensor y = fused ? linear_add(x, w, c)
                       : reshape(add(reshape(linear(x, w, Tensor()), {groups, Ri, H}), unsqueeze(c, 0)), {R, H});
      sum(mul(y, gy)).backward();
      return TensorList{y.detach(), x.grad(), w.grad(), c.grad()};
    };
    TensorList f = run(true), u = run(false);
    for (size_t i = 0; i < f.size(); ++i) REQUIRE_CLOSE(f[i], u[i], 1e-6, 1e-6);
    // The CPU kernel path against Backend's default composition: the same bits.
    Tensor y1 = Tensor::empty({R, H}), y2 = Tensor::empty({R, H});
    Backend& be = backend_for(Device::cpu());
    const Tensor cd = c.detach();
    be.linear_forward(x.detach(), w.detach(), nullptr, nullptr, y1, &cd);
    be.Backend::linear_forward(x.detach(), w.detach(), nullptr, nullptr, y2, &cd);
    REQUIRE_CLOSE(y1, y2, 0, 0);
    Tensor x64 = x.detach().to(DType::F64).set_requires_grad(), w64 = w.detach().to(DType::F64).set_requires_grad();
    Tensor c64 = c.detach().to(DType::F64).set_requires_grad();
    const GradcheckResult r = gradcheck([&](const TensorList& in) { return linear_add(in[0], in[1], in[2]); },
                                        {x64, w64, c64});
    INFO(r.summary());
    REQUIRE(r.ok);
  }
  test::require_error([&] { linear_add(test::rand_tensor({6, 3}, g), test::rand_tensor({4, 3}, g), test::rand_tensor({4, 4}, g)); },
                      {"linear_add", "init", "[4, 4]"});
}
