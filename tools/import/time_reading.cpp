#include "tools/import/time_reading.h"

#include <date/date.h>
#include <date/tz.h>

#include <chrono>
#include <map>

#include "runtime/common/time_text.h"
#include "runtime/engine/calendar.h"

namespace parcours::import {
namespace {

using Seconds = std::chrono::seconds;

// Reads exactly `width` digits at `at`.
bool ReadDigits(std::string_view text, size_t& at, int width, int& value) {
  if (at + width > text.size()) return false;
  value = 0;
  for (int i = 0; i < width; ++i) {
    char c = text[at + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  at += width;
  return true;
}

// Reads `Z`, `+hh:mm`, `+hhmm` or `+hh` into seconds east of UTC.
// `out_of_range` is set for an offset of the right form past what offsets
// hold (`+25:00`), so that the row's reason can name it.
bool ReadOffset(std::string_view text, size_t& at, int64_t& offset,
                bool& out_of_range) {
  if (at < text.size() && text[at] == 'Z') {
    ++at;
    offset = 0;
    return true;
  }
  if (at >= text.size() || (text[at] != '+' && text[at] != '-')) {
    return false;
  }
  int sign = text[at] == '-' ? -1 : 1;
  ++at;
  int hours = 0;
  int minutes = 0;
  if (!ReadDigits(text, at, 2, hours)) return false;
  if (at < text.size() && text[at] == ':') ++at;
  if (at < text.size()) {
    if (!ReadDigits(text, at, 2, minutes)) return false;
  }
  if (hours > 23 || minutes > 59) {
    out_of_range = true;
    return false;
  }
  offset = sign * (hours * 3600 + minutes * 60);
  return true;
}

TimeReading Problem(std::string text) {
  TimeReading reading;
  reading.problem = std::move(text);
  return reading;
}

TimeReading ReadEpoch(std::string_view text, int64_t divisor) {
  int64_t value = 0;
  size_t at = 0;
  bool negative = !text.empty() && text[0] == '-';
  if (negative) ++at;
  if (at == text.size() || text.size() - at > 15) {
    return Problem("not a whole number of seconds since 1970");
  }
  for (; at < text.size(); ++at) {
    if (text[at] < '0' || text[at] > '9') {
      return Problem("not a whole number of seconds since 1970");
    }
    value = value * 10 + (text[at] - '0');
  }
  if (negative) value = -value;
  // Whole seconds: the engine counts no finer.
  TimeReading reading;
  reading.seconds = value / divisor - (value % divisor < 0 ? 1 : 0);
  return reading;
}

}  // namespace

bool IsKnownZone(const std::string& zone) {
  return engine::FindZone(zone) != nullptr;
}

bool PatternHasOffset(const TimePattern& pattern) {
  return pattern.format == "epoch_seconds" ||
         pattern.format == "epoch_millis" || pattern.format == "iso8601" ||
         pattern.format.find("%z") != std::string::npos;
}

std::string CheckTimePattern(const TimePattern& pattern) {
  const std::string& format = pattern.format;
  if (format.empty()) return "the time format is empty";
  if (format == "epoch_seconds" || format == "epoch_millis" ||
      format == "iso8601") {
    return "";
  }
  bool date_parts[3] = {false, false, false};
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 >= format.size()) return "the time format ends with a lone %";
    char code = format[++i];
    switch (code) {
      case 'Y': date_parts[0] = true; break;
      case 'm': date_parts[1] = true; break;
      case 'd': date_parts[2] = true; break;
      case 'H':
      case 'M':
      case 'S':
      case 'f':
      case 'z':
      case '%': break;
      default:
        return std::string("the time format has %") + code +
               ", which is not one of %Y %m %d %H %M %S %f %z %%";
    }
  }
  if (!date_parts[0] || !date_parts[1] || !date_parts[2]) {
    return "the time format needs %Y, %m and %d";
  }
  return "";
}

TimeReading ReadTime(std::string_view text, const TimePattern& pattern,
                     const std::string& zone) {
  const std::string& format = pattern.format;
  if (format == "epoch_seconds") return ReadEpoch(text, 1);
  if (format == "epoch_millis") return ReadEpoch(text, 1000);
  if (format == "iso8601") {
    auto seconds = common::ParseTime(text);
    // `+25:00` is an offset, just not a real one: name it.
    std::string zone = seconds ? "" : common::OutOfRangeOffset(text);
    if (!zone.empty()) {
      return Problem("has a zone offset out of range (" + zone +
                     "; offsets run from -23:59 to +23:59)");
    }
    // PostgreSQL's text form (`2011-03-01 10:00:00+00`): show the fix.
    std::string iso = seconds ? "" : common::IsoFormOfSpacedTime(text);
    if (!iso.empty()) {
      return Problem(
          "has a space between the date and the time, where "
          "ISO 8601 puts a T (write it " +
          iso +
          ", or give the column the format \"%Y-%m-%d "
          "%H:%M:%S%z\")");
    }
    if (!seconds) return Problem("not an ISO 8601 time with an offset");
    TimeReading reading;
    reading.seconds = *seconds;
    return reading;
  }

  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::optional<int64_t> offset;
  size_t at = 0;
  std::string expected = "does not match the time format \"" + format + "\"";
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size() || format[i + 1] == '%') {
      if (format[i] == '%') ++i;
      if (at >= text.size() || text[at] != format[i]) return Problem(expected);
      ++at;
      continue;
    }
    char code = format[++i];
    bool ok = true;
    switch (code) {
      case 'Y': ok = ReadDigits(text, at, 4, year); break;
      case 'm': ok = ReadDigits(text, at, 2, month); break;
      case 'd': ok = ReadDigits(text, at, 2, day); break;
      case 'H': ok = ReadDigits(text, at, 2, hour); break;
      case 'M': ok = ReadDigits(text, at, 2, minute); break;
      case 'S': ok = ReadDigits(text, at, 2, second); break;
      case 'f': {
        size_t start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
        ok = at > start;
        break;
      }
      case 'z': {
        int64_t east = 0;
        size_t start = at;
        bool out_of_range = false;
        ok = ReadOffset(text, at, east, out_of_range);
        if (out_of_range) {
          return Problem("has a zone offset out of range (" +
                         std::string(text.substr(start, at - start)) +
                         "; offsets run from -23:59 to +23:59)");
        }
        offset = east;
        break;
      }
      default: ok = false;
    }
    if (!ok) return Problem(expected);
  }
  if (at != text.size()) return Problem(expected);

  date::year_month_day ymd{date::year{year}, date::month(month),
                           date::day(day)};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
    return Problem("is not a real date and time");
  }
  auto wall = date::local_days{ymd}.time_since_epoch() +
              std::chrono::hours{hour} + std::chrono::minutes{minute} +
              Seconds{second};
  int64_t wall_seconds = std::chrono::duration_cast<Seconds>(wall).count();

  TimeReading reading;
  if (offset) {
    reading.seconds = wall_seconds - *offset;
    return reading;
  }
  const date::time_zone* found = engine::FindZone(zone);
  if (found == nullptr) {
    return Problem("the time zone \"" + zone +
                   "\" is not in the time zone database");
  }
  date::local_seconds local{Seconds{wall_seconds}};
  date::local_info info = found->get_info(local);
  if (info.result == date::local_info::nonexistent) {
    return Problem("does not exist in " + zone +
                   ": the clocks went forward over it");
  }
  reading.ambiguous = info.result == date::local_info::ambiguous;
  reading.seconds = wall_seconds - info.first.offset.count();
  return reading;
}

}  // namespace parcours::import
