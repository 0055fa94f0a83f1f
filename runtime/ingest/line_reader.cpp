#include "runtime/ingest/line_reader.h"

#include <exception>
#include <streambuf>
#include <system_error>
#include <utility>

namespace parcours::ingest {

LineReader::LineReader(std::istream& input, size_t max_line_bytes)
    : input_(input), max_line_bytes_(max_line_bytes) {}

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
  if (buffer == nullptr || !input_.good()) return false;

  // Character by character through the stream buffer: `sbumpc` is an
  // inline pointer bump except when the buffer refills, and reading never
  // waits for more input than the current line.
  bool any = false;
  for (;;) {
    int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      input_.setstate(std::ios::eofbit);
      break;
    }
    any = true;
    if (c == '\n') break;
    if (line.size() < max_line_bytes_) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (!any) return false;

  if (!too_long && !line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

void LineReader::Fail(std::string error) {
  failed_ = true;
  error_ = std::move(error);
}

}  // namespace parcours::ingest
