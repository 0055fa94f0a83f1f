// Calendar dates in the IR, and the two operations that read a
// recipient's zone (`local_day`, `day_start`).
//
// A `date` is held as an `int` word: the number of days since 1970-01-01
// (negative before it). The zone operations are plain C functions so that
// the interpreter calls them and the JIT emits calls to the very same
// code; both read the zone from the profile's `tz` attribute as text, and
// an empty or unknown zone counts as UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace parcours::ir {

enum class CalendarUnit : uint8_t;

// "YYYY-MM-DD" (a real day of the Gregorian calendar, years 0001-9999) as
// days since 1970-01-01; nothing for any other text.
std::optional<int64_t> ParseDate(std::string_view text);

// The days of `month` (1 to 12) of `year` in the Gregorian calendar.
int DaysInMonth(int year, int month);

// Days since 1970-01-01 as "YYYY-MM-DD".
std::string FormatDate(int64_t days);

// Seconds since the epoch as a test and the stream write a time, in UTC:
// "2025-03-01T12:00:00Z".
std::string FormatTimestamp(int64_t seconds);

// The zone of the tz database named `name`, or null for an unknown or
// empty name. Lookups are cached (a bad name is searched once) and safe
// from several threads.
const date::time_zone* FindTimeZone(const std::string& name);

// `time` (seconds since the epoch) plus `count` days, weeks, months or
// years (`count` may be negative) on the wall clock of `zone` (null:
// UTC), by the rules of the recipient's calendar that runtime/engine/
// calendar.h states for waits. A result past year 9999 is INT64_MAX (never);
// one before year 1 is the first instant of year 1.
int64_t AddCalendar(int64_t time, int64_t count, CalendarUnit unit,
                    const date::time_zone* zone);

// Date `day` (days since 1970-01-01) plus `count` days, weeks, months or
// years: the 29th-31st plus months ends on the last day of a shorter
// month. The result stays within the years 1 to 9999.
int64_t AddCalendarToDate(int64_t day, int64_t count, CalendarUnit unit);

// Every zone name of the tz database (links such as `US/Eastern` aside), for
// "did you mean" hints.
std::vector<std::string> TimeZoneNames();

}  // namespace parcours::ir

extern "C" {
// The calendar date (days since 1970-01-01) on the wall clock of the zone
// named by `zone` (`zone_length` bytes) at `time` (seconds since the
// epoch).
int64_t parcours_local_day(int64_t time, const char* zone, int64_t zone_length);

// The first instant of local day `day` in that zone: its midnight, or the
// end of the gap when a daylight-saving change skips midnight.
int64_t parcours_day_start(int64_t day, const char* zone, int64_t zone_length);

// `ir::AddCalendar` with the zone named by `zone` (`zone_length` bytes;
// empty or unknown: UTC) and `unit` an `ir::CalendarUnit`.
int64_t parcours_add_calendar(int64_t time, int64_t count, int64_t unit,
                              const char* zone, int64_t zone_length);

// `ir::AddCalendarToDate`.
int64_t parcours_add_calendar_to_date(int64_t day, int64_t count, int64_t unit);
}
