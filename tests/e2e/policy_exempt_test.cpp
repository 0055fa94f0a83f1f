// A category a policy exempts is never counted by its caps, whichever
// journey sent the message: one with another policy, or with none.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

TEST_CASE("an exempt message from a journey without a policy fills no cap") {
  auto scratch = testing::ScratchDir("policy-exempt-source");
  testing::WriteText(scratch / "p.journey",
                     "event Go \"Go\" { n: int }\n"
                     "event Later \"Later\" { n: int }\n"
                     "policy strict {\n"
                     "  cap 2 per day across inapp\n"
                     "  exempt transactional\n"
                     "}\n"
                     "journey receipts {\n  on Go\n"
                     "  send inapp \"news\"\n"
                     "  send inapp \"receipt\" category transactional\n}\n"
                     "journey promo {\n  on Later\n  policy strict\n"
                     "  send inapp \"promo\"\n}\n");
  testing::WriteText(
      scratch / "e.jsonl",
      R"({"type":"track","event":"Go","userId":"p1","messageId":"g1",)"
      R"("timestamp":"2025-03-03T10:00:00Z","properties":{"n":1}})"
      "\n"
      R"({"type":"track","event":"Later","userId":"p1","messageId":"l1",)"
      R"("timestamp":"2025-03-03T11:00:00Z","properties":{"n":1}})"
      "\n");

  auto result = testing::RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", (scratch / "s.db").string()},
      scratch);

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // The news counts (1 of 2), the receipt does not: the promo goes.
  CHECK_THAT(result.out, Catch::Contains(R"("template":"promo")"));
  CHECK_THAT(result.out, !Catch::Contains(R"("kind":"suppressed")"));
}

}  // namespace
}  // namespace parcours
