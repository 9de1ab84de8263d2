// SPDX-License-Identifier: MIT
#include "core/storage.h"

#include "core/allocator_cpu.h"
#include "kernels/dispatch.h"

namespace dien {

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu::allocate_storage_block(nbytes, deleter_);
  } else {
    Backend& be = backend_for(device);
    data_ = be.allocate(nbytes, device);
    deleter_ = [&be, device](void* p) { be.deallocate(p, device); };
  }
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_ && data_) deleter_(data_);
}

}  // namespace dien
