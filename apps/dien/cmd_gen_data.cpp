// SPDX-License-Identifier: MIT
// `dien gen-data`: writes the synthetic samples (the default data of `dien train`) in the DIEN
// Amazon format, split into a training and a test file.
#include <cstdio>
#include <memory>
#include <numeric>

#include "apps/dien/checks.h"
#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "data/amazon_format.h"
#include "data/synthetic.h"

namespace dien::cli {

namespace {

struct GenArgs {
  data::SyntheticOptions o;
  std::string out = "synthetic_train.txt", test_out = "synthetic_test.txt";
  double test_fraction = 0.2;
  std::vector<std::string> synthetic;
};

void run_gen(GenArgs a) {
  apply_synthetic_overrides(a.o, a.synthetic);
  a.o.validate();
  data::SyntheticData d = data::make_synthetic(a.o);
  const int64_t n = d.dataset.rows();
  const int64_t n_test = a.test_out.empty() ? 0 : static_cast<int64_t>(static_cast<double>(n) * a.test_fraction);
  std::vector<int64_t> tr(static_cast<size_t>(n - n_test)), te(static_cast<size_t>(n_test));
  std::iota(tr.begin(), tr.end(), 0);
  std::iota(te.begin(), te.end(), n - n_test);
  data::write_amazon(a.out, d.dataset.subset(tr));
  std::printf("wrote %lld samples to %s\n", static_cast<long long>(n - n_test), a.out.c_str());
  if (n_test > 0) {
    data::write_amazon(a.test_out, d.dataset.subset(te));
    std::printf("wrote %lld samples to %s\n", static_cast<long long>(n_test), a.test_out.c_str());
  }
  double pos = 0;
  for (float y : d.dataset.labels) pos += y;
  // The test (or validation-split) rows belong to the last users, never seen in training: their
  // user_id embeddings would be untrained, so the suggested command leaves user_id out, as
  // `dien train` does by itself on synthetic data.
  std::printf("%lld users, %lld items, %lld categories, %.1f%% positive; train with: dien train --data %s%s%s "
              "--exclude user_id\n",
              static_cast<long long>(a.o.users), static_cast<long long>(a.o.items),
              static_cast<long long>(a.o.categories), 100.0 * pos / static_cast<double>(std::max<int64_t>(n, 1)),
              a.out.c_str(), n_test > 0 ? " --val " : "", n_test > 0 ? a.test_out.c_str() : "");
}

}  // namespace

void add_gen_data(CLI::App& app) {
  auto a = std::make_shared<GenArgs>();
  a->o.seed = 1234;  // the default --data-seed of `dien train`, so both see the same samples
  CLI::App* sub = app.add_subcommand(
      "gen-data",
      "Write synthetic samples (users whose interests drift along a ring of categories; docs/data.md) in the "
      "DIEN Amazon format: label, user, item, category, item history, category history.");
  sub->add_option("--out", a->out, "training samples file")->capture_default_str();
  sub->add_option("--test-out", a->test_out, "test samples file (empty: none)")->capture_default_str();
  sub->add_option("--test-fraction", a->test_fraction, "share of the samples (the last users) in the test file")
      ->check(in_range(0.0, 0.9))
      ->capture_default_str();
  sub->add_option("--users", a->o.users, "users")->check(at_least(1))->capture_default_str();
  sub->add_option("--items", a->o.items, "items")->check(at_least(1))->capture_default_str();
  sub->add_option("--categories", a->o.categories, "categories")->check(at_least(1))->capture_default_str();
  sub->add_option("--samples-per-user", a->o.samples_per_user, "samples per user")
      ->check(at_least(1))
      ->capture_default_str();
  sub->add_option("--maxlen", a->o.maxlen, "longest history")->check(at_least(1))->capture_default_str();
  sub->add_option("--noise", a->o.noise, "label noise (std of the logit noise)")->capture_default_str();
  sub->add_option("--seed", a->o.seed, "seed")->capture_default_str();
  sub->add_option("--synthetic", a->synthetic, "KEY=VALUE: any generator option (data/synthetic.h)");
  a->o.negatives = true;  // not written (readers sample their own), but drawn so that the samples are
                          // exactly those of `dien train` on the same options
  sub->callback([a] { run_gen(*a); });
}

}  // namespace dien::cli
