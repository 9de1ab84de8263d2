// SPDX-License-Identifier: MIT
#include "data/prepare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <sstream>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/json_limits.h"
#include "core/rng.h"
#include "data/amazon_format.h"
#include "data/neg_sampler.h"
#include "data/parse_values.h"
#include "data/text_io.h"

namespace dien::data {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
// Numeric ids numerically, others as text.
bool item_less(const std::string& a, const std::string& b) {
  if (all_digits(a) && all_digits(b) && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

struct Event {
  double time;
  std::string item;
};

// Groups events per user (first appearance order) and sorts them by (time, item).
UserSequences finish(std::vector<std::string>& users, std::vector<std::vector<Event>>& events,
                     std::unordered_map<std::string, std::string>&& item_category) {
  UserSequences s;
  s.users = std::move(users);
  s.item_category = std::move(item_category);
  for (auto& ev : events) {
    std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) {
      if (a.time != b.time) return a.time < b.time;
      return item_less(a.item, b.item);
    });
    std::vector<std::string> items;
    for (auto& e : ev) items.push_back(std::move(e.item));
    s.items.push_back(std::move(items));
  }
  return s;
}

// Splits one CSV line honouring double quotes ("a,b" and "" inside quotes).
std::vector<std::string> split_quoted(const std::string& line, char sep) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

size_t column_index(const std::string& spec, const std::vector<std::string>& header, const char* op,
                    const std::string& path, const char* role) {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == spec) return i;
  if (all_digits(spec) && spec.find_first_not_of('0') != std::string::npos) {
    // A number beyond the header's columns would index past the header; a number of more than
    // 9 digits cannot be a column and would overflow stoll.
    const size_t n = spec.size() > 9 ? SIZE_MAX : static_cast<size_t>(std::stoll(spec));
    if (!header.empty() && n > header.size())
      fail(op, "'", path, "': --", role, "-column ", spec, " is beyond the ", header.size(),
           " columns of the header");
    if (n > 1'000'000'000) fail(op, "'", path, "': --", role, "-column ", spec, " is not a column number");
    return n - 1;
  }
  std::string names;
  for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
  fail(op, "'", path, "': no column '", spec, "' for the ", role, " (columns: ", names, ")");
}

}  // namespace

int64_t UserSequences::interactions() const {
  int64_t n = 0;
  for (const auto& v : items) n += static_cast<int64_t>(v.size());
  return n;
}

UserSequences read_interaction_log(const LogOptions& o) {
  const char* op = "read_interaction_log";
  LineReader in(o.path, op);
  std::string line;
  std::vector<std::string> header;
  if (o.header) {
    if (!in.next(line)) in.require_nonempty();
    header = split_quoted(line, o.delimiter);
  }
  const size_t cu = column_index(o.user, header, op, o.path, "user"), ci = column_index(o.item, header, op, o.path, "item"),
               cc = column_index(o.category, header, op, o.path, "category"),
               ct = column_index(o.time, header, op, o.path, "time");
  const size_t need = std::max({cu, ci, cc, ct}) + 1;
  std::unordered_map<std::string, size_t> user_slot;
  std::vector<std::string> users;
  std::vector<std::vector<Event>> events;
  std::unordered_map<std::string, std::string> item_category;
  int64_t rows = 0;
  while (in.next(line)) {
    auto f = split_quoted(line, o.delimiter);
    if (f.size() < need)
      fail(op, describe(Place{o.path, in.line_no(), 0, ""}), ": malformed line: expected at least ", need,
           " columns, got ", f.size());
    auto place = [&](size_t c, const char* role) {
      return Place{o.path, in.line_no(), static_cast<int64_t>(c + 1), header.empty() ? std::string(role) : header[c]};
    };
    const double t = parse_float(f[ct], op, place(ct, "time"));
    for (auto [c, role] : {std::pair{cu, "user"}, std::pair{ci, "item"}, std::pair{cc, "category"}}) {
      if (trim(f[c]).empty()) fail(op, describe(place(c, role)), ": empty value");
      check_utf8(f[c], op, place(c, role));  // written to the samples, later stored as JSON
    }
    auto [it, inserted] = user_slot.try_emplace(f[cu], users.size());
    if (inserted) {
      users.push_back(f[cu]);
      events.emplace_back();
    }
    events[it->second].push_back(Event{t, f[ci]});
    item_category.try_emplace(f[ci], f[cc]);
    ++rows;
  }
  in.require_nonempty();
  if (rows == 0) fail(op, "'", o.path, "': no interaction rows (only a header)");
  return finish(users, events, std::move(item_category));
}

UserSequences read_s3rec(const std::string& sequences_path, const std::string& attributes_path) {
  const char* op = "read_s3rec";
  const nlohmann::json attrs = read_json_file_limited(attributes_path, op);
  if (!attrs.is_object()) fail(op, "'", attributes_path, "': expected a JSON object {item: [attributes]}");
  LineReader in(sequences_path, op);
  std::vector<std::string> users;
  std::vector<std::vector<Event>> events;
  std::unordered_map<std::string, std::string> item_category;
  std::string line;
  while (in.next(line)) {
    auto f = split(trim(line), ' ');
    if (f.size() < 2 || f[0].empty())
      fail(op, describe(Place{sequences_path, in.line_no(), 0, ""}), ": malformed line: expected 'user item...', got ",
           f.size(), " fields");
    check_utf8(f[0], op, Place{sequences_path, in.line_no(), 1, "user"});
    users.emplace_back(f[0]);
    events.emplace_back();
    for (size_t i = 1; i < f.size(); ++i) {
      const Place p{sequences_path, in.line_no(), static_cast<int64_t>(i + 1), "item"};
      parse_int(f[i], op, p);
      std::string item(f[i]);
      if (!item_category.count(item)) {
        auto a = attrs.find(item);
        if (a == attrs.end() || !a->is_array() || a->empty())
          fail(op, describe(p), ": item '", item, "' has no attributes in '", attributes_path, "'");
        const auto& last = a->back();
        item_category[item] = last.is_string() ? last.get<std::string>() : last.dump();
      }
      events.back().push_back(Event{static_cast<double>(i), item});
    }
  }
  in.require_nonempty();
  return finish(users, events, std::move(item_category));
}

UserSequences read_movielens(const std::string& ratings_path, const std::string& movies_path, double min_rating) {
  const char* op = "read_movielens";
  std::unordered_map<std::string, std::string> genre;
  {
    LineReader in(movies_path, op);
    std::string line;
    in.next(line);  // header
    while (in.next(line)) {
      auto f = split_quoted(line, ',');
      if (f.size() != 3)
        fail(op, describe(Place{movies_path, in.line_no(), 0, ""}), ": malformed line: expected 3 columns, got ", f.size());
      check_utf8(f[2], op, Place{movies_path, in.line_no(), 3, "genres"});
      genre[f[0]] = f[2].substr(0, f[2].find('|'));
    }
    in.require_nonempty();
  }
  LineReader in(ratings_path, op);
  std::string line;
  in.next(line);  // header
  std::unordered_map<std::string, size_t> user_slot;
  std::vector<std::string> users;
  std::vector<std::vector<Event>> events;
  std::unordered_map<std::string, std::string> item_category;
  while (in.next(line)) {
    auto f = split(line, ',');
    check_columns(f, 4, op, Place{ratings_path, in.line_no(), 0, ""});
    const double r = parse_float(f[2], op, Place{ratings_path, in.line_no(), 3, "rating"});
    const double t = parse_float(f[3], op, Place{ratings_path, in.line_no(), 4, "timestamp"});
    parse_int(f[1], op, Place{ratings_path, in.line_no(), 2, "movieId"});
    check_utf8(f[0], op, Place{ratings_path, in.line_no(), 1, "userId"});
    if (r < min_rating) continue;
    std::string movie(f[1]);
    auto g = genre.find(movie);
    if (g == genre.end())
      fail(op, describe(Place{ratings_path, in.line_no(), 2, "movieId"}), ": movie '", movie, "' is not in '",
           movies_path, "'");
    auto [it, inserted] = user_slot.try_emplace(std::string(f[0]), users.size());
    if (inserted) {
      users.emplace_back(f[0]);
      events.emplace_back();
    }
    events[it->second].push_back(Event{t, movie});
    item_category.try_emplace(movie, g->second);
  }
  in.require_nonempty();
  return finish(users, events, std::move(item_category));
}

PrepareStats prepare_dien(const UserSequences& s, const PrepareOptions& o, const std::string& train_path,
                          const std::string& test_path) {
  const char* op = "prepare";
  DIEN_CHECK(o.maxlen >= 1, op, "maxlen must be >= 1, got ", o.maxlen);
  DIEN_CHECK(o.test_fraction >= 0 && o.test_fraction <= 1, op, "test_fraction must be in [0, 1], got ", o.test_fraction);
  DIEN_CHECK(s.users.size() == s.items.size(), op, s.users.size(), " users but ", s.items.size(), " sequences");
  // The item pool (in first-appearance order, so it is deterministic) and its categories.
  std::vector<std::string> pool;
  std::unordered_map<std::string, int64_t> pool_id;
  std::unordered_set<std::string> cats;
  for (const auto& seq : s.items)
    for (const auto& it : seq) {
      if (pool_id.emplace(it, static_cast<int64_t>(pool.size()) + 1).second) pool.push_back(it);
      auto c = s.item_category.find(it);
      if (c == s.item_category.end()) fail(op, "item '", it, "' has no category");
      cats.insert(c->second);
    }
  std::vector<int64_t> pool_cat(pool.size() + 1, 0);  // the sampler only needs ids here
  const NegativeSampler sampler(pool_cat);

  // Split by user: a seeded shuffle, the first test_fraction of users go to test.
  const size_t n = s.users.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Generator g(mix_seed(o.seed, 0x5B117ull));
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[g.randint(i)]);
  const size_t n_test = static_cast<size_t>(std::llround(o.test_fraction * static_cast<double>(n)));
  std::vector<char> is_test(n, 0);
  for (size_t i = 0; i < n_test; ++i) is_test[order[i]] = 1;

  PrepareStats st;
  st.users = static_cast<int64_t>(n);
  st.items = static_cast<int64_t>(pool.size());
  st.categories = static_cast<int64_t>(cats.size());
  auto body = [&](std::ostream& train, std::ostream& test) {
    std::vector<std::string> hi, hc;
    for (size_t u = 0; u < n; ++u) {
      const auto& seq = s.items[u];
      if (seq.size() < 2) {
        ++st.skipped_users;
        continue;
      }
      std::ostream& os = is_test[u] ? test : train;
      (is_test[u] ? st.test_users : st.train_users) += 1;
      std::unordered_set<int64_t> clicked;
      for (const auto& it : seq) clicked.insert(pool_id.at(it));
      Generator ug(mix_seed(o.seed, u + 1));
      const size_t first = o.every_position ? 1 : seq.size() - 1;
      for (size_t t = first; t < seq.size(); ++t) {
        const size_t begin = t > static_cast<size_t>(o.maxlen) ? t - static_cast<size_t>(o.maxlen) : 0;
        hi.assign(seq.begin() + static_cast<std::ptrdiff_t>(begin), seq.begin() + static_cast<std::ptrdiff_t>(t));
        hc.clear();
        for (const auto& it : hi) hc.push_back(s.item_category.at(it));
        int64_t neg;
        try {
          neg = sampler.draw(clicked, ug);
        } catch (const Error& e) {
          fail(op, "user '", s.users[u], "': ", e.what());
        }
        const std::string& neg_item = pool[static_cast<size_t>(neg - 1)];
        write_amazon_line(os, 0, s.users[u], neg_item, s.item_category.at(neg_item), hi, hc);
        write_amazon_line(os, 1, s.users[u], seq[t], s.item_category.at(seq[t]), hi, hc);
        (is_test[u] ? st.test_samples : st.train_samples) += 2;
      }
    }
  };
  // Both files are written to temp files first; test is renamed only after train succeeded.
  std::ostringstream test_buf;
  write_atomically(train_path, [&](std::ostream& train) { body(train, test_buf); });
  write_atomically(test_path, [&](std::ostream& test) { test << test_buf.str(); });
  return st;
}

}  // namespace dien::data
