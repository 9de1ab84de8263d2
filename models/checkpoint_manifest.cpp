// SPDX-License-Identifier: MIT
// manifest.json: writing, reading (every field checked) and verifying files against it.
#include "models/checkpoint_manifest.h"

#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/checksum.h"
#include "core/error.h"
#include "core/json_limits.h"
#include "models/train_state.h"

namespace dien {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kManifestFormat = "dien-checkpoint-manifest";
// A manifest lists a handful of files; anything much larger is not one (and is not read whole).
constexpr uint64_t kMaxManifestBytes = 1 << 20;

std::string path_of(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

bool parse_hex32(const std::string& s, uint32_t& out) {
  if (s.size() != 10 || s[0] != '0' || s[1] != 'x') return false;
  uint32_t v = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    const char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v << 4 | static_cast<uint32_t>(d);
  }
  out = v;
  return true;
}

[[noreturn]] void missing(const std::string& dir, const std::string& name, const char* op) {
  fail(op, dir, ": ", name, ": listed in ", kManifestFile, " but missing: the checkpoint is incomplete");
}

const ManifestEntry& listed(const std::string& dir, const CheckpointManifest& m, const std::string& name,
                            const char* op) {
  const ManifestEntry* e = m.find(name);
  if (!e)
    fail(op, dir, ": ", name, ": not listed in ", kManifestFile,
         ": the file was added to the checkpoint after it was saved");
  return *e;
}

void compare(const std::string& dir, const ManifestEntry& want, uint64_t size, uint32_t crc, const char* op) {
  if (size != want.size)
    fail(op, dir, ": ", want.name, ": size mismatch (", kManifestFile, " says ", want.size, " bytes, the file has ",
         size, "): the file is truncated or damaged");
  if (crc != want.crc32)
    fail(op, dir, ": ", want.name, ": CRC-32 mismatch (stored ", crc32_hex(want.crc32), ", computed ",
         crc32_hex(crc), "): the file is damaged");
}

}  // namespace

const ManifestEntry* CheckpointManifest::find(const std::string& name) const {
  for (const ManifestEntry& e : files)
    if (e.name == name) return &e;
  return nullptr;
}

ManifestEntry manifest_entry(const std::string& dir, const std::string& name) {
  const FileChecksum c = checksum_file(path_of(dir, name), "save_checkpoint");
  return ManifestEntry{name, c.size, c.crc32};
}

void write_manifest(const std::string& dir, const std::vector<ManifestEntry>& files) {
  json list = json::array();
  for (const ManifestEntry& e : files) list.push_back({{"name", e.name}, {"size", e.size}, {"crc32", crc32_hex(e.crc32)}});
  const json m{{"format", kManifestFormat}, {"version", kManifestVersion}, {"checksum", "crc32"}, {"files", list}};
  write_file_atomic(path_of(dir, kManifestFile), m.dump(2) + "\n", "save_checkpoint");
}

std::optional<CheckpointManifest> read_manifest(const std::string& dir, const char* op) {
  const std::string path = path_of(dir, kManifestFile);
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (!fs::exists(st)) return std::nullopt;
  auto bad = [&](const auto&... args) { fail(op, dir, ": ", kManifestFile, ": ", args...); };
  if (!fs::is_regular_file(st)) bad("not a regular file");
  // Size, depth and syntax limits as every other untrusted JSON document (core/json_limits.h).
  const json j = read_json_file_limited(path, op, kMaxManifestBytes);
  if (!j.is_object() || !j.contains("format") || j["format"] != kManifestFormat)
    bad("not a dien checkpoint manifest (no \"format\": \"", kManifestFormat, "\")");
  if (!j.contains("version") || !j["version"].is_number_integer()) bad("no integer \"version\"");
  const int64_t version = j["version"].get<int64_t>();
  if (version < 1 || version > kManifestVersion)
    bad("format version ", version, " is not one this dien reads (1 to ", kManifestVersion,
        "): the checkpoint was written by a newer dien; use that version to load it");
  if (!j.contains("checksum") || j["checksum"] != "crc32") bad("unknown checksum (this dien checks \"crc32\")");
  if (!j.contains("files") || !j["files"].is_array()) bad("no \"files\" array");

  CheckpointManifest m;
  m.version = static_cast<int>(version);
  std::set<std::string> seen;
  for (size_t i = 0; i < j["files"].size(); ++i) {
    const json& e = j["files"][i];
    auto bad_entry = [&](const auto&... args) { bad("files[", i, "]: ", args...); };
    if (!e.is_object()) bad_entry("not an object");
    if (!e.contains("name") || !e["name"].is_string()) bad_entry("no \"name\" string");
    ManifestEntry me;
    me.name = e["name"].get<std::string>();
    // Only plain names of this directory: a manifest never points elsewhere.
    if (me.name.empty() || me.name == "." || me.name == ".." || me.name == kManifestFile ||
        me.name.find('/') != std::string::npos || me.name.find('\0') != std::string::npos)
      bad_entry("\"name\" must be the name of a file in the checkpoint directory");
    if (!seen.insert(me.name).second) bad_entry("'", me.name, "' is listed twice");
    if (!e.contains("size") || !e["size"].is_number_unsigned()) bad_entry("'", me.name, "': no non-negative \"size\"");
    me.size = e["size"].get<uint64_t>();
    if (!e.contains("crc32") || !e["crc32"].is_string() || !parse_hex32(e["crc32"].get<std::string>(), me.crc32))
      bad_entry("'", me.name, "': \"crc32\" must be 0x and 8 lowercase hex digits");
    m.files.push_back(std::move(me));
  }
  return m;
}

void verify_manifest_file(const std::string& dir, const CheckpointManifest& m, const std::string& name,
                          const char* op) {
  const ManifestEntry& want = listed(dir, m, name, op);
  const std::string path = path_of(dir, name);
  std::error_code ec;
  if (!fs::exists(path, ec)) missing(dir, name, op);
  const FileChecksum got = checksum_file(path, op);
  compare(dir, want, got.size, got.crc32, op);
}

void verify_manifest_bytes(const std::string& dir, const CheckpointManifest& m, const std::string& name,
                           const std::string& bytes, const char* op) {
  compare(dir, listed(dir, m, name, op), bytes.size(), crc32_bytes(bytes.data(), bytes.size()), op);
}

}  // namespace dien
