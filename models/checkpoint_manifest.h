// SPDX-License-Identifier: MIT
// manifest.json of a checkpoint directory (models/checkpoint.h): the size and CRC-32 of every
// other file, written last by save_checkpoint and checked by every load before a file is used.
//
//   {"format": "dien-checkpoint-manifest", "version": 1, "checksum": "crc32",
//    "files": [{"name": "config.json", "size": 1234, "crc32": "0x1a2b3c4d"}, ...]}
//
// A checkpoint without manifest.json was saved by a dien that wrote none; it still loads (the
// loaders warn once per directory, core/warning.h). A manifest of a newer version is refused.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dien {

inline constexpr int kManifestVersion = 1;
inline constexpr const char* kManifestFile = "manifest.json";

struct ManifestEntry {
  std::string name;  // a file of the checkpoint directory (no path)
  uint64_t size = 0;
  uint32_t crc32 = 0;
};

struct CheckpointManifest {
  int version = kManifestVersion;
  std::vector<ManifestEntry> files;
  const ManifestEntry* find(const std::string& name) const;
};

// The entry of <dir>/<name> as the file is now.
ManifestEntry manifest_entry(const std::string& dir, const std::string& name);
// Writes <dir>/manifest.json (temporary file, fsync, rename).
void write_manifest(const std::string& dir, const std::vector<ManifestEntry>& files);
// <dir>/manifest.json, checked (format, version, entries); nullopt when the directory has none.
// Errors: dien::Error("<op>: <dir>: manifest.json: ...").
std::optional<CheckpointManifest> read_manifest(const std::string& dir, const char* op);

// Checks <dir>/<name> against the manifest: listed, present, the listed size and CRC-32. Throws
// dien::Error("<op>: <dir>: <name>: ...") naming what differs, e.g.
//   "load_model: ckpt: model.safetensors: CRC-32 mismatch (stored 0x..., computed 0x...): the file is damaged"
void verify_manifest_file(const std::string& dir, const CheckpointManifest& m, const std::string& name, const char* op);
// The same for the file's bytes, already read by the caller (so what is checked is what is used).
void verify_manifest_bytes(const std::string& dir, const CheckpointManifest& m, const std::string& name,
                           const std::string& bytes, const char* op);

}  // namespace dien
