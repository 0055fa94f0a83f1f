// Times as text: ISO 8601 in, UTC with a `Z` out.
//
// Neither direction reads the process time zone or locale, so results are
// the same on every machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parcours::common {

// Parses `YYYY-MM-DDTHH:MM:SS`, optionally followed by a fraction of a
// second (dropped: the engine counts whole seconds), then `Z` or an offset
// `+hh:mm`, `-hh:mm`, `+hhmm` or `+hh`. A time without a zone is refused
// because its meaning would depend on where it is read. Returns seconds
// since the Unix epoch, or nothing when `text` is not such a time.
std::optional<int64_t> ParseTime(std::string_view text);

// `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
std::string FormatTime(int64_t seconds);

}  // namespace parcours::common
