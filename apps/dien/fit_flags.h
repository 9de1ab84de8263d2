// SPDX-License-Identifier: MIT
// Training flags shared by `dien train` and `dien compare` (models/trainer.h FitOptions).
#pragma once
#include <string>

#include <CLI/CLI.hpp>

#include "apps/dien/checks.h"
#include "models/trainer.h"

namespace dien::cli {

struct FitFlags {
  FitOptions fit;
  std::string device = "cpu";
  int threads = 0;
  FitFlags() {
    fit.epochs = 3;
    fit.batch_size = 256;
  }
  void add(CLI::App& app) {
    const char* g = "Training";
    app.add_option("--epochs", fit.epochs, "epochs")->check(at_least(1))->capture_default_str()->group(g);
    app.add_option("--batch-size", fit.batch_size, "mini-batch size")
        ->check(whole_in(1, kMaxBatch))
        ->capture_default_str()
        ->group(g);
    app.add_option("--optimizer", fit.optimizer, "adam, adagrad, sgd or rmsprop")
        ->check(CLI::IsMember({"adam", "adagrad", "sgd", "rmsprop"}))
        ->capture_default_str()
        ->group(g);
    app.add_option("--lr", fit.lr, "learning rate (default: adam 1e-3, others 1e-2)")->check(positive_real())->group(g);
    app.add_option("--embedding-grad", fit.embedding_grad,
                   "embedding-table gradients: sparse (default: only the rows a batch reads, lazy optimizer "
                   "updates; no step costs O(vocabulary)) or dense (every row every step, DeepCTR-Torch). "
                   "--resume keeps the run's mode")
        ->check(CLI::IsMember({"sparse", "dense"}))
        ->group(g);
    app.add_option("--seed", fit.seed, "seed of the shuffling (and, unless --model-seed, of the initialisation)")
        ->capture_default_str()
        ->group(g);
    app.add_flag("!--no-shuffle", fit.shuffle, "keep the data order")->group(g);
    app.add_flag("--deterministic", fit.deterministic,
                 "on a GPU, order-fixed kernels instead of atomics (embedding gradients): two runs give the "
                 "same bits (the CPU does either way)")
        ->group(g);
    app.add_option("--device", device, "cpu or cuda[:N]")->capture_default_str()->group(g);
    app.add_option("--threads", threads, "CPU threads of the kernels (0: every usable core)")
        ->check(at_least(0))
        ->capture_default_str()
        ->group(g);
  }
};

}  // namespace dien::cli
