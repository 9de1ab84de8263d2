// SPDX-License-Identifier: MIT
#include "core/file_write.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <vector>

#include "core/error.h"

namespace dien {

namespace {

namespace fs = std::filesystem;

// An ostream buffer over a file descriptor that remembers the first write error (errno), so
// the caller can name it; the stream then goes bad and the body's further writes are dropped.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd), buf_(1 << 16) { setp(buf_.data(), buf_.data() + buf_.size()); }
  int error() const { return error_; }
  bool drain() { return flush_buffer(); }

 protected:
  int_type overflow(int_type c) override {
    if (!flush_buffer()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return flush_buffer() ? 0 : -1; }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n >= static_cast<std::streamsize>(buf_.size())) {  // large blocks (tensor data) bypass the buffer
      if (!flush_buffer() || !write_all(s, static_cast<size_t>(n))) return 0;
      return n;
    }
    return std::streambuf::xsputn(s, n);
  }

 private:
  bool write_all(const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (!error_) error_ = errno;
        return false;
      }
      if (w == 0) {  // a device that takes nothing: report it as full
        if (!error_) error_ = ENOSPC;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }
  bool flush_buffer() {
    if (error_) return false;
    const size_t n = static_cast<size_t>(pptr() - pbase());
    const bool ok = write_all(pbase(), n);
    setp(buf_.data(), buf_.data() + buf_.size());
    return ok;
  }

  int fd_;
  std::vector<char> buf_;
  int error_ = 0;
};

[[noreturn]] void write_fail(const char* op, const std::string& path, int err) {
  fail(op, "cannot write '", path, "': ", std::strerror(err));
}

// Runs body into fd; returns 0 or the first errno (the body's own exceptions propagate).
int write_body(int fd, const std::function<void(std::ostream&)>& body) {
  FdBuf buf(fd);
  std::ostream os(&buf);
  body(os);
  const bool drained = buf.drain();
  if (buf.error()) return buf.error();
  if (!drained || !os) return EIO;
  return 0;
}

// fsync that accepts what devices and pipes answer (they have nothing to sync).
int sync_fd(int fd) {
  if (::fsync(fd) == 0 || errno == EINVAL || errno == EROFS || errno == ENOTSUP) return 0;
  return errno;
}

void sync_folder(const std::string& folder, const char* op, const std::string& path) {
  const int d = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return;  // a folder we may write into but not open for reading: nothing to sync
  const int e = sync_fd(d);
  ::close(d);
  if (e) fail(op, "cannot write '", path, "': fsync of its folder ", folder, " failed: ", std::strerror(e));
}

void write_in_place(const std::string& path, const std::function<void(std::ostream&)>& body, const char* op) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) write_fail(op, path, errno);
  int e = 0;
  try {
    e = write_body(fd, body);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (!e) e = sync_fd(fd);
  if (::close(fd) != 0 && !e) e = errno;
  if (e) write_fail(op, path, e);
}

void write_replacing(const std::string& path, const std::function<void(std::ostream&)>& body, const char* op,
                     mode_t mode) {
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) fail(op, "cannot write '", path, "': cannot create ", tmp, ": ", std::strerror(errno));
  int e = 0;
  try {
    e = write_body(fd, body);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (!e) e = sync_fd(fd);
  if (::close(fd) != 0 && !e) e = errno;
  if (!e && ::rename(tmp.c_str(), path.c_str()) != 0) e = errno;
  if (e) {
    ::unlink(tmp.c_str());
    write_fail(op, path, e);
  }
  const fs::path parent = fs::path(path).parent_path();
  sync_folder(parent.empty() ? "." : parent.string(), op, path);
}

// The descriptor a path names: /dev/stdout 1, /dev/stderr 2, /dev/fd/N and /proc/self/fd/N N;
// -1 otherwise. Opening such a path would open the file anew (at offset 0, without O_APPEND),
// so its descriptor is written instead: `dien predict --out /dev/stdout >> log` appends.
int descriptor_of(const std::string& path) {
  if (path == "/dev/stdout") return STDOUT_FILENO;
  if (path == "/dev/stderr") return STDERR_FILENO;
  for (const std::string prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string n = path.substr(prefix.size());
    if (n.empty() || n.size() > 9 || n.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::stoi(n);
  }
  return -1;
}

void write_descriptor(int fd, const std::string& name, const std::function<void(std::ostream&)>& body,
                      const char* op) {
  if (fd == STDOUT_FILENO) std::fflush(stdout);  // what printf buffered goes first
  int e = ::fcntl(fd, F_GETFD) < 0 ? errno : 0;
  if (!e) e = write_body(fd, body);
  if (!e) e = sync_fd(fd);
  if (e) write_fail(op, name, e);
}

}  // namespace

void remove_stale_temp_files(const std::string& path) {
  const fs::path p(path);
  const std::string prefix = p.filename().string() + ".tmp.";
  const fs::path parent = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  DIR* d = ::opendir(parent.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (const dirent* ent = ::readdir(d)) {
    const std::string name = ent->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    // "<pid>.<n>" and nothing else: other files that merely start alike are not ours
    const std::string rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size()) continue;
    if (rest.find_first_not_of("0123456789", 0) != dot ||
        rest.find_first_not_of("0123456789", dot + 1) != std::string::npos)
      continue;
    if (dot > 9) continue;  // not a pid
    const long pid = std::stol(rest.substr(0, dot));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    stale.push_back((parent / name).string());
  }
  ::closedir(d);
  for (const auto& s : stale) {
    struct stat st{};
    // Only regular files: checkpoint temporary folders are cleaned by the checkpoint writer.
    if (::lstat(s.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(s.c_str());
  }
}

void write_file(const std::string& path, const std::function<void(std::ostream&)>& body, const char* op) {
  if (path.empty()) fail(op, "cannot write: empty output path");
  std::string target = path;
  struct stat st{};
  const int fd = descriptor_of(path);
  if (fd >= 0) return write_descriptor(fd, path, body, op);
  const bool is_link = ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  if (is_link && (path.rfind("/dev/", 0) == 0 || path.rfind("/proc/", 0) == 0)) {
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fail(op, "cannot write '", path, "': it is a directory");
    return write_in_place(path, body, op);
  }
  if (is_link) {
    // Follow the link (every hop) so the link itself survives and its target gets the data.
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(fs::absolute(path), ec);
    if (ec) fail(op, "cannot write '", path, "': cannot resolve the symlink: ", ec.message());
    target = resolved.string();
  }
  if (::stat(target.c_str(), &st) != 0) {
    if (errno != ENOENT) write_fail(op, path, errno);
    remove_stale_temp_files(target);
    write_replacing(target, body, op, 0666);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    remove_stale_temp_files(target);
    write_replacing(target, body, op, st.st_mode & 07777);
    return;
  }
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) return write_in_place(target, body, op);
  if (S_ISDIR(st.st_mode)) fail(op, "cannot write '", path, "': it is a directory");
  fail(op, "cannot write '", path, "': not a regular file, character device or FIFO");
}

void write_stdout(const std::function<void(std::ostream&)>& body, const char* op) {
  write_descriptor(STDOUT_FILENO, "standard output", body, op);
}

void write_file(const std::string& path, const std::string& text, const char* op) {
  write_file(path, [&](std::ostream& os) { os.write(text.data(), static_cast<std::streamsize>(text.size())); }, op);
}

}  // namespace dien
