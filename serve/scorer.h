// SPDX-License-Identifier: MIT
// The scoring computation of a session (serve/session.h) over a ServingPlan: the user part once
// per request (history embeddings, extractor states, the evolving GRU's input projections, the
// key side of the first attention layer, the user's share of the first DNN layer), then the K
// candidates (attention, the evolving GRU with the attention, the DNN), split across threads
// by blocks of candidates when the session has more than one.
#pragma once
#include <cstdint>
#include <vector>

#include "serve/arena.h"
#include "serve/plan.h"

namespace dien::serve {

// Ids of the user's histories: seq[i][0..L) for the plan's history sequence i.
struct HistoryIds {
  std::vector<const int64_t*> seq;
  int64_t L = 0;
};

// keys[n, Ep] = the concatenated history embeddings of events t0 .. t0+n-1 (padding zero).
void embed_events(const ServingPlan& p, const HistoryIds& h, int64_t t0, int64_t n, float* keys);

// DIEN: advances the user's states over events [t0, t1) given their keys (keys[0] is event t0):
// writes rows t0 .. t1-1 of interests [., Ep] (and of evolved [., Ep] for gru_type GRU); row
// t0-1 holds the state the recurrence starts from (zeros when t0 = 0). One step at a time or all
// at once gives the same bits.
void advance_states(const ServingPlan& p, const float* keys, int64_t t0, int64_t t1, float* interests, float* evolved,
                    Arena& arena);

// The value of a Sparse / Dense / Pooled segment of the first DNN layer.
struct SegmentValue {
  bool per_candidate = false;
  const int64_t* ids = nullptr;   // Sparse: [1] or [K]; Pooled: [len]
  int64_t len = 0;                // Pooled
  const float* values = nullptr;  // Dense: [dim] or [K * dim]
};

struct ScoreInputs {
  int64_t K = 0;
  HistoryIds history;
  const float* interests = nullptr;  // DIEN: [L, Ep] from the user-state cache, or null (computed)
  const float* evolved = nullptr;    // DIEN gru_type GRU: likewise
  std::vector<const int64_t*> query;  // per history feature: the candidates' ids [K]
  std::vector<SegmentValue> segments;  // aligned with plan.segments
};

// out[0 .. K) = probabilities (binary) or predictions. arenas: one per thread (arenas.size()
// threads at most; arenas[0] also holds the user part).
void score(const ServingPlan& p, const ScoreInputs& in, float* out, const std::vector<Arena*>& arenas);

}  // namespace dien::serve
