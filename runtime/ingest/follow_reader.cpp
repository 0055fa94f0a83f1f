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
    if (!missing_told_ && !awaiting_path_ &&
        now - missing_since_ >= std::chrono::seconds(1)) {
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
  ForgetFile();
  old_file_bytes_ = pending_.size();
  (awaiting_path_ ? appeared_ : reopened_) = true;
  awaiting_path_ = false;
}

void FollowReader::ForgetFile() {
  offset_ = 0;
  line_end_ = 0;
  tail_.clear();
  long_line_tail_.clear();
}

bool FollowReader::StartOver() {
  if (::lseek(fd_, 0, SEEK_SET) != 0) return false;
  ForgetFile();
  pending_.clear();
  old_file_bytes_ = 0;
  skipping_ = false;
  return true;
}

bool FollowReader::RewrittenBeforeOffset() const {
  // An old file's unfinished line, or the dropped middle of an over-long
  // one, is not all in memory: nothing to compare with.
  if (old_file_bytes_ > 0 || skipping_) return false;

  // What the reader holds of the bytes before `offset_`: the end of the
  // last line handed out, then what was read after it.
  constexpr size_t kCompared = ReadPlace::kTailBytes;
  std::string held =
      tail_.size() > kCompared ? tail_.substr(tail_.size() - kCompared) : tail_;
  if (pending_.size() > kCompared) return false;
  held += pending_;
  if (held.empty()) return false;

  std::string now(held.size(), '\0');
  int64_t from = offset_ - static_cast<int64_t>(held.size());
  if (from < 0) return false;
  ssize_t got = ::pread(fd_, now.data(), now.size(), from);
  return got == static_cast<ssize_t>(now.size()) && now != held;
}

void FollowReader::KeepLast(std::string& kept, std::string_view bytes) {
  constexpr size_t kTail = ReadPlace::kTailBytes;
  if (bytes.size() >= kTail) {
    kept.assign(bytes.substr(bytes.size() - kTail));
    return;
  }
  // Cut only once it holds twice the tail: moving the tail's bytes at
  // every short line would cost more than reading the line.
  kept.append(bytes);
  if (kept.size() > 2 * kTail) kept.erase(0, kept.size() - kTail);
}

bool FollowReader::Place(ReadPlace& place) const {
  struct stat info {};
  if (!regular_ || awaiting_path_ || ::fstat(fd_, &info) != 0) return false;
  place.device = static_cast<uint64_t>(info.st_dev);
  place.inode = static_cast<uint64_t>(info.st_ino);
  place.offset = line_end_;
  place.line = line_number_;
  size_t tail = std::min(tail_.size(), ReadPlace::kTailBytes);
  place.tail.assign(tail_, tail_.size() - tail, tail);
  return true;
}

bool FollowReader::ResumeAt(const ReadPlace& place) {
  if (!regular_ || ::lseek(fd_, place.offset, SEEK_SET) != place.offset) {
    return false;
  }
  offset_ = place.offset;
  line_end_ = place.offset;
  line_number_ = place.line;
  tail_ = place.tail;
  return true;
}

bool FollowReader::TakeLine(std::string& line, bool& too_long) {
  size_t end = pending_.find('\n');
  if (end == std::string::npos) {
    // Keep at most one line's worth of an unfinished line; the rest of an
    // over-long one is dropped until its newline. The tail of the file
    // read past will need the line's last bytes.
    if (pending_.size() > max_line_bytes_) {
      std::string_view line_so_far(pending_);
      if (skipping_) line_so_far.remove_prefix(max_line_bytes_);
      KeepLast(long_line_tail_, line_so_far);
      skipping_ = true;
      pending_.resize(max_line_bytes_);
    }
    return false;
  }

  too_long = skipping_ || end > max_line_bytes_;
  line.assign(pending_, 0, std::min(end, max_line_bytes_));
  std::string_view read_past(pending_.data(), end + 1);
  if (old_file_bytes_ > 0) {
    // The old file's last line, handed out after the switch: the place in
    // the new file is still its start.
    old_file_bytes_ = 0;
  } else if (skipping_) {
    // `pending_` held the line's first bytes, then those after the ones
    // dropped; the newline just came.
    KeepLast(tail_, long_line_tail_);
    KeepLast(tail_, read_past.substr(max_line_bytes_));
  } else {
    KeepLast(tail_, read_past);
  }
  skipping_ = false;
  long_line_tail_.clear();
  pending_.erase(0, end + 1);
  // `pending_` now holds what was read after the newline, all of it.
  line_end_ = offset_ - static_cast<int64_t>(pending_.size());
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

    // Bytes written at the end may be the file's own bytes written again
    // (`cp export.jsonl events.jsonl`, longer than what was read): look
    // before reading them as the rest of the old lines.
    if (at_end_) {
      at_end_ = false;
      if (RewrittenBeforeOffset() && StartOver()) {
        rewritten_ = true;
        continue;
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
    if (::fstat(fd_, &info) == 0 && info.st_size < offset_ && StartOver()) {
      truncated_ = true;
      continue;
    }
    at_end_ = true;

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
