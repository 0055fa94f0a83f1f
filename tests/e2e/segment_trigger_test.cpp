// Journeys started by a profile entering or leaving a segment, through the
// whole product and both engines.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kProgram[] = R"(module segments

event OrderPlaced "Order Completed" {
  total: money
}

segment repeat_buyer = count(OrderPlaced) >= 2

segment small_spender = sum(OrderPlaced.total) < 100 GBP

journey welcome_repeat {
  on entered(repeat_buyer)
  send email "welcome_repeat"
}

journey grown_up {
  on left(small_spender)
  send email "thanks_big"
}

journey newcomer {
  on entered(small_spender)
  send email "hello"
}
)";

std::string Order(const std::string& id, const std::string& time,
                  const std::string& total) {
  return R"({"type":"track","event":"Order Completed","userId":"p1",)"
         R"("messageId":")" +
         id + R"(","timestamp":")" + time + R"(","properties":{"total":)" +
         total + R"(,"currency":"GBP"}})" + "\n";
}

TEST_CASE("entering and leaving a segment start journeys, once") {
  auto scratch = testing::ScratchDir("segment-triggers");
  testing::WriteText(scratch / "segments.journey", kProgram);
  testing::WriteText(scratch / "events.jsonl",
                     Order("o1", "2025-01-01T10:00:00Z", "50") +
                         Order("o2", "2025-01-02T10:00:00Z", "80") +
                         Order("o3", "2025-01-03T10:00:00Z", "10"));

  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "segments.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i]},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);

  std::vector<std::string> sends;
  std::istringstream lines(outputs[0]);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["at"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  // A new profile enters `small_spender` (an empty sum is below 100 GBP);
  // the second order makes a repeat buyer who is no longer a small
  // spender, in the segments' order; the third changes no membership.
  std::vector<std::string> expected = {
      "2025-01-01T10:00:00Z hello",
      "2025-01-02T10:00:00Z welcome_repeat",
      "2025-01-02T10:00:00Z thanks_big",
  };
  CHECK(sends == expected);
}

TEST_CASE("a sum over two currencies is mixed, and leaves its segments") {
  auto scratch = testing::ScratchDir("mixed-sum");
  testing::WriteText(scratch / "m.journey", R"(module mixed

event OrderPlaced "Order Completed" {
  total: money
}

segment big = sum(OrderPlaced.total) >= 10 EUR

journey left_big {
  on left(big)
  send email "no_longer_big"
}
)");
  std::string eur = R"({"type":"track","event":"Order Completed",)"
                    R"("userId":"p1","messageId":"e1",)"
                    R"("timestamp":"2025-01-01T10:00:00Z",)"
                    R"("properties":{"total":20,"currency":"EUR"}})";
  std::string gbp = R"({"type":"track","event":"Order Completed",)"
                    R"("userId":"p1","messageId":"g1",)"
                    R"("timestamp":"2025-01-02T10:00:00Z",)"
                    R"("properties":{"total":5,"currency":"GBP"}})";
  testing::WriteText(scratch / "events.jsonl", eur + "\n" + gbp + "\n");
  auto result = testing::RunParcours(
      {"run", (scratch / "m.journey").string(), "--events",
       (scratch / "events.jsonl").string(), "--state",
       (scratch / "s.db").string(), "--out", "-", "--engine", "interp"},
      scratch);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  // 20 EUR + 5 GBP compares with nothing, so the profile leaves `big`.
  CHECK_THAT(result.out, Catch::Contains("\"template\":\"no_longer_big\""));
  CHECK_THAT(result.out, Catch::Contains("2025-01-02T10:00:00Z"));
}

}  // namespace
}  // namespace parcours
