// SPDX-License-Identifier: MIT
// Tensor: a handle (shared pointer) to contiguous row-major data of up to 4 dimensions,
// plus what reverse-mode autograd needs (requires_grad, .grad, the node that made it).
//
//   auto w = dien::uniform({4, 3}, -1, 1, gen).set_requires_grad(true);
//   auto x = dien::from_vector<float>({1, 2, 3}, {1, 3});
//   auto y = dien::sum(dien::linear(x, w, {}));
//   y.backward();                      // w.grad() is now d y / d w
//
// Copying a Tensor copies the handle, not the data (like torch.Tensor); use clone().
#pragma once
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace dien {

class Node;
struct TensorImpl;
struct RowSparseGrad;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Uninitialised tensor of the given shape (contents undefined).
  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int ndim() const { return shape().size(); }
  int64_t size(int dim) const { return shape().at(dim); }  // negative dim counts from the end
  int64_t numel() const { return shape().numel(); }
  DType dtype() const;
  Device device() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }

  // Raw element pointer (device pointer for CUDA tensors). data<T>() checks T against dtype.
  void* raw_data() const;
  template <class T> T* data() const {
    check_dtype(dtype_v<T>, "data");
    return static_cast<T*>(raw_data());
  }

  // ---- autograd -------------------------------------------------------------
  bool requires_grad() const;
  // Marks a leaf as a parameter/input whose gradient is wanted. Returns *this.
  Tensor& set_requires_grad(bool on = true);
  bool is_leaf() const;                 // no grad_fn (made by the user, or under NoGradGuard)
  // Accumulated gradient of a leaf (undefined if none). For a leaf with row-sparse gradients
  // that received some, a dense copy built from them (O(V E): hot paths read grad_rows()).
  Tensor grad() const;
  void set_grad(const Tensor& g);       // sets the dense gradient and drops any row-sparse one
  void zero_grad();                     // drops the accumulated gradient (dense and row-sparse)
  // Row-sparse gradients (autograd/sparse_grad.h) for a [V, E] leaf: an embedding lookup of it
  // then delivers only the rows it read (ids + values) instead of a dense [V, E] gradient, and
  // optimizers update only those rows (lazily). Like torch.nn.Embedding(sparse=True).
  Tensor& set_row_sparse_grad(bool on = true);
  bool row_sparse_grad() const;         // the flag above
  // The accumulated row-sparse gradient (null if none). A leaf can also hold a dense gradient
  // (from ops other than embedding); grad() is the sum of both.
  std::shared_ptr<const RowSparseGrad> grad_rows() const;
  const std::shared_ptr<Node>& grad_fn() const;
  int output_nr() const;
  // Reverse-mode pass from this tensor. With no argument the tensor must hold one element
  // (gradient 1). retain_graph keeps saved tensors so that backward can run again.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false) const;
  // Same data, no history, requires_grad false.
  Tensor detach() const;

  // ---- copies and conversions ----------------------------------------------
  Tensor clone() const;                 // deep copy, differentiable
  Tensor to(Device device) const;       // copy to another device (self if already there)
  // An integer tensor on a GPU made from `host` (same dtype and values, e.g. by to()), which
  // nothing will write afterwards (a batch's ids and lengths, index lists built on the host):
  // keeps a copy of `host`, so that this tensor and its views read back to the host (to(cpu),
  // to_vector) from it, without a device-to-host copy. Needs this tensor to span its whole
  // storage; throws otherwise.
  Tensor& set_host_mirror(const Tensor& host);
  Tensor to(DType dtype) const;         // cast (self if already that dtype); differentiable f32<->f64
  // View with another shape (same storage); one dim may be -1. With a Shape s: reshape(s.vec()).
  Tensor reshape(const std::vector<int64_t>& shape) const;

  template <class T> std::vector<T> to_vector() const;  // copies to host; T must match dtype
  double item() const;                  // single element as double (any dtype)
  template <class T> T item() const { return static_cast<T>(item()); }

  std::string str(int max_per_dim = 6) const;   // values, shape, dtype, device
  std::string describe() const;                  // "[2, 3] f32 cpu" (for error messages)

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  void check_dtype(DType want, const char* op) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  size_t offset_bytes = 0;
  Shape shape;
  DType dtype = DType::F32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;     // leaf gradient accumulator
  bool row_sparse_grad = false;         // embedding lookups deliver row-sparse gradients
  std::shared_ptr<RowSparseGrad> grad_rows;  // their accumulator (autograd/sparse_grad.cpp)
  std::shared_ptr<Node> grad_fn;        // node that produced this tensor (non-leaf)
  int output_nr = 0;                    // which output of grad_fn
  std::weak_ptr<Node> grad_accumulator; // AccumulateGrad node of a leaf, made on demand
};

// A row-sparse gradient of a [V, E] leaf: row rows[i] is values[i, :], every other row is 0.
// Coalesced: rows sorted ascending and distinct, so its content never depends on the order in
// which lookups ran or on the thread count.
struct RowSparseGrad {
  std::vector<int64_t> rows;  // host copy of the row ids
  Tensor index;               // the same ids, i64 [k], on the leaf's device
  Tensor values;              // [k, E], the leaf's dtype and device
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- factories (core/tensor_factory.cpp) --------------------------------------
Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
Tensor ones(const Shape& shape, DType dtype = DType::F32, Device device = Device::cpu());
Tensor full(const Shape& shape, double value, DType dtype = DType::F32, Device device = Device::cpu());
Tensor scalar_tensor(double value, DType dtype = DType::F32, Device device = Device::cpu());
Tensor arange(int64_t n, DType dtype = DType::I64, Device device = Device::cpu());
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
template <class T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector<T>(values, Shape{static_cast<int64_t>(values.size())});
}
// i64 ids built on the host (index lists: rows to gather, steps, positions), on `device`; off the
// CPU with that host copy as its mirror (Tensor::set_host_mirror), so the ops' host-side checks
// of it cost no device-to-host copy. For tensors nothing writes afterwards.
Tensor index_tensor(const std::vector<int64_t>& ids, const Shape& shape, Device device);

class Generator;
// Uniform in [lo, hi) and normal(mean, std) drawn from a Philox stream (core/rng.h).
Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype = DType::F32,
               Device device = Device::cpu());
Tensor normal(const Shape& shape, double mean, double std, Generator& gen, DType dtype = DType::F32,
              Device device = Device::cpu());

}  // namespace dien
