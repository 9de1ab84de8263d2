// SPDX-License-Identifier: MIT
// AUC, log loss, accuracy and MSE over host vectors; the Tensor overloads copy to doubles.
#include "models/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace dien::metrics {

namespace {

std::vector<double> host_doubles(const Tensor& t, const char* op, const char* what) {
  if (!t.defined()) fail(op, what, " is undefined");
  return t.detach().to(Device::cpu()).to(DType::F64).to_vector<double>();
}

void check_sizes(const char* op, size_t a, size_t b, const char* an, const char* bn) {
  if (a != b) fail(op, an, " has ", a, " elements but ", bn, " has ", b);
  if (a == 0) fail(op, "no elements");
}

void check_labels(const char* op, const std::vector<double>& labels) {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i] != 0 && labels[i] != 1) fail(op, "label ", i, " is ", labels[i], ", labels must be 0 or 1");
}

}  // namespace

double roc_auc(const std::vector<double>& labels, const std::vector<double>& scores) {
  check_sizes("roc_auc", labels.size(), scores.size(), "labels", "scores");
  check_labels("roc_auc", labels);
  for (size_t i = 0; i < scores.size(); ++i)
    if (std::isnan(scores[i])) fail("roc_auc", "score ", i, " is NaN");
  double npos = std::accumulate(labels.begin(), labels.end(), 0.0);
  double nneg = static_cast<double>(labels.size()) - npos;
  if (npos == 0 || nneg == 0)
    fail("roc_auc", "only one class is present (", npos, " positives, ", nneg,
         " negatives); AUC is undefined");

  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Walk groups of equal scores in ascending order: each positive beats every negative below
  // its group and ties with the negatives inside it.
  double wins = 0, neg_below = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    double pos_g = 0, neg_g = 0;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) {
      (labels[order[j]] == 1 ? pos_g : neg_g) += 1;
      ++j;
    }
    wins += pos_g * neg_below + 0.5 * pos_g * neg_g;
    neg_below += neg_g;
    i = j;
  }
  return wins / (npos * nneg);
}

double gauc(const std::vector<double>& labels, const std::vector<double>& scores,
            const std::vector<int64_t>& groups) {
  check_sizes("gauc", labels.size(), scores.size(), "labels", "scores");
  check_sizes("gauc", labels.size(), groups.size(), "labels", "groups");
  check_labels("gauc", labels);
  for (size_t i = 0; i < scores.size(); ++i)
    if (std::isnan(scores[i])) fail("gauc", "score ", i, " is NaN");
  // Rows of each group, groups in order of first appearance (so the sum is deterministic).
  std::unordered_map<int64_t, size_t> index;
  std::vector<std::vector<size_t>> rows;
  for (size_t i = 0; i < groups.size(); ++i) {
    auto [it, fresh] = index.emplace(groups[i], rows.size());
    if (fresh) rows.emplace_back();
    rows[it->second].push_back(i);
  }
  double weighted = 0, weight = 0;
  std::vector<double> y, s;
  for (const auto& r : rows) {
    double pos = 0;
    for (size_t i : r) pos += labels[i];
    if (pos == 0 || pos == static_cast<double>(r.size())) continue;  // one class: no AUC
    y.clear();
    s.clear();
    for (size_t i : r) {
      y.push_back(labels[i]);
      s.push_back(scores[i]);
    }
    double n = static_cast<double>(r.size());
    weighted += n * roc_auc(y, s);
    weight += n;
  }
  if (weight == 0)
    fail("gauc", "no group has both classes (", rows.size(), " groups over ", labels.size(),
         " rows); GAUC is undefined");
  return weighted / weight;
}

double log_loss(const std::vector<double>& labels, const std::vector<double>& probs, double eps) {
  check_sizes("log_loss", labels.size(), probs.size(), "labels", "probs");
  check_labels("log_loss", labels);
  if (!(eps > 0 && eps < 0.5)) fail("log_loss", "eps must lie in (0, 0.5), got ", eps);
  double total = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (!(probs[i] >= 0 && probs[i] <= 1)) fail("log_loss", "prob ", i, " is ", probs[i], ", outside [0, 1]");
    double p = std::clamp(probs[i], eps, 1 - eps);
    total -= labels[i] == 1 ? std::log(p) : std::log1p(-p);
  }
  return total / static_cast<double>(probs.size());
}

double accuracy(const std::vector<double>& labels, const std::vector<double>& probs, double threshold) {
  check_sizes("accuracy", labels.size(), probs.size(), "labels", "probs");
  check_labels("accuracy", labels);
  double correct = 0;
  for (size_t i = 0; i < probs.size(); ++i) correct += (probs[i] > threshold ? 1.0 : 0.0) == labels[i];
  return correct / static_cast<double>(probs.size());
}

double mse(const std::vector<double>& targets, const std::vector<double>& preds) {
  check_sizes("mse", targets.size(), preds.size(), "targets", "preds");
  double total = 0;
  for (size_t i = 0; i < preds.size(); ++i) total += (preds[i] - targets[i]) * (preds[i] - targets[i]);
  return total / static_cast<double>(preds.size());
}

double roc_auc(const Tensor& labels, const Tensor& scores) {
  return roc_auc(host_doubles(labels, "roc_auc", "labels"), host_doubles(scores, "roc_auc", "scores"));
}
double gauc(const Tensor& labels, const Tensor& scores, const Tensor& groups) {
  if (!groups.defined()) fail("gauc", "groups is undefined");
  if (groups.dtype() != DType::I64) fail("gauc", "groups must be i64, got ", groups.describe());
  return gauc(host_doubles(labels, "gauc", "labels"), host_doubles(scores, "gauc", "scores"),
              groups.detach().to(Device::cpu()).to_vector<int64_t>());
}
double log_loss(const Tensor& labels, const Tensor& probs, double eps) {
  return log_loss(host_doubles(labels, "log_loss", "labels"), host_doubles(probs, "log_loss", "probs"), eps);
}
double accuracy(const Tensor& labels, const Tensor& probs, double threshold) {
  return accuracy(host_doubles(labels, "accuracy", "labels"), host_doubles(probs, "accuracy", "probs"),
                  threshold);
}
double mse(const Tensor& targets, const Tensor& preds) {
  return mse(host_doubles(targets, "mse", "targets"), host_doubles(preds, "mse", "preds"));
}

}  // namespace dien::metrics
