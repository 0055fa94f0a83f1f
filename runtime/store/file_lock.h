// An exclusive, advisory lock on a file, held for an object's lifetime.
#pragma once

#include <string>

#include "runtime/common/status.h"

namespace parcours::store {

class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Creates `path` when missing and takes flock(2)'s exclusive lock on it
  // without waiting. `busy` is set when another open file description
  // (another process, or another `Acquire` in this one) holds it; the
  // error then says only "in use", for the caller to put in context.
  // The lock is released when the object is destroyed or the process
  // ends, however it ends; the file itself stays.
  static common::Expected<FileLock> Acquire(const std::string& path,
                                            bool& busy);

 private:
  explicit FileLock(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace parcours::store
