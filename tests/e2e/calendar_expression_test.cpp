// Calendar lengths inside expressions (`now + 1 month`, `profile.signup -
// 1 month`) through the whole product, in both engines: times move on the
// recipient's wall clock, dates on the calendar.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/journey_test_support.h"

namespace parcours::testing {
namespace {

const char kRenewals[] = R"(module renewals

profile {
  timezone: tz = "Europe/Paris"
  signup: date = "2024-01-31"
  renews: date = "2000-01-01"
}

event OrderPlaced "Order Placed" {
  total: decimal
}

journey renewal {
  on OrderPlaced
  if days_since(profile.signup + 1 month) >= 0 {
    set profile.renews = profile.signup + 1 month
    send email "renewal" with {
      due: now + 1 month,
      next_year: 1 year + now,
      day_before: now - 1 day,
      signed_before: profile.signup - 1 month
    }
  } else {
    send email "too_early"
  }
}
)";

// Each action line's template and payload, by profile.
std::map<std::string, nlohmann::json> ByProfile(const std::string& out) {
  std::map<std::string, nlohmann::json> actions;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    actions[action["profile"].get<std::string>()] = action;
  }
  return actions;
}

TEST_CASE("calendar lengths in expressions move times and dates") {
  Scenario scenario("calendar_expressions", kRenewals);
  std::string events =
      IdentifyLine("paris", "i1", "2024-03-01T00:00:00Z",
                   R"({"signup":"2024-01-31"})") +
      IdentifyLine("early", "i2", "2024-03-01T00:00:00Z",
                   R"({"timezone":"America/New_York","signup":"2024-02-29"})") +
      IdentifyLine("gap", "i3", "2024-03-01T00:00:00Z",
                   R"({"timezone":"America/New_York","signup":"2024-01-15"})") +
      TrackLine("Order Placed", "early", "o2", "2024-03-10T06:30:00Z",
                R"({"total":10})") +
      // 02:30 EDT, the day after 02:30 was skipped in New York.
      TrackLine("Order Placed", "gap", "o3", "2024-03-11T06:30:00Z",
                R"({"total":10})") +
      // 01:30 CET on the night summer time starts in Paris.
      TrackLine("Order Placed", "paris", "o1", "2024-03-31T00:30:00Z",
                R"({"total":10})");
  auto actions = ByProfile(scenario.Run(events));
  REQUIRE(actions.size() == 3);

  // A month and a year later at 01:30 local, in summer time; the day
  // before still in winter time; 31 January less a month.
  const nlohmann::json& paris = actions["paris"]["payload"];
  CHECK(actions["paris"]["template"] == "renewal");
  CHECK(paris["due"] == "2024-04-29T23:30:00Z");
  CHECK(paris["next_year"] == "2025-03-30T23:30:00Z");
  CHECK(paris["day_before"] == "2024-03-30T00:30:00Z");
  CHECK(paris["signed_before"] == "2023-12-31");

  // 29 February plus a month is 29 March, still ahead on 10 March.
  CHECK(actions["early"]["template"] == "too_early");

  // The day before 02:30 EDT on 11 March is the skipped 02:30 of the 10th,
  // moved forward to 03:30 EDT.
  const nlohmann::json& gap = actions["gap"]["payload"];
  CHECK(gap["due"] == "2024-04-11T06:30:00Z");
  CHECK(gap["day_before"] == "2024-03-10T07:30:00Z");
  CHECK(gap["signed_before"] == "2023-12-15");

  // 31 January plus a month in a leap year; 15 January plus a month.
  CHECK(scenario.QueryText("SELECT json_extract(attrs, '$.renews') "
                           "FROM profiles WHERE id = 'paris'") == "2024-02-29");
  CHECK(scenario.QueryText("SELECT json_extract(attrs, '$.renews') "
                           "FROM profiles WHERE id = 'gap'") == "2024-02-15");
}

const char kMonthAfterJoining[] = R"(module months

profile {
  timezone: tz = "America/New_York"
  joined: time = 2024-01-01T00:00:00Z
}

event Ping "Ping" {
  n: int
}

segment a_month_in = profile.joined + 1 month <= now

journey first_month {
  on entered(a_month_in)
  send email "one_month"
}
)";

TEST_CASE("a segment over a time plus a calendar length flips at its instant") {
  Scenario scenario("calendar_segment", kMonthAfterJoining);
  // 23:59 EST on 30 January: a month later is 29 February, 23:59 EST.
  std::string events =
      IdentifyLine("p1", "i1", "2024-01-31T12:00:00Z",
                   R"({"joined":"2024-01-31T04:59:00Z"})") +
      TrackLine("Ping", "p1", "m1", "2024-04-01T00:00:00Z", R"({"n":1})");
  CHECK(Summaries(scenario.Run(events)) ==
        std::vector<std::string>{
            "2024-03-01T04:59:00Z send p1 first_month.send1"});
}

TEST_CASE("`now` moved by a calendar length in a segment is refused") {
  auto scratch = ScratchDir("calendar_segment_now");
  WriteText(scratch / "p.journey", R"(module m

profile {
  joined: time = 2024-01-01T00:00:00Z
}

segment lapsed = profile.joined < now - 3 months
)");
  auto result =
      RunParcours({"build", (scratch / "p.journey").string()}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("p.journey:7:35: error[E0950]") != std::string::npos);
  CHECK(result.err.find("compare `x + 3 months < now`") != std::string::npos);
}

}  // namespace
}  // namespace parcours::testing
