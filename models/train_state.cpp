// SPDX-License-Identifier: MIT
// JSON and CSV forms of EpochRecord and TrainerState.
#include "models/train_state.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/file_write.h"
#include "core/json_limits.h"

namespace dien {

using json = nlohmann::json;

namespace {

json num(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

double read_num(const json& j, const char* key, const char* op) {
  if (!j.contains(key)) fail(op, "missing key '", key, "'");
  const json& v = j.at(key);
  if (v.is_null()) return kNoValue;
  if (!v.is_number()) fail(op, "key '", key, "' is not a number: ", json_excerpt(v));
  return v.get<double>();
}

template <class T>
T read(const json& j, const char* key, const char* op) {
  if (!j.contains(key)) fail(op, "missing key '", key, "'");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception& e) {
    fail(op, "key '", key, "' has the wrong type: ", json_excerpt(j.at(key)));
  }
}

// Epoch numbers stay below INT_MAX so that `epoch + 1` in the training loop cannot overflow.
constexpr int64_t kMaxEpoch = std::numeric_limits<int>::max() - 1;

int read_epoch(const json& j, const char* key, int64_t lo, int64_t hi, const char* op) {
  return static_cast<int>(json_integer_at(j, key, lo, hi, op, "trainer state"));
}

int64_t read_count(const json& j, const char* key, const char* op) {
  return json_integer_at(j, key, 0, std::numeric_limits<int64_t>::max(), op, "trainer state");
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string csv_num(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

json EpochRecord::to_json() const {
  return json{{"epoch", epoch},
              {"global_step", global_step},
              {"lr", num(lr)},
              {"train_objective", num(train_objective)},
              {"train_loss", num(train_loss)},
              {"train_auc", num(train_auc)},
              {"val_loss", num(val_loss)},
              {"val_auc", num(val_auc)},
              {"val_gauc", num(val_gauc)},
              {"val_accuracy", num(val_accuracy)},
              {"seconds", seconds},
              {"samples_per_s", samples_per_s}};
}

EpochRecord EpochRecord::from_json(const json& j) {
  const char* op = "EpochRecord::from_json";
  if (!j.is_object()) fail(op, "expected an object, got ", json_excerpt(j));
  EpochRecord r;
  r.epoch = read_epoch(j, "epoch", 1, kMaxEpoch, op);
  r.global_step = read_count(j, "global_step", op);
  r.lr = read_num(j, "lr", op);
  r.train_objective = read_num(j, "train_objective", op);
  r.train_loss = read_num(j, "train_loss", op);
  r.train_auc = read_num(j, "train_auc", op);
  r.val_loss = read_num(j, "val_loss", op);
  r.val_auc = read_num(j, "val_auc", op);
  r.val_gauc = read_num(j, "val_gauc", op);
  r.val_accuracy = read_num(j, "val_accuracy", op);
  r.seconds = read_num(j, "seconds", op);
  r.samples_per_s = read_num(j, "samples_per_s", op);
  return r;
}

bool same_metrics(const EpochRecord& a, const EpochRecord& b) {
  return a.epoch == b.epoch && a.global_step == b.global_step && same(a.lr, b.lr) &&
         same(a.train_objective, b.train_objective) && same(a.train_loss, b.train_loss) &&
         same(a.train_auc, b.train_auc) && same(a.val_loss, b.val_loss) && same(a.val_auc, b.val_auc) &&
         same(a.val_gauc, b.val_gauc) && same(a.val_accuracy, b.val_accuracy);
}

json TrainerState::to_json() const {
  json h = json::array();
  for (const auto& e : history) h.push_back(e.to_json());
  // u64 seeds and offsets as strings: JSON readers elsewhere may hold numbers as doubles.
  return json{{"epoch", epoch},
              {"global_step", global_step},
              {"optimizer", optimizer},
              {"embedding_grad", embedding_grad},
              {"shuffle_seed", std::to_string(shuffle_seed)},
              {"shuffle_offset", std::to_string(shuffle_offset)},
              {"default_seed", std::to_string(default_seed)},
              {"default_offset", std::to_string(default_offset)},
              {"monitor", monitor},
              {"best", num(best)},
              {"best_epoch", best_epoch},
              {"epochs_without_improvement", epochs_without_improvement},
              {"stopped_early", stopped_early},
              {"history", h}};
}

TrainerState TrainerState::from_json(const json& j) {
  const char* op = "TrainerState::from_json";
  if (!j.is_object()) fail(op, "expected an object, got ", json_excerpt(j));
  auto u64 = [&](const char* key) -> uint64_t {
    std::string s = read<std::string>(j, key, op);
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    // strtoull accepts "-1" and " 1"; a seed or offset is digits only.
    if (s.empty() || s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0)
      fail(op, "key '", key, "' is not an unsigned integer: '", s, "'");
    return v;
  };
  TrainerState s;
  s.epoch = read_epoch(j, "epoch", 0, kMaxEpoch, op);
  s.global_step = read_count(j, "global_step", op);
  s.optimizer = read<std::string>(j, "optimizer", op);
  s.embedding_grad = j.contains("embedding_grad") ? read<std::string>(j, "embedding_grad", op) : "dense";
  if (s.embedding_grad != "sparse" && s.embedding_grad != "dense")
    fail(op, "key 'embedding_grad' must be sparse or dense, got '", s.embedding_grad, "'");
  s.shuffle_seed = u64("shuffle_seed");
  s.shuffle_offset = u64("shuffle_offset");
  s.default_seed = u64("default_seed");
  s.default_offset = u64("default_offset");
  s.monitor = read<std::string>(j, "monitor", op);
  s.best = read_num(j, "best", op);
  s.best_epoch = read_epoch(j, "best_epoch", 0, s.epoch, op);
  s.epochs_without_improvement = read_epoch(j, "epochs_without_improvement", 0, s.epoch, op);
  s.stopped_early = read<bool>(j, "stopped_early", op);
  if (!j.contains("history") || !j.at("history").is_array()) fail(op, "missing array 'history'");
  for (const auto& e : j.at("history")) s.history.push_back(EpochRecord::from_json(e));
  return s;
}

void write_file_atomic(const std::string& path, const std::string& text, const char* op) {
  write_file(path, text, op);
}

void write_history_csv(const std::string& path, const std::vector<EpochRecord>& history) {
  std::ostringstream os;
  os << "epoch,global_step,lr,train_objective,train_loss,train_auc,val_loss,val_auc,val_gauc,val_accuracy,"
        "seconds,samples_per_s\n";
  for (const auto& e : history)
    os << e.epoch << ',' << e.global_step << ',' << csv_num(e.lr) << ',' << csv_num(e.train_objective) << ','
       << csv_num(e.train_loss) << ',' << csv_num(e.train_auc) << ',' << csv_num(e.val_loss) << ','
       << csv_num(e.val_auc) << ',' << csv_num(e.val_gauc) << ',' << csv_num(e.val_accuracy) << ','
       << csv_num(e.seconds) << ',' << csv_num(e.samples_per_s) << '\n';
  write_file_atomic(path, os.str(), "write_history_csv");
}

void write_history_json(const std::string& path, const std::vector<EpochRecord>& history) {
  json h = json::array();
  for (const auto& e : history) h.push_back(e.to_json());
  write_file_atomic(path, h.dump(2) + "\n", "write_history_json");
}

}  // namespace dien
