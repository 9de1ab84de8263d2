// SPDX-License-Identifier: MIT
// Parsing untrusted JSON (checkpoint headers and configs, trainer.json, vocabularies, specs,
// attribute files, serving requests) with limits, and rendering JSON into error messages
// without serialising a whole document.
//
// nlohmann's parser is iterative, but dump(), copies and comparisons recurse once per nesting
// level: a document of a million '[' overflows the stack in any of them. Documents are therefore
// refused at parse time when they nest deeper than kMaxJsonDepth, and messages show at most
// a bounded excerpt of a value (json_excerpt).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dien {

// Deepest nesting of arrays and objects accepted. dien's own documents nest a few levels.
constexpr int kMaxJsonDepth = 64;
// Largest document accepted. The largest dien writes is a checkpoint's config.json, whose
// vocabularies grow with the data; a document above this is not one of them.
constexpr uint64_t kMaxJsonBytes = uint64_t{1} << 30;

// Parses `text`; throws dien::Error("<op>: <what>: ...") when it is not valid JSON, nests
// deeper than kMaxJsonDepth or is larger than `max_bytes`. `what` names the document (a path,
// "--spec FILE", "request").
nlohmann::json parse_json_limited(const std::string& text, const std::string& what, const char* op,
                                  uint64_t max_bytes = kMaxJsonBytes);

// Reads and parses the file at `path` under the same limits; errors name the path.
nlohmann::json read_json_file_limited(const std::string& path, const char* op, uint64_t max_bytes = kMaxJsonBytes);

// At most `max_chars` characters of `v` (then "..."), nested values below `max_depth` shown as
// [...] or {...}: safe in error messages whatever the value holds.
std::string json_excerpt(const nlohmann::json& v, size_t max_chars = 120, int max_depth = 4);

// The whole number `v`, refused (dien::Error "<op>: <what> ...") when it is not an integer
// (2.0 and "2" included) or lies outside [lo, hi]. nlohmann's get<int>() wraps instead.
int64_t json_integer(const nlohmann::json& v, int64_t lo, int64_t hi, const char* op, const std::string& what);
// The same for the member `key` of `obj`, which must exist; `where` names the document.
int64_t json_integer_at(const nlohmann::json& obj, const char* key, int64_t lo, int64_t hi, const char* op,
                        const std::string& where);

}  // namespace dien
