// Text from the event stream made safe to print on a terminal.
//
// A summary or an error names values taken from the input (a time zone,
// an event name, an unknown `type`). Printed as they are, a control
// character in them would reach the user's terminal: an escape sequence
// can retitle or clear it, and a line break can forge a line of our own
// (`parcours: ...`). Such characters are written as JSON escapes instead;
// everything else, UTF-8 included, is kept.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace parcours::common {

inline std::string VisibleText(std::string_view text) {
  std::string shown;
  shown.reserve(text.size());
  auto escape = [&](unsigned code) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\u%04x", code);
    shown += buffer;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      shown += "\\n";
    } else if (byte == '\r') {
      shown += "\\r";
    } else if (byte == '\t') {
      shown += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      escape(byte);
    } else if (byte == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // U+0080 to U+009F, the C1 controls: some terminals take U+009B as
      // the start of an escape sequence.
      escape(static_cast<unsigned char>(text[++i]));
    } else {
      shown += static_cast<char>(byte);
    }
  }
  return shown;
}

}  // namespace parcours::common
