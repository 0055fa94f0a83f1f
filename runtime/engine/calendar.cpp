#include "runtime/engine/calendar.h"

#include <date/tz.h>

#include <chrono>
#include <map>
#include <mutex>

#include "compiler/ir/dates.h"

namespace parcours::engine {
namespace {

using Seconds = std::chrono::seconds;
using LocalSeconds = date::local_time<Seconds>;
using SysSeconds = date::sys_time<Seconds>;

// The latest instant the engine schedules: 9999-12-31T23:59:59Z.
constexpr int64_t kLastInstant = 253402300799;

LocalSeconds ToLocal(int64_t time, const date::time_zone* zone) {
  SysSeconds instant{Seconds{time}};
  if (zone == nullptr) return LocalSeconds{instant.time_since_epoch()};
  return zone->to_local(instant);
}

// The instant of a wall-clock time. A skipped local time is read with the
// offset in force before the gap, which lands it after the gap by the
// gap's length; a repeated one with the first offset, the earlier instant.
int64_t ToInstant(LocalSeconds local, const date::time_zone* zone) {
  if (zone == nullptr) return local.time_since_epoch().count();
  date::local_info info = zone->get_info(local);
  Seconds offset = info.first.offset;
  return (local.time_since_epoch() - offset).count();
}

}  // namespace

// One cache of zones for the engine and the IR's zone operations.
const date::time_zone* FindZone(const std::string& name) {
  return ir::FindTimeZone(name);
}

bool IsKnownZone(const std::string& zone) { return FindZone(zone) != nullptr; }

int64_t AddCalendar(int64_t time, int64_t count, CalendarUnit unit,
                    const std::string& zone_name) {
  // The expressions' `time + 1 month` shares the rules (compiler/ir).
  return ir::AddCalendar(time, count, unit, FindZone(zone_name));
}

int64_t SameWallClock(int64_t time, const std::string& from,
                      const std::string& to) {
  if (time >= kLastInstant) return kNever;
  int64_t instant = ToInstant(ToLocal(time, FindZone(from)), FindZone(to));
  return instant > kLastInstant ? kNever : instant;
}

int64_t NextLocalTime(int64_t time, int64_t seconds_after_midnight,
                      const std::string& zone_name) {
  if (time >= kLastInstant) return kNever;
  const date::time_zone* zone = FindZone(zone_name);
  LocalSeconds local = ToLocal(time, zone);
  date::local_days day = date::floor<date::days>(local);

  // Today's occurrence if it is still to come, else tomorrow's; a skipped
  // time can land before `time` only on the day of the change, when the
  // next day's occurrence is the answer.
  for (int offset = 0; offset < 3; ++offset) {
    LocalSeconds candidate =
        day + date::days{offset} + Seconds{seconds_after_midnight};
    int64_t instant = ToInstant(candidate, zone);
    if (instant >= time) return instant > kLastInstant ? kNever : instant;
  }
  return kNever;
}

int64_t StartOfLocalPeriod(int64_t time, CalendarUnit unit,
                           const std::string& zone_name) {
  const date::time_zone* zone = FindZone(zone_name);
  date::local_days day = date::floor<date::days>(ToLocal(time, zone));
  switch (unit) {
    case CalendarUnit::Day: break;
    case CalendarUnit::Week: {
      // `weekday::iso_encoding` counts Monday as 1 and Sunday as 7.
      unsigned from_monday = date::weekday{day}.iso_encoding() - 1;
      day -= date::days{from_monday};
      break;
    }
    case CalendarUnit::Month:
    case CalendarUnit::Year: {
      date::year_month_day ymd{day};
      date::month month =
          unit == CalendarUnit::Month ? ymd.month() : date::January;
      day = date::local_days{ymd.year() / month / 1};
      break;
    }
  }
  return ToInstant(day + Seconds{0}, zone);
}

int64_t LocalSecondOfDay(int64_t time, const std::string& zone_name) {
  LocalSeconds local = ToLocal(time, FindZone(zone_name));
  return (local - date::floor<date::days>(local)).count();
}

int64_t LocalSecondOfWeek(int64_t time, const std::string& zone_name) {
  LocalSeconds local = ToLocal(time, FindZone(zone_name));
  date::local_days day = date::floor<date::days>(local);
  int64_t from_monday = date::weekday{day}.iso_encoding() - 1;
  return from_monday * 86400 + (local - day).count();
}

int64_t NextLocalWeekTime(int64_t time, int64_t second_of_week,
                          const std::string& zone_name) {
  if (time >= kLastInstant) return kNever;
  const date::time_zone* zone = FindZone(zone_name);
  LocalSeconds local = ToLocal(time, zone);
  date::local_days day = date::floor<date::days>(local);
  date::local_days monday =
      day - date::days{date::weekday{day}.iso_encoding() - 1};

  // This week's occurrence if it is still to come, else next week's; as
  // in NextLocalTime, a skipped time can land before `time` only in the
  // week of the change.
  for (int week = 0; week < 3; ++week) {
    LocalSeconds candidate =
        monday + date::days{7 * week} + Seconds{second_of_week};
    int64_t instant = ToInstant(candidate, zone);
    if (instant >= time) return instant > kLastInstant ? kNever : instant;
  }
  return kNever;
}

int64_t NextAnniversary(int64_t time, int month, int day,
                        int64_t seconds_after_midnight,
                        const std::string& zone_name) {
  if (time >= kLastInstant) return kNever;
  const date::time_zone* zone = FindZone(zone_name);
  date::year_month_day today{date::floor<date::days>(ToLocal(time, zone))};

  // This year's occurrence if it is still to come, else next year's; a
  // skipped local time moves forward, at most a few hours.
  for (int year = int{today.year()}; year <= int{today.year()} + 2; ++year) {
    date::year_month month_of_year{date::year{year},
                                   date::month{static_cast<unsigned>(month)}};
    date::day last =
        date::year_month_day_last{month_of_year.year(),
                                  date::month_day_last{month_of_year.month()}}
            .day();
    date::day on = std::min(date::day{static_cast<unsigned>(day)}, last);
    LocalSeconds candidate =
        date::local_days{month_of_year.year() / month_of_year.month() / on} +
        Seconds{seconds_after_midnight};
    int64_t instant = ToInstant(candidate, zone);
    if (instant >= time) return instant > kLastInstant ? kNever : instant;
  }
  return kNever;
}

}  // namespace parcours::engine
