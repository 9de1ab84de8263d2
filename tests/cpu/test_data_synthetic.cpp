// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/rng.h"
#include "data/amazon_format.h"
#include "data/synthetic.h"
#include "data_files.h"
#include "models/metrics.h"
#include "support/test_util.h"

using namespace dien::data;
using dien::test::require_error;

namespace {
SyntheticOptions small() {
  SyntheticOptions o;
  o.users = 1500;
  o.items = 800;
  o.samples_per_user = 8;
  return o;
}

// Share of history steps [from, len) whose category is within ring distance 1 of the target's.
double near_share(const Dataset& ds, int64_t r, int64_t from_end, int64_t C, bool shuffled, dien::Generator& g) {
  const Column& hc = ds.columns.at("hist_cate_id");
  const int64_t len = ds.columns.at("seq_length").ids[static_cast<size_t>(r)];
  const int64_t tc = ds.columns.at("cate_id").ids[static_cast<size_t>(r)] - 1;
  std::vector<int64_t> h(hc.ids.begin() + r * hc.width, hc.ids.begin() + r * hc.width + len);
  if (shuffled)
    for (size_t i = h.size(); i > 1; --i) std::swap(h[i - 1], h[g.randint(i)]);
  const int64_t from = from_end > 0 ? std::max<int64_t>(0, len - from_end) : 0;
  double near = 0;
  for (int64_t t = from; t < len; ++t) {
    const int64_t d = std::abs(h[static_cast<size_t>(t)] - 1 - tc) % C;
    near += std::min(d, C - d) <= 1 ? 1.0 : 0.0;
  }
  return len > from ? near / static_cast<double>(len - from) : 0.0;
}
}  // namespace

TEST_CASE("synthetic: columns, ids, lengths and negatives are well formed", "[data][synthetic]") {
  SyntheticOptions o = small();
  SyntheticData d = make_synthetic(o);
  const Dataset& ds = d.dataset;
  REQUIRE(ds.rows() == o.users * o.samples_per_user);
  ds.check_consistent();
  const auto& len = ds.columns.at("seq_length").ids;
  const auto& hi = ds.columns.at("hist_item_id").ids;
  const auto& ni = ds.columns.at("neg_hist_item_id").ids;
  const auto& nc = ds.columns.at("neg_hist_cate_id").ids;
  const auto& hc = ds.columns.at("hist_cate_id").ids;
  int64_t zero = 0, full = 0;
  double pos = 0;
  for (int64_t r = 0; r < ds.rows(); ++r) {
    const int64_t n = len[static_cast<size_t>(r)];
    REQUIRE(n >= 0);
    REQUIRE(n <= o.maxlen);
    zero += n == 0;
    full += n == o.maxlen;
    pos += ds.labels[static_cast<size_t>(r)];
    const auto row = [&](const std::vector<int64_t>& c, int64_t t) { return c[static_cast<size_t>(r * o.maxlen + t)]; };
    for (int64_t t = 0; t < o.maxlen; ++t) {
      if (t >= n) {
        REQUIRE(row(hi, t) == 0);
        REQUIRE(row(ni, t) == 0);
        continue;
      }
      REQUIRE(row(hi, t) >= 1);
      REQUIRE(row(hc, t) == d.item_category[static_cast<size_t>(row(hi, t))]);
      REQUIRE(row(nc, t) == d.item_category[static_cast<size_t>(row(ni, t))]);
      for (int64_t s = 0; s < n; ++s) REQUIRE(row(ni, t) != row(hi, s));
    }
  }
  REQUIRE(zero > 0);  // empty histories are legal and present
  REQUIRE(full > 0);
  const double rate = pos / static_cast<double>(ds.rows());
  REQUIRE(rate > 0.2);
  REQUIRE(rate < 0.6);
}

TEST_CASE("synthetic: deterministic for a seed, different for another", "[data][synthetic]") {
  SyntheticOptions o = small();
  o.users = 200;
  SyntheticData a = make_synthetic(o), b = make_synthetic(o);
  REQUIRE(a.dataset.labels == b.dataset.labels);
  REQUIRE(a.dataset.columns.at("hist_item_id").ids == b.dataset.columns.at("hist_item_id").ids);
  REQUIRE(a.dataset.columns.at("neg_hist_item_id").ids == b.dataset.columns.at("neg_hist_item_id").ids);
  o.seed += 1;
  SyntheticData c = make_synthetic(o);
  REQUIRE(a.dataset.columns.at("hist_item_id").ids != c.dataset.columns.at("hist_item_id").ids);
  o.items = 60;  // walks of up to maxlen + 31 clicks need more items than that
  require_error([&] { make_synthetic(o); }, {"synthetic", "items (60)"});
}

TEST_CASE("synthetic: the label follows the ORDER of the history", "[data][synthetic]") {
  // Proxies: the share of the whole history near the target's category (what an order-blind
  // pooling sees), the share of the last 5 steps (needs the order), and the latter after
  // shuffling each history (order destroyed). Only the order-aware one should be strong.
  SyntheticOptions o = small();
  SyntheticData d = make_synthetic(o);
  const Dataset& ds = d.dataset;
  dien::Generator g(9);
  std::vector<double> y, blind, recent, shuffled, truth, same;
  for (int64_t r = 0; r < ds.rows(); ++r) {
    if (ds.columns.at("seq_length").ids[static_cast<size_t>(r)] < 20) continue;
    y.push_back(ds.labels[static_cast<size_t>(r)]);
    blind.push_back(near_share(ds, r, 0, o.categories, false, g));
    recent.push_back(near_share(ds, r, 5, o.categories, false, g));
    shuffled.push_back(near_share(ds, r, 5, o.categories, true, g));
    truth.push_back(d.true_probability[static_cast<size_t>(r)]);
    // order-blind but target-specific (what attention to the target can sum): steps with
    // exactly the target's category
    const Column& hc = ds.columns.at("hist_cate_id");
    const int64_t len = ds.columns.at("seq_length").ids[static_cast<size_t>(r)];
    const int64_t tc = ds.columns.at("cate_id").ids[static_cast<size_t>(r)];
    same.push_back(static_cast<double>(std::count(hc.ids.begin() + r * hc.width, hc.ids.begin() + r * hc.width + len, tc)));
  }
  const double a_blind = dien::metrics::roc_auc(y, blind), a_recent = dien::metrics::roc_auc(y, recent),
               a_shuf = dien::metrics::roc_auc(y, shuffled), a_true = dien::metrics::roc_auc(y, truth),
               a_same = dien::metrics::roc_auc(y, same);
  INFO("AUC same-category count " << a_same << ", blind " << a_blind << " recent " << a_recent << " shuffled " << a_shuf << " truth " << a_true);
  REQUIRE(a_same > 0.52);  // an order-blind, target-specific signal (background interests): DIN > base
  REQUIRE(a_recent > a_same + 0.05);  // the order still carries the most
  REQUIRE(a_recent > a_blind + 0.1);
  REQUIRE(a_recent > a_shuf + 0.05);
  REQUIRE(a_true > a_recent);
}

TEST_CASE("synthetic: written in the Amazon format and read back", "[data][synthetic]") {
  dien::test::TempDir dir;
  SyntheticOptions o = small();
  o.users = 100;
  SyntheticData d = make_synthetic(o);
  write_amazon(dir.file("syn.txt"), d.dataset);
  AmazonVocabularies v = AmazonVocabularies::build(dir.file("syn.txt"));
  AmazonOptions ao;
  ao.maxlen = o.maxlen;
  LoadedData back = load_amazon(dir.file("syn.txt"), v, ao);
  REQUIRE(back.dataset.rows() == d.dataset.rows());
  REQUIRE(back.dataset.labels == d.dataset.labels);
  REQUIRE(back.dataset.columns.at("seq_length").ids == d.dataset.columns.at("seq_length").ids);
  // ids are renumbered by the vocabulary; map them back to the written strings
  const auto& hi = back.dataset.columns.at("hist_item_id").ids;
  const auto& orig = d.dataset.columns.at("hist_item_id").ids;
  for (size_t i = 0; i < hi.size(); ++i)
    REQUIRE((hi[i] == 0 ? int64_t{0} : std::stoll(v.item.value(hi[i]))) == orig[i]);
}
