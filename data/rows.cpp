// SPDX-License-Identifier: MIT
#include "data/rows.h"

#include "core/error.h"
#include "core/rng.h"

namespace dien::data {

Column& column(Dataset& ds, const std::string& name) {
  auto it = ds.columns.find(name);
  if (it == ds.columns.end()) fail("dataset", "no column '", name, "'");
  return it->second;
}

void push_sparse(Dataset& ds, const std::string& name, int64_t id) { column(ds, name).ids.push_back(id); }

void push_varlen(Dataset& ds, const std::string& name, const int64_t* ids, int64_t len) {
  Column& c = column(ds, name);
  DIEN_CHECK(len >= 0 && len <= c.width, "dataset", "column '", name, "': length ", len, " outside [0, ", c.width, "]");
  c.ids.insert(c.ids.end(), ids, ids + len);
  c.ids.insert(c.ids.end(), static_cast<size_t>(c.width - len), int64_t{0});
}

void push_dense(Dataset& ds, const std::string& name, const float* values, int64_t n) {
  Column& c = column(ds, name);
  DIEN_CHECK(n == c.width, "dataset", "column '", name, "': ", n, " values for width ", c.width);
  c.values.insert(c.values.end(), values, values + n);
}

void push_negatives(Dataset& ds, const NegativeSampler& sampler, uint64_t seed, int64_t row,
                    const std::vector<int64_t>& items, const std::vector<int64_t>& excluded,
                    const std::string& item_column, const std::string& category_column, const char* op,
                    const std::string& where) {
  const int64_t len = static_cast<int64_t>(items.size());
  std::vector<int64_t> neg_items(items.size()), neg_cats(items.size());
  Generator g(mix_seed(seed, static_cast<uint64_t>(row)));
  try {
    sampler.sample(items.data(), len, g, neg_items.data(), neg_cats.data(), excluded);
  } catch (const Error& e) {
    fail(op, where, ": ", e.what());
  }
  push_varlen(ds, item_column, neg_items.data(), len);
  push_varlen(ds, category_column, neg_cats.data(), len);
}

void flush_if_full(Dataset& ds, int64_t chunk_rows, const std::function<void(Dataset&&)>& on_chunk) {
  if (ds.rows() < chunk_rows) return;
  FeatureConfig fc = ds.features;
  on_chunk(std::move(ds));
  ds = Dataset::empty(fc);
}

}  // namespace dien::data
