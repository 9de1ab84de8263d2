// SPDX-License-Identifier: MIT
#include "data/text_io.h"

#include <fstream>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/json_limits.h"

namespace dien::data {

std::string describe(const Place& p) {
  // append() rather than "lit" + string: GCC 12 warns falsely (-Wrestrict) on the latter.
  std::string s = p.file;
  s.append(":").append(std::to_string(p.line));
  if (p.column > 0) s.append(":").append(std::to_string(p.column));
  if (!p.name.empty()) s.append(" (column '").append(p.name).append("')");
  return s;
}

LineReader::LineReader(std::string path, std::string op) : path_(std::move(path)), op_(std::move(op)) {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) fail(op_.c_str(), "cannot open '", path_, "': is a directory");
  in_.open(path_, std::ios::binary);
  if (!in_) fail(op_.c_str(), "cannot open '", path_, "': no such file or not readable");
}

bool LineReader::next(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_no_;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

void LineReader::require_nonempty() const {
  if (line_no_ == 0) fail(op_.c_str(), "'", path_, "': file is empty");
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

void check_columns(const std::vector<std::string_view>& fields, size_t expected, const char* op, const Place& at) {
  if (fields.size() != expected)
    fail(op, describe(at), ": malformed line: expected ", expected, " columns, got ", fields.size());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int64_t parse_int(std::string_view s, const char* op, const Place& at) {
  std::string_view t = trim(s);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    fail(op, describe(at), ": expected an integer, got '", std::string(s), "'");
  return v;
}

double parse_float(std::string_view s, const char* op, const Place& at) {
  std::string t(trim(s));
  char* end = nullptr;
  double v = t.empty() ? 0.0 : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
    fail(op, describe(at), ": expected a finite number, got '", std::string(s), "'");
  return v;
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& body) {
  const std::string tmp = path + ".tmp";
  try {
    {
      std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
      if (!os) fail("write", "cannot create '", tmp, "'");
      body(os);
      os.flush();
      if (!os) fail("write", "error writing '", tmp, "'");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) fail("write", "cannot rename '", tmp, "' to '", path, "': ", ec.message());
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

nlohmann::json read_json_file(const std::string& path, const char* op) { return read_json_file_limited(path, op); }

}  // namespace dien::data
