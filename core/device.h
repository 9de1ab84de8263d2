// SPDX-License-Identifier: MIT
// Where a tensor's storage lives. CPU always exists; CUDA devices exist when dien
// was built with DIEN_CUDA and a GPU is present at run time.
#pragma once
#include <cstdint>
#include <string>

namespace dien {

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && (is_cpu() || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
  // Parses "cpu", "cuda", "cuda:N"; throws dien::Error otherwise.
  static Device parse(const std::string& s);
};

}  // namespace dien
