// Reads the time of a CSV cell: a pattern, or epoch seconds, and a zone.
//
// Local wall-clock times are turned into UTC with the system's IANA time
// zone database (date/tz reads /usr/share/zoneinfo). A wall time that
// occurs twice (the autumn overlap) is read with the earlier offset and
// counted; one that never occurs (the spring gap) is refused, because no
// customer did anything at 01:30 on that night in London.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parcours::import {

struct TimePattern {
  // "epoch_seconds", "epoch_millis", "iso8601", or a pattern of %Y %m %d
  // %H %M %S %f (a fraction, dropped) %z (Z or an offset) and literals.
  std::string format;
};

// Why a pattern is not usable, or empty when it is.
std::string CheckTimePattern(const TimePattern& pattern);

// True when the pattern carries its own offset (epoch, iso8601, %z), so
// that no zone is needed.
bool PatternHasOffset(const TimePattern& pattern);

struct TimeReading {
  int64_t seconds = 0;  // since the Unix epoch, UTC
  bool ambiguous = false;
  // Why the text could not be read; empty on success.
  std::string problem;
};

// Reads `text` with `pattern`; `zone` names the IANA zone for a wall-clock
// pattern and is ignored for the others.
TimeReading ReadTime(std::string_view text, const TimePattern& pattern,
                     const std::string& zone);

// True when the time zone database knows `zone`.
bool IsKnownZone(const std::string& zone);

}  // namespace parcours::import
