// SPDX-License-Identifier: MIT
// Kernel-level checks of the CUDA sequence kernels (kernels/cuda/rnn_scan.cu, attention.cu,
// aux_loss.cu), independent of the CPU twins and of the autograd ops: each CudaBackend call is
// compared with a plain host loop written here from kernels/backend.h, and every backward with
// finite differences of that host forward in float64:
//   - full elementwise central differences on small scans (every input element),
//   - directional central differences (one random direction per input tensor) on large ones,
//   - float32 results against the validated float64 ones.
// Outputs start NaN-poisoned (tests/mains/cuda_main.cpp), so an element a kernel forgets to
// write fails; padded steps are checked to be exactly zero. Shapes reach every kernel path: W_hh
// in shared memory below and above the 48 KiB default limit, the global-memory fallback (f32
// H = 160, f64 H = 100), several rows per block (B = 2500), length-0/1/T-1/T rows in any order.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <vector>

#include "tests/cuda/parity.h"

using namespace dien;
using Vec = std::vector<double>;

namespace {

const Device kGpu = Device::cuda(0);

Vec rand_vec(size_t n, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Vec v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Lengths mixing 0, 1, T-1 and T, in no particular order (then values spread over [0, T]).
std::vector<int64_t> mixed_lengths(int64_t B, int64_t T, uint64_t seed) {
  std::vector<int64_t> len(B);
  const int64_t base[] = {T, 0, 1, T - 1, T, T / 2};
  for (int64_t b = 0; b < B; ++b) len[b] = b < 6 ? base[b] : (b * 7 + 3) % (T + 1);
  if (B == 1) len[0] = T;
  std::mt19937_64 rng(seed);
  std::shuffle(len.begin(), len.end(), rng);
  return len;
}

Tensor upload(const Vec& v, const Shape& s, DType dt) { return from_vector<double>(v, s).to(dt).to(kGpu); }
Tensor upload_len(const std::vector<int64_t>& len) {
  return from_vector<int64_t>(len, Shape{static_cast<int64_t>(len.size())}).to(kGpu);
}
Tensor gpu_empty(const Shape& s, DType dt) { return Tensor::empty(s, dt, kGpu); }

// ---- recurrent scan: host reference --------------------------------------------------------

struct Scan {
  RnnCell cell;
  GateLayout layout;
  int64_t B, T, H;
  bool has_h0, has_b;
  std::vector<int64_t> len;
  Vec gi, att, h0, w, b;  // h0 / b are zeros when absent (the kernels then get null)
  Vec cs, cl;             // the loss L = Σ cs·states + Σ cl·last, i.e. g_states and g_last
};

Scan make_scan(RnnCell cell, GateLayout layout, int64_t B, int64_t T, int64_t H, bool has_h0, bool has_b,
               uint64_t seed) {
  std::mt19937_64 rng(seed);
  Scan s{cell, layout, B, T, H, has_h0, has_b, mixed_lengths(B, T, seed), {}, {}, {}, {}, {}, {}, {}};
  s.gi = rand_vec(B * T * 3 * H, rng, -1.5, 1.5);
  s.att = rand_vec(B * T, rng, 0.05, 0.95);
  s.h0 = has_h0 ? rand_vec(B * H, rng) : Vec(B * H, 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(H));  // PyTorch's GRU init range
  s.w = rand_vec(3 * H * H, rng, -scale, scale);
  s.b = has_b ? rand_vec(3 * H, rng, -scale, scale) : Vec(3 * H, 0.0);
  s.cs = rand_vec(B * T * H, rng, 0.5, 1.5);
  s.cl = rand_vec(B * H, rng, 0.5, 1.5);
  return s;
}

double sigm(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// states [B,T,H] (0 at padded steps), last [B,H]: the recurrence of kernels/backend.h.
void ref_forward(const Scan& s, Vec& states, Vec& last) {
  const int64_t B = s.B, T = s.T, H = s.H, G = 3 * H;
  states.assign(B * T * H, 0.0);
  last.assign(B * H, 0.0);
  Vec h(H), hn(H), r(H), z(H), tmp(H);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t k = 0; k < H; ++k) h[k] = s.h0[b * H + k];
    for (int64_t t = 0; t < s.len[b]; ++t) {
      const double* gi = &s.gi[(b * T + t) * G];
      for (int64_t j = 0; j < H; ++j) {
        double ar = s.b[j], az = s.b[H + j];
        for (int64_t k = 0; k < H; ++k) {
          ar += s.w[j * H + k] * h[k];
          az += s.w[(H + j) * H + k] * h[k];
        }
        r[j] = sigm(gi[j] + ar);
        z[j] = sigm(gi[H + j] + az);
      }
      const bool rbl = s.layout == GateLayout::ResetBeforeLinear;
      for (int64_t k = 0; k < H; ++k) tmp[k] = rbl ? r[k] * h[k] : h[k];
      for (int64_t j = 0; j < H; ++j) {
        double an = s.b[2 * H + j];
        for (int64_t k = 0; k < H; ++k) an += s.w[(2 * H + j) * H + k] * tmp[k];
        hn[j] = an;
      }
      const double a = s.att[b * T + t];
      for (int64_t k = 0; k < H; ++k) {
        const double n = std::tanh(gi[2 * H + k] + (rbl ? hn[k] : r[k] * hn[k]));
        double hv;
        switch (s.cell) {
          case RnnCell::Gru: hv = z[k] * h[k] + (1 - z[k]) * n; break;
          case RnnCell::AugruPaper: hv = (1 - a * z[k]) * h[k] + a * z[k] * n; break;
          case RnnCell::AugruReference: hv = (1 - a) * z[k] * h[k] + (1 - (1 - a) * z[k]) * n; break;
          default: hv = (1 - a) * h[k] + a * n; break;
        }
        tmp[k] = hv;
      }
      for (int64_t k = 0; k < H; ++k) {
        h[k] = tmp[k];
        states[(b * T + t) * H + k] = h[k];
      }
    }
    for (int64_t k = 0; k < H; ++k) last[b * H + k] = h[k];
  }
}

// (L(x + eps·dir) - L(x - eps·dir)) / (2 eps), from the differences of the outputs (no
// cancellation in a large sum of L).
template <class Mut>
double fd_directional(Scan s, Mut&& apply, double eps = 1e-5) {
  Vec sp, lp, sm, lm;
  Scan p = s, m = s;
  apply(p, eps);
  apply(m, -eps);
  ref_forward(p, sp, lp);
  ref_forward(m, sm, lm);
  double d = 0.0;
  for (size_t i = 0; i < sp.size(); ++i) d += s.cs[i] * (sp[i] - sm[i]);
  for (size_t i = 0; i < lp.size(); ++i) d += s.cl[i] * (lp[i] - lm[i]);
  return d / (2 * eps);
}

struct ScanOut {
  Tensor states, last, ws, g_gi, g_h0, g_att, g_w, g_b;
};

// Forward (training, with ws) and backward on the GPU in dtype dt.
ScanOut gpu_scan(const Scan& s, DType dt, bool backward = true) {
  Backend& be = backend_for(kGpu);
  const int64_t B = s.B, T = s.T, H = s.H;
  const bool attn = s.cell != RnnCell::Gru;
  Tensor gi = upload(s.gi, Shape{B, T, 3 * H}, dt), len = upload_len(s.len);
  Tensor att = upload(s.att, Shape{B, T}, dt), h0 = upload(s.h0, Shape{B, H}, dt);
  Tensor w = upload(s.w, Shape{3 * H, H}, dt), b = upload(s.b, Shape{3 * H}, dt);
  ScanOut o;
  o.states = gpu_empty(Shape{B, T, H}, dt);
  o.last = gpu_empty(Shape{B, H}, dt);
  o.ws = gpu_empty(Shape{B, T, kRnnWorkspaceGates * H}, dt);
  be.rnn_scan_forward(s.cell, s.layout, gi, len, attn ? &att : nullptr, s.has_h0 ? &h0 : nullptr, w,
                      s.has_b ? &b : nullptr, o.states, o.last, &o.ws);
  if (!backward) return o;
  Tensor cs = upload(s.cs, Shape{B, T, H}, dt), cl = upload(s.cl, Shape{B, H}, dt);
  o.g_gi = gpu_empty(Shape{B, T, 3 * H}, dt);
  o.g_h0 = gpu_empty(Shape{B, H}, dt);  // asked for even without h0: the gradient at h0 = 0
  o.g_att = gpu_empty(Shape{B, T}, dt);
  o.g_w = gpu_empty(Shape{3 * H, H}, dt);
  o.g_b = gpu_empty(Shape{3 * H}, dt);  // likewise at b_hh = 0
  be.rnn_scan_backward(s.cell, s.layout, gi, len, attn ? &att : nullptr, s.has_h0 ? &h0 : nullptr, w,
                       s.has_b ? &b : nullptr, o.states, o.ws, &cs, &cl, o.g_gi, &o.g_h0, attn ? &o.g_att : nullptr,
                       &o.g_w, &o.g_b);
  return o;
}

// The inputs the finite differences perturb, with the GPU gradient of each.
struct Input {
  const char* name;
  Vec Scan::*field;
  Tensor ScanOut::*grad;
};
std::vector<Input> scan_inputs(const Scan& s) {
  std::vector<Input> in = {{"gi", &Scan::gi, &ScanOut::g_gi},
                           {"h0", &Scan::h0, &ScanOut::g_h0},
                           {"w_hh", &Scan::w, &ScanOut::g_w},
                           {"b_hh", &Scan::b, &ScanOut::g_b}};
  if (s.cell != RnnCell::Gru) in.push_back({"att", &Scan::att, &ScanOut::g_att});
  return in;
}

// Exact zeros at padded steps: states, g_gi and g_att.
void require_padding_zero(const Scan& s, const ScanOut& o) {
  const Vec st = test::values(o.states), gg = test::values(o.g_gi);
  const Vec ga = s.cell != RnnCell::Gru ? test::values(o.g_att) : Vec();
  const int64_t H = s.H;
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t t = s.len[b]; t < s.T; ++t) {
      bool zero = ga.empty() || ga[b * s.T + t] == 0.0;
      for (int64_t k = 0; k < H; ++k) zero = zero && st[(b * s.T + t) * H + k] == 0.0;
      for (int64_t k = 0; k < 3 * H; ++k) zero = zero && gg[(b * s.T + t) * 3 * H + k] == 0.0;
      if (zero) continue;  // one assertion per failure, not per element
      INFO("padded step b " << b << " t " << t << " (length " << s.len[b] << "): states, g_gi or g_att not 0");
      REQUIRE(zero);
    }
}

std::string describe(const Scan& s) {
  std::ostringstream os;
  os << rnn_cell_name(s.cell) << (s.layout == GateLayout::LinearBeforeReset ? " LinearBeforeReset" : " ResetBeforeLinear")
     << " B " << s.B << " T " << s.T << " H " << s.H << (s.has_h0 ? " h0" : " no-h0")
     << (s.has_b ? " b_hh" : " no-b_hh");
  return os.str();
}

// float64 forward vs the host loop, then the backward vs finite differences (elementwise when
// `full`, else one random direction per input), padding zeros, ws-free inference, determinism.
void check_scan_f64(const Scan& s, bool full) {
  INFO(describe(s));
  Vec st, la;
  ref_forward(s, st, la);
  ScanOut o = gpu_scan(s, DType::F64);
  REQUIRE_CLOSE(o.states, st, 1e-12, 1e-12);
  REQUIRE_CLOSE(o.last, la, 1e-12, 1e-12);
  require_padding_zero(s, o);
  for (const Input& in : scan_inputs(s)) {
    INFO("gradient of " << in.name);
    const Vec g = test::values(o.*in.grad);
    const Vec& x = s.*in.field;
    REQUIRE(g.size() == x.size());
    if (full) {
      Vec fd(x.size());
      for (size_t i = 0; i < x.size(); ++i)
        fd[i] = fd_directional(s, [&](Scan& p, double e) { (p.*in.field)[i] += e; });
      REQUIRE_CLOSE(o.*in.grad, fd, 1e-6, 1e-8);
    } else {
      std::mt19937_64 rng(x.size());
      const Vec dir = rand_vec(x.size(), rng);
      double an = 0.0, mag = 0.0;
      for (size_t i = 0; i < x.size(); ++i) {
        an += g[i] * dir[i];
        mag += std::fabs(g[i] * dir[i]);
      }
      const double fd = fd_directional(s, [&](Scan& p, double e) {
        for (size_t i = 0; i < x.size(); ++i) (p.*in.field)[i] += e * dir[i];
      });
      INFO("analytic " << an << " finite difference " << fd);
      REQUIRE(std::fabs(an - fd) <= 1e-8 + 1e-6 * mag);
    }
  }
  // Inference (no workspace) gives the same states; a second run gives the same bits.
  Backend& be = backend_for(kGpu);
  const int64_t B = s.B, T = s.T, H = s.H;
  Tensor gi = upload(s.gi, Shape{B, T, 3 * H}, DType::F64), len = upload_len(s.len);
  Tensor att = upload(s.att, Shape{B, T}, DType::F64), h0 = upload(s.h0, Shape{B, H}, DType::F64);
  Tensor w = upload(s.w, Shape{3 * H, H}, DType::F64), b = upload(s.b, Shape{3 * H}, DType::F64);
  Tensor st2 = gpu_empty(Shape{B, T, H}, DType::F64), la2 = gpu_empty(Shape{B, H}, DType::F64);
  be.rnn_scan_forward(s.cell, s.layout, gi, len, s.cell != RnnCell::Gru ? &att : nullptr, s.has_h0 ? &h0 : nullptr,
                      w, s.has_b ? &b : nullptr, st2, la2, nullptr);
  REQUIRE(test::values(st2) == test::values(o.states));
  REQUIRE(test::values(la2) == test::values(o.last));
  ScanOut o2 = gpu_scan(s, DType::F64);
  REQUIRE(test::values(o2.g_w) == test::values(o.g_w));
  REQUIRE(test::values(o2.g_gi) == test::values(o.g_gi));
}

// float32 on the GPU against the host loop (forward) and the GPU's float64 backward, which
// check_scan_f64 validates. Tolerances are those of f32 rounding through T steps, far below
// the O(0.1) errors a wrong index or derivative gives.
void check_scan_f32(const Scan& s) {
  INFO(describe(s) << " f32");
  Vec st, la;
  ref_forward(s, st, la);
  ScanOut o = gpu_scan(s, DType::F32), r = gpu_scan(s, DType::F64);
  REQUIRE_CLOSE(o.states, st, 1e-4, 1e-5);
  REQUIRE_CLOSE(o.last, la, 1e-4, 1e-5);
  require_padding_zero(s, o);
  for (const Input& in : scan_inputs(s)) {
    INFO("gradient of " << in.name);
    const Vec ref = test::values(r.*in.grad);
    double mx = 1.0;
    for (double v : ref) mx = std::max(mx, std::fabs(v));
    REQUIRE_CLOSE(o.*in.grad, ref, 1e-4, 1e-5 * mx);
  }
}

const RnnCell kCells[] = {RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru};
const GateLayout kLayouts[] = {GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear};

}  // namespace

TEST_CASE("cuda rnn_scan kernels: f64 vs host loop and elementwise finite differences", "[sequence][cuda]") {
  for (RnnCell cell : kCells)
    for (GateLayout layout : kLayouts)
      for (bool given : {true, false}) {
        check_scan_f64(make_scan(cell, layout, 7, 5, 5, given, given, 11), true);
        check_scan_f64(make_scan(cell, layout, 1, 1, 18, !given, given, 12), true);
        check_scan_f64(make_scan(cell, layout, 7, 6, 12, given, !given, 13), true);
      }
}

TEST_CASE("cuda rnn_scan kernels: f64 large shapes, shared and global W_hh, directional differences",
          "[sequence][cuda]") {
  struct Dims {
    int64_t B, T, H;
  };
  // H = 64: W_hh 96 KiB in shared memory; H = 100: 240 KB, the global-memory fallback;
  // B = 2500: several rows per block.
  const Dims dims[] = {{33, 17, 36}, {33, 17, 64}, {7, 5, 100}, {2500, 5, 18}, {2500, 3, 64}};
  for (RnnCell cell : kCells)
    for (GateLayout layout : kLayouts)
      for (const Dims& d : dims) check_scan_f64(make_scan(cell, layout, d.B, d.T, d.H, true, true, 21), false);
}

TEST_CASE("cuda rnn_scan kernels: f32 vs f64", "[sequence][cuda]") {
  struct Dims {
    int64_t B, T, H;
  };
  // H = 18: W_hh under 48 KiB; H = 64: 48 KiB + buffers, above the default limit (opt-in);
  // H = 128: 192 KiB; H = 160: 300 KiB, the global-memory fallback; B = 2500: several rows.
  const Dims dims[] = {{7, 5, 5}, {33, 17, 18}, {33, 17, 64}, {7, 5, 128}, {7, 17, 160}, {2500, 3, 64}};
  for (RnnCell cell : kCells)
    for (GateLayout layout : kLayouts)
      for (const Dims& d : dims) {
        check_scan_f32(make_scan(cell, layout, d.B, d.T, d.H, true, true, 31));
        check_scan_f32(make_scan(cell, layout, d.B, d.T, d.H, false, false, 32));
      }
}

TEST_CASE("cuda rnn_scan kernels: null g_states / g_last, no weight gradients, B = 0 and T = 0",
          "[sequence][cuda]") {
  Backend& be = backend_for(kGpu);
  const DType dt = DType::F64;
  Scan s = make_scan(RnnCell::AugruPaper, GateLayout::ResetBeforeLinear, 7, 5, 18, true, true, 41);
  // g_states = 0 and g_last = 0 must equal passing null for both.
  Scan z = s;
  std::fill(z.cs.begin(), z.cs.end(), 0.0);
  std::fill(z.cl.begin(), z.cl.end(), 0.0);
  ScanOut ref = gpu_scan(z, dt);
  const int64_t B = s.B, T = s.T, H = s.H;
  Tensor gi = upload(s.gi, Shape{B, T, 3 * H}, dt), len = upload_len(s.len);
  Tensor att = upload(s.att, Shape{B, T}, dt), h0 = upload(s.h0, Shape{B, H}, dt);
  Tensor w = upload(s.w, Shape{3 * H, H}, dt), b = upload(s.b, Shape{3 * H}, dt);
  Tensor g_gi = gpu_empty(Shape{B, T, 3 * H}, dt), g_h0 = gpu_empty(Shape{B, H}, dt);
  Tensor g_att = gpu_empty(Shape{B, T}, dt), g_w = gpu_empty(Shape{3 * H, H}, dt), g_b = gpu_empty(Shape{3 * H}, dt);
  be.rnn_scan_backward(s.cell, s.layout, gi, len, &att, &h0, w, &b, ref.states, ref.ws, nullptr, nullptr, g_gi, &g_h0,
                       &g_att, &g_w, &g_b);
  REQUIRE(test::values(g_gi) == test::values(ref.g_gi));
  REQUIRE(test::values(g_w) == Vec(3 * H * H, 0.0));
  REQUIRE(test::values(g_b) == Vec(3 * H, 0.0));
  REQUIRE(test::values(g_att) == Vec(B * T, 0.0));
  // Only g_gi asked for: same g_gi as with every output.
  ScanOut full = gpu_scan(s, dt);
  Tensor cs = upload(s.cs, Shape{B, T, H}, dt), cl = upload(s.cl, Shape{B, H}, dt);
  Tensor g_gi2 = gpu_empty(Shape{B, T, 3 * H}, dt);
  be.rnn_scan_backward(s.cell, s.layout, gi, len, &att, &h0, w, &b, full.states, full.ws, &cs, &cl, g_gi2, nullptr,
                       nullptr, nullptr, nullptr);
  REQUIRE(test::values(g_gi2) == test::values(full.g_gi));
  // T = 0: last = h0, g_h0 = g_last, weight gradients 0.
  {
    Tensor gi0 = gpu_empty(Shape{B, 0, 3 * H}, dt), att0 = gpu_empty(Shape{B, 0}, dt);
    Tensor len0 = upload_len(std::vector<int64_t>(B, 0));
    Tensor st = gpu_empty(Shape{B, 0, H}, dt), la = gpu_empty(Shape{B, H}, dt), ws = gpu_empty(Shape{B, 0, 4 * H}, dt);
    be.rnn_scan_forward(s.cell, s.layout, gi0, len0, &att0, &h0, w, &b, st, la, &ws);
    REQUIRE(test::values(la) == s.h0);
    Tensor gs = gpu_empty(Shape{B, 0, H}, dt), gg = gpu_empty(Shape{B, 0, 3 * H}, dt);
    Tensor gh = gpu_empty(Shape{B, H}, dt), ga = gpu_empty(Shape{B, 0}, dt);
    be.rnn_scan_backward(s.cell, s.layout, gi0, len0, &att0, &h0, w, &b, st, ws, &gs, &cl, gg, &gh, &ga, &g_w, &g_b);
    REQUIRE(test::values(gh) == s.cl);
    REQUIRE(test::values(g_w) == Vec(3 * H * H, 0.0));
    REQUIRE(test::values(g_b) == Vec(3 * H, 0.0));
  }
  // B = 0: nothing to do, no launch errors.
  {
    Tensor gi0 = gpu_empty(Shape{0, T, 3 * H}, dt), len0 = upload_len({}), h00 = gpu_empty(Shape{0, H}, dt);
    Tensor st = gpu_empty(Shape{0, T, H}, dt), la = gpu_empty(Shape{0, H}, dt), ws = gpu_empty(Shape{0, T, 4 * H}, dt);
    be.rnn_scan_forward(RnnCell::Gru, s.layout, gi0, len0, nullptr, nullptr, w, &b, st, la, &ws);
    Tensor gg = gpu_empty(Shape{0, T, 3 * H}, dt);
    be.rnn_scan_backward(RnnCell::Gru, s.layout, gi0, len0, nullptr, nullptr, w, &b, st, ws, nullptr, nullptr, gg,
                         nullptr, nullptr, &g_w, &g_b);
    REQUIRE(test::values(g_w) == Vec(3 * H * H, 0.0));
    cuda_synchronize();
  }
}

// ---- attention weights -----------------------------------------------------------------------

TEST_CASE("cuda attention kernels vs host loop", "[sequence][cuda]") {
  Backend& be = backend_for(kGpu);
  struct Dims {
    int64_t B, T;
  };
  const Dims dims[] = {{1, 1}, {7, 5}, {33, 17}, {65, 100}, {1000, 3}};
  for (DType dt : {DType::F64, DType::F32})
    for (bool normalize : {true, false})
      for (const Dims& d : dims) {
        INFO("B " << d.B << " T " << d.T << " normalize " << normalize << " " << dtype_name(dt));
        std::mt19937_64 rng(d.B * 131 + d.T);
        const std::vector<int64_t> len = mixed_lengths(d.B, d.T, d.B + d.T);
        const Vec sc = rand_vec(d.B * d.T, rng, -4.0, 4.0), gy = rand_vec(d.B * d.T, rng);
        Vec y(d.B * d.T, 0.0), gx(d.B * d.T, 0.0);
        for (int64_t b = 0; b < d.B; ++b) {
          const int64_t L = len[b], o = b * d.T;
          if (!normalize) {
            for (int64_t t = 0; t < L; ++t) y[o + t] = sc[o + t], gx[o + t] = gy[o + t];
            continue;
          }
          if (L == 0) continue;
          double m = sc[o], sum = 0.0, dot = 0.0;
          for (int64_t t = 0; t < L; ++t) m = std::max(m, sc[o + t]);
          for (int64_t t = 0; t < L; ++t) sum += std::exp(sc[o + t] - m);
          for (int64_t t = 0; t < L; ++t) y[o + t] = std::exp(sc[o + t] - m) / sum;
          for (int64_t t = 0; t < L; ++t) dot += gy[o + t] * y[o + t];
          for (int64_t t = 0; t < L; ++t) gx[o + t] = y[o + t] * (gy[o + t] - dot);
        }
        // Padded scores / gy are NaN on the device side: they must never be read.
        Vec scn = sc, gyn = gy;
        for (int64_t b = 0; b < d.B; ++b)
          for (int64_t t = len[b]; t < d.T; ++t) scn[b * d.T + t] = gyn[b * d.T + t] = std::nan("");
        Tensor s = upload(scn, Shape{d.B, d.T}, dt), g = upload(gyn, Shape{d.B, d.T}, dt), l = upload_len(len);
        Tensor yo = gpu_empty(Shape{d.B, d.T}, dt), gxo = gpu_empty(Shape{d.B, d.T}, dt);
        be.attention_forward(s, l, normalize, yo);
        const double rtol = dt == DType::F64 ? 1e-12 : 1e-5, atol = dt == DType::F64 ? 1e-14 : 1e-6;
        REQUIRE_CLOSE(yo, y, rtol, atol);
        be.attention_backward(upload(y, Shape{d.B, d.T}, dt), g, l, normalize, gxo);
        REQUIRE_CLOSE(gxo, gx, rtol, atol);
      }
}

// ---- auxiliary loss ---------------------------------------------------------------------------

TEST_CASE("cuda aux_bce kernels vs host loop", "[sequence][cuda]") {
  Backend& be = backend_for(kGpu);
  const double eps = 1e-7;
  struct Dims {
    int64_t B, P;
    bool no_pairs;
  };
  // 3000 x 50: many partial sums in the forward's first stage; no_pairs: every length <= 1.
  const Dims dims[] = {{1, 1, false}, {7, 4, false}, {33, 16, false}, {3000, 50, false}, {9, 6, true}, {0, 5, true}};
  for (DType dt : {DType::F64, DType::F32})
    for (const Dims& d : dims) {
      INFO("B " << d.B << " P " << d.P << " " << dtype_name(dt));
      std::mt19937_64 rng(d.B * 7 + d.P);
      std::vector<int64_t> len = mixed_lengths(d.B, d.P + 1, d.B + 5);
      if (d.no_pairs)
        for (int64_t b = 0; b < d.B; ++b) len[b] = b % 2;
      Vec pp = rand_vec(d.B * d.P, rng, 0.02, 0.98), pn = rand_vec(d.B * d.P, rng, 0.02, 0.98);
      // Some probabilities outside [eps, 1 - eps]: clamped, zero gradient.
      for (int64_t i = 0; i < d.B * d.P; i += 5) pp[i] = (i / 5) % 2 ? 0.0 : 1.0;
      for (int64_t i = 2; i < d.B * d.P; i += 7) pn[i] = (i / 7) % 2 ? 1e-9 : 1.0;
      const double lo = dt == DType::F32 ? static_cast<double>(static_cast<float>(eps)) : eps;
      const double hi = dt == DType::F32 ? static_cast<double>(static_cast<float>(1.0 - eps)) : 1.0 - eps;
      double sum = 0.0, n = 0.0;
      for (int64_t b = 0; b < d.B; ++b)
        for (int64_t t = 0; t < d.P; ++t)
          if (t < len[b] - 1) {
            const int64_t i = b * d.P + t;
            sum += -std::log(std::clamp(pp[i], lo, hi)) - std::log(1.0 - std::clamp(pn[i], lo, hi));
            n += 1;
          }
      const double loss = n > 0 ? sum / (2 * n) : 0.0, g = 0.75;
      Vec gp(d.B * d.P, 0.0), gn(d.B * d.P, 0.0);
      for (int64_t b = 0; b < d.B; ++b)
        for (int64_t t = 0; t < d.P; ++t) {
          const int64_t i = b * d.P + t;
          if (t >= len[b] - 1) continue;
          if (pp[i] >= lo && pp[i] <= hi) gp[i] = -g / (2 * n) / pp[i];
          if (pn[i] >= lo && pn[i] <= hi) gn[i] = g / (2 * n) / (1 - pn[i]);
        }
      Tensor tp = upload(pp, Shape{d.B, d.P}, dt), tn = upload(pn, Shape{d.B, d.P}, dt), l = upload_len(len);
      Tensor lo_t = gpu_empty(Shape{}, dt);
      be.aux_bce_forward(tp, tn, l, eps, lo_t);
      const double rtol = dt == DType::F64 ? 1e-12 : 1e-5;
      REQUIRE_CLOSE(lo_t, Vec{loss}, rtol, 1e-12);
      Tensor gpo = gpu_empty(Shape{d.B, d.P}, dt), gno = gpu_empty(Shape{d.B, d.P}, dt);
      be.aux_bce_backward(tp, tn, l, eps, upload(Vec{g}, Shape{}, dt), gpo, gno);
      REQUIRE_CLOSE(gpo, gp, rtol, 1e-12);
      REQUIRE_CLOSE(gno, gn, rtol, 1e-12);
      // Deterministic: the same bits again.
      Tensor lo2 = gpu_empty(Shape{}, dt);
      be.aux_bce_forward(tp, tn, l, eps, lo2);
      REQUIRE(test::values(lo2) == test::values(lo_t));
    }
}
