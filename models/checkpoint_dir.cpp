// SPDX-License-Identifier: MIT
#include "models/checkpoint_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace dien::checkpoint_dir {

namespace fs = std::filesystem;

namespace {

bool all_digits(const std::string& s, size_t from, size_t to) {
  if (from >= to || to - from > 18) return false;
  for (size_t i = from; i < to; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// Only what a save writes into its temporary directory: the checkpoint's files and their own
// temporaries (<file>.tmp.<pid>.<n>). A directory holding anything else is not removed.
bool holds_only_checkpoint_files(const fs::path& dir) {
  static const char* const kFiles[] = {"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json",
                                       "manifest.json"};
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) return false;
    const std::string n = it->path().filename().string();
    bool ok = false;
    for (const char* f : kFiles) {
      const std::string base(f);
      if (n == base || n.rfind(base + ".tmp.", 0) == 0) ok = true;
    }
    if (!ok) return false;
  }
  return !ec;
}

}  // namespace

void fsync_directory(const std::string& dir, const char* op) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(op, "cannot open ", dir, " to fsync it: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  // EINVAL: the filesystem does not sync directories (nothing more can be done there).
  if (rc != 0 && e != EINVAL) fail(op, "cannot fsync ", dir, ": ", std::strerror(e));
}

void swap_in(const std::string& tmp, const std::string& dir) {
  const std::string parent = fs::path(dir).parent_path().string();
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) fail("save_checkpoint", dir, " exists and is not a directory");
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
      fsync_directory(parent, "save_checkpoint");
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
    fsync_directory(parent, "save_checkpoint");
    fs::remove_all(old, ec);
    return;
  }
  if (std::rename(tmp.c_str(), dir.c_str()) != 0)
    fail("save_checkpoint", "cannot rename ", tmp, " to ", dir, ": ", std::strerror(errno));
  fsync_directory(parent, "save_checkpoint");
}

bool parse_temp_name(const std::string& name, long& pid) {
  std::string n = name;
  if (n.size() > 4 && n.compare(n.size() - 4, 4, ".old") == 0) n.resize(n.size() - 4);
  const size_t dot_n = n.rfind('.');
  if (dot_n == std::string::npos || !all_digits(n, dot_n + 1, n.size())) return false;
  const size_t dot_pid = n.rfind('.', dot_n - 1);
  if (dot_pid == std::string::npos || dot_pid == 0 || !all_digits(n, dot_pid + 1, dot_n)) return false;
  const size_t tag = dot_pid >= 4 ? dot_pid - 4 : std::string::npos;
  if (tag == std::string::npos || tag == 0 || n.compare(tag, 4, ".tmp") != 0) return false;
  const long long p = std::stoll(n.substr(dot_pid + 1, dot_n - dot_pid - 1));
  if (p <= 0 || p > INT_MAX) return false;
  pid = static_cast<long>(p);
  return true;
}

int remove_stale_temporaries(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    long pid = 0;
    if (!parse_temp_name(it->path().filename().string(), pid)) continue;
    std::error_code e2;
    if (it->is_symlink(e2) || !it->is_directory(e2)) continue;
    if (pid == static_cast<long>(::getpid())) continue;  // this process: maybe a save in another thread
    // Only ESRCH proves the process is gone (EPERM: it exists under another user).
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (!holds_only_checkpoint_files(it->path())) continue;
    if (fs::remove_all(it->path(), e2) != static_cast<std::uintmax_t>(-1) && !e2) ++removed;
  }
  return removed;
}

}  // namespace dien::checkpoint_dir
