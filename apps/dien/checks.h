// SPDX-License-Identifier: MIT
// Validators of the `dien` command's numeric flags, with messages in the user's terms:
//   --epochs 0        -> "--epochs: must be a whole number >= 1, got '0'"
//   --test-fraction 2 -> "--test-fraction: must lie in [0, 0.9], got '2'"
// (CLI11's PositiveNumber / Range print the type's whole range, e.g. a 309-digit bound.)
#pragma once
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "core/checked.h"

namespace dien::cli {

// Largest --batch-size: a batch of more rows cannot be meaningful, and products such as
// batch * maxlen * embedding dim stay far from overflow below it.
constexpr long long kMaxBatch = 1LL << 24;

namespace check_detail {
inline std::string number_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
inline bool parse_whole(const std::string& s, long long& v) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  v = std::strtoll(s.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0';
}
inline bool parse_real(const std::string& s, double& v) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return errno == 0 && end && *end == '\0' && v == v;
}
}  // namespace check_detail

// A whole number >= lo.
inline CLI::Validator at_least(long long lo) {
  return CLI::Validator(
      [lo](std::string& s) -> std::string {
        long long v = 0;
        if (!check_detail::parse_whole(s, v)) return "must be a whole number, got '" + s + "'";
        if (v < lo) return "must be a whole number >= " + std::to_string(lo) + ", got '" + s + "'";
        return {};
      },
      ">=" + std::to_string(lo));
}

// A whole number in [lo, hi] (sizes: widths, lengths, batch sizes; core/checked.h has the limits).
inline CLI::Validator whole_in(long long lo, long long hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        long long v = 0;
        if (!check_detail::parse_whole(s, v) || v < lo || v > hi)
          return "must be a whole number in " + range + ", got '" + s + "'";
        return {};
      },
      "in " + range);
}

// A real number in [lo, hi].
inline CLI::Validator in_range(double lo, double hi) {
  const std::string range = "[" + check_detail::number_text(lo) + ", " + check_detail::number_text(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        double v = 0;
        if (!check_detail::parse_real(s, v) || v < lo || v > hi) return "must lie in " + range + ", got '" + s + "'";
        return {};
      },
      "in " + range);
}

// A real number > 0.
inline CLI::Validator positive_real() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        double v = 0;
        if (!check_detail::parse_real(s, v) || !(v > 0)) return "must be a number > 0, got '" + s + "'";
        return {};
      },
      ">0");
}

}  // namespace dien::cli
