// SPDX-License-Identifier: MIT
#include "core/json_limits.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace dien {

namespace {

using json = nlohmann::json;

// Thrown from the parser callback to stop at the first level too deep.
struct TooDeep {};

void excerpt(const json& v, int depth, int max_depth, size_t budget, std::string& out) {
  if (out.size() > budget) return;
  if (v.is_array() || v.is_object()) {
    const bool arr = v.is_array();
    if (v.empty()) {
      out += arr ? "[]" : "{}";
      return;
    }
    if (depth >= max_depth) {
      out += arr ? "[...]" : "{...}";
      return;
    }
    out += arr ? '[' : '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (out.size() > budget) return;
      if (!first) out += ", ";
      first = false;
      if (!arr) out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace) + ": ";
      excerpt(*it, depth + 1, max_depth, budget, out);
    }
    out += arr ? ']' : '}';
    return;
  }
  if (v.is_string() && v.get_ref<const std::string&>().size() > budget) {
    out += json(v.get_ref<const std::string&>().substr(0, budget)).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += v.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

json parse_json_limited(const std::string& text, const std::string& what, const char* op, uint64_t max_bytes) {
  if (text.size() > max_bytes)
    fail(op, what, ": JSON document of ", text.size(), " bytes is larger than the limit of ", max_bytes, " bytes");
  json::parser_callback_t cb = [](int depth, json::parse_event_t ev, json&) {
    // `depth` is the level the array or object opens at; 0 for the document itself.
    if ((ev == json::parse_event_t::object_start || ev == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth)
      throw TooDeep{};
    return true;
  };
  try {
    return json::parse(text, cb);
  } catch (const TooDeep&) {
    fail(op, what, ": JSON nests deeper than ", kMaxJsonDepth, " levels");
  } catch (const json::exception& e) {
    fail(op, what, ": not valid JSON: ", e.what());
  }
}

json read_json_file_limited(const std::string& path, const char* op, uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(op, "cannot open ", path, ": ", std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size >= 0 && static_cast<uint64_t>(size) > max_bytes)
    fail(op, path, ": JSON document of ", size, " bytes is larger than the limit of ", max_bytes, " bytes");
  in.seekg(0, std::ios::beg);
  std::ostringstream os;
  os << in.rdbuf();
  if (in.bad()) fail(op, "cannot read ", path);
  return parse_json_limited(os.str(), path, op, max_bytes);
}

int64_t json_integer(const json& v, int64_t lo, int64_t hi, const char* op, const std::string& what) {
  if (!v.is_number_integer()) fail(op, what, " must be a whole number, got ", json_excerpt(v));
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (hi < 0 || u > static_cast<uint64_t>(hi) || (lo > 0 && u < static_cast<uint64_t>(lo)))
      fail(op, what, " = ", u, " must lie in [", lo, ", ", hi, "]");
    return static_cast<int64_t>(u);
  }
  const int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) fail(op, what, " = ", i, " must lie in [", lo, ", ", hi, "]");
  return i;
}

int64_t json_integer_at(const json& obj, const char* key, int64_t lo, int64_t hi, const char* op,
                        const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) fail(op, where, ": missing key '", key, "'");
  return json_integer(obj.at(key), lo, hi, op, where + ": key '" + key + "'");
}

std::string json_excerpt(const json& v, size_t max_chars, int max_depth) {
  std::string out;
  excerpt(v, 0, max_depth, max_chars, out);
  if (out.size() > max_chars) {
    out.resize(max_chars);
    out += "...";
  }
  return out;
}

}  // namespace dien
