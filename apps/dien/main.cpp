// SPDX-License-Identifier: MIT
// `dien`: train, evaluate and serve DIEN / DIN / base CTR models from the command line.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

#include "apps/dien/commands.h"
#include "capi/dien.h"
#include "core/device.h"
#include "core/error.h"
#include "core/threads.h"
#include "kernels/dispatch.h"

namespace dien::cli {

void set_threads(int threads) { dien::set_num_threads(threads); }

void check_device(const std::string& name) {
  const Device d = Device::parse(name);
  if (d.is_cpu()) return;
  if (!cuda_built())
    fail("dien", "--device ", name, ": this dien was built without CUDA (-DDIEN_CUDA=OFF); use --device cpu, or "
         "rebuild with -DDIEN_CUDA=AUTO where nvcc is installed");
  const int n = cuda_device_count();
  if (n == 0) fail("dien", "--device ", name, ": no GPU found (no CUDA device is visible to this process); use --device cpu");
  if (d.index >= n)
    fail("dien", "--device ", name, ": only ", n, " GPU(s) found (cuda:0 to cuda:", n - 1, ")");
}

void print_loss_legend(bool regression, bool aux_loss) {
  const char* metric = regression ? "MSE" : "log loss";
  std::printf("(progress line: objective = the loss minimised, per sample: %s%s + L2 terms; epoch lines: loss = %s "
              "of the epoch's training predictions, val_loss = %s on the validation samples)\n",
              metric, aux_loss ? " + alpha x auxiliary loss" : "", metric, metric);
}

std::string error_line(const std::string& what) {
  // Library errors start with their op ("dien: ...", "dien train: ..."); print that prefix once.
  for (const std::string& prefix : {std::string("dien: "), std::string("dien ")}) {
    if (what.rfind(prefix, 0) != 0) continue;
    if (prefix == "dien: ") return "dien: error: " + what.substr(prefix.size());
    const auto colon = what.find(": ");
    if (colon != std::string::npos && what.find(' ', prefix.size()) >= colon)  // "dien <sub>: ..."
      return what.substr(0, colon) + ": error: " + what.substr(colon + 2);
  }
  return "dien: error: " + what;
}

}  // namespace dien::cli

int main(int argc, char** argv) {
  CLI::App app{
      "dien: click-through-rate models with user-interest evolution (DIEN, Zhou et al. 2019), DIN and a base "
      "model, trained and served by a from-scratch C++ engine.\n"
      "Start with `dien train` (synthetic data, DIEN with AUGRU and the auxiliary loss), then `dien compare`."};
  app.set_version_flag("--version", std::string("dien ") + dien_version() +
                                        (dien::cuda_built() ? " (CPU and CUDA)" : " (CPU only, built with DIEN_CUDA=OFF)"));
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
    std::fprintf(stderr, "%s\n", dien::cli::error_line(e.what()).c_str());
    return 1;
  }
  // What went to stdout (printf buffers it) must have arrived: `dien info > /dev/full` fails.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "dien: error: cannot write standard output: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}
