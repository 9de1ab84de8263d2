// SPDX-License-Identifier: MIT
// CPU recurrent scans: GRU, AUGRU (paper and reference forms) and AGRU, in both gate layouts,
// forward and backward side by side. One call runs the whole recurrence over T steps; the input
// projections gi = x W_ihᵀ + b_ih of all steps are one GEMM done by the op before the call.
// Derivations: docs/gradients.md (same names as here).
//
// Row schedule (shared by forward and backward; the CUDA twin may follow it or not)
//   order  = stable argsort of lengths, descending (the caller may pass lengths in any order);
//   active[t] = number of rows with length > t. At step t the rows still running are exactly
//   order[0 .. active[t]), a prefix, so every per-step GEMM covers only those rows and rows
//   that already ended cost nothing. Inputs are read and outputs written in the caller's row
//   order through order[]; only the scan's private buffers (h, gh, dh) are kept in sorted order.
//
// Forward, per step t (na = active[t] rows, sorted order; h [na,H] the running states)
//   LinearBeforeReset: gh = h W_hhᵀ + b_hh                        one GEMM [na,H]x[H,3H]
//                      r = σ(gi_r+gh_r), g = σ(gi_z+gh_z), hn = gh_n, n = tanh(gi_n + r⊙hn)
//   ResetBeforeLinear: gh_rz = h W_hh[0:2H]ᵀ + b_hh[0:2H]           GEMM [na,H]x[H,2H]
//                      r, g as above; rh = r⊙h
//                      hn = rh W_hh[2H:3H]ᵀ + b_hh[2H:3H]            GEMM [na,H]x[H,H]
//                      n = tanh(gi_n + hn)
//   then the cell update (kernels/backend.h), written to states[b,t] and to h:
//     Gru h' = g h + (1-g) n; AugruPaper h' = (1-ag) h + ag n; AugruReference k = (1-a)g,
//     h' = k h + (1-k) n; Agru h' = (1-a) h + a n (g is not computed and saved as 0).
//   Training saves r | g | n | hn per valid step in ws (kRnnWorkspaceGates = 4 blocks of H; float64
//   at ws[b,t], float32 compact by row block and step: rnn_scan_f32.cpp); inference
//   (ws == null) writes the gates to a small per-row scratch instead: nothing [B,T,...] is kept.
//   After the scan: last[b] = h of row b, states at t >= lengths[b] are zeros.
//
// Backward: one reverse scan (t = maxlen-1 .. 0) carrying dh = dL/dh_t for the running rows,
// then the weight gradients as GEMMs over all valid steps at once:
//   g_w_hh = Σ_t g_ghᵀ h_prev   (n rows: g_hnᵀ (r⊙h_prev) for ResetBeforeLinear)
//   g_b_hh = Σ_t g_gh
// g_gh and h_prev (and r⊙h_prev) of every valid (b,t) are kept in compact buffers whose rows
// are laid out step by step (step t's active prefix at offset[t]), so these GEMMs run over
// exactly Σ_b lengths[b] rows with no padding.
//
// Two implementations share this schedule and math:
//   float32: kernels/cpu/rnn_scan_f32.cpp, rows in blocks that the pool's threads own for the
//     whole recurrence, on the per-instruction-set vector kernels (kernels/cpu/isa/);
//   float64 (gradcheck, references): the loops below, on Eigen, gate loops split by parallel_for
//     per step.
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/cpu_util.h"
#include "kernels/cpu/rnn_scan_schedule.h"

namespace dien::cpu {

namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<RowMat<T>>;
template <class T>
using CMatMap = Eigen::Map<const RowMat<T>>;
template <class T>
using Vec = Eigen::Array<T, Eigen::Dynamic, 1>;
template <class T>
using VecMap = Eigen::Map<Vec<T>>;
template <class T>
using CVecMap = Eigen::Map<const Vec<T>>;

// Elements (rows x H) of one step's gate loop below which it stays on one thread (the float64
// path): waking the pool's workers costs about what a few thousand gate elements do.
constexpr int64_t kGateGrain = 1 << 12;

// Rows of a gate loop over `rows` rows of width H, threaded when large enough.
template <class F>
void for_rows(int64_t rows, int64_t H, F&& f) {
  const int64_t grain_rows = std::max<int64_t>(1, kGateGrain / std::max<int64_t>(H, 1));
  parallel_for(rows, grain_rows, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

// ---- forward --------------------------------------------------------------------------------

// gi [B,T,3H], att [B,T] or null, h0 [B,H] or null, w_hh [3H,H], b_hh [3H] or null,
// states [B,T,H], last [B,H], ws [B,T,4H] or null.
template <class T>
void scan_forward(RnnCell cell, GateLayout layout, const Schedule& s, const T* gi, const T* att, const T* h0,
                  const T* w_hh, const T* b_hh, T* states, T* last, T* ws, int64_t B, int64_t Tn, int64_t H) {
  const int64_t H3 = 3 * H, H4 = 4 * H;
  const bool lbr = layout == GateLayout::LinearBeforeReset;
  CMatMap<T> W(w_hh, H3, H);
  // Private buffers, sorted row order: h the running state, gh the hidden projections,
  // rh = r ⊙ h (ResetBeforeLinear), scratch the gates when no workspace is saved.
  std::vector<T> h(B * H, T(0)), gh(B * H3), rh(lbr ? 0 : B * H), scratch(ws ? 0 : B * H4);
  if (h0)
    for (int64_t i = 0; i < B; ++i) std::memcpy(&h[i * H], h0 + s.order[i] * H, H * sizeof(T));

  // ws row of (sorted row i = caller row b, step t): r | g | n | hn.
  auto gates_of = [&](int64_t i, int64_t b, int64_t t) { return ws ? ws + (b * Tn + t) * H4 : &scratch[i * H4]; };

  // Phase 1 of a row: r = σ(gi_r + gh_r), g = σ(gi_z + gh_z) (Agru: g = 0, unused);
  // ResetBeforeLinear also forms rh = r ⊙ h for the second GEMM.
  auto reset_update = [&](int64_t i, int64_t t) {
    const int64_t b = s.order[i];
    const T* x = gi + (b * Tn + t) * H3;
    const T* ghr = &gh[i * H3];
    T* w = gates_of(i, b, t);
    VecMap<T> r(w, H), g(w + H, H);
    r = (CVecMap<T>(x, H) + CVecMap<T>(ghr, H)).logistic();
    if (cell == RnnCell::Agru) g.setZero();
    else g = (CVecMap<T>(x + H, H) + CVecMap<T>(ghr + H, H)).logistic();
    if (!lbr) VecMap<T>(&rh[i * H], H) = r * VecMap<T>(&h[i * H], H);
  };

  // Phase 2 of a row: hn, n and the cell update of h (in place: elementwise) and states[b,t].
  auto candidate_cell = [&](int64_t i, int64_t t) {
    const int64_t b = s.order[i];
    const T* x = gi + (b * Tn + t) * H3;
    T* w = gates_of(i, b, t);
    VecMap<T> r(w, H), g(w + H, H), n(w + 2 * H, H), hn(w + 3 * H, H);
    hn = CVecMap<T>(&gh[i * H3 + 2 * H], H);  // LBR: h W_hnᵀ + b_hn; RBL: (r⊙h) W_hnᵀ + b_hn
    if (lbr) n = (CVecMap<T>(x + 2 * H, H) + r * hn).tanh();
    else n = (CVecMap<T>(x + 2 * H, H) + hn).tanh();
    VecMap<T> hv(&h[i * H], H);
    const T a = att ? att[b * Tn + t] : T(0);
    switch (cell) {
      case RnnCell::Gru: hv = g * hv + (T(1) - g) * n; break;
      case RnnCell::AugruPaper: hv = (T(1) - a * g) * hv + (a * g) * n; break;
      case RnnCell::AugruReference: hv = ((T(1) - a) * g) * hv + (T(1) - (T(1) - a) * g) * n; break;
      case RnnCell::Agru: hv = (T(1) - a) * hv + a * n; break;
    }
    std::memcpy(states + (b * Tn + t) * H, &h[i * H], H * sizeof(T));
  };

  for (int64_t t = 0; t < s.maxlen; ++t) {
    const int64_t na = s.active[t];
    MatMap<T> hm(h.data(), na, H), ghm(gh.data(), na, H3);
    if (lbr) {
      ghm.noalias() = hm * W.transpose();  // [na,H] x [H,3H]
      if (b_hh) ghm.rowwise() += CVecMap<T>(b_hh, H3).matrix().transpose();
      for_rows(na, H, [&](int64_t i) {
        reset_update(i, t);
        candidate_cell(i, t);
      });
    } else {
      ghm.leftCols(2 * H).noalias() = hm * W.topRows(2 * H).transpose();  // [na,H] x [H,2H]
      if (b_hh) ghm.leftCols(2 * H).rowwise() += CVecMap<T>(b_hh, 2 * H).matrix().transpose();
      for_rows(na, H, [&](int64_t i) { reset_update(i, t); });
      MatMap<T> rhm(rh.data(), na, H);
      ghm.rightCols(H).noalias() = rhm * W.bottomRows(H).transpose();  // [na,H] x [H,H]
      if (b_hh) ghm.rightCols(H).rowwise() += CVecMap<T>(b_hh + 2 * H, H).matrix().transpose();
      for_rows(na, H, [&](int64_t i) { candidate_cell(i, t); });
    }
  }
  // Rows that ended keep their state in h: that is `last` (h0 or 0 for a length-0 row).
  for (int64_t i = 0; i < B; ++i) std::memcpy(last + s.order[i] * H, &h[i * H], H * sizeof(T));
  for (int64_t b = 0; b < B; ++b)
    if (s.len[b] < Tn) std::memset(states + (b * Tn + s.len[b]) * H, 0, (Tn - s.len[b]) * H * sizeof(T));
}

// ---- backward -------------------------------------------------------------------------------
//
// Per valid (b,t), with dh = dL/dh_t (= g_states[b,t] + g_last[b] if t = len-1 + what step t+1
// sent back), h = h_{t-1}, gates r, g, n, hn from ws (docs/gradients.md has the full story):
//   cell:   Gru            dn = dh(1-g)      dg = dh(h-n)          direct = dh g
//           AugruPaper     dn = dh ag        dg = a dh(n-h)        direct = dh(1-ag)   da = Σ dh(n-h)g
//           AugruReference dn = dh(1-k)      dg = (1-a) dh(h-n)    direct = dh k       da = -Σ dh(h-n)g
//           Agru           dn = dh a         dg = 0                direct = dh(1-a)    da = Σ dh(n-h)
//   gates:  dpn = dn(1-n²)  (n's pre-activation), dpz = dg g(1-g)
//           LinearBeforeReset: dr = dpn hn;  g_gh_n = dpn r
//           ResetBeforeLinear: g_gh_n = dpn (gradient of hn); drh = g_gh_n W_hn;
//                              dr = drh ⊙ h; direct += drh ⊙ r
//           dpr = dr r(1-r)
//   g_gi = dpr | dpz | dpn;  g_gh = dpr | dpz | g_gh_n
//   dh_{t-1} = direct + g_gh W_hh      (ResetBeforeLinear: + g_gh[:,0:2H] W_hh[0:2H] only;
//                                       its n part went through drh above)

// gi (unused: the gates are in ws), lengths via s, att [B,T] or null, h0 [B,H] or null,
// w_hh [3H,H], states [B,T,H], ws [B,T,4H], g_states [B,T,H] / g_last [B,H] or null,
// g_gi [B,T,3H], g_h0 [B,H] / g_att [B,T] / g_w_hh [3H,H] / g_b_hh [3H] or null.
template <class T>
void scan_backward(RnnCell cell, GateLayout layout, const Schedule& s, const T* att, const T* h0, const T* w_hh,
                   const T* states, const T* ws, const T* g_states, const T* g_last, T* g_gi, T* g_h0, T* g_att,
                   T* g_w_hh, T* g_b_hh, int64_t B, int64_t Tn, int64_t H) {
  const int64_t H3 = 3 * H, H4 = 4 * H;
  const bool lbr = layout == GateLayout::LinearBeforeReset;
  CMatMap<T> W(w_hh, H3, H);
  const int64_t N = s.offset[s.maxlen];  // valid (b,t) pairs
  // Compact, step-major: rows offset[t] .. offset[t]+active[t] hold step t's running rows.
  std::vector<T> ggh(N * H3), hprev(N * H), rhprev(lbr ? 0 : N * H);
  // dh carried between steps (sorted rows): `carry` holds dL/dh_t for rows order[0..active[t]),
  // `next` receives dL/dh_{t-1}; they swap after each step. drh: ResetBeforeLinear's (r⊙h) grad.
  std::vector<T> carry(B * H, T(0)), next(B * H), drh(lbr ? 0 : B * H);

  for (int64_t t = s.maxlen - 1; t >= 0; --t) {
    const int64_t na = s.active[t], na_after = t + 1 < s.maxlen ? s.active[t + 1] : 0;
    T* G = &ggh[s.offset[t] * H3];
    T* P = &hprev[s.offset[t] * H];

    // Loop 1 (every layout): dh, the cell's terms, n and z gates.
    for_rows(na, H, [&](int64_t i) {
      const int64_t b = s.order[i], bt = b * Tn + t;
      const T* w = ws + bt * H4;
      CVecMap<T> r(w, H), g(w + H, H), n(w + 2 * H, H), hn(w + 3 * H, H);
      // h = h_{t-1}, gathered into the compact buffer (also the left operand of g_w_hh).
      VecMap<T> hp(P + i * H, H);
      if (t > 0) hp = CVecMap<T>(states + (bt - 1) * H, H);
      else if (h0) hp = CVecMap<T>(h0 + b * H, H);
      else hp.setZero();
      // dh = dL/dh_t: from step t+1 if the row ran there, else g_last (t = len-1); + g_states.
      VecMap<T> dh(&next[i * H], H);
      if (i < na_after) dh = VecMap<T>(&carry[i * H], H);
      else if (g_last) dh = CVecMap<T>(g_last + b * H, H);
      else dh.setZero();
      if (g_states) dh += CVecMap<T>(g_states + bt * H, H);

      T* gg = g_gi + bt * H3;
      VecMap<T> gi_r(gg, H), gi_z(gg + H, H), gi_n(gg + 2 * H, H);  // dpr | dpz | dpn
      VecMap<T> gh_z(G + i * H3 + H, H), gh_n(G + i * H3 + 2 * H, H);
      const T a = att ? att[bt] : T(0);
      // dn into gi_n, dg into gi_z (both still pre-gate), then dh becomes the direct term.
      T da = T(0);
      switch (cell) {
        case RnnCell::Gru:
          gi_n = dh * (T(1) - g);
          gi_z = dh * (hp - n);
          dh = dh * g;
          break;
        case RnnCell::AugruPaper:
          gi_n = dh * (a * g);
          gi_z = a * dh * (n - hp);
          da = (dh * (n - hp) * g).sum();
          dh = dh * (T(1) - a * g);
          break;
        case RnnCell::AugruReference:
          gi_n = dh * (T(1) - (T(1) - a) * g);
          gi_z = (T(1) - a) * dh * (hp - n);
          da = -(dh * (hp - n) * g).sum();
          dh = dh * ((T(1) - a) * g);
          break;
        case RnnCell::Agru:
          gi_n = dh * a;
          gi_z.setZero();
          da = (dh * (n - hp)).sum();
          dh = dh * (T(1) - a);
          break;
      }
      if (g_att) g_att[bt] = da;
      gi_n = gi_n * (T(1) - n.square());  // dpn
      gi_z = gi_z * g * (T(1) - g);       // dpz (0 for Agru)
      gh_z = gi_z;
      if (lbr) {
        gh_n = gi_n * r;                                  // through r ⊙ hn
        gi_r = gi_n * hn * r * (T(1) - r);                // dpr = dpn hn r(1-r)
        VecMap<T>(G + i * H3, H) = gi_r;
      } else {
        gh_n = gi_n;  // hn enters n's pre-activation directly
      }
    });

    if (lbr) {
      // dh_{t-1} = direct + g_gh W_hh: [na,3H] x [3H,H].
      MatMap<T>(next.data(), na, H).noalias() += CMatMap<T>(G, na, H3) * W;
    } else {
      CMatMap<T> Gm(G, na, H3);
      // drh = g_hn W_hn: [na,H] x [H,H].
      MatMap<T>(drh.data(), na, H).noalias() = Gm.rightCols(H) * W.bottomRows(H);
      // Loop 2: r's gradient through rh = r ⊙ h, and rh's share of dh_{t-1}.
      for_rows(na, H, [&](int64_t i) {
        const int64_t b = s.order[i], bt = b * Tn + t;
        CVecMap<T> r(ws + bt * H4, H), hp(P + i * H, H), d(&drh[i * H], H);
        VecMap<T> gi_r(g_gi + bt * H3, H);
        gi_r = d * hp * r * (T(1) - r);  // dpr
        VecMap<T>(G + i * H3, H) = gi_r;
        VecMap<T>(&rhprev[(s.offset[t] + i) * H], H) = r * hp;  // left operand of g_w_hn
        VecMap<T>(&next[i * H], H) += d * r;
      });
      // + g_gh[:,0:2H] W_hh[0:2H]: [na,2H] x [2H,H].
      MatMap<T>(next.data(), na, H).noalias() += Gm.leftCols(2 * H) * W.topRows(2 * H);
    }
    std::swap(carry, next);
  }

  // g_h0: what reached h_{-1}; a length-0 row passes g_last straight through.
  if (g_h0)
    for (int64_t i = 0; i < B; ++i) {
      const int64_t b = s.order[i];
      T* out = g_h0 + b * H;
      if (s.len[b] > 0) std::memcpy(out, &carry[i * H], H * sizeof(T));
      else if (g_last) std::memcpy(out, g_last + b * H, H * sizeof(T));
      else std::memset(out, 0, H * sizeof(T));
    }
  // Padded steps get zero gradients.
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = s.len[b]; t < Tn; ++t) {
      std::memset(g_gi + (b * Tn + t) * H3, 0, H3 * sizeof(T));
      if (g_att) g_att[b * Tn + t] = T(0);
    }
  // Weight gradients over all N valid steps at once.
  CMatMap<T> Gall(ggh.data(), N, H3), Pall(hprev.data(), N, H);
  if (g_w_hh) {
    MatMap<T> gw(g_w_hh, H3, H);
    if (N == 0) {
      gw.setZero();
    } else if (lbr) {
      gw.noalias() = Gall.transpose() * Pall;  // [3H,N] x [N,H]
    } else {
      CMatMap<T> RH(rhprev.data(), N, H);
      gw.topRows(2 * H).noalias() = Gall.leftCols(2 * H).transpose() * Pall;  // [2H,N] x [N,H]
      gw.bottomRows(H).noalias() = Gall.rightCols(H).transpose() * RH;         // [H,N] x [N,H]
    }
  }
  if (g_b_hh) {
    VecMap<T> gb(g_b_hh, H3);
    if (N == 0) gb.setZero();
    else gb = Gall.colwise().sum().transpose().array();
  }
}


}  // namespace

Schedule make_schedule(const Tensor& lengths) {
  Schedule s;
  const int64_t B = lengths.numel();
  s.len.resize(B);
  dispatch_index(lengths.dtype(), "rnn_scan", [&](auto itag) {
    using I = decltype(itag);
    const I* l = lengths.data<I>();
    for (int64_t b = 0; b < B; ++b) s.len[b] = static_cast<int64_t>(l[b]);
  });
  s.order.resize(B);
  std::iota(s.order.begin(), s.order.end(), int64_t{0});
  std::stable_sort(s.order.begin(), s.order.end(), [&](int64_t a, int64_t b) { return s.len[a] > s.len[b]; });
  s.maxlen = B ? s.len[s.order[0]] : 0;
  s.active.assign(s.maxlen, 0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < s.len[b]; ++t) ++s.active[t];
  s.offset.assign(s.maxlen + 1, 0);
  for (int64_t t = 0; t < s.maxlen; ++t) s.offset[t + 1] = s.offset[t] + s.active[t];
  return s;
}


// gi [B,T,3H], lengths [B] (i32/i64), att [B,T] or null, h0 [B,H] or null, w_hh [3H,H],
// b_hh [3H] or null -> states [B,T,H], last [B,H], ws [B,T,4H] or null.
void CpuBackend::rnn_scan_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                  const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                  Tensor& states, Tensor& last, Tensor* ws) {
  const int64_t B = states.size(0), Tn = states.size(1), H = states.size(2);
  const Schedule s = make_schedule(lengths);
  if (gi.dtype() == DType::F32) {
    scan_forward_f32(cell, layout, s, gi.data<float>(), nullable_data<float>(att), nullable_data<float>(h0),
                     w_hh.data<float>(), nullable_data<float>(b_hh), states.data<float>(), last.data<float>(),
                     nullable_data<float>(ws), Tn, H);
    return;
  }
  dispatch_float(gi.dtype(), "rnn_scan_forward", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, double>)  // (float32 returned above)
      scan_forward<T>(cell, layout, s, gi.data<T>(), nullable_data<T>(att), nullable_data<T>(h0), w_hh.data<T>(), nullable_data<T>(b_hh),
                    states.data<T>(), last.data<T>(), nullable_data<T>(ws), B, Tn, H);
  });
}

// x [B,T,D], w_ih [3H,D], b_ih [3H] or null; the rest as rnn_scan_forward. float32: the blocks
// form their projections step by step (rnn_scan_f32.cpp); float64: the default composition.
void CpuBackend::rnn_scan_forward_x(RnnCell cell, GateLayout layout, const Tensor& x, const Tensor& w_ih,
                                    const Tensor* b_ih, const Tensor& lengths, const Tensor* att, const Tensor* h0,
                                    const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) {
  if (x.dtype() != DType::F32) {
    Backend::rnn_scan_forward_x(cell, layout, x, w_ih, b_ih, lengths, att, h0, w_hh, b_hh, states, last, ws);
    return;
  }
  const int64_t Tn = states.size(1), H = states.size(2), D = x.size(2);
  const Schedule s = make_schedule(lengths);
  scan_forward_f32(cell, layout, s, nullptr, nullable_data<float>(att), nullable_data<float>(h0), w_hh.data<float>(),
                   nullable_data<float>(b_hh), states.data<float>(), last.data<float>(), nullable_data<float>(ws), Tn,
                   H, x.data<float>(), D, w_ih.data<float>(), nullable_data<float>(b_ih));
}

// Shapes as in the forward; g_states [B,T,H] and g_last [B,H] may be null. Overwrites g_gi
// [B,T,3H] and, when non-null, g_h0 [B,H], g_att [B,T], g_w_hh [3H,H], g_b_hh [3H].
void CpuBackend::rnn_scan_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                   const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                   const Tensor& states, const Tensor& ws, const Tensor* g_states,
                                   const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att,
                                   Tensor* g_w_hh, Tensor* g_b_hh) {
  const int64_t B = states.size(0), Tn = states.size(1), H = states.size(2);
  const Schedule s = make_schedule(lengths);
  if (gi.dtype() == DType::F32) {
    scan_backward_f32(cell, layout, s, nullable_data<float>(att), nullable_data<float>(h0), w_hh.data<float>(),
                      states.data<float>(), ws.data<float>(), nullable_data<float>(g_states),
                      nullable_data<float>(g_last), g_gi.data<float>(), nullable_data<float>(g_h0),
                      nullable_data<float>(g_att), nullable_data<float>(g_w_hh), nullable_data<float>(g_b_hh), Tn, H);
    return;
  }
  dispatch_float(gi.dtype(), "rnn_scan_backward", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, double>)  // (float32 returned above)
      scan_backward<T>(cell, layout, s, nullable_data<T>(att), nullable_data<T>(h0), w_hh.data<T>(), states.data<T>(), ws.data<T>(),
                     nullable_data<T>(g_states), nullable_data<T>(g_last), g_gi.data<T>(), nullable_data<T>(g_h0), nullable_data<T>(g_att),
                     nullable_data<T>(g_w_hh), nullable_data<T>(g_b_hh), B, Tn, H);
  });
}

// x [B,T,D] (for g_w_ih), w_ih [3H,D] (for g_x); the rest as rnn_scan_backward. float32: g_gi
// stays in the blocks (rnn_scan_f32.cpp); float64: the default composition.
void CpuBackend::rnn_scan_backward_x(RnnCell cell, GateLayout layout, const Tensor* x, const Tensor* w_ih,
                                     const Tensor& lengths, const Tensor* att, const Tensor* h0, const Tensor& w_hh,
                                     const Tensor* b_hh, const Tensor& states, const Tensor& ws,
                                     const Tensor* g_states, const Tensor* g_last, Tensor* g_x, Tensor* g_h0,
                                     Tensor* g_att, Tensor* g_w_ih, Tensor* g_b_ih, Tensor* g_w_hh, Tensor* g_b_hh) {
  if (states.dtype() != DType::F32) {
    Backend::rnn_scan_backward_x(cell, layout, x, w_ih, lengths, att, h0, w_hh, b_hh, states, ws, g_states, g_last,
                                 g_x, g_h0, g_att, g_w_ih, g_b_ih, g_w_hh, g_b_hh);
    return;
  }
  const int64_t Tn = states.size(1), H = states.size(2);
  const Schedule s = make_schedule(lengths);
  ScanInputGrads in;
  in.x = x ? x->data<float>() : nullptr;
  in.w_ih = w_ih ? w_ih->data<float>() : nullptr;
  in.D = x ? x->size(2) : (w_ih ? w_ih->size(1) : 0);
  in.g_x = g_x ? g_x->data<float>() : nullptr;
  in.g_w_ih = g_w_ih ? g_w_ih->data<float>() : nullptr;
  in.g_b_ih = g_b_ih ? g_b_ih->data<float>() : nullptr;
  scan_backward_f32(cell, layout, s, nullable_data<float>(att), nullable_data<float>(h0), w_hh.data<float>(),
                    states.data<float>(), ws.data<float>(), nullable_data<float>(g_states),
                    nullable_data<float>(g_last), nullptr, g_h0 ? g_h0->data<float>() : nullptr,
                    g_att ? g_att->data<float>() : nullptr, g_w_hh ? g_w_hh->data<float>() : nullptr,
                    g_b_hh ? g_b_hh->data<float>() : nullptr, Tn, H, in);
}

}  // namespace dien::cpu
