// SPDX-License-Identifier: MIT
// `dien predict MODEL --data FILE`: one probability per sample, computed by the inference path
// (models/predictor.h) from several threads at once.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <memory>
#include <numeric>
#include <thread>

#include <nlohmann/json.hpp>

#include "apps/dien/checks.h"
#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "core/file_write.h"
#include "models/checkpoint.h"
#include "core/threads.h"
#include "models/predictor.h"

namespace dien::cli {

namespace {

struct PredictArgs {
  std::string model, data, out = "-", oov = "bucket", device = "cpu";
  int64_t batch_size = 256;
  int workers = 0;
  int threads = 0;
  bool with_labels = false, allow_nonfinite = false;
};

void run_predict(const PredictArgs& a) {
  set_threads(a.threads);
  check_device(a.device);
  const std::string dir = resolve_checkpoint(a.model);
  std::shared_ptr<CtrModel> m = load_model(dir, CheckpointLoadOptions{a.allow_nonfinite});
  m->to(Device::parse(a.device));
  const nlohmann::json slot = read_checkpoint_config(dir)["data"];
  data::Dataset ds = a.data.empty() ? synthetic_validation(slot)
                                    : load_like_training(slot, a.data, a.oov, /*negatives=*/false, m->options().task);
  const int64_t n = ds.rows();
  std::vector<float> preds(static_cast<size_t>(n));
  // Each worker serves whole batches with one intra-op thread, as a service answering requests
  // in parallel would; a single worker uses the library default (--threads).
  Predictor predictor(m, /*threads=*/0);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // Rounded up without forming n + batch_size, which overflows for a batch size near 2^63.
  const int64_t batches = n / a.batch_size + (n % a.batch_size != 0);
  const int workers = static_cast<int>(std::clamp<int64_t>(
      a.workers > 0 ? a.workers : dien::num_threads(), 1, std::max<int64_t>(batches, 1)));
  std::atomic<int64_t> next{0};
  std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      try {
        ThreadScope scope(workers > 1 ? 1 : 0);
        for (int64_t b; (b = next.fetch_add(1)) < batches;) {
          const int64_t lo = b * a.batch_size, hi = lo + std::min(n - lo, a.batch_size);
          data::Batch batch = ds.gather(order, lo, hi, m->device());
          predictor.predict(batch, preds.data() + lo, static_cast<size_t>(hi - lo));
        }
      } catch (...) {
        errors[static_cast<size_t>(w)] = std::current_exception();
      }
    });
  }
  for (auto& t : pool) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // A non-finite score is never written: it names the row, so the input can be found and fixed.
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(preds[static_cast<size_t>(i)]))
      fail("dien predict", "the score of row ", i + 1, " of ", a.data.empty() ? "the validation samples" : a.data,
           " is not finite (", preds[static_cast<size_t>(i)], "); nothing was written");
  auto body = [&](std::ostream& os) {
    char buf[64];
    for (int64_t i = 0; i < n; ++i) {
      if (a.with_labels)
        std::snprintf(buf, sizeof buf, "%g\t%.6f\n", static_cast<double>(ds.labels[i]),
                      static_cast<double>(preds[i]));
      else
        std::snprintf(buf, sizeof buf, "%.6f\n", static_cast<double>(preds[i]));
      os << buf;
    }
  };
  if (a.out == "-")
    write_stdout(body, "dien predict");
  else
    write_file(a.out, body, "dien predict");
  std::fprintf(stderr, "dien predict: %lld samples in %.3f s (%.0f samples/s, %d worker threads, batch %lld)\n",
               static_cast<long long>(n), secs, static_cast<double>(n) / std::max(secs, 1e-9), workers,
               static_cast<long long>(a.batch_size));
}

}  // namespace

void add_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* sub = app.add_subcommand(
      "predict", "Score samples with a trained model: one probability per line, in the order of the input.");
  sub->add_option("MODEL", a->model, "checkpoint directory, or a `dien train --out` directory (uses best/)")
      ->required();
  sub->add_option("--data", a->data, "samples in the training run's format (default: a synthetic run's validation part)")
      ->check(CLI::ExistingFile);
  sub->add_option("--out", a->out, "output file (written whole or not at all; a device such as /dev/stdout is written in place); - for stdout")->capture_default_str();
  sub->add_flag("--with-labels", a->with_labels, "write `label<TAB>probability` lines");
  sub->add_option("--oov", a->oov, "values outside the training vocabularies: bucket (unknown id) or error")
      ->check(CLI::IsMember({"bucket", "error"}))
      ->capture_default_str();
  sub->add_option("--batch-size", a->batch_size, "rows per request")
      ->check(whole_in(1, kMaxBatch))
      ->capture_default_str();
  sub->add_option("--workers", a->workers, "threads serving batches concurrently, one intra-op thread each (0: one per --threads)")
      ->check(at_least(0))
      ->capture_default_str();
  sub->add_option("--threads", a->threads, "CPU threads (0: every usable core)")->check(at_least(0))->capture_default_str();
  sub->add_option("--device", a->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_flag("--allow-nonfinite-weights", a->allow_nonfinite, "load NaN or infinite weights instead of refusing the checkpoint (to inspect a run that diverged)");
  sub->callback([a] { run_predict(*a); });
}

}  // namespace dien::cli
