#include "runtime/ingest/line_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <streambuf>
#include <system_error>
#include <utility>

namespace parcours::ingest {

LineReader::LineReader(std::istream& input, size_t max_line_bytes)
    : input_(input),
      max_line_bytes_(max_line_bytes),
      endless_line_bytes_(max_line_bytes > SIZE_MAX / kEndlessLineFactor
                              ? SIZE_MAX
                              : std::max<size_t>(max_line_bytes, 1) *
                                    kEndlessLineFactor) {}

bool LineReader::Next(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  if (failed_) return false;

  // A stream buffer signals a read error by throwing, and `std::istream`
  // turns that into `badbit`; this reader calls the buffer directly, so it
  // catches for itself. The half-read line is dropped.
  try {
    if (ReadLine(line, too_long)) return true;
  } catch (const std::system_error& error) {
    Fail(error.code().message());
  } catch (const std::exception& error) {
    Fail(error.what());
  } catch (...) {
    Fail("unknown error");
  }
  if (!failed_ && input_.bad()) Fail("");
  line.clear();
  return false;
}

bool LineReader::ReadLine(std::string& line, bool& too_long) {
  std::streambuf* buffer = input_.rdbuf();
  if (buffer == nullptr) return false;

  bool any = false;
  size_t length_so_far = 0;
  for (;;) {
    // The line goes on to the next newline among the bytes taken, or past
    // all of them; beyond the limit its bytes are skipped.
    if (pending_begin_ < pending_end_) {
      any = true;
      const char* start = pending_.data() + pending_begin_;
      size_t size = pending_end_ - pending_begin_;
      const auto* newline =
          static_cast<const char*>(std::memchr(start, '\n', size));
      size_t length = newline != nullptr ? newline - start : size;
      size_t room = max_line_bytes_ - std::min(line.size(), max_line_bytes_);
      line.append(start, std::min(length, room));
      if (length > room) too_long = true;
      pending_begin_ += length;
      length_so_far += length;
      if (newline != nullptr) {
        ++pending_begin_;
        break;
      }
      // An endless input would be skipped for ever, the run saying
      // nothing; no line of events is this long.
      if (length_so_far > endless_line_bytes_) {
        endless_line_ = true;
        Fail("line " + std::to_string(line_number_ + 1) +
             " has no end in its first " + std::to_string(endless_line_bytes_) +
             " bytes");
        return false;
      }
    }
    if (!TakeMore(*buffer)) break;
  }
  if (!any) return false;

  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

bool LineReader::TakeMore(std::streambuf& buffer) {
  pending_begin_ = 0;
  pending_end_ = 0;
  if (!input_.good()) return false;

  // What is already buffered comes without waiting; reading never waits
  // for more input than the current line needs.
  constexpr std::streamsize kMostAtOnce = 1 << 16;
  if (pending_.size() < size_t{kMostAtOnce}) pending_.resize(kMostAtOnce);
  std::streamsize available = buffer.in_avail();
  if (available > 0) {
    std::streamsize got =
        buffer.sgetn(pending_.data(), std::min(available, kMostAtOnce));
    pending_end_ = static_cast<size_t>(std::max<std::streamsize>(got, 0));
    if (pending_end_ > 0) return true;
  }

  int c = buffer.sbumpc();
  if (c == std::char_traits<char>::eof()) {
    input_.setstate(std::ios::eofbit);
    return false;
  }
  pending_[0] = static_cast<char>(c);
  pending_end_ = 1;
  return true;
}

void LineReader::Fail(std::string error) {
  failed_ = true;
  error_ = std::move(error);
}

}  // namespace parcours::ingest
