// SPDX-License-Identifier: MIT
// The subcommands of `dien`; each registers itself on the app and runs when chosen.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

namespace dien::cli {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_predict(CLI::App& app);
void add_gen_data(CLI::App& app);
void add_prepare(CLI::App& app);
void add_compare(CLI::App& app);
void add_info(CLI::App& app);

// Applies --threads (threads of the CPU kernels, core/threads.h; 0: every usable core).
void set_threads(int threads);
// Says on stdout, once before training, that the progress line's `objective` (the loss minimised:
// main loss + auxiliary + L2) and the epoch line's `loss` (of the predictions alone) differ.
void print_loss_legend(bool regression, bool aux_loss);
// Checks --device: "cpu", or a CUDA device that this build supports and that exists; the error
// says "no GPU found" (or that the build has no CUDA) in the user's terms.
void check_device(const std::string& device);

}  // namespace dien::cli
