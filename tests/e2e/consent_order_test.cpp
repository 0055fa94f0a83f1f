// Consent takes effect in the order the customer gave it, not the order
// the lines arrived in.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

std::string Consent(const std::string& event, const std::string& id,
                    const std::string& time) {
  return R"({"type":"track","event":")" + event +
         R"(","userId":"p1","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"channel":"email"}})" + "\n";
}

TEST_CASE("a grant that arrives after a newer revocation changes nothing") {
  auto scratch = testing::ScratchDir("consent-order");
  testing::WriteText(scratch / "p.journey",
                     "event Go \"Go\" { n: int }\n"
                     "journey j {\n  on Go\n  send email \"promo\"\n}\n");
  // Revoked at 09:00, then a grant made at 08:00 reported late.
  testing::WriteText(
      scratch / "e.jsonl",
      Consent("Consent Granted", "c0", "2025-03-01T07:00:00Z") +
          Consent("Consent Revoked", "c1", "2025-03-01T09:00:00Z") +
          Consent("Consent Granted", "c2", "2025-03-01T08:00:00Z") +
          R"({"type":"track","event":"Go","userId":"p1","messageId":"g1",)"
          R"("timestamp":"2025-03-01T10:00:00Z","properties":{"n":1}})"
          "\n");

  auto result = testing::RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", (scratch / "s.db").string()},
      scratch);

  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains(R"("kind":"suppressed")"));
  CHECK_THAT(result.out, Catch::Contains(R"("reason":"consent")"));
  CHECK_THAT(result.out, !Catch::Contains(R"("kind":"send")"));
}

// A revocation without a message id is named by its content key, which
// is the same however the stream is cut into runs; its line number would
// count from the start of the run that read it, so the same events split
// into two runs would describe the same record differently.
TEST_CASE(
    "a consent record without a message id is named the same in any "
    "run") {
  auto scratch = testing::ScratchDir("consent-source");
  testing::WriteText(scratch / "p.journey",
                     "event Go \"Go\" { n: int }\n"
                     "journey j {\n  on Go\n  send email \"promo\"\n}\n");
  const std::string revoke =
      R"({"type":"track","event":"Consent Revoked","userId":"p1",)"
      R"("timestamp":"2025-03-01T09:00:00Z","properties":{"channel":"email"}})"
      "\n";
  const std::string go =
      R"({"type":"track","event":"Go","userId":"p1","messageId":"g1",)"
      R"("timestamp":"2025-03-01T10:00:00Z","properties":{"n":1}})"
      "\n";
  const std::string other =
      R"({"type":"track","event":"Go","userId":"p2","messageId":"g0",)"
      R"("timestamp":"2025-03-01T08:00:00Z","properties":{"n":1}})"
      "\n";
  testing::WriteText(scratch / "all.jsonl", other + revoke + go);
  testing::WriteText(scratch / "first.jsonl", other);
  testing::WriteText(scratch / "rest.jsonl", revoke + go);

  auto run = [&](const std::string& events, const std::string& state) {
    return testing::RunParcours(
        {"run", (scratch / "p.journey").string(), "--events",
         (scratch / events).string(), "--state", (scratch / state).string()},
        scratch);
  };
  auto whole = run("all.jsonl", "one.db");
  auto head = run("first.jsonl", "two.db");
  auto tail = run("rest.jsonl", "two.db");

  INFO(whole.err << head.err << tail.err);
  REQUIRE(whole.exit_code == 0);
  REQUIRE(head.exit_code == 0);
  REQUIRE(tail.exit_code == 0);
  CHECK(whole.out == head.out + tail.out);
  CHECK_THAT(whole.out, Catch::Contains("by line:"));
}

}  // namespace
}  // namespace parcours
