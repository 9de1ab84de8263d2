// SPDX-License-Identifier: MIT
// `dien`: train, evaluate and serve DIEN / DIN / base CTR models from the command line.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "apps/dien/commands.h"
#include "core/error.h"

#include "core/threads.h"

namespace dien::cli {
void set_threads(int threads) { dien::set_num_threads(threads); }
}  // namespace dien::cli

int main(int argc, char** argv) {
  CLI::App app{
      "dien: click-through-rate models with user-interest evolution (DIEN, Zhou et al. 2019), DIN and a base "
      "model, trained and served by a from-scratch C++ engine.\n"
      "Start with `dien train` (synthetic data, DIEN with AUGRU and the auxiliary loss), then `dien compare`."};
  app.require_subcommand(1);
  app.fallthrough(false);
  dien::cli::add_train(app);
  dien::cli::add_eval(app);
  dien::cli::add_predict(app);
  dien::cli::add_gen_data(app);
  dien::cli::add_prepare(app);
  dien::cli::add_compare(app);
  dien::cli::add_info(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "dien: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
