// SPDX-License-Identifier: MIT
// serve/scorer.h: the math of models/dien.cpp, models/base_model.cpp and the layers they use, in
// eval semantics, on the serving kernels, with the user's part computed once per request.
// Shapes: E (Ep padded) the history width, L the history length, K candidates (n in a block),
// A1 the first attention layer, H1 the first DNN layer; every [., N] buffer has its N padded.
#include "serve/scorer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/parallel.h"
#if DIEN_WITH_OPENMP
#endif

namespace dien::serve {

namespace {

// One recurrent step for M rows of h [M, Hp]: gh = h W_hhᵀ + b_hh, then the gates (both layouts).
struct StepArgs {
  const float* gi = nullptr;
  int64_t gi_ld = 0;
  const float* scale = nullptr;  // AIGRU: the attention a[m * scale_ld] scaling the projection
  int64_t scale_ld = 0;
  const float* gi_bias = nullptr;  // AIGRU: b_ih
  const float* att = nullptr;      // AGRU, AUGRU
  int64_t att_ld = 0;
};
void gru_step(const Kernels& k, const PackedGru& g, Cell cell, bool lbr, int64_t M, const StepArgs& a, float* h,
              float* gh, float* rh) {
  const int64_t Hp = g.hp, G = 3 * Hp, H = g.hidden;
  if (lbr) {
    k.gemm(M, G, H, h, Hp, g.whh_t.data(), G, gh, G, g.bhh.data(), false);
    k.gru_lbr(cell, M, Hp, a.gi, a.gi_ld, a.scale, a.scale_ld, a.gi_bias, gh, G, a.att, a.att_ld, h, Hp);
  } else {
    k.gemm(M, 2 * Hp, H, h, Hp, g.whh_t.data(), G, gh, G, g.bhh.data(), false);
    k.gru_rbl_reset(cell, M, Hp, a.gi, a.gi_ld, a.scale, a.scale_ld, a.gi_bias, gh, G, h, Hp, rh, Hp);
    k.gemm(M, Hp, H, rh, Hp, g.whh_t.data() + 2 * Hp, G, gh + 2 * Hp, G, g.bhh.data() + 2 * Hp, false);
    k.gru_rbl_update(cell, M, Hp, a.gi, a.gi_ld, a.scale, a.scale_ld, a.gi_bias, gh, G, a.att, a.att_ld, h, Hp);
  }
}

// A plain GRU (one sequence) over x rows [n, Ep] continuing from `prev` (row t0-1, or null:
// zeros), writing states rows out[0 .. n).
void run_gru(const ServingPlan& p, const PackedGru& g, const float* x, int64_t n, const float* prev, float* out,
             Arena& arena) {
  const Kernels& k = *p.k;
  const int64_t Hp = g.hp, G = 3 * Hp;
  float* gi = arena.alloc(n * G);
  k.gemm(n, G, g.in, x, p.Ep, g.wih_t.data(), G, gi, G, g.bih.data(), false);
  float* h = arena.alloc(Hp);
  if (prev) std::memcpy(h, prev, sizeof(float) * static_cast<size_t>(Hp));
  else std::memset(h, 0, sizeof(float) * static_cast<size_t>(Hp));
  float* gh = arena.alloc(G);
  float* rh = arena.alloc(Hp);
  for (int64_t t = 0; t < n; ++t) {
    StepArgs a;
    a.gi = gi + t * G;
    gru_step(k, g, Cell::Gru, p.lbr, 1, a, h, gh, rh);
    std::memcpy(out + t * p.Ep, h, sizeof(float) * static_cast<size_t>(Hp));
  }
}

// An MLP's layers first.. over x [M, .] (stride ld), layer after layer, in arena buffers; returns
// the last output (stride out_pad). x itself when there is no layer to run.
const float* run_mlp(const Kernels& k, const PackedMlp& mlp, const float* x, int64_t ld, int64_t M, Arena& arena,
                     size_t first = 0) {
  const float* cur = x;
  int64_t cur_ld = ld;
  for (size_t i = first; i < mlp.linears.size(); ++i) {
    const PackedLinear& l = mlp.linears[i];
    float* y = arena.alloc(M * l.out_pad);
    const ActParams act = mlp.acts[i].params();
    k.gemm_ex(M, l.out_pad, l.in, cur, cur_ld, l.wt.data(), l.out_pad, y, l.out_pad, nullptr, 0, l.bias.data(), &act);
    cur = y;
    cur_ld = l.out_pad;
  }
  return cur;
}

// Pooling of a user's varlen feature (segment sg) over its len ids (models/inputs.h: sum, mean, max).
void pool(const Segment& sg, const int64_t* ids, int64_t len, float* out) {
  const EmbeddingTable& t = sg.table;
  const std::string& combiner = sg.combiner;
  const int64_t d = t.dim;
  for (int64_t e = 0; e < d; ++e) out[e] = 0.f;
  if (combiner == "max") {
    for (int64_t s = 0; s < len; ++s) {
      const float* row = t.data + ids[s] * d;
      for (int64_t e = 0; e < d; ++e) out[e] = s == 0 ? row[e] : std::max(out[e], row[e]);
    }
    return;
  }
  for (int64_t s = 0; s < len; ++s) {
    const float* row = t.data + ids[s] * d;
    for (int64_t e = 0; e < d; ++e) out[e] += row[e];
  }
  if (combiner == "mean") {
    const float denom = static_cast<float>(static_cast<double>(len) + 1e-8);
    for (int64_t e = 0; e < d; ++e) out[e] /= denom;
  }
}

// What the candidates of a request share, computed once.
struct UserPart {
  int64_t L = 0;
  const float* keys = nullptr;      // [L, Ep] history embeddings (DIN, base/authors, DIEN when computing)
  const float* att_keys = nullptr;  // [L, Ep] the attention's keys
  const float* evolved = nullptr;   // [L, Ep] DIEN gru_type GRU
  const float* gi_evo = nullptr;    // [L, 3Hp] evolving GRU input projections (AIGRU: without bias)
  const float* U = nullptr;         // [L, A1p] k (Wk - Wd) + b of the attention's first layer
  const float* hsum = nullptr;      // [Ep] sum of keys
  const float* user_vec = nullptr;  // [H1p] the first DNN layer's user share (bias included)
};

UserPart user_part(const ServingPlan& p, const ScoreInputs& in, Arena& arena) {
  const Kernels& k = *p.k;
  UserPart u;
  const int64_t L = in.history.L, Ep = p.Ep;
  u.L = L;
  const bool dien = p.kind == "dien";
  const bool need_keys = p.kind == "din" || p.needs_hist_sum || (dien && !in.interests);
  if (need_keys) {
    float* keys = arena.alloc(std::max<int64_t>(L, 1) * Ep);
    embed_events(p, in.history, 0, L, keys);
    u.keys = keys;
  }
  if (dien) {
    const float* interests = in.interests;
    const float* evolved = in.evolved;
    if (!interests) {
      float* is = arena.alloc(std::max<int64_t>(L, 1) * Ep);
      float* ev = p.evolution == Evolution::Gru ? arena.alloc(std::max<int64_t>(L, 1) * Ep) : nullptr;
      advance_states(p, u.keys, 0, L, is, ev, arena);
      interests = is;
      evolved = ev;
    }
    u.evolved = evolved;
    u.att_keys = p.evolution == Evolution::Gru ? evolved : interests;
    if (p.evolution != Evolution::Gru) {
      const PackedGru& g = p.evolving;
      const int64_t G = 3 * g.hp;
      float* gi = arena.alloc(std::max<int64_t>(L, 1) * G);
      const float* bias = p.evolution == Evolution::Aigru ? nullptr : g.bih.data();
      k.gemm(L, G, g.in, interests, Ep, g.wih_t.data(), G, gi, G, bias, false);
      u.gi_evo = gi;
    }
  } else if (p.kind == "din") {
    u.att_keys = u.keys;
  }
  if (p.attention == Attention::Din) {
    const PackedLinear& ks = p.k_side;
    float* U = arena.alloc(std::max<int64_t>(L, 1) * ks.out_pad);
    k.gemm(L, ks.out_pad, ks.in, u.att_keys, Ep, ks.wt.data(), ks.out_pad, U, ks.out_pad, ks.bias.data(), false);
    u.U = U;
  }
  if (p.needs_hist_sum) {
    float* s = arena.zeros(Ep);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t e = 0; e < p.E; ++e) s[e] += u.keys[t * Ep + e];
    u.hsum = s;
  }
  // The first DNN layer's bias plus its user segments.
  const PackedLinear& l0 = p.dnn.linears.front();
  float* uv = arena.alloc(l0.out_pad);
  std::memcpy(uv, l0.bias.data(), sizeof(float) * static_cast<size_t>(l0.out_pad));
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const Segment& sg = p.segments[s];
    const SegmentValue& v = in.segments[s];
    const float* x = nullptr;
    switch (sg.kind) {
      case SegmentKind::Sparse:
        if (!v.per_candidate) x = sg.table.data + v.ids[0] * sg.width;
        break;
      case SegmentKind::Dense:
        if (!v.per_candidate) x = v.values;
        break;
      case SegmentKind::Pooled: {
        float* pooled = arena.alloc(sg.width);
        pool(sg, v.ids, v.len, pooled);
        x = pooled;
        break;
      }
      case SegmentKind::HistSum: x = u.hsum; break;
      default: break;
    }
    if (x) k.gemm(1, l0.out_pad, sg.width, x, sg.width, l0.rows(sg.offset), l0.out_pad, uv, l0.out_pad, nullptr, true);
  }
  u.user_vec = uv;
  return u;
}

// Candidates [c0, c1) of the request: their probabilities into out[c0 .. c1).
void score_block(const ServingPlan& p, const ScoreInputs& in, const UserPart& u, int64_t c0, int64_t c1, float* out,
                 Arena& arena) {
  const Kernels& k = *p.k;
  const int64_t n = c1 - c0, L = u.L, Ep = p.Ep, E = p.E;
  // The candidates' queries: concat of the history features' embeddings [n, Ep].
  float* Q = arena.zeros(n * Ep);
  for (size_t i = 0; i < p.history.size(); ++i) {
    const EmbeddingTable& t = p.query_tables[i];
    for (int64_t c = 0; c < n; ++c)
      std::memcpy(Q + c * Ep + p.query_offset[i], t.data + in.query[i][c0 + c] * t.dim, sizeof(float) * static_cast<size_t>(t.dim));
  }
  // Attention weights [n, L].
  float* A = arena.alloc(std::max<int64_t>(n * L, 1));
  if (p.attention == Attention::Din && L > 0) {
    const int64_t A1p = p.q_side.out_pad;
    float* v = arena.alloc(A1p);
    float* X = arena.alloc(L * Ep);
    float* C = arena.alloc(L * A1p);
    const ActParams act0 = p.act0.params();
    for (int64_t c = 0; c < n; ++c) {
      const float* q = Q + c * Ep;
      k.gemm(1, A1p, E, q, Ep, p.q_side.wt.data(), A1p, v, A1p, nullptr, false);
      k.mul_rows(L, Ep, u.att_keys, Ep, q, X, Ep);
      // act0(U + v + (k * q) Wp): the user's key side, the candidate's query side, the product term.
      k.gemm_ex(L, A1p, E, X, Ep, p.p_side.wt.data(), A1p, C, A1p, u.U, A1p, v, &act0);
      const float* h = C;
      int64_t ld = A1p, width = p.q_side.out;
      if (!p.rest.linears.empty()) {
        h = run_mlp(k, p.rest, C, A1p, L, arena);
        ld = p.rest.out_pad();
        width = p.rest.out();
      }
      k.rowdot(L, width, h, ld, p.dense_w.data(), p.dense_b, A + c * L);
      if (p.normalize) k.softmax(A + c * L, L);
    }
  } else if (p.attention == Attention::Bilinear && L > 0) {
    float* v = arena.alloc(Ep);
    for (int64_t c = 0; c < n; ++c) {
      k.gemm(1, Ep, E, Q + c * Ep, Ep, p.bilinear.wt.data(), p.bilinear.out_pad, v, Ep, nullptr, false);
      k.rowdot(L, E, u.att_keys, Ep, v, 0.f, A + c * L);
      k.softmax(A + c * L, L);
    }
  }
  // The final interest [n, Ep].
  float* F = nullptr;
  if (p.kind == "dien" && p.evolution != Evolution::Gru && p.lbr && in.K >= k.width) {
    // Many candidates: the recurrence transposed (serve/kernels.h gru_lbr_cols), candidates along
    // the vector lanes, so no lane is padding along the hidden units; the same bits as below.
    const PackedGru& g = p.evolving;
    const int64_t H = g.hidden, Np = pad_to(n, k.width), G = 3 * g.hp;
    float* AT = arena.zeros(std::max<int64_t>(L, 1) * Np);  // [L, Np]: a_t of every candidate
    for (int64_t c = 0; c < n; ++c)
      for (int64_t t = 0; t < L; ++t) AT[t * Np + c] = A[c * L + t];
    float* hT = arena.zeros(H * Np);
    float* gh = arena.alloc(3 * H * Np);
    float* bias = arena.alloc(3 * H * Np);  // b_hh along each row: every step's initial gh
    k.fill_rows(3 * H, Np, g.bhh_rows.data(), bias, Np);
    const bool aigru = p.evolution == Evolution::Aigru;
    for (int64_t t = 0; t < L; ++t) {
      k.gemm_ex(3 * H, Np, H, g.whh.data(), H, hT, Np, gh, Np, bias, Np, nullptr, nullptr);
      k.gru_lbr_cols(aigru ? Cell::Gru : p.cell, H, Np, Np, u.gi_evo + t * G, g.hp, aigru ? AT + t * Np : nullptr,
                     aigru ? g.bih.data() : nullptr, gh, aigru ? nullptr : AT + t * Np, hT);
    }
    F = arena.zeros(n * g.hp);
    for (int64_t e = 0; e < H; ++e)
      for (int64_t c = 0; c < n; ++c) F[c * g.hp + e] = hT[e * Np + c];
  } else if (p.kind == "dien" && p.evolution != Evolution::Gru) {
    const PackedGru& g = p.evolving;
    const int64_t G = 3 * g.hp;
    F = arena.zeros(n * g.hp);
    float* gh = arena.alloc(n * G);
    float* rh = arena.alloc(n * g.hp);
    for (int64_t t = 0; t < L; ++t) {
      StepArgs a;
      a.gi = u.gi_evo + t * G;  // one row shared by every candidate
      if (p.evolution == Evolution::Aigru) {
        a.scale = A + t;
        a.scale_ld = L;
        a.gi_bias = g.bih.data();
      } else {
        a.att = A + t;
        a.att_ld = L;
      }
      gru_step(k, g, p.evolution == Evolution::Aigru ? Cell::Gru : p.cell, p.lbr, n, a, F, gh, rh);
    }
  } else if (p.kind == "dien" || p.kind == "din") {
    F = arena.alloc(n * Ep);
    const float* values = p.kind == "din" ? u.keys : u.evolved;
    k.gemm(n, Ep, L, A, L, values, Ep, F, Ep, nullptr, false);  // sum_t a_t v_t (0 when L = 0)
  }
  // The DNN: first layer = the user's share + the candidate segments.
  const PackedLinear& l0 = p.dnn.linears.front();
  const int64_t H1p = l0.out_pad;
  float* Z = arena.alloc(n * H1p);
  for (int64_t c = 0; c < n; ++c) std::memcpy(Z + c * H1p, u.user_vec, sizeof(float) * static_cast<size_t>(H1p));
  for (size_t s = 0; s < p.segments.size(); ++s) {
    const Segment& sg = p.segments[s];
    const SegmentValue& v = in.segments[s];
    const float* X = nullptr;
    int64_t ldx = 0;
    switch (sg.kind) {
      case SegmentKind::Final: X = F; ldx = Ep; break;
      case SegmentKind::Query: X = Q; ldx = Ep; break;
      case SegmentKind::QueryTimesHist: {
        float* qh = arena.alloc(n * Ep);
        k.mul_rows(n, Ep, Q, Ep, u.hsum, qh, Ep);
        X = qh;
        ldx = Ep;
        break;
      }
      case SegmentKind::Sparse: {
        if (!v.per_candidate) break;
        if (sg.history >= 0) {  // a history feature: its embedding is inside the query
          X = Q + p.query_offset[static_cast<size_t>(sg.history)];
          ldx = Ep;
          break;
        }
        const EmbeddingTable& t = sg.table;
        float* g = arena.alloc(n * t.dim);
        for (int64_t c = 0; c < n; ++c)
          std::memcpy(g + c * t.dim, t.data + v.ids[c0 + c] * t.dim, sizeof(float) * static_cast<size_t>(t.dim));
        X = g;
        ldx = t.dim;
        break;
      }
      case SegmentKind::Dense:
        if (v.per_candidate) {
          X = v.values + c0 * sg.width;
          ldx = sg.width;
        }
        break;
      default: break;  // HistSum, Pooled: the user's share
    }
    if (X) k.gemm(n, H1p, sg.width, X, ldx, l0.rows(sg.offset), H1p, Z, H1p, nullptr, true);
  }
  k.activate(p.dnn.acts.front().params(), Z, n, H1p, H1p);
  const float* h = run_mlp(k, p.dnn, Z, H1p, n, arena, /*first=*/1);
  float* logits = arena.alloc(n);
  k.rowdot(n, p.dnn.out(), h, p.dnn.out_pad(), p.final_w.data(), p.final_b, logits);
  for (int64_t c = 0; c < n; ++c)
    out[c0 + c] = p.binary ? static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logits[c])))) : logits[c];
}

}  // namespace

void embed_events(const ServingPlan& p, const HistoryIds& h, int64_t t0, int64_t n, float* keys) {
  const int64_t Ep = p.Ep;
  for (int64_t t = 0; t < n; ++t) {
    float* row = keys + t * Ep;
    for (size_t i = 0; i < p.sequences.size(); ++i) {
      const EmbeddingTable& tb = p.sequence_tables[i];
      std::memcpy(row + p.query_offset[i], tb.data + h.seq[i][t0 + t] * tb.dim, sizeof(float) * static_cast<size_t>(tb.dim));
    }
    for (int64_t e = p.E; e < Ep; ++e) row[e] = 0.f;
  }
}

void advance_states(const ServingPlan& p, const float* keys, int64_t t0, int64_t t1, float* interests, float* evolved,
                    Arena& arena) {
  const int64_t n = t1 - t0, Ep = p.Ep;
  if (n <= 0) return;
  run_gru(p, p.extractor, keys, n, t0 > 0 ? interests + (t0 - 1) * Ep : nullptr, interests + t0 * Ep, arena);
  if (p.evolution == Evolution::Gru)
    run_gru(p, p.evolving, interests + t0 * Ep, n, t0 > 0 ? evolved + (t0 - 1) * Ep : nullptr, evolved + t0 * Ep, arena);
}

void score(const ServingPlan& p, const ScoreInputs& in, float* out, const std::vector<Arena*>& arenas) {
  if (arenas.empty()) fail("score", "no scratch arena");
  const UserPart u = user_part(p, in, *arenas[0]);
  const int64_t K = in.K;
  // Blocks of candidates, one per thread, at least 8 candidates a block.
  constexpr int64_t kMaxBlocks = 64;
  const int64_t blocks =
      std::min<int64_t>({static_cast<int64_t>(arenas.size()), std::max<int64_t>(1, K / 8), kMaxBlocks});
  if (blocks <= 1) {
    score_block(p, in, u, 0, K, out, *arenas[0]);
    return;
  }
  // Block b always uses arena b, whichever pool thread runs it (core/parallel.h).
  parallel_run(blocks, 1, static_cast<int>(blocks), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t c0 = K * b / blocks, c1 = K * (b + 1) / blocks;
      score_block(p, in, u, c0, c1, out, *arenas[static_cast<size_t>(b)]);
    }
  });
}

}  // namespace dien::serve
