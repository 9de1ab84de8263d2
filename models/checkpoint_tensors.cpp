// SPDX-License-Identifier: MIT
#include "models/checkpoint_tensors.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/serialize.h"

namespace dien::checkpoint_tensors {

namespace {

// "[2, 5]": the position of flat index `i` in `shape`.
std::string position(const Shape& shape, int64_t i) {
  std::vector<int64_t> idx(static_cast<size_t>(shape.size()));
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = shape[d] ? i % shape[d] : 0;
    i = shape[d] ? i / shape[d] : 0;
  }
  std::string s = "[";
  for (size_t k = 0; k < idx.size(); ++k) s += detail::cat(k ? ", " : "", idx[k]);
  return s + "]";
}

template <class T>
int64_t first_nonfinite(const Tensor& t) {
  const T* p = t.data<T>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i)
    if (!std::isfinite(p[i])) return i;
  return -1;
}

}  // namespace

void check_dtypes(const std::string& dir, const char* file, const std::map<std::string, Tensor>& loaded,
                  const std::map<std::string, Tensor>& expected, const char* op) {
  for (const auto& [name, t] : loaded) {
    auto it = expected.find(name);
    if (it != expected.end() && it->second.dtype() != t.dtype())
      fail(op, dir, ": ", file, ": tensor '", name, "' is ", safetensors_dtype_tag(t.dtype()), " in the file but the model expects ",
           safetensors_dtype_tag(it->second.dtype()), ": the file is damaged or was written for another model");
  }
}

void check_finite(const std::string& dir, const char* file, const std::map<std::string, Tensor>& tensors,
                  const char* op) {
  for (const auto& [name, t] : tensors) {
    int64_t i = -1;
    double v = 0;
    if (t.dtype() == DType::F32 && (i = first_nonfinite<float>(t)) >= 0) v = t.data<float>()[i];
    if (t.dtype() == DType::F64 && (i = first_nonfinite<double>(t)) >= 0) v = t.data<double>()[i];
    if (i >= 0)
      fail(op, dir, ": ", file, ": tensor '", name, "' holds ", v, " at index ", i, " (", position(t.shape(), i),
           " of ", t.shape().str(), "): non-finite weights are refused (the file is damaged or the training run "
           "diverged); load with allow_nonfinite_weights (dien: --allow-nonfinite-weights) to accept them");
  }
}

}  // namespace dien::checkpoint_tensors
