// SPDX-License-Identifier: MIT
// bench_train: whole training steps of a CTR model (default: DIEN with AUGRU and the auxiliary
// loss with negatives), through the model and optimizer code `dien train` uses
// (models/ctr_model.h: make_model, forward, loss; optim/: make_optimizer). One step is what
// fit() does per batch: zero_grad, forward, loss (main + alpha * aux + L2), backward, optimizer
// step, loss.item(). Batches are built once up front on the device (random data, not timed) and
// cycled; only the steps are timed. samples_per_s = B / median step time.
//
//   bench_train                        Markdown table on stdout (the shape below)
//   bench_train --json                 one JSON line on stdout (keys: model, gru_type, B, T, H,
//                                      vocab, threads, device, competing, samples_per_s, step_ms,
//                                      impl = "dien", plus forward_ms, backward_ms, optimizer_ms,
//                                      ..., d2h_copies_per_step: the CUDA backend's device-to-host
//                                      copies in a step but the loss read; on a GPU also
//                                      pipelined_samples_per_s: the steps run again back to back
//                                      with no sync or read between them, as fit() runs them, one
//                                      sync at the end); the table to stderr
//   bench_train --compete N            N busy-looping child processes run during the timed part
//                                      (started after set-up, killed and reaped after; key
//                                      `competing`): bench/compete.h
//   bench_train --vocab 400000         item vocabulary size (the embedding table and its Adam
//                                      state grow with it)
// Default shape (the issue's): DIEN, AUGRU, use_negsampling (auxiliary loss, alpha 1), embedding
// dim 18 on every table (so H = 36: item + category), DNN 256-128 relu, attention 64-16,
// B = 256, T = maxlen = 100, lengths uniform in [1, T], 3,000 items, 40 categories, 10,000 users,
// Adam lr 1e-3, f32. Ids are uniform; each item has a fixed random category; the negative of a
// step is a random item other than the clicked one (with its category). The data generator of
// `dien train --synthetic` is not used because its lengths are not uniform.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench/compete.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/threads.h"
#include "layers/embedding.h"
#include "data/dataset.h"
#include "data/rows.h"
#include "data/synthetic.h"
#include "kernels/dispatch.h"
#include "models/ctr_model.h"
#include "models/trainer.h"

using namespace dien;

namespace {

struct Options {
  std::string model = "dien", gru_type = "AUGRU", device = "cpu", optimizer = "adam", augru_form, gate_layout;
  int64_t B = 256, T = 100, emb = 18, vocab = 3000, categories = 40, users = 10000;
  std::vector<int64_t> dnn = {256, 128};
  bool negsampling = true, json = false, quick = false, fused = true;
  int threads = 0, compete = 0, steps = 20, warmup = -1, batches = 8;  // warmup -1: one pass over the batches
  std::string embedding_grad = "sparse";
  int fail_at_step = -1;  // testing: throw at this step (the competitors must still be stopped)
  uint64_t seed = 1;
};

void usage(FILE* f) {
  std::fprintf(
      f,
      "usage: bench_train [options]\n"
      "  Times whole training steps (zero_grad, forward, loss, backward, optimizer step) of a CTR model\n"
      "  through the code `dien train` uses, on prebuilt random batches (not timed).\n"
      "  --model dien|din|base       model (default dien)\n"
      "  --gru-type augru|agru|aigru|gru   DIEN interest evolution (default augru)\n"
      "  --negsampling true|false    DIEN auxiliary loss with negatives (default true)\n"
      "  --augru-form reference|paper  AUGRU form (default: the model's default, reference)\n"
      "  --gate-layout lbr|rbl       GRU gate layout (default: the model's default, lbr)\n"
      "  --fused true|false          fused kernels or the unfused compositions (default true)\n"
      "  --batch-size N, -B N        batch size (default 256)\n"
      "  --maxlen N, -T N            history length; lengths uniform in [1, N] (default 100)\n"
      "  --embedding-dim N           embedding dim of every table (default 18; H = 2N)\n"
      "  --vocab N                   item vocabulary (default 3000; the issue compares 400000)\n"
      "  --categories N              category vocabulary (default 40)\n"
      "  --users N                   user vocabulary (default 10000)\n"
      "  --dnn A,B,...               DNN hidden units (default 256,128)\n"
      "  --optimizer adam|adagrad|sgd|rmsprop   (default adam)\n"
      "  --threads N                 intra-op threads (default: every core)\n"
      "  --embedding-grad sparse|dense  embedding gradients (default sparse, as dien train; dense:\n"
      "                              DeepCTR-Torch's semantics, every row updated every step)\n"
      "  --steps N                   timed steps (default 20; --quick 6)\n"
      "  --warmup N                  untimed steps first (default: --batches, every batch once; --quick 1)\n"
      "  --batches N                 distinct prebuilt batches, cycled (default 8)\n"
      "  --compete N                 run N busy-looping processes while timing (default 0)\n"
      "  --device cpu|cuda           (cuda: when built with CUDA and a GPU is present, else skipped)\n"
      "  --seed N                    data seed (default 1)\n"
      "  --quick                     fewer steps\n"
      "  --json                      one JSON line on stdout, the table on stderr\n"
      "  --fail-at-step N            (testing) throw at step N, to check that --compete cleans up\n"
      "  Environment: DIEN_PERF_CTL / DIEN_PERF_ACK: perf record's control FIFOs; the timed steps are\n"
      "  bracketed by enable / disable (bench/profile_train.sh)\n"
      "  Reported: median step ms, samples/s = B / median step, and the medians of the forward (zero_grad,\n"
      "  forward, loss), backward and optimizer (step, loss.item()) phases of the same steps.\n");
}

bool parse_bool(const std::string& v) {
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  fail("bench_train", "expected true or false, got '", v, "'");
}

std::vector<int64_t> parse_list(const std::string& v) {
  std::vector<int64_t> r;
  size_t p = 0;
  while (p <= v.size()) {
    size_t q = v.find(',', p);
    if (q == std::string::npos) q = v.size();
    r.push_back(std::stoll(v.substr(p, q - p)));
    p = q + 1;
  }
  return r;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The feature config of `dien train --synthetic` (user_id, item_id, cate_id; hist_*, neg_hist_*)
// at this shape, and `rows` random rows with uniform lengths.
data::Dataset make_rows(const Options& o, bool negatives, int64_t rows) {
  data::SyntheticOptions so;
  so.users = o.users;
  so.items = o.vocab;
  so.categories = o.categories;
  so.maxlen = o.T;
  so.embedding_dim = o.emb;
  so.negatives = negatives;
  FeatureConfig fc = data::synthetic_features(so);
  data::Dataset ds = data::Dataset::empty(fc);
  Generator g(o.seed);
  std::vector<int64_t> item_cat(static_cast<size_t>(o.vocab + 1), 0);
  for (int64_t i = 1; i <= o.vocab; ++i) item_cat[static_cast<size_t>(i)] = 1 + static_cast<int64_t>(g.randint(o.categories));
  auto item = [&] { return 1 + static_cast<int64_t>(g.randint(static_cast<uint64_t>(o.vocab))); };
  std::vector<int64_t> hi(o.T), hc(o.T), ni(o.T), nc(o.T);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t len = 1 + static_cast<int64_t>(g.randint(static_cast<uint64_t>(o.T)));
    for (int64_t s = 0; s < len; ++s) {
      hi[s] = item();
      hc[s] = item_cat[static_cast<size_t>(hi[s])];
      do ni[s] = item();
      while (ni[s] == hi[s]);
      nc[s] = item_cat[static_cast<size_t>(ni[s])];
    }
    const int64_t target = item();
    data::push_sparse(ds, "user_id", 1 + static_cast<int64_t>(g.randint(static_cast<uint64_t>(o.users))));
    data::push_sparse(ds, "item_id", target);
    data::push_sparse(ds, "cate_id", item_cat[static_cast<size_t>(target)]);
    data::push_varlen(ds, "hist_item_id", hi.data(), len);
    data::push_varlen(ds, "hist_cate_id", hc.data(), len);
    data::push_sparse(ds, "seq_length", len);
    if (negatives) {
      data::push_varlen(ds, "neg_hist_item_id", ni.data(), len);
      data::push_varlen(ds, "neg_hist_cate_id", nc.data(), len);
    }
    ds.labels.push_back(g.uniform01() < 0.5 ? 1.0f : 0.0f);
    ds.groups.push_back(ds.columns.at("user_id").ids.back());
  }
  ds.check_consistent();
  return ds;
}

// perf's control FIFO (perf record --control fifo:CTL,ACK -D -1, as bench/profile_train.sh runs
// it): with DIEN_PERF_CTL set, "enable" is written there before the timed steps and "disable"
// after them, so that the profile holds the training steps only (no set-up, no warm-up); with
// DIEN_PERF_ACK set, each command waits for perf's "ack".
void perf_control(const char* command) {
  const char* ctl = std::getenv("DIEN_PERF_CTL");
  if (!ctl || !*ctl) return;
  {
    std::ofstream f(ctl);
    f << command << '\n' << std::flush;
  }
  if (const char* ack = std::getenv("DIEN_PERF_ACK"); ack && *ack) {
    std::ifstream a(ack);
    std::string line;
    std::getline(a, line);
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string json_str(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    r += c;
  }
  return r + "\"";
}

int run(int argc, char** argv) {
  Options o;
  bool steps_set = false, warmup_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto num = [&]() -> int64_t {
      const std::string v = value();
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end) {
        std::fprintf(stderr, "bench_train: %s expects an integer, got '%s'\n", a.c_str(), v.c_str());
        std::exit(2);
      }
      return n;
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--json") o.json = true;
    else if (a == "--quick") o.quick = true;
    else if (a == "--model") o.model = value();
    else if (a == "--gru-type") o.gru_type = upper(value());
    else if (a == "--negsampling") o.negsampling = parse_bool(value());
    else if (a == "--augru-form") o.augru_form = value();
    else if (a == "--gate-layout") o.gate_layout = value();
    else if (a == "--fused") o.fused = parse_bool(value());
    else if (a == "--batch-size" || a == "-B") o.B = num();
    else if (a == "--maxlen" || a == "-T") o.T = num();
    else if (a == "--embedding-dim") o.emb = num();
    else if (a == "--vocab") o.vocab = num();
    else if (a == "--categories") o.categories = num();
    else if (a == "--users") o.users = num();
    else if (a == "--dnn") o.dnn = parse_list(value());
    else if (a == "--optimizer") o.optimizer = value();
    else if (a == "--threads") o.threads = static_cast<int>(num());
    else if (a == "--embedding-grad") o.embedding_grad = value();
    else if (a == "--steps") o.steps = static_cast<int>(num()), steps_set = true;
    else if (a == "--warmup") o.warmup = static_cast<int>(num()), warmup_set = true;
    else if (a == "--batches") o.batches = static_cast<int>(num());
    else if (a == "--compete") o.compete = static_cast<int>(num());
    else if (a == "--device") o.device = value();
    else if (a == "--seed") o.seed = static_cast<uint64_t>(num());
    else if (a == "--fail-at-step") o.fail_at_step = static_cast<int>(num());
    else {
      std::fprintf(stderr, "bench_train: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (o.quick) {
    if (!steps_set) o.steps = 6;
    if (!warmup_set) o.warmup = 1;
  }
  // Default: every prebuilt batch once before timing (its shapes' first allocations untimed).
  if (!warmup_set && !o.quick) o.warmup = o.batches;
  if (o.B < 1 || o.T < 1 || o.emb < 1 || o.vocab < 2 || o.categories < 1 || o.users < 1 || o.steps < 1 ||
      o.warmup < 0 || o.batches < 1 || o.compete < 0 || o.threads < 0 || (o.device != "cpu" && o.device != "cuda") ||
      (o.embedding_grad != "sparse" && o.embedding_grad != "dense")) {
    usage(stderr);
    return 2;
  }
  if (o.device == "cuda" && cuda_device_count() == 0) {
    std::fprintf(stderr, "bench_train: --device cuda skipped (%s)\n",
                 cuda_built() ? "no CUDA device" : "built without CUDA");
    return 0;
  }
  const Device dev = o.device == "cuda" ? Device::cuda(0) : Device::cpu();
  const bool gpu = dev.is_cuda();
  if (o.threads > 0) set_num_threads(o.threads);
  const int threads = num_threads();

  // ---- set-up (not timed) ---------------------------------------------------------------
  ModelOptions mo = ModelOptions::defaults(o.model);
  mo.gru_type = o.gru_type;
  mo.use_negsampling = o.model == "dien" && o.negsampling;
  mo.dnn_hidden_units = o.dnn;
  mo.fused = o.fused;
  if (!o.augru_form.empty()) mo.augru_form = o.augru_form;
  if (!o.gate_layout.empty()) mo.gate_layout = o.gate_layout;
  mo.device = dev.str();
  const data::Dataset ds = make_rows(o, mo.use_negsampling, o.B * o.batches);
  std::unique_ptr<CtrModel> model = make_model(mo, ds.features);
  // As fit() does: embedding tables get row-sparse gradients (lazy optimizer steps) unless
  // --embedding-grad dense (DeepCTR-Torch's dense semantics).
  set_embedding_grad(*model, o.embedding_grad == "sparse");
  model->train();
  std::unique_ptr<Optimizer> opt = make_optimizer(o.optimizer, model->named_parameters());
  std::vector<data::Batch> batches;
  std::vector<int64_t> order(static_cast<size_t>(ds.rows()));
  std::iota(order.begin(), order.end(), int64_t{0});
  for (int k = 0; k < o.batches; ++k) batches.push_back(ds.gather(order, k * o.B, (k + 1) * o.B, dev));
  const int64_t H = 2 * o.emb;  // item + category (the history features)
  int64_t params = 0;
  for (const auto& [name, t] : model->named_parameters()) params += t.numel();

  // ---- timed steps ------------------------------------------------------------------------
  std::vector<double> step_ms, fwd_ms, bwd_ms, opt_ms;
  double last_loss = NAN;
  uint64_t d2h = 0;  // device-to-host copies in the timed steps' forward, backward and optimizer
  double pipelined_sps = NAN;
  {
    bench::Competitors load(o.compete);
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::time_point a, clock::time_point b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    for (int s = 0; s < o.warmup + o.steps; ++s) {
      if (s == o.warmup) perf_control("enable");
      const data::Batch& batch = batches[static_cast<size_t>(s % o.batches)];
      if (gpu) cuda_synchronize();
      const uint64_t d2h0 = cuda_device_to_host_copies();
      const auto t0 = clock::now();
      opt->zero_grad();
      ForwardResult r = model->forward(batch);
      Tensor loss = model->loss(batch, r);
      if (gpu) cuda_synchronize();
      const auto t1 = clock::now();
      loss.backward();
      if (gpu) cuda_synchronize();
      const auto t2 = clock::now();
      opt->step();
      const uint64_t d2h1 = cuda_device_to_host_copies();
      last_loss = loss.item();  // a GPU sync, to time the phases (fit() reads 64 steps' at once there)
      const auto t3 = clock::now();
      if (!std::isfinite(last_loss)) fail("bench_train", "step ", s, ": the loss is ", last_loss);
      if (s == o.fail_at_step) fail("bench_train", "--fail-at-step ", s);
      if (s < o.warmup) continue;
      d2h += d2h1 - d2h0;
      step_ms.push_back(ms(t0, t3));
      fwd_ms.push_back(ms(t0, t1));
      bwd_ms.push_back(ms(t1, t2));
      opt_ms.push_back(ms(t2, t3));
    }
    perf_control("disable");
    // On a GPU: the same steps back to back, the host queueing ahead of the device as in fit().
    if (gpu) {
      cuda_synchronize();
      const auto t0 = clock::now();
      for (int s = 0; s < o.steps; ++s) {
        const data::Batch& batch = batches[static_cast<size_t>(s % o.batches)];
        opt->zero_grad();
        ForwardResult r = model->forward(batch);
        model->loss(batch, r).backward();
        opt->step();
      }
      cuda_synchronize();
      pipelined_sps = static_cast<double>(o.B) * o.steps / (ms(t0, clock::now()) / 1000.0);
    }
    load.stop();
  }
  const double step = median(step_ms);
  const double sps = static_cast<double>(o.B) / (step / 1000.0);
  std::vector<double> sorted = step_ms;
  std::sort(sorted.begin(), sorted.end());
  const double p10 = sorted[sorted.size() / 10], p90 = sorted[(sorted.size() * 9) / 10];

  std::string gru = o.model == "dien" ? mo.gru_type : "-";
  std::string dnn;
  for (int64_t u : o.dnn) dnn += (dnn.empty() ? "" : "-") + std::to_string(u);
  if (o.json) {
    std::printf(
        "{\"impl\":\"dien\",\"model\":%s,\"gru_type\":%s,\"B\":%lld,\"T\":%lld,\"H\":%lld,\"E\":%lld,\"vocab\":%lld,"
        "\"threads\":%d,\"device\":%s,\"competing\":%d,\"samples_per_s\":%.2f,\"step_ms\":%.4f,"
        "\"forward_ms\":%.4f,\"backward_ms\":%.4f,\"optimizer_ms\":%.4f,\"step_ms_p10\":%.4f,\"step_ms_p90\":%.4f,"
        "\"steps\":%d,\"warmup\":%d,\"negsampling\":%s,\"alpha\":%g,\"augru_form\":%s,\"gate_layout\":%s,"
        "\"fused\":%s,\"dnn\":%s,\"optimizer\":%s,\"categories\":%lld,\"users\":%lld,\"lengths\":\"uniform\","
        "\"parameters\":%lld,\"embedding_grad\":%s,\"loss\":%.6f,\"d2h_copies_per_step\":%.2f,\"pipelined_samples_per_s\":%s}\n",
        json_str(o.model).c_str(), json_str(gru).c_str(), (long long)o.B, (long long)o.T, (long long)H,
        (long long)o.emb, (long long)o.vocab, threads, json_str(o.device).c_str(), o.compete, sps, step,
        median(fwd_ms), median(bwd_ms), median(opt_ms), p10, p90, o.steps, o.warmup,
        mo.use_negsampling ? "true" : "false", mo.alpha, json_str(mo.augru_form).c_str(),
        json_str(mo.gate_layout).c_str(), o.fused ? "true" : "false", json_str(dnn).c_str(),
        json_str(o.optimizer).c_str(), (long long)o.categories, (long long)o.users, (long long)params,
        json_str(o.embedding_grad).c_str(), last_loss, static_cast<double>(d2h) / std::max(1, o.steps),
        gpu ? std::to_string(pipelined_sps).c_str() : "null");
    std::fflush(stdout);
  }
  FILE* table = o.json ? stderr : stdout;
  std::fprintf(table,
               "| impl | model | gru_type | aux | B | T | H | vocab | threads | device | competing | step ms | "
               "fwd ms | bwd ms | opt ms | samples/s |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
               "| dien | %s | %s | %s | %lld | %lld | %lld | %lld | %d | %s | %d | %.2f | %.2f | %.2f | %.2f | %.0f |\n",
               o.model.c_str(), gru.c_str(), mo.use_negsampling ? "neg" : "-", (long long)o.B, (long long)o.T,
               (long long)H, (long long)o.vocab, threads, o.device.c_str(), o.compete, step, median(fwd_ms),
               median(bwd_ms), median(opt_ms), sps);
  if (gpu) {
    std::fprintf(table, "device-to-host copies per step (forward, backward, optimizer; the loss read not counted): %.2f\n",
                 static_cast<double>(d2h) / std::max(1, o.steps));
    std::fprintf(table, "pipelined (steps back to back, one sync at the end): %.0f samples/s\n", pipelined_sps);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
