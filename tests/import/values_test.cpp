// Exact decimals and times read from cells.
#include <catch2/catch.hpp>

#include "runtime/common/time_text.h"
#include "tools/import/exact_decimal.h"
#include "tools/import/time_reading.h"

namespace parcours::import {
namespace {

std::string Text(const std::string& input) {
  auto value = ParseDecimal(input);
  return value ? FormatDecimal(*value) : "invalid";
}

TEST_CASE("decimals keep their digits") {
  CHECK(Text("7.95") == "7.95");
  CHECK(Text("-0.001") == "-0.001");
  CHECK(Text("+12") == "12");
  CHECK(Text(".5") == "0.5");
  CHECK(Text("5.") == "5");
  CHECK(Text("0000.50") == "0.50");
}

TEST_CASE("decimals refuse what is not plainly a number") {
  CHECK(Text("") == "invalid");
  CHECK(Text("-") == "invalid");
  CHECK(Text(".") == "invalid");
  CHECK(Text("1e3") == "invalid");
  CHECK(Text("4.440892e-16") == "invalid");
  CHECK(Text("1,000") == "invalid");
  CHECK(Text(" 1") == "invalid");
  CHECK(Text("1.2.3") == "invalid");
  CHECK(Text(std::string(37, '9')) == "invalid");
  CHECK(Text("0." + std::string(19, '1')) == "invalid");
}

TEST_CASE("sums and products are exact") {
  auto quantity = *ParseDecimal("3");
  auto price = *ParseDecimal("0.1");
  ExactDecimal total;
  for (int i = 0; i < 3; ++i) total = *Add(total, *Multiply(quantity, price));
  CHECK(FormatDecimal(total) == "0.9");
  CHECK(FormatDecimal(*Add(*ParseDecimal("1.5"), *ParseDecimal("-1.50"))) ==
        "0.00");
}

TEST_CASE("overflow is reported, not wrapped") {
  auto big = *ParseDecimal(std::string(30, '9'));
  CHECK_FALSE(Multiply(big, big));
  auto near = *ParseDecimal(std::string(36, '9'));
  CHECK_FALSE(Add(near, *ParseDecimal("1")));
}

TEST_CASE("rounding is half away from zero, and pads") {
  CHECK(FormatDecimal(RoundTo(*ParseDecimal("2.345"), 2)) == "2.35");
  CHECK(FormatDecimal(RoundTo(*ParseDecimal("-2.345"), 2)) == "-2.35");
  CHECK(FormatDecimal(RoundTo(*ParseDecimal("2.344"), 2)) == "2.34");
  CHECK(FormatDecimal(RoundTo(*ParseDecimal("-0.004"), 2)) == "0.00");
  CHECK(FormatDecimal(RoundTo(*ParseDecimal("22.2"), 2)) == "22.20");
}

TEST_CASE("whole numbers accept a zero fraction only") {
  CHECK(ToInteger(*ParseDecimal("17850.0")) == 17850);
  CHECK_FALSE(ToInteger(*ParseDecimal("17850.5")));
  CHECK_FALSE(ToInteger(*ParseDecimal("99999999999999999999")));
}

std::string Utc(const std::string& text, const std::string& format,
                const std::string& zone) {
  TimeReading reading = ReadTime(text, TimePattern{format}, zone);
  if (!reading.problem.empty()) return reading.problem;
  return common::FormatTime(reading.seconds) +
         (reading.ambiguous ? " (ambiguous)" : "");
}

TEST_CASE("wall-clock times follow the zone's summer time") {
  const std::string format = "%Y-%m-%d %H:%M:%S";
  CHECK(Utc("2011-01-10 09:00:00", format, "Europe/London") ==
        "2011-01-10T09:00:00Z");
  CHECK(Utc("2011-07-10 09:00:00", format, "Europe/London") ==
        "2011-07-10T08:00:00Z");
  CHECK(Utc("2017-01-01 00:00:00", format, "America/New_York") ==
        "2017-01-01T05:00:00Z");
}

TEST_CASE("a repeated wall time takes the earlier instant and says so") {
  CHECK(Utc("2011-10-30 01:30:00", "%Y-%m-%d %H:%M:%S", "Europe/London") ==
        "2011-10-30T00:30:00Z (ambiguous)");
}

TEST_CASE("a skipped wall time is refused") {
  CHECK(Utc("2011-03-27 01:30:00", "%Y-%m-%d %H:%M:%S", "Europe/London") ==
        "does not exist in Europe/London: the clocks went forward over it");
}

TEST_CASE("offsets, epochs and ISO 8601 need no zone") {
  CHECK(Utc("2017-01-28 14:06:53-05:00", "%Y-%m-%d %H:%M:%S%z", "") ==
        "2017-01-28T19:06:53Z");
  CHECK(Utc("1511544070", "epoch_seconds", "") == "2017-11-24T17:21:10Z");
  CHECK(Utc("1511544070999", "epoch_millis", "") == "2017-11-24T17:21:10Z");
  CHECK(Utc("2019-10-01T00:00:00+02:00", "iso8601", "") ==
        "2019-09-30T22:00:00Z");
  CHECK(Utc("12/03/2011 10:15:00.250", "%d/%m/%Y %H:%M:%S.%f", "UTC") ==
        "2011-03-12T10:15:00Z");
}

TEST_CASE("times that do not fit the pattern or the calendar are refused") {
  const std::string format = "%Y-%m-%d %H:%M:%S";
  CHECK(Utc("2011-02-30 10:00:00", format, "UTC") ==
        "is not a real date and time");
  CHECK(Utc("2011-02-03", format, "UTC") ==
        "does not match the time format \"%Y-%m-%d %H:%M:%S\"");
  CHECK(Utc("2011-02-03 10:00:00 extra", format, "UTC") ==
        "does not match the time format \"%Y-%m-%d %H:%M:%S\"");
  CHECK(Utc("17.5", "epoch_seconds", "") ==
        "not a whole number of seconds since 1970");
  // It has an offset, one past what offsets hold: that is what to fix.
  CHECK(Utc("2011-02-03T10:00:00+25:00", "iso8601", "") ==
        "has a zone offset out of range (+25:00; offsets run from -23:59 "
        "to +23:59)");
  // PostgreSQL's text form is not ISO 8601: say what to write.
  CHECK(Utc("2011-03-01 10:00:00+00", "iso8601", "") ==
        "has a space between the date and the time, where ISO 8601 puts a "
        "T (write it 2011-03-01T10:00:00+00:00, or give the column the "
        "format \"%Y-%m-%d %H:%M:%S%z\")");
  CHECK(Utc("2011-03-01 10:00:00+00", "%Y-%m-%d %H:%M:%S%z", "") ==
        "2011-03-01T10:00:00Z");
  CHECK(Utc("2011-02-03 10:00:00-05:60", "%Y-%m-%d %H:%M:%S%z", "") ==
        "has a zone offset out of range (-05:60; offsets run from -23:59 "
        "to +23:59)");
  CHECK(Utc("2011-02-03 10:00:00", format, "Mars/Olympus") ==
        "the time zone \"Mars/Olympus\" is not in the time zone database");
}

TEST_CASE("patterns are checked before any row is read") {
  CHECK(CheckTimePattern(TimePattern{"%Y-%m-%d"}).empty());
  CHECK(CheckTimePattern(TimePattern{"%H:%M"}) ==
        "the time format needs %Y, %m and %d");
  CHECK(CheckTimePattern(TimePattern{"%Y-%m-%d %I"}) ==
        "the time format has %I, which is not one of %Y %m %d %H %M %S %f "
        "%z %%");
}

}  // namespace
}  // namespace parcours::import
