// SPDX-License-Identifier: MIT
// `dien prepare`: a chronological interaction log -> DIEN samples (train and test files in the
// DIEN Amazon format), the way the paper's public Amazon data was built.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "apps/dien/checks.h"
#include "apps/dien/commands.h"
#include "core/error.h"
#include "data/prepare.h"

namespace dien::cli {

namespace {

struct PrepareArgs {
  std::string input_format = "log", input, attributes, movies, out_dir = "prepared";
  std::string delimiter = ",";
  bool no_header = false;
  data::LogOptions log;
  data::PrepareOptions o;
  std::string scheme = "paper";
  double min_rating = 0;
};

void run_prepare(PrepareArgs a) {
  const auto t0 = std::chrono::steady_clock::now();
  data::UserSequences s;
  if (a.input_format == "log") {
    if (a.delimiter.size() != 1 && a.delimiter != "\\t" && a.delimiter != "tab")
      fail("dien prepare", "--delimiter must be one character (or tab), got '", a.delimiter, "'");
    a.log.path = a.input;
    a.log.delimiter = a.delimiter.size() == 1 ? a.delimiter[0] : '\t';
    a.log.header = !a.no_header;
    s = data::read_interaction_log(a.log);
  } else if (a.input_format == "s3rec") {
    if (a.attributes.empty()) fail("dien prepare", "--input-format s3rec needs --attributes ITEM2ATTRIBUTES.json");
    s = data::read_s3rec(a.input, a.attributes);
  } else {
    if (a.movies.empty()) fail("dien prepare", "--input-format movielens needs --movies movies.csv");
    s = data::read_movielens(a.input, a.movies, a.min_rating);
  }
  a.o.every_position = a.scheme == "every";
  std::filesystem::create_directories(a.out_dir);
  const std::string train = (std::filesystem::path(a.out_dir) / "train.txt").string();
  const std::string test = (std::filesystem::path(a.out_dir) / "test.txt").string();
  data::PrepareStats st = data::prepare_dien(s, a.o, train, test);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%lld users (%lld train, %lld test, %lld skipped with < 2 items), %lld items, %lld categories\n",
              static_cast<long long>(st.users), static_cast<long long>(st.train_users),
              static_cast<long long>(st.test_users), static_cast<long long>(st.skipped_users),
              static_cast<long long>(st.items), static_cast<long long>(st.categories));
  std::printf("wrote %lld samples to %s and %lld to %s in %.2f s\n", static_cast<long long>(st.train_samples),
              train.c_str(), static_cast<long long>(st.test_samples), test.c_str(), secs);
  std::printf("train with: dien train --data %s --val %s --exclude user_id   (test users are unseen)\n",
              train.c_str(), test.c_str());
}

}  // namespace

void add_prepare(CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  CLI::App* sub = app.add_subcommand(
      "prepare",
      "Turn a chronological interaction log into DIEN samples as the paper's public data was built: per user, "
      "the last item as the positive target plus one never-clicked item as the negative, history oldest -> "
      "newest truncated to --maxlen, users split train/test at random.");
  sub->add_option("--input-format", a->input_format,
                  "log (CSV/TSV: user, item, category, time), s3rec (Beauty.txt + item2attributes JSON) or "
                  "movielens (ratings.csv + movies.csv)")
      ->check(CLI::IsMember({"log", "s3rec", "movielens"}))
      ->capture_default_str();
  sub->add_option("--input", a->input, "the log, S3-Rec sequences or ratings.csv")->required()->check(CLI::ExistingFile);
  sub->add_option("--attributes", a->attributes, "s3rec: item -> attributes JSON (category = last attribute)")
      ->check(CLI::ExistingFile);
  sub->add_option("--movies", a->movies, "movielens: movies.csv (category = first genre)")->check(CLI::ExistingFile);
  sub->add_option("--min-rating", a->min_rating, "movielens: keep ratings >= this as clicks")->capture_default_str();
  sub->add_option("--out-dir", a->out_dir, "writes train.txt and test.txt here")->capture_default_str();
  sub->add_option("--scheme", a->scheme, "paper (one pair per user) or every (a pair at every position)")
      ->check(CLI::IsMember({"paper", "every"}))
      ->capture_default_str();
  sub->add_option("--maxlen", a->o.maxlen, "history length kept (most recent)")->check(at_least(1))->capture_default_str();
  sub->add_option("--test-fraction", a->o.test_fraction, "share of users in the test file")->check(in_range(0.0, 0.9))->capture_default_str();
  sub->add_option("--seed", a->o.seed, "seed of the split and of the negative targets")->capture_default_str();
  sub->add_option("--delimiter", a->delimiter, "log: field delimiter (one character, or tab)")->capture_default_str();
  sub->add_flag("--no-header", a->no_header, "log: the first line is data (columns are then 1-based numbers)");
  sub->add_option("--user-column", a->log.user, "log: user column (name, or 1-based number)")->capture_default_str();
  sub->add_option("--item-column", a->log.item, "log: item column")->capture_default_str();
  sub->add_option("--category-column", a->log.category, "log: category column")->capture_default_str();
  sub->add_option("--time-column", a->log.time, "log: time or order column")->capture_default_str();
  sub->callback([a] { run_prepare(*a); });
}

}  // namespace dien::cli
