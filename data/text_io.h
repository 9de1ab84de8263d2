// SPDX-License-Identifier: MIT
// Text input/output helpers shared by the readers and writers of data/: a line reader that
// counts lines, refuses missing or empty files and tells a read error from the end of the file,
// field splitting, places (file, line, column (1-based), the column's name) for error messages,
// and an atomic file writer (core/file_write.h: nothing already written is lost on failure).
// Parsing one value: data/parse_values.h.
//
//   dien::data::LineReader in("train.txt", "read_amazon");      // throws if missing
//   std::string line;
//   while (in.next(line)) {
//     auto f = dien::data::split(line, '\t');
//     dien::data::Place at{in.path(), in.line_no(), 3, "item"};
//     int64_t v = dien::data::parse_int(f[2], "read_amazon", at);  // data/parse_values.h
//   }
//   in.require_nonempty();                                       // "... file is empty"
//   dien::data::write_atomically("out.txt", [&](std::ostream& os) { os << "..."; });
#pragma once
#include <nlohmann/json.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace dien::data {

// A place in a text file. column 0 means "the whole line"; name may be empty.
struct Place {
  std::string file;
  int64_t line = 0;
  int64_t column = 0;
  std::string name;
};
// "file:12:3 (column 'item')", "file:12" when column is 0.
std::string describe(const Place& p);

// The longest line a reader accepts. A line is held in memory whole, so a file without line
// breaks (or a corrupt one) fails with a clear message instead of exhausting memory.
constexpr size_t kMaxLineBytes = size_t{64} << 20;

class LineReader {
 public:
  // Reads up to n bytes into buf: the count, 0 at the end of the input, or -1 with errno set.
  using ReadFn = std::function<std::ptrdiff_t(char* buf, size_t n)>;

  // Throws dien::Error("<op>: cannot open '<path>'") when the file cannot be read.
  LineReader(std::string path, std::string op, size_t max_line_bytes = kMaxLineBytes);
  // Lines of any byte source; `name` stands for the file in messages.
  LineReader(std::string name, std::string op, ReadFn read, size_t max_line_bytes = kMaxLineBytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its '\n' (and a trailing '\r'); false at the end of the file. A read
  // error, a line longer than max_line_bytes or no memory for the line throw dien::Error naming
  // the file and the line: a file is never taken to end early.
  bool next(std::string& line);
  int64_t line_no() const { return line_no_; }
  const std::string& path() const { return path_; }
  // Throws dien::Error("<op>: '<path>': file is empty") when no line was read.
  void require_nonempty() const;

 private:
  bool fill();  // reads more input into buf_; false at the end
  std::string path_, op_;
  ReadFn read_;
  int fd_ = -1;
  size_t max_line_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  int64_t bytes_ = 0;  // consumed so far, for messages
  bool eof_ = false;
  int64_t line_no_ = 0;
};

// Splits on one separator byte; an empty string gives one empty field.
std::vector<std::string_view> split(std::string_view s, char sep);
// Throws dien::Error naming the place unless fields.size() == expected
// ("<op>: f:3: expected 6 columns, got 5").
void check_columns(const std::vector<std::string_view>& fields, size_t expected, const char* op, const Place& at);

// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);

// Parses the JSON file `path`; errors name `op`, the file and the problem.
nlohmann::json read_json_file(const std::string& path, const char* op);

// Writes through `body` with dien::write_file (core/file_write.h): a regular file atomically (temp
// file + rename; on any error the previous file is untouched), a device or FIFO in place, never
// replacing it; every write error throws.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& body);

}  // namespace dien::data
