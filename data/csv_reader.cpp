// SPDX-License-Identifier: MIT
#include "data/csv_reader.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/checked.h"
#include "core/error.h"
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
           ": header names '", std::string(f[c]), "', the spec expects '", s.columns[c].name, "'");
}

std::vector<std::string_view> tokens_of(std::string_view v, char sep) {
  return trim(v).empty() ? std::vector<std::string_view>{} : split(v, sep);
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
  LineReader in(path, kOp);
  if (spec.header) check_header(in, spec);
  std::map<std::string, VocabularyBuilder> b;
  std::string line;
  while (in.next(line)) {
    auto f = fields_of(in, line, spec);
    for (size_t c = 0; c < f.size(); ++c) {
      const CsvColumn& col = spec.columns[c];
      if (col.role == "sparse") {
        if (trim(f[c]).empty()) fail(kOp, describe(at(in, c, spec)), ": empty value");
        b[col.table()].add(trim(f[c]));
      } else if (col.role == "varlen") {
        for (auto t : tokens_of(f[c], col.separator)) b[col.table()].add(trim(t));
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
  // Length columns given in the file, by name -> column index.
  std::map<std::string, size_t> length_col;
  for (size_t c = 0; c < spec.columns.size(); ++c)
    if (spec.columns[c].role == "length") length_col[spec.columns[c].name] = c;
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
        ds.labels.push_back(static_cast<float>(parse_float(f[c], kOp, p)));
      } else if (col.role == "dense") {
        const float x = static_cast<float>(parse_float(f[c], kOp, p));
        push_dense(ds, col.name, &x, 1);
      } else if (col.role == "sparse") {
        const int64_t id = v.at(col.table()).lookup(trim(f[c]), p, kOp);
        push_sparse(ds, col.name, id);
        if (col.name == spec.group) group = group_key(v.at(col.table()), trim(f[c]));
      } else if (col.role == "varlen") {
        auto tok = tokens_of(f[c], col.separator);
        int64_t n = static_cast<int64_t>(tok.size());
        auto lc = length_col.find(col.length);
        if (lc != length_col.end()) {
          const Place lp = at(in, lc->second, spec);
          const int64_t len = parse_int(f[lc->second], kOp, lp);
          if (len < 0 || len > col.maxlen)
            fail(kOp, describe(lp), ": length ", len, " outside [0, maxlen ", col.maxlen, "] of '", col.name, "'");
          if (len > n) fail(kOp, describe(lp), ": length ", len, " but '", col.name, "' has only ", n, " values");
          n = len;
          tok.resize(static_cast<size_t>(n));
        }
        size_t begin = 0;
        if (n > col.maxlen) {
          if (!col.truncate)
            fail(kOp, describe(p), ": ", n, " values, above maxlen ", col.maxlen, " (set \"truncate\": true to keep the last ",
                 col.maxlen, ")");
          begin = static_cast<size_t>(n - col.maxlen);
          n = col.maxlen;
        }
        ids.clear();
        for (size_t i = begin; i < tok.size(); ++i) {
          Place tp = p;
          tp.name.append("[").append(std::to_string(i + 1)).append("]");
          ids.push_back(v.at(col.table()).lookup(trim(tok[i]), tp, kOp));
        }
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
