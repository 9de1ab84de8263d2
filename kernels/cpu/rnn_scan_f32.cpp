// SPDX-License-Identifier: MIT
// The float32 recurrent scans: the schedule and math of kernels/cpu/rnn_scan.cpp, run in row
// blocks on the vector kernels (kernels/cpu/isa/kernels.h, the best instruction set of the CPU).
//
// Row blocks: sorted position i goes to block i mod nb (nb = ceil(B / kBlockRows)), so every
// block holds rows of every length (their work is about equal) and a block's rows are still
// sorted by length: at step t its running rows are a prefix of it. A block is one task of the
// library's pool (core/parallel.h) for the whole recurrence, forward or backward: its states,
// hidden projections and carried gradients stay in its own small buffers, in cache, and no
// thread waits for another between steps. The blocks depend on B only, never on the thread
// count, and every output element is computed by the same operations in the same order whatever
// thread runs its block: results do not change with threads.
//
// Per block and step: one product of the running rows' states by W_hhᵀ (packed [H, 3H] rounded
// up to the vector width, or [H, 3Hp] with each gate block padded: see gs below), then the gate
// kernel. Backward: the gate
// kernel, then dh_{t-1} += G W_hh (W_hh packed [3H, Hp]); each block keeps its rows' G and h_{t-1}
// and ends with its share of g_w_hh = Σ Gᵀ h_{t-1} and g_b_hh = Σ G, added over blocks in order.
// Training (ws non-null) and inference run the same kernels in the same order: bit for bit
// the same states. The training workspace ws is laid out compact by block and step (ws_bases).
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "core/threads.h"
#include "kernels/cpu/isa/kernels.h"
#include "kernels/cpu/rnn_scan_schedule.h"

namespace dien::cpu {

namespace {

constexpr int64_t kBlockRows = 32;

isa::Cell isa_cell(RnnCell c) {
  switch (c) {
    case RnnCell::Gru: return isa::Cell::Gru;
    case RnnCell::AugruPaper: return isa::Cell::AugruPaper;
    case RnnCell::AugruReference: return isa::Cell::AugruReference;
    case RnnCell::Agru: return isa::Cell::Agru;
  }
  return isa::Cell::Gru;
}

struct Block {
  std::vector<int64_t> rows;    // caller rows, lengths descending
  std::vector<int64_t> active;  // [block maxlen] rows running at step t
  std::vector<int64_t> offset;  // [block maxlen + 1] compact step-major row offsets
};

// Where each block's gates start in the workspace ws: ws is compact, block after block, and
// within a block step after step (step t's running rows at offset[t]), so the forward writes it
// and the backward reads it in address order (the caller's [B,T,4H] tensor is only its size:
// Σ lengths ≤ B·T rows of 4H).
std::vector<int64_t> ws_bases(const std::vector<Block>& blocks) {
  std::vector<int64_t> base(blocks.size(), 0);
  for (size_t k = 1; k < blocks.size(); ++k) base[k] = base[k - 1] + blocks[k - 1].offset.back();
  return base;
}

std::vector<Block> make_blocks(const Schedule& s) {
  const int64_t B = static_cast<int64_t>(s.order.size());
  const int64_t nb = std::max<int64_t>(1, (B + kBlockRows - 1) / kBlockRows);
  std::vector<Block> blocks(static_cast<size_t>(nb));
  for (int64_t i = 0; i < B; ++i) blocks[static_cast<size_t>(i % nb)].rows.push_back(s.order[i]);
  for (Block& k : blocks) {
    const int64_t maxlen = k.rows.empty() ? 0 : s.len[k.rows[0]];
    k.active.assign(maxlen, 0);
    for (int64_t b : k.rows)
      for (int64_t t = 0; t < s.len[b]; ++t) ++k.active[t];
    k.offset.assign(maxlen + 1, 0);
    for (int64_t t = 0; t < maxlen; ++t) k.offset[t + 1] = k.offset[t] + k.active[t];
  }
  return blocks;
}

int64_t padded(int64_t H, int width) { return (H + width - 1) / width * width; }

// A thread's scratch buffers, kept between calls: the blocks' buffers (a few MB) would otherwise
// come fresh from malloc every call, fresh pages and their faults included. slot: which buffer;
// the contents are unspecified (callers fill what they read).
float* scratch(size_t slot, int64_t n) {
  thread_local std::vector<std::vector<float>> bufs;
  if (bufs.size() <= slot) bufs.resize(slot + 1);
  std::vector<float>& b = bufs[slot];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

// A [3H, K] weight transposed and packed [K, ld3] (gate g's unit j at column g gs + j) and its
// bias [ld3]; zeros in the padding. K = H (W_hh) or D (W_ih).
void pack_gates(const float* w, const float* b, int64_t H, int64_t K, int64_t gs, int64_t ld3, std::vector<float>& wt,
                std::vector<float>& bias) {
  wt.assign(K * ld3, 0.f);
  for (int64_t g = 0; g < 3; ++g)
    for (int64_t j = 0; j < H; ++j)
      for (int64_t k = 0; k < K; ++k) wt[k * ld3 + g * gs + j] = w[(g * H + j) * K + k];
  bias.assign(ld3, 0.f);
  if (b)
    for (int64_t g = 0; g < 3; ++g) std::memcpy(&bias[g * gs], b + g * H, H * sizeof(float));
}

// w [rows, cols] copied into rows of ld >= cols floats, zeros in the padding.
std::vector<float> pad_rows(const float* w, int64_t rows, int64_t cols, int64_t ld) {
  std::vector<float> out(rows * ld, 0.f);
  for (int64_t i = 0; i < rows; ++i) std::memcpy(&out[i * ld], w + i * cols, cols * sizeof(float));
  return out;
}

// Step t's x rows [D] of the running rows rows[0..na) into dst (row stride ld, padding lanes 0),
// and a prefetch of each row's step t + next_step (the step the scan visits next).
void gather_rows(const float* x, const int64_t* rows, int64_t na, int64_t Tn, int64_t t, int64_t D, float* dst,
                 int64_t ld, int64_t next_step) {
  const bool prefetch = t + next_step >= 0 && t + next_step < Tn;
  for (int64_t m = 0; m < na; ++m) {
    const float* src = x + (rows[m] * Tn + t) * D;
    std::memcpy(dst + m * ld, src, D * sizeof(float));
    std::fill(dst + m * ld + D, dst + (m + 1) * ld, 0.f);
    if (prefetch)  // every cache line of it
      for (int64_t k = 0; k < D; k += 16) __builtin_prefetch(src + next_step * D + k, 0, 3);
  }
}

// out[j] = Σ_r a[r, j] over the n rows of a [n, cols].
void column_sums(const float* a, int64_t n, int64_t cols, float* out) {
  std::fill(out, out + cols, 0.f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < cols; ++j) out[j] += a[r * cols + j];
}

// out [rows, cols] = Σ_k part[k] over the nb blocks' shares part [nb, rows, ld], in block order.
void add_blocks(const std::vector<float>& part, int64_t nb, int64_t rows, int64_t ld, int64_t cols, float* out) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      float acc = 0.f;
      for (int64_t k = 0; k < nb; ++k) acc += part[(k * rows + i) * ld + j];
      out[i * cols + j] = acc;
    }
}

}  // namespace

void scan_forward_f32(RnnCell cell, GateLayout layout, const Schedule& s, const float* gi, const float* att,
                      const float* h0, const float* w_hh, const float* b_hh, float* states, float* last, float* ws,
                      int64_t Tn, int64_t H, const float* x, int64_t D, const float* w_ih, const float* b_ih) {
  const isa::Kernels& K = isa::select_kernels();
  const isa::Cell c = isa_cell(cell);
  const bool lbr = layout == GateLayout::LinearBeforeReset;
  // LinearBeforeReset packs the three gate blocks of gh (and of the projections) one after the
  // other (gs = H, rows of 3H rounded up to the width: a quarter fewer columns than padding each
  // gate when H = 36 and the width is 16); ResetBeforeLinear's second product writes the n block
  // alone, so its blocks are padded one by one (gs = Hp).
  const int64_t Hp = padded(H, K.width);
  const int64_t gs = lbr ? H : Hp, H3p = lbr ? padded(3 * H, K.width) : 3 * Hp;
  const int64_t slack = K.width;  // a packed row's last gate is read a whole vector at a time
  std::vector<float> wt, bias;
  pack_gates(w_hh, b_hh, H, H, gs, H3p, wt, bias);
  const float* bp = b_hh ? bias.data() : nullptr;
  // From x: W_ihᵀ packed [D, H3p] and b_ih [H3p], the same layout as the recurrent ones.
  std::vector<float> wit, bias_ih;
  if (x) pack_gates(w_ih, b_ih, H, D, gs, H3p, wit, bias_ih);
  const std::vector<Block> blocks = make_blocks(s);
  const std::vector<int64_t> base = ws_bases(blocks);

  parallel_run(static_cast<int64_t>(blocks.size()), 1, num_threads(), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const Block& blk = blocks[static_cast<size_t>(k)];
      const int64_t R = static_cast<int64_t>(blk.rows.size());
      float* h = scratch(0, R * Hp);
      float* gh = scratch(1, R * H3p + slack);
      float* rh = scratch(2, lbr ? 0 : R * Hp);
      std::fill(h, h + R * Hp, 0.f);
      std::fill(gh + R * H3p, gh + R * H3p + slack, 0.f);  // (rows are written before they are read)
      if (!lbr) std::fill(rh, rh + R * Hp, 0.f);
      if (h0)
        for (int64_t m = 0; m < R; ++m) std::memcpy(&h[m * Hp], h0 + blk.rows[m] * H, H * sizeof(float));
      isa::ScanStep st{blk.rows.data(), 0, Tn, H, Hp, gs, H3p, gi, att, states, ws};
      float* xg = x ? scratch(3, R * D) : nullptr;
      float* gib = x ? scratch(4, R * H3p + slack) : nullptr;
      if (gib) std::fill(gib + R * H3p, gib + R * H3p + slack, 0.f);
      for (int64_t t = 0; t < static_cast<int64_t>(blk.active.size()); ++t) {
        const int64_t na = blk.active[t];
        st.t = t;
        if (ws) st.ws = ws + (base[k] + blk.offset[t]) * 4 * H;
        if (x) {  // this step's projections of the block's running rows, in cache
          gather_rows(x, blk.rows.data(), na, Tn, t, D, xg, D, +1);
          K.gemm(na, H3p, D, xg, D, wit.data(), H3p, gib, H3p, bias_ih.data(), false);
          st.gi_blk = gib;
        }
        if (lbr) {
          K.gemm(na, H3p, H, h, Hp, wt.data(), H3p, gh, H3p, bp, false);
          K.scan_lbr(c, st, na, gh, h);
        } else {
          K.gemm(na, 2 * Hp, H, h, Hp, wt.data(), H3p, gh, H3p, bp, false);
          K.scan_rbl_reset(c, st, na, gh, h, rh);
          K.gemm(na, Hp, H, rh, Hp, wt.data() + 2 * gs, H3p, gh + 2 * gs, H3p, bp ? bp + 2 * gs : nullptr, false);
          K.scan_rbl_update(c, st, na, gh, h);
        }
      }
      // Rows that ended keep their state in h: that is `last` (h0 or 0 for a length-0 row);
      // states past a row's length are zeros.
      for (int64_t m = 0; m < R; ++m) {
        const int64_t b = blk.rows[m];
        std::memcpy(last + b * H, &h[m * Hp], H * sizeof(float));
        if (s.len[b] < Tn) std::memset(states + (b * Tn + s.len[b]) * H, 0, (Tn - s.len[b]) * H * sizeof(float));
      }
    }
  });
}

void scan_backward_f32(RnnCell cell, GateLayout layout, const Schedule& s, const float* att, const float* h0,
                       const float* w_hh, const float* states, const float* ws, const float* g_states,
                       const float* g_last, float* g_gi, float* g_h0, float* g_att, float* g_w_hh, float* g_b_hh,
                       int64_t Tn, int64_t H, const ScanInputGrads& in) {
  const isa::Kernels& K = isa::select_kernels();
  const isa::Cell c = isa_cell(cell);
  const bool lbr = layout == GateLayout::LinearBeforeReset;
  const int64_t Hp = padded(H, K.width), H3 = 3 * H;
  // W_hh packed [3H, Hp]: the right operand of dh_{t-1} += G W_hh.
  const std::vector<float> wp = pad_rows(w_hh, H3, H, Hp);
  const std::vector<Block> blocks = make_blocks(s);
  const std::vector<int64_t> base = ws_bases(blocks);
  const int64_t nb = static_cast<int64_t>(blocks.size());
  // Each block's share of g_w_hh [3H, Hp] and g_b_hh [3H].
  std::vector<float> gw_part(g_w_hh ? nb * H3 * Hp : 0), gb_part(g_b_hh ? nb * H3 : 0);
  // g_gi kept in the blocks (rnn_scan_backward_x): W_ih packed [3H, Dp] for g_x = g_gi W_ih, and
  // each block's share of g_w_ih [3H, Dp] and g_b_ih [3H].
  const bool local_gi = g_gi == nullptr;
  const int64_t D = in.D, Dp = padded(std::max<int64_t>(D, 1), K.width);
  const std::vector<float> wihp = local_gi && in.g_x ? pad_rows(in.w_ih, H3, D, Dp) : std::vector<float>();
  std::vector<float> gwi_part(local_gi && in.g_w_ih ? nb * H3 * Dp : 0), gbi_part(local_gi && in.g_b_ih ? nb * H3 : 0);

  parallel_run(nb, 1, num_threads(), [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const Block& blk = blocks[static_cast<size_t>(k)];
      const int64_t R = static_cast<int64_t>(blk.rows.size()), maxlen = static_cast<int64_t>(blk.active.size());
      const int64_t N = blk.offset.back();
      // Compact, step-major: rows offset[t] .. offset[t] + active[t] hold step t's running rows.
      // (every row of G, P and RH is written by its step before it is read)
      float* G = scratch(0, N * H3);
      float* P = scratch(1, N * Hp);
      float* RH = scratch(2, lbr ? 0 : N * Hp);
      float* carry = scratch(3, R * Hp);
      float* next = scratch(4, R * Hp);
      float* drh = scratch(5, lbr ? 0 : R * Hp);
      float* GI = local_gi ? scratch(6, N * H3) : nullptr;                  // g_gi, compact like G
      float* XR = local_gi && in.g_w_ih ? scratch(7, N * Dp) : nullptr;     // x rows, compact
      float* gxb = local_gi && in.g_x ? scratch(8, R * Dp) : nullptr;       // g_x rows of a step
      std::fill(carry, carry + R * Hp, 0.f);
      std::fill(next, next + R * Hp, 0.f);
      if (!lbr) std::fill(drh, drh + R * Hp, 0.f);
      isa::ScanBack sb{blk.rows.data(), 0, Tn, H, Hp, att, h0, states, ws, g_states, g_last, g_gi, g_att};
      for (int64_t t = maxlen - 1; t >= 0; --t) {
        const int64_t na = blk.active[t], na_after = t + 1 < maxlen ? blk.active[t + 1] : 0;
        float* Gt = &G[blk.offset[t] * H3];
        float* Pt = &P[blk.offset[t] * Hp];
        sb.t = t;
        sb.ws = ws + (base[k] + blk.offset[t]) * 4 * H;
        float* GIt = local_gi ? GI + blk.offset[t] * H3 : nullptr;
        sb.g_gi_blk = GIt;
        K.scan_back_cell(c, lbr, sb, na, na_after, carry, next, Gt, Pt);
        if (lbr) {
          K.gemm(na, Hp, H3, Gt, H3, wp.data(), Hp, next, Hp, nullptr, true);
        } else {
          K.gemm(na, Hp, H, Gt + 2 * H, H3, wp.data() + 2 * H * Hp, Hp, drh, Hp, nullptr, false);
          K.scan_back_rbl(sb, na, drh, Pt, Gt, &RH[blk.offset[t] * Hp], next);
          K.gemm(na, Hp, 2 * H, Gt, H3, wp.data(), Hp, next, Hp, nullptr, true);
        }
        if (gxb) {  // g_x rows of this step = g_gi W_ih
          K.gemm(na, Dp, H3, GIt, H3, wihp.data(), Dp, gxb, Dp, nullptr, false);
          for (int64_t m = 0; m < na; ++m) {
            float* dst = in.g_x + (blk.rows[m] * Tn + t) * D;
            std::memcpy(dst, gxb + m * Dp, D * sizeof(float));
            if (t > 0)  // the row's previous step, written next: its lines asked for now
              for (int64_t k = 0; k < D + 16; k += 16) __builtin_prefetch(dst - D + k, 1, 3);
          }
        }
        if (XR)  // x rows of this step, the right operand of g_w_ih
          gather_rows(in.x, blk.rows.data(), na, Tn, t, D, XR + blk.offset[t] * Dp, Dp, -1);
        std::swap(carry, next);
      }
      for (int64_t m = 0; m < R; ++m) {
        const int64_t b = blk.rows[m];
        // g_h0: what reached h_{-1}; a length-0 row passes g_last straight through.
        if (g_h0) {
          float* out = g_h0 + b * H;
          if (s.len[b] > 0) std::memcpy(out, &carry[m * Hp], H * sizeof(float));
          else if (g_last) std::memcpy(out, g_last + b * H, H * sizeof(float));
          else std::memset(out, 0, H * sizeof(float));
        }
        // Padded steps get zero gradients.
        if (s.len[b] < Tn) {
          if (g_gi) std::memset(g_gi + (b * Tn + s.len[b]) * H3, 0, (Tn - s.len[b]) * H3 * sizeof(float));
          if (gxb) std::memset(in.g_x + (b * Tn + s.len[b]) * D, 0, (Tn - s.len[b]) * D * sizeof(float));
        }
        if (g_att)
          for (int64_t t = s.len[b]; t < Tn; ++t) g_att[b * Tn + t] = 0.f;
      }
      if (g_w_hh) {
        float* gw = &gw_part[k * H3 * Hp];
        if (lbr) {
          K.gemm_tn(H3, Hp, N, G, H3, P, Hp, gw, Hp, false);
        } else {
          K.gemm_tn(2 * H, Hp, N, G, H3, P, Hp, gw, Hp, false);
          K.gemm_tn(H, Hp, N, G + 2 * H, H3, RH, Hp, gw + 2 * H * Hp, Hp, false);
        }
      }
      if (g_b_hh) column_sums(G, N, H3, &gb_part[k * H3]);
      if (XR) K.gemm_tn(H3, Dp, N, GI, H3, XR, Dp, &gwi_part[k * H3 * Dp], Dp, false);
      if (local_gi && in.g_b_ih) column_sums(GI, N, H3, &gbi_part[k * H3]);
    }
  });
  // The blocks' shares, added in block order.
  if (local_gi && in.g_w_ih) add_blocks(gwi_part, nb, H3, Dp, D, in.g_w_ih);
  if (local_gi && in.g_b_ih) add_blocks(gbi_part, nb, 1, H3, H3, in.g_b_ih);
  if (g_w_hh) add_blocks(gw_part, nb, H3, Hp, H, g_w_hh);
  if (g_b_hh) add_blocks(gb_part, nb, 1, H3, H3, g_b_hh);
}

}  // namespace dien::cpu
