// Calendar waits through the whole product: a month from a month end, and
// a local time of day across a daylight-saving change, in the recipient's
// own zone, with the JIT and the interpreter.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kProgram[] = R"(module calendar

profile {
  timezone: tz = "Europe/Paris"
}

event OrderPlaced "Order Completed" {
  order_id: string
}

journey monthly {
  on OrderPlaced
  exit on OrderPlaced

  wait 1 month
  send email "one_month_later"
  wait until 09:00 local
  send email "next_morning"
}
)";

// (at, template) of each send, in output order.
std::vector<std::pair<std::string, std::string>> Sends(const std::string& out) {
  std::vector<std::pair<std::string, std::string>> sends;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    if (action["kind"] == "send") {
      sends.emplace_back(action["at"], action["template"]);
    }
  }
  return sends;
}

TEST_CASE("calendar waits follow the recipient's wall clock") {
  auto scratch = testing::ScratchDir("calendar");
  testing::WriteText(scratch / "calendar.journey", kProgram);
  // Paris (the default zone) orders on Jan 31 at 11:00 local; New York on
  // Feb 28 at 20:00 local, a month before both daylight-saving changes.
  const std::string prefix =
      R"({"type":"track","event":"Order Completed","userId":)";
  testing::WriteText(
      scratch / "events.jsonl",
      prefix + R"("paris","messageId":"o1",)" +
          R"("timestamp":"2025-01-31T10:00:00Z",)" +
          R"("properties":{"order_id":"o1"}})" + "\n" +
          R"({"type":"identify","userId":"ny","messageId":"i2",)" +
          R"("timestamp":"2025-02-28T00:00:00Z",)" +
          R"("traits":{"timezone":"America/New_York"}})" + "\n" + prefix +
          R"("ny","messageId":"o2","timestamp":"2025-03-01T01:00:00Z",)" +
          R"("properties":{"order_id":"o2"}})" + "\n");

  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "calendar.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i], "--until", "2025-04-30T00:00:00Z"},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);

  auto sends = Sends(outputs[0]);
  REQUIRE(sends.size() == 4);
  // Jan 31 + 1 month is Feb 28, still 11:00 in Paris (CET, +01:00).
  CHECK(sends[0] == std::pair<std::string, std::string>("2025-02-28T10:00:00Z",
                                                        "one_month_later"));
  // The next 09:00 in Paris is Mar 1, 08:00 UTC.
  CHECK(sends[1] == std::pair<std::string, std::string>("2025-03-01T08:00:00Z",
                                                        "next_morning"));
  // New York: Feb 28 20:00 EST + 1 month is Mar 28 20:00 EDT (-04:00),
  // across the US change of Mar 9.
  CHECK(sends[2] == std::pair<std::string, std::string>("2025-03-29T00:00:00Z",
                                                        "one_month_later"));
  // Then 09:00 EDT the next morning.
  CHECK(sends[3] == std::pair<std::string, std::string>("2025-03-29T13:00:00Z",
                                                        "next_morning"));
}

const char kMovingProgram[] = R"(module moving

profile {
  timezone: tz = "Europe/Paris"
}

event Ping "Ping" {}

journey morning {
  on Ping
  wait until 09:00 local
  send email "morning"
}

journey next_day {
  on Ping
  wait 1 day
  send email "next_day"
}

journey quick {
  on Ping
  wait 2h
  send email "quick"
}
)";

// A recipient who changes zone while waiting: waits that end at a local
// time end at that wall-clock time in the new zone; exact ones do not
// move.
TEST_CASE("waits that end at a local time follow a change of zone") {
  auto scratch = testing::ScratchDir("calendar-moving");
  testing::WriteText(scratch / "moving.journey", kMovingProgram);
  auto ping = [](const std::string& user, const std::string& at) {
    return R"({"type":"track","event":"Ping","userId":")" + user +
           R"(","messageId":"p-)" + user + R"(","timestamp":")" + at +
           R"(","properties":{}})" + "\n";
  };
  auto move = [](const std::string& user, const std::string& at,
                 const std::string& zone) {
    return R"({"type":"identify","userId":")" + user + R"(","messageId":"i-)" +
           user + "-" + zone + R"(","timestamp":")" + at +
           R"(","traits":{"timezone":")" + zone + R"("}})" + "\n";
  };
  // `west` pings at 21:00 in Paris and moves to New York an hour later;
  // `east` pings at 15:00 in New York and moves to Tokyo, where it is
  // already past 09:00 when it arrives.
  testing::WriteText(
      scratch / "events.jsonl",
      ping("west", "2011-01-03T20:00:00Z") +
          move("east", "2011-01-03T19:00:00Z", "America/New_York") +
          ping("east", "2011-01-03T20:00:00Z") +
          move("west", "2011-01-03T21:00:00Z", "America/New_York") +
          move("east", "2011-01-04T03:00:00Z", "Asia/Tokyo"));

  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "moving.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i], "--until", "2011-01-10T00:00:00Z"},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);

  std::vector<std::pair<std::string, std::string>> expected = {
      // Exact: two hours after each ping, whatever the zone.
      {"2011-01-03T22:00:00Z", "quick"},
      {"2011-01-03T22:00:00Z", "quick"},
      // East's 09:00 in New York (14:00Z) became 09:00 in Tokyo (00:00Z),
      // passed when it moved at 03:00Z: at once.
      {"2011-01-04T03:00:00Z", "morning"},
      // West's 09:00 in Paris (08:00Z) became 09:00 in New York.
      {"2011-01-04T14:00:00Z", "morning"},
      // East's day from 15:00 in New York became 15:00 in Tokyo.
      {"2011-01-04T06:00:00Z", "next_day"},
      // West's day from 21:00 in Paris became 21:00 in New York.
      {"2011-01-05T02:00:00Z", "next_day"},
  };
  auto sends = Sends(outputs[0]);
  std::sort(sends.begin(), sends.end());
  std::sort(expected.begin(), expected.end());
  CHECK(sends == expected);

  // The log says why each wait moved.
  auto moved = testing::RunParcours(
      {"explain", "--state", (scratch / "interp.db").string(), "--profile",
       "west"},
      scratch);
  INFO(moved.err);
  CHECK(moved.exit_code == 0);
  CHECK_THAT(moved.out,
             Catch::Contains("2011-01-03T21:00:00Z morning/wait1: time zone "
                             "changed from `Europe/Paris` to "
                             "`America/New_York`: the wait now ends at "
                             "2011-01-04T14:00:00Z instead of "
                             "2011-01-04T08:00:00Z"));
}

}  // namespace
}  // namespace parcours
