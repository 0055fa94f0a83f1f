// docs/language.md is the reference of the language: each of its code
// blocks marked `journey` is a whole program that `parcours check --werror`
// accepts and `parcours fmt` leaves as it is, their `test` blocks pass, and
// together they show every construct of the grammar.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

// The fenced blocks of a page whose info string is `journey`.
std::vector<std::string> ProgramBlocks(
    const std::string& page = "docs/language.md") {
  std::istringstream lines(testing::ReadText(testing::SourceDir() / page));
  std::vector<std::string> blocks;
  std::string line;
  while (std::getline(lines, line)) {
    if (line != "```journey") continue;
    std::string block;
    while (std::getline(lines, line) && line != "```") block += line + "\n";
    blocks.push_back(block);
  }
  return blocks;
}

TEST_CASE("every program of language.md checks and is formatted") {
  std::vector<std::string> blocks = ProgramBlocks();
  CHECK(blocks.size() >= 15);
  auto scratch = testing::ScratchDir("language-doc");

  int tested = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    // One folder per block: a folder is one program.
    auto folder = scratch / ("block" + std::to_string(i));
    std::filesystem::create_directories(folder);
    testing::WriteText(folder / "example.journey", blocks[i]);
    INFO(blocks[i]);

    auto check =
        testing::RunParcours({"check", "--werror", folder.string()}, scratch);
    INFO(check.err);
    CHECK(check.exit_code == 0);

    // A reader copies these: they are in the layout `fmt` writes.
    auto format =
        testing::RunParcours({"fmt", "--check", folder.string()}, scratch);
    INFO(format.out << format.err);
    CHECK(format.exit_code == 0);

    if (blocks[i].find("\ntest \"") == std::string::npos) continue;
    auto test = testing::RunParcours({"test", folder.string()}, scratch);
    INFO(test.out << test.err);
    CHECK(test.exit_code == 0);
    CHECK_THAT(test.out, Catch::Contains(" 0 failed"));
    CHECK_THAT(test.out, !Catch::Contains(" 0 passed"));
    ++tested;
  }
  CHECK(tested >= 1);
}

// The golden inputs are programs too, and a contributor copies them:
// those `fmt` can read are in its layout (the others hold the syntax
// errors, bad bytes or depths `fmt` refuses, which is what they test).
TEST_CASE("the diagnostics' golden programs are formatted") {
  auto folder = testing::SourceDir() / "tests/sema/golden";
  auto scratch = testing::ScratchDir("golden-fmt");
  int formatted = 0;
  for (const auto& path : testing::FilesIn(folder, ".journey")) {
    auto format =
        testing::RunParcours({"fmt", "--check", path.string()}, scratch);
    INFO(path.filename().string() << "\n" << format.out << format.err);
    CHECK_THAT(format.out + format.err, !Catch::Contains("not formatted"));
    if (format.exit_code == 0) ++formatted;
  }
  CHECK(formatted >= 40);
}

// The first program a reader meets: it must be what `fmt` writes.
TEST_CASE("the README's program checks and is formatted") {
  std::vector<std::string> blocks = ProgramBlocks("README.md");
  REQUIRE(blocks.size() == 1);
  auto scratch = testing::ScratchDir("readme-program");
  auto file = scratch / "retail.journey";
  testing::WriteText(file, blocks[0]);

  auto check = testing::RunParcours({"check", file.string()}, scratch);
  INFO(check.err);
  CHECK(check.exit_code == 0);
  auto format =
      testing::RunParcours({"fmt", "--check", file.string()}, scratch);
  INFO(format.out << format.err);
  CHECK(format.exit_code == 0);
}

TEST_CASE("the programs of language.md show every construct") {
  std::string programs;
  for (const std::string& block : ProgramBlocks()) programs += block;

  // Declarations, triggers, clauses, steps, policy and program rules,
  // test statements and the built-in functions, as the grammar spells
  // them (grammar/Parcours.g4).
  const char* constructs[] = {
      "module ", "import ", "enum ", "record ", "profile {", "event ", "list<",
      "segment ", "policy ", "program ", "journey ", "test \"",
      // triggers and clauses
      "on CartUpdated as ", " where ", "on entered(", "on left(", "on date ",
      "on points crossing ", "every monday ", "exit on ", "exit when ",
      "reentry after ", "holdout ", "goal ", "  policy ",
      // steps
      "wait 1h", "wait until ", "wait for ", "send push ", "send best of [",
      " priority high", " category security", " override", "if ", "} else {",
      "split", "task crm ", "call webhook ", "set profile.", "emit ", "award ",
      "freeze account", "require second factor", "    exit\n",
      // policy rules
      "cap ", " across ", " on sms", " reserve ", "priority email > ",
      "prefer ", "quiet ", "exempt ", "when capped: ",
      // program rules
      "earn 1 point per ", " points on ", "at most once per ", "multiply ",
      "burn on ", "refund on ", ".amount on ", "expire ", "notify expiring ",
      "qualifying points within ", "keep tier ", "value ", "breakage ",
      // test statements
      "given profile ", " identify for ", "expect send ", "expect no send ",
      "expect suppressed ", "expect no suppressed ", "expect points ",
      "expect tier ",
      // expressions and built-in functions
      " not in [", " == none", ".count", "count(", "sum(", "last(", "between ",
      "days_since(", "hours_since(", "minutes_since(", "consent(", "balance(",
      "tier(", "redeemed_share(", "distance_km(", "travel_kmh(",
      "seen_before("};
  for (const char* construct : constructs) {
    INFO(construct);
    CHECK(programs.find(construct) != std::string::npos);
  }
}

}  // namespace
}  // namespace parcours
