// SPDX-License-Identifier: MIT
// CUDA device basics: placement and copies, the caching allocator, poisoning, mixed-device
// errors. Runs only where a GPU exists (tests/mains/cuda_main.cpp skips otherwise).
#include <cmath>
#include <cstring>

#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::require_error;

TEST_CASE("cuda: host <-> device round trip of every dtype", "[device][cuda]") {
  const Device gpu = Device::cuda(0);
  Tensor f = from_vector<float>({1.5f, -2.f, 3.25f}, {3});
  Tensor d = from_vector<double>({1e-300, -7.0}, {2});
  Tensor i = from_vector<int32_t>({-1, 2, 1 << 30}, {3});
  Tensor l = from_vector<int64_t>({int64_t(1) << 40, -3}, {2});
  for (const Tensor& t : {f, d, i, l}) {
    Tensor g = t.to(gpu);
    REQUIRE(g.device() == gpu);
    REQUIRE(g.shape() == t.shape());
    REQUIRE(g.dtype() == t.dtype());
    Tensor back = g.to(Device::cpu());
    REQUIRE(std::memcmp(back.raw_data(), t.raw_data(), t.nbytes()) == 0);
  }
  REQUIRE(f.to(gpu).to(gpu).device() == gpu);
  REQUIRE(f.to(gpu).to_vector<float>()[0] == 1.5f);
}

TEST_CASE("cuda: transfers are differentiable", "[device][cuda]") {
  Tensor x = from_vector<double>({1.0, 2.0}, {2}).set_requires_grad();
  Tensor y = x.to(Device::cuda(0));
  REQUIRE(y.requires_grad());
  y.to(Device::cpu()).backward(from_vector<double>({3.0, 4.0}, {2}));
  REQUIRE(x.grad().device() == Device::cpu());
  REQUIRE(x.grad().to_vector<double>() == std::vector<double>{3.0, 4.0});
}

TEST_CASE("cuda: new allocations are poisoned in tests", "[device][cuda]") {
  Tensor t = Tensor::empty({5}, DType::F32, Device::cuda(0));
  for (float v : t.to_vector<float>()) REQUIRE(std::isnan(v));
}

TEST_CASE("cuda: the caching allocator reuses blocks in steady state", "[allocator][cuda]") {
  const Device gpu = Device::cuda(0);
  cuda_synchronize();
  for (int warm = 0; warm < 2; ++warm) {
    Tensor a = Tensor::empty({1000, 37}, DType::F32, gpu);
    Tensor b = Tensor::empty({999, 37}, DType::F32, gpu);
  }
  auto before = cuda_memory_stats();
  for (int step = 0; step < 50; ++step) {
    Tensor a = Tensor::empty({1000, 37}, DType::F32, gpu);
    Tensor b = Tensor::empty({999, 37}, DType::F32, gpu);
  }
  auto after = cuda_memory_stats();
  REQUIRE(after.num_device_mallocs == before.num_device_mallocs);
  REQUIRE(after.num_allocs == before.num_allocs + 100);
  REQUIRE(after.allocated_bytes == before.allocated_bytes);
  REQUIRE(after.cached_bytes >= 2 * 999 * 37 * 4);
  cuda_empty_cache();
  REQUIRE(cuda_memory_stats().cached_bytes == 0);
}

TEST_CASE("cuda: ops reject tensors on different devices", "[device][cuda]") {
  Tensor a = ones({2, 3}), b = ones({2, 3}).to(Device::cuda(0));
  require_error([&] { add(a, b); }, {"add", "different devices", "cpu", "cuda:0"});
  require_error([&] { zeros({2}, DType::F32, Device::cuda(99)); }, {"cuda:99"});
}
