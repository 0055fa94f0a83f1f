// Lines of an input that is still being written: a file that grows, or a
// pipe whose writer has not finished.
//
// `LineReader` takes the end of a file for the end of the input; in live
// mode more lines come later, and the engine must keep firing timers
// while it waits for them. So this reader never blocks for longer than it
// is asked to, hands out only complete lines (a writer's half-written
// last line waits for its newline), and tells a pause from the end of a
// pipe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace parcours::ingest {

class FollowReader {
 public:
  enum class Result : uint8_t {
    Line,   // `line` holds the next complete line
    Idle,   // no complete line within the wait; more may come
    End,    // a pipe's writer closed it: no line will come
    Error,  // reading failed; `error()` says why
  };

  // Reads `fd`, which the caller keeps open. Lines longer than
  // `max_line_bytes` are cut there and flagged `too_long`.
  FollowReader(int fd, size_t max_line_bytes);

  // Waits at most `wait_ms` milliseconds for a complete line.
  Result Next(std::string& line, bool& too_long, int wait_ms);

  // Lines handed out so far; the last one's number.
  int64_t line_number() const { return line_number_; }
  // Whether the file was found shorter than what was read of it (cut
  // back by a log rotation's copytruncate) since the last call: reading
  // then starts again from its start, so the lines written after the cut
  // are not lost.
  bool TakeTruncation() {
    bool truncated = truncated_;
    truncated_ = false;
    return truncated;
  }
  const std::string& error() const { return error_; }

 private:
  // Moves the first complete line of `pending_` to `line`, if any.
  bool TakeLine(std::string& line, bool& too_long);

  int fd_;
  bool regular_ = false;  // a file, which polls as readable at its end
  size_t max_line_bytes_;
  std::string pending_;  // bytes read, not yet handed out
  // The part of an over-long line already cut off: its bytes up to the
  // newline are dropped as they arrive.
  bool skipping_ = false;
  bool ended_ = false;
  bool truncated_ = false;
  int64_t offset_ = 0;  // bytes read from a regular file
  int64_t line_number_ = 0;
  std::string error_;
};

}  // namespace parcours::ingest
