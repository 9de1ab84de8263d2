// SPDX-License-Identifier: MIT
// A reference-counted block of memory on one device. Tensors share a Storage through
// std::shared_ptr; views (reshape, detach) point at the same Storage.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "core/device.h"

namespace dien {

class Storage {
 public:
  // Allocates nbytes on `device` (CPU: 64-byte aligned, from the thread's Workspace when a
  // WorkspaceScope is open, see core/workspace.h; CUDA: through the CUDA backend).
  Storage(size_t nbytes, Device device);
  // Wraps memory owned elsewhere; `deleter` (may be empty) runs when the storage dies.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // A host copy of this (device) storage's bytes, set by whoever made the storage and promises
  // never to write it afterwards (Tensor::set_host_mirror): reads back to the host then copy
  // from it, without waiting for the device. Null: none.
  const std::shared_ptr<const Storage>& host_mirror() const { return host_mirror_; }
  void set_host_mirror(std::shared_ptr<const Storage> m) { host_mirror_ = std::move(m); }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::function<void(void*)> deleter_;
  std::shared_ptr<const Storage> host_mirror_;
};

}  // namespace dien
