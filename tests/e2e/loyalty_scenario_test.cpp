// Loyalty programs end to end through `parcours run`, in both engines:
// the exact scenarios of issue #7 (docs/loyalty.md states the rules), the
// events and triggers a program gives journeys, restarts and the state
// file's checks.
#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/e2e/journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/schema_downgrade.h"

namespace parcours {
namespace {

using testing::Scenario;
using testing::TrackLine;

const char kEvents[] =
    "enum Tier { Silver, Gold }\n"
    "profile { vip: bool = false }\n"
    "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
    "event OrderRefunded \"Order Refunded\" { order_id: int }\n"
    "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
    "event ReviewPosted \"Review Posted\" { }\n";

std::string Order(const std::string& id, const std::string& time, int order,
                  const std::string& total) {
  return TrackLine("Order Completed", "p1", id, time,
                   R"({"order_id":)" + std::to_string(order) + R"(,"total":)" +
                       total + R"(,"currency":"EUR"})");
}

std::string Redeem(const std::string& id, const std::string& time, int points) {
  return TrackLine("Reward Redeemed", "p1", id, time,
                   R"({"points":)" + std::to_string(points) + "}");
}

std::string Refund(const std::string& id, const std::string& time, int order) {
  return TrackLine("Order Refunded", "p1", id, time,
                   R"({"order_id":)" + std::to_string(order) + "}");
}

std::string Points(const std::string& at, int points, int balance,
                   const std::string& reason) {
  return R"({"kind":"points","at":")" + at +
         R"(","profile":"p1","program":"loyalty","points":)" +
         std::to_string(points) + R"(,"balance":)" + std::to_string(balance) +
         R"(,"reason":")" + reason + "\"}";
}

std::string TierLine(const std::string& at, const std::string& tier,
                     const std::string& from) {
  auto name = [](const std::string& value) {
    return value.empty() ? std::string("null") : "\"" + value + "\"";
  };
  return R"({"kind":"tier","at":")" + at +
         R"(","profile":"p1","program":"loyalty","tier":)" + name(tier) +
         R"(,"from":)" + name(from) + "}";
}

// Runs `events`, then moves the clock on to each of `untils` in turn (a
// run moves it at most 90 days), and returns every line.
std::string RunThrough(Scenario& scenario, const std::string& events,
                       const std::vector<std::string>& untils) {
  std::string out = scenario.Run(events, untils.front());
  for (size_t i = 1; i < untils.size(); ++i) out += scenario.Run("", untils[i]);
  return out;
}

// The lines of `out`. Every `points` and `tier` line carries an id of its
// own, checked here and then left out, so that the expected lines below
// read as the movements they are.
std::vector<std::string> Lines(const std::string& out) {
  static const std::regex kLoyaltyId(
      R"re(^(\{"kind":"(points|tier)"),"id":"([0-9a-f]{16})")re");
  std::vector<std::string> lines;
  std::set<std::string> ids;
  std::istringstream stream(out);
  std::string line;
  while (std::getline(stream, line)) {
    bool loyalty = line.starts_with(R"({"kind":"points")") ||
                   line.starts_with(R"({"kind":"tier")");
    std::smatch id;
    if (loyalty) {
      INFO(line);
      REQUIRE(std::regex_search(line, id, kLoyaltyId));
      CHECK(ids.insert(id[3].str()).second);
      line = id[1].str() + line.substr(id[0].length());
    }
    lines.push_back(line);
  }
  return lines;
}

// Each send as "at template".
std::vector<std::string> Sends(const std::string& out) {
  std::vector<std::string> sends;
  for (const std::string& line : Lines(out)) {
    auto action = nlohmann::json::parse(line);
    if (action["kind"] != "send") continue;
    sends.push_back(action["at"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  return sends;
}

TEST_CASE("a redemption draws from the lot that expires first",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-fifo",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  burn on RewardRedeemed.points\n"
                        "  expire 6 months after earning\n}\n");
  std::string out =
      RunThrough(scenario,
                 Order("m1", "2025-01-15T10:00:00Z", 1, "100") +
                     Order("m2", "2025-03-15T10:00:00Z", 2, "100") +
                     Redeem("m3", "2025-04-01T10:00:00Z", 120),
                 {"2025-06-29T00:00:00Z", "2025-09-27T00:00:00Z"});
  // The January lot gives its 100 and the March lot 20; in July the
  // January lot has nothing left to expire, in September the March lot
  // loses its 80.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-15T10:00:00Z", 100, 100, "earn"),
                          Points("2025-03-15T10:00:00Z", 100, 200, "earn"),
                          Points("2025-04-01T10:00:00Z", -120, 80, "burn"),
                          Points("2025-09-15T10:00:00Z", -80, 0, "expire")});
}

TEST_CASE("the order that crosses a tier threshold earns at the old rate",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-crossing-rate",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  multiply 2x when tier(loyalty) >= Gold\n"
                        "  tier Silver at 100 qualifying points within 365d\n"
                        "  tier Gold at 200 qualifying points within 365d\n"
                        "  keep tier 365d\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "150") +
                                 Order("m2", "2025-01-02T10:00:00Z", 2, "60") +
                                 Order("m3", "2025-01-03T10:00:00Z", 3, "10"));
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 150, 150, "earn"),
                          TierLine("2025-01-01T10:00:00Z", "Silver", ""),
                          // 60 points at Silver's rate, though they reach Gold.
                          Points("2025-01-02T10:00:00Z", 60, 210, "earn"),
                          TierLine("2025-01-02T10:00:00Z", "Gold", "Silver"),
                          Points("2025-01-03T10:00:00Z", 20, 230, "earn")});
}

TEST_CASE("a tier goes down at the review after the grace, never before",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-downgrade",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  tier Silver at 100 qualifying points within 30d\n"
                        "  keep tier 60d\n}\n");
  // The points stop qualifying on February 1st; the review is on March 2.
  std::string before = scenario.Run(
      Order("m1", "2025-01-01T10:00:00Z", 1, "150"), "2025-03-02T09:59:59Z");
  CHECK(Lines(before) == std::vector<std::string>{
                             Points("2025-01-01T10:00:00Z", 150, 150, "earn"),
                             TierLine("2025-01-01T10:00:00Z", "Silver", "")});
  std::string review = scenario.Run("", "2025-05-31T00:00:00Z");
  CHECK(Lines(review) == std::vector<std::string>{
                             TierLine("2025-03-02T10:00:00Z", "", "Silver")});
}

TEST_CASE("segments read the tier, and follow an upgrade and a downgrade",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-segments",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  tier Silver at 100 qualifying points within 30d\n"
                        "  tier Gold at 200 qualifying points within 30d\n"
                        "  keep tier 45d\n}\n"
                        "segment gold = tier(loyalty) == Gold\n"
                        "journey welcome {\n  on entered(gold)\n"
                        "  send email \"gold\"\n}\n"
                        "journey farewell {\n  on left(gold)\n"
                        "  if tier(loyalty) == Silver or balance(loyalty) > 0 "
                        "{\n    send email \"not_gold\"\n  }\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "250"),
                                 "2025-03-01T00:00:00Z");
  // Reviewed on February 15 with no qualifying points left: no tier.
  CHECK(Sends(out) ==
        std::vector<std::string>{"2025-01-01T10:00:00Z gold",
                                 "2025-02-15T10:00:00Z not_gold"});
}

TEST_CASE("each tier counts its points over its own window", "[e2e][loyalty]") {
  Scenario scenario("loyalty-windows",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  tier Silver at 100 qualifying points within 365d\n"
                        "  tier Gold at 200 qualifying points within 30d\n"
                        "  keep tier 365d\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "150") +
                                 Order("m2", "2025-02-10T10:00:00Z", 2, "100") +
                                 Order("m3", "2025-02-20T10:00:00Z", 3, "120"));
  // 250 points in a year, but only 100 in the 30 days Gold looks at; then
  // 220 in 30 days.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 150, 150, "earn"),
                          TierLine("2025-01-01T10:00:00Z", "Silver", ""),
                          Points("2025-02-10T10:00:00Z", 100, 250, "earn"),
                          Points("2025-02-20T10:00:00Z", 120, 370, "earn"),
                          TierLine("2025-02-20T10:00:00Z", "Gold", "Silver")});
}

TEST_CASE("a member who still qualifies at the review keeps the tier",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-confirmed",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  tier Silver at 100 qualifying points within 30d\n"
                        "  keep tier 30d\n}\n");
  std::string out =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "150") +
                       Order("m2", "2025-01-20T10:00:00Z", 2, "100"),
                   "2025-03-01T00:00:00Z");
  // Reviewed on January 31 with 100 qualifying points: kept, and a new
  // grace runs to March 2, after the end of the replay.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 150, 150, "earn"),
                          TierLine("2025-01-01T10:00:00Z", "Silver", ""),
                          Points("2025-01-20T10:00:00Z", 100, 250, "earn")});
}

// Without `keep tier` the tier lasts as long as its points qualify. The
// member used to keep it, with no event, for ever after its points had
// left the window: in its segments and in the report's tiers.
TEST_CASE("without keep tier, the tier goes when its points leave the window",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-no-grace",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  tier Silver at 100 qualifying points within 30d\n"
                        "  tier Gold at 200 qualifying points within 1 month\n"
                        "}\n");
  // Gold on January 31 with 250 points, of which 150 of January 30
  // leave Gold's calendar month on March 1 (February has no 30th); the
  // 100 of January 31 leave Silver's 30 days on March 2.
  std::string out =
      scenario.Run(Order("m1", "2025-01-30T10:00:00Z", 1, "150") +
                       Order("m2", "2025-01-31T10:00:00Z", 2, "100"),
                   "2025-04-01T00:00:00Z");
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-30T10:00:00Z", 150, 150, "earn"),
                          TierLine("2025-01-30T10:00:00Z", "Silver", ""),
                          Points("2025-01-31T10:00:00Z", 100, 250, "earn"),
                          TierLine("2025-01-31T10:00:00Z", "Gold", "Silver"),
                          TierLine("2025-03-01T00:00:00Z", "Silver", "Gold"),
                          TierLine("2025-03-02T10:00:00Z", "", "Silver")});
}

TEST_CASE("a refund after a redemption leaves points owed, repaid first",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  burn on RewardRedeemed.points\n"
                        "  refund on OrderRefunded.order_id\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                                 Order("m2", "2025-01-02T10:00:00Z", 2, "50") +
                                 Redeem("m3", "2025-01-03T10:00:00Z", 120) +
                                 Refund("m4", "2025-01-04T10:00:00Z", 1) +
                                 Refund("m5", "2025-01-05T10:00:00Z", 1) +
                                 Refund("m6", "2025-01-05T11:00:00Z", 9) +
                                 Order("m7", "2025-01-06T10:00:00Z", 3, "80"));
  // Order 1's 100 points: its own lot is spent, order 2's lot has 30
  // left, the other 70 are owed; the second refund of order 1 and the
  // refund of an order that earned nothing take nothing; order 3's 80
  // points pay the 70 back first.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-02T10:00:00Z", 50, 150, "earn"),
                          Points("2025-01-03T10:00:00Z", -120, 30, "burn"),
                          Points("2025-01-04T10:00:00Z", -100, -70, "refund"),
                          Points("2025-01-06T10:00:00Z", 80, 10, "earn")});
  CHECK(scenario.QueryInt("SELECT count(*) FROM log WHERE component = "
                          "'loyalty' AND message LIKE '%order_id 9%'") == 1);
}

// A lot is written again only when a refund changes it: what a refund
// took back must survive a restart, or the same order could be refunded
// again by a later run.
TEST_CASE("a refund taken in one run is remembered by the next",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund-runs",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  refund on OrderRefunded.order_id\n}\n");
  std::string first =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                   Order("m2", "2025-01-02T10:00:00Z", 2, "50"));
  std::string second = scenario.Run(Refund("m3", "2025-01-03T10:00:00Z", 1));
  std::string third = scenario.Run(Refund("m4", "2025-01-04T10:00:00Z", 1));

  CHECK(Lines(second) == std::vector<std::string>{Points("2025-01-03T10:00:00Z",
                                                         -100, 50, "refund")});
  CHECK(Lines(third).empty());
  CHECK(scenario.QueryInt("SELECT refunded FROM loyalty_lots WHERE lot = 1") ==
        100);
  CHECK(scenario.QueryInt("SELECT count(*) FROM loyalty_lots") == 2);
}

TEST_CASE("a second refund of one order says why it takes nothing",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund-twice",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  refund on OrderRefunded.order_id\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                                 Refund("m2", "2025-01-02T10:00:00Z", 1) +
                                 Refund("m3", "2025-01-03T10:00:00Z", 1));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-02T10:00:00Z", -100, 0, "refund")});
  CHECK(scenario.QueryText("SELECT message FROM log WHERE component = "
                           "'loyalty'") ==
        "refund in program `loyalty`: the points earned for order_id 1 were "
        "taken back by an earlier refund; nothing more taken back");
}

// The member lost the expired points of the refunded order already: the
// refund used to take as many again from another order's lot.
TEST_CASE("a refund after its order's points expired takes nothing more",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund-expired",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  refund on OrderRefunded.order_id\n"
                        "  expire 30d after earning\n}\n");
  std::string out =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                       Order("m2", "2025-01-20T10:00:00Z", 2, "100") +
                       Refund("m3", "2025-02-05T10:00:00Z", 1),
                   "2025-02-05T12:00:00Z");
  // A second refund of the order, in a later run, finds it refunded.
  out += scenario.Run(Refund("m4", "2025-02-06T10:00:00Z", 1));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-20T10:00:00Z", 100, 200, "earn"),
                          Points("2025-01-31T10:00:00Z", -100, 100, "expire")});
  CHECK(scenario.QueryInt("SELECT held FROM loyalty_members") == 100);
  CHECK(scenario.QueryText("SELECT group_concat(message, ' | ') FROM log "
                           "WHERE component = 'loyalty'") ==
        "refund in program `loyalty`: the 100 points earned for order_id 1 "
        "expired at 2025-01-31T10:00:00Z; nothing taken back | "
        "refund in program `loyalty`: the points earned for order_id 1 were "
        "taken back by an earlier refund; nothing more taken back");
}

// A producer that sends an order again under a new message id must not
// credit it twice: the liability would count points nobody paid for, and
// the refund would take back only one of the two lots.
TEST_CASE("an order sent twice under two message ids earns once",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-order-twice",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  refund on OrderRefunded.order_id\n}\n");
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                                 Order("m2", "2025-01-01T10:05:00Z", 1, "100") +
                                 Refund("m3", "2025-01-02T10:00:00Z", 1));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-02T10:00:00Z", -100, 0, "refund")});
  CHECK(scenario.QueryText("SELECT message FROM log WHERE component = "
                           "'loyalty'") ==
        "`OrderPlaced` with order_id 1 in program `loyalty`: that order has "
        "earned its points already; nothing earned");
}

// A bonus a journey promises is the bonus the member gets: multipliers
// apply to what events earn, not to awards.
TEST_CASE("a multiplier doubles earnings but not awards", "[e2e][loyalty]") {
  Scenario scenario("loyalty-award-multiplier",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  multiply 2x when profile.vip\n}\n"
                        "journey bonus {\n  on ReviewPosted\n"
                        "  award 50 points reason \"review\"\n}\n");
  std::string out = scenario.Run(
      testing::IdentifyLine("p1", "i1", "2025-01-01T09:00:00Z",
                            R"({"vip":true})") +
      Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
      TrackLine("Review Posted", "p1", "m2", "2025-01-01T11:00:00Z", "{}"));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 200, 200, "earn"),
                          Points("2025-01-01T11:00:00Z", 50, 250, "earn")});
}

TEST_CASE("a refund finds its order by a text id too", "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-refund-text",
      "event Bought \"Bought\" { order_id: string, total: money }\n"
      "event Returned \"Returned\" { order_id: string }\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of Bought.total\n"
      "  refund on Returned.order_id\n}\n");
  std::string out = scenario.Run(
      TrackLine("Bought", "p1", "m1", "2025-01-01T10:00:00Z",
                R"({"order_id":"A-1","total":30,"currency":"EUR"})") +
      TrackLine("Bought", "p1", "m2", "2025-01-02T10:00:00Z",
                R"({"order_id":"A-2","total":40,"currency":"EUR"})") +
      TrackLine("Returned", "p1", "m3", "2025-01-03T10:00:00Z",
                R"({"order_id":"A-2"})") +
      TrackLine("Returned", "p1", "m4", "2025-01-04T10:00:00Z",
                R"({"order_id":"a-1"})"));
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 30, 30, "earn"),
                          Points("2025-01-02T10:00:00Z", 40, 70, "earn"),
                          Points("2025-01-03T10:00:00Z", -40, 30, "refund")});
  CHECK(scenario.QueryText("SELECT message FROM log WHERE component = "
                           "'loyalty'") ==
        "refund in program `loyalty`: no points were earned for order_id "
        "\"a-1\"; nothing taken back");
}

// Refunds of part of an order: `refund E.amount on E.order_id`.
const char kPartialRefunds[] =
    "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
    "event OrderRefunded \"Order Refunded\" {\n"
    "  order_id: int\n  amount: money?\n}\n"
    "program loyalty {\n"
    "  earn 1 point per 1 EUR of OrderPlaced.total\n"
    "  refund OrderRefunded.amount on OrderRefunded.order_id\n}\n";

std::string PartRefund(const std::string& id, const std::string& time,
                       int order, const std::string& amount,
                       const std::string& currency = "EUR") {
  return TrackLine("Order Refunded", "p1", id, time,
                   R"({"order_id":)" + std::to_string(order) + R"(,"amount":)" +
                       amount + R"(,"currency":")" + currency + "\"}");
}

std::string LoyaltyLog(const Scenario& scenario) {
  return scenario.QueryText(
      "SELECT coalesce(group_concat(level || ': ' || message, '\n'), '') "
      "FROM (SELECT * FROM log WHERE component = 'loyalty' ORDER BY rowid)");
}

TEST_CASE("partial refunds take back the refunded share of an order's points",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-partial-refund", kPartialRefunds);
  std::string earned =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "129.99") +
                   Order("m2", "2025-01-02T10:00:00Z", 2, "50"));
  // Each refund in a run of its own: what earlier refunds returned is
  // kept in the state.
  std::string first =
      scenario.Run(PartRefund("m3", "2025-01-03T10:00:00Z", 1, "30"));
  std::string second =
      scenario.Run(PartRefund("m4", "2025-01-04T10:00:00Z", 1, "0.5"));
  std::string rest =
      scenario.Run(PartRefund("m5", "2025-01-05T10:00:00Z", 1, "200"));

  CHECK(Lines(earned) == std::vector<std::string>{
                             Points("2025-01-01T10:00:00Z", 129, 129, "earn"),
                             Points("2025-01-02T10:00:00Z", 50, 179, "earn")});
  // 99.99 EUR left keeps 99 points; 99.49 EUR keeps 98; nothing keeps 0.
  CHECK(Lines(first) == std::vector<std::string>{Points("2025-01-03T10:00:00Z",
                                                        -30, 149, "refund")});
  CHECK(Lines(second) == std::vector<std::string>{Points("2025-01-04T10:00:00Z",
                                                         -1, 148, "refund")});
  CHECK(Lines(rest) == std::vector<std::string>{
                           Points("2025-01-05T10:00:00Z", -98, 50, "refund")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 1: 200 EUR is more "
        "than the 99.49 EUR left of the order; taken as that");
  CHECK(scenario.QueryText("SELECT order_amount || ' ' || order_currency || "
                           "' ' || refunded_amount || ' ' || refunded FROM "
                           "loyalty_lots WHERE lot = 1") ==
        "129990000 EUR 129990000 129");
}

TEST_CASE(
    "a partial refund in another currency, or of nothing, takes nothing "
    "and says why",
    "[e2e][loyalty]") {
  Scenario scenario("loyalty-partial-refund-refused", kPartialRefunds);
  std::string out = scenario.Run(
      Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
      PartRefund("m2", "2025-01-02T10:00:00Z", 1, "30", "GBP") +
      PartRefund("m3", "2025-01-03T10:00:00Z", 1, "0") +
      PartRefund("m4", "2025-01-04T10:00:00Z", 1, "0.4") +
      PartRefund("m5", "2025-01-05T10:00:00Z", 1, "0.4") +
      // An event without the optional amount refunds the whole order.
      TrackLine("Order Refunded", "p1", "m6", "2025-01-06T10:00:00Z",
                R"({"order_id":1})"));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-04T10:00:00Z", -1, 99, "refund"),
                          Points("2025-01-06T10:00:00Z", -99, 0, "refund")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 1 not applied: the "
        "refund is in GBP but the order was in EUR\n"
        "warn: refund in program `loyalty` of order_id 1 not applied: a "
        "refund must return an amount above zero\n"
        "info: refund in program `loyalty` of order_id 1: 0.8 EUR of 100 EUR "
        "refunded so far, not yet a whole point to take back");
}

// A refund that takes nothing names the true reason: points that had
// expired, or an order whose points are all taken back already, are not
// "not yet a whole point", and an order refunded whole has nothing left
// for an amount to go beyond.
TEST_CASE("a partial refund that takes nothing says why it does",
          "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-partial-refund-nothing",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event OrderRefunded \"Order Refunded\" {\n"
      "  order_id: int\n  amount: money?\n}\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  refund OrderRefunded.amount on OrderRefunded.order_id\n"
      "  expire 30d after earning\n}\n");
  std::string out = scenario.Run(
      // Order 1's points expire on 31 January; half of it comes back.
      Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
          PartRefund("m2", "2025-02-05T10:00:00Z", 1, "50") +
          // Order 2 is refunded whole, then an amount of it again.
          Order("m3", "2025-02-06T10:00:00Z", 2, "100") +
          TrackLine("Order Refunded", "p1", "m4", "2025-02-07T10:00:00Z",
                    R"({"order_id":2})") +
          PartRefund("m5", "2025-02-08T10:00:00Z", 2, "150") +
          // Order 3's refund leaves 0.49 EUR, less than a point's worth.
          Order("m6", "2025-02-09T10:00:00Z", 3, "129.99") +
          PartRefund("m7", "2025-02-10T10:00:00Z", 3, "129.5") +
          PartRefund("m8", "2025-02-11T10:00:00Z", 3, "0.3"),
      "2025-02-11T12:00:00Z");

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-31T10:00:00Z", -100, 0, "expire"),
                          Points("2025-02-06T10:00:00Z", 100, 100, "earn"),
                          Points("2025-02-07T10:00:00Z", -100, 0, "refund"),
                          Points("2025-02-09T10:00:00Z", 129, 129, "earn"),
                          Points("2025-02-10T10:00:00Z", -129, 0, "refund")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty`: the 50 points earned for "
        "order_id 1 expired at 2025-01-31T10:00:00Z; nothing taken back\n"
        "warn: refund in program `loyalty`: the points earned for order_id 2 "
        "were taken back by an earlier refund; nothing more taken back\n"
        "warn: refund in program `loyalty`: the points earned for order_id 3 "
        "were taken back by an earlier refund; nothing more taken back");
}

TEST_CASE(
    "a partial refund of an order earned before amounts were kept is "
    "refused with a message",
    "[e2e][loyalty]") {
  Scenario scenario("loyalty-partial-refund-old-lot", kPartialRefunds);
  scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100"));
  // The state as schema 10 left it: lots without their order's amount.
  for (const char* engine : {"jit", "interp"}) {
    auto db = store::Database::Open(scenario.State(engine));
    REQUIRE(db.ok());
    REQUIRE(db->Exec(testing::DowngradeTo(10)).ok());
  }

  std::string out =
      scenario.Run(PartRefund("m2", "2025-01-02T10:00:00Z", 1, "30"));

  CHECK(out.empty());
  CHECK(scenario.QueryInt("PRAGMA user_version") == store::kSchemaVersion);
  CHECK(scenario.QueryInt("SELECT held FROM loyalty_members") == 100);
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 1 not applied: the "
        "amount of that order was not recorded when it earned (an earning "
        "from before partial refunds were kept), so the share to take back "
        "is unknown");
}

// The fixed points of an order: `earn N points on E, part of the sale`
// are priced into the sale, so its refund takes them back with the
// points earned on its amount. A review's points are a gift, even when
// the review names the order.
const char kSaleFixedPoints[] =
    "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
    "event OrderRefunded \"Order Refunded\" {\n"
    "  order_id: int\n  amount: money?\n}\n"
    "event RewardRedeemed \"Reward Redeemed\" { points: int }\n"
    "event ReviewPosted \"Review Posted\" { order_id: int }\n"
    "program loyalty {\n"
    "  earn 1 point per 1 EUR of OrderPlaced.total\n"
    "  earn 10 points on OrderPlaced, part of the sale\n"
    "  earn 50 points on ReviewPosted\n"
    "  burn on RewardRedeemed.points\n"
    "  refund OrderRefunded.amount on OrderRefunded.order_id\n}\n";

// A refund of the whole order: the event leaves the amount out.
std::string WholeRefund(const std::string& id, const std::string& time,
                        int order) {
  return TrackLine("Order Refunded", "p1", id, time,
                   R"({"order_id":)" + std::to_string(order) + "}");
}

std::string LotsRefunded(const Scenario& scenario) {
  return scenario.QueryText(
      "SELECT group_concat(refunded || ' ' || bonus, ' | ') FROM "
      "(SELECT * FROM loyalty_lots ORDER BY lot)");
}

TEST_CASE("a refund takes back the fixed points that were part of the sale",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund-fixed", kSaleFixedPoints);
  std::string out = scenario.Run(
      Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
      // The same order again under another message id earns nothing.
      Order("m2", "2025-01-01T10:05:00Z", 1, "100") +
      TrackLine("Review Posted", "p1", "m3", "2025-01-02T10:00:00Z",
                R"({"order_id":1})") +
      WholeRefund("m4", "2025-01-03T10:00:00Z", 1) +
      WholeRefund("m5", "2025-01-04T10:00:00Z", 1));

  // The order's 100 and 10 go; the review's 50 stay.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-01T10:00:00Z", 10, 110, "earn"),
                          Points("2025-01-02T10:00:00Z", 50, 160, "earn"),
                          Points("2025-01-03T10:00:00Z", -110, 50, "refund")});
  CHECK(LotsRefunded(scenario) == "100 0 | 10 0 | 0 1");
  CHECK(LoyaltyLog(scenario) ==
        "warn: `OrderPlaced` with order_id 1 in program `loyalty`: that "
        "order has earned its points already; nothing earned\n"
        "warn: refund in program `loyalty`: the points earned for order_id 1 "
        "were taken back by an earlier refund; nothing more taken back");
}

// Every point of the order is taken back, by the rules of a refund: what
// is left of its lots, then the member's other points, then owed.
TEST_CASE("a refund of an order whose fixed points were spent leaves them owed",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-refund-fixed-spent", kSaleFixedPoints);
  std::string out = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                                 Order("m2", "2025-01-02T10:00:00Z", 2, "50") +
                                 Redeem("m3", "2025-01-03T10:00:00Z", 150) +
                                 WholeRefund("m4", "2025-01-04T10:00:00Z", 1) +
                                 Order("m5", "2025-01-05T10:00:00Z", 3, "100"));

  // The redemption spends order 1's 110 and 40 of order 2's 60; the
  // refund takes the 20 left and leaves 90 owed, which order 3 repays.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-01T10:00:00Z", 10, 110, "earn"),
                          Points("2025-01-02T10:00:00Z", 50, 160, "earn"),
                          Points("2025-01-02T10:00:00Z", 10, 170, "earn"),
                          Points("2025-01-03T10:00:00Z", -150, 20, "burn"),
                          Points("2025-01-04T10:00:00Z", -110, -90, "refund"),
                          Points("2025-01-05T10:00:00Z", 100, 10, "earn"),
                          Points("2025-01-05T10:00:00Z", 10, 20, "earn")});
  CHECK(scenario.QueryText("SELECT held || ' ' || owed FROM "
                           "loyalty_members") == "20 0");
  CHECK(LoyaltyLog(scenario).empty());
}

// The member keeps, of the fixed points too, the share of the order not
// yet refunded, rounded down: 10 x 99.99 / 129.99 keeps 7.
TEST_CASE("a partial refund takes back its share of the fixed points",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-partial-refund-fixed", kSaleFixedPoints);
  std::string earned =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "129.99"));
  std::string first =
      scenario.Run(PartRefund("m2", "2025-01-03T10:00:00Z", 1, "30"));
  std::string second =
      scenario.Run(PartRefund("m3", "2025-01-04T10:00:00Z", 1, "0.5"));
  std::string rest =
      scenario.Run(PartRefund("m4", "2025-01-05T10:00:00Z", 1, "200"));

  CHECK(Lines(earned) == std::vector<std::string>{
                             Points("2025-01-01T10:00:00Z", 129, 129, "earn"),
                             Points("2025-01-01T10:00:00Z", 10, 139, "earn")});
  // 30 and 3; 1 and none (99.49 EUR left still keeps 7 fixed points);
  // the last 98 and 7.
  CHECK(Lines(first) == std::vector<std::string>{Points("2025-01-03T10:00:00Z",
                                                        -33, 106, "refund")});
  CHECK(Lines(second) == std::vector<std::string>{Points("2025-01-04T10:00:00Z",
                                                         -1, 105, "refund")});
  CHECK(Lines(rest) == std::vector<std::string>{
                           Points("2025-01-05T10:00:00Z", -105, 0, "refund")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 1: 200 EUR is more "
        "than the 99.49 EUR left of the order; taken as that");
  CHECK(scenario.QueryText(
            "SELECT group_concat(order_amount || ' ' || refunded_amount || "
            "' ' || refunded, ' | ') FROM (SELECT * FROM loyalty_lots "
            "ORDER BY lot)") ==
        "129990000 129990000 129 | 129990000 129990000 10");
}

// Fixed points earned on an event with no amount (a shipment) have no
// share of a partial refund to go by: a refund of the whole order takes
// them, a partial one leaves them and says so.
TEST_CASE("fixed points of an event with no amount go with the whole order",
          "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-refund-fixed-no-amount",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event OrderShipped \"Order Shipped\" { order_id: int }\n"
      "event OrderRefunded \"Order Refunded\" {\n"
      "  order_id: int\n  amount: money?\n}\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  earn 5 points on OrderShipped, part of the sale\n"
      "  refund OrderRefunded.amount on OrderRefunded.order_id\n}\n");
  std::string out =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
                   TrackLine("Order Shipped", "p1", "m2",
                             "2025-01-02T10:00:00Z", R"({"order_id":1})") +
                   PartRefund("m3", "2025-01-03T10:00:00Z", 1, "50") +
                   WholeRefund("m4", "2025-01-04T10:00:00Z", 1));

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-02T10:00:00Z", 5, 105, "earn"),
                          Points("2025-01-03T10:00:00Z", -50, 55, "refund"),
                          Points("2025-01-04T10:00:00Z", -55, 0, "refund")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 1: the 5 fixed points "
        "earned on `OrderShipped` are kept: no `earn ... per` rule earns on "
        "an amount of `OrderShipped`, so their share of the refund is "
        "unknown; a refund of the whole order takes them back");
}

// The lots of one order often take nothing for one reason, said once;
// fixed points that expired are named apart from the order's others.
TEST_CASE("a refund that takes nothing from an order's lots says why once",
          "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-refund-fixed-nothing",
      "event OrderPlaced \"Order Completed\" { order_id: int, total: money }\n"
      "event OrderRefunded \"Order Refunded\" {\n"
      "  order_id: int\n  amount: money?\n}\n"
      "program loyalty {\n"
      "  earn 1 point per 1 EUR of OrderPlaced.total\n"
      "  earn 10 points on OrderPlaced, part of the sale\n"
      "  refund OrderRefunded.amount on OrderRefunded.order_id\n"
      "  expire 30d after earning\n}\n");
  std::string out = scenario.Run(
      Order("m1", "2025-01-01T10:00:00Z", 1, "100") +
          Order("m2", "2025-02-01T10:00:00Z", 2, "100") +
          PartRefund("m3", "2025-02-02T10:00:00Z", 2, "30", "GBP") +
          WholeRefund("m4", "2025-02-05T10:00:00Z", 1),
      "2025-02-05T12:00:00Z");

  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-01-01T10:00:00Z", 10, 110, "earn"),
                          Points("2025-01-31T10:00:00Z", -100, 10, "expire"),
                          Points("2025-01-31T10:00:00Z", -10, 0, "expire"),
                          Points("2025-02-01T10:00:00Z", 100, 100, "earn"),
                          Points("2025-02-01T10:00:00Z", 10, 110, "earn")});
  CHECK(LoyaltyLog(scenario) ==
        "warn: refund in program `loyalty` of order_id 2 not applied: the "
        "refund is in GBP but the order was in EUR\n"
        "warn: refund in program `loyalty`: the 100 points earned for "
        "order_id 1 expired at 2025-01-31T10:00:00Z; nothing taken back\n"
        "warn: refund in program `loyalty`: the 10 fixed points earned on "
        "`OrderPlaced` for order_id 1 expired at 2025-01-31T10:00:00Z; "
        "nothing taken back");
  CHECK(LotsRefunded(scenario) == "100 0 | 10 0 | 0 0 | 0 0");
}

TEST_CASE("points from money are rounded down once, after the multiplier",
          "[e2e][loyalty]") {
  Scenario scenario("loyalty-rounding",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  multiply 2x when profile.vip\n"
                        "  burn on RewardRedeemed.points\n}\n");
  std::string out =
      scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "129.99") +
                   testing::IdentifyLine("p1", "i1", "2025-01-02T10:00:00Z",
                                         R"({"vip":true})") +
                   Order("m2", "2025-01-03T10:00:00Z", 2, "129.99") +
                   Order("m3", "2025-01-04T10:00:00Z", 3, "0.49") +
                   Redeem("m4", "2025-01-05T10:00:00Z", 1000));
  // 129 at 1x and 259 at 2x (not 2 x 129); 0.49 EUR at 2x is 0.98: none.
  // A redemption above the balance is refused and changes nothing.
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2025-01-01T10:00:00Z", 129, 129, "earn"),
                          Points("2025-01-03T10:00:00Z", 259, 388, "earn")});
  CHECK(scenario.QueryInt("SELECT count(*) FROM log WHERE component = "
                          "'loyalty' AND message LIKE '%exceeds%'") == 1);
}

TEST_CASE(
    "points earned on a leap day or a month end expire on the month's "
    "last day",
    "[e2e][loyalty]") {
  Scenario scenario("loyalty-leap",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  expire 12 months after earning\n}\n");
  std::string out = RunThrough(
      scenario,
      Order("m1", "2024-01-31T10:00:00Z", 1, "10") +
          Order("m2", "2024-02-29T10:00:00Z", 2, "20"),
      {"2024-05-28T00:00:00Z", "2024-08-26T00:00:00Z", "2024-11-24T00:00:00Z",
       "2025-02-22T00:00:00Z", "2025-03-31T00:00:00Z"});
  CHECK(Lines(out) == std::vector<std::string>{
                          Points("2024-01-31T10:00:00Z", 10, 10, "earn"),
                          Points("2024-02-29T10:00:00Z", 20, 30, "earn"),
                          Points("2025-01-31T10:00:00Z", -10, 20, "expire"),
                          Points("2025-02-28T10:00:00Z", -20, 0, "expire")});

  Scenario month("loyalty-month-end",
                 std::string(kEvents) +
                     "program loyalty {\n"
                     "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                     "  expire 1 month after earning\n}\n");
  CHECK(Lines(month.Run(Order("m1", "2024-01-31T10:00:00Z", 1, "10"),
                        "2024-03-31T00:00:00Z")) ==
        std::vector<std::string>{
            Points("2024-01-31T10:00:00Z", 10, 10, "earn"),
            Points("2024-02-29T10:00:00Z", -10, 0, "expire")});
}

TEST_CASE("an expiry falls due once, across a restart", "[e2e][loyalty]") {
  Scenario scenario("loyalty-restart",
                    std::string(kEvents) +
                        "program loyalty {\n"
                        "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                        "  expire 30d after earning\n}\n");
  std::string first = scenario.Run(Order("m1", "2025-01-01T10:00:00Z", 1, "40"),
                                   "2025-01-15T00:00:00Z");
  CHECK(Lines(first) == std::vector<std::string>{
                            Points("2025-01-01T10:00:00Z", 40, 40, "earn")});
  // Loaded again: the wake-up comes from the saved lot, on time.
  std::string second = scenario.Run("", "2025-02-15T00:00:00Z");
  CHECK(Lines(second) == std::vector<std::string>{
                             Points("2025-01-31T10:00:00Z", -40, 0, "expire")});
  CHECK(scenario.Run("", "2025-03-15T00:00:00Z").empty());
  CHECK(scenario.QueryInt("SELECT count(*) FROM loyalty_ledger WHERE kind = "
                          "'expire'") == 1);
}

TEST_CASE("a program's events, crossings and awards start journeys",
          "[e2e][loyalty]") {
  Scenario scenario(
      "loyalty-events",
      std::string(kEvents) +
          "program loyalty {\n"
          "  earn 1 point per 1 EUR of OrderPlaced.total\n"
          "  earn 50 points on ReviewPosted, at most once per 30d\n"
          "  burn on RewardRedeemed.points\n"
          "  expire 60d after earning\n"
          "  notify expiring 10d before\n"
          "  tier Silver at 1000 qualifying points within 365d\n"
          "  tier Gold at 5000 qualifying points within 365d\n"
          "  keep tier 365d\n}\n"
          "journey thousand {\n  on points crossing 1000\n"
          "  send email \"thousand\"\n}\n"
          "journey welcome_silver {\n"
          "  on TierChanged as t where t.tier == Silver\n"
          "  send email \"silver\"\n}\n"
          "journey expiring {\n  on PointsExpiring as e where e.points > 10\n"
          "  send email \"expiring\"\n}\n"
          "journey expired {\n  on PointsExpired\n"
          "  send email \"expired\"\n}\n"
          "journey guard {\n"
          "  on RewardRedeemed where redeemed_share(loyalty) >= 0.8\n"
          "  send email \"big_redemption\" category security\n}\n"
          "journey reviewer {\n  on ReviewPosted\n"
          "  if balance(loyalty) >= 1000 {\n"
          "    award 5 points reason \"thanks\"\n  }\n}\n");
  std::string review =
      TrackLine("Review Posted", "p1", "r1", "2025-01-01T09:00:00Z");
  std::string out = scenario.Run(
      review + Order("m1", "2025-01-01T10:00:00Z", 1, "900") +
          TrackLine("Review Posted", "p1", "r2", "2025-01-10T09:00:00Z") +
          Order("m2", "2025-01-20T10:00:00Z", 2, "100") +
          TrackLine("Review Posted", "p1", "r3", "2025-02-05T09:00:00Z") +
          Redeem("m3", "2025-02-10T10:00:00Z", 900),
      "2025-04-30T00:00:00Z");
  std::vector<std::string> loyalty;
  for (const std::string& line : Lines(out)) {
    if (line.find("\"kind\":\"send\"") == std::string::npos) {
      loyalty.push_back(line);
    }
  }
  CHECK(loyalty == std::vector<std::string>{
                       Points("2025-01-01T09:00:00Z", 50, 50, "earn"),
                       Points("2025-01-01T10:00:00Z", 900, 950, "earn"),
                       // r2 comes within 30 days of r1: no points.
                       Points("2025-01-20T10:00:00Z", 100, 1050, "earn"),
                       TierLine("2025-01-20T10:00:00Z", "Silver", ""),
                       // r3, then the award of the journey it starts.
                       Points("2025-02-05T09:00:00Z", 50, 1100, "earn"),
                       Points("2025-02-05T09:00:00Z", 5, 1105, "earn"),
                       // From the lots expiring first: 50 of r1's, 850 of m1's.
                       Points("2025-02-10T10:00:00Z", -900, 205, "burn"),
                       Points("2025-03-02T10:00:00Z", -50, 155, "expire"),
                       Points("2025-03-21T10:00:00Z", -100, 55, "expire"),
                       Points("2025-04-06T09:00:00Z", -50, 5, "expire"),
                       Points("2025-04-06T09:00:00Z", -5, 0, "expire")});
  // 900 of 1,105 points is 81%; each lot with more than 10 points left is
  // announced 10 days before it expires (r1's lot was spent, the award's
  // has only 5).
  CHECK(Sends(out) ==
        std::vector<std::string>{
            "2025-01-20T10:00:00Z thousand", "2025-01-20T10:00:00Z silver",
            "2025-02-10T10:00:00Z big_redemption",
            "2025-02-20T10:00:00Z expiring", "2025-03-02T10:00:00Z expired",
            "2025-03-11T10:00:00Z expiring", "2025-03-21T10:00:00Z expired",
            "2025-03-27T09:00:00Z expiring", "2025-04-06T09:00:00Z expired",
            "2025-04-06T09:00:00Z expired"});
  CHECK(scenario.QueryText("SELECT source FROM loyalty_lots WHERE lot = 5")
            .size() == 16);
}

TEST_CASE("`expect points` and `expect tier` run in test blocks",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-test-blocks");
  auto file = scratch / "shop.journey";
  testing::WriteText(
      file, std::string(kEvents) +
                "program loyalty {\n"
                "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                "  burn on RewardRedeemed.points\n"
                "  tier Silver at 100 qualifying points within 365d\n}\n"
                "test \"silver after 120 EUR\" {\n"
                "  given profile \"p1\"\n"
                "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: 1, "
                "total: 120.90 EUR }\n"
                "  at 2025-03-02T10:00:00Z RewardRedeemed { points: 20 }\n"
                "  expect points 100\n"
                "  expect tier Silver\n}\n"
                "test \"wrong on purpose\" {\n"
                "  given profile \"p2\"\n"
                "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: 1, "
                "total: 50 EUR }\n"
                "  expect points 60\n"
                "  expect tier Silver\n}\n");
  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, file.string()}, scratch);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("PASS silver after 120 EUR\n") == 0);
    CHECK(result.out.find("expected 60 points for \"p2\", got 50") !=
          std::string::npos);
    CHECK(result.out.find("expected tier Silver for \"p2\", got no tier") !=
          std::string::npos);
    CHECK(result.out.find("1 passed, 1 failed") != std::string::npos);
  }
}

// Expiry and a tier that lapses happen after the test's last input, when
// the clock runs on: `expect ... at T` reads the standing at T, events
// and expiries due at T included, wherever it is written.
TEST_CASE("`expect points` and `expect tier` read the standing at an instant",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-test-blocks-at");
  auto file = scratch / "shop.journey";
  testing::WriteText(
      file, std::string(kEvents) +
                "program loyalty {\n"
                "  earn 1 point per 1 EUR of OrderPlaced.total\n"
                "  burn on RewardRedeemed.points\n"
                "  expire 30d after earning\n"
                "  tier Silver at 100 qualifying points within 20d\n}\n"
                "test \"points expire, the tier lapses\" {\n"
                "  given profile \"p1\"\n"
                "  expect points 0 at 2025-02-01T00:00:00Z\n"
                "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: 1, "
                "total: 120 EUR }\n"
                "  expect points 120 at 2025-03-01T10:00:00Z\n"
                "  expect tier Silver at 2025-03-21T09:59:59Z\n"
                "  at 2025-03-02T10:00:00Z RewardRedeemed { points: 20 }\n"
                "  expect points 100 at 2025-03-31T09:59:59Z\n"
                "  expect points 0 at 2025-03-31T10:00:00Z\n"
                "  expect points 100\n}\n"
                "test \"wrong on purpose\" {\n"
                "  given profile \"p2\"\n"
                "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: 1, "
                "total: 120 EUR }\n"
                "  expect points 120 at 2025-03-31T10:00:00Z\n"
                "  expect tier Silver at 2025-03-21T10:00:00Z\n"
                "  expect points 0 at 2031-01-01T00:00:00Z\n}\n");
  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, file.string()}, scratch);
    INFO(result.err);
    INFO(result.out);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("PASS points expire, the tier lapses\n") == 0);
    CHECK(result.out.find("expected 120 points for \"p2\" at "
                          "2025-03-31T10:00:00Z, got 0") != std::string::npos);
    CHECK(result.out.find("expected tier Silver for \"p2\" at "
                          "2025-03-21T10:00:00Z, got no tier") !=
          std::string::npos);
    CHECK(result.out.find("`expect points` at 2031-01-01T00:00:00Z is after "
                          "the test's clock stopped, at "
                          "2030-03-05T10:00:00Z") != std::string::npos);
    CHECK(result.out.find("1 passed, 1 failed") != std::string::npos);
  }
}

// Earn 250, burn 250, earn 250 at one instant: the first and the last
// movements read alike but for their ids. An outbox drops repeats by id,
// and a file finds what a crash left delivered by them, so neither may
// take one for the other.
TEST_CASE("two equal movements are two actions in every sink",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-equal-moves");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "club.journey",
                     std::string(kEvents) +
                         "program loyalty {\n"
                         "  earn 10 points per 1 EUR of OrderPlaced.total\n"
                         "  burn on RewardRedeemed.points\n"
                         "}\n");
  const std::string at = "2025-01-15T10:00:00Z";
  testing::WriteText(scratch / "three.jsonl", Order("o1", at, 1, "25") +
                                                  Redeem("r1", at, 250) +
                                                  Order("o2", at, 2, "25"));
  auto run = [&](const std::string& events, const std::string& state,
                 const std::string& out) {
    return testing::RunParcours({"run", (scratch / "c").string(), "--events",
                                 (scratch / events).string(), "--state",
                                 (scratch / state).string(), "--out", out},
                                scratch);
  };

  auto outbox =
      run("three.jsonl", "a.db", "sqlite:" + (scratch / "o.db").string());
  INFO(outbox.err);
  REQUIRE(outbox.exit_code == 0);
  auto db = store::Database::OpenReadOnly((scratch / "o.db").string());
  REQUIRE(db.ok());
  CHECK(*db->QueryInt("SELECT count(*) FROM actions") == 3);

  // Earn and burn, then the same again in a second run whose delivery
  // fails, delivered by a third run to the file the first one wrote: the
  // pending lines read like the file's last two but for their ids.
  auto file = (scratch / "actions.jsonl").string();
  testing::WriteText(scratch / "first.jsonl",
                     Order("o1", at, 1, "25") + Redeem("r1", at, 250));
  REQUIRE(run("first.jsonl", "b.db", file).exit_code == 0);
  testing::WriteText(scratch / "again.jsonl",
                     Order("o3", at, 3, "25") + Redeem("r2", at, 250));
  auto failed = run("again.jsonl", "b.db", "/dev/full");
  CHECK(failed.exit_code != 0);
  testing::WriteText(scratch / "none.jsonl", "");
  auto redelivered = run("none.jsonl", "b.db", file);
  INFO(redelivered.err);
  REQUIRE(redelivered.exit_code == 0);
  std::string written = testing::ReadText(file);
  CHECK(std::count(written.begin(), written.end(), '\n') == 4);
  CHECK(Lines(written).size() == 4);
}

}  // namespace
}  // namespace parcours
