// Enums, `in` lists and timestamp literals through the whole product, in
// both engines.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kProgram[] = R"(module enums

profile {
  tier: enum { bronze, silver, gold } = bronze
  country: string = "FR"
  joined: time?
}

event OrderPlaced "Order Completed" {
  status: enum { placed, shipped, cancelled }
}

segment vip = profile.tier in [silver, gold]

segment early = profile.joined < 2024-01-01T00:00:00Z

journey ship {
  on OrderPlaced as o where o.status != placed and o.status not in [cancelled]
  if profile.tier >= silver and profile.country not in ["US", "CA"] {
    send email "vip_shipped"
  } else {
    send email "shipped"
  }
}

journey vip_welcome {
  on entered(vip)
  send email "vip"
}

journey early_bird {
  on entered(early)
  send email "early"
}
)";

std::string Identify(const std::string& user, const std::string& id,
                     const std::string& time, const std::string& traits) {
  return R"({"type":"identify","userId":")" + user + R"(","messageId":")" + id +
         R"(","timestamp":")" + time + R"(","traits":)" + traits + "}\n";
}

std::string Order(const std::string& user, const std::string& id,
                  const std::string& time, const std::string& status) {
  return R"({"type":"track","event":"Order Completed","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"status":)" + status + "}}\n";
}

// Runs `program` on `events` in both engines and returns the actions'
// "at template" lines (equal in both) and the dead-letter file's lines.
struct Outcome {
  std::vector<std::string> sends;
  std::vector<nlohmann::json> dead_letters;
};

Outcome RunBoth(const std::string& name, const std::string& events) {
  auto scratch = testing::ScratchDir(name);
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "events.jsonl", events);
  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    auto result = testing::RunParcours(
        {"run", (scratch / "p.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state",
         (scratch / (std::string(engines[i]) + ".db")).string(), "--out", "-",
         "--engine", engines[i]},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = result.out;
  }
  CHECK(outputs[0] == outputs[1]);

  Outcome outcome;
  std::istringstream lines(outputs[0]);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    outcome.sends.push_back(action["at"].get<std::string>() + " " +
                            action["profile"].get<std::string>() + " " +
                            action["template"].get<std::string>());
  }
  std::istringstream dead(
      testing::ReadText(scratch / "jit.db.deadletter.jsonl"));
  while (std::getline(dead, line)) {
    outcome.dead_letters.push_back(nlohmann::json::parse(line));
  }
  return outcome;
}

TEST_CASE("enum attributes and fields decode from their names and compare") {
  Outcome outcome =
      RunBoth("enum-scenario",
              Identify("p1", "i1", "2025-01-01T10:00:00Z",
                       R"({"tier":"gold","joined":"2023-06-01T00:00:00Z"})") +
                  Order("p1", "o1", "2025-01-02T10:00:00Z", R"("shipped")") +
                  Order("p2", "o2", "2025-01-02T11:00:00Z", R"("shipped")") +
                  Order("p2", "o3", "2025-01-02T12:00:00Z", R"("cancelled")") +
                  Order("p3", "o4", "2025-01-02T13:00:00Z", R"("placed")"));
  // p1 becomes a vip and an early bird on its identify; its shipped order
  // is a vip's. p2 stays bronze; its cancelled order starts nothing, and
  // neither does p3's placed one.
  std::vector<std::string> expected = {
      "2025-01-01T10:00:00Z p1 vip",
      "2025-01-01T10:00:00Z p1 early",
      "2025-01-02T10:00:00Z p1 vip_shipped",
      "2025-01-02T11:00:00Z p2 shipped",
  };
  CHECK(outcome.sends == expected);
  CHECK(outcome.dead_letters.empty());
}

TEST_CASE("an unknown enum value is a dead letter naming the allowed ones") {
  Outcome outcome = RunBoth(
      "enum-dead-letters",
      Order("p1", "o1", "2025-01-02T10:00:00Z", R"("lost")") +
          Identify("p1", "i1", "2025-01-02T11:00:00Z", R"({"tier":3})") +
          Identify("p1", "i2", "2025-01-02T12:00:00Z", R"({"tier":"Gold"})") +
          Order("p1", "o2", "2025-01-02T13:00:00Z", R"("shipped")"));
  REQUIRE(outcome.dead_letters.size() == 3);
  CHECK(outcome.dead_letters[0]["line"] == 1);
  CHECK(outcome.dead_letters[0]["reason"] ==
        "field `status` of `Order Completed` must be one of `placed`, "
        "`shipped` or `cancelled`, got `lost`");
  CHECK(outcome.dead_letters[1]["line"] == 2);
  CHECK(outcome.dead_letters[1]["reason"] ==
        "trait `tier` must be one of `bronze`, `silver` or `gold`, got "
        "number");
  CHECK(outcome.dead_letters[2]["line"] == 3);
  CHECK(outcome.dead_letters[2]["reason"] ==
        "trait `tier` must be one of `bronze`, `silver` or `gold`, got "
        "`Gold`");
  // The refused identifies changed nothing: p1 is still bronze.
  std::vector<std::string> expected = {
      "2025-01-02T13:00:00Z p1 shipped",
  };
  CHECK(outcome.sends == expected);
}

TEST_CASE("a stored enum attribute is read back by its name") {
  auto scratch = testing::ScratchDir("enum-stored");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(
      scratch / "first.jsonl",
      Identify("p1", "i1", "2025-01-01T10:00:00Z", R"({"tier":"silver"})"));
  testing::WriteText(scratch / "second.jsonl",
                     Order("p1", "o1", "2025-01-02T10:00:00Z", R"("shipped")"));
  std::string sends;
  for (const char* events : {"first.jsonl", "second.jsonl"}) {
    auto result = testing::RunParcours(
        {"run", (scratch / "p.journey").string(), "--events",
         (scratch / events).string(), "--state", (scratch / "s.db").string(),
         "--out", "-", "--engine", "interp"},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    sends += result.out;
  }
  // The second run knows p1 as silver only from the state file.
  CHECK(sends.find("\"template\":\"vip_shipped\"") != std::string::npos);
  CHECK(sends.find("\"template\":\"shipped\"") == std::string::npos);
}

}  // namespace
}  // namespace parcours
