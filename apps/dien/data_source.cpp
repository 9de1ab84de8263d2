// SPDX-License-Identifier: MIT
#include "apps/dien/data_source.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "apps/dien/checks.h"
#include "core/checked.h"
#include "core/error.h"
#include "core/json_limits.h"
#include "data/amazon_format.h"
#include "data/csv_reader.h"
#include "data/movielens_sample.h"
#include "data/text_io.h"
#include "data/synthetic.h"

namespace dien::cli {

void DataFlags::add(CLI::App& app, bool training) {
  const char* g = "Data";
  app.add_option("--data", data, training ? "training samples (default: generated synthetic data)" : "samples")
      ->check(CLI::ExistingFile)
      ->group(g);
  if (!training) return;
  app.add_option("--val", val, "validation samples in the same format (default: --validation-split)")
      ->check(CLI::ExistingFile)
      ->group(g);
  app.add_option("--format", format,
                 "auto, synthetic, amazon (DIEN reference format), movielens (DeepCTR tutorial TSV) or csv "
                 "(with --spec); auto: synthetic without --data, csv with --spec, else amazon")
      ->check(CLI::IsMember({"auto", "synthetic", "amazon", "movielens", "csv"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--spec", spec, "csv: JSON column spec (docs/data.md)")->check(CLI::ExistingFile)->group(g);
  app.add_option("--validation-split", validation_split,
                 "without --val: the last fraction of the rows validates (DeepCTR/Keras semantics)")
      ->check(in_range(0.0, 0.9))
      ->capture_default_str()
      ->group(g);
  app.add_option("--maxlen", maxlen, "history length kept, most recent (default: amazon 100, others 50)")
      ->check(whole_in(0, kMaxWidth))
      ->group(g);
  app.add_option("--embedding-dim", embedding_dim, "embedding size of every table")
      ->check(whole_in(1, kMaxWidth))
      ->capture_default_str()
      ->group(g);
  app.add_option("--negative-mode", negative_mode, "aux-loss negatives: uniform or frequency")
      ->check(CLI::IsMember({"uniform", "frequency"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--data-seed", data_seed, "seed of the synthetic data and of the sampled negatives")
      ->capture_default_str()
      ->group(g);
  app.add_option("--exclude", exclude,
                 "features the model leaves out, e.g. user_id when validation users are unseen (the synthetic "
                 "default, whose validation users are the last ones; `--exclude none` keeps every feature)")
      ->group(g);
  const char* s = "Synthetic data (without --data)";
  app.add_option("--users", users, "users")->check(at_least(1))->capture_default_str()->group(s);
  app.add_option("--items", items, "items")->check(at_least(1))->capture_default_str()->group(s);
  app.add_option("--categories", categories, "categories")->check(at_least(1))->capture_default_str()->group(s);
  app.add_option("--samples-per-user", samples_per_user, "samples per user")
      ->check(at_least(1))
      ->capture_default_str()
      ->group(s);
  app.add_option("--synthetic", synthetic,
                 "KEY=VALUE: any generator option (data/synthetic.h), e.g. noise=0.5 background_categories=4")
      ->group(s);
}

void apply_synthetic_overrides(data::SyntheticOptions& o, const std::vector<std::string>& kv) {
  for (const auto& e : kv) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0) fail("dien", "--synthetic expects KEY=VALUE, got '", e, "'");
    o.set(e.substr(0, eq), e.substr(eq + 1));
  }
}

namespace {

std::string resolve_format(const DataFlags& f) {
  if (f.format != "auto") return f.format;
  if (f.data.empty()) return "synthetic";
  if (!f.spec.empty()) return "csv";
  return "amazon";
}


// Vocabularies that map the synthetic ids written by `dien gen-data` ("1".."n") to themselves.
data::AmazonVocabularies identity_vocabularies(const data::SyntheticOptions& o,
                                               const std::vector<int64_t>& item_category) {
  auto range = [](int64_t n, const std::string& name) {
    std::vector<std::string> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::to_string(i + 1);
    data::Vocabulary voc(v);
    voc.name = name;
    return voc;
  };
  data::AmazonVocabularies a;
  a.user = range(o.users, "user_id");
  a.item = range(o.items, "item_id");
  a.category = range(o.categories, "cate_id");
  a.item_category = item_category;
  a.item_count.assign(item_category.size(), 1);
  return a;
}

std::pair<data::Dataset, data::Dataset> split_last(const data::Dataset& all, double fraction) {
  const int64_t n = all.rows();
  const int64_t n_val = static_cast<int64_t>(static_cast<double>(n) * fraction);
  std::vector<int64_t> tr(static_cast<size_t>(n - n_val)), va(static_cast<size_t>(n_val));
  std::iota(tr.begin(), tr.end(), 0);
  std::iota(va.begin(), va.end(), n - n_val);
  return {all.subset(tr), all.subset(va)};
}

// What the first lines of a text file look like, for hints about its format.
struct Sniff {
  size_t tab_columns = 0;    // tab-separated fields of the first line
  bool commas = false;       // the first line has a ',' and no tab
  int64_t comma_histories = 0;  // lines whose 6-column history fields hold ',' and no \x02
  bool x02 = false;          // some history field holds \x02
};

Sniff sniff(const std::string& path) {
  Sniff s;
  std::string line;
  try {
    data::LineReader in(path, "dien");
    for (int n = 0; n < 1000 && in.next(line); ++n) {
      std::vector<std::string> f;
      size_t start = 0;
      for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
        f.push_back(line.substr(start, tab - start));
      f.push_back(line.substr(start));
      if (n == 0) {
        s.tab_columns = f.size();
        s.commas = f.size() == 1 && line.find(',') != std::string::npos;
      }
      if (f.size() != 6) continue;
      for (size_t c = 4; c < 6; ++c)
        if (f[c].find('\x02') != std::string::npos) s.x02 = true;
      if ((f[4].find(',') != std::string::npos || f[5].find(',') != std::string::npos) &&
          f[4].find('\x02') == std::string::npos && f[5].find('\x02') == std::string::npos)
        ++s.comma_histories;
    }
  } catch (const Error&) {
    // Only hints come from here: the reader itself reports what is wrong with the file.
  }
  return s;
}

// A hint naming the --format that `path` looks like, when it is not `format` ("" if none).
std::string format_hint(const std::string& path, const std::string& format) {
  const Sniff s = sniff(path);
  if (s.tab_columns == 8 && format != "movielens")
    return "; the first line has 8 tab-separated columns, like the MovieLens tutorial sample: add --format movielens";
  if (s.tab_columns == 6 && format != "amazon")
    return "; the first line has 6 tab-separated columns, like the DIEN Amazon format: add --format amazon";
  if (s.commas && format != "csv")
    return "; the first line is comma-separated: describe the columns in a JSON spec and add --format csv --spec "
           "SPEC.json (docs/data.md)";
  if (format == "amazon" && s.tab_columns != 6)
    return "; the DIEN Amazon format has 6 tab-separated columns (docs/data.md); other files need --format movielens "
           "or --format csv --spec SPEC.json";
  return "";
}

// Warns once per file when Amazon-format histories look comma-joined: each would be read as one id.
void warn_comma_histories(const std::string& path) {
  const Sniff s = sniff(path);
  if (s.comma_histories == 0 || s.x02) return;
  std::fprintf(stderr,
               "dien: warning: %s: the history columns (5 and 6) hold ',' but no \\x02 separator (%lld lines "
               "seen), so each history is read as ONE id. The DIEN format joins history ids with the byte \\x02 "
               "(docs/data.md); convert with: awk -F'\\t' -v OFS='\\t' '{gsub(\",\", \"\\002\", $5); "
               "gsub(\",\", \"\\002\", $6)} 1' %s > fixed.txt\n",
               path.c_str(), static_cast<long long>(s.comma_histories), path.c_str());
}

// get<uint64_t>() would read -1 as 2^64 - 1.
uint64_t slot_seed(const nlohmann::json& slot) {
  const nlohmann::json& s = slot.at("seed");
  if (!s.is_number_unsigned())
    fail("dien", "the data settings: key 'seed' must be a whole number >= 0, got ", json_excerpt(s));
  return s.get<uint64_t>();
}

data::NegativeMode neg_mode(const nlohmann::json& slot) {
  return data::negative_mode_from_string(slot.value("negative_mode", std::string("uniform")));
}

data::Dataset read_file(const nlohmann::json& slot, const std::string& path, nlohmann::json* vocab_out,
                        const std::string& oov, bool negatives, const std::string& task) {
  const std::string format = slot.at("format").get<std::string>();
  const data::OovPolicy policy = data::oov_policy_from_string(oov);
  if (format == "amazon") {
    warn_comma_histories(path);
    data::AmazonVocabularies voc = slot.contains("vocabularies")
                                       ? data::AmazonVocabularies::from_json(slot["vocabularies"], "checkpoint")
                                       : data::AmazonVocabularies::build(path);
    voc.set_policy(policy);
    data::AmazonOptions o;
    o.maxlen = json_integer_at(slot, "maxlen", 1, kMaxWidth, "dien", "the data settings");
    o.embedding_dim = json_integer_at(slot, "embedding_dim", 1, kMaxWidth, "dien", "the data settings");
    o.negatives = negatives;
    o.negative_mode = neg_mode(slot);
    o.seed = slot_seed(slot);
    data::LoadedData d = data::load_amazon(path, voc, o);
    const int64_t oovs = voc.user.oov_count() + voc.item.oov_count() + voc.category.oov_count();
    if (oovs > 0)
      std::fprintf(stderr, "dien: %s: %lld values outside the training vocabularies (users %lld, items %lld, "
                   "categories %lld) mapped to the unknown id\n",
                   path.c_str(), static_cast<long long>(oovs), static_cast<long long>(voc.user.oov_count()),
                   static_cast<long long>(voc.item.oov_count()), static_cast<long long>(voc.category.oov_count()));
    const auto excluded = slot.value("excluded_features", std::vector<std::string>{});
    if (voc.user.oov_count() > 0 && voc.user.oov_count() == d.dataset.rows() &&
        std::find(excluded.begin(), excluded.end(), "user_id") == excluded.end())
      std::fprintf(stderr, "dien: %s: no user of this file was seen in training, so user_id carries no signal "
                   "here; train with --exclude user_id\n", path.c_str());
    if (vocab_out) *vocab_out = voc.to_json();
    return std::move(d.dataset);
  }
  if (format == "movielens") {
    data::MovieSampleVocabularies voc = slot.contains("vocabularies")
                                            ? data::MovieSampleVocabularies::from_json(slot["vocabularies"], "checkpoint")
                                            : data::MovieSampleVocabularies::build(path);
    voc.set_policy(policy);
    data::MovieSampleOptions o;
    o.maxlen = json_integer_at(slot, "maxlen", 1, kMaxWidth, "dien", "the data settings");
    o.embedding_dim = json_integer_at(slot, "embedding_dim", 1, kMaxWidth, "dien", "the data settings");
    o.negatives = negatives;
    o.seed = slot_seed(slot);
    data::LoadedData d = data::load_movie_sample(path, voc, o);
    if (vocab_out) *vocab_out = voc.to_json();
    return std::move(d.dataset);
  }
  if (format == "csv") {
    data::CsvSpec spec = data::CsvSpec::from_json(slot.at("spec"));
    spec.oov = policy;
    spec.binary_labels = task != "regression";
    data::CsvVocabularies voc = slot.contains("vocabularies")
                                    ? data::csv_vocabularies_from_json(slot["vocabularies"])
                                    : data::build_csv_vocabularies(path, spec);
    for (auto& [k, v] : voc) v.set_policy(policy);
    data::LoadedData d = data::load_csv(path, spec, voc);
    if (vocab_out) *vocab_out = data::csv_vocabularies_to_json(voc);
    return std::move(d.dataset);
  }
  fail("dien", "unknown data format '", format, "' in the checkpoint");
}

}  // namespace

TrainingData load_training_data(const DataFlags& f, bool negatives, const std::string& task) {
  TrainingData t;
  const std::string format = resolve_format(f);
  if (format == "synthetic") {
    if (!f.data.empty()) fail("dien", "--format synthetic takes no --data");
    data::SyntheticOptions o;
    o.users = f.users;
    o.items = f.items;
    o.categories = f.categories;
    o.samples_per_user = f.samples_per_user;
    o.maxlen = f.maxlen > 0 ? f.maxlen : 50;
    o.embedding_dim = f.embedding_dim;
    o.negatives = true;  // always: the flag changes the draws (data/synthetic.h); unused columns are ignored
    o.seed = f.data_seed;
    apply_synthetic_overrides(o, f.synthetic);
    o.validate();
    data::SyntheticData d = data::make_synthetic(o);
    auto [tr, va] = split_last(d.dataset, f.validation_split);
    t.train = std::move(tr);
    t.val = std::move(va);
    const nlohmann::json syn = o.to_json();
    t.slot = {{"format", "amazon"},
              {"maxlen", o.maxlen},
              {"embedding_dim", o.embedding_dim},
              {"seed", f.data_seed},
              {"negative_mode", f.negative_mode},
              {"vocabularies", identity_vocabularies(o, d.item_category).to_json()},
              {"synthetic", syn},
              {"validation_split", f.validation_split}};
    t.description = "synthetic data (" + std::to_string(o.users) + " users, " + std::to_string(o.items) +
                    " items, " + std::to_string(o.categories) + " categories, seed " + std::to_string(o.seed) + ")";
  } else {
    if (f.data.empty()) fail("dien", "--format ", format, " needs --data FILE");
    nlohmann::json slot{{"format", format},
                        {"maxlen", f.maxlen > 0 ? f.maxlen : (format == "amazon" ? 100 : 50)},
                        {"embedding_dim", f.embedding_dim},
                        {"seed", f.data_seed},
                        {"negative_mode", f.negative_mode},
                        {"excluded_features", f.exclude}};
    if (format == "csv") {
      if (f.spec.empty()) fail("dien", "--format csv needs --spec SPEC.json");
      slot["spec"] = read_json_file_limited(f.spec, "dien --spec");
    }
    nlohmann::json voc;
    data::Dataset all;
    try {
      all = read_file(slot, f.data, &voc, "error", negatives, task);
    } catch (const Error& e) {
      throw Error(e.what() + format_hint(f.data, format));
    }
    slot["vocabularies"] = voc;
    if (!f.val.empty()) {
      t.train = std::move(all);
      t.val = read_file(slot, f.val, nullptr, "bucket", negatives, task);
    } else {
      auto [tr, va] = split_last(all, f.validation_split);
      t.train = std::move(tr);
      t.val = std::move(va);
    }
    slot["validation_split"] = f.val.empty() ? f.validation_split : 0.0;
    if (t.val.rows() == 0 && f.val.empty() && f.validation_split > 0)
      std::fprintf(stderr,
                   "dien: warning: no validation samples: --validation-split %g of %lld rows rounds to 0, so no "
                   "val_auc is measured and best/ is just the last epoch; give --val FILE or more rows\n",
                   f.validation_split, static_cast<long long>(t.train.rows()));
    t.slot = slot;
    t.description = format + " data from " + f.data;
  }
  // Synthetic validation users are the last users, never seen in training: their user_id
  // embeddings would be untrained noise, so the model leaves user_id out unless told otherwise.
  t.exclude = f.exclude.empty() && format == "synthetic" ? std::vector<std::string>{"user_id"} : f.exclude;
  std::erase(t.exclude, std::string("none"));
  t.slot["excluded_features"] = t.exclude;
  return t;
}

data::Dataset load_like_training(const nlohmann::json& slot, const std::string& path, const std::string& oov,
                                 bool negatives, const std::string& task) {
  return read_file(slot, path, nullptr, oov, negatives, task);
}

data::Dataset synthetic_validation(const nlohmann::json& slot) {
  if (!slot.contains("synthetic"))
    fail("dien", "this model was not trained on synthetic data: give the samples with --data FILE");
  data::SyntheticData d = data::make_synthetic(data::SyntheticOptions::from_json(slot["synthetic"]));
  return split_last(d.dataset, slot.value("validation_split", 0.2)).second;
}

FeatureConfig model_features(const FeatureConfig& data_features, const ModelOptions& options,
                             const std::vector<std::string>& exclude) {
  const bool keep_neg = options.kind == "dien" && options.use_negsampling;
  auto excluded = [&](const std::string& name) {
    for (const auto& e : exclude)
      if (name == e || name == "hist_" + e || name == "neg_hist_" + e) return true;
    return !keep_neg && name.rfind("neg_hist_", 0) == 0;
  };
  for (const auto& e : exclude) (void)data_features.at(e);  // an unknown name throws, listing the features
  FeatureConfig fc;
  for (const auto& f : data_features.features)
    if (!excluded(f.name)) fc.features.push_back(f);
  for (const auto& h : data_features.history_features)
    if (!excluded(h)) fc.history_features.push_back(h);
  fc.group = excluded(data_features.group) ? "" : data_features.group;
  if (keep_neg && !fc.has_negatives())
    fail("dien", "DIEN with negative sampling needs neg_hist_* features; this data has none (use --negsampling false)");
  fc.validate();
  return fc;
}

}  // namespace dien::cli
