// SPDX-License-Identifier: MIT
// Output files are never replaced when they are not regular files, and every write error is an
// error (core/file_write.h), through each writer: the text writer of data/, the safetensors
// writer, and the history writers of a training run.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "core/serialize.h"
#include "core/tensor.h"
#include "data/text_io.h"
#include "data_files.h"
#include "models/train_state.h"

namespace {

namespace fs = std::filesystem;
using dien::data::write_atomically;
using dien::test::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t kind_of(const std::string& path) {
  struct stat st{};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & S_IFMT;
}

// A device that answers every write with ENOSPC: /dev/full itself, or (as root) a node of the
// same device in the test's folder, so a writer that replaced it would not touch the system's.
std::string full_device(const TempDir& dir) {
  if (::geteuid() == 0) {
    const std::string p = dir.file("full");
    if (::mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0) return p;
  }
  return "/dev/full";
}

int temp_files_next_to(const TempDir& dir, const std::string& name) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir.file("")))
    if (e.path().filename().string().rfind(name + ".tmp", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("writers: a full device fails with ENOSPC and stays a character device", "[hardening][writers]") {
  TempDir dir;
  const std::string full = full_device(dir);
  try {
    write_atomically(full, [](std::ostream& os) { os << std::string(200000, 'x'); });
    FAIL("writing to a full device succeeded");
  } catch (const dien::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains(full) && Catch::Contains("No space left on device"));
  }
  CHECK(kind_of(full) == S_IFCHR);
  std::map<std::string, dien::Tensor> tensors{{"w", dien::zeros({4, 4})}};
  CHECK_THROWS_WITH(dien::save_safetensors(full, tensors), Catch::Contains("No space left on device"));
  CHECK(kind_of(full) == S_IFCHR);
  CHECK_THROWS_WITH(dien::write_history_csv(full, {dien::EpochRecord{}}), Catch::Contains("No space left on device"));
  CHECK(kind_of(full) == S_IFCHR);
}

TEST_CASE("writers: a FIFO is written in place, not replaced", "[hardening][writers]") {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const int rd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // a reader, so the writer's open does not wait
  REQUIRE(rd >= 0);
  write_atomically(fifo, [](std::ostream& os) { os << "1\t0.5\n"; });
  char buf[64] = {};
  const ssize_t n = ::read(rd, buf, sizeof buf);
  ::close(rd);
  CHECK(kind_of(fifo) == S_IFIFO);
  CHECK(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0) == "1\t0.5\n");
}

TEST_CASE("writers: a symlink is followed, its target written atomically, the link kept", "[hardening][writers]") {
  TempDir dir;
  const std::string target = dir.write("real.txt", "old\n");
  const std::string link = dir.file("link.txt");
  fs::create_symlink(target, link);
  write_atomically(link, [](std::ostream& os) { os << "new\n"; });
  CHECK(kind_of(link) == S_IFLNK);
  CHECK(slurp(target) == "new\n");
  dien::write_file_atomic(link, "newer\n", "test");
  CHECK(kind_of(link) == S_IFLNK);
  CHECK(slurp(target) == "newer\n");
  CHECK(temp_files_next_to(dir, "link.txt") == 0);
  CHECK(temp_files_next_to(dir, "real.txt") == 0);
}

TEST_CASE("writers: a failed write keeps the previous file and leaves no temporary file", "[hardening][writers]") {
  TempDir dir;
  const std::string out = dir.write("out.txt", "previous\n");
  CHECK_THROWS_WITH(write_atomically(out,
                                     [](std::ostream& os) {
                                       os << std::string(100000, 'y');
                                       dien::fail("body", "stopped half way");
                                     }),
                    Catch::Contains("stopped half way"));
  CHECK(slurp(out) == "previous\n");
  CHECK(temp_files_next_to(dir, "out.txt") == 0);
}

TEST_CASE("writers: a directory is never a target", "[hardening][writers]") {
  TempDir dir;
  const std::string sub = dir.file("sub");
  fs::create_directory(sub);
  CHECK_THROWS_WITH(write_atomically(sub, [](std::ostream& os) { os << "x\n"; }), Catch::Contains(sub));
  CHECK_THROWS_WITH(dien::write_file_atomic(sub, "x\n", "test"), Catch::Contains(sub));
  CHECK(fs::is_directory(sub));
  CHECK(temp_files_next_to(dir, "sub") == 0);
}

TEST_CASE("writers: temporary files of dead writers are removed, live ones kept", "[hardening][writers]") {
  TempDir dir;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);  // reaped: its pid names no process now
  const std::string out = dir.file("history.csv");
  const std::string dead = out + ".tmp." + std::to_string(child) + ".3";
  const std::string live = out + ".tmp." + std::to_string(::getppid()) + ".0";
  const std::string other = out + ".tmp.notes";
  for (const auto& p : {dead, live, other}) std::ofstream(p) << "partial";
  dien::write_history_csv(out, {dien::EpochRecord{}});
  CHECK_FALSE(fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other));
}

TEST_CASE("writers: /dev/stdout of a process whose stdout is a file appends to it, not replaces it",
          "[hardening][writers]") {
  TempDir dir;
  const std::string out = dir.write("log.txt", "kept\n");
  std::fflush(stdout);  // the child must not inherit the test runner's buffered output
  const pid_t child = ::fork();
  if (child == 0) {  // stdout opened for appending, as `>> log.txt` does
    const int fd = ::open(out.c_str(), O_WRONLY | O_APPEND);
    if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0) ::_exit(2);
    try {
      write_atomically("/dev/stdout", [](std::ostream& os) { os << "added\n"; });
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  REQUIRE(child > 0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(slurp(out) == "kept\nadded\n");
}
