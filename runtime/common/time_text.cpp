#include "runtime/common/time_text.h"

#include <date/date.h>

#include <chrono>
#include <cstdio>
#include <limits>

namespace parcours::common {

namespace {

// Reads exactly `count` digits at `position`, advancing it.
std::optional<int> Digits(std::string_view text, size_t& position, int count) {
  if (position + count > text.size()) return std::nullopt;
  int value = 0;
  for (int i = 0; i < count; ++i) {
    char c = text[position + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  position += count;
  return value;
}

// Writes `value` as `count` decimal digits ending at `position + count`.
void PutDigits(std::string& text, size_t position, int value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    text[position + static_cast<size_t>(i)] =
        static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool Expect(std::string_view text, size_t& position, char expected) {
  if (position >= text.size() || text[position] != expected) return false;
  ++position;
  return true;
}

void SkipFraction(std::string_view text, size_t& position) {
  if (position >= text.size() || text[position] != '.') return;
  size_t start = ++position;
  while (position < text.size() && text[position] >= '0' &&
         text[position] <= '9') {
    ++position;
  }
  // A lone dot is not a fraction; leave it for the zone check to refuse.
  if (position == start) --position;
}

// The zone suffix as seconds east of UTC, consuming the rest of `text`.
std::optional<int> ZoneOffset(std::string_view text, size_t position) {
  if (position >= text.size()) return std::nullopt;
  char sign = text[position++];
  if (sign == 'Z' || sign == 'z') {
    if (position != text.size()) return std::nullopt;
    return 0;
  }
  if (sign != '+' && sign != '-') return std::nullopt;

  auto hours = Digits(text, position, 2);
  if (!hours || *hours > 23) return std::nullopt;
  int minutes = 0;
  if (position < text.size()) {
    if (text[position] == ':') ++position;
    auto parsed = Digits(text, position, 2);
    if (!parsed || *parsed > 59) return std::nullopt;
    minutes = *parsed;
  }
  if (position != text.size()) return std::nullopt;

  int offset = *hours * 3600 + minutes * 60;
  return sign == '-' ? -offset : offset;
}

}  // namespace

std::optional<int64_t> ParseTime(std::string_view text) {
  size_t position = 0;
  auto year = Digits(text, position, 4);
  if (!year || !Expect(text, position, '-')) return std::nullopt;
  auto month = Digits(text, position, 2);
  if (!month || !Expect(text, position, '-')) return std::nullopt;
  auto day = Digits(text, position, 2);
  // RFC 3339 allows a lower-case `t`, as it allows `z` (ZoneOffset).
  if (!day || !(Expect(text, position, 'T') || Expect(text, position, 't'))) {
    return std::nullopt;
  }
  auto hour = Digits(text, position, 2);
  if (!hour || !Expect(text, position, ':')) return std::nullopt;
  auto minute = Digits(text, position, 2);
  if (!minute || !Expect(text, position, ':')) return std::nullopt;
  auto second = Digits(text, position, 2);
  if (!second) return std::nullopt;
  SkipFraction(text, position);
  auto offset = ZoneOffset(text, position);
  if (!offset) return std::nullopt;

  date::year_month_day ymd{date::year{*year},
                           date::month{static_cast<unsigned>(*month)},
                           date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59 || *second > 59) {
    return std::nullopt;
  }

  int64_t days = date::sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - *offset;
}

std::string OutOfRangeOffset(std::string_view text) {
  size_t sign = text.find_last_of("+-");
  constexpr size_t kDateAndTime = 19;  // YYYY-MM-DDTHH:MM:SS
  if (sign == std::string_view::npos || sign < kDateAndTime) return "";
  std::string_view zone = text.substr(sign);

  // `+hh`, `+hhmm` or `+hh:mm`, digits where digits go.
  std::string digits;
  for (size_t i = 1; i < zone.size(); ++i) {
    if (zone[i] == ':' && i == 3) continue;
    if (zone[i] < '0' || zone[i] > '9') return "";
    digits.push_back(zone[i]);
  }
  if (digits.size() != 2 && digits.size() != 4) return "";
  bool out_of_range = std::stoi(digits.substr(0, 2)) > 23 ||
                      (digits.size() == 4 && std::stoi(digits.substr(2)) > 59);
  if (!out_of_range) return "";

  // Only the offset may be wrong: with `Z` in its place the time is real.
  std::string in_utc(text.substr(0, sign));
  in_utc += 'Z';
  return ParseTime(in_utc) ? std::string(zone) : "";
}

std::string IsoFormOfSpacedTime(std::string_view text) {
  constexpr size_t kDate = 10;         // YYYY-MM-DD
  constexpr size_t kDateAndTime = 19;  // YYYY-MM-DD HH:MM:SS
  if (text.size() <= kDateAndTime || text[kDate] != ' ') return "";

  size_t zone_start = kDateAndTime;
  SkipFraction(text, zone_start);
  std::string_view zone = text.substr(zone_start);
  std::string iso(text.substr(0, zone_start));
  iso[kDate] = 'T';
  // `+hh` and `+hhmm` are taken too, but `+hh:mm` is the form to show.
  bool signed_zone = !zone.empty() && (zone[0] == '+' || zone[0] == '-');
  if (signed_zone && zone.size() == 3) {
    iso += std::string(zone) + ":00";
  } else if (signed_zone && zone.size() == 5 && zone[3] != ':') {
    iso += std::string(zone.substr(0, 3)) + ":" + std::string(zone.substr(3));
  } else {
    iso += zone;
  }
  return ParseTime(iso) ? iso : "";
}

void AssignTime(int64_t seconds, std::string& text) {
  // Floor division, so that times before 1970 land on the right day.
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    days -= 1;
  }
  date::year_month_day ymd{date::sys_days{date::days{days}}};
  auto year = static_cast<int>(ymd.year());
  auto month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  auto day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  auto hour = static_cast<int>(rest / 3600);
  auto minute = static_cast<int>(rest / 60 % 60);
  auto second = static_cast<int>(rest % 60);

  // Every time an input can hold has a four-digit year; digits written by
  // hand cost a tenth of `snprintf`, and every action and log row has a
  // time (bench/replay.cpp).
  if (year >= 0 && year <= 9999) {
    text.assign("0000-00-00T00:00:00Z");
    PutDigits(text, 0, year, 4);
    PutDigits(text, 5, month, 2);
    PutDigits(text, 8, day, 2);
    PutDigits(text, 11, hour, 2);
    PutDigits(text, 14, minute, 2);
    PutDigits(text, 17, second, 2);
    return;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", year,
                month, day, hour, minute, second);
  text.assign(buffer);
}

std::string FormatTime(int64_t seconds) {
  std::string text;
  AssignTime(seconds, text);
  return text;
}

int64_t AddSeconds(int64_t time, int64_t seconds) {
  int64_t sum = 0;
  if (!__builtin_add_overflow(time, seconds, &sum)) return sum;
  return seconds > 0 ? std::numeric_limits<int64_t>::max()
                     : std::numeric_limits<int64_t>::min();
}

std::optional<int64_t> ParseDuration(std::string_view text) {
  if (text == "0") return 0;
  if (text.size() < 2) return std::nullopt;

  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return std::nullopt;
  }

  int64_t count = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    if (__builtin_mul_overflow(count, 10, &count) ||
        __builtin_add_overflow(count, c - '0', &count)) {
      return std::nullopt;
    }
  }
  int64_t seconds = 0;
  if (__builtin_mul_overflow(count, unit, &seconds)) return std::nullopt;
  return seconds;
}

std::string DescribeSpan(int64_t seconds) {
  struct Unit {
    int64_t seconds;
    const char* one;
    const char* many;
  };
  // A year of the Gregorian calendar's average length: 365.2425 days.
  static const Unit kUnits[] = {
      {31556952, "year", "years"}, {86400, "day", "days"},
      {3600, "hour", "hours"},     {60, "minute", "minutes"},
      {1, "second", "seconds"},
  };
  for (const Unit& unit : kUnits) {
    if (seconds < unit.seconds && unit.seconds != 1) continue;
    int64_t count = seconds / unit.seconds;
    std::string text =
        std::to_string(count) + " " + (count == 1 ? unit.one : unit.many);
    return seconds % unit.seconds == 0 ? text : "more than " + text;
  }
  return "";
}

}  // namespace parcours::common
