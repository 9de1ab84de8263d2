// SPDX-License-Identifier: MIT
// Row-sparse gradients: coalescing a lookup's gradient, merging it into a leaf, and the node
// that does both (autograd/sparse_grad.h). Cost per lookup: O(n) on the host for n ids (a radix
// sort), O((n + k) E) on the device; nothing depends on the vocabulary size V.
#include "autograd/sparse_grad.h"

#include <algorithm>

#include "kernels/dispatch.h"

namespace dien {

namespace {

Tensor ids_on(const std::vector<int64_t>& v, Device d) {
  if (v.empty()) return Tensor::empty(Shape{0}, DType::I64, d);
  return from_vector<int64_t>(v).to(d);
}

// The positions 0..n-1 ordered by ids[position], ties in position order: a stable LSD radix
// sort on 11-bit digits of the (non-negative, range-checked) ids, as many passes as the largest
// id needs (two below 4 million). O(n) per pass where a comparison sort was O(n log n).
std::vector<int64_t> order_by_id(const std::vector<int64_t>& ids) {
  const size_t n = ids.size();
  std::vector<int64_t> order(n), tmp(n);
  for (size_t s = 0; s < n; ++s) order[s] = static_cast<int64_t>(s);
  uint64_t max_id = 0;
  for (int64_t v : ids) max_id = std::max(max_id, static_cast<uint64_t>(v));
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  std::vector<size_t> count(kBuckets);
  for (int shift = 0; shift == 0 || (shift < 64 && (max_id >> shift) != 0); shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (int64_t p : order) ++count[(static_cast<uint64_t>(ids[p]) >> shift) & (kBuckets - 1)];
    size_t sum = 0;
    for (size_t& c : count) {
      const size_t here = c;
      c = sum;
      sum += here;
    }
    for (int64_t p : order) tmp[count[(static_cast<uint64_t>(ids[p]) >> shift) & (kBuckets - 1)]++] = p;
    order.swap(tmp);
  }
  return order;
}

}  // namespace

void sort_unique_ids(std::vector<int64_t>& ids) {
  if (std::any_of(ids.begin(), ids.end(), [](int64_t v) { return v < 0; })) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return;
  }
  std::vector<int64_t> out;
  out.reserve(ids.size());
  for (int64_t p : order_by_id(ids))
    if (out.empty() || out.back() != ids[p]) out.push_back(ids[p]);
  ids.swap(out);
}

RowSparseGrad coalesce_rows(const std::vector<int64_t>& ids, const Tensor& g) {
  const int64_t n = static_cast<int64_t>(ids.size()), E = g.size(1);
  if (g.size(0) != n) fail("coalesce_rows", n, " ids for a gradient ", g.describe(), " (internal error)");
  RowSparseGrad r;
  // The distinct ids ascending, and position s's row among them (local[s]).
  std::vector<int64_t> local(ids.size());
  for (int64_t p : order_by_id(ids)) {
    if (r.rows.empty() || r.rows.back() != ids[p]) r.rows.push_back(ids[p]);
    local[p] = static_cast<int64_t>(r.rows.size()) - 1;
  }
  const int64_t k = static_cast<int64_t>(r.rows.size());
  const Device d = g.device();
  r.index = ids_on(r.rows, d);
  r.values = zeros(Shape{k, E}, g.dtype(), d);
  if (n == 0 || E == 0) return r;
  // The scatter-add visits positions in order.
  backend_for(d).embedding_backward(g, ids_on(local, d), r.values);
  return r;
}

RowSparseGrad merge_rows(const RowSparseGrad& old, const RowSparseGrad& add) {
  const int64_t E = old.values.size(1);
  if (add.values.dtype() != old.values.dtype() || add.values.device() != old.values.device() ||
      add.values.size(1) != E)
    fail("merge_rows", "rows ", add.values.describe(), " and ", old.values.describe(), " (internal error)");
  std::vector<int64_t> rows, la(old.rows.size()), lb(add.rows.size());
  rows.reserve(old.rows.size() + add.rows.size());
  size_t i = 0, j = 0;
  while (i < old.rows.size() || j < add.rows.size()) {
    const int64_t pos = static_cast<int64_t>(rows.size());
    if (j == add.rows.size() || (i < old.rows.size() && old.rows[i] < add.rows[j])) {
      rows.push_back(old.rows[i]);
      la[i++] = pos;
    } else if (i == old.rows.size() || add.rows[j] < old.rows[i]) {
      rows.push_back(add.rows[j]);
      lb[j++] = pos;
    } else {
      rows.push_back(old.rows[i]);
      la[i++] = pos;
      lb[j++] = pos;
    }
  }
  const Device d = add.values.device();
  RowSparseGrad m;
  m.rows = std::move(rows);
  m.index = ids_on(m.rows, d);
  m.values = zeros(Shape{static_cast<int64_t>(m.rows.size()), E}, add.values.dtype(), d);
  Backend& be = backend_for(d);
  if (!la.empty() && E > 0) be.embedding_backward(old.values, ids_on(la, d), m.values);  // 0 + old
  if (!lb.empty() && E > 0) be.embedding_backward(add.values, ids_on(lb, d), m.values);  // + new
  return m;
}

void accumulate_grad_rows(TensorImpl& leaf, RowSparseGrad add) {
  if (add.values.dtype() != leaf.dtype || add.values.device() != leaf.storage->device() ||
      add.values.size(1) != leaf.shape[1])
    fail("accumulate_grad_rows", "rows ", add.values.describe(), " for a leaf of shape ", leaf.shape.str(), " ",
         dtype_name(leaf.dtype), " (internal error)");
  // Never change a RowSparseGrad in place: grad_rows() may have handed it out.
  leaf.grad_rows = std::make_shared<RowSparseGrad>(leaf.grad_rows ? merge_rows(*leaf.grad_rows, add) : std::move(add));
}

namespace {
thread_local RowSparsePass* current_pass = nullptr;
}  // namespace

RowSparsePass::RowSparsePass() : prev_(current_pass) { current_pass = this; }

RowSparsePass::~RowSparsePass() { current_pass = prev_; }

RowSparsePass* RowSparsePass::current() { return current_pass; }

void RowSparsePass::add(const std::shared_ptr<TensorImpl>& leaf, RowSparseGrad rows) {
  for (auto& [l, total] : pending_)
    if (l == leaf) {
      total = merge_rows(total, rows);
      return;
    }
  pending_.emplace_back(leaf, std::move(rows));
}

void RowSparsePass::flush() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [leaf, total] : pending) accumulate_grad_rows(*leaf, std::move(total));
}

EmbeddingRowsBackward::EmbeddingRowsBackward(const std::shared_ptr<TensorImpl>& weight, std::vector<int64_t> ids)
    : Node("embedding"), weight_(weight), ids_(std::move(ids)) {}

TensorList EmbeddingRowsBackward::apply(const TensorList& g) {
  if (released_)
    fail(name().c_str(), "backward through the graph a second time, after its saved tensors were freed "
         "(pass retain_graph=true to the first backward)");
  auto w = weight_.lock();
  if (!w) return {};
  const int64_t n = static_cast<int64_t>(ids_.size()), E = w->shape[1];
  RowSparseGrad rows = coalesce_rows(ids_, g[0].reshape({n, E}));
  if (RowSparsePass* pass = RowSparsePass::current()) {
    pass->add(w, std::move(rows));
  } else {
    accumulate_grad_rows(*w, std::move(rows));  // applied outside run_backward
  }
  return {};
}

void EmbeddingRowsBackward::release_saved() {
  released_ = true;
  ids_ = {};
}

}  // namespace dien
