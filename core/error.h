// SPDX-License-Identifier: MIT
// The one exception type of dien. Messages name the op and the shapes, dtypes and
// devices involved, e.g.
//   "matmul: inner dimensions differ: a [2, 3] f32 cpu, b [4, 5] f32 cpu"
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace dien {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

namespace detail {
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

// Throws dien::Error("<op>: <message pieces>").
template <class... Args>
[[noreturn]] void fail(const char* op, const Args&... args) {
  throw Error(detail::cat(op, ": ", args...));
}

}  // namespace dien

// DIEN_CHECK(cond, "op", pieces...): throws dien::Error("op: pieces...") when cond is false.
#define DIEN_CHECK(cond, op, ...)                 \
  do {                                            \
    if (!(cond)) ::dien::fail(op, __VA_ARGS__);   \
  } while (0)
