// Exact decimal text, ISO 8601 times, durations and hashes.
#include <catch2/catch.hpp>
#include <limits>
#include <optional>
#include <string>

#include "runtime/common/decimal_text.h"
#include "runtime/common/hash.h"
#include "runtime/common/record.h"
#include "runtime/common/time_text.h"

namespace parcours::common {
namespace {

TEST_CASE("decimal text is read exactly at a scale", "[runtime][text]") {
  struct Case {
    const char* text;
    int scale;
    int64_t units;
  };
  const Case cases[] = {
      {"129.90", 6, 129'900'000},
      {"0.1", 6, 100'000},
      {"0.2", 6, 200'000},
      {"-5.5", 6, -5'500'000},
      {"-0.000001", 6, -1},
      {"1e2", 6, 100'000'000},
      {"1.5E-3", 6, 1'500},
      {"12.340000000", 6, 12'340'000},
      {"0", 6, 0},
      {"-0.0", 6, 0},
      {"0e999999999", 6, 0},
      {"7", 0, 7},
      {"7.0", 0, 7},
      {"9223372036854775807", 0, INT64_MAX},
      {"-9223372036854775808", 0, INT64_MIN},
      {"9223372036854.775807", 6, INT64_MAX},
      {"00042", 0, 42},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    int64_t units = 12345;
    REQUIRE(ParseScaled(c.text, c.scale, units) == NumberProblem::None);
    CHECK(units == c.units);
  }
}

TEST_CASE("decimal text that cannot be held exactly is refused",
          "[runtime][text]") {
  struct Case {
    const char* text;
    int scale;
    NumberProblem problem;
  };
  const Case cases[] = {
      {"0.0000001", 6, NumberProblem::TooPrecise},
      {"1e-7", 6, NumberProblem::TooPrecise},
      {"7.5", 0, NumberProblem::TooPrecise},
      {"9223372036854775808", 0, NumberProblem::OutOfRange},
      {"9223372036855", 6, NumberProblem::OutOfRange},
      {"1e400", 6, NumberProblem::OutOfRange},
      {"", 6, NumberProblem::NotANumber},
      {"abc", 6, NumberProblem::NotANumber},
      {"1.", 6, NumberProblem::NotANumber},
      {".5", 6, NumberProblem::NotANumber},
      {"1,5", 6, NumberProblem::NotANumber},
      {" 1", 6, NumberProblem::NotANumber},
      {"+1", 6, NumberProblem::NotANumber},
      {"1e", 6, NumberProblem::NotANumber},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    int64_t units = 12345;
    CHECK(ParseScaled(c.text, c.scale, units) == c.problem);
    CHECK(units == 12345);
  }
}

TEST_CASE("decimal units format as their shortest exact text",
          "[runtime][text]") {
  CHECK(FormatScaled(129'900'000, 6) == "129.9");
  CHECK(FormatScaled(300'000, 6) == "0.3");
  CHECK(FormatScaled(-1, 6) == "-0.000001");
  CHECK(FormatScaled(0, 6) == "0");
  CHECK(FormatScaled(5'000'000, 6) == "5");
  CHECK(FormatScaled(INT64_MIN, 6) == "-9223372036854.775808");
  CHECK(FormatScaled(42, 0) == "42");
}

TEST_CASE("ISO 8601 times are read with fractions and offsets",
          "[runtime][text]") {
  const int64_t ten = 1293962400;  // 2011-01-02T10:00:00Z
  CHECK(ParseTime("2011-01-02T10:00:00Z") == ten);
  CHECK(ParseTime("2011-01-02T10:00:00.999Z") == ten);
  CHECK(ParseTime("2011-01-02T12:00:00+02:00") == ten);
  CHECK(ParseTime("2011-01-02T12:00:00.25+0200") == ten);
  CHECK(ParseTime("2011-01-02T05:30:00-04:30") == ten);
  CHECK(ParseTime("2011-01-02T11:00:00+01") == ten);
  CHECK(ParseTime("1970-01-01T00:00:00Z") == 0);
  CHECK(ParseTime("1969-12-31T23:59:59Z") == -1);
  CHECK(ParseTime("2024-02-29T00:00:00Z") == 1709164800);
}

// RFC 3339 lets a sender write both letters in lower case; `z` was read
// and `t` refused, so `2011-01-02t10:00:00z` was a dead letter.
TEST_CASE("the letters t and z may be lower case, as RFC 3339 allows",
          "[runtime][text]") {
  const int64_t ten = 1293962400;  // 2011-01-02T10:00:00Z
  CHECK(ParseTime("2011-01-02t10:00:00z") == ten);
  CHECK(ParseTime("2011-01-02t10:00:00Z") == ten);
  CHECK(ParseTime("2011-01-02t11:00:00+01:00") == ten);
  CHECK_FALSE(ParseTime("2011-01-02x10:00:00Z").has_value());
}

TEST_CASE("malformed or zoneless times are refused", "[runtime][text]") {
  const char* bad[] = {
      "2011-01-02T10:00:00",
      "2011-01-02 10:00:00Z",
      "2011-13-02T10:00:00Z",
      "2011-02-29T10:00:00Z",
      "2011-01-02T24:00:00Z",
      "2011-01-02T10:60:00Z",
      "2011-01-02T10:00:60Z",
      "2011-01-02T10:00:00.Z",
      "2011-01-02T10:00Z",
      "2011-01-02T10:00:00+2",
      "2011-01-02T10:00:00ZZ",
      "yesterday",
      "",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseTime(text).has_value());
  }
}

TEST_CASE("times format in UTC with a Z and whole seconds", "[runtime][text]") {
  CHECK(FormatTime(1293962400) == "2011-01-02T10:00:00Z");
  CHECK(FormatTime(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatTime(-1) == "1969-12-31T23:59:59Z");
  CHECK(FormatTime(1709164800 + 86399) == "2024-02-29T23:59:59Z");
}

TEST_CASE("a time written over a string leaves nothing of what it held",
          "[runtime][text]") {
  // The save reuses one string per log row's time; a longer text before,
  // from a year past 9999 (written by snprintf), must not leave a tail.
  std::string text = "not a time, and longer than one";
  AssignTime(1293962400, text);
  CHECK(text == "2011-01-02T10:00:00Z");
  AssignTime(int64_t{3700000} * 86400, text);
  CHECK(text == FormatTime(int64_t{3700000} * 86400));
  CHECK(text.size() > 20);
  AssignTime(-1, text);
  CHECK(text == "1969-12-31T23:59:59Z");
}

TEST_CASE("the bounds of input times are the years 1900 and 9999",
          "[runtime][text]") {
  CHECK(ParseTime("1900-01-01T00:00:00Z") == kEarliestTime);
  CHECK(ParseTime("9999-12-31T23:59:59Z") == kLatestTime);
  CHECK(FormatTime(kEarliestTime) == "1900-01-01T00:00:00Z");
  CHECK(FormatTime(kLatestTime) == "9999-12-31T23:59:59Z");
  // Past the bounds (a clock moved by `--until`), the year grows a digit.
  CHECK(FormatTime(kLatestTime + 1) == "10000-01-01T00:00:00Z");
}

TEST_CASE("time plus seconds saturates instead of wrapping",
          "[runtime][text]") {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  CHECK(AddSeconds(1293962400, 86400) == 1293962400 + 86400);
  CHECK(AddSeconds(1293962400, -86400) == 1293962400 - 86400);
  CHECK(AddSeconds(1293962400, max) == max);
  CHECK(AddSeconds(max, 1) == max);
  CHECK(AddSeconds(-5, min) == min);
  CHECK(AddSeconds(kLatestTime, max - 10) == max);
}

TEST_CASE("durations for the command line", "[runtime][text]") {
  struct Case {
    const char* text;
    std::optional<int64_t> seconds;
  };
  const Case cases[] = {
      {"0", 0},
      {"90d", 90 * 86400},
      {"400d", 400 * 86400},
      {"12h", 12 * 3600},
      {"30m", 1800},
      {"45s", 45},
      {"2w", 14 * 86400},
      {"0d", 0},
      {"d", std::nullopt},
      {"", std::nullopt},
      {"5", std::nullopt},
      {"-1d", std::nullopt},
      {"1.5d", std::nullopt},
      {"3y", std::nullopt},
      {"99999999999999999999d", std::nullopt},
      {"999999999999999w", std::nullopt},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(ParseDuration(c.text) == c.seconds);
  }
}

TEST_CASE("spans are described in their largest whole unit",
          "[runtime][text]") {
  CHECK(DescribeSpan(0) == "0 seconds");
  CHECK(DescribeSpan(1) == "1 second");
  CHECK(DescribeSpan(59) == "59 seconds");
  CHECK(DescribeSpan(120) == "2 minutes");
  CHECK(DescribeSpan(3600) == "1 hour");
  CHECK(DescribeSpan(90 * 86400) == "90 days");
  CHECK(DescribeSpan(90 * 86400 + 5) == "more than 90 days");
  // 9999-01-01 is 7974 years and 361 days after 2024-01-05.
  CHECK(DescribeSpan(*ParseTime("9999-01-01T00:00:00Z") -
                     *ParseTime("2024-01-05T00:00:00Z")) ==
        "more than 7974 years");
}

TEST_CASE("64-bit values print as 16 hex digits", "[runtime][text]") {
  CHECK(Hex64(0) == "0000000000000000");
  CHECK(Hex64(0xcbf29ce484222325ull) == "cbf29ce484222325");
  CHECK(Hex64(~0ull) == "ffffffffffffffff");
}

TEST_CASE("records own their strings across copies and moves",
          "[runtime][record]") {
  Record original(4);
  original.SetString(0, "a string long enough to live on the heap");
  original.SetString(2, "short");
  original.SetString(2, "replaced");

  Record copy = original;
  std::vector<Record> moved;
  moved.push_back(std::move(original));
  for (int i = 0; i < 20; ++i) moved.push_back(Record(1));

  CHECK(copy.GetString(0) == "a string long enough to live on the heap");
  CHECK(copy.GetString(2) == "replaced");
  CHECK(moved[0].GetString(2) == "replaced");
  CHECK(copy.Get(2) != moved[0].Get(2));  // separate bytes

  // A slot cleared with plain words stays cleared in a copy.
  copy.Set(0, 0);
  copy.Set(1, 0);
  Record second = copy;
  CHECK(second.GetString(0).empty());
}

TEST_CASE("a record assigned over another shows only the other's values",
          "[runtime][record]") {
  // The target holds strings in other slots than the source's, and more
  // of them, and is then assigned one with fewer.
  Record target(8);
  target.SetString(0, "the target's first string, long enough for the heap");
  target.SetString(4, "the target's second");
  target.SetString(6, "the target's third");

  Record source(8);
  source.Set(0, 41);
  source.SetString(2, "the source's string, long enough for the heap too");
  source.Set(5, 42);
  source.SetString(6, "short");

  target = source;
  CHECK(target.size() == 8);
  CHECK(target.Get(0) == 41);
  CHECK(target.GetString(2) ==
        "the source's string, long enough for the heap too");
  CHECK(target.Get(5) == 42);
  CHECK(target.GetString(6) == "short");
  CHECK(target.Get(2) != source.Get(2));  // its own bytes

  // Slots written afterwards are the target's alone.
  target.SetString(6, "replaced in the target");
  CHECK(source.GetString(6) == "short");
  source.SetString(2, "replaced in the source");
  CHECK(target.GetString(2) ==
        "the source's string, long enough for the heap too");

  // A smaller record with one string, then one with none.
  Record small(2);
  small.SetString(0, "one");
  target = small;
  CHECK(target.size() == 2);
  CHECK(target.GetString(0) == "one");
  Record plain(3);
  plain.Set(1, 7);
  target = plain;
  CHECK(target.size() == 3);
  CHECK(target.Get(0) == 0);
  CHECK(target.Get(1) == 7);
  target.SetString(0, "written after");
  CHECK(target.GetString(0) == "written after");

  // Copies made before the source dies outlive it.
  {
    Record temporary(2);
    temporary.SetString(0, "from a record that goes away, long enough");
    target = temporary;
  }
  CHECK(target.GetString(0) == "from a record that goes away, long enough");
}

}  // namespace
}  // namespace parcours::common
