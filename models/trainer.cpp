// SPDX-License-Identifier: MIT
// fit(): the training loop of models/trainer.h, with validation, early stopping, checkpoints
// and resume.
#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "core/rng.h"
#include "kernels/dispatch.h"
#include "layers/embedding.h"
#include "models/checkpoint.h"
#include "models/metrics.h"
#include "models/progress.h"

namespace dien {

void FitOptions::validate() const {
  const char* op = "fit";
  if (batch_size <= 0) fail(op, "batch_size must be > 0, got ", batch_size);
  if (epochs < 0) fail(op, "epochs must be >= 0, got ", epochs);
  if (!(validation_split >= 0 && validation_split < 1))
    fail(op, "validation_split must lie in [0, 1), got ", validation_split);
  if (monitor != "val_auc" && monitor != "val_loss")
    fail(op, "monitor must be val_auc or val_loss, got '", monitor, "'");
  if (patience < 0) fail(op, "patience must be >= 0, got ", patience);
  if (!(min_delta >= 0)) fail(op, "min_delta must be >= 0, got ", min_delta);
  if (!std::isnan(lr) && !(lr > 0)) fail(op, "lr must be > 0, got ", lr);
  if (!embedding_grad.empty() && embedding_grad != "sparse" && embedding_grad != "dense")
    fail(op, "embedding_grad must be sparse or dense, got '", embedding_grad, "'");
  if (!data.is_object()) fail(op, "data must be a JSON object");
}

namespace {

std::string sub_dir(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

std::map<std::string, Tensor> clone_state(const CtrModel& model) {
  NoGradGuard no_grad;
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : model.state_dict()) out[name] = t.detach().clone();
  return out;
}

void print_epoch(const EpochRecord& r, int epochs, bool has_val) {
  auto f = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, std::isnan(v) ? "-" : "%.4f", v);
    return std::string(buf);
  };
  std::printf("epoch %d/%d  loss %s  auc %s", r.epoch, epochs, f(r.train_loss).c_str(), f(r.train_auc).c_str());
  if (has_val)
    std::printf("  val_loss %s  val_auc %s  val_gauc %s", f(r.val_loss).c_str(), f(r.val_auc).c_str(),
                f(r.val_gauc).c_str());
  std::printf("  %.2fs (%.0f samples/s)\n", r.seconds, r.samples_per_s);
  std::fflush(stdout);
}

// Sigmoid in double, then float: the probability of a logit (binary), or the value (regression).
std::vector<float> host_predictions(const Tensor& logits, bool binary) {
  std::vector<float> z = logits.detach().to(Device::cpu()).to(DType::F32).to_vector<float>();
  if (binary)
    for (float& v : z) v = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  return z;
}

// The losses and predictions of the steps not read yet. On a GPU they stay on the device and are
// read together, two device-to-host copies, when the progress line is drawn, every
// detail::kDeviceReadEvery steps and at the epoch's end: the host queues steps ahead of the GPU instead of waiting for each
// step's loss. On the CPU reading costs nothing, and fit() reads after every step.
class PendingSteps {
 public:
  void add(const Tensor& loss, const Tensor& logits, int64_t step, int64_t rows) {
    losses_.push_back(reshape(loss.detach(), {1}));
    logits_.push_back(reshape(logits.detach(), {logits.numel()}));
    steps_.push_back(step);
    rows_.push_back(rows);
  }
  size_t size() const { return steps_.size(); }
  // Adds each step's objective (its loss, times its rows for a mean loss) and appends the
  // predictions; fails naming the first step whose loss is not finite.
  void read(int epoch, bool binary, bool sum_reduction, double& objective, std::vector<float>& preds) {
    if (steps_.empty()) return;
    NoGradGuard no_grad;
    const std::vector<double> lv = concat(losses_, 0).to(Device::cpu()).to(DType::F64).to_vector<double>();
    for (size_t i = 0; i < lv.size(); ++i) {
      if (!std::isfinite(lv[i]))
        fail("fit", "epoch ", epoch, " step ", steps_[i], ": the loss is ",
             std::isnan(lv[i]) ? "NaN" : lv[i] > 0 ? "+inf" : "-inf");
      objective += sum_reduction ? lv[i] : lv[i] * static_cast<double>(rows_[i]);
    }
    const std::vector<float> p = host_predictions(concat(logits_, 0), binary);
    preds.insert(preds.end(), p.begin(), p.end());
    losses_.clear();
    logits_.clear();
    steps_.clear();
    rows_.clear();
  }

 private:
  TensorList losses_, logits_;
  std::vector<int64_t> steps_, rows_;
};

TrainerState fit_impl(CtrModel& model, const data::Dataset& train, const data::Dataset* val, const FitOptions& o) {
  o.validate();
  if (train.rows() == 0) fail("fit", "the training set has no rows");
  const bool has_val = val && val->rows() > 0;
  const bool binary = model.options().task != "regression";
  const bool maximize = o.monitor == "val_auc";
  if ((o.early_stopping || o.restore_best) && !has_val)
    fail("fit", "early_stopping and restore_best monitor ", o.monitor, " and need validation data");
  const Device dev = model.device();

  std::unique_ptr<Optimizer> opt = make_optimizer(o.optimizer, model.named_parameters(), o.lr);
  TrainerState st;
  st.optimizer = opt->name();
  st.embedding_grad = o.embedding_grad.empty() ? "sparse" : o.embedding_grad;
  st.shuffle_seed = o.seed;
  st.monitor = has_val ? o.monitor : "";
  Generator gen(o.seed);
  if (!o.resume_from.empty()) {
    TrainerState saved = load_trainer_state(o.resume_from);
    if (saved.optimizer != st.optimizer)
      fail("fit", "resume_from ", o.resume_from, " was trained with ", saved.optimizer, ", not ", st.optimizer);
    if (saved.monitor != st.monitor)
      fail("fit", "resume_from ", o.resume_from, " monitored '", saved.monitor, "', this run '", st.monitor, "'");
    if (!o.embedding_grad.empty() && saved.embedding_grad != o.embedding_grad)
      fail("fit", "resume_from ", o.resume_from, " was trained with embedding_grad ", saved.embedding_grad,
           ", not ", o.embedding_grad, " (leave it unset to continue in the run's mode)");
    const CheckpointLoadOptions lo{o.allow_nonfinite_weights};
    load_model_state(o.resume_from, model, lo);
    load_optimizer_state(o.resume_from, *opt, lo);
    st = saved;
    gen.manual_seed(st.shuffle_seed);
    gen.set_offset(st.shuffle_offset);
    model.rng().manual_seed(st.default_seed);
    model.rng().set_offset(st.default_offset);
  }
  set_embedding_grad(model, st.embedding_grad == "sparse");
  if (o.deterministic) set_deterministic(true);

  std::map<std::string, Tensor> best_weights;  // this run's best, for restore_best
  const int64_t n = train.rows();
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int epoch = st.epoch + 1; epoch <= o.epochs && !st.stopped_early; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    model.train();
    if (o.shuffle) {
      order = train.shuffled_order(gen);
    } else {
      std::iota(order.begin(), order.end(), int64_t{0});
    }
    std::vector<float> preds, labels;
    preds.reserve(order.size());
    labels.reserve(order.size());
    double objective = 0;
    const bool sum_reduction = model.options().loss_reduction == "sum";
    detail::Progress progress(epoch, o.epochs, n, o.verbose > 0);
    PendingSteps pending;
    for (int64_t b = 0; b < n; b += o.batch_size) {
      int64_t e = b + std::min(n - b, o.batch_size);  // b + batch_size may overflow
      data::Batch batch = train.gather(order, b, e, dev);
      opt->zero_grad();
      ForwardResult r = model.forward(batch);
      Tensor loss = model.loss(batch, r);
      loss.backward();
      opt->step();
      ++st.global_step;
      pending.add(loss, r.logits, st.global_step, e - b);
      for (int64_t i = b; i < e; ++i) labels.push_back(train.labels[static_cast<size_t>(order[i])]);
      if (!(dev.is_cpu() || e == n || pending.size() >= detail::kDeviceReadEvery || progress.due(e))) continue;
      pending.read(epoch, binary, sum_reduction, objective, preds);
      progress.update(e, objective / static_cast<double>(e), [&] {
        if (!binary) return static_cast<double>(NAN);
        try {  // the running AUC of this epoch's predictions (made before each batch's update)
          return metrics::roc_auc(std::vector<double>(labels.begin(), labels.end()),
                                  std::vector<double>(preds.begin(), preds.end()));
        } catch (const Error&) {
          return static_cast<double>(NAN);  // one class so far
        }
      });
    }
    progress.finish();
    double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    EpochRecord rec;
    rec.epoch = epoch;
    rec.global_step = st.global_step;
    rec.lr = opt->lr();
    rec.train_objective = objective / static_cast<double>(n);
    EvalResult tr = evaluate_predictions(labels, preds, {}, model.options().task);
    rec.train_loss = binary ? tr.logloss : tr.mse;
    rec.train_auc = tr.auc;
    if (has_val) {
      EvalResult v = evaluate(model, *val, o.batch_size);
      rec.val_loss = binary ? v.logloss : v.mse;
      rec.val_auc = v.auc;
      rec.val_gauc = v.gauc;
      rec.val_accuracy = v.accuracy;
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rec.samples_per_s = train_secs > 0 ? static_cast<double>(n) / train_secs : 0;

    st.epoch = epoch;
    st.shuffle_offset = gen.offset();
    st.default_seed = model.rng().seed();
    st.default_offset = model.rng().offset();
    st.history.push_back(rec);
    bool improved = false;
    if (has_val) {
      double value = maximize ? rec.val_auc : rec.val_loss;
      if (!std::isnan(value))
        improved = std::isnan(st.best) ||
                   (maximize ? value - o.min_delta > st.best : value + o.min_delta < st.best);
      if (improved) {
        st.best = value;
        st.best_epoch = epoch;
        st.epochs_without_improvement = 0;
      } else {
        ++st.epochs_without_improvement;
        if (o.early_stopping && st.epochs_without_improvement >= o.patience) st.stopped_early = true;
      }
    }
    if (improved && o.restore_best) best_weights = clone_state(model);
    if (!o.checkpoint_dir.empty()) {
      if (improved) save_checkpoint(sub_dir(o.checkpoint_dir, "best"), model, opt.get(), &st, o.data);
      save_checkpoint(sub_dir(o.checkpoint_dir, "last"), model, opt.get(), &st, o.data);
    }
    if (!o.history_csv.empty()) write_history_csv(o.history_csv, st.history);
    if (!o.history_json.empty()) write_history_json(o.history_json, st.history);
    if (o.verbose > 0) {
      print_epoch(rec, o.epochs, has_val);
      if (st.stopped_early)
        std::printf("early stopping: %s has not improved for %d epochs (best %.6f at epoch %d)\n", o.monitor.c_str(),
                    st.epochs_without_improvement, st.best, st.best_epoch);
    }
    if (o.on_epoch_end && !o.on_epoch_end(rec, st)) break;
  }

  if (o.restore_best && st.best_epoch > 0 && st.best_epoch != st.epoch) {
    if (!best_weights.empty()) {
      model.load_state_dict(best_weights);
    } else if (!o.checkpoint_dir.empty() && has_trainer_state(sub_dir(o.checkpoint_dir, "best"))) {
      load_model_state(sub_dir(o.checkpoint_dir, "best"), model, CheckpointLoadOptions{o.allow_nonfinite_weights});
    } else {
      fail("fit", "restore_best: the weights of epoch ", st.best_epoch,
           " (before the resume) are not available; set checkpoint_dir");
    }
  }
  return st;
}

}  // namespace

TrainerState fit(CtrModel& model, const data::Dataset& train, const FitOptions& options) {
  options.validate();
  if (options.validation_split <= 0) return fit_impl(model, train, nullptr, options);
  // DeepCTR / Keras: the last rows, before any shuffling.
  const int64_t n = train.rows();
  const auto split = static_cast<int64_t>(static_cast<double>(n) * (1.0 - options.validation_split));
  std::vector<int64_t> head(static_cast<size_t>(split)), tail(static_cast<size_t>(n - split));
  std::iota(head.begin(), head.end(), int64_t{0});
  std::iota(tail.begin(), tail.end(), split);
  data::Dataset tr = train.subset(head), va = train.subset(tail);
  return fit_impl(model, tr, &va, options);
}

TrainerState fit(CtrModel& model, const data::Dataset& train, const data::Dataset& validation,
                 const FitOptions& options) {
  return fit_impl(model, train, &validation, options);
}

}  // namespace dien
