// A program deployed over a state that an earlier program saved: every
// segment is worked out again at the restart instant under the new
// definitions, and what flips starts its journeys then.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"

namespace parcours {
namespace {

using testing::IdentifyLine;
using testing::Scenario;
using testing::Summaries;
using testing::TrackLine;
using Lines = std::vector<std::string>;

const char kWinBack[] = R"(module shop
event Order "Order Completed" { total: money }
segment lapsed = days_since(last(Order)) >= 90
journey win_back {
  on entered(lapsed)
  send email "win_back"
}
)";

std::string OrderLine(const std::string& id, const std::string& time,
                      const std::string& total) {
  return TrackLine("Order Completed", "a", id, time,
                   R"({"total":)" + total + R"(,"currency":"EUR"})");
}

TEST_CASE("a bound tightened past a customer's day flips at the restart") {
  Scenario scenario("segment-revision-bound", kWinBack);
  // Day 70 of 90: not lapsed yet.
  CHECK(scenario
            .Run(OrderLine("o1", "2025-01-01T00:00:00Z", "10"),
                 "2025-03-12T00:00:00Z")
            .empty());

  // Tightened to 60 days: the customer is past it. Left as stored, the
  // segment would never flip, since the instant it flips at has passed.
  std::string tightened = kWinBack;
  tightened.replace(tightened.find(">= 90"), 5, ">= 60");
  scenario.ChangeProgram(tightened);
  CHECK(Summaries(scenario.Run("", "2025-06-01T00:00:00Z")) ==
        Lines{"2025-03-12T00:00:00Z send a win_back.send1"});

  // Once: the next run of the same program finds nothing to change.
  CHECK(scenario.Run("", "2025-08-01T00:00:00Z").empty());
}

// `THRESHOLD` is the bar of the VIP segment.
const char kVip[] = R"(module shop
event Order "Order Completed" { total: money }
event Ping "Ping" { n: int }
segment rich = sum(Order.total) > THRESHOLD
journey rich_in {
  on entered(rich)
  send email "rich_in"
}
journey rich_out {
  on left(rich)
  send email "rich_out"
}
journey ping {
  on Ping
  if rich {
    rich: send email "ping_rich"
  } else {
    poor: send email "ping_poor"
  }
}
)";

std::string VipProgram(const std::string& threshold) {
  std::string text = kVip;
  text.replace(text.find("THRESHOLD"), 9, threshold);
  return text;
}

TEST_CASE("a raised threshold takes a member out at the restart, once") {
  Scenario scenario("segment-revision-threshold", VipProgram("100 EUR"));
  CHECK(
      Summaries(scenario.Run(OrderLine("o1", "2025-01-01T00:00:00Z", "150"))) ==
      Lines{"2025-01-01T00:00:00Z send a rich_in.send1"});

  // Raised to 200 EUR: the 150 EUR member is out at the restart instant,
  // its `on left` journey starts then, and the ping after sees it out.
  scenario.ChangeProgram(VipProgram("200 EUR"));

  std::string ping =
      TrackLine("Ping", "a", "p1", "2025-03-01T00:00:00Z", R"({"n":1})");
  CHECK(Summaries(scenario.Run(ping)) ==
        Lines{"2025-01-01T00:00:00Z send a rich_out.send1",
              "2025-03-01T00:00:00Z send a ping.poor"});
  // An order that raises the spend, still short of 200, is no exit.
  CHECK(scenario.Run(OrderLine("o2", "2025-03-03T00:00:00Z", "10")).empty());
  CHECK(scenario.QueryInt("SELECT count(*) FROM outbox") == 3);
}

// The re-check at the restart changes nothing a segment had right: the
// flip comes at its own instant, once.
TEST_CASE("a program changed elsewhere flips no segment early") {
  Scenario scenario("segment-revision-none", kWinBack);
  CHECK(scenario
            .Run(OrderLine("o1", "2025-01-01T00:00:00Z", "10"),
                 "2025-03-12T00:00:00Z")
            .empty());
  std::string renamed = kWinBack;
  renamed.replace(renamed.find("\"win_back\""), 10, "\"win_back_v2\"");
  scenario.ChangeProgram(renamed);
  CHECK(Summaries(scenario.Run("", "2025-04-05T00:00:00Z")) ==
        Lines{"2025-04-01T00:00:00Z send a win_back.send1"});
}

TEST_CASE("a new segment over stored attributes starts with its members") {
  Scenario scenario("segment-revision-new", R"(module shop
profile { score: int = 0 }
event Ping "Ping" { n: int }
journey ping {
  on Ping
  send email "ping"
}
)");
  scenario.Run(
      IdentifyLine("a", "i1", "2025-01-01T00:00:00Z", R"({"score":15})") +
      IdentifyLine("b", "i2", "2025-01-01T00:00:00Z", R"({"score":5})"));

  scenario.ChangeProgram(R"(module shop
profile { score: int = 0 }
event Ping "Ping" { n: int }
segment vip = profile.score > 10
journey vip_welcome {
  on entered(vip)
  send email "vip_welcome"
}
journey ping {
  on Ping
  if vip {
    vip: send email "ping_vip"
  } else {
    standard: send email "ping_standard"
  }
}
)");
  std::string pings =
      TrackLine("Ping", "a", "p1", "2025-02-01T00:00:00Z", R"({"n":1})") +
      TrackLine("Ping", "b", "p2", "2025-02-01T00:00:00Z", R"({"n":1})");
  CHECK(Summaries(scenario.Run(pings)) ==
        Lines{"2025-01-01T00:00:00Z send a vip_welcome.send1",
              "2025-02-01T00:00:00Z send a ping.vip",
              "2025-02-01T00:00:00Z send b ping.standard"});
}

}  // namespace
}  // namespace parcours
