// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <set>

#include "core/error.h"
#include "data/amazon_format.h"
#include "data/prepare.h"
#include "data/text_io.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
std::vector<std::vector<std::string>> lines_of(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  LineReader in(path, "test");
  std::string line;
  while (in.next(line)) {
    std::vector<std::string> f;
    for (auto s : split(line, '\t')) f.emplace_back(s);
    out.push_back(f);
  }
  return out;
}
// user u clicks items in an order given by time; 12 items, category = item % 3
std::string make_log() {
  std::string s = "time,user,item,category\n";
  for (int u = 1; u <= 20; ++u)
    for (int k = 0; k < 5; ++k) {
      const int item = (u + 2 * k) % 12 + 1;
      // times reversed in file order, plus a tie at k = 3, 4 (broken by item id)
      const int t = k >= 3 ? 100 : 10 * k;
      s += std::to_string(t) + ",U" + std::to_string(u) + "," + std::to_string(item) + ",c" + std::to_string(item % 3) + "\n";
    }
  return s;
}
}  // namespace

TEST_CASE("prepare: last item positive, sampled negative, history oldest first, user split", "[data][prepare]") {
  dien::test::TempDir dir;
  LogOptions lo;
  lo.path = dir.write("log.csv", make_log());
  UserSequences s = read_interaction_log(lo);
  REQUIRE(s.users.size() == 20);
  // user 1: items (1+2k)%12+1 = 2,4,6,8,10 with times 0,10,20,100,100 -> the tie sorts 8 < 10
  REQUIRE(s.items[0] == std::vector<std::string>{"2", "4", "6", "8", "10"});
  PrepareOptions po;
  po.maxlen = 3;
  PrepareStats st = prepare_dien(s, po, dir.file("train.txt"), dir.file("test.txt"));
  REQUIRE(st.test_users == 2);
  REQUIRE(st.train_users == 18);
  REQUIRE(st.train_samples == 36);
  REQUIRE(st.items == 12);
  REQUIRE(st.categories == 3);
  auto train = lines_of(dir.file("train.txt")), test = lines_of(dir.file("test.txt"));
  REQUIRE(train.size() == 36);
  REQUIRE(test.size() == 4);
  std::set<std::string> train_users, test_users;
  for (auto& l : train) train_users.insert(l[1]);
  for (auto& l : test) test_users.insert(l[1]);
  for (auto& u : test_users) REQUIRE(train_users.count(u) == 0);
  for (size_t i = 0; i < train.size(); i += 2) {
    const auto &neg = train[i], &pos = train[i + 1];
    REQUIRE(neg[0] == "0");
    REQUIRE(pos[0] == "1");
    const size_t u = static_cast<size_t>(std::stoi(pos[1].substr(1)) - 1);
    const auto& seq = s.items[u];
    REQUIRE(pos[2] == seq.back());
    // history = the 3 items before the last, oldest first
    REQUIRE(pos[4] == seq[1] + "\x02" + seq[2] + "\x02" + seq[3]);
    REQUIRE(neg[4] == pos[4]);
    REQUIRE(std::find(seq.begin(), seq.end(), neg[2]) == seq.end());
    REQUIRE(neg[3] == "c" + std::to_string(std::stoi(neg[2]) % 3));  // its real category
  }
  // the output reads back as Amazon-format training data
  AmazonVocabularies v = AmazonVocabularies::build(dir.file("train.txt"));
  LoadedData d = load_amazon(dir.file("train.txt"), v, AmazonOptions{});
  REQUIRE(d.dataset.rows() == 36);
}

TEST_CASE("prepare: a sample at every position; determinism", "[data][prepare]") {
  dien::test::TempDir dir;
  LogOptions lo;
  lo.path = dir.write("log.csv", make_log());
  UserSequences s = read_interaction_log(lo);
  PrepareOptions po;
  po.every_position = true;
  po.test_fraction = 0;
  PrepareStats st = prepare_dien(s, po, dir.file("a.txt"), dir.file("b.txt"));
  REQUIRE(st.train_samples == 20 * 4 * 2);
  REQUIRE(st.test_samples == 0);
  auto lines = lines_of(dir.file("a.txt"));
  REQUIRE(lines[1][4] == "2");  // user 1, t = 1: history is the first item only
  REQUIRE(lines[1][2] == "4");
  prepare_dien(s, po, dir.file("c.txt"), dir.file("d.txt"));
  REQUIRE(dien::test::TempDir::read(dir.file("a.txt")) == dien::test::TempDir::read(dir.file("c.txt")));
}

TEST_CASE("prepare: S3-Rec and MovieLens inputs", "[data][prepare]") {
  dien::test::TempDir dir;
  const std::string seq = dir.write("s.txt", "1 1 2 3\n2 3 4\n3 5\n");
  const std::string attr = dir.write("a.json", R"({"1": [7, 40], "2": [8, 41], "3": [9, 40], "4": [7, 42], "5": [1, 2]})");
  UserSequences s = read_s3rec(seq, attr);
  REQUIRE(s.items[0] == std::vector<std::string>{"1", "2", "3"});
  REQUIRE(s.item_category.at("4") == "42");  // the LAST attribute
  PrepareOptions po;
  po.test_fraction = 0;
  PrepareStats st = prepare_dien(s, po, dir.file("tr.txt"), dir.file("te.txt"));
  REQUIRE(st.skipped_users == 1);
  REQUIRE(st.train_samples == 4);
  require_error([&] { read_s3rec(dir.write("s2.txt", "1 1 9\n"), attr); }, {"read_s3rec", "s2.txt:1:3", "item '9' has no attributes"});

  const std::string movies = dir.write("movies.csv", "movieId,title,genres\n1,\"Heat, The (1995)\",Action|Crime\n2,B,Drama\n3,C,Comedy\n");
  const std::string ratings = dir.write("ratings.csv",
                                        "userId,movieId,rating,timestamp\n1,3,5.0,30\n1,1,4.0,10\n1,2,2.0,20\n2,2,4.5,5\n2,1,4.0,5\n");
  UserSequences m = read_movielens(ratings, movies, 4.0);
  REQUIRE(m.items[0] == std::vector<std::string>{"1", "3"});  // rating 2.0 dropped; sorted by time
  REQUIRE(m.items[1] == std::vector<std::string>{"1", "2"});  // same second: by movieId
  REQUIRE(m.item_category.at("1") == "Action");
  require_error([&] { read_movielens(dir.write("r2.csv", "userId,movieId,rating,timestamp\n1,3,five,30\n"), movies); },
                {"r2.csv:2:3", "rating", "'five'"});
}

TEST_CASE("prepare: bad logs and impossible negatives", "[data][prepare]") {
  dien::test::TempDir dir;
  LogOptions lo;
  lo.path = dir.write("log.csv", "time,user,item,category\n1,U1,5\n");
  require_error([&] { read_interaction_log(lo); }, {"log.csv:2", "expected at least 4 columns, got 3"});
  lo.path = dir.write("log2.csv", "time,user,item,category\nnoon,U1,5,c\n");
  require_error([&] { read_interaction_log(lo); }, {"log2.csv:2:1", "column 'time'", "'noon'"});
  lo.path = dir.write("log3.csv", "when,user,item,category\n1,U1,5,c\n");
  require_error([&] { read_interaction_log(lo); }, {"no column 'time'"});
  lo.path = dir.file("missing.csv");
  require_error([&] { read_interaction_log(lo); }, {"cannot open", "missing.csv"});
  // every user clicked every item: no negative target exists
  lo.path = dir.write("log4.csv", "time,user,item,category\n1,U1,a,c\n2,U1,b,c\n1,U2,b,c\n2,U2,a,c\n");
  UserSequences s = read_interaction_log(lo);
  const std::string train = dir.write("train.txt", "keep me\n");
  require_error([&] { prepare_dien(s, PrepareOptions{}, train, dir.file("test.txt")); },
                {"prepare", "user 'U", "clicked all 2 items"});
  REQUIRE(dien::test::TempDir::read(train) == "keep me\n");
}
