// SPDX-License-Identifier: MIT
#include "data/amazon_format.h"

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

constexpr const char* kOp = "read_amazon";
constexpr char kSep = '\x02';
const char* const kNames[6] = {"label", "user", "item", "category", "item_history", "category_history"};

Place at(const LineReader& in, int64_t col) { return Place{in.path(), in.line_no(), col, kNames[col - 1]}; }

// Splits the two history fields; checks they have the same number of non-empty UTF-8 values.
void split_histories(const LineReader& in, std::string_view items, std::string_view cats,
                     std::vector<std::string_view>& hi, std::vector<std::string_view>& hc) {
  hi = items.empty() ? std::vector<std::string_view>{} : split(items, kSep);
  hc = cats.empty() ? std::vector<std::string_view>{} : split(cats, kSep);
  if (hi.size() != hc.size())
    fail(kOp, describe(at(in, 6)), ": the item history has ", hi.size(), " values but the category history has ",
         hc.size());
  for (size_t i = 0; i < hi.size(); ++i) {
    if (hi[i].empty()) fail(kOp, describe(at(in, 5)), ": empty value at history position ", i + 1);
    if (hc[i].empty()) fail(kOp, describe(at(in, 6)), ": empty value at history position ", i + 1);
    if (!invalid_utf8_at(hi[i]) && !invalid_utf8_at(hc[i])) continue;  // the place only for a message
    for (int64_t c : {5, 6}) {
      Place p = at(in, c);
      p.name.append("[").append(std::to_string(i + 1)).append("]");
      check_utf8(c == 5 ? hi[i] : hc[i], kOp, p);
    }
  }
}

// The 6 fields; the user, item and category must be valid UTF-8 (they end up in JSON).
std::vector<std::string_view> fields_of(const LineReader& in, const std::string& line) {
  auto f = split(line, '\t');
  check_columns(f, 6, kOp, Place{in.path(), in.line_no(), 0, ""});
  for (int c = 2; c <= 4; ++c) check_utf8(f[static_cast<size_t>(c - 1)], kOp, at(in, c));
  return f;
}

float label_of(const LineReader& in, std::string_view s) { return parse_label(s, /*binary=*/true, kOp, at(in, 1)); }

}  // namespace

AmazonVocabularies AmazonVocabularies::build(const std::string& path) {
  LineReader in(path, kOp);
  VocabularyBuilder users, items, cats;
  std::vector<std::pair<std::string, std::string>> item_cat_pairs;
  std::string line;
  std::vector<std::string_view> hi, hc;
  while (in.next(line)) {
    auto f = fields_of(in, line);
    label_of(in, f[0]);
    for (int c = 1; c <= 3; ++c)
      if (f[static_cast<size_t>(c)].empty()) fail(kOp, describe(at(in, c + 1)), ": empty value");
    split_histories(in, f[4], f[5], hi, hc);
    users.add(f[1]);
    items.add(f[2]);
    cats.add(f[3]);
    item_cat_pairs.emplace_back(std::string(f[2]), std::string(f[3]));
    for (size_t i = 0; i < hi.size(); ++i) {
      items.add(hi[i]);
      cats.add(hc[i]);
      item_cat_pairs.emplace_back(std::string(hi[i]), std::string(hc[i]));
    }
  }
  in.require_nonempty();
  AmazonVocabularies v;
  v.user = users.build(1, "user");
  v.item = items.build(1, "item");
  v.category = cats.build(1, "category");
  v.item_category.assign(static_cast<size_t>(v.item.num_values() + 1), -1);
  for (const auto& [it, c] : item_cat_pairs) {
    int64_t& slot = v.item_category[static_cast<size_t>(*v.item.find(it))];
    if (slot < 0) slot = *v.category.find(c);  // the first category seen for the item
  }
  v.item_category[0] = 0;
  v.item_count.assign(static_cast<size_t>(v.item.num_values() + 1), 0);
  for (int64_t id = 1; id <= v.item.num_values(); ++id) v.item_count[static_cast<size_t>(id)] = v.item.count(id);
  return v;
}

void AmazonVocabularies::set_policy(OovPolicy p) {
  user.set_policy(p);
  item.set_policy(p);
  category.set_policy(p);
}

nlohmann::json AmazonVocabularies::to_json() const {
  return nlohmann::json{{"user", user.to_json()},
                        {"item", item.to_json()},
                        {"category", category.to_json()},
                        {"item_category", item_category}};
}

void AmazonVocabularies::save(const std::string& path) const {
  const nlohmann::json j = to_json();
  write_atomically(path, [&](std::ostream& os) { os << j.dump() << "\n"; });
}

AmazonVocabularies AmazonVocabularies::from_json(const nlohmann::json& j, const std::string& where) {
  AmazonVocabularies v;
  try {
    for (const char* k : {"user", "item", "category", "item_category"})
      if (!j.contains(k)) fail("amazon_vocabularies", where, ": missing key '", k, "'");
    v.user = Vocabulary::from_json(j["user"]);
    v.item = Vocabulary::from_json(j["item"]);
    v.category = Vocabulary::from_json(j["category"]);
    // Category ids index the category table: whole numbers in [0, categories], or -1 for an item
    // seen only in histories (no category known; see build()).
    const nlohmann::json& ic = j["item_category"];
    if (!ic.is_array()) fail("amazon_vocabularies", where, ": item_category is not an array");
    for (size_t i = 0; i < ic.size(); ++i)
      v.item_category.push_back(json_integer(ic[i], -1, v.category.num_values(), "amazon_vocabularies",
                                             where + ": item_category[" + std::to_string(i) + "]"));
  } catch (const nlohmann::json::exception& e) {
    fail("amazon_vocabularies", where, ": invalid JSON: ", e.what());
  }
  if (static_cast<int64_t>(v.item_category.size()) != v.item.num_values() + 1)
    fail("amazon_vocabularies", where, ": item_category has ", v.item_category.size(), " entries for ",
         v.item.num_values(), " items (expected ", v.item.num_values() + 1, ")");
  v.item_count.assign(static_cast<size_t>(v.item.num_values() + 1), 0);
  for (int64_t id = 1; id <= v.item.num_values(); ++id) v.item_count[static_cast<size_t>(id)] = v.item.count(id);
  return v;
}

AmazonVocabularies AmazonVocabularies::load(const std::string& path) {
  return from_json(read_json_file(path, "amazon_vocabularies"), "'" + path + "'");
}

FeatureConfig amazon_features(const AmazonVocabularies& v, const AmazonOptions& o) {
  DIEN_CHECK(o.maxlen >= 1, kOp, "maxlen must be >= 1, got ", o.maxlen);
  DIEN_CHECK(o.chunk_rows >= 1, kOp, "chunk_rows must be >= 1, got ", o.chunk_rows);
  const int64_t d = o.embedding_dim, L = o.maxlen;
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", v.user.size(), d), FeatureSpec::sparse("item_id", v.item.size(), d),
                 FeatureSpec::sparse("cate_id", v.category.size(), d),
                 FeatureSpec::varlen("hist_item_id", v.item.size(), d, L, "seq_length", "item_id"),
                 FeatureSpec::varlen("hist_cate_id", v.category.size(), d, L, "seq_length", "cate_id")};
  if (o.negatives) {
    fc.features.push_back(FeatureSpec::varlen("neg_hist_item_id", v.item.size(), d, L, "seq_length", "item_id"));
    fc.features.push_back(FeatureSpec::varlen("neg_hist_cate_id", v.category.size(), d, L, "seq_length", "cate_id"));
  }
  fc.history_features = {"item_id", "cate_id"};
  fc.group = "user_id";
  fc.validate();
  return fc;
}

void read_amazon(const std::string& path, AmazonVocabularies& v, const AmazonOptions& o, const ChunkCallback& on_chunk) {
  const FeatureConfig fc = amazon_features(v, o);
  std::vector<int64_t> item_cat = v.item_category;
  for (auto& c : item_cat)
    if (c < 0) c = v.category.oov_id();
  NegativeSampler sampler;
  if (o.negatives) {
    std::vector<double> w(v.item_count.begin(), v.item_count.end());
    sampler = NegativeSampler(item_cat, o.negative_mode, o.negative_mode == NegativeMode::Frequency ? w : std::vector<double>{});
  }
  LineReader in(path, kOp);
  Dataset ds = Dataset::empty(fc);
  std::string line;
  std::vector<std::string_view> hi, hc;
  std::vector<int64_t> items, cats, dropped;
  int64_t row = 0;
  while (in.next(line)) {
    auto f = fields_of(in, line);
    const float label = label_of(in, f[0]);
    const int64_t user = v.user.lookup(f[1], at(in, 2), kOp);
    const int64_t item = v.item.lookup(f[2], at(in, 3), kOp);
    const int64_t cate = v.category.lookup(f[3], at(in, 4), kOp);
    split_histories(in, f[4], f[5], hi, hc);
    // Every value is checked; the steps before the most recent maxlen are dropped but still
    // excluded from the negatives (the user did click them).
    const size_t begin = hi.size() > static_cast<size_t>(o.maxlen) ? hi.size() - static_cast<size_t>(o.maxlen) : 0;
    items.clear();
    cats.clear();
    dropped.clear();
    for (size_t i = 0; i < hi.size(); ++i) {
      const int64_t it = v.item.lookup(hi[i], at(in, 5), kOp), c = v.category.lookup(hc[i], at(in, 6), kOp);
      if (i < begin) {
        dropped.push_back(it);
        continue;
      }
      items.push_back(it);
      cats.push_back(c);
    }
    const int64_t len = static_cast<int64_t>(items.size());
    push_sparse(ds, "user_id", user);
    push_sparse(ds, "item_id", item);
    push_sparse(ds, "cate_id", cate);
    push_varlen(ds, "hist_item_id", items.data(), len);
    push_varlen(ds, "hist_cate_id", cats.data(), len);
    push_sparse(ds, "seq_length", len);
    if (o.negatives)
      push_negatives(ds, sampler, o.seed, row, items, dropped, "neg_hist_item_id", "neg_hist_cate_id", kOp,
                     describe(Place{in.path(), in.line_no(), 5, "item_history"}));
    ds.labels.push_back(label);
    ds.groups.push_back(group_key(v.user, f[1]));
    ++row;
    flush_if_full(ds, o.chunk_rows, on_chunk);
  }
  in.require_nonempty();
  if (ds.rows() > 0) on_chunk(std::move(ds));
}

LoadedData load_amazon(const std::string& path, AmazonVocabularies& v, const AmazonOptions& o) {
  FeatureConfig fc = amazon_features(v, o);
  LoadedData out{Dataset::empty(fc), fc};
  read_amazon(path, v, o, [&](Dataset&& chunk) { out.dataset.append(chunk); });
  return out;
}

void write_amazon_line(std::ostream& os, int label, std::string_view user, std::string_view item,
                       std::string_view category, const std::vector<std::string>& hist_items,
                       const std::vector<std::string>& hist_cats) {
  DIEN_CHECK(hist_items.size() == hist_cats.size(), "write_amazon", hist_items.size(), " history items but ",
             hist_cats.size(), " history categories");
  os << label << '\t' << user << '\t' << item << '\t' << category << '\t';
  for (size_t i = 0; i < hist_items.size(); ++i) os << (i ? "\x02" : "") << hist_items[i];
  os << '\t';
  for (size_t i = 0; i < hist_cats.size(); ++i) os << (i ? "\x02" : "") << hist_cats[i];
  os << '\n';
}

void write_amazon(const std::string& path, const Dataset& ds) {
  const char* op = "write_amazon";
  auto col = [&](const char* name) -> const Column& {
    auto it = ds.columns.find(name);
    if (it == ds.columns.end()) fail(op, "the dataset has no column '", name, "'");
    return it->second;
  };
  const Column &user = col("user_id"), &item = col("item_id"), &cate = col("cate_id"), &hi = col("hist_item_id"),
               &hc = col("hist_cate_id"), &len = col("seq_length");
  ds.check_consistent();
  write_atomically(path, [&](std::ostream& os) {
    std::vector<std::string> items, cats;
    for (int64_t r = 0; r < ds.rows(); ++r) {
      const float y = ds.labels[static_cast<size_t>(r)];
      if (y != 0.0f && y != 1.0f) fail(op, "row ", r, ": label ", y, " is not 0 or 1");
      const int64_t n = len.ids[static_cast<size_t>(r)];
      items.clear();
      cats.clear();
      for (int64_t t = 0; t < n; ++t) {
        items.push_back(std::to_string(hi.ids[static_cast<size_t>(r * hi.width + t)]));
        cats.push_back(std::to_string(hc.ids[static_cast<size_t>(r * hc.width + t)]));
      }
      write_amazon_line(os, static_cast<int>(y), std::to_string(user.ids[static_cast<size_t>(r)]),
                        std::to_string(item.ids[static_cast<size_t>(r)]), std::to_string(cate.ids[static_cast<size_t>(r)]),
                        items, cats);
    }
  });
}

}  // namespace dien::data
