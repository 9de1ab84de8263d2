// SPDX-License-Identifier: MIT
// Checkpoint integrity, the parts with new API (models/checkpoint.h, core/warning.h): the
// allow_nonfinite_weights opt-out (load, resume, session), the one warning for a checkpoint
// without a manifest, verify_checkpoint, and what save_checkpoint writes into the manifest.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "checkpoint_test_util.h"
#include "core/checksum.h"
#include "models/checkpoint.h"
#include "models/checkpoint_dir.h"
#include "models/trainer.h"
#include "support/test_util.h"
#include "tiny_ctr_model.h"

using namespace dien;
using dien::test::require_error;
using dien::test::TinyCtrModel;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) { return test::fresh_temp_dir("ckopt_" + name); }

FitOptions quiet(int epochs) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 50;
  o.verbose = 0;
  return o;
}

}  // namespace

TEST_CASE("checkpoint options: CRC-32 is zlib's, and the manifest lists each file's size and checksum",
          "[checkpoint][integrity][cpu]") {
  REQUIRE(crc32_bytes("123456789", 9) == 0xcbf43926u);  // the CRC-32 check value
  REQUIRE(crc32_hex(0xcbf43926u) == "0xcbf43926");
  const std::string root = temp_dir("manifest");
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  auto opt = make_optimizer("sgd", m.named_parameters());
  TrainerState st;
  save_checkpoint(root + "/c", m, opt.get(), &st);
  const CheckpointIntegrity v = verify_checkpoint(root + "/c");
  REQUIRE(v.has_manifest);
  REQUIRE(v.manifest_version == kManifestVersion);
  std::vector<std::string> names;
  for (const ManifestEntry& e : v.files) {
    names.push_back(e.name);
    const FileChecksum c = checksum_file(root + "/c/" + e.name);
    REQUIRE(c.size == e.size);
    REQUIRE(c.crc32 == e.crc32);
  }
  REQUIRE(names == std::vector<std::string>{"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json"});
  fs::remove(root + "/c/manifest.json");
  REQUIRE(!verify_checkpoint(root + "/c").has_manifest);
  // Temporary names: only <base>.tmp.<pid>.<n>[.old] count.
  long pid = 0;
  REQUIRE(checkpoint_dir::parse_temp_name("best.tmp.123.4", pid));
  REQUIRE(pid == 123);
  REQUIRE(checkpoint_dir::parse_temp_name("best.tmp.77.0.old", pid));
  REQUIRE(pid == 77);
  for (const char* n : {"best", "best.tmp", "best.tmp.1", "best.tmp.x.1", ".tmp.1.2", "best.tmp.0.1", "a.tmp.1.2.new",
                        "best.tmp.99999999999999999999.1"})
    REQUIRE(!checkpoint_dir::parse_temp_name(n, pid));
  fs::remove_all(root);
}

TEST_CASE("checkpoint options: a checkpoint without manifest.json loads, with one warning", "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("old");
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  auto opt = make_optimizer("adam", m.named_parameters());
  TrainerState st;
  st.optimizer = "adam";
  save_checkpoint(root + "/c", m, opt.get(), &st);
  fs::remove(root + "/c/manifest.json");  // as a dien before manifests saved it
  test::CaptureWarnings w;
  auto loaded = load_model(root + "/c", test::make_tiny_model);
  REQUIRE(load_trainer_state(root + "/c").optimizer == "adam");
  auto o = make_optimizer("adam", loaded->named_parameters());
  load_optimizer_state(root + "/c", *o);
  REQUIRE(w.messages.size() == 1);  // once per directory, not once per file
  REQUIRE_THAT(w.messages[0], Catch::Contains(root + "/c") && Catch::Contains("no manifest.json") &&
                                  Catch::Contains("cannot be checked"));
  REQUIRE(w.messages[0].find('\n') == std::string::npos);
  // Saving it again adds one.
  save_checkpoint(root + "/c", *loaded, o.get(), &st);
  REQUIRE(verify_checkpoint(root + "/c").has_manifest);
  fs::remove_all(root);
}

TEST_CASE("checkpoint options: allow_nonfinite_weights loads NaN weights and state that are refused by default",
          "[checkpoint][integrity][cpu]") {
  const std::string root = temp_dir("allow");
  auto train = test::tiny_dataset(200, 41);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  FitOptions o = quiet(1);
  o.checkpoint_dir = root + "/run";
  fit(m, train, o);
  const std::string last = root + "/run/last";
  CheckpointLoadOptions allow;
  allow.allow_nonfinite_weights = true;
  // Re-saves last/ after `damage` changed its weights or optimizer state.
  auto resave = [&](const std::string& to, const std::function<void(CtrModel&, Optimizer&)>& damage) {
    auto model = load_model(last, test::make_tiny_model);
    auto opt = make_optimizer("adam", model->named_parameters());
    load_optimizer_state(last, *opt);
    damage(*model, *opt);
    const TrainerState st = load_trainer_state(last);
    save_checkpoint(to, *model, opt.get(), &st);
  };

  // A run that diverged: NaN in the weights.
  const std::string name = m.named_parameters().back().first;
  resave(root + "/nan", [](CtrModel& model, Optimizer&) {
    model.named_parameters().back().second.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  });
  require_error([&] { load_model(root + "/nan", test::make_tiny_model); }, {"'" + name + "'", "nan", "index 0"});
  auto loaded = load_model(root + "/nan", test::make_tiny_model, allow);
  REQUIRE(std::isnan(loaded->named_parameters().back().second.to_vector<float>()[0]));

  // Resuming refuses an infinite optimizer state, unless FitOptions says otherwise (Adam then
  // takes zero steps for that element: the run goes on with finite weights).
  resave(last, [](CtrModel&, Optimizer& opt) {
    opt.state_dict().tensors.at("out.weight.exp_avg_sq").data<float>()[1] = std::numeric_limits<float>::infinity();
  });
  TinyCtrModel r(test::tiny_options(), test::tiny_features());
  FitOptions ro = quiet(2);
  ro.resume_from = last;
  require_error([&] { fit(r, train, ro); },
                {"load_optimizer_state", "'out.weight.exp_avg_sq'", "inf", "index 1", "allow_nonfinite_weights"});
  ro.allow_nonfinite_weights = true;
  REQUIRE(fit(r, train, ro).epoch == 2);
  fs::remove_all(root);
}
