// The dead-letter file: input lines that could not be used, with why.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "runtime/common/status.h"

namespace parcours::engine {

// Longest part of a bad line kept in its dead letter.
inline constexpr size_t kDeadLetterTextBytes = 1000;

// {"line":N,"reason":"...","text":"<the line, cut to 1000 bytes>"}
std::string FormatDeadLetter(int64_t line, std::string_view reason,
                             std::string_view text);

// Appends dead letters to a file, which is created only when the first one
// arrives: a clean run leaves no empty file behind, and earlier runs' dead
// letters are kept.
class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path);

  common::Status Write(int64_t line, std::string_view reason,
                       std::string_view text);

  // Whether the file could be opened, checked before any line is read:
  // found only at the first bad line, a path it cannot have would stop a
  // run whose lines before it were decided and never saved. The file
  // itself is still created only by the first letter.
  common::Status CheckWritable() const;

  // Makes the letters written so far visible to readers of the file.
  common::Status Flush();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace parcours::engine
