// Channel values written into a profile, a payload or an emitted event,
// in both engines.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

TEST_CASE("a channel written by name is set, sent and emitted as its name") {
  auto scratch = testing::ScratchDir("channel-values");
  testing::WriteText(scratch / "p.journey",
                     "profile { pref: channel? }\n"
                     "event Go \"Go\" { n: int }\n"
                     "event Note \"Note\" { channel: channel }\n"
                     "journey j {\n"
                     "  on Go\n"
                     "  set profile.pref = sms\n"
                     "  send email \"x\" with { ch: sms, mine: profile.pref }\n"
                     "  emit Note { channel: email }\n"
                     "}\n");
  testing::WriteText(scratch / "e.jsonl",
                     R"({"type":"track","event":"Go","userId":"p1",)"
                     R"("messageId":"g1","timestamp":"2025-03-01T10:00:00Z",)"
                     R"("properties":{"n":1}})"
                     "\n");

  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "p.journey").string(), "--events",
         (scratch / "e.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--engine",
         engines[i]},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);
  CHECK_THAT(outputs[0],
             Catch::Contains(R"("payload":{"ch":"sms","mine":"sms"})"));
  CHECK_THAT(outputs[0],
             Catch::Contains(R"("properties":{"channel":"email"})"));
}

TEST_CASE("enum values in payloads are written by name") {
  auto scratch = testing::ScratchDir("enum-payloads");
  testing::WriteText(
      scratch / "p.journey",
      "enum Tier { Silver, Gold }\n"
      "profile { tier: Tier = Gold }\n"
      "event Go \"Go\" { n: int }\n"
      "journey j {\n  on Go\n"
      "  send email \"x\" with { t: Silver, mine: profile.tier }\n"
      "  call webhook \"crm\" with { tier: profile.tier }\n}\n");
  testing::WriteText(scratch / "e.jsonl",
                     R"({"type":"track","event":"Go","userId":"p1",)"
                     R"("messageId":"g1","timestamp":"2025-03-01T10:00:00Z",)"
                     R"("properties":{"n":1}})"
                     "\n");

  auto result = testing::RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", (scratch / "s.db").string()},
      scratch);

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out,
             Catch::Contains(R"("payload":{"t":"Silver","mine":"Gold"})"));
  CHECK_THAT(result.out, Catch::Contains(R"("payload":{"tier":"Gold"})"));
}

}  // namespace
}  // namespace parcours
