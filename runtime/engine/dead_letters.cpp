#include "runtime/engine/dead_letters.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

namespace parcours::engine {

namespace {

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return text.substr(0, end);
}

// The reason a user can act on, from `errno` just after a failed open or
// write: a missing folder, a full disk, a file they may not write.
std::string Reason(int error, const std::string& path) {
  if (error == ENOENT) {
    std::error_code ignored;
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    if (!folder.empty() && !std::filesystem::exists(folder, ignored)) {
      return ": the folder `" + folder.string() + "` does not exist";
    }
  }
  return error == 0 ? std::string()
                    : ": " + std::generic_category().message(error);
}

}  // namespace

std::string FormatDeadLetter(int64_t line, std::string_view reason,
                             std::string_view text) {
  nlohmann::ordered_json letter = nlohmann::ordered_json::object();
  letter["line"] = line;
  letter["reason"] = reason;
  letter["text"] = CutUtf8(text, kDeadLetterTextBytes);
  // A bad line may be bad UTF-8; its bytes are replaced, not refused.
  return letter.dump(-1, ' ', false,
                     nlohmann::ordered_json::error_handler_t::replace);
}

DeadLetterFile::DeadLetterFile(std::string path) : path_(std::move(path)) {}

common::Status DeadLetterFile::Write(int64_t line, std::string_view reason,
                                     std::string_view text) {
  return Append(FormatDeadLetter(line, reason, text));
}

common::Status DeadLetterFile::Append(std::string_view letter) {
  if (!out_.is_open()) {
    // A file whose last line lacks its end (cut by hand, or by a kill
    // before any commit recorded where the letters end) gets one first,
    // so that this letter starts a line of its own.
    bool cut = EndsInsideLine();
    errno = 0;
    out_.open(path_, std::ios::out | std::ios::app | std::ios::binary);
    if (!out_.is_open()) {
      return common::Status::Error("could not open the dead-letter file `" +
                                   path_ + "`" + Reason(errno, path_));
    }
    if (cut) out_ << '\n';
  }
  // Flushed at once: dead letters are few, and a line that cannot be
  // written is then known before it is counted as written.
  errno = 0;
  out_ << letter << '\n';
  out_.flush();
  unsynced_ = true;
  if (!out_) {
    return common::Status::Error("could not write the dead-letter file `" +
                                 path_ + "`" + Reason(errno, path_));
  }
  return common::Status::Ok();
}

common::Status DeadLetterFile::CheckWritable() const {
  namespace fs = std::filesystem;
  std::error_code code;
  bool exists = fs::exists(path_, code);
  fs::path folder = fs::path(path_).parent_path();
  if (folder.empty()) folder = ".";
  if (!exists && !fs::is_directory(folder, code)) {
    return common::Status::Error("cannot write the dead-letter file `" + path_ +
                                 "`: the folder `" + folder.string() +
                                 "` does not exist");
  }
  const char* target = exists ? path_.c_str() : folder.c_str();
  if (access(target, W_OK) != 0) {
    return common::Status::Error("cannot write the dead-letter file `" + path_ +
                                 "`" + Reason(errno, path_));
  }
  return common::Status::Ok();
}

common::Status DeadLetterFile::ReadBack(int64_t from) {
  read_back_.clear();
  read_back_from_ = from;
  if (from < 0 || End() <= from) return common::Status::Ok();
  errno = 0;
  std::ifstream in(path_, std::ios::in | std::ios::binary);
  if (!in) {
    return common::Status::Error("could not read the dead-letter file `" +
                                 path_ + "`" + Reason(errno, path_));
  }
  in.seekg(from);
  std::string tail(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) {
    return common::Status::Error("could not read the dead-letter file `" +
                                 path_ + "`" + Reason(errno, path_));
  }

  // A last letter without its line end was cut by the kill that stopped
  // the run in the middle of writing it. Its line was not committed, so
  // the rerun writes it whole; the cut part goes, or the next letter
  // would be glued to it.
  size_t whole = tail.rfind('\n');
  whole = whole == std::string::npos ? 0 : whole + 1;
  if (whole < tail.size()) {
    std::error_code code;
    std::filesystem::resize_file(path_, static_cast<uintmax_t>(from) + whole,
                                 code);
    if (code) {
      return common::Status::Error(
          "could not remove the cut last letter of the dead-letter file `" +
          path_ + "`: " + code.message());
    }
  }
  for (size_t start = 0; start < whole;) {
    size_t end = tail.find('\n', start);
    read_back_.insert(tail.substr(start, end - start));
    start = end + 1;
  }
  return common::Status::Ok();
}

bool DeadLetterFile::TakeReadBack(const std::string& letter) {
  return read_back_.erase(letter) > 0;
}

bool DeadLetterFile::EndsInsideLine() const {
  int64_t end = End();
  if (end == 0) return false;
  std::ifstream in(path_, std::ios::in | std::ios::binary);
  in.seekg(end - 1);
  char last = '\n';
  return in.get(last) && last != '\n';
}

int64_t DeadLetterFile::End() const {
  std::error_code code;
  auto size = std::filesystem::file_size(path_, code);
  return code ? 0 : static_cast<int64_t>(size);
}

common::Status DeadLetterFile::Flush() {
  if (!out_.is_open() || !unsynced_) return common::Status::Ok();
  errno = 0;
  out_.flush();
  if (!out_) {
    return common::Status::Error("could not write the dead-letter file `" +
                                 path_ + "`" + Reason(errno, path_));
  }

  // A device or a pipe (`/dev/null`, `/dev/stderr`) keeps nothing to put
  // on a disk, and refuses the sync (EINVAL): the letters are handed over.
  struct stat info {};
  if (::stat(path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    unsynced_ = false;
    return common::Status::Ok();
  }

  // On the disk before the commit that records their keys: a power cut
  // after a checkpoint made that commit durable would otherwise lose
  // letters the state says are written. Any descriptor of the file
  // syncs its data; the stream keeps its own to itself.
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  bool synced = fd >= 0 && ::fdatasync(fd) == 0;
  int error = errno;
  if (fd >= 0) ::close(fd);
  if (!synced) {
    return common::Status::Error("could not write the dead-letter file `" +
                                 path_ + "` to the disk" +
                                 Reason(error, path_));
  }
  unsynced_ = false;
  return common::Status::Ok();
}

}  // namespace parcours::engine
