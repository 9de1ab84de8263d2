// SPDX-License-Identifier: MIT
// The serving kernels (serve/kernels.h), every instruction set this CPU runs, against naive
// double loops: GEMM at awkward shapes through the bias and accumulate paths, one row alone
// equal to the same row in a batch bit for bit, activations, softmax, and the GRU cells in both
// gate layouts. Outputs start poisoned (NaN) where the kernel must write them.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/rng.h"
#include "serve/kernels.h"

using namespace dien;
using namespace dien::serve;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<const Kernels*> every_isa() {
  const char* names[8];
  const int n = available_isas(names, 8);
  std::vector<const Kernels*> out;
  for (int i = 0; i < n && i < 8; ++i) out.push_back(&select_kernels(names[i]));
  return out;
}

std::vector<float> random_vec(Generator& g, size_t n, double lo = -1, double hi = 1) {
  std::vector<float> v(n);
  for (auto& x : v) {
    x = static_cast<float>(lo + (hi - lo) * g.uniform01());
    if (x == 0.f) x = 0.25f;  // never test on zeros
  }
  return v;
}

int64_t pad(int64_t n, int w) { return (n + w - 1) / w * w; }

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TEST_CASE("serve kernels: the instruction sets compiled in and supported here", "[serve][cpu]") {
  auto isas = every_isa();
  REQUIRE(!isas.empty());
  REQUIRE(std::string(isas.back()->isa) == "generic");
  REQUIRE(std::string(select_kernels("generic").isa) == "generic");
  REQUIRE_THROWS_WITH(select_kernels("sse9"), Catch::Contains("sse9"));
}

TEST_CASE("serve kernels: gemm equals a double loop; a row alone equals the row in a batch", "[serve][cpu]") {
  Generator g(7);
  for (const Kernels* k : every_isa()) {
    const int w = k->width;
    for (int64_t M : {1, 2, 3, 5, 6, 7, 13}) {
      for (int64_t N : {int64_t{1}, int64_t{w}, int64_t{3 * w + 1}, int64_t{9 * w}}) {
        for (int64_t K : {1, 7, 36}) {
          INFO(k->isa << " M " << M << " N " << N << " K " << K);
          const int64_t Np = pad(N, w), lda = K + 3, ldc = Np + w;
          std::vector<float> A = random_vec(g, static_cast<size_t>(M * lda));
          std::vector<float> B = random_vec(g, static_cast<size_t>(K * Np)), bias = random_vec(g, static_cast<size_t>(Np));
          for (int64_t kk = 0; kk < K; ++kk)
            for (int64_t j = N; j < Np; ++j) B[kk * Np + j] = 0.f;
          for (bool acc : {false, true}) {
            std::vector<float> C(static_cast<size_t>(M * ldc), kNaN), init = random_vec(g, static_cast<size_t>(M * ldc));
            if (acc) C = init;
            k->gemm(M, Np, K, A.data(), lda, B.data(), Np, C.data(), ldc, acc ? nullptr : bias.data(), acc);
            double worst = 0;
            for (int64_t i = 0; i < M; ++i)
              for (int64_t j = 0; j < N; ++j) {
                double want = acc ? init[i * ldc + j] : bias[j];
                for (int64_t kk = 0; kk < K; ++kk) want += double(A[i * lda + kk]) * B[kk * Np + j];
                worst = std::max(worst, std::fabs(want - C[i * ldc + j]));
              }
            REQUIRE(worst < 1e-5);
            if (!acc)
              for (int64_t i = 0; i < M; ++i) REQUIRE(std::isnan(C[i * ldc + Np]));  // nothing past N
            // Row by row, the same bits.
            for (int64_t i = 0; i < M; ++i) {
              std::vector<float> row(static_cast<size_t>(Np), kNaN);
              if (acc) std::copy_n(&init[i * ldc], Np, row.begin());
              k->gemm(1, Np, K, &A[i * lda], lda, B.data(), Np, row.data(), Np, acc ? nullptr : bias.data(), acc);
              for (int64_t j = 0; j < Np; ++j) REQUIRE(row[j] == C[i * ldc + j]);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("serve kernels: activations, rowdot, softmax, scaling", "[serve][cpu]") {
  Generator g(8);
  for (const Kernels* k : every_isa()) {
    INFO(k->isa);
    const int w = k->width;
    const int64_t M = 3, N = pad(2 * w + 3, w);
    std::vector<float> x = random_vec(g, static_cast<size_t>(M * N), -6, 6);
    std::vector<float> alpha = random_vec(g, N), scale = random_vec(g, N), shift = random_vec(g, N);
    float slope = 0.3f;
    for (Act a : {Act::Linear, Act::Relu, Act::Sigmoid, Act::PRelu, Act::Dice}) {
      ActParams p;
      p.kind = a;
      p.slope = &slope;
      p.alpha = alpha.data();
      p.scale = scale.data();
      p.shift = shift.data();
      std::vector<float> y = x;
      k->activate(p, y.data(), M, N, N);
      for (int64_t i = 0; i < M * N; ++i) {
        const double v = x[i], c = static_cast<double>(i % N);
        double want = v;
        if (a == Act::Relu) want = v > 0 ? v : 0;
        if (a == Act::Sigmoid) want = sigmoid(v);
        if (a == Act::PRelu) want = v > 0 ? v : slope * v;
        if (a == Act::Dice) {
          const size_t ci = static_cast<size_t>(c);
          const double q = sigmoid(v * scale[ci] + shift[ci]);
          want = v * (alpha[ci] + q * (1 - alpha[ci]));
        }
        REQUIRE(std::fabs(want - y[i]) <= 2e-6 * (1 + std::fabs(want)));
      }
    }
    for (int64_t K : {1, 5, 2 * w + 1}) {
      std::vector<float> A = random_vec(g, static_cast<size_t>(M * (K + 1))), wv = random_vec(g, static_cast<size_t>(K));
      std::vector<float> out(M, kNaN);
      k->rowdot(M, K, A.data(), K + 1, wv.data(), 0.5f, out.data());
      for (int64_t m = 0; m < M; ++m) {
        double want = 0.5;
        for (int64_t j = 0; j < K; ++j) want += double(A[m * (K + 1) + j]) * wv[j];
        REQUIRE(std::fabs(want - out[m]) < 1e-5);
      }
    }
    for (int64_t n : {0, 1, 3, w, 2 * w + 5, 100}) {
      std::vector<float> s = random_vec(g, static_cast<size_t>(n) + 1, -30, 30);
      s.back() = kNaN;  // past n: never read, never written
      std::vector<float> y = s;
      k->softmax(y.data(), n);
      double mx = -1e300, sum = 0;
      for (int64_t i = 0; i < n; ++i) mx = std::max(mx, double(s[i]));
      for (int64_t i = 0; i < n; ++i) sum += std::exp(s[i] - mx);
      for (int64_t i = 0; i < n; ++i) REQUIRE(std::fabs(std::exp(s[i] - mx) / sum - y[i]) < 1e-6);
      REQUIRE(std::isnan(y.back()));
    }
    std::vector<float> v = random_vec(g, N), z(static_cast<size_t>(M * N), kNaN);
    k->mul_rows(M, N, x.data(), N, v.data(), z.data(), N);
    for (int64_t i = 0; i < M * N; ++i) REQUIRE(z[i] == x[i] * v[i % N]);
  }
}

namespace {

// One GRU step in double, PyTorch's r|z|n layout, both gate layouts and every cell.
// gi [3H] includes b_ih; w_hh [3H, H]; b_hh [3H].
std::vector<double> gru_ref(Cell cell, bool lbr, const std::vector<double>& gi, const std::vector<double>& h,
                            const std::vector<double>& w_hh, const std::vector<double>& b_hh, double a, int64_t H) {
  auto gh_row = [&](int64_t row, const std::vector<double>& x) {
    double s = b_hh[row];
    for (int64_t j = 0; j < H; ++j) s += w_hh[row * H + j] * x[j];
    return s;
  };
  std::vector<double> r(H), z(H), out(H);
  for (int64_t j = 0; j < H; ++j) {
    r[j] = sigmoid(gi[j] + gh_row(j, h));
    z[j] = sigmoid(gi[H + j] + gh_row(H + j, h));
  }
  std::vector<double> rh(H);
  for (int64_t j = 0; j < H; ++j) rh[j] = r[j] * h[j];
  for (int64_t j = 0; j < H; ++j) {
    const double n = std::tanh(gi[2 * H + j] + (lbr ? r[j] * gh_row(2 * H + j, h) : gh_row(2 * H + j, rh)));
    switch (cell) {
      case Cell::Gru: out[j] = z[j] * h[j] + (1 - z[j]) * n; break;
      case Cell::AugruPaper: out[j] = (1 - a * z[j]) * h[j] + a * z[j] * n; break;
      case Cell::AugruReference: out[j] = (1 - a) * z[j] * h[j] + (1 - (1 - a) * z[j]) * n; break;
      case Cell::Agru: out[j] = (1 - a) * h[j] + a * n; break;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("serve kernels: GRU cells in both layouts equal a double reference", "[serve][cpu]") {
  Generator g(9);
  const int64_t H = 5, M = 4;
  for (const Kernels* k : every_isa()) {
    const int64_t Hp = pad(H, k->width), G = 3 * Hp;
    // Packed W_hhᵀ [H, 3Hp] with zero padding, from w_hh [3H, H].
    std::vector<float> w = random_vec(g, static_cast<size_t>(3 * H * H)), b = random_vec(g, static_cast<size_t>(3 * H));
    std::vector<float> wt(static_cast<size_t>(H * G), 0.f), bp(static_cast<size_t>(G), 0.f);
    for (int64_t gate = 0; gate < 3; ++gate)
      for (int64_t j = 0; j < H; ++j) {
        bp[gate * Hp + j] = b[gate * H + j];
        for (int64_t i = 0; i < H; ++i) wt[i * G + gate * Hp + j] = w[(gate * H + j) * H + i];
      }
    for (Cell cell : {Cell::Gru, Cell::AugruPaper, Cell::AugruReference, Cell::Agru}) {
      for (bool lbr : {true, false}) {
        for (bool aigru : {false, true}) {
          INFO(k->isa << " cell " << int(cell) << (lbr ? " lbr" : " rbl") << (aigru ? " aigru input" : ""));
          std::vector<float> gi(static_cast<size_t>(M * G), 0.f), gib(static_cast<size_t>(G), 0.f);
          std::vector<float> h(static_cast<size_t>(M * Hp), 0.f), att = random_vec(g, M, 0.05, 1);
          std::vector<float> gir = random_vec(g, static_cast<size_t>(M * 3 * H), -2, 2), bir = random_vec(g, 3 * H);
          std::vector<float> hr = random_vec(g, static_cast<size_t>(M * H));
          for (int64_t m = 0; m < M; ++m)
            for (int64_t gate = 0; gate < 3; ++gate)
              for (int64_t j = 0; j < H; ++j) {
                gi[m * G + gate * Hp + j] = gir[m * 3 * H + gate * H + j];
                gib[gate * Hp + j] = bir[gate * H + j];
                if (gate == 0) h[m * Hp + j] = hr[m * H + j];
              }
          std::vector<float> gh(static_cast<size_t>(M * G), kNaN), rh(static_cast<size_t>(M * Hp), kNaN);
          const float* scale = aigru ? att.data() : nullptr;
          const float* bias = aigru ? gib.data() : nullptr;
          const std::vector<float> h_before = h;
          if (lbr) {
            k->gemm(M, G, H, h.data(), Hp, wt.data(), G, gh.data(), G, bp.data(), false);
            k->gru_lbr(cell, M, Hp, gi.data(), G, scale, 1, bias, gh.data(), G, att.data(), 1, h.data(), Hp);
          } else {
            k->gemm(M, 2 * Hp, H, h.data(), Hp, wt.data(), G, gh.data(), G, bp.data(), false);
            k->gru_rbl_reset(cell, M, Hp, gi.data(), G, scale, 1, bias, gh.data(), G, h.data(), Hp, rh.data(), Hp);
            k->gemm(M, Hp, H, rh.data(), Hp, wt.data() + 2 * Hp, G, gh.data() + 2 * Hp, G, bp.data() + 2 * Hp, false);
            k->gru_rbl_update(cell, M, Hp, gi.data(), G, scale, 1, bias, gh.data(), G, att.data(), 1, h.data(), Hp);
          }
          for (int64_t m = 0; m < M; ++m) {
            std::vector<double> gid(3 * H), hd(H), wd(w.begin(), w.end()), bd(b.begin(), b.end());
            for (int64_t i = 0; i < 3 * H; ++i)
              gid[i] = aigru ? double(att[m]) * gir[m * 3 * H + i] + bir[i] : gir[m * 3 * H + i];
            for (int64_t j = 0; j < H; ++j) hd[j] = h_before[m * Hp + j];
            std::vector<double> want = gru_ref(cell, lbr, gid, hd, wd, bd, att[m], H);
            for (int64_t j = 0; j < H; ++j) REQUIRE(std::fabs(want[j] - h[m * Hp + j]) < 2e-6);
            for (int64_t j = H; j < Hp; ++j) REQUIRE(h[m * Hp + j] == 0.f);  // padding stays zero
          }
        }
      }
    }
  }
}
