// SPDX-License-Identifier: MIT
// Shared by the libFuzzer harnesses of tests/fuzz (docs/reliability.md): the input bytes become
// a file, because every reader under test takes a path, and only dien::Error may come out.
// Any other exception, a crash, a sanitizer report, a hang (-timeout) or an allocation above
// -malloc_limit_mb is a finding.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace dien::fuzz {

// A directory private to this process (under $TMPDIR, /dev/shm when it exists), removed at exit.
inline const std::string& scratch_dir() {
  // Never destroyed: the atexit handler below runs after static destructors would have.
  static const std::string* dir = [] {
    const char* env = std::getenv("TMPDIR");
    std::string base = env && *env ? env : (std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
    auto* d = new std::string(base + "/dien-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(*d);
    std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
    return d;
  }();
  return *dir;
}

// Writes `data` to scratch_dir()/name and returns the path.
inline std::string write_input(const std::string& name, const uint8_t* data, size_t size) {
  std::string path = scratch_dir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Runs `body`; a dien::Error is the expected answer to bad input, anything else escapes.
template <class F>
int expect_clean(F&& body) {
  try {
    body();
  } catch (const dien::Error&) {
  }
  return 0;
}

}  // namespace dien::fuzz
