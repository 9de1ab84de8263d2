// SPDX-License-Identifier: MIT
#include "apps/dien/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "core/checksum.h"
#include "core/error.h"

namespace dien::cli {

namespace {

namespace fs = std::filesystem;

const char* const kRunEntries[] = {"best", "last", "run.json", "history.csv", "history.json"};

// CRC-32 of the whole file: a reordered or edited data file changes it, a copy does not.
nlohmann::json file_fingerprint(const std::string& flag, const std::string& path) {
  const std::string op = "dien train " + flag;
  const FileChecksum c = checksum_file(path, op.c_str());
  return {{"flag", flag},
          {"path", fs::weakly_canonical(fs::absolute(path)).string()},
          {"size", c.size},
          {"crc32", c.crc32}};
}

std::string shown_file(const nlohmann::json& f) {
  return f.at("path").get<std::string>() + " (" + std::to_string(f.at("size").get<uint64_t>()) + " bytes, crc32 " +
         std::to_string(f.at("crc32").get<uint64_t>()) + ")";
}

}  // namespace

RunLock::RunLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("dien train", "cannot create the lock file ", path, ": ", std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (e != EWOULDBLOCK) fail("dien train", "cannot lock ", path, ": ", std::strerror(e));
    std::string who = n > 0 ? std::string(pid, static_cast<size_t>(n)) : std::string();
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    fail("dien train", "another run", who.empty() ? std::string() : " (pid " + who + ")", " is training into ", dir,
         " (it holds ", path, "); wait for it to finish, or give another --out");
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  // The pid is only shown to a second run; failing to record it changes nothing else.
  const bool shown = ::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, me.data(), me.size(), 0) > 0;
  (void)shown;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

void check_no_previous_run(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* e : kRunEntries) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(fs::path(dir) / e, ec))) found.push_back(e);
  }
  if (found.empty()) return;
  std::string list;
  for (const auto& e : found) list += (list.empty() ? "" : ", ") + e;
  fail("dien train", "--out ", dir, " holds a previous run (", list,
       "); add --resume to continue it, --overwrite to replace it, or give another --out");
}

void remove_previous_run(const std::string& dir) {
  for (const char* e : kRunEntries) {
    std::error_code ec;
    fs::remove_all(fs::path(dir) / e, ec);
    if (ec) fail("dien train", "--overwrite: cannot remove ", (fs::path(dir) / e).string(), ": ", ec.message());
  }
}

nlohmann::json data_fingerprint(const DataFlags& f, const TrainingData* td) {
  nlohmann::json files = nlohmann::json::array();
  if (!f.data.empty()) files.push_back(file_fingerprint("--data", f.data));
  if (!f.val.empty()) files.push_back(file_fingerprint("--val", f.val));
  if (!f.spec.empty()) files.push_back(file_fingerprint("--spec", f.spec));
  nlohmann::json fp{{"files", files}};
  if (td) {
    if (td->slot.contains("synthetic")) fp["synthetic"] = td->slot["synthetic"];
    const std::string voc = td->slot.contains("vocabularies") ? td->slot["vocabularies"].dump() : std::string();
    fp["vocabularies_crc32"] = crc32_bytes(voc.data(), voc.size());
  }
  return fp;
}

void check_data_fingerprint(const nlohmann::json& recorded, const nlohmann::json& now, const std::string& run_file) {
  std::vector<std::string> diffs;
  try {
    auto by_flag = [](const nlohmann::json& fp) {
      std::map<std::string, nlohmann::json> m;
      if (fp.contains("files"))
        for (const auto& f : fp.at("files")) m[f.at("flag").get<std::string>()] = f;
      return m;
    };
    const auto was = by_flag(recorded), is = by_flag(now);
    for (const auto& [flag, f] : is) {
      const auto w = was.find(flag);
      if (w == was.end())
        diffs.push_back(flag + " " + shown_file(f) + ": the run had no " + flag);
      else if (w->second.at("size") != f.at("size") || w->second.at("crc32") != f.at("crc32"))
        diffs.push_back(flag + " " + shown_file(f) + ": the run was trained on " + shown_file(w->second));
    }
    for (const auto& [flag, f] : was)
      if (!is.count(flag)) diffs.push_back("no " + flag + ": the run was trained on " + shown_file(f));
    if (recorded.contains("synthetic") && now.contains("synthetic") && recorded["synthetic"] != now["synthetic"]) {
      // Only the settings that differ: the generator has a couple of dozen.
      std::string d;
      const nlohmann::json& w = recorded["synthetic"];
      for (auto it = now["synthetic"].begin(); it != now["synthetic"].end(); ++it)
        if (!w.contains(it.key()) || w[it.key()] != it.value())
          d += (d.empty() ? "" : ", ") + it.key() + " " + it.value().dump() +
               (w.contains(it.key()) ? " (the run's: " + w[it.key()].dump() + ")" : " (new)");
      diffs.push_back("synthetic data generated with other settings: " + (d.empty() ? now["synthetic"].dump() : d));
    }
    if (recorded.contains("vocabularies_crc32") && now.contains("vocabularies_crc32") &&
        recorded["vocabularies_crc32"] != now["vocabularies_crc32"])
      diffs.push_back("the vocabularies built from the data differ from the run's (ids would be remapped)");
  } catch (const nlohmann::json::exception& e) {
    fail("dien train", "--resume: ", run_file, ": malformed \"data_fingerprint\": ", e.what());
  }
  if (diffs.empty()) return;
  std::string list;
  for (const auto& d : diffs) list += (list.empty() ? "" : "; ") + d;
  fail("dien train", "--resume: the training data differ from the run's (recorded in ", run_file, "): ", list,
       ". Its weights and vocabularies belong to that data; give the run's data files, or add --resume-any-data "
       "to continue on these anyway");
}

}  // namespace dien::cli
