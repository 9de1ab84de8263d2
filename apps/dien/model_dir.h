// SPDX-License-Identifier: MIT
// A MODEL argument is a checkpoint directory, or a training run's output directory, whose
// best/ (else last/) checkpoint is used.
#pragma once
#include <filesystem>
#include <string>

#include "core/error.h"

namespace dien::cli {

inline std::string resolve_checkpoint(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(path) / "config.json")) return path;
  for (const char* sub : {"best", "last"})
    if (fs::exists(fs::path(path) / sub / "config.json")) return (fs::path(path) / sub).string();
  if (!fs::exists(path)) fail("dien", "model '", path, "' does not exist");
  fail("dien", "'", path, "' is not a checkpoint: it has no config.json, best/ or last/");
}

}  // namespace dien::cli
