// SPDX-License-Identifier: MIT
// Text input/output helpers shared by the readers and writers of data/: a line reader that
// counts lines and refuses missing or empty files, field splitting, number parsing whose errors
// name file, line, column (1-based), the column's name and the offending value, and an atomic
// file writer (core/file_write.h: nothing already written is lost on failure).
//
//   dien::data::LineReader in("train.txt", "read_amazon");      // throws if missing
//   std::string line;
//   while (in.next(line)) {
//     auto f = dien::data::split(line, '\t');
//     dien::data::Place at{in.path(), in.line_no(), 3, "item"};
//     int64_t v = dien::data::parse_int(f[2], "read_amazon", at);
//   }
//   in.require_nonempty();                                       // "... file is empty"
//   dien::data::write_atomically("out.txt", [&](std::ostream& os) { os << "..."; });
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <fstream>
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

class LineReader {
 public:
  // Throws dien::Error("<op>: cannot open '<path>'") when the file cannot be read.
  LineReader(std::string path, std::string op);
  // Next line without its '\n' (and a trailing '\r'); false at the end of the file.
  bool next(std::string& line);
  int64_t line_no() const { return line_no_; }
  const std::string& path() const { return path_; }
  // Throws dien::Error("<op>: '<path>': file is empty") when no line was read.
  void require_nonempty() const;

 private:
  std::string path_, op_;
  std::ifstream in_;
  int64_t line_no_ = 0;
};

// Splits on one separator byte; an empty string gives one empty field.
std::vector<std::string_view> split(std::string_view s, char sep);
// Throws dien::Error naming the place unless fields.size() == expected
// ("<op>: f:3: expected 6 columns, got 5").
void check_columns(const std::vector<std::string_view>& fields, size_t expected, const char* op, const Place& at);

// Whole-field integer / float (leading/trailing spaces allowed); errors name the place and value.
int64_t parse_int(std::string_view s, const char* op, const Place& at);
double parse_float(std::string_view s, const char* op, const Place& at);
std::string_view trim(std::string_view s);

// Parses the JSON file `path`; errors name `op`, the file and the problem.
nlohmann::json read_json_file(const std::string& path, const char* op);

// Writes through `body` with dien::write_file (core/file_write.h): a regular file atomically (temp
// file + rename; on any error the previous file is untouched), a device or FIFO in place, never
// replacing it; every write error throws.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& body);

}  // namespace dien::data
