// SPDX-License-Identifier: MIT
// Helpers shared by the CPU and CUDA kernels (Eigen-free and C++17, so nvcc compiles it):
// dtype dispatch and nullable tensor pointers.
#pragma once
#include <cstdint>

#include "core/error.h"
#include "core/tensor.h"

namespace dien {

// Calls f(T{}) with T = float or double according to dt; other dtypes are an error naming op.
template <class F>
void dispatch_float(DType dt, const char* op, F&& f) {
  switch (dt) {
    case DType::F32: f(float{}); return;
    case DType::F64: f(double{}); return;
    default: fail(op, "expected an f32 or f64 tensor, got ", dtype_name(dt));
  }
}

// Calls f(I{}) with I = int32_t or int64_t.
template <class F>
void dispatch_index(DType dt, const char* op, F&& f) {
  switch (dt) {
    case DType::I32: f(int32_t{}); return;
    case DType::I64: f(int64_t{}); return;
    default: fail(op, "expected an i32 or i64 tensor, got ", dtype_name(dt));
  }
}

// Calls f(T{}) for any of the four dtypes.
template <class F>
void dispatch_all(DType dt, F&& f) {
  switch (dt) {
    case DType::F32: f(float{}); return;
    case DType::F64: f(double{}); return;
    case DType::I32: f(int32_t{}); return;
    case DType::I64: f(int64_t{}); return;
  }
}

// The element pointer of an optional tensor argument (null when the tensor is absent).
template <class T>
const T* nullable_data(const Tensor* t) {
  return t ? t->data<T>() : nullptr;
}
template <class T>
T* nullable_data(Tensor* t) {
  return t ? t->data<T>() : nullptr;
}

}  // namespace dien
