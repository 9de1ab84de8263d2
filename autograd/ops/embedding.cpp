// SPDX-License-Identifier: MIT
// Differentiable embedding lookup: ids of any shape gather rows of weight. The ids are checked
// on the host before the kernel runs, so a bad id is reported with its value and position.
// Derivation: docs/derivations/nn_ops.md#embedding. A leaf flagged row-sparse
// (Tensor::set_row_sparse_grad) gets a row-sparse gradient instead: autograd/sparse_grad.h.
#include <vector>

#include "autograd/functions.h"
#include "autograd/sparse_grad.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

// Throws naming the first id outside [0, V), its flat position and the weight. Returns the
// host ids when `keep` (the row-sparse backward needs them), else nothing.
template <class I>
std::vector<int64_t> check_ids_in_range(const Tensor& ids, const Tensor& weight, bool keep) {
  const int64_t V = weight.shape()[0];
  std::vector<I> v = ids.to(Device::cpu()).to_vector<I>();
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < 0 || static_cast<int64_t>(v[i]) >= V)
      fail("embedding", "id ", static_cast<int64_t>(v[i]), " at position ", i, " is outside the vocabulary [0, ",
           V, ") of weight ", weight.describe());
  if (!keep) return {};
  return std::vector<int64_t>(v.begin(), v.end());
}

}  // namespace

// out[s, :] = weight[ids[s], :]  ->  d weight[v, :] = sum over positions s with ids[s] == v of
// g[s, :] (a scatter-add; repeated ids accumulate). Ids are integers: no gradient.
Tensor embedding(const Tensor& weight, const Tensor& ids) {
  check_defined("embedding", weight, "weight");
  check_defined("embedding", ids, "ids");
  check_floating("embedding", weight);
  if (weight.ndim() != 2) fail("embedding", "weight must be [V, E], got ", weight.describe());
  if (!is_integral(ids.dtype()))
    fail("embedding", "ids must be i32 or i64, got ids ", ids.describe(), " (weight ", weight.describe(), ")");
  check_same_device("embedding", weight, ids);
  if (ids.ndim() >= Shape::kMaxDims)
    fail("embedding", "ids may have at most ", Shape::kMaxDims - 1, " dimensions (the output adds one), got ",
         ids.describe());
  // Row-sparse: a leaf so flagged, when a graph is recorded (only a leaf has a .grad to fill).
  const bool rows = weight.row_sparse_grad() && weight.is_leaf() && should_record({weight});
  std::vector<int64_t> host_ids = ids.dtype() == DType::I32 ? check_ids_in_range<int32_t>(ids, weight, rows)
                                                           : check_ids_in_range<int64_t>(ids, weight, rows);

  const int64_t n = ids.numel(), E = weight.shape()[1];
  std::vector<int64_t> out_dims = ids.shape().vec();
  out_dims.push_back(E);
  Tensor out = Tensor::empty(Shape(out_dims), weight.dtype(), weight.device());
  backend_for(weight).embedding_forward(weight, ids, out);
  if (rows) return record_node(out, std::make_shared<EmbeddingRowsBackward>(weight.impl_ptr(), std::move(host_ids)));
  Shape ws = weight.shape();
  return record("embedding", out, {weight}, [ws, n, E, idv = ids.detach()](const TensorList& g, const Needs&) {
    Tensor gw = zeros(ws, g[0].dtype(), g[0].device());
    backend_for(g[0]).embedding_backward(g[0].reshape({n, E}), idv, gw);
    return TensorList{gw};
  });
}

// rows [n] i64, distinct, in [0, V): out [n, E] = matrix rows. Backward: each row of matrix's
// gradient written once (its position's gradient, or zeros) instead of a zero fill and a
// scatter-add.
Tensor gather_rows(const Tensor& matrix, const Tensor& rows) {
  check_defined("gather_rows", matrix, "matrix");
  check_defined("gather_rows", rows, "rows");
  check_floating("gather_rows", matrix);
  if (matrix.ndim() != 2) fail("gather_rows", "matrix must be [V, E], got ", matrix.describe());
  if (rows.dtype() != DType::I64 || rows.ndim() != 1)
    fail("gather_rows", "rows must be i64 [n], got ", rows.describe(), " (matrix ", matrix.describe(), ")");
  check_same_device("gather_rows", matrix, rows);
  const int64_t V = matrix.size(0), E = matrix.size(1), n = rows.numel();
  {
    const std::vector<int64_t> r = rows.to(Device::cpu()).to_vector<int64_t>();
    std::vector<bool> seen(static_cast<size_t>(V), false);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = r[static_cast<size_t>(i)];
      if (v < 0 || v >= V)
        fail("gather_rows", "rows[", i, "] = ", v, " is outside [0, ", V, ") (matrix ", matrix.describe(), ")");
      if (seen[static_cast<size_t>(v)]) fail("gather_rows", "rows[", i, "] = ", v, " repeats an earlier row");
      seen[static_cast<size_t>(v)] = true;
    }
  }
  Tensor out = Tensor::empty(Shape{n, E}, matrix.dtype(), matrix.device());
  backend_for(matrix).embedding_forward(matrix, rows, out);
  Shape ms = matrix.shape();
  return record("gather_rows", out, {matrix}, [ms, rv = rows.detach()](const TensorList& g, const Needs&) {
    Tensor gw = Tensor::empty(ms, g[0].dtype(), g[0].device());
    backend_for(g[0]).gather_rows_backward(g[0], rv, gw);
    return TensorList{gw};
  });
}

}  // namespace dien
