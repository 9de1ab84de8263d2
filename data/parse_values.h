// SPDX-License-Identifier: MIT
// Strict parsing of one field of a data file. Every reader goes through these, so a bad value
// fails at load time with its place (file, line, column, column name) and the value, never later
// (after an epoch, in a checkpoint's JSON, as a NaN prediction).
//
//   dien::data::Place at{"ms.txt", 3, 4, "movie_id"};
//   int64_t id = dien::data::parse_int("42", "read_movie_sample", at);   // "+42", "042", " 42": errors
//   float x = dien::data::parse_float32("2.5", "read_csv", at);          // "1e39": error (not a finite float)
//   float y = dien::data::parse_label("1", true, "read_csv", at);        // binary: 0 or 1 only
//   dien::data::check_utf8(value, "read_amazon", at);                    // string ids: valid UTF-8
//
// Integers are refused unless canonical (an optional '-', then "0" or digits without a leading
// zero; no '+', no spaces), because readers that keep ids as text would otherwise give "01" and
// "1" different ids.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "data/text_io.h"

namespace dien::data {

// The value of s when it is a canonical decimal int64, else nullopt.
std::optional<int64_t> canonical_int(std::string_view s);

// A canonical integer; errors say whether s is no integer, out of range, or not canonical
// (and what the canonical spelling is).
int64_t parse_int(std::string_view s, const char* op, const Place& at);
// A finite number (spaces around it allowed).
double parse_float(std::string_view s, const char* op, const Place& at);
// A number that is finite as a 32-bit float (1e39 is finite as a double, inf as a float).
float parse_float32(std::string_view s, const char* op, const Place& at);
// A label: 0 or 1 when binary, else any finite float.
float parse_label(std::string_view s, bool binary, const char* op, const Place& at);

// The byte offset of the first byte of s that is not part of valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or nullopt.
std::optional<size_t> invalid_utf8_at(std::string_view s);
// Throws dien::Error naming the place, the offending byte and its offset.
void check_utf8(std::string_view s, const char* op, const Place& at);
// s with bytes outside printable ASCII written as \xNN (for messages about raw bytes).
std::string escape_bytes(std::string_view s);

}  // namespace dien::data
