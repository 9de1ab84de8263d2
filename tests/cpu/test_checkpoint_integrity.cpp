// SPDX-License-Identifier: MIT
// Checkpoint integrity (models/checkpoint.h, issue 12): damaged, truncated, missing or relabelled
// files, non-finite weights, manifests from the future and stale temporary directories are all
// refused or cleaned up, never loaded. Only the API that predates manifests is used here, so each
// case runs against the old loader too (and fails there); the opt-outs and the warning hook are
// in test_checkpoint_options.cpp.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "models/checkpoint.h"
#include "models/trainer.h"
#include "support/test_util.h"
#include "tiny_ctr_model.h"

using namespace dien;
using dien::test::require_error;
using dien::test::TinyCtrModel;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) { return test::fresh_temp_dir("integrity_" + name); }

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Where a safetensors file's tensor bytes begin (after the 8-byte size and the header).
size_t data_start(const std::string& bytes) {
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[static_cast<size_t>(i)])) << (8 * i);
  return static_cast<size_t>(8 + h);
}

// The header's entry of tensor `name` rewritten with another dtype tag of the same width.
std::string relabel(const std::string& bytes, const std::string& name, const std::string& dtype) {
  const size_t start = data_start(bytes);
  std::string header = bytes.substr(8, start - 8);
  nlohmann::json j = nlohmann::json::parse(header);
  j[name]["dtype"] = dtype;
  std::string text = j.dump();
  REQUIRE(text.size() <= header.size());
  text.append(header.size() - text.size(), ' ');
  return bytes.substr(0, 8) + text + bytes.substr(start);
}

std::map<std::string, std::vector<float>> params(const CtrModel& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, t] : m.named_parameters()) out[name] = t.to_vector<float>();
  return out;
}

struct Saved {
  std::string dir;
  TinyCtrModel model{test::tiny_options(), test::tiny_features()};
  std::unique_ptr<Optimizer> opt;
  // A checkpoint with every file: config (with a data slot), weights, optimizer state, trainer state.
  explicit Saved(const std::string& d) : dir(d) {
    fit(model, test::tiny_dataset(200, 31), [] {
      FitOptions o;
      o.verbose = 0;
      o.batch_size = 50;
      return o;
    }());
    opt = make_optimizer("adam", model.named_parameters());
    TrainerState st;
    st.optimizer = "adam";
    st.epoch = 3;
    save_checkpoint(dir, model, opt.get(), &st, {{"note", "abcdef"}});
  }
};

}  // namespace

TEST_CASE("checkpoint integrity: every single-bit flip in the tensor data of model.safetensors is refused",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("flips");
  Saved s(root + "/c");
  const std::string path = s.dir + "/model.safetensors";
  const std::string good = read_bytes(path);
  const size_t begin = data_start(good);
  REQUIRE(begin < good.size());
  std::mt19937_64 rng(2024);
  int refused = 0;
  for (int k = 0; k < 60; ++k) {
    std::string bad = good;
    const size_t at = begin + static_cast<size_t>(rng() % (good.size() - begin));
    bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
    write_bytes(path, bad);
    INFO("flip " << k << " at byte " << at);
    require_error([&] { load_model(s.dir, test::make_tiny_model); },
                  {"load_model", s.dir, "model.safetensors", "CRC-32 mismatch", "the file is damaged"});
    ++refused;
  }
  REQUIRE(refused == 60);
  write_bytes(path, good);
  REQUIRE(params(*load_model(s.dir, test::make_tiny_model)) == params(s.model));
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: a flipped bit in config.json, trainer.json or optimizer.safetensors is refused",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("other_flips");
  Saved s(root + "/c");
  auto flip_and_restore = [&](const std::string& name, size_t at, int bit, const std::function<void()>& load) {
    const std::string path = s.dir + "/" + name;
    const std::string good = read_bytes(path);
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ (1 << bit));
    write_bytes(path, bad);
    INFO(name);
    require_error(load, {s.dir, name, "CRC-32 mismatch", "the file is damaged"});
    write_bytes(path, good);
    load();
  };
  // Flips that keep the file valid, so only a checksum can tell: "abcdef" -> "abbdef" in the
  // data slot, epoch 3 -> 2, one mantissa bit of the first optimizer tensor.
  const std::string config = read_bytes(s.dir + "/config.json");
  flip_and_restore("config.json", config.find("abcdef") + 2, 0, [&] { read_checkpoint_config(s.dir); });
  const std::string trainer = read_bytes(s.dir + "/trainer.json");
  flip_and_restore("trainer.json", trainer.find("\"epoch\": 3") + 9, 0, [&] { load_trainer_state(s.dir); });
  const std::string optim = read_bytes(s.dir + "/optimizer.safetensors");
  flip_and_restore("optimizer.safetensors", data_start(optim) + 1, 0, [&] {
    auto o = make_optimizer("adam", s.model.named_parameters());
    load_optimizer_state(s.dir, *o);
  });
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: truncated and missing files are refused, naming the file",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("truncated");
  Saved s(root + "/c");
  // One byte less (trainer.json's final newline): still valid JSON, so only the size can tell.
  const std::string trainer = read_bytes(s.dir + "/trainer.json");
  write_bytes(s.dir + "/trainer.json", trainer.substr(0, trainer.size() - 1));
  require_error([&] { load_trainer_state(s.dir); },
                {"load_trainer_state", s.dir, "trainer.json", "size mismatch", "truncated"});
  write_bytes(s.dir + "/trainer.json", trainer);
  const std::string config = read_bytes(s.dir + "/config.json");
  write_bytes(s.dir + "/config.json", config.substr(0, config.size() - 1));
  require_error([&] { load_model(s.dir, test::make_tiny_model); }, {s.dir, "config.json", "size mismatch"});
  write_bytes(s.dir + "/config.json", config);
  const std::string model = s.dir + "/model.safetensors";
  fs::resize_file(model, fs::file_size(model) - 4);
  require_error([&] { load_model(s.dir, test::make_tiny_model); }, {s.dir, "model.safetensors", "size mismatch"});

  // Missing: a file the manifest lists is reported, not taken for "saved without it".
  fs::remove(s.dir + "/trainer.json");
  REQUIRE(has_trainer_state(s.dir));
  require_error([&] { load_trainer_state(s.dir); }, {s.dir, "trainer.json", "listed in manifest.json but missing"});
  fs::remove(s.dir + "/optimizer.safetensors");
  REQUIRE(has_optimizer_state(s.dir));
  auto o = make_optimizer("adam", s.model.named_parameters());
  require_error([&] { load_optimizer_state(s.dir, *o); },
                {s.dir, "optimizer.safetensors", "listed in manifest.json but missing"});
  fs::remove(model);
  require_error([&] { load_model(s.dir, test::make_tiny_model); },
                {"load_model", s.dir, "model.safetensors", "listed in manifest.json but missing"});

  // A file the manifest does not list was added afterwards: refused too.
  save_checkpoint(root + "/bare", s.model);
  write_bytes(root + "/bare/trainer.json", trainer);
  require_error([&] { load_trainer_state(root + "/bare"); }, {"trainer.json", "not listed in manifest.json"});
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: a dtype tag relabelled F32 -> I32 is refused, never cast",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("dtype");
  Saved s(root + "/c");
  const std::string path = s.dir + "/model.safetensors";
  const std::string relabelled = relabel(read_bytes(path), "out.weight", "I32");
  write_bytes(path, relabelled);
  // With the manifest, the checksum sees it first.
  require_error([&] { load_model(s.dir, test::make_tiny_model); }, {"model.safetensors", "CRC-32 mismatch"});
  // Without one (a checkpoint from before manifests), the dtype check does.
  fs::remove(s.dir + "/manifest.json");
  require_error([&] { load_model(s.dir, test::make_tiny_model); },
                {"load_model", s.dir, "model.safetensors", "'out.weight'", "I32 in the file", "expects F32"});
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  const auto before = params(m);
  require_error([&] { load_model_state(s.dir, m); }, {"'out.weight'", "I32", "F32"});
  REQUIRE(params(m) == before);  // nothing was loaded
  // The optimizer's state too (Optimizer::load_state_dict compares it with its parameter's dtype).
  const std::string opath = s.dir + "/optimizer.safetensors";
  write_bytes(opath, relabel(read_bytes(opath), "out.weight.exp_avg", "I32"));
  auto opt = make_optimizer("adam", m.named_parameters());
  require_error([&] { load_optimizer_state(s.dir, *opt); },
                {"optimizer.safetensors", "'out.weight'", "'exp_avg'", "i32"});
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: NaN or infinite weights and optimizer state are refused at load",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("nonfinite");
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  Tensor w = m.named_parameters().front().second;
  const std::string wname = m.named_parameters().front().first;
  w.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  save_checkpoint(root + "/nan", m);  // saving keeps what the model holds; loading refuses it
  require_error([&] { load_model(root + "/nan", test::make_tiny_model); },
                {"load_model", "model.safetensors", "'" + wname + "'", "nan", "index 5", "allow_nonfinite_weights"});

  TinyCtrModel ok(test::tiny_options(), test::tiny_features());
  auto opt = make_optimizer("adam", ok.named_parameters());
  fit(ok, test::tiny_dataset(100, 32), [] {
    FitOptions o;
    o.verbose = 0;
    return o;
  }());
  // fit's own optimizer is internal: give this one state by one step on a fresh gradient.
  opt->zero_grad();
  for (auto& [n, p] : ok.named_parameters()) p.set_grad(ones_like(p));
  opt->step();
  OptimizerState st = opt->state_dict();
  Tensor avg = st.tensors.at("out.weight.exp_avg");
  avg.data<float>()[2] = -std::numeric_limits<float>::infinity();
  save_checkpoint(root + "/inf", ok, opt.get());
  REQUIRE_NOTHROW(load_model(root + "/inf", test::make_tiny_model));
  auto fresh = make_optimizer("adam", ok.named_parameters());
  require_error([&] { load_optimizer_state(root + "/inf", *fresh); },
                {"load_optimizer_state", "optimizer.safetensors", "'out.weight.exp_avg'", "inf", "index 2"});
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: manifests and config versions from the future are refused",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("future");
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  save_checkpoint(root + "/c", m);
  const std::string mpath = root + "/c/manifest.json";
  REQUIRE(fs::exists(mpath));
  nlohmann::json man = nlohmann::json::parse(read_bytes(mpath));
  REQUIRE(man["format"] == "dien-checkpoint-manifest");
  REQUIRE(man["version"] == 1);
  REQUIRE(man["files"].size() == 2);
  man["version"] = 2;
  write_bytes(mpath, man.dump());
  require_error([&] { load_model(root + "/c", test::make_tiny_model); },
                {"manifest.json", "format version 2", "newer dien"});
  // A config version that does not fit in an int must not wrap to a supported one.
  fs::remove(mpath);
  nlohmann::json c = nlohmann::json::parse(read_bytes(root + "/c/config.json"));
  c["version"] = 4294967297LL;  // 2^32 + 1
  write_bytes(root + "/c/config.json", c.dump());
  require_error([&] { read_checkpoint_config(root + "/c"); }, {"unsupported version 4294967297"});
  c["version"] = 0;
  write_bytes(root + "/c/config.json", c.dump());
  require_error([&] { read_checkpoint_config(root + "/c"); }, {"unsupported version 0"});
  fs::remove_all(root);
}

TEST_CASE("checkpoint integrity: a save removes stale temporaries of dead processes, keeps a live one's",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("stale");
  // A pid that surely is not running: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  ::waitpid(child, nullptr, 0);
  REQUIRE(::kill(child, 0) == -1);
  const std::string dead = std::to_string(child), live = std::to_string(::getppid());
  auto make = [&](const std::string& name, const std::vector<std::string>& files) {
    fs::create_directories(root + "/" + name);
    for (const auto& f : files) write_bytes(root + "/" + name + "/" + f, std::string(1000, 'x'));
    return root + "/" + name;
  };
  // Interrupted saves of a dead process: while writing the weights, and while swapping (.old).
  const std::string stale1 = make("best.tmp." + dead + ".0", {"config.json", "model.safetensors.tmp." + dead + ".3"});
  const std::string stale2 = make("last.tmp." + dead + ".7.old", {"config.json", "model.safetensors", "trainer.json"});
  const std::string stale3 = make("c.tmp." + dead + ".1", {});
  // Kept: a live process's save in progress, and a directory that merely looks like a temporary.
  const std::string running = make("c.tmp." + live + ".0", {"config.json"});
  const std::string foreign = make("notes.tmp." + dead + ".2", {"my-notes.txt"});
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  save_checkpoint(root + "/c", m);
  CHECK(!fs::exists(stale1));
  CHECK(!fs::exists(stale2));
  CHECK(!fs::exists(stale3));
  CHECK(fs::exists(running));
  CHECK(fs::exists(foreign));
  REQUIRE(params(*load_model(root + "/c", test::make_tiny_model)) == params(m));
  fs::remove_all(root);
}
