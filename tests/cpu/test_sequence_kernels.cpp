// SPDX-License-Identifier: MIT
// The fused sequence ops against their unfused twins and a naive reference:
//  - rnn_scan == rnn_scan_unfused for the outputs and EVERY gradient (x, att, h0, weights,
//    biases), every cell x layout, f64 (<= 1e-10) and f32 (<= 1e-5 rel), lengths mixing 0, 1,
//    T-1, T in unsorted order, B = 1, odd sizes and one larger case;
//  - the forward against plain loops written from the formulas of kernels/backend.h;
//  - padding invariance (garbage at padded steps changes nothing; gradients there are exactly 0);
//  - inference (NoGradGuard) == training outputs; an all-zero-lengths batch;
//  - kernels write every element of their outputs (NaN-poisoned before the call);
//  - errors name the op, the tensors and the bad row;
//  - attention_weights and aux_bce: fused == unfused, padding invariance, empty rows/batches.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "autograd/grad_mode.h"
#include "core/threads.h"
#include "kernels/cpu/isa/kernels.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::values;

namespace {

const char* layout_name(GateLayout l) {
  return l == GateLayout::LinearBeforeReset ? "linear-before-reset" : "reset-before-linear";
}

struct Case {
  int64_t B, T, D, H;
  std::vector<int64_t> len;
};

// Every case mixes lengths 0, 1, T-1 and T (where B allows) in unsorted order.
std::vector<Case> cases() {
  return {
      {1, 4, 3, 2, {4}},
      {1, 3, 2, 3, {0}},
      {1, 1, 1, 1, {1}},
      {7, 5, 3, 5, {0, 5, 1, 4, 5, 2, 3}},
      {4, 6, 2, 3, {5, 1, 6, 0}},
      {33, 17, 6, 18, {}},  // filled below
  };
}

std::vector<int64_t> lengths_of(const Case& c, Generator& g) {
  if (!c.len.empty()) return c.len;
  std::vector<int64_t> v(c.B);
  for (int64_t b = 0; b < c.B; ++b) v[b] = static_cast<int64_t>(g.randint(c.T + 1));
  v[3] = 0, v[10] = 1, v[17] = c.T - 1, v[29] = c.T, v[5] = c.T;
  return v;
}

// Inputs of one scan; leaves require grad. Undefined: att (Gru), h0/biases when not wanted.
struct Inputs {
  Tensor x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh;
  TensorList leaves() const { return {x, att, h0, w_ih, w_hh, b_ih, b_hh}; }
};
const char* kLeafNames[] = {"x", "att", "h0", "w_ih", "w_hh", "b_ih", "b_hh"};

Inputs make_inputs(RnnCell cell, const Case& c, const std::vector<int64_t>& len, bool with_h0, bool with_bias,
                   DType dt, Generator& g) {
  auto leaf = [&](const Shape& s, double lo, double hi) {
    return test::rand_tensor(s, g, dt, lo, hi).set_requires_grad();
  };
  Inputs in;
  const int64_t H = c.H;
  in.x = leaf({c.B, c.T, c.D}, -1, 1);
  in.lengths = from_vector(len, {c.B});
  if (cell != RnnCell::Gru) in.att = leaf({c.B, c.T}, 0.05, 0.95);
  if (with_h0) in.h0 = leaf({c.B, H}, -1, 1);
  in.w_ih = leaf({3 * H, c.D}, -0.8, 0.8);
  in.w_hh = leaf({3 * H, H}, -0.8, 0.8);
  if (with_bias) {
    in.b_ih = leaf({3 * H}, -0.5, 0.5);
    in.b_hh = leaf({3 * H}, -0.5, 0.5);
  }
  return in;
}

struct Result {
  Tensor states, last;
  TensorList grads;  // aligned with Inputs::leaves(); undefined where the leaf is
};

// Runs the scan, then backward of sum(states * ws) + sum(last * wl), and collects the grads.
Result run(bool fused, RnnCell cell, GateLayout layout, const Inputs& in, const Tensor& ws, const Tensor& wl) {
  for (const Tensor& t : in.leaves())
    if (t.defined()) Tensor(t).zero_grad();
  RnnOutput o = fused ? rnn_scan(cell, in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout)
                      : rnn_scan_unfused(cell, in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh,
                                         layout);
  add(sum(mul(o.states, ws)), sum(mul(o.last, wl))).backward();
  Result r{o.states.detach(), o.last.detach(), {}};
  for (const Tensor& t : in.leaves()) r.grads.push_back(t.defined() ? t.grad() : Tensor());
  return r;
}

// |a - b| <= rel * max(1, max |b|) elementwise (a tolerance relative to the tensor's scale).
void require_close_scaled(const Tensor& a, const Tensor& b, double rel, const std::string& what) {
  INFO(what);
  REQUIRE(a.defined());
  REQUIRE(b.defined());
  double scale = 1.0;
  for (double v : values(b)) scale = std::max(scale, std::fabs(v));
  REQUIRE_CLOSE(a, b, rel, rel * scale);
}

void require_same_results(const Result& f, const Result& u, double rel) {
  require_close_scaled(f.states, u.states, rel, "states");
  require_close_scaled(f.last, u.last, rel, "last");
  for (size_t i = 0; i < f.grads.size(); ++i) {
    if (!f.grads[i].defined() && !u.grads[i].defined()) continue;
    require_close_scaled(f.grads[i], u.grads[i], rel, std::string("gradient of ") + kLeafNames[i]);
  }
}

// ---- a naive forward, straight from the formulas in kernels/backend.h (plain doubles) ------
double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

void naive_forward(RnnCell cell, GateLayout layout, const Inputs& in, std::vector<double>& states,
                   std::vector<double>& last) {
  const int64_t B = in.x.size(0), T = in.x.size(1), D = in.x.size(2), H = in.w_hh.size(1);
  auto x = values(in.x), wi = values(in.w_ih), wh = values(in.w_hh);
  auto bi = in.b_ih.defined() ? values(in.b_ih) : std::vector<double>(3 * H, 0.0);
  auto bh = in.b_hh.defined() ? values(in.b_hh) : std::vector<double>(3 * H, 0.0);
  auto att = in.att.defined() ? values(in.att) : std::vector<double>(B * T, 0.0);
  auto len = in.lengths.to_vector<int64_t>();
  states.assign(B * T * H, 0.0);
  last.assign(B * H, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(H, 0.0);
    if (in.h0.defined()) {
      auto h0 = values(in.h0);
      for (int64_t j = 0; j < H; ++j) h[j] = h0[b * H + j];
    }
    for (int64_t t = 0; t < len[b]; ++t) {
      std::vector<double> gi(3 * H), gh(3 * H);
      for (int64_t k = 0; k < 3 * H; ++k) {
        gi[k] = bi[k];
        for (int64_t d = 0; d < D; ++d) gi[k] += wi[k * D + d] * x[(b * T + t) * D + d];
        gh[k] = bh[k];
        for (int64_t j = 0; j < H; ++j) gh[k] += wh[k * H + j] * h[j];
      }
      std::vector<double> hn(H);
      for (int64_t k = 0; k < H; ++k) {
        const double r = sigm(gi[k] + gh[k]), z = sigm(gi[H + k] + gh[H + k]);
        double n;
        if (layout == GateLayout::LinearBeforeReset) {
          n = std::tanh(gi[2 * H + k] + r * gh[2 * H + k]);
        } else {
          double acc = bh[2 * H + k];  // (r ⊙ h) W_hnᵀ + b_hn, with r of every unit j
          for (int64_t j = 0; j < H; ++j) acc += wh[(2 * H + k) * H + j] * sigm(gi[j] + gh[j]) * h[j];
          n = std::tanh(gi[2 * H + k] + acc);
        }
        const double a = att[b * T + t];
        switch (cell) {
          case RnnCell::Gru: hn[k] = z * h[k] + (1 - z) * n; break;
          case RnnCell::AugruPaper: hn[k] = (1 - a * z) * h[k] + a * z * n; break;
          case RnnCell::AugruReference: hn[k] = (1 - a) * z * h[k] + (1 - (1 - a) * z) * n; break;
          case RnnCell::Agru: hn[k] = (1 - a) * h[k] + a * n; break;
        }
      }
      h = hn;
      for (int64_t k = 0; k < H; ++k) states[(b * T + t) * H + k] = h[k];
    }
    for (int64_t k = 0; k < H; ++k) last[b * H + k] = h[k];
  }
}

}  // namespace

TEST_CASE("rnn_scan: forward matches a naive loop of the documented formulas", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  Generator g(8001);
  for (const Case& c : cases()) {
    const auto len = lengths_of(c, g);
    INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " B=" << c.B << " T=" << c.T << " H=" << c.H);
    Inputs in = make_inputs(cell, c, len, true, true, DType::F64, g);
    std::vector<double> st, la;
    naive_forward(cell, layout, in, st, la);
    RnnOutput o = rnn_scan(cell, in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
    REQUIRE_CLOSE(o.states, st, 1e-12, 1e-12);
    REQUIRE_CLOSE(o.last, la, 1e-12, 1e-12);
  }
}

TEST_CASE("rnn_scan: the two AUGRU forms and the layouts really differ", "[sequence][cpu]") {
  // Guards against a cell or layout silently mapped onto another.
  Generator g(8002);
  Case c{3, 4, 2, 3, {4, 2, 3}};
  Inputs in = make_inputs(RnnCell::AugruPaper, c, c.len, true, true, DType::F64, g);
  auto out = [&](RnnCell cell, GateLayout l) {
    return values(rnn_scan(cell, in.x, in.lengths, cell == RnnCell::Gru ? Tensor() : in.att, in.h0, in.w_ih,
                           in.w_hh, in.b_ih, in.b_hh, l)
                      .states);
  };
  auto maxdiff = [](const std::vector<double>& a, const std::vector<double>& b) {
    double m = 0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
  };
  const auto lbr = GateLayout::LinearBeforeReset, rbl = GateLayout::ResetBeforeLinear;
  CHECK(maxdiff(out(RnnCell::AugruPaper, lbr), out(RnnCell::AugruReference, lbr)) > 1e-3);
  CHECK(maxdiff(out(RnnCell::AugruPaper, lbr), out(RnnCell::Gru, lbr)) > 1e-3);
  CHECK(maxdiff(out(RnnCell::Agru, lbr), out(RnnCell::AugruPaper, lbr)) > 1e-3);
  CHECK(maxdiff(out(RnnCell::Gru, lbr), out(RnnCell::Gru, rbl)) > 1e-3);
}

TEST_CASE("rnn_scan: fused equals unfused, outputs and every gradient, f64", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  bool with_extras = GENERATE(true, false);  // h0 and biases defined or not
  Generator g(8003);
  for (const Case& c : cases()) {
    const auto len = lengths_of(c, g);
    INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " B=" << c.B << " T=" << c.T << " D=" << c.D
                             << " H=" << c.H << " h0/bias=" << with_extras);
    Inputs in = make_inputs(cell, c, len, with_extras, with_extras, DType::F64, g);
    Tensor ws = test::rand_tensor({c.B, c.T, c.H}, g), wl = test::rand_tensor({c.B, c.H}, g);
    Result f = run(true, cell, layout, in, ws, wl);
    Result u = run(false, cell, layout, in, ws, wl);
    require_same_results(f, u, 1e-10);
    if (cell == RnnCell::Agru) {
      // No update gate: the z rows of every weight and bias get exactly zero gradient.
      auto gw = values(f.grads[4]);
      for (int64_t k = c.H; k < 2 * c.H; ++k)
        for (int64_t j = 0; j < c.H; ++j) REQUIRE(gw[k * c.H + j] == 0.0);
      auto gwi = values(f.grads[3]);
      for (int64_t k = c.H; k < 2 * c.H; ++k)
        for (int64_t d = 0; d < c.D; ++d) REQUIRE(gwi[k * c.D + d] == 0.0);
    }
  }
}

TEST_CASE("rnn_scan: fused equals unfused, outputs and every gradient, f32", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  Generator g(8004);
  for (const Case& c : cases()) {
    const auto len = lengths_of(c, g);
    INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " B=" << c.B << " T=" << c.T << " H=" << c.H);
    Inputs in = make_inputs(cell, c, len, true, true, DType::F32, g);
    Tensor ws = test::rand_tensor({c.B, c.T, c.H}, g, DType::F32), wl = test::rand_tensor({c.B, c.H}, g, DType::F32);
    Result f = run(true, cell, layout, in, ws, wl);
    Result u = run(false, cell, layout, in, ws, wl);
    require_same_results(f, u, 1e-5);
  }
}

// The f32 scan runs on the vector kernels of the best instruction set (kernels/cpu/isa/), in row
// blocks of the pool: every instruction set this CPU runs against the f64 scan and against the
// portable "generic" one, batches of several blocks, H not a multiple of any vector width; and
// the thread count changes no bit.
TEST_CASE("rnn_scan f32: every instruction set against generic and f64; threads change no bit",
          "[sequence][cpu][isa]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  const char* isas[8];
  const int n_isa = std::min(8, isa::available_isas(isas, 8));
  const char* saved = std::getenv("DIEN_ISA");
  const std::string saved_isa = saved ? saved : "";
  Generator g(8011);
  for (Case c : std::vector<Case>{{70, 9, 5, 36, {}}, {41, 6, 3, 17, {}}, {7, 5, 3, 5, {0, 5, 1, 4, 5, 2, 3}}}) {
    std::vector<int64_t> len = c.len;
    if (len.empty()) {
      len.resize(c.B);
      for (auto& l : len) l = static_cast<int64_t>(g.randint(c.T + 1));
      len[0] = 0, len[1] = c.T, len[2] = 1;
    }
    INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " B=" << c.B << " T=" << c.T << " H=" << c.H);
    Inputs in64 = make_inputs(cell, c, len, true, true, DType::F64, g);
    Tensor ws64 = test::rand_tensor({c.B, c.T, c.H}, g), wl64 = test::rand_tensor({c.B, c.H}, g);
    const Result ref = run(true, cell, layout, in64, ws64, wl64);
    Inputs in = in64;
    for (Tensor* t : {&in.x, &in.att, &in.h0, &in.w_ih, &in.w_hh, &in.b_ih, &in.b_hh})
      if (t->defined()) *t = t->detach().to(DType::F32).set_requires_grad();
    const Tensor ws = ws64.to(DType::F32), wl = wl64.to(DType::F32);
    std::vector<Result> per_isa;
    for (int i = 0; i < n_isa; ++i) {
      INFO("isa " << isas[i]);
      setenv("DIEN_ISA", isas[i], 1);
      Result one, two;
      {
        ThreadScope t1(1);
        one = run(true, cell, layout, in, ws, wl);
      }
      {
        ThreadScope t2(2);
        two = run(true, cell, layout, in, ws, wl);
      }
      REQUIRE_CLOSE(two.states, one.states, 0, 0);
      REQUIRE_CLOSE(two.last, one.last, 0, 0);
      for (size_t k = 0; k < one.grads.size(); ++k)
        if (one.grads[k].defined()) REQUIRE_CLOSE(two.grads[k], one.grads[k], 0, 0);
      require_same_results(one, ref, 2e-5);
      per_isa.push_back(one);
    }
    // The last one is "generic", the portable code every CPU runs.
    REQUIRE(std::string(isas[n_isa - 1]) == "generic");
    for (int i = 0; i + 1 < n_isa; ++i) {
      INFO("isa " << isas[i] << " against generic");
      require_same_results(per_isa[static_cast<size_t>(i)], per_isa.back(), 2e-5);
    }
  }
  if (saved) setenv("DIEN_ISA", saved_isa.c_str(), 1);
  else unsetenv("DIEN_ISA");
}

TEST_CASE("aigru_scan: fused equals unfused and equals a GRU over att * x", "[sequence][cpu]") {
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  Generator g(8005);
  Case c{7, 5, 3, 5, {0, 5, 1, 4, 5, 2, 3}};
  Inputs in = make_inputs(RnnCell::AugruPaper, c, c.len, true, true, DType::F64, g);
  Tensor ws = test::rand_tensor({c.B, c.T, c.H}, g), wl = test::rand_tensor({c.B, c.H}, g);
  auto go = [&](bool fused) {
    for (const Tensor& t : in.leaves()) Tensor(t).zero_grad();
    RnnOutput o = aigru_scan(in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout, fused);
    add(sum(mul(o.states, ws)), sum(mul(o.last, wl))).backward();
    Result r{o.states.detach(), o.last.detach(), {}};
    for (const Tensor& t : in.leaves()) r.grads.push_back(t.grad());
    return r;
  };
  Result f = go(true), u = go(false);
  require_same_results(f, u, 1e-10);
  NoGradGuard ng;
  RnnOutput gru = rnn_scan(RnnCell::Gru, mul(in.x, unsqueeze(in.att, -1)), in.lengths, Tensor(), in.h0, in.w_ih,
                           in.w_hh, in.b_ih, in.b_hh, layout);
  REQUIRE_CLOSE(f.states, gru.states, 0, 0);
}

TEST_CASE("rnn_scan: garbage at padded steps changes nothing", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  INFO(rnn_cell_name(cell) << " " << layout_name(layout));
  Generator g(8006);
  Case c{7, 5, 3, 5, {0, 5, 1, 4, 5, 2, 3}};
  Inputs in = make_inputs(cell, c, c.len, true, true, DType::F64, g);
  Tensor ws = test::rand_tensor({c.B, c.T, c.H}, g), wl = test::rand_tensor({c.B, c.H}, g);
  Result clean = run(true, cell, layout, in, ws, wl);
  // Overwrite x and att at every padded step with large garbage.
  double* xp = in.x.data<double>();
  double* ap = in.att.defined() ? in.att.data<double>() : nullptr;
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = c.len[b]; t < c.T; ++t) {
      for (int64_t d = 0; d < c.D; ++d) xp[(b * c.T + t) * c.D + d] = 1e6 * (d % 2 ? -1 : 1) + 3.0 * t;
      if (ap) ap[b * c.T + t] = -7.5e5;
    }
  Result dirty = run(true, cell, layout, in, ws, wl);
  REQUIRE_CLOSE(dirty.states, clean.states, 0, 0);
  REQUIRE_CLOSE(dirty.last, clean.last, 0, 0);
  for (size_t i = 0; i < clean.grads.size(); ++i) {
    if (!clean.grads[i].defined()) continue;
    INFO("gradient of " << kLeafNames[i]);
    REQUIRE_CLOSE(dirty.grads[i], clean.grads[i], 0, 0);
  }
  // Gradients at padded positions are exactly 0.
  auto gx = values(dirty.grads[0]);
  auto ga = ap ? values(dirty.grads[1]) : std::vector<double>();
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = c.len[b]; t < c.T; ++t) {
      for (int64_t d = 0; d < c.D; ++d) REQUIRE(gx[(b * c.T + t) * c.D + d] == 0.0);
      if (ap) REQUIRE(ga[b * c.T + t] == 0.0);
    }
  // And the states there are exactly 0.
  auto st = values(dirty.states);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t t = c.len[b]; t < c.T; ++t)
      for (int64_t k = 0; k < c.H; ++k) REQUIRE(st[(b * c.T + t) * c.H + k] == 0.0);
}

TEST_CASE("rnn_scan: inference output equals training output", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(8007);
  Case c{33, 17, 6, 18, {}};
  const auto len = lengths_of(c, g);
  Inputs in = make_inputs(cell, c, len, true, true, dt, g);
  RnnOutput train = rnn_scan(cell, in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
  REQUIRE(train.states.requires_grad());
  NoGradGuard ng;
  RnnOutput inf = rnn_scan(cell, in.x, in.lengths, in.att, in.h0, in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
  REQUIRE_FALSE(inf.states.requires_grad());
  REQUIRE_CLOSE(inf.states, train.states, 0, 0);
  REQUIRE_CLOSE(inf.last, train.last, 0, 0);
}

TEST_CASE("rnn_scan: a batch where every length is 0", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  Generator g(8008);
  Case c{3, 4, 2, 3, {0, 0, 0}};
  Inputs in = make_inputs(cell, c, c.len, true, true, DType::F64, g);
  Tensor ws = test::rand_tensor({c.B, c.T, c.H}, g), wl = test::rand_tensor({c.B, c.H}, g);
  Result f = run(true, cell, layout, in, ws, wl);
  Result u = run(false, cell, layout, in, ws, wl);
  require_same_results(f, u, 1e-12);
  for (double v : values(f.states)) REQUIRE(v == 0.0);
  REQUIRE_CLOSE(f.last, in.h0, 0, 0);            // last = h0
  REQUIRE_CLOSE(f.grads[2], wl, 0, 0);           // g_h0 = g_last
  for (double v : values(f.grads[4])) REQUIRE(v == 0.0);  // no step ran: g_w_hh = 0
  for (double v : values(f.grads[0])) REQUIRE(v == 0.0);  // g_x = 0
  // Without h0: last is zeros.
  RnnOutput o = rnn_scan(cell, in.x, in.lengths, in.att, Tensor(), in.w_ih, in.w_hh, in.b_ih, in.b_hh, layout);
  for (double v : values(o.last)) REQUIRE(v == 0.0);
}

TEST_CASE("rnn_scan kernels: every output element is written", "[sequence][cpu]") {
  RnnCell cell = GENERATE(RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru);
  GateLayout layout = GENERATE(GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear);
  DType dt = GENERATE(DType::F32, DType::F64);
  INFO(rnn_cell_name(cell) << " " << layout_name(layout) << " " << dtype_name(dt));
  Generator g(8009);
  const int64_t B = 7, T = 5, H = 5;
  const std::vector<int64_t> len{0, 5, 1, 4, 5, 2, 3};
  Backend& be = backend_for(Device::cpu());
  Tensor lengths = from_vector(len, {B});
  Tensor gi = test::rand_tensor({B, T, 3 * H}, g, dt);
  Tensor att = cell == RnnCell::Gru ? Tensor() : test::rand_tensor({B, T}, g, dt, 0.05, 0.95);
  Tensor h0 = test::rand_tensor({B, H}, g, dt), w_hh = test::rand_tensor({3 * H, H}, g, dt);
  Tensor b_hh = test::rand_tensor({3 * H}, g, dt);
  const Tensor* ap = att.defined() ? &att : nullptr;
  Tensor states = poisoned({B, T, H}, dt), last = poisoned({B, H}, dt), ws = poisoned({B, T, 4 * H}, dt);
  be.rnn_scan_forward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, last, &ws);
  for (double v : values(states)) REQUIRE(std::isfinite(v));
  for (double v : values(last)) REQUIRE(std::isfinite(v));
  // The workspace's layout is the backend's own (float64: row b, step t at [b, t]; float32:
  // compact): one whole row of 4H gates per valid step is written, and nothing else.
  auto wv = values(ws);
  int64_t written = 0, valid = 0;
  for (int64_t b = 0; b < B; ++b) valid += len[b];
  for (int64_t r = 0; r < B * T; ++r) {
    int64_t finite = 0;
    for (int64_t k = 0; k < 4 * H; ++k) finite += std::isfinite(wv[r * 4 * H + k]) ? 1 : 0;
    REQUIRE((finite == 0 || finite == 4 * H));
    written += finite == 4 * H ? 1 : 0;
  }
  REQUIRE(written == valid);
  // Inference path (no workspace) gives the same outputs.
  Tensor s2 = poisoned({B, T, H}, dt), l2 = poisoned({B, H}, dt);
  be.rnn_scan_forward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, s2, l2, nullptr);
  REQUIRE_CLOSE(s2, states, 0, 0);
  REQUIRE_CLOSE(l2, last, 0, 0);

  Tensor gs = test::rand_tensor({B, T, H}, g, dt), gl = test::rand_tensor({B, H}, g, dt);
  Tensor g_gi = poisoned({B, T, 3 * H}, dt), g_h0 = poisoned({B, H}, dt), g_att = poisoned({B, T}, dt);
  Tensor g_whh = poisoned({3 * H, H}, dt), g_bhh = poisoned({3 * H}, dt);
  be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, &gs, &gl, g_gi, &g_h0,
                       ap ? &g_att : nullptr, &g_whh, &g_bhh);
  for (const Tensor* t : {&g_gi, &g_h0, &g_whh, &g_bhh})
    for (double v : values(*t)) REQUIRE(std::isfinite(v));
  if (ap)
    for (double v : values(g_att)) REQUIRE(std::isfinite(v));

  SECTION("padded entries of g_states are never read") {
    std::vector<double> gv = values(gs);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = len[b]; t < T; ++t)
        for (int64_t k = 0; k < H; ++k) gv[(b * T + t) * H + k] = std::nan("");
    Tensor gs_nan = from_vector(gv, {B, T, H}).to(dt);
    REQUIRE_FALSE(std::isfinite(values(gs_nan)[(0 * T + 0) * H]));  // row 0 has length 0
    Tensor g_gi2 = poisoned({B, T, 3 * H}, dt), g_h02 = poisoned({B, H}, dt);
    Tensor g_whh2 = poisoned({3 * H, H}, dt), g_bhh2 = poisoned({3 * H}, dt);
    be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, &gs_nan, &gl, g_gi2, &g_h02,
                         nullptr, &g_whh2, &g_bhh2);
    REQUIRE_CLOSE(g_gi2, g_gi, 0, 0);
    REQUIRE_CLOSE(g_h02, g_h0, 0, 0);
    REQUIRE_CLOSE(g_whh2, g_whh, 0, 0);
    REQUIRE_CLOSE(g_bhh2, g_bhh, 0, 0);
  }

  SECTION("null g_states / g_last read as zeros") {
    Tensor zs = zeros({B, T, H}, dt), zl = zeros({B, H}, dt);
    Tensor a1 = poisoned({B, T, 3 * H}, dt), a2 = poisoned({B, T, 3 * H}, dt);
    Tensor h1 = poisoned({B, H}, dt), h2 = poisoned({B, H}, dt);
    be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, nullptr, &gl, a1, &h1,
                         nullptr, nullptr, nullptr);
    be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, &zs, &gl, a2, &h2, nullptr,
                         nullptr, nullptr);
    REQUIRE_CLOSE(a1, a2, 0, 0);
    REQUIRE_CLOSE(h1, h2, 0, 0);
    be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, &gs, nullptr, a1, &h1,
                         nullptr, nullptr, nullptr);
    be.rnn_scan_backward(cell, layout, gi, lengths, ap, &h0, w_hh, &b_hh, states, ws, &gs, &zl, a2, &h2, nullptr,
                         nullptr, nullptr);
    REQUIRE_CLOSE(a1, a2, 0, 0);
    REQUIRE_CLOSE(h1, h2, 0, 0);
  }
}

TEST_CASE("rnn_scan: errors name the op, the tensors and the bad row", "[sequence][cpu]") {
  Generator g(8010);
  const int64_t B = 3, T = 4, D = 2, H = 3;
  Tensor x = test::rand_tensor({B, T, D}, g), att = test::rand_tensor({B, T}, g, DType::F64, 0.1, 0.9);
  Tensor w_ih = test::rand_tensor({3 * H, D}, g), w_hh = test::rand_tensor({3 * H, H}, g);
  Tensor len = from_vector<int64_t>({2, 4, 1}, {B});
  using test::require_error;
  require_error([&] { rnn_scan(RnnCell::Gru, x, from_vector<int64_t>({2, 9, 1}, {B}), {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "length 9", "row 1", "[0, T] = [0, 4]"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, from_vector<int32_t>({-1, 2, 1}, {B}), {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "length -1", "row 0"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, from_vector<int64_t>({2, 1}, {2}), {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "lengths", "[2] i64 cpu", "[B] = [3]"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, from_vector<float>({2, 1, 1}, {B}), {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "i32 or i64", "[3] f32 cpu"});
  require_error([&] { rnn_scan(RnnCell::AugruPaper, x, len, {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "att", "required", "augru(paper)"});
  require_error([&] { rnn_scan(RnnCell::Agru, x, len, {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "att", "required", "agru"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, att, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "att must be undefined", "gru", "[3, 4] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::AugruReference, x, len, test::rand_tensor({B, T + 1}, g), {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "att must have shape [3, 4]", "[3, 5] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, {}, {}, test::rand_tensor({3 * H, D + 1}, g), w_hh, {}, {}); },
                {"rnn_scan", "w_ih must have shape [9, 2]", "[9, 3] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, {}, {}, w_ih, test::rand_tensor({3 * H, H + 1}, g), {}, {}); },
                {"rnn_scan", "w_hh must be [3H, H]", "[9, 4] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, {}, {}, w_ih, w_hh, test::rand_tensor({2 * H}, g), {}); },
                {"rnn_scan", "b_ih must have shape [9]", "[6] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, {}, test::rand_tensor({B, H + 1}, g), w_ih, w_hh, {}, {}); },
                {"rnn_scan", "h0 must have shape [3, 3]", "[3, 4] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, test::rand_tensor({B, D}, g), len, {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan", "x must be 3-D", "[3, 2] f64 cpu"});
  require_error([&] { rnn_scan(RnnCell::Gru, x, len, {}, {}, w_ih.to(DType::F32), w_hh, {}, {}); },
                {"rnn_scan", "dtypes differ", "f32"});
  require_error([&] { rnn_scan_unfused(RnnCell::Gru, x, from_vector<int64_t>({2, 5, 1}, {B}), {}, {}, w_ih, w_hh, {}, {}); },
                {"rnn_scan_unfused", "length 5", "row 1"});
  require_error([&] { aigru_scan(x, len, {}, {}, w_ih, w_hh, {}, {}); }, {"aigru_scan", "att", "required"});
}

// ---- attention weights -----------------------------------------------------------------------

TEST_CASE("attention_weights: fused equals unfused, values and gradients", "[sequence][cpu]") {
  bool normalize = GENERATE(true, false);
  DType dt = GENERATE(DType::F32, DType::F64);
  INFO("normalize=" << normalize << " " << dtype_name(dt));
  Generator g(8101);
  const double tol = dt == DType::F64 ? 1e-12 : 1e-6;
  for (auto [B, T] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 7}, {33, 17}}) {
    std::vector<int64_t> len(B);
    for (int64_t b = 0; b < B; ++b) len[b] = static_cast<int64_t>(g.randint(T + 1));
    len[0] = T;
    if (B > 2) len[1] = 0, len[2] = 1;
    Tensor lengths = from_vector(len, {B});
    Tensor s1 = test::rand_tensor({B, T}, g, dt, -3, 3).set_requires_grad();
    Tensor s2 = s1.detach().clone().set_requires_grad();
    Tensor w = test::rand_tensor({B, T}, g, dt, -2, 2);
    Tensor y1 = attention_weights(s1, lengths, normalize), y2 = attention_weights_unfused(s2, lengths, normalize);
    REQUIRE_CLOSE(y1, y2, tol, tol);
    sum(mul(y1, w)).backward();
    sum(mul(y2, w)).backward();
    REQUIRE_CLOSE(s1.grad(), s2.grad(), tol, tol);
    // A length-0 row is all zeros; normalized rows sum to 1.
    auto yv = values(y1);
    for (int64_t b = 0; b < B; ++b) {
      double rs = 0;
      for (int64_t t = 0; t < T; ++t) rs += yv[b * T + t];
      if (len[b] == 0) REQUIRE(rs == 0.0);
      else if (normalize) REQUIRE(std::fabs(rs - 1.0) < 1e-5);
    }
  }
}

TEST_CASE("attention_weights: padded scores never matter; kernels write every element", "[sequence][cpu]") {
  bool normalize = GENERATE(true, false);
  Generator g(8102);
  const int64_t B = 4, T = 5;
  std::vector<int64_t> len{2, 0, 5, 1};
  Tensor lengths = from_vector(len, {B});
  Tensor s = test::rand_tensor({B, T}, g, DType::F64, -2, 2).set_requires_grad();
  Tensor w = test::rand_tensor({B, T}, g);
  Tensor y = attention_weights(s, lengths, normalize);
  sum(mul(y, w)).backward();
  Tensor gclean = s.grad();
  s.zero_grad();
  double* sp = s.data<double>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = len[b]; t < T; ++t) sp[b * T + t] = 1e30 * (t % 2 ? -1 : 1);
  Tensor y2 = attention_weights(s, lengths, normalize);
  sum(mul(y2, w)).backward();
  REQUIRE_CLOSE(y2, y, 0, 0);
  REQUIRE_CLOSE(s.grad(), gclean, 0, 0);
  auto gv = values(s.grad());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = len[b]; t < T; ++t) REQUIRE(gv[b * T + t] == 0.0);
  // Kernel level: poisoned outputs are fully written.
  Backend& be = backend_for(Device::cpu());
  Tensor yk = poisoned({B, T}, DType::F64), gk = poisoned({B, T}, DType::F64);
  be.attention_forward(s.detach(), lengths, normalize, yk);
  REQUIRE_CLOSE(yk, y, 0, 0);
  be.attention_backward(yk, w, lengths, normalize, gk);
  REQUIRE_CLOSE(gk, gclean, 0, 0);
}

TEST_CASE("attention_weights: errors name the op and the bad row", "[sequence][cpu]") {
  Generator g(8103);
  Tensor s = test::rand_tensor({3, 4}, g);
  test::require_error([&] { attention_weights(s, from_vector<int64_t>({1, 5, 2}, {3})); },
                      {"attention_weights", "length 5", "row 1"});
  test::require_error([&] { attention_weights(test::rand_tensor({3}, g), from_vector<int64_t>({1, 1, 2}, {3})); },
                      {"attention_weights", "2-D", "[3] f64 cpu"});
  test::require_error([&] { attention_weights_unfused(s, from_vector<int64_t>({1, 2}, {2})); },
                      {"attention_weights_unfused", "[B] = [3]"});
}

// ---- auxiliary loss --------------------------------------------------------------------------

TEST_CASE("aux_bce: fused equals unfused, values and gradients", "[sequence][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(8201);
  const double tol = dt == DType::F64 ? 1e-12 : 1e-5;
  for (auto [B, P] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {6, 4}, {33, 16}}) {
    std::vector<int64_t> len(B);
    for (int64_t b = 0; b < B; ++b) len[b] = static_cast<int64_t>(g.randint(P + 2));
    len[0] = P + 1;
    if (B > 3) len[1] = 0, len[2] = 1, len[3] = 2;
    INFO("B=" << B << " P=" << P << " " << dtype_name(dt));
    Tensor lengths = from_vector(len, {B});
    Tensor p1 = test::rand_tensor({B, P}, g, dt, 0.02, 0.98).set_requires_grad();
    Tensor n1 = test::rand_tensor({B, P}, g, dt, 0.02, 0.98).set_requires_grad();
    Tensor p2 = p1.detach().clone().set_requires_grad(), n2 = n1.detach().clone().set_requires_grad();
    Tensor l1 = aux_bce(p1, n1, lengths), l2 = aux_bce_unfused(p2, n2, lengths);
    REQUIRE(l1.shape() == Shape{});
    REQUIRE_CLOSE(l1, l2, tol, tol);
    mul(l1, 1.7).backward();
    mul(l2, 1.7).backward();
    REQUIRE_CLOSE(p1.grad(), p2.grad(), tol, tol);
    REQUIRE_CLOSE(n1.grad(), n2.grad(), tol, tol);
    // A direct check of the value: mean of the 2n BCE terms.
    auto pv = values(p1), nv = values(n1);
    double acc = 0;
    int64_t n = 0;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < std::min(len[b] - 1, P); ++t, ++n)
        acc += -std::log(pv[b * P + t]) - std::log(1 - nv[b * P + t]);
    REQUIRE_CLOSE(l1, std::vector<double>{acc / (2.0 * n)}, dt == DType::F64 ? 1e-12 : 1e-5, 0);
  }
}

TEST_CASE("aux_bce: no valid pair, padding and clamping", "[sequence][cpu]") {
  Generator g(8202);
  const int64_t B = 4, P = 3;
  Tensor pp = test::rand_tensor({B, P}, g, DType::F64, 0.05, 0.95).set_requires_grad();
  Tensor pn = test::rand_tensor({B, P}, g, DType::F64, 0.05, 0.95).set_requires_grad();
  SECTION("no valid pair: loss 0 and zero gradients") {
    Tensor none = from_vector<int32_t>({0, 1, 1, 0}, {B});
    Tensor l = aux_bce(pp, pn, none);
    REQUIRE(l.item() == 0.0);
    l.backward();
    for (double v : values(pp.grad())) REQUIRE(v == 0.0);
    for (double v : values(pn.grad())) REQUIRE(v == 0.0);
    REQUIRE(aux_bce_unfused(pp, pn, none).item() == 0.0);
  }
  SECTION("values at invalid pairs never matter") {
    std::vector<int64_t> len{4, 2, 0, 3};
    Tensor lengths = from_vector(len, {B});
    Tensor l = aux_bce(pp, pn, lengths);
    l.backward();
    Tensor gp = pp.grad(), gn = pn.grad();
    pp.zero_grad();
    pn.zero_grad();
    double* a = pp.data<double>();
    double* c = pn.data<double>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = std::max<int64_t>(len[b] - 1, 0); t < P; ++t) a[b * P + t] = -5.0, c[b * P + t] = 7.0;
    Tensor l2 = aux_bce(pp, pn, lengths);
    l2.backward();
    REQUIRE(l2.item() == l.item());
    REQUIRE_CLOSE(pp.grad(), gp, 0, 0);
    REQUIRE_CLOSE(pn.grad(), gn, 0, 0);
    auto gv = values(pp.grad());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = std::max<int64_t>(len[b] - 1, 0); t < P; ++t) REQUIRE(gv[b * P + t] == 0.0);
  }
  SECTION("clamped probabilities: finite loss, zero gradient there") {
    Tensor p = from_vector<double>({0.0, 0.5, 1.0}, {1, 3}).set_requires_grad();
    Tensor q = from_vector<double>({1.0, 0.5, 0.0}, {1, 3}).set_requires_grad();
    Tensor l = aux_bce(p, q, from_vector<int64_t>({4}, {1}));
    REQUIRE(std::isfinite(l.item()));
    l.backward();
    auto gp = values(p.grad()), gq = values(q.grad());
    REQUIRE(gp[0] == 0.0);
    REQUIRE(gq[0] == 0.0);
    REQUIRE(gp[1] != 0.0);
    REQUIRE_CLOSE(l, aux_bce_unfused(p.detach(), q.detach(), from_vector<int64_t>({4}, {1})), 1e-12, 0);
  }
  SECTION("kernels write every element; errors") {
    Backend& be = backend_for(Device::cpu());
    Tensor lengths = from_vector<int64_t>({4, 2, 0, 3}, {B});
    Tensor loss = poisoned({}, DType::F64), g1 = poisoned({B, P}, DType::F64), g2 = poisoned({B, P}, DType::F64);
    be.aux_bce_forward(pp.detach(), pn.detach(), lengths, 1e-7, loss);
    REQUIRE(std::isfinite(loss.item()));
    be.aux_bce_backward(pp.detach(), pn.detach(), lengths, 1e-7, scalar_tensor(1.0, DType::F64), g1, g2);
    for (double v : values(g1)) REQUIRE(std::isfinite(v));
    for (double v : values(g2)) REQUIRE(std::isfinite(v));
    test::require_error([&] { aux_bce(pp, pn, from_vector<int64_t>({4, 5, 0, 1}, {B})); },
                        {"aux_bce", "length 5", "row 1", "P + 1"});
    test::require_error([&] { aux_bce(pp, test::rand_tensor({B, P + 1}, g), lengths); },
                        {"aux_bce", "p_neg", "[4, 4] f64 cpu"});
  }
}
