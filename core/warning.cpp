// SPDX-License-Identifier: MIT
#include "core/warning.h"

#include <cstdio>
#include <mutex>

namespace dien {

namespace {
std::mutex g_mu;
WarningHandler g_handler;  // empty: stderr
}  // namespace

WarningHandler set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(g_mu);
  WarningHandler old = std::move(g_handler);
  g_handler = std::move(handler);
  return old;
}

void warn(const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_handler) {
    g_handler(message);
    return;
  }
  std::fflush(stdout);  // keep the warning after what was printed before it
  std::fprintf(stderr, "dien: warning: %s\n", message.c_str());
}

}  // namespace dien
