// SPDX-License-Identifier: MIT
// The subcommands of `dien`; each registers itself on the app and runs when chosen.
#pragma once
#include <CLI/CLI.hpp>

namespace dien::cli {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_predict(CLI::App& app);
void add_gen_data(CLI::App& app);
void add_prepare(CLI::App& app);
void add_compare(CLI::App& app);
void add_info(CLI::App& app);

// Applies --threads (OpenMP threads of the CPU kernels; 0 keeps the default).
void set_threads(int threads);

}  // namespace dien::cli
