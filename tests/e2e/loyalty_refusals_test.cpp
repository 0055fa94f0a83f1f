// Redemptions refused for want of points are counted in the run's
// summary, with one state file and with partitions, since otherwise only
// the log table holds them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;
using testing::TrackLine;

const char* const kClub =
    "profile { timezone: tz = \"UTC\" }\n"
    "event Order \"Order\" { order_id: int, total: money }\n"
    "event Redeem \"Redeem\" { points: int }\n"
    "program club {\n"
    "  earn 1 point per 1 EUR of Order.total\n"
    "  burn on Redeem.points\n"
    "}\n"
    "journey thanks {\n  on Order\n  send email \"thanks\"\n}\n";

std::string Redeem(const std::string& user, const std::string& id,
                   const std::string& time, int points) {
  return TrackLine("Redeem", user, id, time,
                   "{\"points\":" + std::to_string(points) + "}");
}

TEST_CASE("the summary counts redemptions refused for want of points",
          "[e2e][loyalty]") {
  auto scratch = testing::ScratchDir("loyalty-refusals");
  testing::WriteText(scratch / "club.journey", kClub);
  // "a" earns 10 points and asks for 50 (refused), then for 5 (taken);
  // "b" holds none and asks for 5 (refused); "c" asks for 0 points,
  // which is refused as no redemption at all, not for want of points.
  testing::WriteText(
      scratch / "events.jsonl",
      TrackLine("Order", "a", "o1", "2025-01-01T10:00:00Z",
                R"({"order_id":1,"total":10,"currency":"EUR"})") +
          Redeem("a", "r1", "2025-01-01T11:00:00Z", 50) +
          Redeem("a", "r2", "2025-01-01T12:00:00Z", 5) +
          Redeem("b", "r3", "2025-01-01T12:00:00Z", 5) +
          Redeem("c", "r4", "2025-01-01T12:00:00Z", 0));
  std::vector<std::string> args = {
      "run",      (scratch / "club.journey").string(),
      "--events", (scratch / "events.jsonl").string(),
      "--out",    (scratch / "out.jsonl").string()};
  SECTION("one state file") {
    args.insert(args.end(), {"--state", (scratch / "club.db").string()});
  }
  SECTION("three partitions") {
    args.insert(args.end(),
                {"--state", (scratch / "parts").string(), "--partitions", "3"});
  }

  auto result = RunParcours(args, scratch);

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("warning: 2 redemptions were refused for asking "
                             "more points than the member held"));
  CHECK_THAT(result.err, Catch::Contains("component `loyalty`"));

  // A run that refuses none says nothing of them.
  testing::WriteText(scratch / "events.jsonl",
                     Redeem("a", "r5", "2025-01-02T12:00:00Z", 1));
  auto quiet = RunParcours(args, scratch);
  INFO(quiet.err);
  REQUIRE(quiet.exit_code == 0);
  CHECK_THAT(quiet.err, !Catch::Contains("redemption"));
}

}  // namespace
}  // namespace parcours
