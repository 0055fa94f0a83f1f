#include "runtime/store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace parcours::store {

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);
}

common::Expected<FileLock> FileLock::Acquire(const std::string& path,
                                             bool& busy) {
  busy = false;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int error = errno;
    // The lock sits beside the state file: a missing folder is the reason
    // a user can act on, said as `--out` says it.
    std::error_code code;
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (error == ENOENT && !folder.empty() &&
        !std::filesystem::exists(folder, code)) {
      return common::Status::Error("the folder `" + folder.string() +
                                   "` does not exist");
    }
    return common::Status::Error("could not open the lock file `" + path +
                                 "`: " + std::strerror(error));
  }

  // flock(2) locks belong to the open file description, so a second open
  // in the same process conflicts too, and SQLite's own fcntl(2) locks on
  // the database are not disturbed.
  int result = 0;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    int error = errno;
    ::close(fd);
    busy = error == EWOULDBLOCK;
    if (busy) return common::Status::Error("in use");
    return common::Status::Error("could not lock `" + path +
                                 "`: " + std::strerror(error));
  }
  return FileLock(fd);
}

}  // namespace parcours::store
