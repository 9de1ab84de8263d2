// SPDX-License-Identifier: MIT
// `dien prepare`: chronological interaction logs -> DIEN samples in the Amazon format
// (data/amazon_format.h), the way the paper's public data was built (mouna99/dien): per user,
// the LAST item is the positive target and one sampled item the user never clicked is the
// negative target (with its real category); the history is every earlier item, oldest -> newest,
// truncated to the most recent maxlen; users are split 90/10 at random (seeded). Option
// every_position: a positive + negative pair at every position t >= 1 (history s[:t]).
//
//   dien::data::LogOptions log;  log.path = "log.csv";   // columns user,item,category,time
//   dien::data::UserSequences seq = dien::data::read_interaction_log(log);
//   // or read_s3rec("Beauty.txt", "Beauty_item2attributes.json")
//   // or read_movielens("ratings.csv", "movies.csv", 4.0)
//   dien::data::PrepareStats st = dien::data::prepare_dien(seq, {}, "train.txt", "test.txt");
//   // then: dien train --data train.txt --format amazon
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace dien::data {

// Per user (in order of first appearance), the clicked items oldest -> newest, and each item's
// category. Ids are kept as the source's strings.
struct UserSequences {
  std::vector<std::string> users;
  std::vector<std::vector<std::string>> items;
  std::unordered_map<std::string, std::string> item_category;
  int64_t interactions() const;
};

struct LogOptions {
  std::string path;
  char delimiter = ',';
  bool header = true;
  // Column names (with a header) or 1-based column numbers as text ("3").
  std::string user = "user", item = "item", category = "category", time = "time";
};
// Rows sorted per user by (time, item) -- numeric item ids numerically -- so ties are
// deterministic. An item's category is the first one it appears with.
UserSequences read_interaction_log(const LogOptions& o);
// S3-Rec: `user item1 item2 ...` per line (chronological); category = the LAST attribute of the
// item in the JSON object {"item": [attr, ...]}.
UserSequences read_s3rec(const std::string& sequences_path, const std::string& attributes_path);
// MovieLens ratings.csv (userId,movieId,rating,timestamp) + movies.csv (movieId,title,genres):
// ratings >= min_rating, sorted per user by (timestamp, movieId); category = the first genre.
UserSequences read_movielens(const std::string& ratings_path, const std::string& movies_path, double min_rating = 0.0);

struct PrepareOptions {
  int64_t maxlen = 100;
  bool every_position = false;
  double test_fraction = 0.1;
  uint64_t seed = 1234;
};
struct PrepareStats {
  int64_t users = 0, train_users = 0, test_users = 0;
  int64_t train_samples = 0, test_samples = 0;
  int64_t items = 0, categories = 0, skipped_users = 0;  // skipped: fewer than 2 items
};
// Writes train_path and test_path (atomically). Users with fewer than 2 items give no sample.
// Throws dien::Error naming the user when no negative target exists (they clicked every item).
PrepareStats prepare_dien(const UserSequences& s, const PrepareOptions& o, const std::string& train_path,
                          const std::string& test_path);

}  // namespace dien::data
