// SPDX-License-Identifier: MIT
#include "models/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace dien::detail {

Progress::Progress(int epoch, int epochs, int64_t total, bool enabled)
    : epoch_(epoch), epochs_(epochs), total_(total), enabled_(enabled && total > 0),
      tty_(::isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::update(int64_t done, double loss, const std::function<double()>& auc) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
    last_draw_ = now;
    draw(done, loss, auc ? auc() : NAN, false);
    return;
  }
  if (done * 10 >= total_ * next_tenth_) {
    while (done * 10 >= total_ * next_tenth_) ++next_tenth_;
    draw(done, loss, auc ? auc() : NAN, true);
  }
}

bool Progress::due(int64_t done) const {
  if (!enabled_) return false;
  if (tty_) return done >= total_ || std::chrono::steady_clock::now() - last_draw_ >= std::chrono::milliseconds(250);
  return done * 10 >= total_ * next_tenth_;
}

void Progress::finish() {
  if (enabled_ && tty_ && drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

void Progress::draw(int64_t done, double loss, double auc, bool newline) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  constexpr int kWidth = 24;
  int filled = static_cast<int>(kWidth * done / total_);
  std::string bar(kWidth, ' ');
  for (int i = 0; i < filled; ++i) bar[i] = '=';
  if (filled < kWidth) bar[filled] = '>';
  char auc_text[32] = "";
  if (auc == auc) std::snprintf(auc_text, sizeof auc_text, "  auc %.4f", auc);
  std::fprintf(stderr, "%sepoch %d/%d [%s] %lld/%lld  objective %.4f%s  %.0f samples/s%s", tty_ ? "\r\033[K" : "", epoch_,
               epochs_, bar.c_str(), static_cast<long long>(done), static_cast<long long>(total_), loss, auc_text,
               rate, newline ? "\n" : "");
  std::fflush(stderr);
  drawn_ = !newline;
}

}  // namespace dien::detail
