// SPDX-License-Identifier: MIT
// The pieces behind the readers' load-time checks (issue 12, readers): a line reader over any
// byte source that fails mid-way, the line-length limit, the value parsers of
// data/parse_values.h, and the CSV label rule of a regression task.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/csv_reader.h"
#include "data/parse_values.h"
#include "data/text_io.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
// 81 lines "row 1" .. "row 81".
std::string rows81() {
  std::string s;
  for (int i = 1; i <= 81; ++i) s += "row " + std::to_string(i) + "\n";
  return s;
}
}  // namespace

TEST_CASE("hardening readers api: a source that fails mid-way fails the reader at that line", "[hardening][readers]") {
  const std::string text = rows81();
  const size_t fail_at = text.find("row 41") + 3;  // inside line 41
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    size_t off = 0;
    LineReader in("t.txt", "read_test", [&](char* buf, size_t n) -> std::ptrdiff_t {
      if (off >= fail_at) {
        errno = EIO;
        return -1;
      }
      const size_t k = std::min({n, chunk, fail_at - off});
      std::memcpy(buf, text.data() + off, k);
      off += k;
      return static_cast<std::ptrdiff_t>(k);
    });
    std::string line;
    int64_t rows = 0;
    std::string message;
    try {
      while (in.next(line)) ++rows;
    } catch (const dien::Error& e) {
      message = e.what();
    }
    INFO("chunk " << chunk << ": " << message);
    REQUIRE(rows == 40);
    REQUIRE(message.find("read_test: 't.txt': read error in line 41") != std::string::npos);
    REQUIRE(message.find(std::strerror(EIO)) != std::string::npos);
  }
  // The same source without the failure: 81 lines, the last one without '\n' too.
  const std::string last = "a\r\nb\nc";
  size_t off = 0;
  LineReader in("t.txt", "read_test", [&](char* buf, size_t n) -> std::ptrdiff_t {
    const size_t k = std::min(n, last.size() - off);
    std::memcpy(buf, last.data() + off, k);
    off += k;
    return static_cast<std::ptrdiff_t>(k);
  });
  std::vector<std::string> lines;
  for (std::string l; in.next(l);) lines.push_back(l);
  REQUIRE(lines == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(in.line_no() == 3);
}

TEST_CASE("hardening readers api: a line above the limit is an error naming it", "[hardening][readers]") {
  dien::test::TempDir dir;
  std::string text = rows81();
  const size_t at = text.find("row 41");
  text.insert(at, std::string(2000, 'x'));
  const std::string f = dir.write("long.txt", text);
  LineReader in(f, "read_test", 1000);
  std::string line;
  int64_t rows = 0;
  require_error([&] {
    while (in.next(line)) ++rows;
  }, {"read_test", "long.txt", "line 41 is longer than 1000 bytes"});
  REQUIRE(rows == 40);
  REQUIRE(kMaxLineBytes == size_t{64} << 20);
}

TEST_CASE("hardening readers api: canonical integers", "[hardening][readers]") {
  for (auto [s, v] : {std::pair{"0", 0L}, {"7", 7L}, {"-7", -7L}, {"10", 10L}, {"9223372036854775807", INT64_MAX},
                      {"-9223372036854775808", INT64_MIN}}) {
    INFO(s);
    REQUIRE(canonical_int(s) == std::optional<int64_t>(v));
  }
  for (const char* s : {"", "-", "+1", "01", "00", "-0", "-01", " 4", "4 ", "1e3", "0x10", "9223372036854775808", "1.0"}) {
    INFO(s);
    REQUIRE_FALSE(canonical_int(s));
  }
  const Place p{"f.txt", 3, 2, "item"};
  require_error([&] { parse_int("x1", "op", p); }, {"op: f.txt:3:2 (column 'item'): expected an integer, got 'x1'"});
  require_error([&] { parse_int("007", "op", p); }, {"not written canonically (expected '7'"});
  require_error([&] { parse_int("-00", "op", p); }, {"expected '0'"});
  require_error([&] { parse_int("-9223372036854775809", "op", p); }, {"outside the 64-bit range"});
}

TEST_CASE("hardening readers api: UTF-8 validation and escaped bytes", "[hardening][readers]") {
  for (const char* ok : {"", "abc", "caf\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"}) {
    INFO(escape_bytes(ok));
    REQUIRE_FALSE(invalid_utf8_at(ok));
  }
  const std::vector<std::pair<std::string, size_t>> bad = {
      {"\xff", 0},         {"a\x80", 1},        {"ab\xc3", 2},          {"\xc0\xaf", 0},  // overlong '/'
      {"\xe0\x80\xaf", 0}, {"\xed\xa0\x80", 0}, {"\xf4\x90\x80\x80", 0},  // surrogate, > U+10FFFF
      {"x\xf0\x9f\x98", 1}, {"\xc3(", 0}};
  for (const auto& [s, at] : bad) {
    INFO(escape_bytes(s));
    REQUIRE(invalid_utf8_at(s) == std::optional<size_t>(at));
  }
  REQUIRE(escape_bytes("a\xff\tb") == "a\\xFF\\x09b");
  REQUIRE(escape_bytes("caf\xc3\xa9") == "caf\xc3\xa9");
  require_error([] { check_utf8("ab\xfe", "op", Place{"f", 1, 3, "user"}); },
                {"op: f:1:3 (column 'user'): value 'ab\\xFE' is not valid UTF-8 (byte 0xFE at offset 2)"});
}

TEST_CASE("hardening readers api: floats finite after conversion; labels", "[hardening][readers]") {
  const Place p{"f", 2, 4, "price"};
  REQUIRE(parse_float32(" 2.5 ", "op", p) == 2.5f);
  REQUIRE(parse_float(" 1e39", "op", p) == 1e39);  // a double: fine (prepare's timestamps)
  require_error([&] { parse_float32("1e39", "op", p); }, {"f:2:4 (column 'price')", "not finite as a 32-bit float"});
  require_error([&] { parse_float32("nan", "op", p); }, {"expected a finite number, got 'nan'"});
  REQUIRE(parse_label("1", true, "op", p) == 1.0f);
  REQUIRE(parse_label("0.0", true, "op", p) == 0.0f);
  REQUIRE(parse_label("2.5", false, "op", p) == 2.5f);
  require_error([&] { parse_label("2", true, "op", p); }, {"label must be 0 or 1, got '2'"});
  require_error([&] { parse_label("-1e39", false, "op", p); }, {"not finite as a 32-bit float"});
}

TEST_CASE("hardening readers api: CSV labels of a regression task; truncate false", "[hardening][readers]") {
  dien::test::TempDir dir;
  const char* kSpec = R"({"columns": [{"name": "label", "role": "label"}, {"name": "u", "role": "sparse"},
    {"name": "h", "role": "varlen", "maxlen": 2, "embedding_name": "u"}]})";
  CsvSpec spec = CsvSpec::from_json(nlohmann::json::parse(kSpec));
  const std::string f = dir.write("r.csv", "label,u,h\n2.5,a,a|b\n-1,b,\n");
  CsvVocabularies v = build_csv_vocabularies(f, spec);
  require_error([&] { load_csv(f, spec, v); }, {"r.csv:2:1 (column 'label')", "label must be 0 or 1"});
  spec.binary_labels = false;
  REQUIRE(load_csv(f, spec, v).dataset.labels == std::vector<float>{2.5f, -1.0f});
  const std::string g = dir.write("g.csv", "label,u,h\n1e39,a,a\n");
  require_error([&] { load_csv(g, spec, v); }, {"g.csv:2:1 (column 'label')", "not finite as a 32-bit float"});
  // "truncate": false keeps an over-long history an error
  auto j = nlohmann::json::parse(kSpec);
  j["columns"][2]["truncate"] = false;
  const CsvSpec strict = CsvSpec::from_json(j);
  const std::string h = dir.write("h.csv", "label,u,h\n1,a,a|b|a\n");
  require_error([&] { build_csv_vocabularies(h, strict); }, {"h.csv:2:3 (column 'h')", "3 values, above maxlen 2", "truncate"});
}
