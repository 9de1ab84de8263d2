// SPDX-License-Identifier: MIT
// ModuleList: children named "0", "1", ... (torch.nn.ModuleList), so that nested names read
// "linears.0.weight" as in PyTorch state dicts.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "layers/module.h"

namespace dien {

template <class M>
class ModuleList : public Module {
 public:
  std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
    items_.push_back(register_module(std::to_string(items_.size()), std::move(m)));
    return items_.back();
  }
  size_t size() const { return items_.size(); }
  const std::shared_ptr<M>& operator[](size_t i) const { return items_.at(i); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace dien
