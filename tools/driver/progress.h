// A progress line for long runs, on stderr when it is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace parcours::driver {

// Rewrites one line in place ("\r") with the events read, their rate
// since the line was last written (so that a live run gone idle shows 0,
// not an average that slowly falls) and the sends so far, at most once
// per interval and only after the run has lasted one interval, so a
// short run prints nothing. Meant for a person
// watching: `Enabled` is false unless `err` is the process's stderr and
// that is a terminal, so a pipe or a file never gets it.
class ProgressLine {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // The interval is 500 ms, or PARCOURS_PROGRESS_MS when set (for tests);
  // `clock` tells the time (a test's own).
  ProgressLine(std::ostream& err, bool enabled,
               Clock clock = std::chrono::steady_clock::now);

  static bool IsTerminal(const std::ostream& err);

  void Update(int64_t events, int64_t sends);

  // Erases the line, if one was printed, before the summary.
  void Clear();

 private:
  std::ostream& err_;
  bool enabled_;
  Clock clock_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_;
  int64_t events_at_last_ = 0;
  size_t printed_width_ = 0;
};

}  // namespace parcours::driver
