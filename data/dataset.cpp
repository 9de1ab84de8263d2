// SPDX-License-Identifier: MIT
#include "data/dataset.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"

namespace dien::data {

const Tensor& Batch::at(const std::string& name) const {
  auto it = x.find(name);
  if (it != x.end()) return it->second;
  std::string known;
  for (const auto& [k, v] : x) known += (known.empty() ? "" : ", ") + k;
  fail("batch", "no column '", name, "'; columns: ", known);
}

int64_t Batch::size() const {
  if (!x.empty()) return x.begin()->second.ndim() > 0 ? x.begin()->second.size(0) : 0;
  if (y.defined() && y.ndim() > 0) return y.size(0);
  return 0;
}

Batch Batch::to(Device device) const {
  // Ids, lengths and groups are read on the host (the ops' checks, the metrics): from a kept copy,
  // not the device (as Dataset::gather's index_tensor columns).
  auto moved = [&](const Tensor& v) {
    Tensor t = v.to(device);
    if (!device.is_cpu() && v.device().is_cpu() && is_integral(v.dtype())) t.set_host_mirror(v);
    return t;
  };
  Batch b;
  for (const auto& [k, v] : x) b.x[k] = moved(v);
  if (y.defined()) b.y = y.to(device);
  if (groups.defined()) b.groups = moved(groups);
  return b;
}

Dataset Dataset::empty(const FeatureConfig& fc) {
  fc.validate();
  Dataset d;
  d.features = fc;
  for (const auto& f : fc.features) {
    Column c;
    c.kind = f.kind;
    c.width = f.kind == FeatureKind::Dense ? f.dimension : f.kind == FeatureKind::VarLenSparse ? f.maxlen : 1;
    d.columns[f.name] = c;
  }
  for (const auto& l : fc.length_columns()) d.columns[l] = Column{FeatureKind::Sparse, 1, {}, {}};
  return d;
}

void Dataset::check_consistent() const {
  const int64_t n = rows();
  for (const auto& [name, c] : columns) {
    const size_t have = c.kind == FeatureKind::Dense ? c.values.size() : c.ids.size();
    if (have != static_cast<size_t>(n * c.width))
      fail("dataset", "column '", name, "' holds ", have, " values, expected ", n, " rows x width ", c.width);
  }
  if (!groups.empty() && groups.size() != labels.size())
    fail("dataset", "groups holds ", groups.size(), " values for ", n, " rows");
  for (const auto& f : features.features) {
    if (!columns.count(f.name)) fail("dataset", "no column for feature '", f.name, "'");
    if (f.kind != FeatureKind::VarLenSparse) continue;
    auto lc = columns.find(f.length_name);
    if (lc == columns.end()) fail("dataset", "no length column '", f.length_name, "' for '", f.name, "'");
    for (int64_t r = 0; r < n; ++r) {
      const int64_t len = lc->second.ids[r];
      if (len < 0 || len > f.maxlen)
        fail("dataset", "row ", r, ": length column '", f.length_name, "' = ", len, " outside [0, ", f.maxlen,
             "] (feature '", f.name, "')");
    }
  }
}

Batch Dataset::gather(const std::vector<int64_t>& order, int64_t begin, int64_t end, Device device) const {
  if (begin < 0 || end < begin || end > static_cast<int64_t>(order.size()))
    fail("dataset.gather", "range [", begin, ", ", end, ") outside an order of ", order.size(), " rows");
  const int64_t n = end - begin;
  const int64_t total = rows();
  for (int64_t i = begin; i < end; ++i)
    if (order[i] < 0 || order[i] >= total)
      fail("dataset.gather", "row ", order[i], " at position ", i, " outside [0, ", total, ")");
  // Varlen columns keep only the steps some row of the batch uses (at least one): padding
  // never changes a model's output, and short histories then cost little.
  std::map<std::string, int64_t> longest;
  for (const auto& [name, c] : columns) {
    const FeatureSpec* f = features.find(name);
    if (!f || f->kind != FeatureKind::VarLenSparse) continue;
    auto [it, fresh] = longest.try_emplace(f->length_name, 1);
    if (!fresh) continue;
    const Column& lc = columns.at(f->length_name);
    for (int64_t i = begin; i < end; ++i) it->second = std::max(it->second, lc.ids[order[i]]);
  }
  Batch b;
  for (const auto& [name, c] : columns) {
    const int64_t w = c.width;
    int64_t keep = w;
    if (c.kind == FeatureKind::VarLenSparse) {
      const FeatureSpec* f = features.find(name);
      if (f) keep = std::min(w, longest.at(f->length_name));
    }
    const bool wide = c.kind == FeatureKind::Dense || c.kind == FeatureKind::VarLenSparse;
    Shape shape = wide ? Shape{n, keep} : Shape{n};
    if (c.kind == FeatureKind::Dense) {
      std::vector<float> v(static_cast<size_t>(n * w));
      for (int64_t i = 0; i < n; ++i) std::copy_n(&c.values[order[begin + i] * w], w, &v[i * w]);
      b.x[name] = from_vector<float>(v, shape, device);
    } else {
      std::vector<int64_t> v(static_cast<size_t>(n * keep));
      for (int64_t i = 0; i < n; ++i) std::copy_n(&c.ids[order[begin + i] * w], keep, &v[i * keep]);
      b.x[name] = index_tensor(v, shape, device);  // on a GPU, with the host mirror the ops' checks read
    }
  }
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[i] = labels[order[begin + i]];
  b.y = from_vector<float>(y, Shape{n}, device);
  if (!groups.empty()) {
    std::vector<int64_t> g(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) g[i] = groups[order[begin + i]];
    b.groups = index_tensor(g, Shape{n}, device);
  }
  return b;
}

Batch Dataset::all(Device device) const {
  std::vector<int64_t> order(static_cast<size_t>(rows()));
  std::iota(order.begin(), order.end(), 0);
  return gather(order, 0, rows(), device);
}

Dataset Dataset::subset(const std::vector<int64_t>& rows_) const {
  Dataset d;
  d.features = features;
  const int64_t total = rows();
  for (int64_t r : rows_)
    if (r < 0 || r >= total) fail("dataset.subset", "row ", r, " outside [0, ", total, ")");
  for (const auto& [name, c] : columns) {
    Column o;
    o.kind = c.kind;
    o.width = c.width;
    const int64_t w = c.width;
    if (c.kind == FeatureKind::Dense) {
      o.values.resize(rows_.size() * w);
      for (size_t i = 0; i < rows_.size(); ++i) std::copy_n(&c.values[rows_[i] * w], w, &o.values[i * w]);
    } else {
      o.ids.resize(rows_.size() * w);
      for (size_t i = 0; i < rows_.size(); ++i) std::copy_n(&c.ids[rows_[i] * w], w, &o.ids[i * w]);
    }
    d.columns[name] = std::move(o);
  }
  d.labels.resize(rows_.size());
  for (size_t i = 0; i < rows_.size(); ++i) d.labels[i] = labels[rows_[i]];
  if (!groups.empty()) {
    d.groups.resize(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) d.groups[i] = groups[rows_[i]];
  }
  return d;
}

std::vector<int64_t> Dataset::shuffled_order(Generator& gen) const {
  std::vector<int64_t> order(static_cast<size_t>(rows()));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = rows() - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(i + 1)));
    std::swap(order[i], order[j]);
  }
  return order;
}

void Dataset::append(const Dataset& other) {
  if (columns.empty() && labels.empty()) {
    *this = other;
    return;
  }
  if (other.columns.size() != columns.size())
    fail("dataset.append", "the datasets have ", columns.size(), " and ", other.columns.size(), " columns");
  for (const auto& [name, c] : other.columns) {
    auto it = columns.find(name);
    if (it == columns.end()) fail("dataset.append", "column '", name, "' is not in this dataset");
    if (it->second.width != c.width || it->second.kind != c.kind)
      fail("dataset.append", "column '", name, "' has width ", c.width, ", this dataset's has ", it->second.width);
  }
  if (groups.empty() != other.groups.empty() && rows() > 0 && other.rows() > 0)
    fail("dataset.append", "one dataset has groups and the other has none");
  for (const auto& [name, c] : other.columns) {
    Column& mine = columns[name];
    mine.ids.insert(mine.ids.end(), c.ids.begin(), c.ids.end());
    mine.values.insert(mine.values.end(), c.values.begin(), c.values.end());
  }
  labels.insert(labels.end(), other.labels.begin(), other.labels.end());
  groups.insert(groups.end(), other.groups.begin(), other.groups.end());
}

}  // namespace dien::data
