// SPDX-License-Identifier: MIT
// evaluate(), predict(), evaluate_predictions() and make_optimizer() of models/trainer.h.
#include <cmath>
#include <numeric>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "models/metrics.h"
#include "models/trainer.h"

namespace dien {

using json = nlohmann::json;

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, NamedParameters params, double lr) {
  if (!std::isnan(lr) && !(lr > 0)) fail("make_optimizer", "lr must be > 0, got ", lr);
  auto pick = [&](double def) { return std::isnan(lr) ? def : lr; };
  if (name == "adam") return std::make_unique<Adam>(std::move(params), AdamOptions{.lr = pick(1e-3)});
  if (name == "adagrad") return std::make_unique<Adagrad>(std::move(params), AdagradOptions{.lr = pick(1e-2)});
  if (name == "sgd") return std::make_unique<SGD>(std::move(params), SGDOptions{.lr = pick(1e-2)});
  if (name == "rmsprop") return std::make_unique<RMSprop>(std::move(params), RMSpropOptions{.lr = pick(1e-2)});
  fail("make_optimizer", "unknown optimizer '", name, "'; known: adam, adagrad, sgd, rmsprop");
}

json EvalResult::to_json() const {
  auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  return json{{"rows", rows},         {"logloss", num(logloss)},   {"auc", num(auc)},
              {"gauc", num(gauc)},    {"accuracy", num(accuracy)}, {"mse", num(mse)}};
}

EvalResult evaluate_predictions(const std::vector<float>& labels, const std::vector<float>& preds,
                                const std::vector<int64_t>& groups, const std::string& task) {
  const char* op = "evaluate";
  if (task != "binary" && task != "regression") fail(op, "unknown task '", task, "' (binary | regression)");
  if (labels.size() != preds.size())
    fail(op, labels.size(), " labels but ", preds.size(), " predictions");
  if (!groups.empty() && groups.size() != labels.size())
    fail(op, labels.size(), " labels but ", groups.size(), " groups");
  for (size_t i = 0; i < preds.size(); ++i)
    if (!std::isfinite(preds[i])) fail(op, "prediction ", i, " is ", preds[i], " (did training diverge?)");
  EvalResult r;
  r.rows = static_cast<int64_t>(labels.size());
  if (labels.empty()) return r;
  std::vector<double> y(labels.begin(), labels.end()), p(preds.begin(), preds.end());
  r.mse = metrics::mse(y, p);
  if (task == "regression") return r;
  r.logloss = metrics::log_loss(y, p);
  r.accuracy = metrics::accuracy(y, p);
  double pos = std::accumulate(y.begin(), y.end(), 0.0);
  if (pos > 0 && pos < static_cast<double>(y.size())) r.auc = metrics::roc_auc(y, p);
  if (!groups.empty()) {
    try {
      r.gauc = metrics::gauc(y, p, groups);
    } catch (const Error&) {
      r.gauc = kNoValue;  // no group holds both classes: GAUC is undefined (inputs were checked above)
    }
  }
  return r;
}

std::vector<float> predict(const CtrModel& model, const data::Dataset& data, int64_t batch_size) {
  if (batch_size <= 0) fail("predict", "batch_size must be > 0, got ", batch_size);
  NoGradGuard no_grad;
  std::vector<int64_t> order(static_cast<size_t>(data.rows()));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::vector<float> out;
  out.reserve(order.size());
  Device dev = model.device();
  // On a GPU the batches' predictions stay on the device and are read kDeviceReadEvery batches at
  // a time, one device-to-host copy, so the host queues batches ahead of the GPU.
  TensorList pending;
  auto read = [&] {
    if (pending.empty()) return;
    std::vector<float> v = concat(pending, 0).to(Device::cpu()).to(DType::F32).to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
    pending.clear();
  };
  for (int64_t b = 0; b < data.rows(); b += batch_size) {
    int64_t e = b + std::min(data.rows() - b, batch_size);  // b + batch_size may overflow
    Tensor p = model.predict(data.gather(order, b, e, dev));
    if (p.numel() != e - b) fail("predict", "the model returned ", p.describe(), " for a batch of ", e - b, " rows");
    pending.push_back(reshape(p.detach(), {p.numel()}));
    if (dev.is_cpu() || pending.size() >= detail::kDeviceReadEvery) read();
  }
  read();
  return out;
}

EvalResult evaluate(const CtrModel& model, const data::Dataset& data, int64_t batch_size) {
  std::vector<float> p = predict(model, data, batch_size);
  return evaluate_predictions(data.labels, p, data.groups, model.options().task);
}

}  // namespace dien
