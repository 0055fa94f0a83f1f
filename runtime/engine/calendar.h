// Calendar arithmetic in a recipient's time zone, over the system's tz
// database (date/tz reads /usr/share/zoneinfo; nothing is downloaded).
//
// Every function is pure: the result depends on its arguments only, never
// on the process's own time zone or clock.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir/ir.h"

namespace date {
class time_zone;
}

namespace parcours::engine {

using CalendarUnit = ir::CalendarUnit;

// `time` (seconds since the epoch) plus `count` days, weeks, months or
// years on the wall clock of `zone`:
//   - the local time of day is kept (a `1 day` wait across a daylight-saving
//     change lasts 23 or 25 hours);
//   - adding months or years to the 29th-31st ends on the last day of a
//     shorter month (Jan 31 + 1 month is Feb 28, or 29 in a leap year);
//   - a local time that does not exist (skipped by a change) moves forward
//     by the length of the gap; one that occurs twice takes the first.
// An unknown or empty zone counts as UTC. A result past year 9999 is
// `kNever`.
int64_t AddCalendar(int64_t time, int64_t count, CalendarUnit unit,
                    const std::string& zone);

// The first instant at or after `time` whose wall-clock time in `zone` is
// `seconds_after_midnight`, with the same rules for skipped and repeated
// local times.
int64_t NextLocalTime(int64_t time, int64_t seconds_after_midnight,
                      const std::string& zone);

// The instant whose wall-clock time in zone `to` is the wall-clock time
// of `time` in zone `from`, with the same rules for skipped and repeated
// local times: 09:00 in Paris becomes 09:00 in New York. `kNever`, and a
// result past year 9999, is `kNever`.
int64_t SameWallClock(int64_t time, const std::string& from,
                      const std::string& to);

// The start of the calendar day, week (Monday 00:00) or month holding
// `time` on the wall clock of `zone`; a midnight that a daylight-saving
// change skips starts at the first instant after the gap. `Year` starts
// on January 1st.
int64_t StartOfLocalPeriod(int64_t time, CalendarUnit unit,
                           const std::string& zone);

// Seconds since midnight (0 to 86399) and since Monday 00:00 (0 to
// 604799) on the wall clock of `zone` at `time`.
int64_t LocalSecondOfDay(int64_t time, const std::string& zone);
int64_t LocalSecondOfWeek(int64_t time, const std::string& zone);

// The first instant at or after `time` whose wall-clock time in `zone` is
// `second_of_week` after Monday 00:00, with the rules of `NextLocalTime`.
int64_t NextLocalWeekTime(int64_t time, int64_t second_of_week,
                          const std::string& zone);

// The first instant at or after `time` that falls, on the wall clock of
// `zone`, on `month`/`day` (1-12, 1-31) at `seconds_after_midnight`, with
// the rules of `NextLocalTime`: a yearly anniversary. February 29 falls on
// February 28 in a year with no such day.
int64_t NextAnniversary(int64_t time, int month, int day,
                        int64_t seconds_after_midnight,
                        const std::string& zone);

// A wake time that never comes.
inline constexpr int64_t kNever = INT64_MAX;

// Whether `zone` names a zone of the tz database.
bool IsKnownZone(const std::string& zone);

// The zone of the tz database named `zone`, or null for an unknown or
// empty name. Lookups are cached (a bad name is searched once) and safe
// from several threads.
const date::time_zone* FindZone(const std::string& zone);

}  // namespace parcours::engine
