#include "runtime/ingest/follow_reader.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace parcours::ingest {

FollowReader::FollowReader(int fd, size_t max_line_bytes)
    : fd_(fd), max_line_bytes_(max_line_bytes) {
  struct stat info {};
  regular_ = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
}

bool FollowReader::TakeLine(std::string& line, bool& too_long) {
  size_t end = pending_.find('\n');
  if (end == std::string::npos) {
    // Keep at most one line's worth of an unfinished line; the rest of an
    // over-long one is dropped until its newline.
    if (pending_.size() > max_line_bytes_ && !skipping_) {
      skipping_ = true;
      pending_.resize(max_line_bytes_);
    } else if (skipping_) {
      pending_.resize(max_line_bytes_);
    }
    return false;
  }

  too_long = skipping_ || end > max_line_bytes_;
  line.assign(pending_, 0, std::min(end, max_line_bytes_));
  pending_.erase(0, end + 1);
  if (skipping_) {
    // `pending_` held the line's first bytes; the newline just came.
    skipping_ = false;
  }
  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

FollowReader::Result FollowReader::Next(std::string& line, bool& too_long,
                                        int wait_ms) {
  line.clear();
  too_long = false;
  if (TakeLine(line, too_long)) return Result::Line;
  if (ended_) return Result::End;

  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    // A pipe would block in read(2) while it is empty: wait for it first,
    // no longer than asked.
    if (!regular_) {
      pollfd watch{fd_, POLLIN, 0};
      int ready = ::poll(&watch, 1,
                         static_cast<int>(std::max<int64_t>(0, left.count())));
      if (ready == 0 || (ready < 0 && errno == EINTR)) return Result::Idle;
      if (ready < 0) {
        error_ = std::strerror(errno);
        return Result::Error;
      }
    }

    char buffer[1 << 16];
    ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got > 0) {
      offset_ += got;
      pending_.append(buffer, static_cast<size_t>(got));
      if (TakeLine(line, too_long)) return Result::Line;
      continue;
    }
    if (got < 0 && errno == EINTR) return Result::Idle;
    if (got < 0) {
      error_ = std::strerror(errno);
      return Result::Error;
    }
    if (!regular_) {
      // The writer closed the pipe; its last line may lack a newline.
      ended_ = true;
      if (!pending_.empty() && !skipping_) pending_ += '\n';
      if (TakeLine(line, too_long)) return Result::Line;
      return Result::End;
    }

    // A file at its current end: it may grow, or have been cut back under
    // us, in which case what is written now starts at its beginning. An
    // unfinished line before the cut will never be finished.
    struct stat info {};
    if (::fstat(fd_, &info) == 0 && info.st_size < offset_ &&
        ::lseek(fd_, 0, SEEK_SET) == 0) {
      offset_ = 0;
      pending_.clear();
      skipping_ = false;
      truncated_ = true;
      continue;
    }
    if (left.count() <= 0) return Result::Idle;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
  }
}

}  // namespace parcours::ingest
