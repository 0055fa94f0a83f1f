#include "tools/driver/progress.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace parcours::driver {

ProgressLine::ProgressLine(std::ostream& err, bool enabled)
    : err_(err),
      enabled_(enabled),
      interval_(500),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {
  const char* configured = std::getenv("PARCOURS_PROGRESS_MS");
  if (configured != nullptr && *configured != '\0') {
    interval_ = std::chrono::milliseconds(std::atoll(configured));
  }
}

bool ProgressLine::IsTerminal(const std::ostream& err) {
  return &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
}

void ProgressLine::Update(int64_t events, int64_t sends) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval_) return;
  last_ = now;

  std::chrono::duration<double> spent = now - start_;
  auto rate = static_cast<int64_t>(
      spent.count() > 0 ? static_cast<double>(events) / spent.count() : 0);
  std::string text = "parcours: " + std::to_string(events) + " events read, " +
                     std::to_string(rate) + " events/s, " +
                     std::to_string(sends) + " sends";
  // Pad over a longer line printed before.
  size_t width = text.size();
  if (width < printed_width_) text.append(printed_width_ - width, ' ');
  printed_width_ = width;
  err_ << "\r" << text << std::flush;
}

void ProgressLine::Clear() {
  if (printed_width_ == 0) return;
  err_ << "\r" << std::string(printed_width_, ' ') << "\r" << std::flush;
  printed_width_ = 0;
}

}  // namespace parcours::driver
