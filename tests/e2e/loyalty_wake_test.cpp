// Points given with no event being handled (an award after a wait, on a
// date or a schedule, after a held message; an earning event emitted
// after a wait) expire and are announced at their own instants, in the
// run that reaches them, with both engines and any number of partitions.
// So do the lots a redemption or a refund emitted after a wait leaves.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::IdentifyLine;
using testing::Scenario;
using testing::TrackLine;

// A club whose lots live `life` and are announced `notice` before they
// expire.
std::string Club(const std::string& life = "10d",
                 const std::string& notice = "2d") {
  return "profile {\n  birthday: date?\n}\n"
         "event Ping \"Ping\" {}\n"
         "event Order \"Order\" { order_id: int, total: money }\n"
         "event Redeem \"Redeem\" { points: int }\n"
         "event Refund \"Refund\" { order_id: int }\n"
         "program club {\n"
         "  earn 1 point per 1 EUR of Order.total\n"
         "  burn on Redeem.points\n"
         "  refund on Refund.order_id\n"
         "  expire " +
         life + " after earning\n  notify expiring " + notice +
         " before\n}\n"
         "journey warn {\n  on PointsExpiring as e\n"
         "  send inapp \"expiring\"\n}\n";
}

// Each points line as "at points balance reason", each send as
// "at send template", in the order written.
std::vector<std::string> Moves(const std::string& out) {
  std::vector<std::string> moves;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    std::string at = action["at"].get<std::string>();
    if (action["kind"] == "points") {
      moves.push_back(at + " " + action["points"].dump() + " " +
                      action["balance"].dump() + " " +
                      action["reason"].get<std::string>());
    } else if (action["kind"] == "send") {
      moves.push_back(at + " send " + action["template"].get<std::string>());
    }
  }
  return moves;
}

std::string Ping(const std::string& id, const std::string& time) {
  return TrackLine("Ping", "k", id, time);
}

TEST_CASE("points awarded after a wait expire and are announced on time",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-wake-award",
                    Club() +
                        "journey later_bonus {\n  on Ping\n  reentry never\n"
                        "  wait 1h\n"
                        "  award 150 points reason \"late bonus\"\n}\n");
  // One run reaches the notice and the expiry: nothing else wakes "k".
  std::string out =
      scenario.Run(Ping("p1", "2025-01-01T00:00:00Z"), "2025-02-01T00:00:00Z");
  CHECK(Moves(out) ==
        std::vector<std::string>{"2025-01-01T01:00:00Z 150 150 earn",
                                 "2025-01-09T01:00:00Z send expiring",
                                 "2025-01-11T01:00:00Z -150 0 expire"});
  CHECK(scenario.Run("", "2025-03-01T00:00:00Z").empty());
}

TEST_CASE("parcours test sees the notice of points awarded after a wait",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-wake-test-block");
  auto file = scratch / "club.journey";
  testing::WriteText(
      file,
      "event Ping \"Ping\" {}\n"
      "event Order \"Order\" { total: money }\n"
      "program club {\n"
      "  earn 1 point per 1 EUR of Order.total\n"
      "  expire 10d after earning\n"
      "  notify expiring 2d before\n}\n"
      "journey later_bonus {\n  on Ping\n  reentry never\n  wait 1h\n"
      "  award 150 points reason \"late bonus\"\n}\n"
      "journey warn {\n  on PointsExpiring as e\n"
      "  send inapp \"expiring\"\n}\n"
      "test \"an awarded lot is announced before it expires\" {\n"
      "  given profile \"k\"\n"
      "  at 2025-01-01T00:00:00Z Ping {}\n"
      "  expect send inapp \"expiring\" at 2025-01-09T01:00:00Z\n}\n");
  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, file.string()}, scratch);
    INFO(engine << ": " << result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("1 passed, 0 failed") != std::string::npos);
  }
}

TEST_CASE("points awarded on a date expire and are announced on time",
          "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-wake-date",
      Club() +
          "journey bday {\n  on date profile.birthday at 09:00 local\n"
          "  award 10 points reason \"birthday\"\n}\n");
  std::string out = scenario.Run(IdentifyLine("k", "i1", "2025-03-01T00:00:00Z",
                                              R"({"birthday":"1990-03-05"})"),
                                 "2025-04-30T00:00:00Z");
  CHECK(Moves(out) ==
        std::vector<std::string>{"2025-03-05T09:00:00Z 10 10 earn",
                                 "2025-03-13T09:00:00Z send expiring",
                                 "2025-03-15T09:00:00Z -10 0 expire"});
}

TEST_CASE("points awarded on a schedule expire and are announced on time",
          "[e2e][loyalty]") {
  // Lots that end before the next Monday: no later occurrence of the
  // schedule wakes the member in time.
  Scenario scenario("loyalty-wake-schedule",
                    Club("3d", "1d") +
                        "journey weekly {\n  every monday 10:00 local\n"
                        "  reentry never\n"
                        "  award 20 points reason \"monday\"\n}\n");
  // 2025-01-06 is a Monday; the schedule has "k" once it is known.
  std::string out =
      scenario.Run(Ping("p1", "2025-01-01T00:00:00Z"), "2025-02-28T00:00:00Z");
  CHECK(Moves(out) ==
        std::vector<std::string>{"2025-01-06T10:00:00Z 20 20 earn",
                                 "2025-01-08T10:00:00Z send expiring",
                                 "2025-01-09T10:00:00Z -20 0 expire"});
}

TEST_CASE("points of an order emitted after a wait expire on time",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-wake-emit",
                    Club() +
                        "journey later_order {\n  on Ping\n  wait 1h\n"
                        "  emit Order { order_id: 7, total: 40 EUR }\n}\n");
  std::string out =
      scenario.Run(Ping("p1", "2025-01-01T00:00:00Z"), "2025-02-01T00:00:00Z");
  CHECK(Moves(out) ==
        std::vector<std::string>{"2025-01-01T01:00:00Z 40 40 earn",
                                 "2025-01-09T01:00:00Z send expiring",
                                 "2025-01-11T01:00:00Z -40 0 expire"});
}

TEST_CASE("points awarded after a message held by quiet hours expire on time",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-wake-held",
                    Club() +
                        "policy calm {\n  quiet 22:00 .. 08:00 local\n"
                        "  when capped: defer within 1d\n}\n"
                        "journey thanks {\n  on Ping\n  policy calm\n"
                        "  send email \"thanks\"\n"
                        "  award 30 points reason \"thanks\"\n}\n");
  // The message waits for 08:00; the award comes right after it.
  std::string out =
      scenario.Run(Ping("p1", "2025-01-01T23:00:00Z"), "2025-02-01T00:00:00Z");
  CHECK(Moves(out) ==
        std::vector<std::string>{"2025-01-02T08:00:00Z send thanks",
                                 "2025-01-02T08:00:00Z 30 30 earn",
                                 "2025-01-10T08:00:00Z send expiring",
                                 "2025-01-12T08:00:00Z -30 0 expire"});
}

TEST_CASE(
    "a redemption or a refund emitted after a wait leaves the lot's "
    "notice and expiry right",
    "[e2e][loyalty]") {
  auto order = [](const std::string& id, const std::string& time) {
    return TrackLine("Order", "k", id, time,
                     R"({"order_id":1,"total":100,"currency":"EUR"})");
  };

  SECTION("a redemption: what is left is announced and expires") {
    Scenario scenario("loyalty-wake-redeem",
                      Club() +
                          "journey spend {\n  on Order\n  wait 1h\n"
                          "  emit Redeem { points: 60 }\n}\n");
    std::string out = scenario.Run(order("o1", "2025-01-01T00:00:00Z"),
                                   "2025-02-01T00:00:00Z");
    CHECK(Moves(out) ==
          std::vector<std::string>{"2025-01-01T00:00:00Z 100 100 earn",
                                   "2025-01-01T01:00:00Z -60 40 burn",
                                   "2025-01-09T00:00:00Z send expiring",
                                   "2025-01-11T00:00:00Z -40 0 expire"});
  }

  SECTION("a refund: nothing is left to announce or expire") {
    Scenario scenario("loyalty-wake-refund",
                      Club() +
                          "journey take_back {\n  on Order\n  wait 1h\n"
                          "  emit Refund { order_id: 1 }\n"
                          "  wait 2h\n"
                          "  award 5 points reason \"sorry\"\n}\n");
    std::string out = scenario.Run(order("o1", "2025-01-01T00:00:00Z"),
                                   "2025-02-01T00:00:00Z");
    CHECK(Moves(out) ==
          std::vector<std::string>{"2025-01-01T00:00:00Z 100 100 earn",
                                   "2025-01-01T01:00:00Z -100 0 refund",
                                   "2025-01-01T03:00:00Z 5 5 earn",
                                   "2025-01-09T03:00:00Z send expiring",
                                   "2025-01-11T03:00:00Z -5 0 expire"});
  }
}

// Two orders of one instant make two lots that expire together: the
// member hears of them once, with their points together, not once per
// order.
TEST_CASE("lots that expire together are announced in one notice",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-wake-one-notice",
                    Club() +
                        "journey tell {\n  on PointsExpiring as e\n"
                        "  send email \"expiring\" with { points: "
                        "e.points, balance: e.balance }\n}\n");
  auto order = [](const std::string& id, int number, const char* total) {
    return TrackLine("Order", "k", id, "2025-01-01T10:00:00Z",
                     R"({"order_id":)" + std::to_string(number) +
                         R"(,"total":)" + total + R"(,"currency":"EUR"})");
  };
  std::string out =
      scenario.Run(order("o1", 1, "30") + order("o2", 2, "12") +
                       TrackLine("Order", "k", "o3", "2025-01-02T10:00:00Z",
                                 R"({"order_id":3,"total":5,)"
                                 R"("currency":"EUR"})"),
                   "2025-02-01T00:00:00Z");
  std::vector<std::string> notices;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    if (action["kind"] != "send" || action["channel"] != "email") continue;
    notices.push_back(action["at"].get<std::string>() + " " +
                      action["payload"].dump());
  }
  CHECK(notices == std::vector<std::string>{
                       R"(2025-01-09T10:00:00Z {"balance":47,"points":42})",
                       R"(2025-01-10T10:00:00Z {"balance":47,"points":5})"});
}

}  // namespace
}  // namespace parcours
