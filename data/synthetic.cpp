// SPDX-License-Identifier: MIT
#include "data/synthetic.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/checked.h"
#include "core/error.h"
#include "core/json_limits.h"
#include "core/rng.h"
#include "data/neg_sampler.h"
#include "data/rows.h"

namespace dien::data {
namespace {

double normal(Generator& g) {
  const double u1 = std::max(g.uniform01(), 1e-300), u2 = g.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

int64_t wrap(int64_t c, int64_t n) { return ((c % n) + n) % n; }

// Ring distance between category c and the real position p on a ring of n categories.
double ring_distance(int64_t c, double p, int64_t n) {
  double x = std::fmod(static_cast<double>(c) - p, static_cast<double>(n));
  if (x < 0) x += static_cast<double>(n);
  return std::min(x, static_cast<double>(n) - x);
}

struct Catalog {
  std::vector<int64_t> category;                // item -> category (0-based both)
  std::vector<double> quality;                  // item -> latent quality
  std::vector<std::vector<int64_t>> by_cat;     // category -> items
  std::vector<std::vector<double>> cum_weight;  // category -> running sum of exp(quality)

  int64_t draw_in(int64_t cat, Generator& g) const {
    const auto& cw = cum_weight[static_cast<size_t>(cat)];
    auto it = std::upper_bound(cw.begin(), cw.end(), g.uniform01() * cw.back());
    if (it == cw.end()) --it;
    return by_cat[static_cast<size_t>(cat)][static_cast<size_t>(it - cw.begin())];
  }
};

Catalog make_catalog(const SyntheticOptions& o) {
  Generator g(mix_seed(o.seed, 0xCA7A10Full));
  Catalog c;
  c.category.resize(static_cast<size_t>(o.items));
  c.quality.resize(static_cast<size_t>(o.items));
  c.by_cat.resize(static_cast<size_t>(o.categories));
  c.cum_weight.resize(static_cast<size_t>(o.categories));
  for (int64_t i = 0; i < o.items; ++i) {
    // The first `categories` items cover every category once, so none is empty.
    const int64_t cat = i < o.categories ? i : static_cast<int64_t>(g.randint(static_cast<uint64_t>(o.categories)));
    c.category[static_cast<size_t>(i)] = cat;
    c.quality[static_cast<size_t>(i)] = normal(g);
    auto& cw = c.cum_weight[static_cast<size_t>(cat)];
    cw.push_back((cw.empty() ? 0.0 : cw.back()) + std::exp(c.quality[static_cast<size_t>(i)]));
    c.by_cat[static_cast<size_t>(cat)].push_back(i);
  }
  return c;
}

}  // namespace

void SyntheticOptions::validate() const {
  const char* op = "synthetic";
  DIEN_CHECK(users >= 1, op, "users must be >= 1, got ", users);
  DIEN_CHECK(categories >= 2, op, "categories must be >= 2, got ", categories);
  DIEN_CHECK(items >= categories, op, "items (", items, ") must be >= categories (", categories, ")");
  DIEN_CHECK(maxlen >= 1, op, "maxlen must be >= 1, got ", maxlen);
  DIEN_CHECK(samples_per_user >= 1, op, "samples_per_user must be >= 1, got ", samples_per_user);
  DIEN_CHECK(embedding_dim >= 1, op, "embedding_dim must be >= 1, got ", embedding_dim);
  DIEN_CHECK(short_user_fraction >= 0 && short_user_fraction <= 1, op, "short_user_fraction must be in [0, 1], got ",
             short_user_fraction);
  DIEN_CHECK(drift_min >= 0 && drift_max >= drift_min, op, "need 0 <= drift_min <= drift_max, got ", drift_min, ", ",
             drift_max);
  DIEN_CHECK(click_spread >= 0 && interest_width > 0, op, "click_spread must be >= 0 and interest_width > 0, got ",
             click_spread, ", ", interest_width);
  DIEN_CHECK(background_rate >= 0 && background_rate <= 1, op, "background_rate must be in [0, 1], got ",
             background_rate);
  DIEN_CHECK(target_repeat >= 0 && target_repeat <= 1 && std::isfinite(w_repeat), op,
             "target_repeat must be in [0, 1] and w_repeat finite, got ", target_repeat, ", ", w_repeat);
  DIEN_CHECK(background_categories >= 0, op, "background_categories must be >= 0, got ", background_categories);
  DIEN_CHECK(target_current >= 0 && target_history >= 0 && target_current + target_history <= 1, op,
             "target_current and target_history must be >= 0 with a sum <= 1, got ", target_current, ", ",
             target_history);
  DIEN_CHECK(noise >= 0 && std::isfinite(bias) && std::isfinite(w_current) && std::isfinite(w_background) &&
                 std::isfinite(w_quality),
             op, "noise must be >= 0 and the weights finite");
  // Sizes also come from config.json and --synthetic: bound them before the sums and products below.
  DIEN_CHECK(maxlen <= kMaxWidth && embedding_dim <= kMaxWidth, op, "maxlen and embedding_dim must be <= ", kMaxWidth,
             ", got ", maxlen, ", ", embedding_dim);
  DIEN_CHECK(users <= kMaxVocabulary && items <= kMaxVocabulary && categories <= kMaxVocabulary, op,
             "users, items and categories must be <= ", kMaxVocabulary, ", got ", users, ", ", items, ", ", categories);
  checked_numel({users, samples_per_user, maxlen}, op, "users x samples_per_user x maxlen");
  // A user's negatives exclude its clicks: leave room for them.
  DIEN_CHECK(items > maxlen + 31 + 1, op, "items (", items, ") must exceed the longest walk (maxlen + 31)");
}

// Every option by name: JSON round trip and the command line's --synthetic key=value.
#define DIEN_SYNTHETIC_FIELDS(X)                                                                        \
  X(users) X(items) X(categories) X(maxlen) X(samples_per_user) X(embedding_dim) X(short_user_fraction) \
  X(drift_min) X(drift_max) X(click_spread) X(background_rate) X(background_categories)                 \
  X(interest_width) X(bias) X(w_current) X(w_background) X(w_quality) X(noise) X(target_current)      \
  X(target_history) X(target_repeat) X(w_repeat) X(negatives) X(seed)

nlohmann::json SyntheticOptions::to_json() const {
  nlohmann::json j;
#define X(f) j[#f] = f;
  DIEN_SYNTHETIC_FIELDS(X)
#undef X
  return j;
}

SyntheticOptions SyntheticOptions::from_json(const nlohmann::json& j) {
  SyntheticOptions o;
  if (!j.is_object()) fail("synthetic", "options: expected a JSON object, got ", json_excerpt(j));
  for (auto it = j.begin(); it != j.end(); ++it) o.set(it.key(), it.value().dump());
  o.validate();
  return o;
}

namespace {
// Integers must be whole numbers in range: get<int64_t>() truncates 2.5 and wraps 2^64 - 1.
template <class T>
void assign(const nlohmann::json& v, T& f, const std::string& key) {
  if constexpr (std::is_same_v<T, bool> || std::is_floating_point_v<T>) {
    f = v.get<T>();
  } else if constexpr (std::is_signed_v<T>) {
    f = json_integer(v, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), "synthetic", "option " + key);
  } else {
    if (!v.is_number_unsigned())
      fail("synthetic", "option ", key, " must be a whole number >= 0, got ", json_excerpt(v));
    f = v.get<T>();
  }
}
}  // namespace

void SyntheticOptions::set(const std::string& key, const std::string& value) {
  nlohmann::json v;
  try {
    v = parse_json_limited(value, "option " + key, "synthetic");
  } catch (const Error&) {
    fail("synthetic", "option ", key, ": '", value.substr(0, 80), value.size() > 80 ? "...'" : "'",
         " is not a number or true/false");
  }
  bool found = false;
#define X(f)                                                                         \
  if (key == #f) {                                                                   \
    try {                                                                            \
      assign(v, f, key);                                                             \
    } catch (const nlohmann::json::exception&) {                                     \
      fail("synthetic", "option ", key, ": '", value, "' has the wrong type");      \
    }                                                                                \
    found = true;                                                                    \
  }
  DIEN_SYNTHETIC_FIELDS(X)
#undef X
  if (!found) {
    std::string known;
#define X(f) known += std::string(known.empty() ? "" : ", ") + #f;
    DIEN_SYNTHETIC_FIELDS(X)
#undef X
    fail("synthetic", "unknown option '", key, "' (options: ", known, ")");
  }
}

FeatureConfig synthetic_features(const SyntheticOptions& o) {
  const int64_t d = o.embedding_dim, L = o.maxlen;
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", o.users + 1, d), FeatureSpec::sparse("item_id", o.items + 1, d),
                 FeatureSpec::sparse("cate_id", o.categories + 1, d),
                 FeatureSpec::varlen("hist_item_id", o.items + 1, d, L, "seq_length", "item_id"),
                 FeatureSpec::varlen("hist_cate_id", o.categories + 1, d, L, "seq_length", "cate_id")};
  if (o.negatives) {
    fc.features.push_back(FeatureSpec::varlen("neg_hist_item_id", o.items + 1, d, L, "seq_length", "item_id"));
    fc.features.push_back(FeatureSpec::varlen("neg_hist_cate_id", o.categories + 1, d, L, "seq_length", "cate_id"));
  }
  fc.history_features = {"item_id", "cate_id"};
  fc.group = "user_id";
  fc.validate();
  return fc;
}

SyntheticData make_synthetic(const SyntheticOptions& o) {
  o.validate();
  SyntheticData out;
  out.features = synthetic_features(o);
  out.dataset = Dataset::empty(out.features);
  Dataset& ds = out.dataset;
  const Catalog cat = make_catalog(o);
  const int64_t C = o.categories, L = o.maxlen;

  // Samplers work on 1-based ids.
  out.item_category.assign(static_cast<size_t>(o.items + 1), 0);
  for (int64_t i = 0; i < o.items; ++i) out.item_category[static_cast<size_t>(i + 1)] = cat.category[static_cast<size_t>(i)] + 1;
  const NegativeSampler sampler(out.item_category);

  std::vector<int64_t> clicks, click_cats, hist_items, hist_cats, neg_items(static_cast<size_t>(L)),
      neg_cats(static_cast<size_t>(L));
  std::vector<double> pos;
  for (int64_t u = 0; u < o.users; ++u) {
    Generator g(mix_seed(o.seed, static_cast<uint64_t>(u) + 1));
    // ---- the user's walk --------------------------------------------------------------
    const bool short_user = g.uniform01() < o.short_user_fraction;
    const int64_t T = short_user ? static_cast<int64_t>(g.randint(6)) : 15 + static_cast<int64_t>(g.randint(static_cast<uint64_t>(L + 16)));
    const double dir = g.uniform01() < 0.5 ? -1.0 : 1.0;
    const double speed = o.drift_min + (o.drift_max - o.drift_min) * g.uniform01();
    // K distinct background categories (partial Fisher-Yates over the categories).
    std::vector<int64_t> bg(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) bg[static_cast<size_t>(c)] = c;
    const int64_t K = std::min(o.background_categories, C);
    for (int64_t k = 0; k < K; ++k)
      std::swap(bg[static_cast<size_t>(k)], bg[static_cast<size_t>(k + static_cast<int64_t>(g.randint(static_cast<uint64_t>(C - k))))]);
    bg.resize(static_cast<size_t>(K));
    auto in_background = [&](int64_t c) { return std::find(bg.begin(), bg.end(), c) != bg.end(); };
    pos.assign(static_cast<size_t>(T + 1), 0.0);
    pos[0] = g.uniform01() * static_cast<double>(C);
    for (int64_t s = 0; s < T; ++s) pos[static_cast<size_t>(s + 1)] = pos[static_cast<size_t>(s)] + dir * speed * (0.5 + g.uniform01());
    clicks.clear();
    click_cats.clear();
    for (int64_t s = 0; s < T; ++s) {
      int64_t c;
      if (K > 0 && g.uniform01() < o.background_rate) {
        c = bg[static_cast<size_t>(g.randint(static_cast<uint64_t>(K)))];
      } else {
        c = wrap(static_cast<int64_t>(std::lround(pos[static_cast<size_t>(s)] + o.click_spread * normal(g))), C);
      }
      clicks.push_back(cat.draw_in(c, g));
      click_cats.push_back(c);
    }
    // ---- samples at positions t of the walk ----------------------------------------------
    for (int64_t k = 0; k < o.samples_per_user; ++k) {
      const int64_t lo = T <= 5 ? 0 : T / 2;
      const int64_t t = lo + static_cast<int64_t>(g.randint(static_cast<uint64_t>(T - lo + 1)));
      const int64_t begin = std::max<int64_t>(0, t - L), len = t - begin;
      const double now = pos[static_cast<size_t>(t)];
      int64_t target_cat;
      const double r = g.uniform01();
      int64_t repeat_item = -1;
      if (len > 0 && g.uniform01() < o.target_repeat)
        repeat_item = clicks[static_cast<size_t>(begin + static_cast<int64_t>(g.randint(static_cast<uint64_t>(len))))];
      if (repeat_item >= 0) {
        target_cat = cat.category[static_cast<size_t>(repeat_item)];
      } else if (r < o.target_current) {
        target_cat = wrap(static_cast<int64_t>(std::lround(now + o.click_spread * normal(g))), C);
      } else if (r < o.target_current + o.target_history && t > 0) {
        target_cat = click_cats[static_cast<size_t>(begin + static_cast<int64_t>(g.randint(static_cast<uint64_t>(len))))];
      } else {
        target_cat = -1;
      }
      const int64_t item = repeat_item >= 0  ? repeat_item
                           : target_cat >= 0 ? cat.draw_in(target_cat, g)
                                             : static_cast<int64_t>(g.randint(static_cast<uint64_t>(o.items)));
      bool seen = false;  // the exact item is in the visible history (a re-consumption)
      for (int64_t s = begin; s < t && !seen; ++s) seen = clicks[static_cast<size_t>(s)] == item;
      target_cat = cat.category[static_cast<size_t>(item)];
      const double d = ring_distance(target_cat, now, C);
      const double logit = o.bias + o.w_current * std::exp(-d * d / (2 * o.interest_width * o.interest_width)) +
                           o.w_background * (in_background(target_cat) ? 1.0 : 0.0) + o.w_repeat * (seen ? 1.0 : 0.0) +
                           o.w_quality * cat.quality[static_cast<size_t>(item)] + o.noise * normal(g);
      const double p = 1.0 / (1.0 + std::exp(-logit));
      const float label = g.uniform01() < p ? 1.0f : 0.0f;

      hist_items.clear();
      hist_cats.clear();
      for (int64_t s = begin; s < t; ++s) {
        hist_items.push_back(clicks[static_cast<size_t>(s)] + 1);
        hist_cats.push_back(click_cats[static_cast<size_t>(s)] + 1);
      }
      push_sparse(ds, "user_id", u + 1);
      push_sparse(ds, "item_id", item + 1);
      push_sparse(ds, "cate_id", target_cat + 1);
      push_varlen(ds, "hist_item_id", hist_items.data(), len);
      push_varlen(ds, "hist_cate_id", hist_cats.data(), len);
      push_sparse(ds, "seq_length", len);
      if (o.negatives) {
        // Exclude every item clicked up to t, not only the visible window.
        std::vector<int64_t> before;
        for (int64_t s = 0; s < begin; ++s) before.push_back(clicks[static_cast<size_t>(s)] + 1);
        sampler.sample(hist_items.data(), len, g, neg_items.data(), neg_cats.data(), before);
        push_varlen(ds, "neg_hist_item_id", neg_items.data(), len);
        push_varlen(ds, "neg_hist_cate_id", neg_cats.data(), len);
      }
      ds.labels.push_back(label);
      ds.groups.push_back(u + 1);
      out.true_probability.push_back(p);
    }
  }
  ds.check_consistent();
  return out;
}

}  // namespace dien::data
