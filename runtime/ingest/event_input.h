// The events' source: a file or stdin, read with read(2).
//
// `std::ifstream` throws from deep inside a read when its file turns out
// to be a directory, and `std::cin` turns every read error into a quiet
// end of input. This buffer reports each read error the way stream
// buffers do, by throwing from `underflow`; `LineReader` catches it and
// the run stops with the reason, instead of taking a failed read for an
// empty input.
#pragma once

#include <array>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>

#include "runtime/common/status.h"

namespace parcours::ingest {

class FdInputBuffer final : public std::streambuf {
 public:
  // Reads `fd`, closing it at destruction when `owned`.
  FdInputBuffer(int fd, bool owned);
  ~FdInputBuffer() override;
  FdInputBuffer(const FdInputBuffer&) = delete;
  FdInputBuffer& operator=(const FdInputBuffer&) = delete;

 protected:
  // Throws `std::system_error` when read(2) fails.
  int_type underflow() override;

 private:
  int fd_;
  bool owned_;
  std::array<char, 1 << 16> buffer_;
};

class EventInput {
 public:
  // Opens `path` for reading, or stdin for "-". A directory is refused
  // here, before anything reads it: "events file `x` is a directory".
  static common::Expected<std::unique_ptr<EventInput>> Open(
      const std::string& path);

  // For a live run started before its producer: an empty file of its own
  // (in memory) standing in for `path`, which does not exist yet; a
  // `FollowReader` told so (`AwaitPath`) moves to `path` once it holds
  // bytes.
  static common::Expected<std::unique_ptr<EventInput>> StandIn(
      const std::string& path);

  std::istream& stream() { return stream_; }

  // The descriptor under `stream()`, for reading a growing input with
  // `FollowReader` instead (never both).
  int fd() const { return fd_; }

  // "events file `x`" or "stdin", for messages.
  const std::string& name() const { return name_; }

 private:
  EventInput(int fd, bool owned, std::string name);

  int fd_;
  FdInputBuffer buffer_;
  std::istream stream_;
  std::string name_;
};

}  // namespace parcours::ingest
