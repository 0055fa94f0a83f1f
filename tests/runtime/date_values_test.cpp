// Dates on the stream: "YYYY-MM-DD" into days since 1970-01-01, written
// back the same way, and the lines whose dates are not real days.
#include <catch2/catch.hpp>
#include <string>

#include "compiler/ir/dates.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/value_json.h"

namespace parcours::testing {
namespace {

// Event "Renewed" {on: date}; profile {birthday: date?}.
ir::Program DatedProgram() {
  ir::Program program;
  program.module = "dates";
  ir::EventType renewed;
  renewed.name = "Renewed";
  renewed.wire_name = "Renewed";
  ir::Field on;
  on.name = on.wire_name = "on";
  on.type = ir::Type::Int;
  on.date = true;
  renewed.fields.push_back(on);
  renewed.record_words = 1;
  program.events.push_back(renewed);

  ir::Field birthday;
  birthday.name = birthday.wire_name = "birthday";
  birthday.type = ir::Type::Int;
  birthday.optional = true;
  birthday.presence_offset = 1;
  birthday.date = true;
  program.profile.push_back(birthday);
  program.profile_words = 2;
  ir::AnalyzeDependencies(program);
  return program;
}

std::string Track(const std::string& on) {
  return R"({"type":"track","event":"Renewed","userId":"u1",)"
         R"("messageId":"m1","timestamp":"2025-03-01T10:00:00Z",)"
         R"("properties":{"on":)" +
         on + "}}";
}

std::string Identify(const std::string& birthday) {
  return R"({"type":"identify","userId":"u1","messageId":"i1",)"
         R"("timestamp":"2025-03-01T10:00:00Z","traits":{"birthday":)" +
         birthday + "}}";
}

TEST_CASE("dates decode into days since 1970-01-01", "[runtime][ingest]") {
  ir::Program program = DatedProgram();
  ingest::Decoder decoder(program);
  struct Case {
    const char* text;
    int64_t days;
  };
  const Case cases[] = {
      {"\"1990-03-29\"", 7392},    {"\"2024-02-29\"", 19782},
      {"\"1970-01-01\"", 0},       {"\"1969-12-31\"", -1},
      {"\"0001-01-01\"", -719162}, {"\"9999-12-31\"", 2932896}};
  for (const Case& c : cases) {
    INFO(c.text);
    ingest::DecodeResult track = decoder.Decode(Track(c.text), 1);
    REQUIRE(track.outcome == ingest::LineOutcome::Event);
    CHECK(track.event.record.Get(0) == c.days);

    ingest::DecodeResult identify = decoder.Decode(Identify(c.text), 1);
    REQUIRE(identify.outcome == ingest::LineOutcome::Event);
    CHECK(identify.event.traits.Get(0) == c.days);
    CHECK(identify.event.traits.Get(1) == 1);
    // And written back as it came, as the state and payloads write it.
    CHECK(store::EncodeField(identify.event.traits, program.profile[0]) ==
          std::string(c.text).substr(1, 10));
  }
}

TEST_CASE("a date that is not a real day makes the line a dead letter",
          "[runtime][ingest]") {
  ir::Program program = DatedProgram();
  ingest::Decoder decoder(program);
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"\"2023-02-29\"",
       "field `on` of `Renewed` is not a day of the calendar (years 0001 "
       "to 9999): `2023-02-29`"},
      {"\"1990-02-30\"",
       "field `on` of `Renewed` is not a day of the calendar (years 0001 "
       "to 9999): `1990-02-30`"},
      {"\"1990-13-01\"",
       "field `on` of `Renewed` is not a day of the calendar (years 0001 "
       "to 9999): `1990-13-01`"},
      {"\"1990-3-29\"",
       "field `on` of `Renewed` is not a date of the form YYYY-MM-DD: "
       "`1990-3-29`"},
      {"\"0000-01-01\"",
       "field `on` of `Renewed` is not a day of the calendar (years 0001 "
       "to 9999): `0000-01-01`"},
      {"\"1990-03-29T00:00:00Z\"",
       "field `on` of `Renewed` is not a date of the form YYYY-MM-DD: "
       "`1990-03-29T00:00:00Z`"},
      {"19900329",
       "field `on` of `Renewed` must be a date such as \"1990-03-29\", got "
       "number"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    ingest::DecodeResult result = decoder.Decode(Track(c.text), 3);
    REQUIRE(result.outcome == ingest::LineOutcome::DeadLetter);
    CHECK_THAT(result.reason, Catch::Contains(c.reason));
  }
  // An identify names the trait.
  ingest::DecodeResult identify = decoder.Decode(Identify("\"1990-02-30\""), 4);
  REQUIRE(identify.outcome == ingest::LineOutcome::DeadLetter);
  CHECK_THAT(identify.reason,
             Catch::Contains("trait `birthday` is not a day of the calendar"));
}

TEST_CASE("dates read and written as text agree", "[runtime][ingest]") {
  for (int64_t days : {-719162, -1, 0, 59, 7392, 19782, 2932896}) {
    INFO(days);
    std::string text = ir::FormatDate(days);
    CHECK(ir::ParseDate(text) == days);
  }
  CHECK(ir::FormatDate(19782) == "2024-02-29");
  CHECK_FALSE(ir::ParseDate("2100-02-29"));  // not a leap year
  CHECK(ir::ParseDate("2000-02-29") == 11016);
}

}  // namespace
}  // namespace parcours::testing
