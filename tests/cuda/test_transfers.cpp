// SPDX-License-Identifier: MIT
// The CUDA backend's count of device-to-host copies (dien::cuda_device_to_host_copies: what a
// training step should not make; bench_train --device cuda reports it per step): host-to-device
// and device-to-device copies are not counted, every device-to-host copy is, once.
#include "kernels/dispatch.h"
#include "tests/cuda/parity.h"

using namespace dien;

TEST_CASE("cuda: device-to-host copies are counted, the other directions are not", "[cuda][transfers]") {
  Generator g(41);
  const Tensor host = test::rand_tensor({7, 5}, g, DType::F32);
  const uint64_t n0 = cuda_device_to_host_copies();
  Tensor dev = host.to(Device::cuda(0));      // host to device
  Tensor dev2 = dev.clone();                  // device to device
  Tensor dev3 = dev2 * 2.0;                   // a kernel
  REQUIRE(cuda_device_to_host_copies() == n0);
  Tensor back = dev3.to(Device::cpu());       // device to host: one
  REQUIRE(cuda_device_to_host_copies() == n0 + 1);
  const double s = sum(dev3).item();          // one more (item reads the scalar)
  REQUIRE(cuda_device_to_host_copies() == n0 + 2);
  double want = 0;
  for (float v : back.to_vector<float>()) want += v;
  REQUIRE(s == Approx(want).epsilon(1e-5));
  std::vector<float> hv = host.to_vector<float>(), bv = back.to_vector<float>();
  for (size_t i = 0; i < hv.size(); ++i) REQUIRE(bv[i] == hv[i] * 2.f);
}
