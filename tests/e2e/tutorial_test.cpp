// docs/tutorial.md, followed as written: each version of the campaign it
// shows is checked, formatted, tested, and the last one is replayed and
// reported on, with the commands the tutorial gives.
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

// The ```journey blocks of the tutorial, in order.
std::vector<std::string> JourneyBlocks() {
  std::string text =
      testing::ReadText(testing::SourceDir() / "docs/tutorial.md");
  std::vector<std::string> blocks;
  std::regex block("```journey\n([^`]*)```");
  for (std::sregex_iterator it(text.begin(), text.end(), block), end; it != end;
       ++it) {
    blocks.push_back((*it)[1].str());
  }
  return blocks;
}

TEST_CASE(
    "every version of the tutorial's campaign checks, is formatted "
    "and passes its tests") {
  std::vector<std::string> blocks = JourneyBlocks();
  REQUIRE(blocks.size() == 4);
  auto scratch = testing::ScratchDir("tutorial");
  auto campaign = scratch / "my-campaign";
  std::filesystem::create_directories(campaign);

  int tests_seen = 0;
  for (const std::string& block : blocks) {
    testing::WriteText(campaign / "shop.journey", block);
    INFO(block);
    auto check = RunParcours({"check", campaign.string()}, scratch);
    CHECK(check.exit_code == 0);
    CHECK_THAT(check.err, Catch::Contains("0 error(s), 0 warning(s)"));
    CHECK(
        RunParcours({"fmt", "--check", campaign.string()}, scratch).exit_code ==
        0);
    auto test = RunParcours({"test", campaign.string()}, scratch);
    CHECK(test.exit_code == 0);
    CHECK_THAT(test.out, Catch::Contains(" passed, 0 failed"));
    if (test.out.find("PASS") != std::string::npos) ++tests_seen;
  }
  CHECK(tests_seen == 2);

  // Step 6: the replay and its report.
  auto run = RunParcours(
      {"run", campaign.string(), "--events",
       (testing::SourceDir() / "examples/uci-online-retail/events-small.jsonl")
           .string(),
       "--state", (campaign / "state.db").string(), "--out",
       (campaign / "actions.jsonl").string()},
      scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto report = RunParcours(
      {"report", "backtest", "--state", (campaign / "state.db").string()},
      scratch);
  CHECK(report.exit_code == 0);
  CHECK_THAT(report.out, Catch::Contains("come_back"));
  CHECK_THAT(report.out, Catch::Contains("exited on `OrderPlaced`"));
}

TEST_CASE("the tutorial's deliberate mistakes are caught as it says") {
  std::vector<std::string> blocks = JourneyBlocks();
  REQUIRE(blocks.size() == 4);
  auto scratch = testing::ScratchDir("tutorial-mistakes");
  auto campaign = scratch / "my-campaign";
  std::filesystem::create_directories(campaign);

  // Step 2: `total: mony`.
  std::string typo =
      std::regex_replace(blocks[0], std::regex("total: money"), "total: mony");
  testing::WriteText(campaign / "shop.journey", typo);
  auto check = RunParcours({"check", campaign.string()}, scratch);
  CHECK(check.exit_code == 1);
  CHECK_THAT(check.err, Catch::Contains("shop.journey:9:10"));
  CHECK_THAT(check.err, Catch::Contains("did you mean `money`?"));

  // Step 4: the wrong day.
  std::string wrong = std::regex_replace(blocks[2], std::regex("2011-04-09T10"),
                                         "2011-04-08T10");
  testing::WriteText(campaign / "shop.journey", wrong);
  auto test = RunParcours({"test", campaign.string()}, scratch);
  CHECK(test.exit_code == 1);
  CHECK_THAT(test.out, Catch::Contains("got send email \"come_back\" to "
                                       "\"p1\" at 2011-04-09T10:00:00Z"));
}

}  // namespace
}  // namespace parcours
