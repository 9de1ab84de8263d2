// SPDX-License-Identifier: MIT
// Checkpoint directories: written into a temporary sibling, then swapped in atomically.
#include "models/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/json_limits.h"

namespace dien {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kFormat = "dien-checkpoint";

std::string join(const std::string& dir, const char* name) { return (fs::path(dir) / name).string(); }

json read_json_file(const std::string& path, const char* op) { return read_json_file_limited(path, op); }

// Moves `tmp` to `dir`: an atomic exchange when `dir` exists (the old one then sits at `tmp` and
// is removed), a plain rename otherwise.
void swap_in(const std::string& tmp, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) fail("save_checkpoint", dir, " exists and is not a directory");
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(tmp, ec);  // the previous checkpoint
      return;
    }
    if (errno != EINVAL && errno != ENOSYS)
      fail("save_checkpoint", "cannot exchange ", tmp, " with ", dir, ": ", std::strerror(errno));
    // No RENAME_EXCHANGE on this filesystem: keep the old one aside until the new one is in.
    std::string old = tmp + ".old";
    if (std::rename(dir.c_str(), old.c_str()) != 0)
      fail("save_checkpoint", "cannot move ", dir, " aside: ", std::strerror(errno));
    if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
      int e = errno;
      std::rename(old.c_str(), dir.c_str());
      fail("save_checkpoint", "cannot rename ", tmp, " to ", dir, ": ", std::strerror(e));
    }
    fs::remove_all(old, ec);
    return;
  }
  if (std::rename(tmp.c_str(), dir.c_str()) != 0)
    fail("save_checkpoint", "cannot rename ", tmp, " to ", dir, ": ", std::strerror(errno));
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
  static std::atomic<uint64_t> counter{0};
  std::string tmp = target.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  fs::remove_all(tmp, ec);
  if (!fs::create_directory(tmp, ec)) fail("save_checkpoint", "cannot create ", tmp, ": ", ec.message());
  try {
    json config{{"format", kFormat},
                {"version", kCheckpointVersion},
                {"model", model.config()},
                {"data", data.is_null() ? json::object() : data}};
    write_file_atomic(join(tmp, "config.json"), config.dump(2) + "\n", "save_checkpoint");
    model.save(join(tmp, "model.safetensors"));
    if (optimizer) optimizer->save(join(tmp, "optimizer.safetensors"));
    if (state) write_file_atomic(join(tmp, "trainer.json"), state->to_json().dump(2) + "\n", "save_checkpoint");
    swap_in(tmp, target.string());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

json read_checkpoint_config(const std::string& dir) {
  std::string path = join(dir, "config.json");
  json c = read_json_file(path, "read_checkpoint_config");
  if (!c.is_object() || c.value("format", std::string()) != kFormat)
    fail("read_checkpoint_config", path, ": not a dien checkpoint (no \"format\": \"", kFormat, "\")");
  // A whole number in range: get<int>() would read 2^32 + 1 as 1.
  const json& version = c.contains("version") ? c["version"] : json();
  if (!version.is_number_integer() || (version.is_number_unsigned() && version.get<uint64_t>() > kCheckpointVersion) ||
      (!version.is_number_unsigned() && version.get<int64_t>() < 1))
    fail("read_checkpoint_config", path, ": unsupported version ", json_excerpt(version), " (this build reads up to ",
         kCheckpointVersion, ")");
  if (!c.contains("model") || !c["model"].is_object()) fail("read_checkpoint_config", path, ": no \"model\" object");
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

bool has_optimizer_state(const std::string& dir) { return fs::exists(join(dir, "optimizer.safetensors")); }
bool has_trainer_state(const std::string& dir) { return fs::exists(join(dir, "trainer.json")); }

std::unique_ptr<CtrModel> load_model(const std::string& dir, const ModelFactory& factory) {
  json c = read_checkpoint_config(dir);
  std::unique_ptr<CtrModel> m = factory(c["model"]);
  if (!m) fail("load_model", dir, ": the model factory returned null");
  load_model_state(dir, *m);
  return m;
}

void load_model_state(const std::string& dir, CtrModel& model) {
  try {
    model.load(join(dir, "model.safetensors"));
  } catch (const Error& e) {
    fail("load_model", dir, ": ", e.what());
  }
}

void load_optimizer_state(const std::string& dir, Optimizer& optimizer) {
  if (!has_optimizer_state(dir)) fail("load_optimizer_state", dir, ": no optimizer.safetensors");
  try {
    optimizer.load(join(dir, "optimizer.safetensors"));
  } catch (const Error& e) {
    fail("load_optimizer_state", dir, ": ", e.what());
  }
}

TrainerState load_trainer_state(const std::string& dir) {
  std::string path = join(dir, "trainer.json");
  if (!fs::exists(path)) fail("load_trainer_state", dir, ": no trainer.json");
  try {
    return TrainerState::from_json(read_json_file(path, "load_trainer_state"));
  } catch (const Error& e) {
    fail("load_trainer_state", path, ": ", e.what());
  }
}

}  // namespace dien
