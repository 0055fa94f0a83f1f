// Splits an input stream into lines without trusting their length.
//
// A line longer than the limit is not an error of the reader: its first
// bytes are kept (for the dead-letter file) and the rest is skipped, so a
// runaway line costs no more memory than the limit. A line that goes on
// for `kEndlessLineFactor` times the limit without an end is taken for
// an input that is not lines at all (`/dev/zero`, a JSON array on one
// line, a binary file): the reader stops there, as for a read error, with
// `endless_line()` true, rather than skip its bytes for ever.
//
// A read error is never mistaken for the end of the input. A stream
// buffer reports one by throwing from `underflow` (as `std::filebuf` does
// for a directory) or by leaving the stream bad; either way `Next` returns
// false, `failed()` is true and `error()` says why. Nothing is thrown out
// of the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>

namespace parcours::ingest {

class LineReader {
 public:
  // How many times the line limit one line may run to before the reader
  // gives up on finding its end.
  static constexpr size_t kEndlessLineFactor = 64;

  // `input` must outlive the reader.
  LineReader(std::istream& input, size_t max_line_bytes);

  // Reads the next line into `line`, without its `\n` or `\r\n`. Returns
  // false at the end of the input (a last line without a newline is still
  // returned). `too_long` tells whether the line was cut at the limit.
  bool Next(std::string& line, bool& too_long);

  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }

  // True when the stream failed for a reason other than its end.
  bool failed() const { return failed_; }

  // What failed, e.g. "Is a directory"; empty when the stream did not say.
  const std::string& error() const { return error_; }

  // True when reading stopped because line `line_number() + 1` ran past
  // `endless_line_bytes()` without an end (`failed()` is true too).
  bool endless_line() const { return endless_line_; }
  size_t endless_line_bytes() const { return endless_line_bytes_; }

 private:
  // `Next` without the error handling; may throw what the buffer throws.
  bool ReadLine(std::string& line, bool& too_long);
  // Moves into `pending_` what the stream buffer already holds or, when it
  // holds nothing, waits for one byte. False at the end of the input.
  bool TakeMore(std::streambuf& buffer);
  void Fail(std::string error);

  std::istream& input_;
  size_t max_line_bytes_;
  size_t endless_line_bytes_;
  int64_t line_number_ = 0;
  bool failed_ = false;
  bool endless_line_ = false;
  std::string error_;
  // Bytes taken from the stream buffer but not returned yet, from
  // `pending_begin_` to `pending_end_`: lines are cut out of them with
  // `memchr`, a block at a time, instead of a character at a time through
  // the buffer. `pending_` keeps its size from block to block, so that
  // taking a block does not first fill it with zeros.
  std::string pending_;
  size_t pending_begin_ = 0;
  size_t pending_end_ = 0;
};

}  // namespace parcours::ingest
