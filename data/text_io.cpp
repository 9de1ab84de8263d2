// SPDX-License-Identifier: MIT
#include "data/text_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>

#include "core/error.h"
#include "core/file_write.h"
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

LineReader::LineReader(std::string path, std::string op, size_t max_line_bytes)
    : path_(std::move(path)), op_(std::move(op)), max_line_(max_line_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) fail(op_.c_str(), "cannot open '", path_, "': is a directory");
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail(op_.c_str(), "cannot open '", path_, "': no such file or not readable");
  read_ = [fd = fd_](char* buf, size_t n) -> std::ptrdiff_t {
    ssize_t r;
    do r = ::read(fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r;
  };
}

LineReader::LineReader(std::string name, std::string op, ReadFn read, size_t max_line_bytes)
    : path_(std::move(name)), op_(std::move(op)), read_(std::move(read)), max_line_(max_line_bytes) {}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (buf_.empty()) buf_.resize(size_t{1} << 16);
  const std::ptrdiff_t r = read_(buf_.data(), buf_.size());
  if (r < 0) {
    const int err = errno;
    fail(op_.c_str(), "'", path_, "': read error in line ", line_no_ + 1, " (after ", bytes_, " bytes): ",
         std::strerror(err), "; the file was not read to its end");
  }
  pos_ = 0;
  end_ = static_cast<size_t>(r);
  if (r == 0) eof_ = true;
  return r > 0;
}

bool LineReader::next(std::string& line) {
  line.clear();
  bool any = false;  // bytes of this line seen (a last line may lack its '\n')
  try {
    while (true) {
      if (pos_ == end_ && !fill()) {
        if (!any) return false;
        break;
      }
      any = true;
      const char* begin = buf_.data() + pos_;
      const void* nl = std::memchr(begin, '\n', end_ - pos_);
      const size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - begin) : end_ - pos_;
      if (line.size() + take > max_line_)
        fail(op_.c_str(), "'", path_, "': line ", line_no_ + 1, " is longer than ", max_line_,
             " bytes (the longest line a reader accepts; is this a text file with one sample per line?)");
      line.append(begin, take);
      pos_ += take + (nl ? 1 : 0);
      bytes_ += static_cast<int64_t>(take + (nl ? 1 : 0));
      if (nl) break;
    }
  } catch (const std::bad_alloc&) {
    fail(op_.c_str(), "'", path_, "': out of memory in line ", line_no_ + 1, " after ", line.size(),
         " bytes of it; the file was not read to its end");
  }
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

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& body) {
  write_file(path, body, "write");
}

nlohmann::json read_json_file(const std::string& path, const char* op) { return read_json_file_limited(path, op); }

}  // namespace dien::data
