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

// For a time `ParseTime` refuses only for its zone offset (`+25:00`,
// `-05:60`, `+2500`: hours past 23 or minutes past 59), that offset as
// written, so that a message can name it; otherwise empty.
std::string OutOfRangeOffset(std::string_view text);

// For a time in PostgreSQL's text form, `2011-03-01 10:00:00+00` (a
// space where ISO 8601 puts the `T`, and often an offset of hours only),
// that time as `ParseTime` takes it, `2011-03-01T10:00:00+00:00`, so that
// a message can show the fix; empty when the space is not all that is
// wrong. The space is not taken: the input is ISO 8601, as its senders
// (and docs/runtime.md) say.
std::string IsoFormOfSpacedTime(std::string_view text);

// `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
std::string FormatTime(int64_t seconds);

// The same text written over `text`, whose buffer is reused: no
// allocation once it has held a time (the save formats one per log row).
void AssignTime(int64_t seconds, std::string& text);

// The times an input may carry: 1900-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z. Anything outside is a typo, not a customer's
// moment, and would only push sums of times towards overflow.
inline constexpr int64_t kEarliestTime = -2208988800;
inline constexpr int64_t kLatestTime = 253402300799;

// `time` + `seconds`, saturating at the ends of `int64_t` instead of
// wrapping: a wait too long to represent ends "never", not in the past.
int64_t AddSeconds(int64_t time, int64_t seconds);

// Parses a duration for the command line: a whole number followed by one
// unit, `s`, `m`, `h`, `d` or `w` ("90d", "12h"), or a bare `0`. Returns
// seconds, or nothing when `text` is not such a duration or overflows.
std::optional<int64_t> ParseDuration(std::string_view text);

// A non-negative span for messages, in its largest whole unit of years
// (365.2425 days), days, hours, minutes or seconds: "7974 years",
// "more than 90 days" (when the unit drops a remainder), "1 second".
std::string DescribeSpan(int64_t seconds);

}  // namespace parcours::common
