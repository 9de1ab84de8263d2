// SPDX-License-Identifier: MIT
#include "data/movielens_sample.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_limits.h"
#include "core/rng.h"
#include "data/parse_values.h"
#include "data/rows.h"
#include "data/text_io.h"

namespace dien::data {
namespace {

constexpr const char* kOp = "read_movie_sample";
const char* const kNames[8] = {"user_id", "gender", "age", "hist_movie_id", "hist_len", "movie_id", "movie_type_id", "label"};

Place at(const LineReader& in, int64_t col) { return Place{in.path(), in.line_no(), col, kNames[col - 1]}; }

// A parsed line, ids still as text (but checked to be canonical integers, so equal ids are equal text).
struct Line {
  std::vector<std::string_view> f;
  std::vector<std::string_view> hist;  // oldest -> newest, the valid steps only
  float label = 0;
};

Line parse_line(const LineReader& in, const std::string& line) {
  Line l;
  l.f = split(line, '\t');
  check_columns(l.f, 8, kOp, Place{in.path(), in.line_no(), 0, ""});
  for (int c : {1, 2, 3, 6, 7}) parse_int(l.f[static_cast<size_t>(c - 1)], kOp, at(in, c));
  const int64_t hist_len = parse_int(l.f[4], kOp, at(in, 5));
  if (hist_len < 0) fail(kOp, describe(at(in, 5)), ": length must be >= 0, got '", std::string(l.f[4]), "'");
  const int64_t y = parse_int(l.f[7], kOp, at(in, 8));
  if (y != 0 && y != 1) fail(kOp, describe(at(in, 8)), ": label must be 0 or 1, got '", std::string(l.f[7]), "'");
  l.label = static_cast<float>(y);
  auto tokens = split(l.f[3], ',');
  const size_t n = std::min(static_cast<size_t>(hist_len), tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    Place p = at(in, 4);
    p.name.append("[").append(std::to_string(i + 1)).append("]");
    const int64_t id = parse_int(tokens[i], kOp, p);
    if (i < n && id == 0)
      fail(kOp, describe(p), ": padding id 0 inside the valid history (hist_len ", hist_len, ")");
    if (i >= n && id != 0 && static_cast<size_t>(hist_len) < tokens.size())
      fail(kOp, describe(p), ": id '", std::string(tokens[i]), "' beyond hist_len ", hist_len, " (expected padding 0)");
  }
  l.hist.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(n));
  std::reverse(l.hist.begin(), l.hist.end());  // the file lists the most recent first
  return l;
}

}  // namespace

MovieSampleVocabularies MovieSampleVocabularies::build(const std::string& path) {
  LineReader in(path, kOp);
  VocabularyBuilder user, gender, age, movie, type;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string line;
  while (in.next(line)) {
    Line l = parse_line(in, line);
    user.add(l.f[0]);
    gender.add(l.f[1]);
    age.add(l.f[2]);
    for (auto h : l.hist) movie.add(h);
    movie.add(l.f[5]);
    type.add(l.f[6]);
    pairs.emplace_back(std::string(l.f[5]), std::string(l.f[6]));
  }
  in.require_nonempty();
  MovieSampleVocabularies v;
  v.user = user.build(1, "user_id");
  v.gender = gender.build(1, "gender");
  v.age = age.build(1, "age");
  v.movie = movie.build(1, "movie_id");
  v.movie_type = type.build(1, "movie_type_id");
  v.movie_category.assign(static_cast<size_t>(v.movie.num_values() + 1), -1);
  v.movie_category[0] = 0;
  for (const auto& [m, t] : pairs) {
    int64_t& slot = v.movie_category[static_cast<size_t>(*v.movie.find(m))];
    if (slot < 0) slot = *v.movie_type.find(t);
  }
  return v;
}

void MovieSampleVocabularies::set_policy(OovPolicy p) {
  for (Vocabulary* v : {&user, &gender, &age, &movie, &movie_type}) v->set_policy(p);
}

nlohmann::json MovieSampleVocabularies::to_json() const {
  return nlohmann::json{{"user_id", user.to_json()},   {"gender", gender.to_json()},
                        {"age", age.to_json()},        {"movie_id", movie.to_json()},
                        {"movie_type_id", movie_type.to_json()}, {"movie_category", movie_category}};
}

void MovieSampleVocabularies::save(const std::string& path) const {
  const nlohmann::json j = to_json();
  write_atomically(path, [&](std::ostream& os) { os << j.dump() << "\n"; });
}

MovieSampleVocabularies MovieSampleVocabularies::from_json(const nlohmann::json& j, const std::string& where) {
  MovieSampleVocabularies v;
  try {
    v.user = Vocabulary::from_json(j.at("user_id"));
    v.gender = Vocabulary::from_json(j.at("gender"));
    v.age = Vocabulary::from_json(j.at("age"));
    v.movie = Vocabulary::from_json(j.at("movie_id"));
    v.movie_type = Vocabulary::from_json(j.at("movie_type_id"));
    // Type ids index the type table: whole numbers in [0, types], or -1 for a movie seen only in
    // histories (no type known; see build()).
    const nlohmann::json& mc = j.at("movie_category");
    if (!mc.is_array()) fail("movie_sample_vocabularies", where, ": movie_category is not an array");
    for (size_t i = 0; i < mc.size(); ++i)
      v.movie_category.push_back(json_integer(mc[i], -1, v.movie_type.num_values(), "movie_sample_vocabularies",
                                              where + ": movie_category[" + std::to_string(i) + "]"));
  } catch (const nlohmann::json::exception& e) {
    fail("movie_sample_vocabularies", where, ": invalid JSON: ", e.what());
  }
  if (static_cast<int64_t>(v.movie_category.size()) != v.movie.num_values() + 1)
    fail("movie_sample_vocabularies", where, ": movie_category has ", v.movie_category.size(),
         " entries, expected ", v.movie.num_values() + 1);
  return v;
}

MovieSampleVocabularies MovieSampleVocabularies::load(const std::string& path) {
  return from_json(read_json_file(path, "movie_sample_vocabularies"), "'" + path + "'");
}

FeatureConfig movie_sample_features(const MovieSampleVocabularies& v, const MovieSampleOptions& o) {
  DIEN_CHECK(o.maxlen >= 1, kOp, "maxlen must be >= 1, got ", o.maxlen);
  DIEN_CHECK(o.chunk_rows >= 1, kOp, "chunk_rows must be >= 1, got ", o.chunk_rows);
  const int64_t d = o.embedding_dim, L = o.maxlen;
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", v.user.size(), d),
                 FeatureSpec::sparse("gender", v.gender.size(), d),
                 FeatureSpec::sparse("age", v.age.size(), d),
                 FeatureSpec::sparse("movie_id", v.movie.size(), d),
                 FeatureSpec::sparse("movie_type_id", v.movie_type.size(), d),
                 FeatureSpec::varlen("hist_movie_id", v.movie.size(), d, L, "seq_length", "movie_id"),
                 FeatureSpec::varlen("hist_movie_type_id", v.movie_type.size(), d, L, "seq_length", "movie_type_id")};
  if (o.negatives) {
    fc.features.push_back(FeatureSpec::varlen("neg_hist_movie_id", v.movie.size(), d, L, "seq_length", "movie_id"));
    fc.features.push_back(
        FeatureSpec::varlen("neg_hist_movie_type_id", v.movie_type.size(), d, L, "seq_length", "movie_type_id"));
  }
  fc.history_features = {"movie_id", "movie_type_id"};
  fc.group = "user_id";
  fc.validate();
  return fc;
}

void read_movie_sample(const std::string& path, MovieSampleVocabularies& v, const MovieSampleOptions& o,
                       const ChunkCallback& on_chunk) {
  const FeatureConfig fc = movie_sample_features(v, o);
  std::vector<int64_t> cat = v.movie_category;
  for (auto& c : cat)
    if (c < 0) c = v.movie_type.oov_id();
  NegativeSampler sampler(cat);
  LineReader in(path, kOp);
  Dataset ds = Dataset::empty(fc);
  std::string line;
  std::vector<int64_t> items, cats, dropped;
  int64_t row = 0;
  while (in.next(line)) {
    Line l = parse_line(in, line);
    const size_t begin = l.hist.size() > static_cast<size_t>(o.maxlen) ? l.hist.size() - static_cast<size_t>(o.maxlen) : 0;
    items.clear();
    cats.clear();
    dropped.clear();
    for (size_t i = 0; i < l.hist.size(); ++i) {
      const int64_t m = v.movie.lookup(l.hist[i], at(in, 4), kOp);
      int64_t c = m <= v.movie.num_values() ? v.movie_category[static_cast<size_t>(m)] : -1;
      if (c < 0) {
        if (v.movie_type.policy() == OovPolicy::Error)
          fail(kOp, describe(at(in, 4)), ": movie '", std::string(l.hist[i]),
               "' has no known movie_type_id (it never appears as a target movie_id)");
        c = v.movie_type.oov_id();
      }
      if (i < begin) {  // older than the most recent maxlen: not kept, still not a negative
        dropped.push_back(m);
        continue;
      }
      items.push_back(m);
      cats.push_back(c);
    }
    const int64_t len = static_cast<int64_t>(items.size());
    const int64_t user = v.user.lookup(l.f[0], at(in, 1), kOp);
    push_sparse(ds, "user_id", user);
    push_sparse(ds, "gender", v.gender.lookup(l.f[1], at(in, 2), kOp));
    push_sparse(ds, "age", v.age.lookup(l.f[2], at(in, 3), kOp));
    push_sparse(ds, "movie_id", v.movie.lookup(l.f[5], at(in, 6), kOp));
    push_sparse(ds, "movie_type_id", v.movie_type.lookup(l.f[6], at(in, 7), kOp));
    push_varlen(ds, "hist_movie_id", items.data(), len);
    push_varlen(ds, "hist_movie_type_id", cats.data(), len);
    push_sparse(ds, "seq_length", len);
    if (o.negatives)
      push_negatives(ds, sampler, o.seed, row, items, dropped, "neg_hist_movie_id", "neg_hist_movie_type_id", kOp,
                     describe(at(in, 4)));
    ds.labels.push_back(l.label);
    ds.groups.push_back(group_key(v.user, l.f[0]));
    ++row;
    flush_if_full(ds, o.chunk_rows, on_chunk);
  }
  in.require_nonempty();
  if (ds.rows() > 0) on_chunk(std::move(ds));
}

LoadedData load_movie_sample(const std::string& path, MovieSampleVocabularies& v, const MovieSampleOptions& o) {
  FeatureConfig fc = movie_sample_features(v, o);
  LoadedData out{Dataset::empty(fc), fc};
  read_movie_sample(path, v, o, [&](Dataset&& chunk) { out.dataset.append(chunk); });
  return out;
}

}  // namespace dien::data
