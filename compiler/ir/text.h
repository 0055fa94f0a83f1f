// Text rules the compiler and the runtime share, written once: how a
// scaled number is spelt, and which characters do not show.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parcours::ir {

// The shortest exact text of `units` at 10^-`scale_digits`: FormatScaled(
// 129900000, 6) is "129.9", FormatScaled(-5, 6) is "-0.000005".
std::string FormatScaled(int64_t units, int scale_digits);

// A character that shows as nothing or as a blank: the white space of
// ASCII, and the invisible ones that spreadsheets, web forms and copies
// from a web page leave in a cell or a string (no-break space, zero-width
// spaces and joiners, the byte order mark).
struct Invisible {
  std::string_view bytes;  // its UTF-8 encoding
  uint32_t code;           // its code point
  const char* name;        // "zero-width space"
};

// The invisible character `text` starts with, or null when it starts with
// anything else (or is empty).
const Invisible* InvisibleAt(std::string_view text);

// Whether `text` is empty or holds invisible characters only: as an
// address or a name it names nothing.
bool IsBlank(std::string_view text);

}  // namespace parcours::ir
