// SPDX-License-Identifier: MIT
#include "models/inputs.h"

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "layers/attention.h"

namespace dien::model_inputs {

std::vector<std::string> names_of(const FeatureConfig& fc, FeatureKind kind) {
  std::vector<std::string> out;
  for (const auto* f : fc.of_kind(kind)) out.push_back(f->name);
  return out;
}

Tensor sparse_concat(const EmbeddingDict& emb, const data::Batch& b, const std::vector<std::string>& features) {
  TensorList xs;
  for (const auto& f : features) xs.push_back(emb.lookup(f, b.at(f)));
  if (xs.empty()) fail("model inputs", "no sparse feature to concatenate");
  return xs.size() == 1 ? xs[0] : concat(xs, 1);
}

Tensor varlen_concat(const EmbeddingDict& emb, const data::Batch& b, const std::vector<std::string>& features) {
  TensorList xs;
  for (const auto& f : features) xs.push_back(emb.lookup(f, b.at(f)));
  if (xs.empty()) fail("model inputs", "no varlen feature to concatenate");
  return xs.size() == 1 ? xs[0] : concat(xs, 2);
}

Tensor dense_concat(const FeatureConfig& fc, const data::Batch& b, DType dtype) {
  TensorList xs;
  for (const auto* f : fc.of_kind(FeatureKind::Dense)) {
    Tensor x = b.at(f->name);
    if (x.ndim() != 2 || x.size(1) != f->dimension)
      fail("model inputs", "dense feature '", f->name, "' must be [B, ", f->dimension, "], got ", x.describe());
    xs.push_back(x.to(dtype));
  }
  if (xs.empty()) return Tensor();
  return xs.size() == 1 ? xs[0] : concat(xs, 1);
}

Tensor pool(const Tensor& seq, const Tensor& lengths, const std::string& combiner) {
  const int64_t T = seq.size(1);
  Tensor mask = sequence_mask(lengths, T, seq.dtype()).to(seq.device());  // [B, T]
  if (combiner == "sum" || combiner == "mean") {
    Tensor s = weighted_sum(mask, seq);  // [B, E]
    if (combiner == "sum") return s;
    Tensor len = unsqueeze(lengths.to(seq.dtype()), 1);  // [B, 1]
    return s / (len + 1e-8);
  }
  if (combiner == "max") {
    // Max over valid steps: padded steps shifted by -1e9 (as DeepCTR-Torch), then a running
    // max(a, b) = relu(a - b) + b (dien has no max reduction op).
    Tensor shifted = seq - unsqueeze(rsub(mask, 1.0), 2) * 1e9;
    Tensor m = squeeze(slice(shifted, 1, 0, 1), 1);
    for (int64_t t = 1; t < T; ++t) {
      Tensor x = squeeze(slice(shifted, 1, t, t + 1), 1);
      m = relu(x - m) + m;
    }
    // A row with no valid step gives 0 (factor 0), the others factor 1.
    std::vector<double> f;
    for (double c : sum(mask, 1).to(DType::F64).to_vector<double>()) f.push_back(c > 0 ? 1.0 : 0.0);
    Tensor factor = unsqueeze(from_vector<double>(f).to(seq.dtype()).to(seq.device()), 1);
    return m * factor;
  }
  fail("model inputs", "unknown combiner '", combiner, "' (expected sum, mean or max)");
}

std::vector<std::string> other_varlen(const FeatureConfig& fc) {
  std::vector<std::string> out;
  for (const auto* f : fc.of_kind(FeatureKind::VarLenSparse)) {
    bool seq = false;
    for (const auto& h : fc.history_features) seq = seq || f->name == "hist_" + h || f->name == "neg_hist_" + h;
    if (!seq) out.push_back(f->name);
  }
  return out;
}

const Tensor& lengths_of(const FeatureConfig& fc, const data::Batch& b, const std::string& name) {
  const FeatureSpec& f = fc.at(name);
  if (f.kind != FeatureKind::VarLenSparse) fail("model inputs", "feature '", name, "' is not a varlen feature");
  return b.at(f.length_name);
}

}  // namespace dien::model_inputs
