// SPDX-License-Identifier: MIT
// Differentiable shape ops: reshape, transpose (last two dims), concat, slice, split, chunk,
// unsqueeze, squeeze. Copies go through the backend's copy_band / transpose_last2; views
// (reshape, unsqueeze, squeeze) share storage. Derivations: docs/derivations/matmul_shape_softmax.md.
#include <algorithm>
#include <string>

#include "autograd/functions.h"
#include "kernels/dispatch.h"

namespace dien {

namespace {

Shape with_dim(const Shape& s, int dim, int64_t n) {
  Shape out = s;
  out[dim] = n;
  return out;
}

std::string shape_list(const TensorList& xs) {
  std::string s;
  for (size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + xs[i].describe();
  return s;
}

}  // namespace

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape) {
  check_defined("reshape", x, "input");
  return x.reshape(shape);
}

// x [..., M, N] -> [..., N, M].
Tensor transpose(const Tensor& x) {
  check_defined("transpose", x, "input");
  if (x.ndim() < 2) fail("transpose", "needs at least 2 dims, got ", x.describe());
  std::vector<int64_t> s = x.shape().vec();
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  Tensor y = Tensor::empty(Shape(s), x.dtype(), x.device());
  backend_for(x).transpose_last2(x, y);
  // y = x^T (a permutation), so gx = g^T.
  return record("transpose", y, {x}, [](const TensorList& g, const Needs&) {
    return TensorList{transpose(g[0])};
  });
}

// xs[i] equal in shape except along dim -> out with the sizes along dim added up.
Tensor concat(const TensorList& xs, int dim) {
  if (xs.empty()) fail("concat", "needs at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i) check_defined("concat", xs[i], "an input");
  const Tensor& x0 = xs[0];
  const int d = x0.shape().wrap_dim(dim, "concat");
  int64_t total = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    check_same_dtype("concat", x0, x);
    check_same_device("concat", x0, x);
    if (x.ndim() != x0.ndim() || with_dim(x.shape(), d, 1) != with_dim(x0.shape(), d, 1))
      fail("concat", "shapes must match except along dim ", dim, ": input ", i, " is ", x.shape().str(),
           ", input 0 is ", x0.shape().str(), " (all: ", shape_list(xs), ")");
    total += x.size(d);
  }
  Tensor out = Tensor::empty(with_dim(x0.shape(), d, total), x0.dtype(), x0.device());
  std::vector<int64_t> offsets, lens;
  int64_t off = 0;
  for (const Tensor& x : xs) {
    backend_for(out).copy_band(x, 0, out, off, d, x.size(d), 0.0);
    offsets.push_back(off);
    lens.push_back(x.size(d));
    off += x.size(d);
  }
  // out is the inputs laid side by side along d: input i's gradient is the band
  // g[..., offsets[i] : offsets[i] + lens[i], ...].
  return record("concat", out, xs, [d, offsets, lens](const TensorList& g, const Needs& n) {
    TensorList gx(n.size());
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i]) continue;
      gx[i] = Tensor::empty(with_dim(g[0].shape(), d, lens[i]), g[0].dtype(), g[0].device());
      backend_for(g[0]).copy_band(g[0], offsets[i], gx[i], 0, d, lens[i], 0.0);
    }
    return gx;
  });
}

// x[..., start:end, ...] along dim; requires 0 <= start <= end <= x.size(dim).
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  check_defined("slice", x, "input");
  const int d = x.shape().wrap_dim(dim, "slice");
  const int64_t n = x.size(d);
  if (start < 0 || end < start || end > n)
    fail("slice", "range [", start, ", ", end, ") is out of bounds for dim ", dim, " of size ", n, " in ",
         x.describe());
  Tensor y = Tensor::empty(with_dim(x.shape(), d, end - start), x.dtype(), x.device());
  backend_for(x).copy_band(x, start, y, 0, d, end - start, 0.0);
  Shape xs = x.shape();
  // y = x[start:end] along d: gx is g placed in that band, zero elsewhere.
  return record("slice", y, {x}, [xs, d, start](const TensorList& g, const Needs&) {
    Tensor gx = zeros(xs, g[0].dtype(), g[0].device());
    backend_for(gx).copy_band(g[0], 0, gx, start, d, g[0].size(d), 0.0);
    return TensorList{gx};
  });
}

// Pieces of x along dim with the given sizes (which must add up to x.size(dim)); one node.
TensorList split(const Tensor& x, const std::vector<int64_t>& sizes, int dim) {
  check_defined("split", x, "input");
  const int d = x.shape().wrap_dim(dim, "split");
  int64_t total = 0;
  std::string list;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0) fail("split", "negative size ", sizes[i], " when splitting ", x.describe());
    total += sizes[i];
    list += (i ? ", " : "") + std::to_string(sizes[i]);
  }
  if (sizes.empty() || total != x.size(d))
    fail("split", "sizes [", list, "] add up to ", total, " but dim ", dim, " of ", x.describe(), " has size ",
         x.size(d));
  TensorList outs;
  int64_t off = 0;
  for (int64_t len : sizes) {
    Tensor y = Tensor::empty(with_dim(x.shape(), d, len), x.dtype(), x.device());
    backend_for(x).copy_band(x, off, y, 0, d, len, 0.0);
    outs.push_back(y);
    off += len;
  }
  Shape xs = x.shape();
  // The pieces tile x along d, so gx is the output gradients laid side by side (the engine
  // supplies zeros for unused pieces): the backward of split is a concat.
  record_multi("split", outs, {x}, [xs, d](const TensorList& g, const Needs&) {
    Tensor gx = Tensor::empty(xs, g[0].dtype(), g[0].device());
    int64_t off = 0;
    for (const Tensor& gi : g) {
      backend_for(gx).copy_band(gi, 0, gx, off, d, gi.size(d), 0.0);
      off += gi.size(d);
    }
    return TensorList{gx};
  });
  return outs;
}

// torch.chunk: pieces of ceil(n / chunks) along dim, the last one smaller; there may be fewer
// than `chunks` pieces (n = 5, chunks = 4 gives 2, 2, 1), and a size-0 dim gives one empty piece.
TensorList chunk(const Tensor& x, int64_t chunks, int dim) {
  check_defined("chunk", x, "input");
  if (chunks <= 0) fail("chunk", "chunks must be positive, got ", chunks, " for ", x.describe());
  const int d = x.shape().wrap_dim(dim, "chunk");
  const int64_t n = x.size(d), step = (n + chunks - 1) / chunks;
  std::vector<int64_t> sizes;
  for (int64_t at = 0; at < n; at += step) sizes.push_back(std::min(step, n - at));
  if (sizes.empty()) sizes.push_back(0);
  return split(x, sizes, d);
}

// Inserts a size-1 dim at position dim in [-(ndim+1), ndim] (a view).
Tensor unsqueeze(const Tensor& x, int dim) {
  check_defined("unsqueeze", x, "input");
  const int nd = x.ndim();
  if (dim < -(nd + 1) || dim > nd)
    fail("unsqueeze", "dim ", dim, " is out of range [", -(nd + 1), ", ", nd, "] for ", x.describe());
  if (nd + 1 > Shape::kMaxDims)
    fail("unsqueeze", "result would have ", nd + 1, " dims (at most ", Shape::kMaxDims, "): ", x.describe());
  const int d = dim < 0 ? dim + nd + 1 : dim;
  std::vector<int64_t> s = x.shape().vec();
  s.insert(s.begin() + d, 1);
  return x.reshape(s);
}

// Removes dim if it has size 1 (a view); like torch, a dim of another size leaves x unchanged
// (x itself is returned).
Tensor squeeze(const Tensor& x, int dim) {
  check_defined("squeeze", x, "input");
  const int d = x.shape().wrap_dim(dim, "squeeze");
  if (x.size(d) != 1) return x;
  std::vector<int64_t> s = x.shape().vec();
  s.erase(s.begin() + d);
  return x.reshape(s);
}

}  // namespace dien
