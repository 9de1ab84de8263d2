// SPDX-License-Identifier: MIT
// `mlp`: trains a 2-layer MLP with Adam on generated data and prints loss and AUC per epoch.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "examples/mlp/mlp.h"

int main(int argc, char** argv) {
  dien::examples::MlpConfig c;
  CLI::App app{"Train a 2-layer MLP (Linear-ReLU-Linear, Adam, BCE with logits) on generated data whose label "
               "is a non-linear function of the features; prints train/validation loss and validation AUC per "
               "epoch."};
  app.add_option("--epochs", c.epochs, "training epochs")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--batch", c.batch, "mini-batch size")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--lr", c.lr, "Adam learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--hidden", c.hidden, "hidden units")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--dim", c.dim, "feature dimension (>= 7)")->capture_default_str()->check(CLI::Range(7, 4096));
  app.add_option("--train", c.n_train, "training samples")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--val", c.n_val, "validation samples")->capture_default_str()->check(CLI::Range(2, 100000000));
  app.add_option("--seed", c.seed, "seed of data, initialisation and shuffling")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    auto hist = dien::examples::train_mlp(c);
    std::printf("final validation AUC: %.4f\n", hist.back().val_auc);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mlp: %s\n", e.what());
    return 1;
  }
  return 0;
}
