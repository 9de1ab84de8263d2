// SPDX-License-Identifier: MIT
// Row-sparse gradients: coalescing a lookup's gradient, merging it into a leaf, and the node
// that does both (autograd/sparse_grad.h). Cost per lookup: O(n log n) on the host for n ids,
// O((n + k) E) on the device; nothing depends on the vocabulary size V.
#include "autograd/sparse_grad.h"

#include <algorithm>

#include "kernels/dispatch.h"

namespace dien {

namespace {

Tensor ids_on(const std::vector<int64_t>& v, Device d) {
  if (v.empty()) return Tensor::empty(Shape{0}, DType::I64, d);
  return from_vector<int64_t>(v).to(d);
}

}  // namespace

RowSparseGrad coalesce_rows(const std::vector<int64_t>& ids, const Tensor& g) {
  const int64_t n = static_cast<int64_t>(ids.size()), E = g.size(1);
  if (g.size(0) != n) fail("coalesce_rows", n, " ids for a gradient ", g.describe(), " (internal error)");
  RowSparseGrad r;
  r.rows = ids;
  std::sort(r.rows.begin(), r.rows.end());
  r.rows.erase(std::unique(r.rows.begin(), r.rows.end()), r.rows.end());
  const int64_t k = static_cast<int64_t>(r.rows.size());
  const Device d = g.device();
  r.index = ids_on(r.rows, d);
  r.values = zeros(Shape{k, E}, g.dtype(), d);
  if (n == 0 || E == 0) return r;
  // Position s goes to local row local[s]; the scatter-add visits positions in order.
  std::vector<int64_t> local(ids.size());
  for (size_t s = 0; s < ids.size(); ++s)
    local[s] = std::lower_bound(r.rows.begin(), r.rows.end(), ids[s]) - r.rows.begin();
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
