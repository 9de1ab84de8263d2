// SPDX-License-Identifier: MIT
#include "layers/embedding.h"

#include <algorithm>

#include "autograd/functions.h"
#include "autograd/sparse_grad.h"

namespace dien {

EmbeddingDict::EmbeddingDict(const FeatureConfig& features, init::Initializer& init) : features_(features) {
  auto add = [&](const FeatureSpec& f) {
    const std::string& t = f.table();
    if (tables_.count(t)) return;
    tables_[t] = register_module(t, std::make_shared<EmbeddingTable>(f.vocabulary_size, f.embedding_dim, init));
    order_.push_back(t);
  };
  for (const auto* f : features.of_kind(FeatureKind::Sparse)) add(*f);
  for (const auto* f : features.of_kind(FeatureKind::VarLenSparse)) add(*f);
}

const Tensor& EmbeddingDict::table(const std::string& table_name) const {
  auto it = tables_.find(table_name);
  if (it == tables_.end()) fail("EmbeddingDict", "no embedding table '", table_name, "'");
  return it->second->weight();
}

const Tensor& EmbeddingDict::table_of(const std::string& feature) const {
  const FeatureSpec* f = features_.find(feature);
  if (!f) fail("EmbeddingDict", "no feature '", feature, "'");
  if (f->kind == FeatureKind::Dense) fail("EmbeddingDict", "feature '", feature, "' is dense, it has no embedding");
  return table(f->table());
}

Tensor EmbeddingDict::lookup(const std::string& feature, const Tensor& ids) const {
  const Tensor& w = table_of(feature);
  try {
    return embedding(w, ids);
  } catch (const Error& e) {
    fail("EmbeddingDict", "feature '", feature, "': ", e.what());
  }
}

Tensor EmbeddingDict::l2_used(const data::Batch& batch, const std::vector<std::string>& feature_names) const {
  // table -> the ids used, then sorted and made distinct (a radix sort, O(n) in the ids the batch
  // holds; the same ascending order as a std::set, without a node per id).
  std::map<std::string, std::vector<int64_t>> used;
  for (const auto& name : feature_names) {
    const FeatureSpec* f = features_.find(name);
    if (!f || f->kind == FeatureKind::Dense) fail("EmbeddingDict::l2_used", "'", name, "' is not a sparse or varlen feature");
    std::vector<int64_t> ids = batch.at(name).to(DType::I64).to_vector<int64_t>();
    auto& s = used[f->table()];
    if (f->kind == FeatureKind::Sparse) {
      s.insert(s.end(), ids.begin(), ids.end());
    } else {
      std::vector<int64_t> len = batch.at(f->length_name).to(DType::I64).to_vector<int64_t>();
      const int64_t T = batch.at(name).size(1);
      for (size_t b = 0; b < len.size(); ++b)
        for (int64_t t = 0; t < len[b] && t < T; ++t) s.push_back(ids[b * T + t]);
    }
  }
  for (auto& [t, ids] : used) sort_unique_ids(ids);
  Tensor total;
  for (const auto& [t, ids] : used) {
    if (ids.empty()) continue;
    const Tensor& w = table(t);
    Tensor idx = index_tensor(ids, Shape{static_cast<int64_t>(ids.size())}, w.device());
    Tensor e = embedding(w, idx);
    Tensor s = sum(e * e);
    total = total.defined() ? total + s : s;
  }
  if (!total.defined()) {
    if (tables_.empty()) return dien::zeros(Shape{});
    const Tensor& w = tables_.begin()->second->weight();
    return dien::zeros({}, w.dtype(), w.device());
  }
  return total;
}

Tensor EmbeddingDict::l2_all() const {
  Tensor total;
  for (const auto& t : order_) {
    const Tensor& w = tables_.at(t)->weight();
    Tensor s = sum(w * w);
    total = total.defined() ? total + s : s;
  }
  return total;
}

int set_embedding_grad(Module& root, bool row_sparse) {
  int n = 0;
  if (auto* t = dynamic_cast<EmbeddingTable*>(&root)) {
    Tensor w = t->weight();
    w.zero_grad();
    w.set_row_sparse_grad(row_sparse);
    ++n;
  }
  for (const auto& [name, child] : root.named_children()) n += set_embedding_grad(*child, row_sparse);
  return n;
}

}  // namespace dien
