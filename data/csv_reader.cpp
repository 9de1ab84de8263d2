// SPDX-License-Identifier: MIT
#include "data/csv_reader.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/checked.h"
#include "core/error.h"
#include "data/parse_values.h"
#include "core/json_limits.h"
#include "data/rows.h"
#include "data/text_io.h"

namespace dien::data {
namespace {

constexpr const char* kOp = "read_csv";

char one_char(const nlohmann::json& j, const std::string& path) {
  std::string s = j.get<std::string>();
  if (s == "\\t" || s == "tab") return '\t';
  if (s.size() != 1) fail("csv_spec", path, ": expected one character, got '", s, "'");
  return s[0];
}

Place at(const LineReader& in, size_t c, const CsvSpec& s) {
  return Place{in.path(), in.line_no(), static_cast<int64_t>(c + 1), s.columns[c].name};
}

std::vector<std::string_view> fields_of(const LineReader& in, const std::string& line, const CsvSpec& s) {
  auto f = split(line, s.delimiter);
  check_columns(f, s.columns.size(), kOp, Place{in.path(), in.line_no(), 0, ""});
  return f;
}

void check_header(LineReader& in, const CsvSpec& s) {
  std::string line;
  if (!in.next(line)) in.require_nonempty();
  auto f = fields_of(in, line, s);
  for (size_t c = 0; c < f.size(); ++c)
    if (trim(f[c]) != s.columns[c].name)
      fail(kOp, describe(Place{in.path(), in.line_no(), static_cast<int64_t>(c + 1), s.columns[c].name}),
           ": header names '", escape_bytes(f[c]), "', the spec expects '", s.columns[c].name, "'");
}

std::vector<std::string_view> tokens_of(std::string_view v, char sep) {
  return trim(v).empty() ? std::vector<std::string_view>{} : split(v, sep);
}

// A sparse value: not empty, valid UTF-8 (vocabularies are stored as JSON).
std::string_view sparse_value(std::string_view raw, const Place& p) {
  const std::string_view v = trim(raw);
  if (v.empty()) fail(kOp, describe(p), ": empty value");
  check_utf8(v, kOp, p);
  return v;
}

Place token_place(Place p, size_t i) {
  p.name.append("[").append(std::to_string(i + 1)).append("]");
  return p;
}

// Padding after a varlen column's valid values (its length column says how many are valid).
bool is_padding(std::string_view t) { return trim(t).empty() || trim(t) == "0"; }

// Length columns given in the file, by name -> column index.
std::map<std::string, size_t> length_columns(const CsvSpec& spec) {
  std::map<std::string, size_t> out;
  for (size_t c = 0; c < spec.columns.size(); ++c)
    if (spec.columns[c].role == "length") out[spec.columns[c].name] = c;
  return out;
}

struct History {
  std::vector<std::string_view> valid;  // trimmed, oldest -> newest
  size_t first = 0;                     // valid[first..] are the most recent maxlen, the ones kept
};

// The values of varlen column c: all its tokens, or as many as its length column says (the rest
// must be padding: empty or 0); each non-empty UTF-8. Above maxlen the most recent maxlen are
// kept (every reader does so), or, with "truncate": false, it is an error.
History history_values(const LineReader& in, const std::vector<std::string_view>& f, size_t c, const CsvSpec& s,
                       const std::map<std::string, size_t>& length_col) {
  const CsvColumn& col = s.columns[c];
  const Place p = at(in, c, s);
  History h;
  h.valid = tokens_of(f[c], col.separator);
  const int64_t tokens = static_cast<int64_t>(h.valid.size());
  int64_t n = tokens;
  Place where = p;  // what an over-long history is blamed on
  auto lc = length_col.find(col.length);
  if (lc != length_col.end()) {
    where = at(in, lc->second, s);
    n = parse_int(trim(f[lc->second]), kOp, where);
    if (n < 0) fail(kOp, describe(where), ": length ", n, " outside [0, maxlen ", col.maxlen, "] of '", col.name, "'");
    if (n > tokens) fail(kOp, describe(where), ": length ", n, " but '", col.name, "' has only ", tokens, " values");
    for (size_t i = static_cast<size_t>(n); i < h.valid.size(); ++i)
      if (!is_padding(h.valid[i]))
        fail(kOp, describe(token_place(p, i)), ": value '", escape_bytes(h.valid[i]), "' comes after the ", n,
             " valid values that length column '", col.length,
             "' gives, but is not padding (empty or 0); a history runs oldest -> newest, its length counts from the "
             "first value");
    h.valid.resize(static_cast<size_t>(n));
  }
  for (size_t i = 0; i < h.valid.size(); ++i) {
    h.valid[i] = trim(h.valid[i]);
    if (h.valid[i].empty()) fail(kOp, describe(token_place(p, i)), ": empty value");
    if (invalid_utf8_at(h.valid[i])) check_utf8(h.valid[i], kOp, token_place(p, i));  // the place only for a message
  }
  if (n > col.maxlen) {
    if (!col.truncate && lc != length_col.end())
      fail(kOp, describe(where), ": length ", n, " outside [0, maxlen ", col.maxlen, "] of '", col.name,
           "' (\"truncate\": false; without it the most recent ", col.maxlen, " are kept)");
    if (!col.truncate)
      fail(kOp, describe(where), ": ", n, " values, above maxlen ", col.maxlen,
           " (\"truncate\": false; without it the most recent ", col.maxlen, " are kept)");
    h.first = static_cast<size_t>(n - col.maxlen);
  }
  return h;
}

}  // namespace

CsvSpec CsvSpec::from_json(const nlohmann::json& j) {
  CsvSpec s;
  try {
    if (j.contains("delimiter")) s.delimiter = one_char(j["delimiter"], "delimiter");
    if (j.contains("header")) s.header = j["header"].get<bool>();
    if (j.contains("oov")) s.oov = oov_policy_from_string(j["oov"].get<std::string>());
    if (j.contains("history_features")) s.history_features = j["history_features"].get<std::vector<std::string>>();
    if (j.contains("group")) s.group = j["group"].get<std::string>();
    if (j.contains("chunk_rows")) s.chunk_rows = json_integer(j["chunk_rows"], 1, kMaxNumel, "csv_spec", "chunk_rows");
    if (!j.contains("columns") || !j["columns"].is_array()) fail("csv_spec", "columns: expected an array");
    int labels = 0;
    for (size_t i = 0; i < j["columns"].size(); ++i) {
      const auto& c = j["columns"][i];
      const std::string p = "columns[" + std::to_string(i) + "]";
      CsvColumn col;
      if (!c.contains("name") || !c.contains("role")) fail("csv_spec", p, ": needs 'name' and 'role'");
      col.name = c["name"].get<std::string>();
      col.role = c["role"].get<std::string>();
      static const std::set<std::string> roles = {"label", "sparse", "dense", "varlen", "length", "ignore"};
      if (!roles.count(col.role))
        fail("csv_spec", p, ".role: unknown role '", col.role, "' (label | sparse | dense | varlen | length | ignore)");
      if (c.contains("embedding_dim"))
        col.embedding_dim = json_integer(c["embedding_dim"], 1, kMaxWidth, "csv_spec", p + ".embedding_dim");
      if (c.contains("embedding_name")) col.embedding_name = c["embedding_name"].get<std::string>();
      if (c.contains("separator")) col.separator = one_char(c["separator"], p + ".separator");
      if (c.contains("maxlen"))
        col.maxlen = json_integer(c["maxlen"], 1, kMaxWidth, "csv_spec", p + ".maxlen");
      if (c.contains("length")) col.length = c["length"].get<std::string>();
      if (c.contains("truncate")) col.truncate = c["truncate"].get<bool>();
      if (col.role == "varlen" && col.maxlen < 1) fail("csv_spec", p, ".maxlen: must be >= 1 for a varlen column");
      if (col.role == "varlen" && col.length.empty()) col.length = col.name + "_length";
      if (col.role == "label") ++labels;
      s.columns.push_back(col);
    }
    if (labels != 1) fail("csv_spec", "columns: expected exactly one column with role 'label', got ", labels);
  } catch (const nlohmann::json::exception& e) {
    fail("csv_spec", "invalid value: ", e.what());
  }
  return s;
}

CsvSpec CsvSpec::load(const std::string& path) {
  const nlohmann::json j = read_json_file_limited(path, "csv_spec");
  try {
    return from_json(j);
  } catch (const Error& e) {
    fail("csv_spec", "'", path, "': ", e.what());
  }
}

CsvVocabularies build_csv_vocabularies(const std::string& path, const CsvSpec& spec) {
  const auto length_col = length_columns(spec);
  LineReader in(path, kOp);
  if (spec.header) check_header(in, spec);
  std::map<std::string, VocabularyBuilder> b;
  std::string line;
  while (in.next(line)) {
    auto f = fields_of(in, line, spec);
    for (size_t c = 0; c < f.size(); ++c) {
      const CsvColumn& col = spec.columns[c];
      if (col.role == "sparse") {
        b[col.table()].add(sparse_value(f[c], at(in, c, spec)));
      } else if (col.role == "varlen") {
        // Every valid value, also those older than the most recent maxlen (as the Amazon reader).
        for (auto t : history_values(in, f, c, spec, length_col).valid) b[col.table()].add(t);
      }
    }
  }
  in.require_nonempty();
  CsvVocabularies v;
  for (auto& [table, builder] : b) v[table] = builder.build(1, table);
  for (const auto& col : spec.columns)  // tables with no value at all still exist
    if ((col.role == "sparse" || col.role == "varlen") && !v.count(col.table())) v[col.table()] = Vocabulary({}, {});
  return v;
}

nlohmann::json csv_vocabularies_to_json(const CsvVocabularies& v) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [t, voc] : v) j[t] = voc.to_json();
  return j;
}

CsvVocabularies csv_vocabularies_from_json(const nlohmann::json& j) {
  CsvVocabularies v;
  for (auto it = j.begin(); it != j.end(); ++it) v[it.key()] = Vocabulary::from_json(it.value());
  return v;
}

void save_csv_vocabularies(const std::string& path, const CsvVocabularies& v) {
  const nlohmann::json j = csv_vocabularies_to_json(v);
  write_atomically(path, [&](std::ostream& os) { os << j.dump() << "\n"; });
}

CsvVocabularies load_csv_vocabularies(const std::string& path) {
  try {
    return csv_vocabularies_from_json(read_json_file(path, "csv_vocabularies"));
  } catch (const nlohmann::json::exception& e) {
    fail("csv_vocabularies", "'", path, "': ", e.what());
  }
}

FeatureConfig csv_features(const CsvSpec& spec, const CsvVocabularies& v) {
  FeatureConfig fc;
  auto size_of = [&](const CsvColumn& c) {
    auto it = v.find(c.table());
    if (it == v.end()) fail(kOp, "no vocabulary for table '", c.table(), "' (column '", c.name, "')");
    return it->second.size();
  };
  for (const auto& c : spec.columns) {
    if (c.role == "sparse") fc.features.push_back(FeatureSpec::sparse(c.name, size_of(c), c.embedding_dim, c.embedding_name));
    if (c.role == "dense") fc.features.push_back(FeatureSpec::dense(c.name));
    if (c.role == "varlen")
      fc.features.push_back(FeatureSpec::varlen(c.name, size_of(c), c.embedding_dim, c.maxlen, c.length, c.embedding_name));
  }
  fc.history_features = spec.history_features;
  fc.group = spec.group;
  fc.validate();
  return fc;
}

void read_csv(const std::string& path, const CsvSpec& spec, CsvVocabularies& v, const ChunkCallback& on_chunk) {
  const FeatureConfig fc = csv_features(spec, v);
  for (auto& [t, voc] : v) voc.set_policy(spec.oov);
  DIEN_CHECK(spec.chunk_rows >= 1, kOp, "chunk_rows must be >= 1, got ", spec.chunk_rows);
  const auto length_col = length_columns(spec);
  LineReader in(path, kOp);
  if (spec.header) check_header(in, spec);
  Dataset ds = Dataset::empty(fc);
  std::string line;
  std::vector<int64_t> ids;
  std::map<std::string, int64_t> lengths;
  while (in.next(line)) {
    auto f = fields_of(in, line, spec);
    lengths.clear();
    int64_t group = 0;
    for (size_t c = 0; c < f.size(); ++c) {
      const CsvColumn& col = spec.columns[c];
      const Place p = at(in, c, spec);
      if (col.role == "label") {
        ds.labels.push_back(parse_label(f[c], spec.binary_labels, kOp, p));
      } else if (col.role == "dense") {
        const float x = parse_float32(f[c], kOp, p);
        push_dense(ds, col.name, &x, 1);
      } else if (col.role == "sparse") {
        const std::string_view value = sparse_value(f[c], p);
        push_sparse(ds, col.name, v.at(col.table()).lookup(value, p, kOp));
        if (col.name == spec.group) group = group_key(v.at(col.table()), value);
      } else if (col.role == "varlen") {
        const History h = history_values(in, f, c, spec, length_col);
        ids.clear();
        Vocabulary& voc = v.at(col.table());
        for (size_t i = h.first; i < h.valid.size(); ++i) {
          // The place is built only for a value the vocabulary lacks (an error or a counted OOV).
          const std::optional<int64_t> id = voc.find(h.valid[i]);
          ids.push_back(id ? *id : voc.lookup(h.valid[i], token_place(p, i), kOp));
        }
        const int64_t n = static_cast<int64_t>(ids.size());
        push_varlen(ds, col.name, ids.data(), n);
        auto [it, inserted] = lengths.emplace(col.length, n);
        if (!inserted && it->second != n)
          fail(kOp, describe(p), ": ", n, " values, but another column with length '", col.length, "' has ", it->second);
      }
    }
    for (const auto& [name, n] : lengths) push_sparse(ds, name, n);
    if (!fc.group.empty()) ds.groups.push_back(group);
    flush_if_full(ds, spec.chunk_rows, on_chunk);
  }
  in.require_nonempty();
  if (spec.header && in.line_no() == 1) fail(kOp, "'", path, "': no data rows (only a header)");
  if (ds.rows() > 0) on_chunk(std::move(ds));
}

LoadedData load_csv(const std::string& path, const CsvSpec& spec, CsvVocabularies& v) {
  FeatureConfig fc = csv_features(spec, v);
  LoadedData out{Dataset::empty(fc), fc};
  read_csv(path, spec, v, [&](Dataset&& chunk) { out.dataset.append(chunk); });
  return out;
}

}  // namespace dien::data
