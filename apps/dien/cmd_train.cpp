// SPDX-License-Identifier: MIT
// `dien train`: reads or generates samples, trains a model, writes checkpoints and history.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apps/dien/checks.h"
#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "apps/dien/fit_flags.h"
#include "apps/dien/model_flags.h"
#include "apps/dien/run_dir.h"
#include "models/checkpoint.h"
#include "capi/dien.h"
#include "core/error.h"
#include "core/json_limits.h"
#include "models/trainer.h"

namespace dien::cli {

namespace {

struct TrainArgs {
  DataFlags data;
  ModelFlags model;
  FitFlags fit;
  std::string out = "dien-model";
  bool resume = false;
  bool override_settings = false;
  bool overwrite = false;
  bool resume_any_data = false;
  bool allow_nonfinite = false;
  bool early_stopping = false;
  int patience = 2;
};

// The run directory's record of its settings (<out>/run.json): every flag given to the `dien
// train` that started the run (and to each resume since), as CLI11 read them. `--resume` gives
// every recorded flag back that the command line leaves out, so a run continues as it started.
//   never recorded:  --out, --resume, --override, --overwrite, --resume-any-data,
//                    --allow-nonfinite-weights (they name the
//                    invocation, not the run)
//   free to change:  --epochs, --threads, --device, --early-stopping, --patience, --deterministic
//                    (how long and where the run goes on, not what it trains)
//   never changed:   the flags that shape the saved weights, optimizer state or vocabularies
//                    (kShapesCheckpoint): a different value could only fail to load, or load wrongly
//   everything else: a different value is refused, naming the flag, unless --override
const char* const kRunFile = "run.json";
const std::set<std::string> kNotRecorded = {"--out",           "--resume", "--override", "--overwrite",
                                            "--resume-any-data", "--allow-nonfinite-weights", "--help"};
const std::set<std::string> kFreeOnResume = {"--epochs",         "--threads",  "--device",
                                              "--early-stopping", "--patience", "--deterministic"};
const std::set<std::string> kShapesCheckpoint = {
    "--model",      "--gru-type",   "--negsampling", "--dnn-hidden-units", "--att-hidden-units", "--embedding-dim",
    "--use-bn",     "--dnn-activation", "--att-activation", "--attention", "--network", "--gate-layout",
    "--task",       "--model-options", "--exclude", "--format",    "--spec",      "--users",
    "--items",      "--categories", "--synthetic",   "--optimizer", "--embedding-grad"};
const std::set<std::string> kPathFlags = {"--data", "--val", "--spec", "--model-options"};

using Values = std::vector<std::string>;

// Paths are recorded absolute, so a resume from another directory reads the same files.
Values normalised(const std::string& name, Values v) {
  if (kPathFlags.count(name))
    for (auto& p : v) p = std::filesystem::weakly_canonical(std::filesystem::absolute(p)).string();
  return v;
}

bool same_values(const Values& a, const Values& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    double x = 0, y = 0;  // "1e-3" and "0.001" are the same learning rate
    if (!(check_detail::parse_real(a[i], x) && check_detail::parse_real(b[i], y) && x == y)) return false;
  }
  return true;
}

std::string shown(const std::string& name, const Values& v) {
  std::string s = name;
  for (const auto& x : v) s += " " + x;
  return s;
}

std::map<std::string, Values> recorded_flags(const CLI::App& sub) {
  std::map<std::string, Values> flags;
  for (const CLI::Option* o : sub.get_options()) {
    const std::string name = o->get_name();
    if (o->count() == 0 || kNotRecorded.count(name) || name.rfind("--", 0) != 0) continue;
    flags[name] = normalised(name, o->results());
  }
  return flags;
}

// run.json also records the data's fingerprint (apps/dien/run_dir.h), checked by --resume.
void write_run_file(const std::string& out, const CLI::App& sub, const nlohmann::json& fingerprint) {
  nlohmann::json flags = nlohmann::json::object();
  for (const auto& [name, v] : recorded_flags(sub)) flags[name] = v;
  const nlohmann::json j{{"command", "dien train"},
                         {"dien_version", dien_version()},
                         {"note", "the flags of the run; `dien train --out DIR --resume` reuses them"},
                         {"flags", flags},
                         {"data_fingerprint", fingerprint}};
  write_file_atomic((std::filesystem::path(out) / kRunFile).string(), j.dump(2) + "\n", "dien train");
}

// --resume: gives the run's recorded flags back and checks the ones given now against them.
// Returns the run's trainer state (last/trainer.json); `fingerprint` gets the recorded data
// fingerprint (null when run.json has none).
TrainerState restore_run_settings(CLI::App& sub, const TrainArgs& a, nlohmann::json& fingerprint) {
  const auto dir = std::filesystem::path(a.out);
  const auto last = dir / "last";
  if (!std::filesystem::exists(last / "trainer.json"))
    fail("dien train", "--resume: there is no run to resume in ", a.out, " (no ", (last / "trainer.json").string(),
         "); leave out --resume to start one");
  TrainerState st = load_trainer_state(last.string());
  const auto run_file = dir / kRunFile;
  if (!std::filesystem::exists(run_file)) {
    std::fprintf(stderr,
                 "dien train: %s has no %s (written by an older dien): the run's settings are not known, so the "
                 "flags given now must repeat them\n",
                 a.out.c_str(), kRunFile);
    return st;
  }
  const nlohmann::json j = read_json_file_limited(run_file.string(), "dien train --resume");
  if (j.contains("data_fingerprint")) fingerprint = j["data_fingerprint"];
  std::map<std::string, Values> recorded;
  for (auto it = j.at("flags").begin(); it != j.at("flags").end(); ++it)
    recorded[it.key()] = it.value().get<Values>();

  std::vector<std::string> refused, fixed, changed;
  for (CLI::Option* o : sub.get_options()) {
    const std::string name = o->get_name();
    if (kNotRecorded.count(name) || name.rfind("--", 0) != 0) continue;
    const auto rec = recorded.find(name);
    if (o->count() == 0) {
      if (rec == recorded.end()) continue;
      try {  // the recorded value, as if given now (validators included: a data file must still exist)
        o->clear();
        o->add_result(rec->second);
        o->run_callback();
      } catch (const CLI::Error& e) {
        fail("dien train", "--resume: the run's ", shown(name, rec->second), " (", run_file.string(), "): ", e.what());
      }
      continue;
    }
    if (kFreeOnResume.count(name)) continue;
    const Values now = normalised(name, o->results());
    std::string was;
    if (rec != recorded.end()) {
      if (same_values(now, rec->second)) continue;
      was = "the run has " + shown(name, rec->second);
    } else {
      // The run left this flag at its default.
      std::string def = o->get_default_str();
      if (name == "--embedding-grad") def = st.embedding_grad;  // trainer.json knows the mode it ran in
      if (!def.empty() && same_values(now, {def})) continue;
      was = "the run used the default" + (def.empty() ? std::string() : ", " + def);
    }
    const std::string what = shown(name, now) + " (" + was + ")";
    if (kShapesCheckpoint.count(name))
      fixed.push_back(what);
    else if (a.override_settings)
      changed.push_back(what);
    else
      refused.push_back(what);
  }
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s;
  };
  if (!fixed.empty())
    fail("dien train", "--resume: ", joined(fixed), ". ", fixed.size() > 1 ? "These shape" : "This shapes",
         " the saved weights, optimizer state or vocabularies and cannot change in a run (", run_file.string(),
         " records its settings): leave ", fixed.size() > 1 ? "them" : "it",
         " out to continue the run, or train a new run with another --out");
  if (!refused.empty())
    fail("dien train", "--resume: ", joined(refused), ". Leave ", refused.size() > 1 ? "these flags" : "the flag",
         " out to continue the run as recorded in ", run_file.string(), ", or add --override to change ",
         refused.size() > 1 ? "them" : "it", " from here on");
  for (const auto& c : changed) std::fprintf(stderr, "dien train: --override: %s\n", c.c_str());
  return st;
}

int64_t parameter_count(const CtrModel& m) {
  int64_t n = 0;
  for (const auto& [name, t] : m.named_parameters()) n += t.numel();
  return n;
}

void run_train(CLI::App& sub, const TrainArgs& a) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a.out, ec) && !fs::is_directory(a.out, ec))
    fail("dien train", "--out ", a.out, " exists and is not a directory");
  if (!a.resume) {
    fs::create_directories(a.out, ec);
    if (ec) fail("dien train", "cannot create --out ", a.out, ": ", ec.message());
  }
  // Taken before anything in the directory is read or written, held until the process ends.
  std::unique_ptr<RunLock> lock;
  if (fs::is_directory(a.out, ec)) lock = std::make_unique<RunLock>(a.out);
  if (!a.resume && !a.overwrite) check_no_previous_run(a.out);
  TrainerState resumed;
  nlohmann::json recorded_fingerprint;
  if (a.resume) {
    resumed = restore_run_settings(sub, a, recorded_fingerprint);  // fills `a` with the run's recorded flags
    const std::string run_file = (fs::path(a.out) / kRunFile).string();
    if (recorded_fingerprint.is_null() && fs::exists(run_file))
      std::fprintf(stderr,
                   "dien train: warning: %s records no data fingerprint (written by an older dien): cannot check "
                   "that the data is the run's\n",
                   run_file.c_str());
    else if (!recorded_fingerprint.is_null() && !a.resume_any_data)
      check_data_fingerprint(recorded_fingerprint, data_fingerprint(a.data, nullptr), run_file);
    if (resumed.stopped_early)
      fail("dien train", "--resume: nothing left to train: the run in ", a.out, " stopped early at epoch ",
           resumed.epoch, " (--early-stopping; best epoch ", resumed.best_epoch, "); its weights are in ", a.out,
           "/best");
    if (resumed.epoch >= a.fit.fit.epochs)
      fail("dien train", "--resume: nothing left to train: the run in ", a.out, " has completed ", resumed.epoch,
           " epoch", resumed.epoch == 1 ? "" : "s", " and --epochs is ", a.fit.fit.epochs, "; give --epochs ",
           resumed.epoch + 1, " or more to train further");
  }
  set_threads(a.fit.threads);
  check_device(a.fit.device);
  ModelOptions mo = a.model.resolve();
  if (!a.model.seed) mo.seed = a.fit.fit.seed;
  mo.device = a.fit.device;
  const bool negatives = mo.kind == "dien" && mo.use_negsampling;
  std::fprintf(stderr, "dien train: loading data...\n");
  TrainingData td = load_training_data(a.data, negatives, mo.task);
  FeatureConfig fc = model_features(td.train.features, mo, td.exclude);
  std::unique_ptr<CtrModel> model = make_model(mo, fc);
  const nlohmann::json fingerprint = data_fingerprint(a.data, &td);
  if (a.resume && !recorded_fingerprint.is_null() && !a.resume_any_data)
    check_data_fingerprint(recorded_fingerprint, fingerprint, (fs::path(a.out) / kRunFile).string());
  std::printf("data: %s: %lld training and %lld validation samples\n", td.description.c_str(),
              static_cast<long long>(td.train.rows()), static_cast<long long>(td.val.rows()));
  std::string what = mo.kind;
  if (mo.kind == "dien") what += " (" + mo.gru_type + (mo.use_negsampling ? ", auxiliary loss" : "") + ")";
  std::string left_out;
  for (const auto& e : td.exclude) left_out += (left_out.empty() ? "; features left out: " : ", ") + e;
  std::printf("model: %s, %lld parameters, device %s%s\n", what.c_str(),
              static_cast<long long>(parameter_count(*model)), mo.device.c_str(), left_out.c_str());
  print_loss_legend(mo.task == "regression", negatives);
  std::fflush(stdout);

  FitOptions fo = a.fit.fit;
  fo.checkpoint_dir = a.out;
  fo.data = td.slot;
  fo.history_csv = (std::filesystem::path(a.out) / "history.csv").string();
  fo.history_json = (std::filesystem::path(a.out) / "history.json").string();
  fo.early_stopping = a.early_stopping;
  fo.patience = a.patience;
  fo.restore_best = a.early_stopping;
  if (a.resume) fo.resume_from = (std::filesystem::path(a.out) / "last").string();
  fo.allow_nonfinite_weights = a.allow_nonfinite;
  if (a.overwrite) remove_previous_run(a.out);  // only now that the new run is ready to start
  write_run_file(a.out, sub, fingerprint);
  TrainerState st = fit(*model, td.train, td.val, fo);
  if (!st.history.empty()) {
    const EpochRecord& last = st.history.back();
    if (td.val.rows() > 0) {
      std::printf("validation AUC: %.4f (logloss %.4f) after %d epochs; best %.4f at epoch %d\n", last.val_auc,
                  last.val_loss, last.epoch, st.best, st.best_epoch);
    }
  }
  std::printf("model saved in %s (best/ and last/); try: dien eval %s, dien info %s\n", a.out.c_str(),
              a.out.c_str(), a.out.c_str());
}

}  // namespace

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a model. With no arguments: generates synthetic data whose users' interests drift, and trains "
      "DIEN (AUGRU, auxiliary loss), printing loss and validation AUC per epoch.");
  args->data.add(*sub, true);
  args->model.add(*sub, true);
  args->fit.add(*sub);
  sub->add_option("--out", args->out, "output directory: best/ and last/ checkpoints, history.csv/.json, run.json; one that holds a run is "
                  "refused unless --resume or --overwrite, and one run at a time may train into it (.lock)")
      ->capture_default_str();
  CLI::Option* resume =
      sub->add_flag("--resume", args->resume,
                    "continue the run in --out from its last/ checkpoint, with the flags it was started with "
                    "(recorded in --out/run.json): give only what changes, e.g. a larger --epochs");
  sub->add_flag("--override", args->override_settings,
                "with --resume: let the flags given now replace the run's recorded ones (a flag that shapes the "
                "weights, such as --model or --embedding-dim, never can)")
      ->needs(resume);
  sub->add_flag("--overwrite", args->overwrite,
                "replace the run already in --out (its best/, last/, run.json and history files); without it (or "
                "--resume) an --out that holds a run is refused")
      ->excludes(resume);
  sub->add_flag("--resume-any-data", args->resume_any_data,
                "with --resume: continue even if the data files, generator settings or vocabularies differ from "
                "the run's (their fingerprint is recorded in --out/run.json)")
      ->needs(resume);
  sub->add_flag("--allow-nonfinite-weights", args->allow_nonfinite,
                "with --resume: load NaN or infinite weights and optimizer state instead of refusing the checkpoint")
      ->needs(resume);
  sub->add_flag("--early-stopping", args->early_stopping,
                "stop when validation AUC has not improved for --patience epochs, restore the best weights");
  sub->add_option("--patience", args->patience, "epochs without improvement before stopping")
      ->check(at_least(1))
      ->capture_default_str();
  sub->callback([sub, args] { run_train(*sub, *args); });
}

}  // namespace dien::cli
