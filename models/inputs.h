// SPDX-License-Identifier: MIT
// Helpers the CTR models share to turn a Batch into embeddings (models/*.cpp).
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"
#include "layers/embedding.h"
#include "data/features.h"

namespace dien::model_inputs {

// Names of the sparse / dense features in config order.
std::vector<std::string> names_of(const FeatureConfig& fc, FeatureKind kind);
// concat over the last dim of the listed sparse features' embeddings -> [B, sum E].
Tensor sparse_concat(const EmbeddingDict& emb, const data::Batch& b, const std::vector<std::string>& features);
// concat over the last dim of varlen features' embeddings -> [B, T, sum E].
Tensor varlen_concat(const EmbeddingDict& emb, const data::Batch& b, const std::vector<std::string>& features);
// Dense features as [B, sum dim] in `dtype`, or undefined when there are none.
Tensor dense_concat(const FeatureConfig& fc, const data::Batch& b, DType dtype);
// Pooling of seq [B, T, E] over the valid steps t < lengths[b]: "sum", "mean" (sum / (len + 1e-8),
// DeepCTR-Torch's SequencePoolingLayer) or "max" (max over valid steps, 0 for a length-0 row).
Tensor pool(const Tensor& seq, const Tensor& lengths, const std::string& combiner);
// Varlen features that are neither "hist_<f>" nor "neg_hist_<f>" of a history feature f.
std::vector<std::string> other_varlen(const FeatureConfig& fc);
// The lengths column of varlen feature `name` in the batch (i64 [B]).
const Tensor& lengths_of(const FeatureConfig& fc, const data::Batch& b, const std::string& name);

}  // namespace dien::model_inputs
