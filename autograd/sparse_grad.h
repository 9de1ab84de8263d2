// SPDX-License-Identifier: MIT
// Row-sparse gradients of embedding tables (Tensor::set_row_sparse_grad, core/tensor.h).
//
// A dense lookup's backward builds a [V, E] gradient that is zero except in the rows the batch
// read. For a leaf flagged row-sparse, embedding() records an EmbeddingRowsBackward node instead:
// it has no edge to an AccumulateGrad, and when the engine runs it, it coalesces the lookup's
// gradient into (sorted distinct rows, their summed values [k, E]) and merges that into the
// leaf's RowSparseGrad. Nothing of size V is allocated, filled or swept.
//
// Bit-exactness with the dense path (tests/gradcheck/test_gradcheck_sparse_grad.cpp):
//  - one lookup: values[r] = 0 + g[s1] + g[s2] + ... over the positions of rows[r] in position
//    order, the sum the dense scatter-add (kernels/cpu/embedding.cpp) makes in that row;
//  - several lookups of one table (target item, history, negatives, the L2 term): the engine
//    runs their nodes in the order it would run them densely, and each merge adds the new rows
//    after the old ones ((0 + old) + new), as the engine's buffer add does;
//  - several backward passes: a pass's lookups are summed first (RowSparsePass) and the total is
//    merged into the leaf once at the end of the pass, as AccumulateGrad adds a pass's total.
// So grad() of a row-sparse leaf equals the dense gradient bit for bit, on the CPU and on CUDA
// with dien::set_deterministic(true) (whose scatter-add equals the CPU's).
//
//   w.set_row_sparse_grad();              // w [V, E] a leaf requiring grad
//   sum(embedding(w, ids)).backward();
//   auto g = w.grad_rows();               // g->rows, g->values; w.grad() densifies
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/node.h"
#include "core/tensor.h"

namespace dien {

// The coalesced form of a lookup's gradient: `ids` (n host ids in [0, V), any order, repeats
// allowed) and g [n, E] on the table's device -> sorted distinct rows and values [k, E] with
// values[r] = 0 + the g rows of rows[r] in position order.
RowSparseGrad coalesce_rows(const std::vector<int64_t>& ids, const Tensor& g);
// ids sorted ascending, duplicates removed: a radix sort (O(n)) when every id is >= 0.
void sort_unique_ids(std::vector<int64_t>& ids);

// old + add: rows of both merged (sorted, distinct); a row in both becomes (0 + old) + add.
// Same dtype, device and E.
RowSparseGrad merge_rows(const RowSparseGrad& old, const RowSparseGrad& add);

// leaf.grad_rows = leaf.grad_rows + add (a new RowSparseGrad: one handed out by grad_rows()
// never changes). `add` must match the leaf's dtype, device and E.
void accumulate_grad_rows(TensorImpl& leaf, RowSparseGrad add);

// The row-sparse gradients of one backward pass, per leaf, merged into the leaves by flush()
// when the pass ends. run_backward (autograd/engine.cpp) makes one per pass; it is the calling
// thread's current pass while it lives. Rows not flushed (the pass threw) are dropped, as the
// dense gradients still in the engine's buffers are.
class RowSparsePass {
 public:
  RowSparsePass();
  ~RowSparsePass();
  RowSparsePass(const RowSparsePass&) = delete;
  RowSparsePass& operator=(const RowSparsePass&) = delete;
  static RowSparsePass* current();  // null outside run_backward
  void add(const std::shared_ptr<TensorImpl>& leaf, RowSparseGrad rows);
  void flush();

 private:
  std::vector<std::pair<std::shared_ptr<TensorImpl>, RowSparseGrad>> pending_;  // first-touch order
  RowSparsePass* prev_;
};

// The backward of embedding(weight, ids) for a row-sparse leaf `weight`.
class EmbeddingRowsBackward final : public Node {
 public:
  EmbeddingRowsBackward(const std::shared_ptr<TensorImpl>& weight, std::vector<int64_t> ids);
  TensorList apply(const TensorList& grad_outputs) override;
  void release_saved() override;

 private:
  std::weak_ptr<TensorImpl> weight_;
  std::vector<int64_t> ids_;
  bool released_ = false;
};

}  // namespace dien
