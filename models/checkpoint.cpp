// SPDX-License-Identifier: MIT
// Checkpoint directories: written into a temporary sibling, then swapped in atomically; every
// file verified against manifest.json, and every tensor checked (models/checkpoint_tensors.h),
// before a load uses it.
#include "models/checkpoint.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>

#include "core/error.h"
#include "core/serialize.h"
#include "core/warning.h"
#include "models/checkpoint_dir.h"
#include "models/checkpoint_tensors.h"
#include "core/json_limits.h"

namespace dien {

namespace fs = std::filesystem;
using json = nlohmann::json;
using checkpoint_tensors::check_dtypes;
using checkpoint_tensors::check_finite;

namespace {

const char* kFormat = "dien-checkpoint";

std::string join(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

// The manifest of `dir`, or nullopt for a checkpoint saved before dien wrote one (then a warning,
// once per directory and process: a command reads several files of one checkpoint).
std::optional<CheckpointManifest> manifest_for(const std::string& dir, const char* op) {
  std::optional<CheckpointManifest> m = read_manifest(dir, op);
  if (!m) {
    static std::mutex mu;
    static std::set<std::string> warned;
    std::error_code ec;
    const std::string key = fs::weakly_canonical(fs::absolute(dir), ec).string();
    bool first;
    {
      std::lock_guard<std::mutex> lock(mu);
      first = warned.insert(key).second;
    }
    if (first)
      warn(detail::cat(dir, ": no ", kManifestFile,
                       " (saved by an older dien): its files cannot be checked for damage; save it again to add one"));
  }
  return m;
}

// <dir>/<name> whole, verified against the manifest when there is one. `absent` is the message
// when the file does not exist and the manifest does not list it.
std::string read_verified(const std::string& dir, const char* name, const std::optional<CheckpointManifest>& m,
                          const char* op, const std::string& absent) {
  const std::string path = join(dir, name);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (m && m->find(name)) verify_manifest_file(dir, *m, name, op);  // reports it missing
    fail(op, absent);
  }
  std::string bytes;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(op, "cannot open ", path, ": ", std::strerror(errno));
  char buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, got);
  const bool err = std::ferror(f);
  std::fclose(f);
  if (err) fail(op, "read error in ", path);
  if (m) verify_manifest_bytes(dir, *m, name, bytes, op);
  return bytes;
}

json parse_json(const std::string& text, const std::string& path, const char* op) {
  return parse_json_limited(text, path, op);
}

// A safetensors file of the checkpoint, verified against the manifest before it is parsed.
SafetensorsFile load_verified(const std::string& dir, const char* name, const char* op) {
  std::optional<CheckpointManifest> m = manifest_for(dir, op);
  if (m) verify_manifest_file(dir, *m, name, op);
  try {
    return load_safetensors(join(dir, name));
  } catch (const Error& e) {
    fail(op, dir, ": ", e.what());
  }
}

}  // namespace

void save_checkpoint(const std::string& dir, const CtrModel& model, const Optimizer* optimizer,
                     const TrainerState* state, const json& data) {
  if (dir.empty()) fail("save_checkpoint", "the directory name is empty");
  if (!data.is_object() && !data.is_null()) fail("save_checkpoint", dir, ": data must be a JSON object");
  fs::path target = fs::absolute(fs::path(dir)).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) fail("save_checkpoint", "cannot create ", target.parent_path().string(), ": ", ec.message());
  checkpoint_dir::remove_stale_temporaries(target.parent_path().string());
  static std::atomic<uint64_t> counter{0};
  std::string tmp = target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec)) fail("save_checkpoint", "cannot create ", tmp, ": ", ec.message());
  try {
    json config{{"format", kFormat},
                {"version", kCheckpointVersion},
                {"model", model.config()},
                {"data", data.is_null() ? json::object() : data}};
    std::vector<const char*> files{"config.json", "model.safetensors"};
    write_file_atomic(join(tmp, "config.json"), config.dump(2) + "\n", "save_checkpoint");
    model.save(join(tmp, "model.safetensors"));
    if (optimizer) {
      optimizer->save(join(tmp, "optimizer.safetensors"));
      files.push_back("optimizer.safetensors");
    }
    if (state) {
      write_file_atomic(join(tmp, "trainer.json"), state->to_json().dump(2) + "\n", "save_checkpoint");
      files.push_back("trainer.json");
    }
    // Last, so a directory with a manifest is complete; the checksums are of the bytes on disk.
    std::vector<ManifestEntry> entries;
    for (const char* f : files) entries.push_back(manifest_entry(tmp, f));
    write_manifest(tmp, entries);
    checkpoint_dir::fsync_directory(tmp, "save_checkpoint");
    checkpoint_dir::swap_in(tmp, target.string());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

json read_checkpoint_config(const std::string& dir) {
  const char* op = "read_checkpoint_config";
  const std::string path = join(dir, "config.json");
  std::error_code ec;
  if (!fs::exists(path, ec) && !fs::exists(join(dir, kManifestFile), ec)) fail(op, "cannot open ", path);
  const std::optional<CheckpointManifest> m = manifest_for(dir, op);
  json c = parse_json(read_verified(dir, "config.json", m, op, "cannot open " + path), path, op);
  if (!c.is_object() || c.value("format", std::string()) != kFormat)
    fail(op, path, ": not a dien checkpoint (no \"format\": \"", kFormat, "\")");
  // A whole number in range: a huge version must not wrap to a supported one.
  const json& version = c.contains("version") ? c["version"] : json();
  const bool supported = version.is_number_unsigned()  ? version.get<uint64_t>() >= 1 &&
                                                             version.get<uint64_t>() <= uint64_t{kCheckpointVersion}
                         : version.is_number_integer() ? version.get<int64_t>() >= 1 &&
                                                             version.get<int64_t>() <= kCheckpointVersion
                                                       : false;
  if (!supported)
    fail(op, path, ": unsupported version ", json_excerpt(version), " (this build reads 1 to ", kCheckpointVersion, ")");
  if (!c.contains("model") || !c["model"].is_object()) fail(op, path, ": no \"model\" object");
  if (!c.contains("data")) c["data"] = json::object();
  return c;
}

std::string resolve_checkpoint(const std::string& path) {
  if (fs::exists(fs::path(path) / "config.json")) return path;
  for (const char* sub : {"best", "last"})
    if (fs::exists(fs::path(path) / sub / "config.json")) return (fs::path(path) / sub).string();
  if (!fs::exists(path)) fail("dien", "model '", path, "' does not exist");
  fail("dien", "'", path, "' is not a checkpoint: it has no config.json, best/ or last/");
}

namespace {
bool present_or_listed(const std::string& dir, const char* name) {
  if (fs::exists(join(dir, name))) return true;
  try {
    std::optional<CheckpointManifest> m = read_manifest(dir, "checkpoint");
    return m && m->find(name);
  } catch (const Error&) {
    return false;  // the load reports the damaged manifest
  }
}
}  // namespace

bool has_optimizer_state(const std::string& dir) { return present_or_listed(dir, "optimizer.safetensors"); }
bool has_trainer_state(const std::string& dir) { return present_or_listed(dir, "trainer.json"); }

CheckpointIntegrity verify_checkpoint(const std::string& dir) {
  CheckpointIntegrity r;
  std::optional<CheckpointManifest> m = read_manifest(dir, "verify_checkpoint");
  if (!m) return r;
  for (const ManifestEntry& e : m->files) verify_manifest_file(dir, *m, e.name, "verify_checkpoint");
  r.has_manifest = true;
  r.manifest_version = m->version;
  r.files = m->files;
  return r;
}

std::unique_ptr<CtrModel> load_model(const std::string& dir, const ModelFactory& factory,
                                     const CheckpointLoadOptions& options) {
  json c = read_checkpoint_config(dir);
  std::unique_ptr<CtrModel> m = factory(c["model"]);
  if (!m) fail("load_model", dir, ": the model factory returned null");
  load_model_state(dir, *m, options);
  return m;
}

void load_model_state(const std::string& dir, CtrModel& model, const CheckpointLoadOptions& options) {
  const char* op = "load_model";
  const char* file = "model.safetensors";
  SafetensorsFile f = load_verified(dir, file, op);
  check_dtypes(dir, file, f.tensors, model.state_dict(), op);
  if (!options.allow_nonfinite_weights) check_finite(dir, file, f.tensors, op);
  try {
    model.load_state_dict(f.tensors);
  } catch (const Error& e) {
    fail(op, dir, ": ", join(dir, file), ": ", e.what());
  }
}

void load_optimizer_state(const std::string& dir, Optimizer& optimizer, const CheckpointLoadOptions& options) {
  const char* op = "load_optimizer_state";
  const char* file = "optimizer.safetensors";
  if (!has_optimizer_state(dir)) fail(op, dir, ": no ", file);
  SafetensorsFile f = load_verified(dir, file, op);
  // Dtypes: Optimizer::load_state_dict refuses state whose dtype is not its parameter's.
  if (!options.allow_nonfinite_weights) check_finite(dir, file, f.tensors, op);
  try {
    optimizer.load_state_dict({std::move(f.tensors), std::move(f.metadata)});
  } catch (const Error& e) {
    fail(op, dir, ": ", join(dir, file), ": ", e.what());
  }
}

TrainerState load_trainer_state(const std::string& dir) {
  const char* op = "load_trainer_state";
  const std::string path = join(dir, "trainer.json");
  if (!has_trainer_state(dir)) fail(op, dir, ": no trainer.json");
  const std::optional<CheckpointManifest> m = manifest_for(dir, op);
  const std::string text = read_verified(dir, "trainer.json", m, op, dir + ": no trainer.json");
  try {
    return TrainerState::from_json(parse_json(text, path, op));
  } catch (const Error& e) {
    fail(op, path, ": ", e.what());
  }
}

}  // namespace dien
