// SPDX-License-Identifier: MIT
// Tensor basics: allocation, metadata, host copies. Differentiable methods (backward, clone,
// reshape, casts, device moves, set_requires_grad) live in autograd/node.cpp, so core/ never
// includes autograd/.
#include "core/tensor.h"

#include <cstring>

#include "kernels/dispatch.h"

namespace dien {

namespace {
const TensorImpl& need(const std::shared_ptr<TensorImpl>& p) {
  if (!p) fail("tensor", "use of an undefined tensor");
  return *p;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel()) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

const Shape& Tensor::shape() const { return need(impl_).shape; }
DType Tensor::dtype() const { return need(impl_).dtype; }
Device Tensor::device() const { return need(impl_).storage->device(); }

void* Tensor::raw_data() const {
  const auto& i = need(impl_);
  return static_cast<char*>(i.storage->data()) + i.offset_bytes;
}

void Tensor::check_dtype(DType want, const char* op) const {
  if (dtype() != want) fail(op, "expected a ", dtype_name(want), " tensor, got ", describe());
}

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

bool Tensor::is_leaf() const { return need(impl_).grad_fn == nullptr; }

Tensor Tensor::grad() const {
  const auto& i = need(impl_);
  if (!i.grad_rows) return Tensor(i.grad);
  // Densify: the dense part (or zeros) plus the rows; the rows are distinct, so the scatter-add
  // adds each value once.
  Tensor out = i.grad ? Tensor(i.grad).detach().clone() : zeros(i.shape, i.dtype, device());
  if (!i.grad_rows->rows.empty())
    backend_for(device()).embedding_backward(i.grad_rows->values, i.grad_rows->index, out);
  return out;
}

void Tensor::set_grad(const Tensor& g) {
  need(impl_);
  if (g.defined() && (g.shape() != shape() || g.dtype() != dtype() || g.device() != device()))
    fail("set_grad", "gradient ", g.describe(), " does not match tensor ", describe());
  impl_->grad = g.impl_ptr();
  impl_->grad_rows.reset();
}

void Tensor::zero_grad() {
  if (!impl_) return;
  impl_->grad.reset();
  impl_->grad_rows.reset();
}

Tensor& Tensor::set_row_sparse_grad(bool on) {
  const auto& i = need(impl_);
  if (on && (i.grad_fn || i.shape.size() != 2 || !is_floating(i.dtype)))
    fail("set_row_sparse_grad", "only a floating [V, E] leaf can have row-sparse gradients, got ", describe());
  impl_->row_sparse_grad = on;
  return *this;
}

bool Tensor::row_sparse_grad() const { return impl_ && impl_->row_sparse_grad; }

std::shared_ptr<const RowSparseGrad> Tensor::grad_rows() const { return need(impl_).grad_rows; }

const std::shared_ptr<Node>& Tensor::grad_fn() const { return need(impl_).grad_fn; }
int Tensor::output_nr() const { return need(impl_).output_nr; }

Tensor Tensor::detach() const {
  const auto& src = need(impl_);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = src.storage;
  impl->offset_bytes = src.offset_bytes;
  impl->shape = src.shape;
  impl->dtype = src.dtype;
  return Tensor(std::move(impl));
}

Tensor& Tensor::set_host_mirror(const Tensor& host) {
  const auto& t = need(impl_);
  if (device().is_cpu()) fail("set_host_mirror", "a host mirror is for a device tensor, got ", describe());
  if (!host.defined() || !host.device().is_cpu() || host.dtype() != dtype() || host.shape() != shape())
    fail("set_host_mirror", "the mirror must be a host tensor like ", describe(), ", got ",
         host.defined() ? host.describe() : std::string("undefined"));
  if (!is_integral(dtype())) fail("set_host_mirror", "only integer tensors (ids, lengths) get a mirror, got ", describe());
  if (t.offset_bytes != 0 || t.storage->nbytes() != nbytes())
    fail("set_host_mirror", "the tensor must span its whole storage: ", describe());
  auto m = std::make_shared<Storage>(nbytes(), Device::cpu());
  if (nbytes()) std::memcpy(m->data(), host.raw_data(), nbytes());
  t.storage->set_host_mirror(std::move(m));
  return *this;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  check_dtype(dtype_v<T>, "to_vector");
  std::vector<T> v(static_cast<size_t>(numel()));
  if (v.empty()) return v;
  if (device().is_cpu()) {
    std::memcpy(v.data(), raw_data(), nbytes());
  } else if (const auto& m = impl_->storage->host_mirror()) {
    std::memcpy(v.data(), static_cast<const char*>(m->data()) + impl_->offset_bytes, nbytes());
  } else {
    backend_for(device()).copy_bytes(v.data(), Device::cpu(), raw_data(), device(), nbytes());
  }
  return v;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

double Tensor::item() const {
  if (numel() != 1) fail("item", "expected a tensor with one element, got ", describe());
  switch (dtype()) {
    case DType::F32: return to_vector<float>()[0];
    case DType::F64: return to_vector<double>()[0];
    case DType::I32: return to_vector<int32_t>()[0];
    case DType::I64: return static_cast<double>(to_vector<int64_t>()[0]);
  }
  return 0;
}

std::string Tensor::describe() const {
  if (!impl_) return "<undefined>";
  return shape().str() + " " + dtype_name(dtype()) + " " + device().str();
}

}  // namespace dien
