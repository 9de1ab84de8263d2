// SPDX-License-Identifier: MIT
// CUDA recurrent scans (GRU, AUGRU paper/reference, AGRU; both gate layouts): the twin of
// kernels/cpu/rnn_scan.cpp, semantics in kernels/backend.h (RnnCell, GateLayout).
//
// Design. Rows of the batch are independent, so the whole recurrence is ONE persistent launch
// per direction: block x owns a tile of `rows` batch rows and loops over the T steps itself,
// with only __syncthreads() between the phases of a step (no grid-wide sync, no launch per
// step). W_hh (and b_hh) are staged once into shared memory when they fit; the tile's state
// vectors and gate pre-activations live in shared memory too. Every dot product is computed
// by one thread in a fixed k order, so results do not depend on the tile size or the GPU.
//   forward  (rnn_fwd_kernel): per step  gh = h W_hhᵀ + b_hh  (thread per (row, gate j)),
//            then the cell update (thread per (row, k)); writes states, ws = r|g|n|hn.
//   backward (rnn_bwd_kernel): reverse scan, dh carried in shared memory; per step the cell
//            derivative (thread per (row, k)), then dh_prev = g_gh W_hh + direct terms. Writes
//            g_gi, g_att, and per step g_gh and the GEMM left operands (h_prev; r ⊙ h_prev for
//            ResetBeforeLinear) into temporaries; g_w_hh / g_b_hh are then cuBLAS calls.
//
// Cost per step and row (G = 3H gates, s = sizeof(scalar)):
//   forward : 2·G·H FLOPs (gh matvec) + ~20·H elementwise;
//             global bytes (G + 1 + H + 4H)·s = (8H + 1)·s  (gi, att in; states, ws out);
//             W_hh is read from shared memory (G·H·s per step, not from DRAM).
//   backward: 2·G·H FLOPs (dh matvec) + ~30·H elementwise, plus the weight-gradient GEMM
//             (2·G·H FLOPs per row-step, once after the scan);
//             global bytes ≈ (4H + 3H + H + 1)·s read (ws, states/h_prev, g_states, att) +
//             (3H + 3H + 2H + 1)·s written (g_gi, g_gh, h_prev, r⊙h_prev, g_att) ≈ 17H·s.
// Floor, DIEN-sized case B = 1024, T = 50, H = 64, f32, forward, H100 (132 SMs):
//   FLOPs 1024·50·6·64² ≈ 1.26 GFLOP  → ~25 µs at ~50 TFLOP/s (FP32 FMA, no tensor cores);
//   bytes 1024·50·513·4 ≈ 105 MB      → ~32 µs at ~3.3 TB/s;
//   latency: 50 dependent steps, each a 64-long FMA chain on shared-memory operands plus two
//   barriers (~1–2 µs) → ~50–100 µs: the floor of this design.
// Measured times, with the card and commit they belong to, are in docs/cuda.md ("Measured:
// rnn_scan"); they sat about 3x above this floor. Why: every FMA
// loads one W word from shared memory for one row (plus a broadcast h word), and shared memory
// delivers 128 B/clock per SM, i.e. at most 32 FMA/clock, a quarter of the FP32 rate; here
// 4 blocks x 384 dot products x 64 x 2 loads per SM per step ≈ 6k clocks ≈ 3.3 µs per step.
// The next step, if the scan matters: reuse each W load across the tile's rows in registers
// and load h as 16-byte vectors (same results if each dot product keeps its k order).
//
// Limits on H: the shared-memory copy of W_hh needs G·H·s bytes (H = 64 f32: 48 KiB; it fits
// up to about H = 134 in f32 and H = 95 in f64 with the 227 KiB opt-in limit of an H100).
// Beyond that W_hh is read from global memory (L2-resident after the first step; the forward
// reads a transposed copy so that the reads stay coalesced). The per-row buffers alone must fit
// for one row ((G + 3H)·s bytes: H up to ~7000 in f32); larger H fails with an error.
#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/launch.cuh"

namespace dien::cuda {
namespace {

// Why 256 threads: per step a tile has rows·3H dot products (forward) or rows·H (backward);
// 256 covers H = 64 with one or two rows per pass while keeping up to 8 blocks per SM.
constexpr int kScanThreads = 256;
// At most this many rows per block: beyond it the per-step work of a block only grows the
// step latency; more rows than SM slots go to more blocks instead.
constexpr int kMaxRows = 16;

__device__ inline float dev_exp(float x) { return expf(x); }
__device__ inline double dev_exp(double x) { return exp(x); }
__device__ inline float dev_tanh(float x) { return tanhf(x); }
__device__ inline double dev_tanh(double x) { return tanh(x); }
template <class S>
__device__ inline S sigmoid(S x) {
  return S(1) / (S(1) + dev_exp(-x));
}

// ---- forward ---------------------------------------------------------------------------

template <class S>
struct FwdArgs {
  const S* gi;          // [B, T, 3H]
  const int64_t* len;   // [B]
  const S* att;         // [B, T] or null
  const S* h0;          // [B, H] or null
  const S* w;           // [3H, H] (staged into shared memory, transposed)
  const S* w_t;         // [H, 3H] transposed copy in global memory (fallback only)
  const S* b;           // [3H] or null
  S* states;            // [B, T, H]
  S* last;              // [B, H]
  S* ws;                // [B, T, 4H] or null
  int64_t B, T;
  int H, rows;
  RnnCell cell;
  GateLayout layout;
};

// Dynamic shared memory of the forward block, in this order (all scalars, then ints):
//   wt   [H][3H]  (only when staged) W_hhᵀ: thread j of a warp reads wt[k*3H + j], consecutive
//                 addresses, so the gh matvec is bank-conflict-free (W_hh's own [3H][H] layout
//                 would put a warp's 32 reads H words apart: same bank for H = 32, 64, ...).
//   bias [3H]     b_hh or zeros
//   h    [rows][H] state of the tile's rows
//   gh   [rows][3H] gh for the r, z rows; hn for the n rows
//   rh   [rows][H] r ⊙ h (ResetBeforeLinear)
//   len  [rows]   ints
size_t fwd_smem_bytes(int64_t H, int rows, bool w_smem, size_t s) {
  const int64_t G = 3 * H;
  return static_cast<size_t>((w_smem ? G * H : 0) + G + rows * (2 * H + G)) * s + rows * sizeof(int);
}

template <class S, bool kSmemW>
__global__ void __launch_bounds__(kScanThreads) rnn_fwd_kernel(FwdArgs<S> a) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int H = a.H, G = 3 * H, R = a.rows;
  const int64_t T = a.T;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * R;
  const int rows = a.B - row0 < R ? static_cast<int>(a.B - row0) : R;
  const bool rbl = a.layout == GateLayout::ResetBeforeLinear;

  S* wt_s = reinterpret_cast<S*>(smem_raw);
  S* bias = wt_s + (kSmemW ? G * H : 0);
  S* h = bias + G;
  S* gh = h + R * H;
  S* rh = gh + R * G;
  int* len_s = reinterpret_cast<int*>(rh + R * H);

  // Stage: W_hhᵀ (reading W_hh coalesced, writing transposed), bias, h0, lengths.
  if (kSmemW)
    for (int i = threadIdx.x; i < G * H; i += blockDim.x) wt_s[(i % H) * G + i / H] = a.w[i];
  for (int j = threadIdx.x; j < G; j += blockDim.x) bias[j] = a.b ? a.b[j] : S(0);
  for (int i = threadIdx.x; i < rows * H; i += blockDim.x)
    h[i] = a.h0 ? a.h0[row0 * H + i] : S(0);
  for (int r = threadIdx.x; r < rows; r += blockDim.x) len_s[r] = static_cast<int>(a.len[row0 + r]);
  __syncthreads();
  const S* wt = kSmemW ? wt_s : a.w_t;  // W(j, k) = wt[k * G + j]
  int tmax = 0;
  for (int r = 0; r < rows; ++r) tmax = max(tmax, len_s[r]);

  for (int64_t t = 0; t < tmax; ++t) {
    // Phase 1: gh[r][j] = b[j] + Σ_k W(j,k) h[r][k] for the gate rows that need h itself
    // (all 3H for LinearBeforeReset; r and z for ResetBeforeLinear). Rows past their length
    // are skipped: their gh is never read.
    const int nj = rbl ? 2 * H : G;
    for (int i = threadIdx.x; i < rows * nj; i += blockDim.x) {
      const int r = i / nj, j = i % nj;
      if (t >= len_s[r]) continue;
      const S* hr = h + r * H;
      S acc = S(0);
      for (int k = 0; k < H; ++k) acc += wt[k * G + j] * hr[k];
      gh[r * G + j] = acc + bias[j];
    }
    __syncthreads();  // gh (r, z[, n]) complete before the gates read it
    if (rbl) {
      // ResetBeforeLinear: the n-row product takes r ⊙ h, so r first, then the n rows.
      for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
        const int r = i / H, k = i % H;
        if (t >= len_s[r]) continue;
        const S* gir = a.gi + ((row0 + r) * T + t) * G;
        rh[i] = sigmoid(gir[k] + gh[r * G + k]) * h[i];
      }
      __syncthreads();  // rh complete before the n-row matvec
      for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
        const int r = i / H, j = 2 * H + i % H;
        if (t >= len_s[r]) continue;
        const S* rhr = rh + r * H;
        S acc = S(0);
        for (int k = 0; k < H; ++k) acc += wt[k * G + j] * rhr[k];
        gh[r * G + j] = acc + bias[j];
      }
      __syncthreads();  // hn complete before the update
    }
    // Phase 2: gates and state update, thread per (row, k); reads and writes only h[r][k].
    for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
      const int r = i / H, k = i % H;
      const int64_t bt = (row0 + r) * T + t;
      if (t >= len_s[r]) {
        a.states[bt * H + k] = S(0);
        continue;
      }
      const S* gir = a.gi + bt * G;
      const S* ghr = gh + r * G;
      const S rg = sigmoid(gir[k] + ghr[k]);
      const S zg = sigmoid(gir[H + k] + ghr[H + k]);
      const S hn = ghr[2 * H + k];
      const S n = dev_tanh(gir[2 * H + k] + (rbl ? hn : rg * hn));
      const S hp = h[i];
      S hnew;
      switch (a.cell) {
        case RnnCell::Gru: hnew = zg * hp + (S(1) - zg) * n; break;
        case RnnCell::AugruPaper: {
          const S u = a.att[bt] * zg;
          hnew = (S(1) - u) * hp + u * n;
          break;
        }
        case RnnCell::AugruReference: {
          const S kk = (S(1) - a.att[bt]) * zg;
          hnew = kk * hp + (S(1) - kk) * n;
          break;
        }
        default: {  // Agru
          const S at = a.att[bt];
          hnew = (S(1) - at) * hp + at * n;
          break;
        }
      }
      h[i] = hnew;
      a.states[bt * H + k] = hnew;
      if (a.ws) {
        S* w4 = a.ws + bt * 4 * H;
        w4[k] = rg;
        w4[H + k] = zg;
        w4[2 * H + k] = n;
        w4[3 * H + k] = hn;
      }
    }
    __syncthreads();  // h updated before the next step's matvec; gh free for reuse
  }
  // Steps no row of the tile reaches: zeros. Then the last states.
  for (int64_t t = tmax; t < T; ++t)
    for (int i = threadIdx.x; i < rows * H; i += blockDim.x)
      a.states[((row0 + i / H) * T + t) * H + i % H] = S(0);
  for (int i = threadIdx.x; i < rows * H; i += blockDim.x) a.last[row0 * H + i] = h[i];
}

// ---- backward --------------------------------------------------------------------------

template <class S>
struct BwdArgs {
  const int64_t* len;  // [B]
  const S* att;        // [B, T] or null
  const S* h0;         // [B, H] or null
  const S* w;          // [3H, H]
  const S* states;     // [B, T, H]
  const S* ws;         // [B, T, 4H]
  const S* g_states;   // [B, T, H] or null
  const S* g_last;     // [B, H] or null
  S* g_gi;             // [B, T, 3H]
  S* g_h0;             // [B, H] or null
  S* g_att;            // [B, T] or null
  S* ggh;              // [B, T, 3H] temporary (g_gh per step) or null
  S* hprev;            // [B, T, H] temporary (h_prev per step) or null
  S* rhprev;           // [B, T, H] temporary (r ⊙ h_prev, ResetBeforeLinear) or null
  int64_t B, T;
  int H, rows;
  RnnCell cell;
  GateLayout layout;
};

// Dynamic shared memory of the backward block:
//   w    [3H][H]  (only when staged) W_hh in its own layout: the dh matvec has thread k of a
//                 warp read w[j*H + k], consecutive addresses (bank-conflict-free).
//   dh   [rows][H]  gradient w.r.t. the state (carried across steps)
//   ggh  [rows][3H] g_gh of the current step
//   datt [rows][H]  per-element terms of g_att, summed per row in a fixed order
//   len  [rows]   ints
size_t bwd_smem_bytes(int64_t H, int rows, bool w_smem, size_t s) {
  const int64_t G = 3 * H;
  return static_cast<size_t>((w_smem ? G * H : 0) + rows * (2 * H + G)) * s + rows * sizeof(int);
}

// Derivation (per element k; a = att[b,t], h = h_prev, dh = total gradient of h_t):
//   h_t = c_h·h + c_n·n with (c_h, c_n) = (g, 1-g) Gru, (1-u, u) AugruPaper (u = a g),
//   (k, 1-k) AugruReference (k = (1-a) g), (1-a, a) Agru.
//   dg:  Gru dh·(h-n); AugruPaper dh·(n-h)·a; AugruReference dh·(h-n)·(1-a); Agru 0.
//   da:  AugruPaper Σ dh·(n-h)·g; AugruReference -Σ dh·(h-n)·g; Agru Σ dh·(n-h).
//   dz = dg·g(1-g); dn = dh·c_n·(1-n²) = g_gi_n.
//   LinearBeforeReset (n = tanh(gi_n + r·hn)): g_gh_n = dn·r, dr = dn·hn.
//   ResetBeforeLinear (n = tanh(gi_n + hn), hn = (r⊙h) W_nᵀ + b_n): g_gh_n = dn,
//     d(r⊙h) = g_gh_n W_n, dr = d(r⊙h)·h, and dh_prev gets d(r⊙h)·r.
//   g_gi = g_gh (r, z rows) = (dr·r(1-r), dz); dh_prev = dh·c_h + Σ_j g_gh[j] W(j, ·)
//   (over all 3H rows, or only r, z for ResetBeforeLinear, whose n rows came in above).
template <class S, bool kSmemW>
__global__ void __launch_bounds__(kScanThreads) rnn_bwd_kernel(BwdArgs<S> a) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  const int H = a.H, G = 3 * H, R = a.rows;
  const int64_t T = a.T;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * R;
  const int rows = a.B - row0 < R ? static_cast<int>(a.B - row0) : R;
  const bool rbl = a.layout == GateLayout::ResetBeforeLinear;
  const bool has_att = a.cell != RnnCell::Gru;

  S* w_s = reinterpret_cast<S*>(smem_raw);
  S* dh = w_s + (kSmemW ? G * H : 0);
  S* ggh = dh + R * H;
  S* datt = ggh + R * G;
  int* len_s = reinterpret_cast<int*>(datt + R * H);

  if (kSmemW)
    for (int i = threadIdx.x; i < G * H; i += blockDim.x) w_s[i] = a.w[i];
  for (int i = threadIdx.x; i < rows * H; i += blockDim.x)
    dh[i] = a.g_last ? a.g_last[row0 * H + i] : S(0);
  for (int r = threadIdx.x; r < rows; r += blockDim.x) len_s[r] = static_cast<int>(a.len[row0 + r]);
  __syncthreads();
  const S* w = kSmemW ? w_s : a.w;  // W(j, k) = w[j * H + k]
  int tmax = 0;
  for (int r = 0; r < rows; ++r) tmax = max(tmax, len_s[r]);

  for (int64_t t = T - 1; t >= 0; --t) {
    if (t >= tmax) {
      // No row of the tile reaches this step: zero its outputs (no shared state touched).
      for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
        const int r = i / H, k = i % H;
        const int64_t bt = (row0 + r) * T + t;
        for (int q = 0; q < 3; ++q) {
          a.g_gi[bt * G + q * H + k] = S(0);
          if (a.ggh) a.ggh[bt * G + q * H + k] = S(0);
        }
        if (a.hprev) a.hprev[bt * H + k] = S(0);
        if (a.rhprev) a.rhprev[bt * H + k] = S(0);
        if (k == 0 && a.g_att) a.g_att[bt] = S(0);
      }
      continue;
    }
    // Phase A: elementwise cell derivative, thread per (row, k). Padded steps write zeros
    // (the temporaries are NaN-poisoned in tests and feed the weight-gradient GEMMs).
    for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
      const int r = i / H, k = i % H;
      const int64_t b = row0 + r, bt = b * T + t;
      S* ggr = ggh + r * G;
      if (t >= len_s[r]) {
        for (int q = 0; q < 3; ++q) {
          a.g_gi[bt * G + q * H + k] = S(0);
          if (a.ggh) a.ggh[bt * G + q * H + k] = S(0);
        }
        if (a.hprev) a.hprev[bt * H + k] = S(0);
        if (a.rhprev) a.rhprev[bt * H + k] = S(0);
        datt[i] = S(0);
        continue;
      }
      const S d = dh[i] + (a.g_states ? a.g_states[bt * H + k] : S(0));
      const S* w4 = a.ws + bt * 4 * H;
      const S rg = w4[k], zg = w4[H + k], n = w4[2 * H + k], hn = w4[3 * H + k];
      const S hp = t > 0 ? a.states[(bt - 1) * H + k] : (a.h0 ? a.h0[b * H + k] : S(0));
      const S at = has_att ? a.att[bt] : S(0);
      S c_h, c_n, dg, da;
      switch (a.cell) {
        case RnnCell::Gru:
          c_h = zg, c_n = S(1) - zg, dg = d * (hp - n), da = S(0);
          break;
        case RnnCell::AugruPaper:
          c_n = at * zg, c_h = S(1) - c_n, dg = d * (n - hp) * at, da = d * (n - hp) * zg;
          break;
        case RnnCell::AugruReference:
          c_h = (S(1) - at) * zg, c_n = S(1) - c_h, dg = d * (hp - n) * (S(1) - at), da = -(d * (hp - n) * zg);
          break;
        default:  // Agru: no update gate
          c_h = S(1) - at, c_n = at, dg = S(0), da = d * (n - hp);
          break;
      }
      const S dn = d * c_n * (S(1) - n * n);
      const S dz = dg * zg * (S(1) - zg);
      S* gg = a.g_gi + bt * G;
      gg[H + k] = dz;
      gg[2 * H + k] = dn;
      ggr[H + k] = dz;
      if (rbl) {
        ggr[2 * H + k] = dn;  // r waits for d(r ⊙ h) (phase B)
      } else {
        const S dr = dn * hn * rg * (S(1) - rg);
        ggr[2 * H + k] = dn * rg;
        ggr[k] = dr;
        gg[k] = dr;
        if (a.ggh) a.ggh[bt * G + k] = dr;
      }
      if (a.ggh) {
        a.ggh[bt * G + H + k] = dz;
        a.ggh[bt * G + 2 * H + k] = ggr[2 * H + k];
      }
      if (a.hprev) a.hprev[bt * H + k] = hp;
      if (a.rhprev) a.rhprev[bt * H + k] = rg * hp;
      datt[i] = da;
      dh[i] = d * c_h;  // direct term; the matvec is added in phase D
    }
    __syncthreads();  // ggh (and datt) of this step complete
    if (rbl) {
      // Phase B (ResetBeforeLinear): d(r⊙h)[k] = Σ_j g_gh_n[j] W(2H+j, k), then dr and the
      // r-gate gradient; same (row, k) mapping as phase A, so dh[i] is this thread's own.
      for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
        const int r = i / H, k = i % H;
        if (t >= len_s[r]) continue;
        const int64_t b = row0 + r, bt = b * T + t;
        const S* ggn = ggh + r * G + 2 * H;
        S drh = S(0);
        for (int j = 0; j < H; ++j) drh += ggn[j] * w[(2 * H + j) * H + k];
        const S rg = a.ws[bt * 4 * H + k];
        const S hp = t > 0 ? a.states[(bt - 1) * H + k] : (a.h0 ? a.h0[b * H + k] : S(0));
        const S dr = drh * hp * rg * (S(1) - rg);
        ggh[r * G + k] = dr;  // writes the r slots; this phase reads only the n slots
        a.g_gi[bt * G + k] = dr;
        if (a.ggh) a.ggh[bt * G + k] = dr;
        dh[i] += drh * rg;
      }
      __syncthreads();  // r slots of ggh complete before the matvec reads them
    }
    // Phase D: dh_prev[k] = direct + Σ_j g_gh[j] W(j, k) over the rows that multiply h.
    const int nj = rbl ? 2 * H : G;
    for (int i = threadIdx.x; i < rows * H; i += blockDim.x) {
      const int r = i / H, k = i % H;
      if (t >= len_s[r]) continue;
      const S* ggr = ggh + r * G;
      S acc = S(0);
      for (int j = 0; j < nj; ++j) acc += ggr[j] * w[j * H + k];
      dh[i] += acc;
    }
    // g_att: one thread per row sums the row's H terms in k order (deterministic).
    if (a.g_att)
      for (int r = threadIdx.x; r < rows; r += blockDim.x) {
        S s = S(0);
        if (t < len_s[r])
          for (int k = 0; k < H; ++k) s += datt[r * H + k];
        a.g_att[(row0 + r) * T + t] = s;
      }
    __syncthreads();  // dh complete, ggh/datt free before the next step writes them
  }
  if (a.g_h0)
    for (int i = threadIdx.x; i < rows * H; i += blockDim.x) a.g_h0[row0 * H + i] = dh[i];
}

// ---- small helpers -----------------------------------------------------------------------

// out [H, G] = w [G, H] transposed (the forward's global-memory fallback reads W(j, k) at
// k*G + j, coalesced across the gate index j that neighbouring threads take).
template <class S>
__global__ void transpose_kernel(const S* w, S* out, int G, int H) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < static_cast<int64_t>(G) * H;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[(i % H) * G + i / H] = w[i];
}

template <class S>
__global__ void fill_kernel(S* p, int64_t n, S v) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    p[i] = v;
}

// Column-major cuBLAS wrappers for f32 / f64.
void gemm_cm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* A, int lda,
             const float* Bm, int ldb, float* C, int ldc, const char* op) {
  const float one = 1.f, zero = 0.f;
  count_launch();
  DIEN_CUBLAS_CHECK(op, cublasSgemm(cublas(), ta, tb, m, n, k, &one, A, lda, Bm, ldb, &zero, C, ldc));
}
void gemm_cm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const double* A, int lda,
             const double* Bm, int ldb, double* C, int ldc, const char* op) {
  const double one = 1.0, zero = 0.0;
  count_launch();
  DIEN_CUBLAS_CHECK(op, cublasDgemm(cublas(), ta, tb, m, n, k, &one, A, lda, Bm, ldb, &zero, C, ldc));
}
void gemv_cm(int m, int n, const float* A, int lda, const float* x, float* y, const char* op) {
  const float one = 1.f, zero = 0.f;
  DIEN_CUBLAS_CHECK(op, cublasSgemv(cublas(), CUBLAS_OP_N, m, n, &one, A, lda, x, 1, &zero, y, 1));
}
void gemv_cm(int m, int n, const double* A, int lda, const double* x, double* y, const char* op) {
  const double one = 1.0, zero = 0.0;
  DIEN_CUBLAS_CHECK(op, cublasDgemv(cublas(), CUBLAS_OP_N, m, n, &one, A, lda, x, 1, &zero, y, 1));
}

// ---- launch planning -----------------------------------------------------------------------

struct ScanPlan {
  int rows = 1;
  bool w_smem = false;
  size_t smem = 0;
  unsigned blocks = 0;
};

// The current device's SM count and shared-memory limits, asked once per device.
struct DeviceLimits {
  int sms = 1, optin = 48 * 1024, per_sm = 48 * 1024;
};
const DeviceLimits& device_limits(const char* op) {
  static std::mutex mu;
  static std::map<int, DeviceLimits> known;
  int dev = 0;
  DIEN_CUDA_CHECK(op, cudaGetDevice(&dev));
  std::lock_guard<std::mutex> lock(mu);
  auto it = known.find(dev);
  if (it != known.end()) return it->second;
  DeviceLimits l;
  DIEN_CUDA_CHECK(op, cudaDeviceGetAttribute(&l.sms, cudaDevAttrMultiProcessorCount, dev));
  DIEN_CUDA_CHECK(op, cudaDeviceGetAttribute(&l.optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  DIEN_CUDA_CHECK(op, cudaDeviceGetAttribute(&l.per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, dev));
  return known.emplace(dev, l).first->second;  // map nodes never move
}

// Chooses whether W_hh goes to shared memory and how many rows a block takes. The choice
// changes only speed, never results (each dot product is one thread's, in a fixed order).
ScanPlan plan_scan(const char* op, int64_t B, int64_t H, size_t s, bool forward) {
  const DeviceLimits& lim = device_limits(op);
  const int sms = lim.sms, optin = lim.optin, per_sm = lim.per_sm;
  auto bytes = [&](int rows, bool w) { return forward ? fwd_smem_bytes(H, rows, w, s) : bwd_smem_bytes(H, rows, w, s); };
  ScanPlan p;
  p.w_smem = bytes(1, true) <= static_cast<size_t>(optin);
  if (!p.w_smem && bytes(1, false) > static_cast<size_t>(optin))
    fail(op, "hidden size H = ", H, " needs ", bytes(1, false), " bytes of shared memory per row, more than the ",
         optin, " a block may have");
  // Blocks that can be resident at once (shared memory and threads), then rows so that the
  // batch spreads over all of them: more, smaller blocks hide latency better than fewer big ones.
  const int64_t per_block = static_cast<int64_t>(bytes(1, p.w_smem)) + 1024;  // + the runtime's reserve
  const int64_t blocks_per_sm = std::clamp<int64_t>(per_sm / per_block, 1, 2048 / kScanThreads);
  const int64_t slots = std::max<int64_t>(1, sms * blocks_per_sm);
  int rows = static_cast<int>(std::clamp<int64_t>(ceil_div(B, slots), 1, kMaxRows));
  while (rows > 1 && bytes(rows, p.w_smem) > static_cast<size_t>(optin)) --rows;
  p.rows = rows;
  p.smem = bytes(rows, p.w_smem);
  p.blocks = static_cast<unsigned>(ceil_div(B, rows));
  return p;
}

// Above 48 KiB a kernel must opt in to its dynamic shared memory size. Once per kernel and
// device, to all the device allows it (the opt-in limit less the kernel's static shared memory;
// every plan fits under it): setting each launch's own size raced between threads scanning
// different batch sizes (one could launch with more than another had just set).
template <class K>
void set_smem_limit(K kernel, size_t smem, const char* op) {
  static std::mutex mu;
  static std::map<std::pair<const void*, int>, size_t> allowed;  // (kernel, device) -> bytes
  int dev = 0;
  DIEN_CUDA_CHECK(op, cudaGetDevice(&dev));
  const std::pair<const void*, int> key{reinterpret_cast<const void*>(kernel), dev};
  std::lock_guard<std::mutex> lock(mu);
  auto it = allowed.find(key);
  if (it == allowed.end()) {
    cudaFuncAttributes fa{};
    DIEN_CUDA_CHECK(op, cudaFuncGetAttributes(&fa, kernel));
    const size_t most = static_cast<size_t>(device_limits(op).optin) - fa.sharedSizeBytes;
    DIEN_CUDA_CHECK(op, cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             static_cast<int>(most)));
    it = allowed.emplace(key, most).first;
  }
  if (smem > it->second)
    fail(op, "needs ", smem, " bytes of dynamic shared memory, beyond the ", it->second, " this kernel may have");
}

const int64_t* lengths_ptr(const Tensor& lengths, const char* op) {
  if (lengths.dtype() != DType::I64) fail(op, "lengths must be i64, got ", dtype_name(lengths.dtype()));
  return lengths.data<int64_t>();
}

template <class S>
void launch_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att,
                    const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh, Tensor& states, Tensor& last, Tensor* ws) {
  const char* op = "rnn_scan_forward";
  FwdArgs<S> a{};
  a.B = gi.size(0);
  a.T = gi.size(1);
  a.H = static_cast<int>(w_hh.size(1));
  a.gi = gi.data<S>();
  a.len = lengths_ptr(lengths, op);
  a.att = cell == RnnCell::Gru || !att ? nullptr : att->data<S>();
  if (cell != RnnCell::Gru && !a.att) fail(op, rnn_cell_name(cell), " needs attention scores");
  a.h0 = h0 ? h0->data<S>() : nullptr;
  a.w = w_hh.data<S>();
  a.b = b_hh ? b_hh->data<S>() : nullptr;
  a.states = states.data<S>();
  a.last = last.data<S>();
  a.ws = ws ? ws->data<S>() : nullptr;
  a.cell = cell;
  a.layout = layout;
  if (a.B == 0) return;
  const ScanPlan p = plan_scan(op, a.B, a.H, sizeof(S), true);
  a.rows = p.rows;
  if (p.w_smem) {
    auto k = rnn_fwd_kernel<S, true>;
    set_smem_limit(k, p.smem, op);
    k<<<p.blocks, kScanThreads, p.smem, stream()>>>(a);
    DIEN_LAUNCH_CHECK(op);
  } else {
    const int G = 3 * a.H;
    Tensor w_t = Tensor::empty(Shape{static_cast<int64_t>(G) * a.H}, gi.dtype(), gi.device());
    transpose_kernel<S><<<grid_for(static_cast<int64_t>(G) * a.H), kThreads, 0, stream()>>>(a.w, w_t.data<S>(), G, a.H);
    DIEN_LAUNCH_CHECK(op);
    a.w_t = w_t.data<S>();
    auto k = rnn_fwd_kernel<S, false>;
    set_smem_limit(k, p.smem, op);
    k<<<p.blocks, kScanThreads, p.smem, stream()>>>(a);
    DIEN_LAUNCH_CHECK(op);
  }  // w_t is released after the launch is queued: later users of its block run after it
}

template <class S>
void launch_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths, const Tensor* att,
                     const Tensor* h0, const Tensor& w_hh, const Tensor& states, const Tensor& ws,
                     const Tensor* g_states, const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att,
                     Tensor* g_w_hh, Tensor* g_b_hh) {
  const char* op = "rnn_scan_backward";
  BwdArgs<S> a{};
  a.B = gi.size(0);
  a.T = gi.size(1);
  a.H = static_cast<int>(w_hh.size(1));
  const int64_t H = a.H, G = 3 * H, M = a.B * a.T;  // M: rows of the per-step temporaries
  a.len = lengths_ptr(lengths, op);
  a.att = cell == RnnCell::Gru || !att ? nullptr : att->data<S>();
  if (cell != RnnCell::Gru && !a.att) fail(op, rnn_cell_name(cell), " needs attention scores");
  a.h0 = h0 ? h0->data<S>() : nullptr;
  a.w = w_hh.data<S>();
  a.states = states.data<S>();
  a.ws = ws.data<S>();
  a.g_states = g_states ? g_states->data<S>() : nullptr;
  a.g_last = g_last ? g_last->data<S>() : nullptr;
  a.g_gi = g_gi.data<S>();
  a.g_h0 = g_h0 ? g_h0->data<S>() : nullptr;
  a.g_att = g_att ? g_att->data<S>() : nullptr;
  a.cell = cell;
  a.layout = layout;
  const Device dev = gi.device();
  const DType dt = gi.dtype();
  const bool rbl = layout == GateLayout::ResetBeforeLinear;
  const bool weights = (g_w_hh || g_b_hh) && M > 0 && H > 0;
  // Temporaries for the weight gradients, [B*T, 3H] and [B*T, H]: written in full by the scan.
  Tensor ggh_t, hprev_t, rh_t;
  if (weights) {
    ggh_t = Tensor::empty(Shape{M * G}, dt, dev);
    a.ggh = ggh_t.data<S>();
    if (g_w_hh) {
      hprev_t = Tensor::empty(Shape{M * H}, dt, dev);
      a.hprev = hprev_t.data<S>();
      if (rbl) {
        rh_t = Tensor::empty(Shape{M * H}, dt, dev);
        a.rhprev = rh_t.data<S>();
      }
    }
  }
  if (a.B > 0) {
    const ScanPlan p = plan_scan(op, a.B, a.H, sizeof(S), false);
    a.rows = p.rows;
    auto k = p.w_smem ? rnn_bwd_kernel<S, true> : rnn_bwd_kernel<S, false>;
    set_smem_limit(k, p.smem, op);
    k<<<p.blocks, kScanThreads, p.smem, stream()>>>(a);
    DIEN_LAUNCH_CHECK(op);
  }
  // Weight gradients (row-major; cuBLAS sees the transposes, see gemm_cm's use):
  //   g_w_hh[j, k] = Σ_m ggh[m, j] L[m, k] with L = h_prev (r, z rows and, LinearBeforeReset,
  //   n rows) or r ⊙ h_prev (n rows, ResetBeforeLinear). In column-major terms C = L_cm · G_cmᵀ
  //   with L_cm [H, M] (ld H), G_cm [3H, M] (ld 3H) and C [H, 3H] (ld H) = g_w_hh row-major.
  //   g_b_hh[j] = Σ_m ggh[m, j] = G_cm · ones.
  if (g_w_hh) {
    if (!weights) {
      DIEN_CUDA_CHECK(op, cudaMemsetAsync(g_w_hh->raw_data(), 0, g_w_hh->nbytes(), stream()));
    } else {
      S* gw = g_w_hh->data<S>();
      const int m = static_cast<int>(H), k = static_cast<int>(M), ld = static_cast<int>(G);
      if (rbl) {
        gemm_cm(CUBLAS_OP_N, CUBLAS_OP_T, m, static_cast<int>(2 * H), k, a.hprev, m, a.ggh, ld, gw, m, op);
        gemm_cm(CUBLAS_OP_N, CUBLAS_OP_T, m, static_cast<int>(H), k, a.rhprev, m, a.ggh + 2 * H, ld, gw + 2 * H * H,
                m, op);
      } else {
        gemm_cm(CUBLAS_OP_N, CUBLAS_OP_T, m, static_cast<int>(G), k, a.hprev, m, a.ggh, ld, gw, m, op);
      }
    }
  }
  if (g_b_hh) {
    if (!weights) {
      DIEN_CUDA_CHECK(op, cudaMemsetAsync(g_b_hh->raw_data(), 0, g_b_hh->nbytes(), stream()));
    } else {
      Tensor ones = Tensor::empty(Shape{M}, dt, dev);
      fill_kernel<S><<<grid_for(M), kThreads, 0, stream()>>>(ones.data<S>(), M, S(1));
      DIEN_LAUNCH_CHECK(op);
      gemv_cm(static_cast<int>(G), static_cast<int>(M), a.ggh, static_cast<int>(G), ones.data<S>(),
              g_b_hh->data<S>(), op);
    }
  }
}

}  // namespace

void CudaBackend::rnn_scan_forward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                   const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                   Tensor& states, Tensor& last, Tensor* ws) {
  DeviceGuard guard(gi.device());
  dispatch_float(gi.dtype(), "rnn_scan_forward", [&](auto tag) {
    using S = decltype(tag);
    launch_forward<S>(cell, layout, gi, lengths, att, h0, w_hh, b_hh, states, last, ws);
  });
}

void CudaBackend::rnn_scan_backward(RnnCell cell, GateLayout layout, const Tensor& gi, const Tensor& lengths,
                                    const Tensor* att, const Tensor* h0, const Tensor& w_hh, const Tensor* b_hh,
                                    const Tensor& states, const Tensor& ws, const Tensor* g_states,
                                    const Tensor* g_last, Tensor& g_gi, Tensor* g_h0, Tensor* g_att, Tensor* g_w_hh,
                                    Tensor* g_b_hh) {
  DeviceGuard guard(gi.device());
  dispatch_float(gi.dtype(), "rnn_scan_backward", [&](auto tag) {
    using S = decltype(tag);
    launch_backward<S>(cell, layout, gi, lengths, att, h0, w_hh, states, ws, g_states, g_last, g_gi, g_h0, g_att,
                       g_w_hh, g_b_hh);
  });
}

}  // namespace dien::cuda
