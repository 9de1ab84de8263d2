// SPDX-License-Identifier: MIT
// Evaluation metrics for binary click-through-rate models, computed in double on the host.
// Labels are 0 or 1; inputs of the Tensor overloads may have any dtype, device and shape
// (they are flattened; labels and predictions must have the same number of elements).
//
//   double auc = dien::metrics::roc_auc(labels, probs);   // exact, ties count one half
//   double ll  = dien::metrics::log_loss(labels, probs);
//   double acc = dien::metrics::accuracy(labels, probs);  // prob > 0.5 predicts 1
//   double g   = dien::metrics::gauc(labels, probs, user_ids);  // per-user AUC, weighted
//
// They live in dien::metrics because dien::mse(Tensor, Tensor) is the differentiable loss.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace dien::metrics {

// Area under the ROC curve: the probability that a random positive scores above a random
// negative, a tie counting 1/2 (the Mann-Whitney U statistic with average ranks). Throws
// when only one class is present (naming the counts) or a score is NaN.
double roc_auc(const std::vector<double>& labels, const std::vector<double>& scores);
double roc_auc(const Tensor& labels, const Tensor& scores);

// Group AUC (Zhou et al., DIN, KDD 2018, Eq. 9; the DeepCTR practice): the AUC of each group
// (user) computed alone, averaged with the group's impression count as its weight:
//   GAUC = sum_g n_g * AUC_g / sum_g n_g.
// Groups where only one class appears have no AUC and are skipped (they weigh nothing). Throws
// when sizes differ, a label is not 0/1, a score is NaN, or no group holds both classes.
double gauc(const std::vector<double>& labels, const std::vector<double>& scores,
            const std::vector<int64_t>& groups);
double gauc(const Tensor& labels, const Tensor& scores, const Tensor& groups);

// Mean binary cross-entropy, probabilities clamped to [eps, 1 - eps]; probs must lie in [0, 1].
double log_loss(const std::vector<double>& labels, const std::vector<double>& probs, double eps = 1e-7);
double log_loss(const Tensor& labels, const Tensor& probs, double eps = 1e-7);

// Fraction of elements where (prob > threshold) equals the label.
double accuracy(const std::vector<double>& labels, const std::vector<double>& probs, double threshold = 0.5);
double accuracy(const Tensor& labels, const Tensor& probs, double threshold = 0.5);

// Mean squared error between targets and predictions (any real values).
double mse(const std::vector<double>& targets, const std::vector<double>& preds);
double mse(const Tensor& targets, const Tensor& preds);

}  // namespace dien::metrics
