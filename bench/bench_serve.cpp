// SPDX-License-Identifier: MIT
// bench_serve: the serving path (serve/session.h) against the naive K-row batch through the
// Predictor, in one run. Per case: p50/p99 latency of one call and queries per second.
//   mode single      1 user, 1 candidate (raw values mapped in the call)
//   mode candidates  1 user, K candidates
//   mode append      one behaviour event appended to a cached user (one extractor step)
//   mode cached      K candidates for a cached user (no history in the request)
//   threads 2        two request threads, each call single-threaded: qps against threads 1
// The model: DIEN (AUGRU, auxiliary net, embedding 18, DNN 200-80, attention 64-16, histories of
// T = 100), randomly initialised (same compute as a trained one), vocabularies of string ids (so
// the session maps strings as a service would); or --model DIR, a trained checkpoint.
//
//   --device cuda    also the Predictor on a GPU (impl predictor-cuda: the batch copied to the
//                    device in the call, the scores back), with kernel launches and
//                    device-to-host copies per call, and a row "launch": the host time of one
//                    1-element op, back to back (what each launch costs). launch_share = launches
//                    x that / p50 says whether launch overhead dominates a request, the measure
//                    that decides on CUDA graphs for serving (docs/cuda.md).
//
//   bench_serve [--json] [--quick] [--model DIR] [--isa auto|avx512|avx2|generic] [--device cpu|cuda]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/rng.h"
#include "core/threads.h"
#include "data/amazon_format.h"
#include "kernels/dispatch.h"
#include "models/checkpoint.h"
#include "models/predictor.h"
#include "serve/session.h"

using namespace dien;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  bool json = false, quick = false;
  std::string model_dir, isa = "auto", only;  // only: one mode (single|candidates|append|cached|threads)
  double seconds = 0;                          // per case (default 2, --quick 0.3)
  bool naive = true;                           // --no-naive: the session only (profiling)
  std::string data;                            // window mode: histories from an Amazon-format file
  std::string device = "cpu";                  // cuda: also the Predictor on the GPU
  bool run(const char* mode) const { return only.empty() || only == mode; }
};

struct Stats {
  double p50 = 0, p99 = 0, qps = 0;
  int64_t calls = 0;
};

// Runs f until `seconds` have passed (at least min_calls calls) after `warmup` calls.
template <class F>
Stats measure(F&& f, double seconds, int64_t min_calls = 20, int warmup = 20) {
  for (int i = 0; i < warmup; ++i) f(i);
  std::vector<double> us;
  const auto start = Clock::now();
  int64_t i = 0;
  while (true) {
    const auto t0 = Clock::now();
    f(static_cast<int>(i));
    const auto t1 = Clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ++i;
    if (i >= min_calls && std::chrono::duration<double>(t1 - start).count() >= seconds) break;
  }
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(us.begin(), us.end());
  Stats s;
  s.calls = i;
  s.p50 = us[us.size() / 2];
  s.p99 = us[std::min(us.size() - 1, static_cast<size_t>(static_cast<double>(us.size()) * 0.99))];
  s.qps = static_cast<double>(i) / total;
  return s;
}

// A random user: history of T (item, category) string ids, and K candidates.
struct User {
  std::vector<std::string> items, cates, cand_items, cand_cates;
  std::string user;
};

std::string item_name(int64_t i) { return "I" + std::to_string(100000 + i); }
std::string cate_name(int64_t c) { return "C" + std::to_string(c); }

// The bench model: DIEN as the issue describes, with string vocabularies of the Amazon format.
struct BenchModel {
  std::shared_ptr<CtrModel> model;
  std::string slot;  // the checkpoint data slot (JSON)
  int64_t items = 0, cates = 0, users = 0;
};

BenchModel make_bench_model(const Options& o) {
  BenchModel b;
  if (!o.model_dir.empty()) {
    const std::string dir = resolve_checkpoint(o.model_dir);
    b.model = load_model(dir);
    nlohmann::json slot = read_checkpoint_config(dir)["data"];
    b.slot = slot.dump();
    data::AmazonVocabularies v = data::AmazonVocabularies::from_json(slot.at("vocabularies"));
    b.items = v.item.num_values();
    b.cates = v.category.num_values();
    b.users = v.user.num_values();
    return b;
  }
  b.items = 50000;
  b.cates = 1000;
  b.users = 10000;
  std::vector<std::string> items, cates, users;
  for (int64_t i = 0; i < b.items; ++i) items.push_back(item_name(i));
  for (int64_t c = 0; c < b.cates; ++c) cates.push_back(cate_name(c));
  for (int64_t u = 0; u < b.users; ++u) users.push_back("U" + std::to_string(u));
  data::AmazonVocabularies v;
  v.user = data::Vocabulary(users);
  v.item = data::Vocabulary(items);
  v.category = data::Vocabulary(cates);
  v.item_category.assign(static_cast<size_t>(b.items + 1), 0);
  for (int64_t i = 1; i <= b.items; ++i) v.item_category[static_cast<size_t>(i)] = 1 + (i * 7919) % b.cates;
  v.item_count.assign(static_cast<size_t>(b.items + 1), 1);
  data::AmazonOptions ao;
  ao.maxlen = 100;
  ao.embedding_dim = 18;
  ao.negatives = true;
  FeatureConfig fc = data::amazon_features(v, ao);
  ModelOptions mo = ModelOptions::defaults("dien");
  mo.gru_type = "AUGRU";
  mo.use_negsampling = true;
  mo.dnn_hidden_units = {200, 80};
  b.model = make_model(mo, fc);
  b.model->eval();
  nlohmann::json slot{{"format", "amazon"}, {"maxlen", 100}, {"embedding_dim", 18}, {"vocabularies", v.to_json()}};
  b.slot = slot.dump();
  return b;
}

User random_user(Generator& g, const BenchModel& b, int64_t T, int64_t K) {
  User u;
  u.user = "U" + std::to_string(g.randint(static_cast<uint64_t>(b.users)));
  for (int64_t t = 0; t < T; ++t) {
    const int64_t i = static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.items)));
    u.items.push_back(item_name(i));
    u.cates.push_back(cate_name(static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.cates)))));
  }
  for (int64_t c = 0; c < K; ++c) {
    u.cand_items.push_back(item_name(static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.items)))));
    u.cand_cates.push_back(cate_name(static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.cates)))));
  }
  return u;
}

void fill(serve::Request& r, const User& u, bool history) {
  r.clear();
  r.set_user("user_id", u.user);
  if (history) {
    r.set_sequence("hist_item_id", u.items);
    r.set_sequence("hist_cate_id", u.cates);
  }
  r.set_candidates("item_id", u.cand_items);
  r.set_candidates("cate_id", u.cand_cates);
}

struct Row {
  std::string mode, impl;
  int64_t K, T;
  int threads;
  Stats s;
  double launches = NAN, d2h = NAN, launch_share = NAN;  // per call, on a GPU
};

void print(const std::vector<Row>& rows, const Options& o, const std::string& model, const char* isa) {
  if (o.json) {
    for (const Row& r : rows) {
      nlohmann::json j{{"mode", r.mode},     {"impl", r.impl}, {"model", model}, {"K", r.K},
                       {"T", r.T},           {"threads", r.threads}, {"p50_us", r.s.p50}, {"p99_us", r.s.p99},
                       {"qps", r.s.qps},     {"calls", r.s.calls}, {"isa", isa}};
      if (!std::isnan(r.launches)) {
        j["launches_per_call"] = r.launches;
        j["d2h_copies_per_call"] = r.d2h;
        j["launch_share"] = r.launch_share;
      }
      std::printf("%s\n", j.dump().c_str());
    }
    return;
  }
  std::printf("model %s, serving kernels %s\n\n", model.c_str(), isa);
  std::printf("| mode | impl | K | T | threads | p50 us | p99 us | qps |\n|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows)
    std::printf("| %s | %s | %lld | %lld | %d | %.1f | %.1f | %.0f |\n", r.mode.c_str(), r.impl.c_str(),
                static_cast<long long>(r.K), static_cast<long long>(r.T), r.threads, r.s.p50, r.s.p99, r.s.qps);
  bool gpu = false;
  for (const Row& r : rows) gpu = gpu || !std::isnan(r.launches);
  if (!gpu) return;
  std::printf("\n| mode | impl | K | launches/call | d2h copies/call | launch share of p50 |\n|---|---|---|---|---|---|\n");
  for (const Row& r : rows)
    if (!std::isnan(r.launches))
      std::printf("| %s | %s | %lld | %.0f | %.0f | %.0f%% |\n", r.mode.c_str(), r.impl.c_str(),
                  static_cast<long long>(r.K), r.launches, r.d2h, 100 * r.launch_share);
}

// The approximate sliding window's error: users whose streams run past maxlen, events appended
// one at a time to an exact session and to an approximate one; after each event beyond maxlen
// both score the user's candidate. Prints the distribution of |p_approx - p_exact|.
void window_error(const Options& o, const BenchModel& b, int64_t T) {
  serve::SessionOptions exact, approx;
  exact.user_cache_capacity = approx.user_cache_capacity = 4096;
  approx.exact_window = false;
  exact.isa = approx.isa = o.isa;
  auto se = serve::Session::from_model(b.model, b.slot, exact);
  auto sa = serve::Session::from_model(b.model, b.slot, approx);
  // Streams of (item, category): from --data (each line's history, then the items of the lines
  // after it), else random ids.
  std::vector<std::pair<std::string, std::string>> events;
  std::vector<std::pair<std::string, std::string>> targets;
  Generator g(11);
  if (!o.data.empty()) {
    std::ifstream in(o.data);
    std::string line;
    while (std::getline(in, line) && events.size() < 200000) {
      std::vector<std::string> f;
      size_t start = 0;
      for (size_t i = 0; i <= line.size(); ++i)
        if (i == line.size() || line[i] == '\t') {
          f.push_back(line.substr(start, i - start));
          start = i + 1;
        }
      if (f.size() != 6) continue;
      targets.emplace_back(f[2], f[3]);
      size_t a = 0, c = 0;
      for (size_t i = 0; i <= f[4].size(); ++i)
        if (i == f[4].size() || f[4][i] == '\x02') {
          const size_t j = f[5].find('\x02', c);
          const size_t cend = j == std::string::npos ? f[5].size() : j;
          if (i > a) events.emplace_back(f[4].substr(a, i - a), f[5].substr(c, cend - c));
          a = i + 1;
          c = cend + 1;
        }
    }
  }
  if (events.empty() || targets.empty()) {
    for (int i = 0; i < 100000; ++i)
      events.emplace_back(item_name(static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.items)))),
                          cate_name(static_cast<int64_t>(g.randint(static_cast<uint64_t>(b.cates)))));
    for (int i = 0; i < 1000; ++i) targets.push_back(events[static_cast<size_t>(g.randint(events.size()))]);
  }
  const int users = o.quick ? 50 : 300, extra = 3 * static_cast<int>(T);
  std::vector<double> diffs;
  serve::Request ra = sa->new_request(), re = se->new_request();
  for (int u = 0; u < users; ++u) {
    const std::string key = "w" + std::to_string(u);
    const size_t first = static_cast<size_t>(g.randint(events.size() - static_cast<uint64_t>(T + extra) - 1));
    const auto& target = targets[static_cast<size_t>(u) % targets.size()];
    for (int64_t t = 0; t < T + extra; ++t) {
      const auto& ev = events[first + static_cast<size_t>(t)];
      const char* f[2] = {"item_id", "cate_id"};
      const char* v[2] = {ev.first.c_str(), ev.second.c_str()};
      se->append_event(key, f, v, 2);
      sa->append_event(key, f, v, 2);
      if (t < T) continue;
      float pe, pa;
      for (auto* x : {&ra, &re}) {
        x->clear();
        x->set_user_key(key);
        x->set_user("user_id", "U1");
        x->set_candidates("item_id", {target.first});
        x->set_candidates("cate_id", {target.second});
      }
      se->score(re, &pe, 1);
      sa->score(ra, &pa, 1);
      diffs.push_back(std::fabs(static_cast<double>(pa) - pe));
    }
  }
  std::sort(diffs.begin(), diffs.end());
  auto q = [&](double f) { return diffs[std::min(diffs.size() - 1, static_cast<size_t>(f * diffs.size()))]; };
  double mean = 0;
  for (double d : diffs) mean += d;
  mean /= static_cast<double>(diffs.size());
  if (o.json) {
    nlohmann::json j{{"mode", "window"}, {"impl", "approximate-vs-exact"}, {"T", T}, {"scores", diffs.size()},
                     {"mean_abs", mean}, {"p50_abs", q(0.5)}, {"p99_abs", q(0.99)}, {"max_abs", diffs.back()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("approximate window vs exact (T = %lld, %zu scores after the window slid, %s): |dp| mean %.2e, "
                "p50 %.2e, p99 %.2e, max %.2e\n",
                static_cast<long long>(T), diffs.size(), o.data.empty() ? "random streams" : o.data.c_str(), mean,
                q(0.5), q(0.99), diffs.back());
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") o.json = true;
    else if (a == "--quick") o.quick = true;
    else if (a == "--model" && i + 1 < argc) o.model_dir = argv[++i];
    else if (a == "--isa" && i + 1 < argc) o.isa = argv[++i];
    else if (a == "--mode" && i + 1 < argc) o.only = argv[++i];
    else if (a == "--no-naive") o.naive = false;
    else if (a == "--data" && i + 1 < argc) o.data = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) o.seconds = std::atof(argv[++i]);
    else if (a == "--device" && i + 1 < argc) o.device = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: bench_serve [--json] [--quick] [--model DIR] [--isa auto|avx512|avx2|generic] [--device cpu|cuda]\n"
                   "                   [--mode single|candidates|append|cached|threads|window] [--seconds S] [--no-naive]\n"
                   "                   [--data FILE]  (window: histories from a DIEN Amazon-format file)\n");
      return 2;
    }
  }
  try {
    set_num_threads(1);
    const double secs = o.seconds > 0 ? o.seconds : o.quick ? 0.3 : 2.0;
    BenchModel b = make_bench_model(o);
    const int64_t T = b.model->features().at("hist_item_id").maxlen;
    serve::SessionOptions so;
    so.isa = o.isa;
    so.user_cache_capacity = 100000;
    auto session = serve::Session::from_model(b.model, b.slot, so);
    Predictor naive(b.model, 1);
    // --device cuda: the same weights (the same seed, or the same checkpoint) on the GPU.
    const Device dev = Device::parse(o.device);
    std::shared_ptr<CtrModel> gpu_model;
    if (dev.is_cuda()) {
      gpu_model = make_bench_model(o).model;
      gpu_model->to(dev);
      gpu_model->eval();
    }
    std::unique_ptr<Predictor> on_gpu = gpu_model ? std::make_unique<Predictor>(gpu_model, 1) : nullptr;
    double op_us = NAN;  // host time of one 1-element op on the GPU, back to back
    if (on_gpu) {
      NoGradGuard no_grad;
      Tensor x = full({1}, 0.5, DType::F32, dev);
      const int n = o.quick ? 2000 : 20000;
      for (int i = 0; i < 100; ++i) x = relu(x);
      cuda_synchronize();
      const auto t0 = Clock::now();
      for (int i = 0; i < n; ++i) x = relu(x);
      cuda_synchronize();
      op_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
    }
    const std::string model_name = o.model_dir.empty() ? "dien-augru-aux-e18-dnn200x80-T100" : o.model_dir;
    std::vector<Row> rows;
    Generator g(7);

    // single and candidates: session (strings mapped in the call) vs naive (prebuilt batch).
    std::vector<int64_t> ks = o.quick ? std::vector<int64_t>{1, 100} : std::vector<int64_t>{1, 10, 100, 1000};
    for (int64_t K : ks) {
      if (!o.run(K == 1 ? "single" : "candidates")) continue;
      std::vector<User> users;
      for (int i = 0; i < 16; ++i) users.push_back(random_user(g, b, T, K));
      serve::Request r = session->new_request();
      std::vector<float> out(static_cast<size_t>(K));
      const std::string mode = K == 1 ? "single" : "candidates";
      Stats s = measure(
          [&](int i) {
            fill(r, users[static_cast<size_t>(i) % users.size()], true);
            session->score(r, out.data(), out.size());
          },
          secs);
      rows.push_back({mode, "session", K, T, 1, s});
      if (!o.naive) continue;
      std::vector<data::Batch> batches;
      for (const User& u : users) {
        fill(r, u, true);
        batches.push_back(session->naive_batch(r));
      }
      Stats n = measure(
          [&](int i) { naive.predict(batches[static_cast<size_t>(i) % batches.size()], out.data(), out.size()); },
          secs, K >= 1000 ? 5 : 20, K >= 1000 ? 2 : 20);
      rows.push_back({mode, "naive", K, T, 1, n});
      if (!on_gpu) continue;
      auto call = [&](int i) {
        on_gpu->predict(batches[static_cast<size_t>(i) % batches.size()].to(dev), out.data(), out.size());
      };
      Stats gs = measure(call, secs, 20, 20);
      const uint64_t l0 = cuda_kernel_launches(), c0 = cuda_device_to_host_copies();
      call(0);
      Row gr{mode, "predictor-cuda", K, T, 1, gs};
      gr.launches = static_cast<double>(cuda_kernel_launches() - l0);
      gr.d2h = static_cast<double>(cuda_device_to_host_copies() - c0);
      gr.launch_share = gr.launches * op_us / gs.p50;
      rows.push_back(gr);
    }
    if (on_gpu) {
      Row lr{"launch", "1-element op", 1, 0, 1, Stats{op_us, op_us, 1e6 / op_us, 0}};
      lr.launches = 1;
      lr.d2h = 0;
      lr.launch_share = 1;
      rows.push_back(lr);
    }

    // append: one event for cached users whose histories are half full (one extractor step).
    if (o.run("append") || o.run("cached")) {
      std::vector<User> users;
      for (int i = 0; i < 256; ++i) users.push_back(random_user(g, b, T / 2, 1));
      for (size_t i = 0; i < users.size(); ++i)
        for (int64_t t = 0; t < T / 2; ++t)
          session->append_event("a" + std::to_string(i), {{"item_id", users[i].items[static_cast<size_t>(t)]},
                                                          {"cate_id", users[i].cates[static_cast<size_t>(t)]}});
      std::vector<std::string> keys;
      for (size_t i = 0; i < users.size(); ++i) keys.push_back("a" + std::to_string(i));
      Stats s = measure(
          [&](int i) {
            const size_t u = static_cast<size_t>(i) % users.size();
            // Keep histories below maxlen: forget and refill a user whose window is nearly full.
            if (session->cached_history_length(keys[u]) >= T - 1) session->forget_user(keys[u]);
            const char* f[2] = {"item_id", "cate_id"};
            const char* v[2] = {users[u].cand_items[0].c_str(), users[u].cand_cates[0].c_str()};
            session->append_event(keys[u], f, v, 2);
          },
          secs, 100, 0);
      rows.push_back({"append", "session", 0, T, 1, s});
      // cached: K candidates for a cached user, the history not in the request.
      for (int64_t K : {int64_t{1}, int64_t{100}}) {
        std::vector<User> cand;
        for (int i = 0; i < 16; ++i) cand.push_back(random_user(g, b, 0, K));
        serve::Request r = session->new_request();
        std::vector<float> out(static_cast<size_t>(K));
        // Users with a full window.
        for (size_t i = 0; i < 16; ++i) {
          User full = random_user(g, b, T, 1);
          fill(r, full, true);
          r.set_user_key("c" + std::to_string(i));
          session->score(r, out.data(), 1);
        }
        Stats c = measure(
            [&](int i) {
              const size_t u = static_cast<size_t>(i) % 16;
              fill(r, cand[u], false);
              r.set_user_key("c" + std::to_string(u));
              session->score(r, out.data(), out.size());
            },
            secs);
        rows.push_back({"cached", "session", K, T, 1, c});
      }
    }

    // threads: two request threads on one session, each call on one thread.
    if (o.run("threads")) {
      std::vector<User> users;
      for (int i = 0; i < 16; ++i) users.push_back(random_user(g, b, T, 1));
      for (int nt : {1, 2}) {
        std::vector<Stats> per(static_cast<size_t>(nt));
        std::vector<std::thread> th;
        for (int t = 0; t < nt; ++t)
          th.emplace_back([&, t] {
            serve::Request r = session->new_request();
            float out[1];
            per[static_cast<size_t>(t)] = measure(
                [&](int i) {
                  fill(r, users[static_cast<size_t>(i + t) % users.size()], true);
                  session->score(r, out, 1);
                },
                secs);
          });
        for (auto& x : th) x.join();
        Stats all = per[0];
        all.calls = 0;
        for (auto& p : per) all.calls += p.calls;
        all.qps = 0;
        for (auto& p : per) all.qps += p.qps;  // each thread's own rate, summed
        rows.push_back({"single", "session", 1, T, nt, all});
      }
    }
    if (o.only == "window") {
      window_error(o, b, T);
      return 0;
    }
    print(rows, o, model_name, session->isa());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_serve: %s\n", e.what());
    return 1;
  }
  return 0;
}
