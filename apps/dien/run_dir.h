// SPDX-License-Identifier: MIT
// The safety of a `dien train --out DIR` run directory: one run at a time (a lock file), no
// previous run replaced unless asked (--overwrite), and no resume on other data than the run
// was trained on (a fingerprint of the data files, the generator settings and the vocabularies,
// recorded in DIR/run.json).
//
//   dien::cli::RunLock lock(dir);            // throws if another process trains into dir
//   dien::cli::check_no_previous_run(dir);   // throws naming dir, --resume and --overwrite
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "apps/dien/data_source.h"

namespace dien::cli {

// Holds an exclusive flock on DIR/.lock (holding the pid) while it lives; the kernel releases
// it when the process ends, however it ends. Throws dien::Error naming dir (and the other
// process's pid) when another process holds it.
class RunLock {
 public:
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// The entries a run writes into its directory (best/, last/, run.json, history.csv/.json).
// Throws unless dir holds none of them; other files (a data file next to the run) are fine.
void check_no_previous_run(const std::string& dir);
// --overwrite: removes those entries.
void remove_previous_run(const std::string& dir);

// {"files": [{"flag", "path", "size", "crc32"}...]} for --data, --val and --spec (each read
// whole), plus "synthetic" (the generator's settings) and "vocabularies_crc32" once the data is
// loaded (td given).
nlohmann::json data_fingerprint(const DataFlags& f, const TrainingData* td);
// Throws dien::Error when `now` differs from `recorded` (what run_file recorded) in what both
// hold, naming each difference and the flag that continues anyway.
void check_data_fingerprint(const nlohmann::json& recorded, const nlohmann::json& now, const std::string& run_file);

}  // namespace dien::cli
