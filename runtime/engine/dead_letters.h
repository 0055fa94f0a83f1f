// The dead-letter file: input lines that could not be used, with why.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <unordered_set>

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

  // Appends one letter made by `FormatDeadLetter`, and its line end.
  common::Status Append(std::string_view letter);

  // Reads back the letters from byte `from` to the end of the file: those
  // a run may have written after its state's last commit, whose keys the
  // state does not know (the run was killed in between). `TakeReadBack`
  // then tells the rerun which of its letters are there, so that none is
  // written twice. A file shorter than `from` (moved away, cut back) has
  // no such letters. A last letter cut by the kill, without its line
  // end, is removed from the file: the rerun writes it whole.
  common::Status ReadBack(int64_t from);

  // Whether the letters read back hold `letter`, byte for byte; it is
  // then met, and no longer among them.
  bool TakeReadBack(const std::string& letter);

  // Once the whole input has been read, a letter read back and not met
  // again is of a line the input no longer has (fixed since): nothing
  // will write it again.
  void ForgetReadBack() { read_back_.clear(); }

  // The size of the file in bytes, 0 when it does not exist.
  int64_t End() const;

  // What a commit records as the place `ReadBack` starts from after a
  // crash: the end of the file, but while letters read back are not met
  // again (their keys are not in the state yet), where they start.
  int64_t RecordableEnd() const {
    return read_back_.empty() ? End() : read_back_from_;
  }

  // Whether the file could be opened, checked before any line is read:
  // found only at the first bad line, a path it cannot have would stop a
  // run whose lines before it were decided and never saved. The file
  // itself is still created only by the first letter.
  common::Status CheckWritable() const;

  // Makes the letters written so far visible to readers of the file, and
  // puts them on the disk.
  common::Status Flush();

  const std::string& path() const { return path_; }

 private:
  // Whether the file's last byte is not a line end.
  bool EndsInsideLine() const;

  std::string path_;
  std::ofstream out_;
  bool unsynced_ = false;  // letters appended since the last `Flush`
  std::unordered_set<std::string> read_back_;
  int64_t read_back_from_ = 0;
};

}  // namespace parcours::engine
