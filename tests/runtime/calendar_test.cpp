// Calendar arithmetic in the recipient's zone: month ends, leap days, both
// daylight-saving changes, and independence from the process's zone.
#include "runtime/engine/calendar.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

#include "compiler/ir/dates.h"
#include "runtime/common/time_text.h"

namespace parcours::engine {
namespace {

int64_t At(const char* text) { return *common::ParseTime(text); }

std::string Text(int64_t time) { return common::FormatTime(time); }

TEST_CASE("an anniversary comes once a year on the local clock") {
  struct Case {
    const char* from;
    int month;
    int day;
    const char* zone;
    const char* expected;
  };
  const int64_t nine = 9 * 3600;
  const Case cases[] = {
      // Later this year, earlier this year (so next year), and now itself.
      {"2025-03-01T12:00:00Z", 3, 30, "Europe/Paris", "2025-03-30T07:00:00Z"},
      {"2025-04-01T12:00:00Z", 3, 30, "Europe/Paris", "2026-03-30T07:00:00Z"},
      {"2025-03-30T07:00:00Z", 3, 30, "Europe/Paris", "2025-03-30T07:00:00Z"},
      // 29 February: the 28th in other years, the 29th in leap years.
      {"2025-03-01T00:00:00Z", 2, 29, "Europe/Paris", "2026-02-28T08:00:00Z"},
      {"2027-03-01T00:00:00Z", 2, 29, "Europe/Paris", "2028-02-29T08:00:00Z"},
      // New Year's Eve in Auckland is still the 30th in UTC.
      {"2025-12-01T00:00:00Z", 12, 31, "Pacific/Auckland",
       "2025-12-30T20:00:00Z"},
      {"2025-03-01T00:00:00Z", 4, 2, "America/New_York",
       "2025-04-02T13:00:00Z"},
  };
  for (const Case& c : cases) {
    INFO(c.from << " " << c.month << "/" << c.day << " " << c.zone);
    CHECK(Text(NextAnniversary(At(c.from), c.month, c.day, nine, c.zone)) ==
          c.expected);
  }
  // 02:30 on the night summer time starts does not exist: 03:30 CEST.
  CHECK(Text(NextAnniversary(At("2025-03-01T00:00:00Z"), 3, 30, 9000,
                             "Europe/Paris")) == "2025-03-30T01:30:00Z");
  // On the night it ends 02:30 happens twice: the first, in CEST.
  CHECK(Text(NextAnniversary(At("2025-03-01T00:00:00Z"), 10, 26, 9000,
                             "Europe/Paris")) == "2025-10-26T00:30:00Z");
  CHECK(NextAnniversary(At("9999-12-31T12:00:00Z"), 1, 1, 0, "") == kNever);
}

TEST_CASE("months end on the last day of a shorter month") {
  struct Case {
    const char* from;
    int64_t count;
    CalendarUnit unit;
    const char* expected;
  };
  const Case cases[] = {
      {"2025-01-31T10:00:00Z", 1, CalendarUnit::Month, "2025-02-28T10:00:00Z"},
      {"2024-01-31T10:00:00Z", 1, CalendarUnit::Month, "2024-02-29T10:00:00Z"},
      {"2025-03-31T10:00:00Z", 1, CalendarUnit::Month, "2025-04-30T10:00:00Z"},
      {"2025-01-29T10:00:00Z", 1, CalendarUnit::Month, "2025-02-28T10:00:00Z"},
      {"2025-01-15T10:00:00Z", 1, CalendarUnit::Month, "2025-02-15T10:00:00Z"},
      {"2024-02-29T10:00:00Z", 1, CalendarUnit::Year, "2025-02-28T10:00:00Z"},
      {"2024-02-29T10:00:00Z", 4, CalendarUnit::Year, "2028-02-29T10:00:00Z"},
      {"2025-11-30T10:00:00Z", 3, CalendarUnit::Month, "2026-02-28T10:00:00Z"},
      {"2025-12-31T23:00:00Z", 1, CalendarUnit::Day, "2026-01-01T23:00:00Z"},
      {"2025-12-31T23:00:00Z", 2, CalendarUnit::Week, "2026-01-14T23:00:00Z"},
  };
  for (const Case& c : cases) {
    INFO(c.from << " + " << c.count);
    CHECK(Text(AddCalendar(At(c.from), c.count, c.unit, "UTC")) == c.expected);
  }
}

TEST_CASE("a day keeps the local time across both daylight-saving changes") {
  // Paris: 2025-03-30 02:00 CET -> 03:00 CEST; 2025-10-26 03:00 -> 02:00.
  // 09:00 local the day before the spring change, then 23 hours later.
  CHECK(Text(AddCalendar(At("2025-03-29T08:00:00Z"), 1, CalendarUnit::Day,
                         "Europe/Paris")) == "2025-03-30T07:00:00Z");
  // The autumn change makes that day 25 hours long.
  CHECK(Text(AddCalendar(At("2025-10-25T07:00:00Z"), 1, CalendarUnit::Day,
                         "Europe/Paris")) == "2025-10-26T08:00:00Z");
  // A month from winter into summer time keeps 09:00 on the wall clock.
  CHECK(Text(AddCalendar(At("2025-03-15T08:00:00Z"), 1, CalendarUnit::Month,
                         "Europe/Paris")) == "2025-04-15T07:00:00Z");
}

TEST_CASE(
    "a skipped local time moves forward, a repeated one takes the "
    "first") {
  // 02:30 on 2025-03-30 does not exist in Paris: it becomes 03:30 CEST.
  CHECK(Text(AddCalendar(At("2025-03-29T01:30:00Z"), 1, CalendarUnit::Day,
                         "Europe/Paris")) == "2025-03-30T01:30:00Z");
  CHECK(Text(NextLocalTime(At("2025-03-30T00:00:00Z"), 2 * 3600 + 1800,
                           "Europe/Paris")) == "2025-03-30T01:30:00Z");
  // 02:30 on 2025-10-26 happens twice; the first is 02:30 CEST.
  CHECK(Text(AddCalendar(At("2025-10-25T00:30:00Z"), 1, CalendarUnit::Day,
                         "Europe/Paris")) == "2025-10-26T00:30:00Z");
  CHECK(Text(NextLocalTime(At("2025-10-26T00:00:00Z"), 2 * 3600 + 1800,
                           "Europe/Paris")) == "2025-10-26T00:30:00Z");
}

TEST_CASE("wait until a local time finds the next occurrence") {
  const int64_t nine = 9 * 3600;
  // Before 09:00 in Paris: today; after it: tomorrow; at it: now.
  CHECK(Text(NextLocalTime(At("2025-06-02T05:00:00Z"), nine, "Europe/Paris")) ==
        "2025-06-02T07:00:00Z");
  CHECK(Text(NextLocalTime(At("2025-06-02T08:00:00Z"), nine, "Europe/Paris")) ==
        "2025-06-03T07:00:00Z");
  CHECK(Text(NextLocalTime(At("2025-06-02T07:00:00Z"), nine, "Europe/Paris")) ==
        "2025-06-02T07:00:00Z");
  // Across the spring change: the next 09:00 is in summer time.
  CHECK(Text(NextLocalTime(At("2025-03-29T09:00:00Z"), nine, "Europe/Paris")) ==
        "2025-03-30T07:00:00Z");
  // West of UTC the local day starts later.
  CHECK(Text(NextLocalTime(At("2025-06-02T12:00:00Z"), nine,
                           "America/New_York")) == "2025-06-02T13:00:00Z");
}

TEST_CASE("an unknown zone counts as UTC, and far dates never come") {
  CHECK_FALSE(IsKnownZone("Mars/Olympus_Mons"));
  CHECK(IsKnownZone("Europe/Paris"));
  CHECK(Text(NextLocalTime(At("2025-06-02T05:00:00Z"), 9 * 3600,
                           "Mars/Olympus_Mons")) == "2025-06-02T09:00:00Z");
  CHECK(AddCalendar(At("9999-12-01T00:00:00Z"), 2, CalendarUnit::Month,
                    "UTC") == kNever);
  CHECK(AddCalendar(At("2025-01-01T00:00:00Z"), 400000, CalendarUnit::Year,
                    "UTC") == kNever);
}

TEST_CASE("results do not depend on the process's own time zone") {
  const int64_t from = At("2025-03-29T08:00:00Z");
  int64_t before = AddCalendar(from, 1, CalendarUnit::Day, "Europe/Paris");
  const char* saved = std::getenv("TZ");
  std::string saved_value = saved ? saved : "";
  setenv("TZ", "Pacific/Kiritimati", 1);
  tzset();
  int64_t after = AddCalendar(from, 1, CalendarUnit::Day, "Europe/Paris");
  int64_t next = NextLocalTime(from, 10 * 3600, "Europe/Paris");
  if (saved) {
    setenv("TZ", saved_value.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  CHECK(before == after);
  CHECK(Text(next) == "2025-03-29T09:00:00Z");
}

TEST_CASE(
    "periods start at local midnight, Monday 00:00 or the 1st, in "
    "the recipient's zone") {
  // Sunday 2025-03-09 23:30 UTC is Monday 00:30 in Paris: a new week there.
  CHECK(Text(StartOfLocalPeriod(At("2025-03-09T23:30:00Z"), CalendarUnit::Week,
                                "Europe/Paris")) == "2025-03-09T23:00:00Z");
  CHECK(Text(StartOfLocalPeriod(At("2025-03-09T23:30:00Z"), CalendarUnit::Week,
                                "UTC")) == "2025-03-03T00:00:00Z");
  // The day New York springs forward starts at 00:00 EST; the next day at
  // 00:00 EDT, 23 hours later.
  CHECK(Text(StartOfLocalPeriod(At("2025-03-09T20:00:00Z"), CalendarUnit::Day,
                                "America/New_York")) == "2025-03-09T05:00:00Z");
  CHECK(Text(StartOfLocalPeriod(At("2025-03-10T20:00:00Z"), CalendarUnit::Day,
                                "America/New_York")) == "2025-03-10T04:00:00Z");
  CHECK(Text(StartOfLocalPeriod(At("2025-02-28T23:30:00Z"), CalendarUnit::Month,
                                "Europe/Paris")) == "2025-02-28T23:00:00Z");
  // Sao Paulo skipped midnight on 2018-11-04: that day began at 01:00.
  CHECK(Text(StartOfLocalPeriod(At("2018-11-04T12:00:00Z"), CalendarUnit::Day,
                                "America/Sao_Paulo")) ==
        "2018-11-04T03:00:00Z");
}

TEST_CASE("a time of the week is read and found on the recipient's clock") {
  // Monday 2025-03-10 07:00 in Paris (06:00 UTC).
  CHECK(LocalSecondOfWeek(At("2025-03-10T06:00:00Z"), "Europe/Paris") ==
        7 * 3600);
  CHECK(LocalSecondOfDay(At("2025-03-10T06:00:00Z"), "Europe/Paris") ==
        7 * 3600);
  // Sunday 22:00 local, from a Monday: six days on.
  int64_t sunday_22 = 6 * 86400 + 22 * 3600;
  CHECK(Text(NextLocalWeekTime(At("2025-03-10T06:00:00Z"), sunday_22,
                               "Europe/Paris")) == "2025-03-16T21:00:00Z");
  // Monday 08:00 after the night Europe springs forward (March 30).
  CHECK(Text(NextLocalWeekTime(At("2025-03-30T21:00:00Z"), 8 * 3600,
                               "Europe/Paris")) == "2025-03-31T06:00:00Z");
  // At the very instant, the instant itself.
  CHECK(Text(NextLocalWeekTime(At("2025-03-31T06:00:00Z"), 8 * 3600,
                               "Europe/Paris")) == "2025-03-31T06:00:00Z");
}

// The expressions' `now - 1 month` and `d + 1 year` (compiler/ir/dates.h)
// share the waits' rules, backwards too.
TEST_CASE("calendar lengths taken away follow the same rules") {
  struct Case {
    const char* from;
    int64_t count;
    CalendarUnit unit;
    const char* zone;
    const char* expected;
  };
  const Case cases[] = {
      // 31 March less a month is the last day of February.
      {"2024-03-31T10:00:00Z", -1, CalendarUnit::Month, "",
       "2024-02-29T10:00:00Z"},
      {"2025-03-31T10:00:00Z", -1, CalendarUnit::Month, "",
       "2025-02-28T10:00:00Z"},
      {"2024-02-29T10:00:00Z", -1, CalendarUnit::Year, "",
       "2023-02-28T10:00:00Z"},
      // The day before the change, at the same local time (01:30 CET).
      {"2024-03-31T00:30:00Z", -1, CalendarUnit::Day, "Europe/Paris",
       "2024-03-30T00:30:00Z"},
      // 02:30 on 10 March 2024 was skipped in New York: 03:30 EDT.
      {"2024-03-11T06:30:00Z", -1, CalendarUnit::Day, "America/New_York",
       "2024-03-10T07:30:00Z"},
      {"2024-01-10T12:00:00Z", -2, CalendarUnit::Week, "",
       "2023-12-27T12:00:00Z"},
  };
  for (const Case& c : cases) {
    INFO(c.from << " " << c.count << " " << c.zone);
    CHECK(Text(AddCalendar(At(c.from), c.count, c.unit, c.zone)) == c.expected);
  }
  // Before year 1 the calendar stops at its first instant.
  CHECK(Text(AddCalendar(At("0005-06-01T00:00:00Z"), -10, CalendarUnit::Year,
                         "")) == "0001-01-01T00:00:00Z");
}

TEST_CASE("dates move by calendar lengths within the years 1 to 9999") {
  auto day = [](const char* text) { return *ir::ParseDate(text); };
  auto text = [](int64_t days) { return ir::FormatDate(days); };
  struct Case {
    const char* from;
    int64_t count;
    CalendarUnit unit;
    const char* expected;
  };
  const Case cases[] = {
      {"2024-01-31", 1, CalendarUnit::Month, "2024-02-29"},
      {"2025-01-31", 1, CalendarUnit::Month, "2025-02-28"},
      {"2024-02-29", 1, CalendarUnit::Year, "2025-02-28"},
      {"2024-02-29", 4, CalendarUnit::Year, "2028-02-29"},
      {"2024-01-31", -1, CalendarUnit::Month, "2023-12-31"},
      {"2024-03-01", -1, CalendarUnit::Day, "2024-02-29"},
      {"2024-12-25", 2, CalendarUnit::Week, "2025-01-08"},
      {"9999-12-31", 1, CalendarUnit::Day, "9999-12-31"},
      {"9999-06-30", 1, CalendarUnit::Year, "9999-12-31"},
      {"0001-01-01", -1, CalendarUnit::Day, "0001-01-01"},
      {"0001-03-31", -1, CalendarUnit::Year, "0001-01-01"},
  };
  for (const Case& c : cases) {
    INFO(c.from << " " << c.count);
    CHECK(text(ir::AddCalendarToDate(day(c.from), c.count, c.unit)) ==
          c.expected);
  }
}

}  // namespace
}  // namespace parcours::engine
