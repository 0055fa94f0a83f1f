#include "compiler/ir/dates.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include "compiler/ir/ir.h"

namespace parcours::ir {
namespace {

using Seconds = std::chrono::seconds;

// Days the date library can hold without overflowing its year field:
// years -32767 to 32767 are safe; this keeps well inside them.
constexpr int64_t kDayLimit = 10'000'000;

int64_t ClampDay(int64_t day) {
  if (day > kDayLimit) return kDayLimit;
  if (day < -kDayLimit) return -kDayLimit;
  return day;
}

const date::time_zone* ZoneOf(const char* zone, int64_t zone_length) {
  if (zone == nullptr || zone_length <= 0) return nullptr;
  return FindTimeZone(std::string(zone, static_cast<size_t>(zone_length)));
}

// The first day of year 1 and the last of year 9999, in days since
// 1970-01-01: the calendar's range.
constexpr int64_t kFirstDay = -719162;
constexpr int64_t kLastDay = 2932896;

// The latest instant the engine schedules: 9999-12-31T23:59:59Z.
constexpr int64_t kLastInstant = 253402300799;
constexpr int64_t kFirstInstant = kFirstDay * 86400;

// `day` plus `count` calendar units: months and years keep the day of
// the month, or end on the last day of a shorter month. Nothing when
// the result lies past year 9999; a result before year 1 is its first
// day.
std::optional<int64_t> ShiftDay(int64_t day, int64_t count, CalendarUnit unit) {
  // Far enough to leave the calendar in either direction, and small
  // enough that nothing below overflows.
  constexpr int64_t kMaxDays = 3'700'000;
  if (count > kMaxDays) return std::nullopt;
  if (count < -kMaxDays) return kFirstDay;

  int64_t target = 0;
  switch (unit) {
    case CalendarUnit::Day: target = day + count; break;
    case CalendarUnit::Week: target = day + 7 * count; break;
    case CalendarUnit::Month:
    case CalendarUnit::Year: {
      date::year_month_day ymd{date::sys_days{date::days{ClampDay(day)}}};
      int64_t months = unit == CalendarUnit::Month ? count : 12 * count;
      int64_t index = static_cast<int64_t>(int{ymd.year()}) * 12 +
                      static_cast<int64_t>(unsigned{ymd.month()}) - 1 + months;
      if (index / 12 > 9999) return std::nullopt;
      if (index < 12) return kFirstDay;
      int year = static_cast<int>(index / 12);
      int month = static_cast<int>(index % 12 + 1);
      unsigned last = static_cast<unsigned>(DaysInMonth(year, month));
      date::year_month_day shifted{date::year{year},
                                   date::month{static_cast<unsigned>(month)},
                                   std::min(ymd.day(), date::day{last})};
      target = date::sys_days{shifted}.time_since_epoch().count();
      break;
    }
  }
  return std::max(target, kFirstDay);
}

bool ReadDigits(std::string_view text, size_t from, size_t count, int* out) {
  int value = 0;
  for (size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

}  // namespace

std::optional<int64_t> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return std::nullopt;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  bool digits = ReadDigits(text, 0, 4, &year) &&
                ReadDigits(text, 5, 2, &month) && ReadDigits(text, 8, 2, &day);
  if (!digits || year < 1) return std::nullopt;

  date::year_month_day ymd{date::year{year},
                           date::month{static_cast<unsigned>(month)},
                           date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

int DaysInMonth(int year, int month) {
  date::year_month_day_last last{
      date::year{year},
      date::month_day_last{date::month{static_cast<unsigned>(month)}}};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

std::string FormatDate(int64_t days) {
  date::year_month_day ymd{date::sys_days{date::days{ClampDay(days)}}};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", int{ymd.year()},
                unsigned{ymd.month()}, unsigned{ymd.day()});
  return text;
}

std::string FormatTimestamp(int64_t seconds) {
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int64_t second = seconds - days * 86400;
  char clock[16];
  std::snprintf(
      clock, sizeof clock, "T%02d:%02d:%02dZ", static_cast<int>(second / 3600),
      static_cast<int>(second / 60 % 60), static_cast<int>(second % 60));
  return FormatDate(days) + clock;
}

const date::time_zone* FindTimeZone(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, const date::time_zone*> zones;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = zones.find(name);
  if (found != zones.end()) return found->second;

  const date::time_zone* zone = nullptr;
  if (!name.empty()) {
    try {
      zone = date::locate_zone(name);
    } catch (const std::exception&) {
      zone = nullptr;
    }
  }
  zones.emplace(name, zone);
  return zone;
}

int64_t AddCalendar(int64_t time, int64_t count, CalendarUnit unit,
                    const date::time_zone* zone) {
  if (time >= kLastInstant) return INT64_MAX;
  if (time < kFirstInstant) time = kFirstInstant;

  // On the wall clock: the day and the time of day.
  int64_t local = time;
  if (zone != nullptr) {
    date::sys_seconds instant{Seconds{time}};
    local = zone->to_local(instant).time_since_epoch().count();
  }
  int64_t day = local / 86400;
  if (local % 86400 != 0 && local < 0) --day;
  int64_t time_of_day = local - day * 86400;

  std::optional<int64_t> target = ShiftDay(day, count, unit);
  if (!target) return INT64_MAX;
  int64_t wall = *target * 86400 + time_of_day;

  // A skipped local time is read with the offset in force before the gap,
  // which lands it after the gap by the gap's length; a repeated one with
  // the first offset, the earlier instant.
  int64_t result = wall;
  if (zone != nullptr) {
    date::local_seconds wall_time{Seconds{wall}};
    result = wall - zone->get_info(wall_time).first.offset.count();
  }
  if (result > kLastInstant) return INT64_MAX;
  return std::max(result, kFirstInstant);
}

int64_t AddCalendarToDate(int64_t day, int64_t count, CalendarUnit unit) {
  std::optional<int64_t> target = ShiftDay(day, count, unit);
  if (!target) return kLastDay;
  return std::min(*target, kLastDay);
}

std::vector<std::string> TimeZoneNames() {
  std::vector<std::string> names;
  try {
    const date::tzdb& database = date::get_tzdb();
    for (const date::time_zone& zone : database.zones) {
      names.push_back(std::string(zone.name()));
    }
  } catch (const std::exception&) {
    // No tz database: no names to suggest, and every zone is unknown.
  }
  return names;
}

}  // namespace parcours::ir

int64_t parcours_local_day(int64_t time, const char* zone,
                           int64_t zone_length) {
  const date::time_zone* found = parcours::ir::ZoneOf(zone, zone_length);
  // Past the library's range every zone is read as UTC (no zone has rules
  // there), which keeps the result total.
  constexpr int64_t kLimit = 253402300799;  // 9999-12-31T23:59:59Z
  int64_t local = time;
  if (found != nullptr && time > -kLimit && time < kLimit) {
    date::sys_seconds instant{std::chrono::seconds{time}};
    local = found->to_local(instant).time_since_epoch().count();
  }
  int64_t day = local / 86400;
  if (local % 86400 != 0 && local < 0) --day;
  return day;
}

int64_t parcours_day_start(int64_t day, const char* zone, int64_t zone_length) {
  const date::time_zone* found = parcours::ir::ZoneOf(zone, zone_length);
  int64_t midnight = parcours::ir::ClampDay(day) * 86400;
  if (found == nullptr) return midnight;

  // A skipped midnight is read with the offset in force before the gap,
  // which lands it at the end of the gap, as every local time is.
  date::local_seconds local{std::chrono::seconds{midnight}};
  date::local_info info = found->get_info(local);
  return midnight - info.first.offset.count();
}

int64_t parcours_add_calendar(int64_t time, int64_t count, int64_t unit,
                              const char* zone, int64_t zone_length) {
  return parcours::ir::AddCalendar(
      time, count, static_cast<parcours::ir::CalendarUnit>(unit),
      parcours::ir::ZoneOf(zone, zone_length));
}

int64_t parcours_add_calendar_to_date(int64_t day, int64_t count,
                                      int64_t unit) {
  return parcours::ir::AddCalendarToDate(
      day, count, static_cast<parcours::ir::CalendarUnit>(unit));
}
