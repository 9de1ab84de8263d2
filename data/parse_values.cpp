// SPDX-License-Identifier: MIT
#include "data/parse_values.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/error.h"

namespace dien::data {

std::optional<int64_t> canonical_int(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  if (s.front() == '-' && digits == "0") return std::nullopt;  // "-0" spells 0 a second way
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

int64_t parse_int(std::string_view s, const char* op, const Place& at) {
  if (auto v = canonical_int(s)) return *v;
  // Say why: no integer at all, out of range, or an integer spelled a second way.
  std::string_view t = trim(s);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  const bool negative = !t.empty() && t.front() == '-';
  if (negative) t.remove_prefix(1);
  bool digits = !t.empty();
  for (char c : t) digits = digits && c >= '0' && c <= '9';
  if (!digits) fail(op, describe(at), ": expected an integer, got '", escape_bytes(s), "'");
  const size_t nz = t.find_first_not_of('0');
  // append() rather than "lit" + string: GCC 12 warns falsely (-Wrestrict) on the latter.
  std::string canonical = nz == std::string_view::npos || !negative ? "" : "-";
  canonical.append(nz == std::string_view::npos ? std::string_view("0") : t.substr(nz));
  if (!canonical_int(canonical))
    fail(op, describe(at), ": integer '", escape_bytes(s), "' is outside the 64-bit range");
  fail(op, describe(at), ": integer '", escape_bytes(s), "' is not written canonically (expected '", canonical,
       "': no '+', leading zeros or spaces, so that equal ids are equal text)");
}

double parse_float(std::string_view s, const char* op, const Place& at) {
  const std::string t(trim(s));
  char* end = nullptr;
  const double v = t.empty() ? 0.0 : std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v))
    fail(op, describe(at), ": expected a finite number, got '", escape_bytes(s), "'");
  return v;
}

float parse_float32(std::string_view s, const char* op, const Place& at) {
  const double d = parse_float(s, op, at);
  const float f = static_cast<float>(d);
  if (!std::isfinite(f))
    fail(op, describe(at), ": value '", escape_bytes(s), "' is not finite as a 32-bit float (largest ", 3.4028235e38,
         ")");
  return f;
}

float parse_label(std::string_view s, bool binary, const char* op, const Place& at) {
  const float y = parse_float32(s, op, at);
  if (binary && y != 0.0f && y != 1.0f)
    fail(op, describe(at), ": label must be 0 or 1, got '", escape_bytes(s), "'");
  return y;
}

std::optional<size_t> invalid_utf8_at(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return i;  // a continuation byte, C0/C1 (overlong) or F5..FF
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0u) != 0x80u) return i;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::nullopt;
}

void check_utf8(std::string_view s, const char* op, const Place& at) {
  if (auto bad = invalid_utf8_at(s)) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(s[*bad])));
    fail(op, describe(at), ": value '", escape_bytes(s), "' is not valid UTF-8 (byte ", byte, " at offset ", *bad,
         "); ids are text and are stored as JSON in checkpoints");
  }
}

std::string escape_bytes(std::string_view s) {
  // Valid UTF-8 stays readable; control bytes, and every non-ASCII byte of invalid text, are escaped.
  const bool utf8 = !invalid_utf8_at(s);
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 0x20 && c < 0x7F) || (c >= 0x80 && utf8)) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out.append(buf);
    }
  }
  return out;
}

}  // namespace dien::data
