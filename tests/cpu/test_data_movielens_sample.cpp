// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include "core/error.h"
#include "data/movielens_sample.h"
#include "data_files.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
// hist tokens: most recent first, 0-padded to 5
std::string row(const char* user, const char* hist, const char* len, const char* movie, const char* type, const char* y) {
  return std::string(user) + "\t1\t2\t" + hist + "\t" + len + "\t" + movie + "\t" + type + "\t" + y + "\n";
}
}  // namespace

TEST_CASE("movie_sample: histories reversed to oldest first, hist_len clipped", "[data][movie_sample]") {
  dien::test::TempDir dir;
  const std::string f = dir.write("ms.txt", row("1", "30,20,10,0,0", "3", "40", "7", "1") +
                                                row("1", "30,20,10,0,0", "3", "50", "8", "0") +
                                                row("2", "40,30,20,10,50", "9", "10", "5", "1") +
                                                row("2", "40,30,20,10,50", "9", "20", "5", "0") +
                                                row("2", "40,30,20,10,50", "9", "30", "6", "0") +
                                                row("3", "0,0,0,0,0", "0", "30", "6", "1") +
                                                row("3", "0,0,0,0,0", "0", "60", "6", "0") +
                                                row("3", "0,0,0,0,0", "0", "70", "8", "0"));
  MovieSampleVocabularies v = MovieSampleVocabularies::build(f);
  MovieSampleOptions o;
  o.maxlen = 4;
  LoadedData d = load_movie_sample(f, v, o);
  const Dataset& ds = d.dataset;
  REQUIRE(ds.rows() == 8);
  REQUIRE(ds.columns.at("seq_length").ids == std::vector<int64_t>{3, 3, 4, 4, 4, 0, 0, 0});
  const auto& h = ds.columns.at("hist_movie_id").ids;
  auto id = [&](const char* m) { return *v.movie.find(m); };
  REQUIRE(std::vector<int64_t>(h.begin(), h.begin() + 4) == std::vector<int64_t>{id("10"), id("20"), id("30"), 0});
  // row 2: file order (most recent first) 40,30,20,10,50 -> oldest first 50,10,20,30,40 -> the
  // most recent 4: 10,20,30,40
  REQUIRE(std::vector<int64_t>(h.begin() + 8, h.begin() + 12) == std::vector<int64_t>{id("10"), id("20"), id("30"), id("40")});
  // categories come from the targets' movie -> type map
  const auto& hc = ds.columns.at("hist_movie_type_id").ids;
  REQUIRE(hc[8] == *v.movie_type.find("5"));    // movie 10 -> type 5
  REQUIRE(hc[11] == *v.movie_type.find("7"));   // movie 40 -> type 7
  // negatives avoid the whole history, including the clipped-away movie 50
  const auto& n = ds.columns.at("neg_hist_movie_id").ids;
  for (int t = 8; t < 12; ++t)
    for (const char* m : {"10", "20", "30", "40", "50"}) REQUIRE(n[static_cast<size_t>(t)] != id(m));
  // only 60 and 70 are left for user 2
  for (int t = 8; t < 12; ++t) REQUIRE((n[static_cast<size_t>(t)] == id("60") || n[static_cast<size_t>(t)] == id("70")));
}

TEST_CASE("movie_sample: bad input names the place", "[data][movie_sample]") {
  dien::test::TempDir dir;
  auto load = [&](const std::string& text) {
    const std::string f = dir.write("ms.txt", text);
    MovieSampleVocabularies v = MovieSampleVocabularies::build(f);
    load_movie_sample(f, v, MovieSampleOptions{});
  };
  require_error([&] { load(row("1", "3,0", "1", "3", "1", "1") + "1\t1\t2\t3\n"); },
                {"read_movie_sample", "ms.txt:2", "expected 8 columns, got 4"});
  require_error([&] { load(row("1", "3,x", "1", "3", "1", "1")); }, {"ms.txt:1:4", "hist_movie_id[2]", "'x'"});
  require_error([&] { load(row("1", "3,0", "-2", "3", "1", "1")); }, {"ms.txt:1:5", "hist_len", "'-2'"});
  require_error([&] { load(row("1", "3,0", "1", "3", "1", "yes")); }, {"ms.txt:1:8", "label", "'yes'"});
  require_error([&] { load(row("1", "0,3", "1", "3", "1", "1")); }, {"ms.txt:1:4", "padding id 0 inside"});
  require_error([&] { load(row("1", "9,0", "1", "3", "1", "1")); }, {"ms.txt:1:4", "movie '9' has no known movie_type_id"});
  require_error([&] { load(""); }, {"file is empty"});
}
