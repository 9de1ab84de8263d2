// SPDX-License-Identifier: MIT
// CPU-versus-CUDA parity of the sequence ops (autograd/ops/rnn_scan.cpp, rnn_scan_unfused.cpp,
// attention.cpp, aux_loss.cpp; kernels in kernels/{cpu,cuda}/{rnn_scan,attention,aux_loss}):
//   - rnn_scan, every cell x both gate layouts, h0 / biases given and undefined, lengths mixing
//     0, 1, T-1 and T in any order; B in {1, 7, 33}, T in {1, 5, 17}, D in {3, 18},
//     H in {5, 18, 36, 64}, f32 H = 160 and f64 H = 100 (W_hh too big for shared memory: the
//     global-memory fallback), f32 and f64; outputs and the gradients of every input;
//   - fused vs unfused on the GPU (rnn_scan vs rnn_scan_unfused, aigru_scan fused vs not);
//   - inference (NoGradGuard) gives the training outputs;
//   - attention_weights (normalised or not) and aux_bce, with length-0 rows and batches
//     without a valid pair.
// Kernel-level checks against host loops and finite differences: test_sequence_kernels.cpp.
//
// Tolerances. f64: 1e-10. f32: rtol 1e-5 and atol 1e-6 for attention and aux_bce; for the scans
// atol 1e-5 times the tensor's magnitude (max(1, max |x|)), because the weight and bias
// gradients are sums over all B·T steps (up to 561 here) in different orders on the two sides
// (the CPU's vector kernels vs cuBLAS), each term carrying the recurrence's own ~1e-6 relative
// f32 error: entries that cancel to near zero keep the absolute error of the large ones (a flat
// atol failed on the CPU side's own rounding: docs/cuda.md, "Tests and the GPU check"). A wrong
// index or derivative gives errors of order 0.1.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "autograd/grad_mode.h"
#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::require_parity;

namespace {

const Device kGpu = Device::cuda(0);

Tensor lengths_tensor(int64_t B, int64_t T, uint64_t seed) {
  std::vector<int64_t> len(B);
  const int64_t base[] = {T, 0, 1, T - 1, T, T / 2};
  for (int64_t b = 0; b < B; ++b) len[b] = b < 6 ? base[b] : (b * 7 + 3) % (T + 1);
  if (B == 1) len[0] = T;
  std::mt19937_64 rng(seed);
  std::shuffle(len.begin(), len.end(), rng);
  return from_vector<int64_t>(len, Shape{B});
}

// Runs fa and fb on the same GPU inputs, then compares outputs and input gradients.
void require_same_on_gpu(const std::function<TensorList(const TensorList&)>& fa,
                         const std::function<TensorList(const TensorList&)>& fb, const TensorList& inputs, double rtol,
                         double atol) {
  TensorList ia, ib;
  for (const auto& x : inputs) {
    ia.push_back(x.defined() ? test::fresh_leaf(x, kGpu) : Tensor());
    ib.push_back(x.defined() ? test::fresh_leaf(x, kGpu) : Tensor());
  }
  TensorList oa = fa(ia), ob = fb(ib);
  REQUIRE(oa.size() == ob.size());
  Generator g(7);
  Tensor la, lb;
  for (size_t i = 0; i < oa.size(); ++i) {
    INFO("output " << i);
    REQUIRE_CLOSE(oa[i], ob[i], rtol, atol);
    Tensor w = uniform(oa[i].shape(), 0.5, 1.5, g, oa[i].dtype()).to(kGpu);
    Tensor ta = sum(mul(oa[i], w)), tb = sum(mul(ob[i], w));
    la = la.defined() ? add(la, ta) : ta;
    lb = lb.defined() ? add(lb, tb) : tb;
  }
  la.backward();
  lb.backward();
  for (size_t i = 0; i < ia.size(); ++i) {
    if (!ia[i].defined() || !ia[i].requires_grad()) continue;
    INFO("gradient of input " << i);
    REQUIRE(ia[i].grad().defined() == ib[i].grad().defined());
    if (ia[i].grad().defined()) REQUIRE_CLOSE(ia[i].grad(), ib[i].grad(), rtol, atol);
  }
}

struct Dims {
  int64_t B, T, D, H;
  DType dt;
};
// Every B, T, D and H value of the brief at least once; 160 (f32) and 100 (f64) take the
// global-memory path for W_hh; 64 (f32) is just over the 48 KiB default shared-memory limit.
const Dims kDims[] = {{1, 1, 3, 5, DType::F32},    {7, 5, 18, 18, DType::F32},  {33, 17, 3, 36, DType::F32},
                      {33, 17, 18, 64, DType::F32}, {7, 5, 3, 160, DType::F32},  {1, 5, 18, 5, DType::F64},
                      {33, 17, 18, 64, DType::F64}, {7, 17, 3, 100, DType::F64}};
const RnnCell kCells[] = {RnnCell::Gru, RnnCell::AugruPaper, RnnCell::AugruReference, RnnCell::Agru};
const GateLayout kLayouts[] = {GateLayout::LinearBeforeReset, GateLayout::ResetBeforeLinear};

struct Tol {
  double rtol, atol;
};
Tol scan_tol(DType dt) { return dt == DType::F64 ? Tol{1e-10, 1e-10} : Tol{1e-5, 1e-5}; }
Tol tol(DType dt) { return dt == DType::F64 ? Tol{1e-10, 1e-10} : Tol{1e-5, 1e-6}; }

// x, lengths, att, h0, w_ih, w_hh, b_ih, b_hh (h0 and biases undefined unless `given`).
TensorList scan_inputs(const Dims& d, bool attn, bool given, uint64_t seed) {
  Generator g(seed);
  const double s = 1.0 / std::sqrt(static_cast<double>(d.H));
  auto param = [&](const Shape& sh, double lo, double hi) {
    return test::rand_tensor(sh, g, d.dt, lo, hi, 0.0).set_requires_grad();
  };
  Tensor x = param({d.B, d.T, d.D}, -1.0, 1.0);
  Tensor len = lengths_tensor(d.B, d.T, seed);
  Tensor att = attn ? param({d.B, d.T}, 0.05, 0.95) : Tensor();
  Tensor h0 = given ? param({d.B, d.H}, -1.0, 1.0) : Tensor();
  Tensor w_ih = param({3 * d.H, d.D}, -s, s), w_hh = param({3 * d.H, d.H}, -s, s);
  Tensor b_ih = given ? param({3 * d.H}, -s, s) : Tensor(), b_hh = given ? param({3 * d.H}, -s, s) : Tensor();
  return {x, len, att, h0, w_ih, w_hh, b_ih, b_hh};
}

std::function<TensorList(const TensorList&)> scan_fn(RnnCell cell, GateLayout layout, bool fused) {
  return [=](const TensorList& in) {
    RnnOutput o = fused ? rnn_scan(cell, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], layout)
                        : rnn_scan_unfused(cell, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], layout);
    return TensorList{o.states, o.last};
  };
}

}  // namespace

TEST_CASE("cuda parity: rnn_scan, every cell and gate layout", "[sequence][cuda]") {
  for (const Dims& d : kDims)
    for (RnnCell cell : kCells)
      for (GateLayout layout : kLayouts)
        for (bool given : {true, false}) {
          INFO(rnn_cell_name(cell) << (layout == GateLayout::LinearBeforeReset ? " LinearBeforeReset" : " ResetBeforeLinear")
                                   << " B " << d.B << " T " << d.T << " D " << d.D << " H " << d.H << " "
                                   << dtype_name(d.dt) << (given ? " h0+biases" : " no h0/biases"));
          const Tol t = scan_tol(d.dt);
          require_parity(scan_fn(cell, layout, true), scan_inputs(d, cell != RnnCell::Gru, given, 100 + d.H), t.rtol,
                         t.atol, 99, true);
        }
}

TEST_CASE("cuda: fused rnn_scan equals rnn_scan_unfused on the GPU", "[sequence][cuda]") {
  for (const Dims& d : {kDims[1], kDims[3], kDims[4], kDims[6]})
    for (RnnCell cell : kCells)
      for (GateLayout layout : kLayouts) {
        INFO(rnn_cell_name(cell) << " layout " << static_cast<int>(layout) << " H " << d.H << " " << dtype_name(d.dt));
        const Tol t = scan_tol(d.dt);
        require_same_on_gpu(scan_fn(cell, layout, true), scan_fn(cell, layout, false),
                            scan_inputs(d, cell != RnnCell::Gru, true, 200 + d.H), t.rtol, t.atol);
      }
}

TEST_CASE("cuda: rnn_scan in inference (NoGradGuard) gives the training outputs", "[sequence][cuda]") {
  for (const Dims& d : {kDims[2], kDims[4], kDims[6]})
    for (RnnCell cell : kCells)
      for (GateLayout layout : kLayouts) {
        INFO(rnn_cell_name(cell) << " layout " << static_cast<int>(layout) << " H " << d.H << " " << dtype_name(d.dt));
        TensorList in;
        for (const Tensor& x : scan_inputs(d, cell != RnnCell::Gru, true, 300))
          in.push_back(x.defined() ? test::fresh_leaf(x, kGpu) : Tensor());  // att is undefined for Gru
        TensorList train = scan_fn(cell, layout, true)(in);
        REQUIRE(train[0].requires_grad());
        TensorList infer;
        {
          NoGradGuard no_grad;
          infer = scan_fn(cell, layout, true)(in);
        }
        REQUIRE_FALSE(infer[0].requires_grad());
        // Same kernel, same operands, no workspace: the same bits.
        REQUIRE_CLOSE(infer[0], train[0], 0.0, 0.0);
        REQUIRE_CLOSE(infer[1], train[1], 0.0, 0.0);
      }
}

TEST_CASE("cuda parity: aigru_scan, fused and unfused", "[sequence][cuda]") {
  for (const Dims& d : {kDims[1], kDims[3], kDims[6]})
    for (GateLayout layout : kLayouts)
      for (bool fused : {true, false}) {
        INFO("aigru layout " << static_cast<int>(layout) << " fused " << fused << " H " << d.H << " "
                             << dtype_name(d.dt));
        const Tol t = scan_tol(d.dt);
        auto fn = [=](const TensorList& in) {
          RnnOutput o = aigru_scan(in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], layout, fused);
          return TensorList{o.states, o.last};
        };
        require_parity(fn, scan_inputs(d, true, true, 400 + d.H), t.rtol, t.atol);
      }
}

TEST_CASE("cuda parity: attention_weights with length-0 rows", "[sequence][cuda]") {
  struct BT {
    int64_t B, T;
  };
  for (DType dt : {DType::F32, DType::F64})
    for (const BT& s : {BT{1, 1}, BT{7, 5}, BT{33, 17}, BT{65, 100}})
      for (bool normalize : {true, false}) {
        INFO("B " << s.B << " T " << s.T << " normalize " << normalize << " " << dtype_name(dt));
        Generator g(s.B + s.T);
        Tensor scores = test::rand_tensor({s.B, s.T}, g, dt, -4.0, 4.0).set_requires_grad();
        Tensor len = lengths_tensor(s.B, s.T, s.B);
        const Tol t = tol(dt);
        require_parity(
            [normalize](const TensorList& in) { return TensorList{attention_weights(in[0], in[1], normalize)}; },
            {scores, len}, t.rtol, t.atol);
        require_same_on_gpu(
            [normalize](const TensorList& in) { return TensorList{attention_weights(in[0], in[1], normalize)}; },
            [normalize](const TensorList& in) { return TensorList{attention_weights_unfused(in[0], in[1], normalize)}; },
            {scores, len}, t.rtol, t.atol);
      }
}

TEST_CASE("cuda parity: aux_bce, with and without valid pairs", "[sequence][cuda]") {
  struct BP {
    int64_t B, P;
    bool no_pairs;
  };
  for (DType dt : {DType::F32, DType::F64})
    for (const BP& s : {BP{1, 1, false}, BP{7, 4, false}, BP{33, 16, false}, BP{9, 6, true}}) {
      INFO("B " << s.B << " P " << s.P << (s.no_pairs ? " (no valid pair)" : "") << " " << dtype_name(dt));
      Generator g(s.B * 3 + s.P);
      Tensor pp = test::rand_tensor({s.B, s.P}, g, dt, 0.02, 0.98).set_requires_grad();
      Tensor pn = test::rand_tensor({s.B, s.P}, g, dt, 0.02, 0.98).set_requires_grad();
      Tensor len = lengths_tensor(s.B, s.P + 1, s.B);
      if (s.no_pairs) len = from_vector<int64_t>(std::vector<int64_t>(s.B, 1), Shape{s.B});
      const Tol t = tol(dt);
      require_parity([](const TensorList& in) { return TensorList{aux_bce(in[0], in[1], in[2])}; }, {pp, pn, len},
                     t.rtol, t.atol);
    }
}
