// SPDX-License-Identifier: MIT
// Tensor factories. Random factories draw on the host from the Philox stream and copy.
#include <cmath>
#include <cstring>

#include "core/philox.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "kernels/dispatch.h"

namespace dien {

Tensor full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = Tensor::empty(shape, dtype, device);
  backend_for(device).fill(t, value);
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor scalar_tensor(double value, DType dtype, Device device) { return full(Shape{}, value, dtype, device); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype(), t.device()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype(), t.device()); }

namespace {
template <class T>
Tensor host_tensor(const std::vector<T>& v, const Shape& shape, Device device) {
  if (static_cast<int64_t>(v.size()) != shape.numel())
    fail("from_vector", v.size(), " values do not fill shape ", shape.str(), " (", shape.numel(),
         " elements)");
  Tensor t = Tensor::empty(shape, dtype_v<T>, Device::cpu());
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return device.is_cpu() ? t : t.to(device);
}
}  // namespace

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  return host_tensor(values, shape, device);
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector<int32_t>(const std::vector<int32_t>&, const Shape&, Device);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, Device);

Tensor index_tensor(const std::vector<int64_t>& ids, const Shape& shape, Device device) {
  Tensor host = host_tensor(ids, shape, Device::cpu());
  if (device.is_cpu()) return host;
  Tensor t = host.to(device);
  // The mirror is `host` itself: only this function holds it, so nothing writes it afterwards
  // (set_host_mirror would copy it once more).
  t.impl()->storage->set_host_mirror(host.impl()->storage);
  return t;
}

Tensor arange(int64_t n, DType dtype, Device device) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return from_vector(v, Shape{n}, device).to(dtype);
}

namespace {
// Fills a host buffer with `n` uniforms in [0,1) drawn from (seed, offset), lane by lane.
std::vector<double> draw_unit(Generator& gen, int64_t n, bool f32) {
  uint64_t off = gen.reserve(static_cast<uint64_t>(n));
  std::vector<double> u(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t w = philox::word(gen.seed(), off, static_cast<uint64_t>(i));
    u[i] = f32 ? philox::to_unit_float(w) : philox::to_unit_double(w);
  }
  return u;
}

Tensor from_doubles(const std::vector<double>& v, const Shape& shape, DType dtype, Device device) {
  if (!is_floating(dtype)) fail("random", "random tensors must be f32 or f64, got ", dtype_name(dtype));
  return from_vector(v, shape, Device::cpu()).to(dtype).to(device);
}
}  // namespace

Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype, Device device) {
  auto u = draw_unit(gen, shape.numel(), dtype == DType::F32);
  for (auto& x : u) x = lo + (hi - lo) * x;
  return from_doubles(u, shape, dtype, device);
}

Tensor normal(const Shape& shape, double mean, double std, Generator& gen, DType dtype, Device device) {
  int64_t n = shape.numel();
  // Box-Muller over pairs of uniforms; 1 - u keeps the log argument in (0, 1].
  auto u = draw_unit(gen, 2 * ((n + 1) / 2), false);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; i += 2) {
    double r = std::sqrt(-2.0 * std::log(1.0 - u[i]));
    double th = 2.0 * M_PI * u[i + 1];
    v[i] = mean + std * r * std::cos(th);
    if (i + 1 < n) v[i + 1] = mean + std * r * std::sin(th);
  }
  return from_doubles(v, shape, dtype, device);
}

}  // namespace dien
