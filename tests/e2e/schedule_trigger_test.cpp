// `every monday 10:00 local` and `every day 09:30 local` start journeys on
// each profile's own clock, across a daylight-saving change and a restart,
// the same in both engines.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/batch_runs.h"

namespace parcours {
namespace {

const char kProgram[] =
    "profile { zone: tz = \"Europe/Paris\" }\n"
    "journey weekly {\n  every monday 10:00 local\n"
    "  send email \"weekly\"\n}\n"
    "journey daily {\n  every day 09:30 local\n"
    "  if profile.zone == \"Europe/London\" {\n"
    "    send email \"daily\"\n  }\n}\n";

std::string Identify(const std::string& user, const std::string& time,
                     const std::string& zone) {
  return R"({"type":"identify","userId":")" + user + R"(","messageId":"i-)" +
         user + R"(","timestamp":")" + time + R"(","traits":{"zone":")" + zone +
         "\"}}\n";
}

TEST_CASE(
    "schedules start journeys at local times, across DST and a "
    "restart") {
  std::string paris = Identify("p1", "2025-03-05T12:00:00Z", "Europe/Paris");
  std::string london = Identify("p2", "2025-03-27T12:00:00Z", "Europe/London");
  const std::vector<std::string> expected = {
      // Paris, Mondays at 10:00: CET, then CEST from March 30.
      "2025-03-10T09:00:00Z p1 weekly", "2025-03-17T09:00:00Z p1 weekly",
      "2025-03-24T09:00:00Z p1 weekly",
      // London, every day at 09:30: GMT, then BST from March 30.
      "2025-03-28T09:30:00Z p2 daily", "2025-03-29T09:30:00Z p2 daily",
      "2025-03-30T08:30:00Z p2 daily", "2025-03-31T08:00:00Z p1 weekly",
      "2025-03-31T08:30:00Z p2 daily", "2025-03-31T09:00:00Z p2 weekly"};

  CHECK(testing::RunBatchesInBothEngines("schedule-whole", kProgram,
                                         {paris + london},
                                         "2025-04-01T00:00:00Z") == expected);
  // Stopped after the first customer and started again: the schedule of
  // the loaded profile resumes, nothing is sent twice.
  CHECK(testing::RunBatchesInBothEngines("schedule-split", kProgram,
                                         {paris, london},
                                         "2025-04-01T00:00:00Z") == expected);
}

// `every ... where` starts the journey for the profiles its filter lets
// through, read at each occurrence.
TEST_CASE("a schedule's `where` filters the profiles it starts") {
  const char program[] =
      "profile {\n  zone: tz = \"Europe/Paris\"\n  vip: bool = false\n}\n"
      "journey vip_weekly {\n  every monday 10:00 local where profile.vip\n"
      "  send email \"vip_weekly\"\n}\n";
  std::string regular = Identify("p1", "2025-03-05T12:00:00Z", "Europe/Paris");
  std::string vip =
      R"({"type":"identify","userId":"p2","messageId":"i-p2",)"
      R"("timestamp":"2025-03-05T12:00:00Z","traits":{"vip":true}})"
      "\n";
  // p2 stops being a VIP on the 20th: the Monday after is skipped.
  std::string demoted =
      R"({"type":"identify","userId":"p2","messageId":"i-p2b",)"
      R"("timestamp":"2025-03-20T12:00:00Z","traits":{"vip":false}})"
      "\n";
  CHECK(testing::RunBatchesInBothEngines("schedule-where", program,
                                         {regular + vip + demoted},
                                         "2025-04-01T00:00:00Z") ==
        std::vector<std::string>{"2025-03-10T09:00:00Z p2 vip_weekly",
                                 "2025-03-17T09:00:00Z p2 vip_weekly"});
}

}  // namespace
}  // namespace parcours
