// SPDX-License-Identifier: MIT
// Reader of the MovieLens sample used by the DeepCTR / fun-rec DIEN tutorials
// (movie_sample.txt): tab-separated, no header, 8 columns
//   user_id, gender, age, hist_movie_id, hist_len, movie_id, movie_type_id, label
// hist_movie_id: comma-separated ints, MOST RECENT FIRST, 0-padded; hist_len may exceed the
// number of ids given (it is clipped). The reader reverses the valid prefix so histories run
// oldest -> newest and keeps the most recent maxlen. Categories of history movies come from the
// movie_id -> movie_type_id map of the target columns.
//
//   auto voc = dien::data::MovieSampleVocabularies::build("movie_sample.txt");
//   dien::data::MovieSampleOptions opt;                 // maxlen 50, negatives on
//   dien::data::LoadedData d = dien::data::load_movie_sample("movie_sample.txt", voc, opt);
//
// Dataset columns: user_id, gender, age, movie_id, movie_type_id (sparse); hist_movie_id,
// hist_movie_type_id (+ neg_hist_movie_id, neg_hist_movie_type_id) with length seq_length;
// history_features {movie_id, movie_type_id}; group user_id.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "data/amazon_format.h"  // LoadedData, ChunkCallback
#include "data/vocabulary.h"

namespace dien::data {

struct MovieSampleVocabularies {
  Vocabulary user, gender, age, movie, movie_type;
  std::vector<int64_t> movie_category;  // movie id -> movie_type id ([0] = 0; -1: never a target)

  static MovieSampleVocabularies build(const std::string& path);
  void set_policy(OovPolicy p);
  void save(const std::string& path) const;
  static MovieSampleVocabularies load(const std::string& path);
  nlohmann::json to_json() const;
  static MovieSampleVocabularies from_json(const nlohmann::json& j, const std::string& where = "JSON");
};

struct MovieSampleOptions {
  int64_t maxlen = 50;
  int64_t embedding_dim = 8;
  bool negatives = true;
  uint64_t seed = 1234;
  int64_t chunk_rows = 65536;
};

FeatureConfig movie_sample_features(const MovieSampleVocabularies& v, const MovieSampleOptions& o);
void read_movie_sample(const std::string& path, MovieSampleVocabularies& v, const MovieSampleOptions& o,
                       const ChunkCallback& on_chunk);
LoadedData load_movie_sample(const std::string& path, MovieSampleVocabularies& v, const MovieSampleOptions& o);

}  // namespace dien::data
