#include "runtime/ingest/follow_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace parcours::ingest {

FollowReader::FollowReader(int fd, size_t max_line_bytes, std::string path)
    : fd_(fd), max_line_bytes_(max_line_bytes), path_(std::move(path)) {
  struct stat info {};
  regular_ = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
  // A pipe or a device named by a path has no rotation to follow.
  if (!regular_) path_.clear();
}

FollowReader::~FollowReader() {
  if (next_fd_ >= 0) ::close(next_fd_);
}

bool FollowReader::FoundNewFile() {
  struct stat named {};
  if (::stat(path_.c_str(), &named) != 0) {
    auto now = std::chrono::steady_clock::now();
    if (!missing_) missing_since_ = now;
    missing_ = true;
    if (!missing_told_ && now - missing_since_ >= std::chrono::seconds(1)) {
      missing_told_ = true;
      went_missing_ = true;
    }
    return false;
  }
  missing_ = false;
  missing_told_ = false;

  struct stat open_file {};
  if (::fstat(fd_, &open_file) != 0) return false;
  bool same =
      named.st_dev == open_file.st_dev && named.st_ino == open_file.st_ino;
  // An empty new file may mean that the writer has not reopened yet and
  // still appends to the old one: that one is read on until then.
  if (same || !S_ISREG(named.st_mode) || named.st_size == 0) return false;

  int next = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (next < 0) return false;  // looked at again at the next pause
  struct stat opened {};
  if (::fstat(next, &opened) != 0 || !S_ISREG(opened.st_mode)) {
    ::close(next);
    return false;
  }
  next_fd_ = next;
  return true;
}

void FollowReader::SwitchToNewFile() {
  // The old file's unfinished last line will not be finished there; it
  // is a line of its own, not the start of the new file's first line.
  if (!pending_.empty()) pending_ += '\n';

  // The new file takes over the caller's descriptor number, which closes
  // the old file (its disk space can go) and leaves the caller one
  // descriptor to close, as before.
  bool moved = ::dup2(next_fd_, fd_) == fd_;
  if (moved) ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
  ::close(next_fd_);
  next_fd_ = -1;
  if (!moved) return;  // the old file is read on; looked at again later
  offset_ = 0;
  reopened_ = true;
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
      // An input that never ends its line (`/dev/zero`, a writer gone
      // wrong) always has bytes to read: without this, the caller never
      // got back to its clock, nor to SIGINT and SIGTERM.
      if (std::chrono::steady_clock::now() >= deadline) return Result::Idle;
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

    // Moved away and replaced: the old file was found at its end once
    // more after the new one turned up, so what its writer appended
    // meanwhile has been read.
    if (next_fd_ >= 0) {
      SwitchToNewFile();
      if (TakeLine(line, too_long)) return Result::Line;
      continue;
    }
    if (!path_.empty() && FoundNewFile()) continue;
    if (left.count() <= 0) return Result::Idle;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
  }
}

}  // namespace parcours::ingest
