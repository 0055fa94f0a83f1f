#include "runtime/ingest/line_reader.h"

#include <streambuf>

namespace parcours::ingest {

LineReader::LineReader(std::istream& input, size_t max_line_bytes)
    : input_(input), max_line_bytes_(max_line_bytes) {}

bool LineReader::Next(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
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

bool LineReader::failed() const { return input_.bad(); }

}  // namespace parcours::ingest
