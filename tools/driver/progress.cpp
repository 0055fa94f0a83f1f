#include "tools/driver/progress.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <utility>

namespace parcours::driver {

ProgressLine::ProgressLine(std::ostream& err, bool enabled, Clock clock)
    : err_(err),
      enabled_(enabled),
      clock_(std::move(clock)),
      interval_(500),
      last_(clock_()) {
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
  auto now = clock_();
  if (now - last_ < interval_) return;
  std::chrono::duration<double> spent = now - last_;
  auto rate = static_cast<int64_t>(
      spent.count() > 0
          ? static_cast<double>(events - events_at_last_) / spent.count()
          : 0);
  last_ = now;
  events_at_last_ = events;

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
