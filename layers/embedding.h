// SPDX-License-Identifier: MIT
// EmbeddingDict: one table per distinct embedding_name of a FeatureConfig's sparse and varlen
// features (DeepCTR-Torch's create_embedding_matrix), registered as "<table>.weight" so that a
// model holding it as "embedding_dict" has DeepCTR-Torch's names "embedding_dict.<table>.weight".
// Tables are ordered by first use: sparse features first, then varlen features.
//
//   EmbeddingDict emb(fc, init);
//   Tensor e = emb.lookup("hist_item_id", batch.at("hist_item_id"));   // [B, T, E]
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "layers/init.h"
#include "layers/module.h"
#include "data/features.h"

namespace dien {

class EmbeddingTable : public Module {
 public:
  EmbeddingTable(int64_t vocab, int64_t dim, init::Initializer& init)
      : weight_(register_parameter("weight", init.embedding(vocab, dim))) {}
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
};

class EmbeddingDict : public Module {
 public:
  EmbeddingDict(const FeatureConfig& features, init::Initializer& init);

  // embedding(table of feature, ids): ids of any shape S -> S + [E]. Unknown feature or an id
  // outside the vocabulary: dien::Error naming the feature.
  Tensor lookup(const std::string& feature, const Tensor& ids) const;
  const Tensor& table(const std::string& table_name) const;
  const Tensor& table_of(const std::string& feature) const;

  // Sum of squares of the distinct rows the listed features of `batch` look up: a sparse feature
  // uses its B ids, a varlen feature only the ids at steps < its row's length (padding is not
  // "used"). Each row counts once per table however often it occurs (implemented by gathering
  // the unique ids of each table on the host and summing embedding(table, unique)^2).
  // Differentiable; returns a scalar [] (0 when no row is used).
  Tensor l2_used(const data::Batch& batch, const std::vector<std::string>& feature_names) const;
  // Sum of squares of every table (DeepCTR-Torch's embedding regulariser).
  Tensor l2_all() const;

 private:
  const FeatureConfig& features_;
  std::map<std::string, std::shared_ptr<EmbeddingTable>> tables_;
  std::vector<std::string> order_;
};

// Flags the weight of every EmbeddingTable under `root` for row-sparse gradients (on) or dense
// ones (off): Tensor::set_row_sparse_grad. Drops their accumulated gradients. Returns the number
// of tables. fit() calls it per FitOptions::embedding_grad.
int set_embedding_grad(Module& root, bool row_sparse);

}  // namespace dien
