// SPDX-License-Identifier: MIT
// Helpers for tests that damage checkpoints on purpose.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "core/warning.h"
#include "models/checkpoint_manifest.h"

namespace dien::test {

// Rewrites <dir>/manifest.json for the files as they are now, as if the checkpoint had been saved
// so: a test that edits config.json then exercises the check behind the checksum.
inline void reseal_manifest(const std::string& dir) {
  auto m = read_manifest(dir, "reseal_manifest");
  if (!m) return;
  std::vector<ManifestEntry> files;
  for (const ManifestEntry& e : m->files)
    if (std::filesystem::exists(std::filesystem::path(dir) / e.name)) files.push_back(manifest_entry(dir, e.name));
  write_manifest(dir, files);
}

// Collects the library's warnings (core/warning.h) while alive, instead of printing them.
struct CaptureWarnings {
  std::vector<std::string> messages;
  WarningHandler previous;
  CaptureWarnings() : previous(set_warning_handler([this](const std::string& m) { messages.push_back(m); })) {}
  ~CaptureWarnings() { set_warning_handler(previous); }
  CaptureWarnings(const CaptureWarnings&) = delete;
  CaptureWarnings& operator=(const CaptureWarnings&) = delete;
};

}  // namespace dien::test
