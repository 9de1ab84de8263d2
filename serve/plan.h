// SPDX-License-Identifier: MIT
// ServingPlan: a trained CtrModel (DIEN, DIN or the base model) turned into packed float32
// weights for the serving kernels (serve/kernels.h): transposed, padded to the kernel's vector
// width, batch norms folded into the linear layers, and the first attention and DNN layers
// split by input so that what depends only on the user is computed once per request:
//
//   attention (DIN's local activation unit), first layer over [q, k, q - k, q * k]:
//     W [q | k | d | p] x = q (Wq + Wd) + k (Wk - Wd) + (q * k) Wp
//     k (Wk - Wd) + b is the user part (keys are the user's), q (Wq + Wd) and (q * k) Wp the
//     candidate's;
//   DNN, first layer: W x = sum over the input's segments s of W_s x_s (+ b); a segment whose
//     value is the user's (profile features, pooled histories, dense user values) is summed once
//     per request, the others (the final interest, the candidate's features) per candidate.
//
// Built once per session (serve/session.h); read-only afterwards.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/features.h"
#include "models/ctr_model.h"
#include "serve/kernels.h"

namespace dien::serve {

// y[M, out] = x[M, in] Wᵀ + b, packed as wt [in, out_pad] (zero padded) and bias [out_pad].
struct PackedLinear {
  int64_t in = 0, out = 0, out_pad = 0;
  std::vector<float> wt, bias;
  const float* rows(int64_t first_input) const { return wt.data() + first_input * out_pad; }
};

struct PackedAct {
  Act kind = Act::Linear;
  std::vector<float> slope, alpha, scale, shift;  // see ActParams
  ActParams params() const;
};

// Linear -> activation, layer after layer (batch norm folded into the linears).
struct PackedMlp {
  std::vector<PackedLinear> linears;
  std::vector<PackedAct> acts;
  int64_t out() const { return linears.empty() ? 0 : linears.back().out; }
  int64_t out_pad() const { return linears.empty() ? 0 : linears.back().out_pad; }
};

// One GRU's weights, gate blocks r | z | n at 0, hp, 2 hp of the 3 hp padded columns.
struct PackedGru {
  int64_t in = 0, hidden = 0, hp = 0;
  std::vector<float> wih_t, bih;  // [in, 3hp], [3hp]
  std::vector<float> whh_t, bhh;  // [hidden, 3hp], [3hp]
  std::vector<float> whh, bhh_rows;  // torch's layout [3 hidden, hidden] and [3 hidden] (transposed steps)
};

// Where the first DNN layer's input comes from (its columns [offset, offset + width)).
enum class SegmentKind : uint8_t {
  Final,           // the attention-pooled / evolved interest [E] (candidate)
  Sparse,          // a sparse feature's embedding (candidate for history features, else either)
  Query,           // network "authors": the candidate's query [E]
  HistSum,         // the history's embeddings summed over valid steps [E] (user)
  QueryTimesHist,  // network "authors": query * HistSum [E] (candidate)
  Pooled,          // DIN/base: another varlen feature pooled by its combiner (user)
  Dense,           // a dense feature's values (either)
};
struct EmbeddingTable {
  const float* data = nullptr;  // [rows, dim], owned by the model
  int64_t rows = 0, dim = 0;
};

struct Segment {
  SegmentKind kind = SegmentKind::Final;
  std::string feature;  // Sparse, Pooled, Dense
  int64_t offset = 0, width = 0;
  // Resolved when the plan is built (the hot path looks nothing up by name):
  EmbeddingTable table;  // Sparse, Pooled: the feature's embedding
  int history = -1;      // Sparse: the index of this history feature (its embedding is in the query)
  std::string combiner;  // Pooled: sum | mean | max
};

enum class Evolution : uint8_t { None, Gru, Aigru, Agru, Augru };
enum class Attention : uint8_t { None, Din, Bilinear };

struct ServingPlan {
  std::shared_ptr<const CtrModel> model;  // owns the embedding tables
  const Kernels* k = nullptr;
  std::string kind;  // dien | din | base
  bool binary = true;
  FeatureConfig features;

  // History: history features f (the candidate's query), their sequences "hist_<f>" (the same
  // order) and the length column; E = sum of their embedding dims, Ep padded.
  std::vector<std::string> history, sequences;
  std::string length_column;
  int64_t maxlen = 0, E = 0, Ep = 0;
  std::vector<int64_t> query_offset;  // column of history feature i inside [E]
  std::map<std::string, EmbeddingTable> tables;  // by table name
  const EmbeddingTable& table_of(const std::string& feature) const;
  std::vector<EmbeddingTable> query_tables, sequence_tables;  // per history feature (hot path)

  // DIEN
  PackedGru extractor, evolving;
  Evolution evolution = Evolution::None;
  Cell cell = Cell::Gru;
  bool lbr = true;  // gate layout LinearBeforeReset

  // Attention: din: q_side [E -> A1] (Wq + Wd, no bias), k_side (Wk - Wd, + b), p_side (Wp),
  // act0, then `rest` (layers 1..), then score = dot(., dense_w) + dense_b; bilinear: v = W q
  // (PackedLinear over q), score_t = k_t . v. normalize: masked softmax, else raw scores.
  Attention attention = Attention::None;
  PackedLinear q_side, k_side, p_side;
  PackedAct act0;
  PackedMlp rest;
  std::vector<float> dense_w;
  float dense_b = 0;
  bool normalize = true;
  PackedLinear bilinear;

  // DNN: the first layer over `segments`, then the others; logit = dot(out, final_w) + final_b.
  std::vector<Segment> segments;
  PackedMlp dnn;
  std::vector<float> final_w;
  float final_b = 0;
  bool needs_hist_sum = false;  // network "authors" or the base model

  // Builds the plan; throws dien::Error naming what the model has that serving cannot run
  // (a tensor not on the CPU or not f32, a missing weight).
  static std::shared_ptr<const ServingPlan> build(std::shared_ptr<const CtrModel> model, const Kernels& k);
};

inline int64_t pad_to(int64_t n, int64_t w) { return (n + w - 1) / w * w; }

}  // namespace dien::serve
