// Exact conversion between decimal text and fixed-point integers.
//
// Money and decimals never pass through `double`: "129.90" becomes
// 129900000 units at scale 6 because the digits are read one by one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/ir/text.h"

namespace parcours::common {

enum class NumberProblem : uint8_t {
  None,
  NotANumber,  // not of the JSON number form
  TooPrecise,  // non-zero digits below the scale
  OutOfRange,  // does not fit in 64 bits at the scale
};

// Parses JSON-number text (`-`? digits, `.` digits?, exponent?) into units
// of 10^-`scale_digits`: ParseScaled("129.90", 6) gives 129900000 and
// ParseScaled("7.0", 0) gives 7. `units` is written only on success.
NumberProblem ParseScaled(std::string_view text, int scale_digits,
                          int64_t& units);

// The shortest exact text of a scaled number, which the compiler's
// messages spell the same way (compiler/ir/text.h).
using ir::FormatScaled;

}  // namespace parcours::common
