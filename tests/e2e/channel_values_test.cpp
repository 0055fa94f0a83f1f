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

}  // namespace
}  // namespace parcours
