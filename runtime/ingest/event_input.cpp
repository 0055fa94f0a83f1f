#include "runtime/ingest/event_input.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace parcours::ingest {

FdInputBuffer::FdInputBuffer(int fd, bool owned) : fd_(fd), owned_(owned) {}

FdInputBuffer::~FdInputBuffer() {
  if (owned_) ::close(fd_);
}

FdInputBuffer::int_type FdInputBuffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  for (;;) {
    ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
    if (got > 0) {
      setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
      return traits_type::to_int_type(*gptr());
    }
    if (got == 0) return traits_type::eof();
    if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "read");
    }
  }
}

EventInput::EventInput(int fd, bool owned, std::string name)
    : fd_(fd), buffer_(fd, owned), stream_(&buffer_), name_(std::move(name)) {}

common::Expected<std::unique_ptr<EventInput>> EventInput::Open(
    const std::string& path) {
  bool is_stdin = path == "-";
  std::string name = is_stdin ? "stdin" : "events file `" + path + "`";
  int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return common::Status::Error("cannot read " + name + ": " +
                                 std::strerror(errno));
  }

  // Reading a directory fails only at the first read; saying so now keeps
  // the state file from being opened for nothing.
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    if (!is_stdin) ::close(fd);
    return common::Status::Error(name + " is a directory");
  }
  return std::unique_ptr<EventInput>(new EventInput(fd, !is_stdin, name));
}

common::Expected<std::unique_ptr<EventInput>> EventInput::StandIn(
    const std::string& path) {
  std::string name = "events file `" + path + "`";
  int fd = ::memfd_create("parcours-awaited-events", MFD_CLOEXEC);
  if (fd < 0) {
    return common::Status::Error("cannot wait for " + name + ": " +
                                 std::strerror(errno));
  }
  return std::unique_ptr<EventInput>(new EventInput(fd, true, name));
}

}  // namespace parcours::ingest
