// Every campaign folder under examples/ passes what CI asks of a campaign
// repository, and the cookbook quotes the crm-starter, loyalty and
// account-takeover campaigns as they are committed.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

// The folders below examples/ that directly hold `.journey` files, found
// by walking the tree so that a new example is covered without a change
// here.
std::vector<std::filesystem::path> CampaignFolders() {
  std::set<std::filesystem::path> folders;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           testing::SourceDir() / "examples")) {
    if (entry.path().extension() == ".journey") {
      folders.insert(entry.path().parent_path());
    }
  }
  return {folders.begin(), folders.end()};
}

TEST_CASE(
    "every example campaign folder checks, is formatted and passes "
    "its tests") {
  std::vector<std::filesystem::path> folders = CampaignFolders();
  CHECK(folders.size() >= 2);
  auto scratch = testing::ScratchDir("example-folders");
  for (const auto& folder : folders) {
    INFO(folder.string());
    auto check =
        testing::RunParcours({"check", "--werror", folder.string()}, scratch);
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);

    auto format =
        testing::RunParcours({"fmt", "--check", folder.string()}, scratch);
    INFO(format.out << format.err);
    CHECK(format.exit_code == 0);

    auto tests = testing::RunParcours({"test", folder.string()}, scratch);
    INFO(tests.out << tests.err);
    CHECK(tests.exit_code == 0);
    CHECK_THAT(tests.out, Catch::Contains(" 0 failed"));
    CHECK_THAT(tests.out, !Catch::Contains(" 0 passed"));
  }
}

// The fenced blocks of `markdown` whose info string is `language`.
std::vector<std::string> CodeBlocks(const std::string& markdown,
                                    const std::string& language) {
  std::vector<std::string> blocks;
  std::istringstream lines(markdown);
  std::string line;
  while (std::getline(lines, line)) {
    if (line != "```" + language) continue;
    std::string block;
    while (std::getline(lines, line) && line != "```") block += line + "\n";
    blocks.push_back(block);
  }
  return blocks;
}

TEST_CASE("the cookbook quotes the example files as committed") {
  std::string cookbook =
      testing::ReadText(testing::SourceDir() / "docs/cookbook.md");
  std::string committed;
  for (const char* folder : {"examples/crm-starter/campaign",
                             "examples/dunnhumby-complete-journey/campaign",
                             "examples/account-takeover/campaign"}) {
    auto files = testing::FilesIn(testing::SourceDir() / folder, ".journey");
    INFO(folder);
    CHECK(!files.empty());
    for (const auto& file : files) committed += testing::ReadText(file);
  }

  // Each quoted piece is a run of whole lines of one of the files.
  std::vector<std::string> blocks = CodeBlocks(cookbook, "journey");
  CHECK(blocks.size() >= 20);
  for (const std::string& block : blocks) {
    INFO(block);
    CHECK(("\n" + committed).find("\n" + block) != std::string::npos);
  }

  // Each journey, segment, policy and program of the folders is shown.
  std::istringstream lines(committed);
  for (std::string line; std::getline(lines, line);) {
    for (const char* kind : {"journey ", "segment ", "policy ", "program "}) {
      if (line.rfind(kind, 0) != 0) continue;
      INFO(line);
      CHECK(cookbook.find("\n" + line + "\n") != std::string::npos);
    }
  }

  // The CI section runs the ready-made job and hook on this folder.
  CHECK_THAT(cookbook, Catch::Contains("examples/ci/campaign-checks.sh \\\n"
                                       "    examples/crm-starter/campaign "
                                       "examples/crm-starter/"
                                       "taobao-events.jsonl"));
  CHECK_THAT(cookbook, Catch::Contains("examples/ci/pre-commit"));
  CHECK_THAT(cookbook, Catch::Contains("examples/ci/github-actions.yml"));
}

TEST_CASE("the cookbook's CI command passes on the crm-starter folder") {
  auto scratch = testing::ScratchDir("cookbook-ci");
  std::string command =
      "export PARCOURS=" + testing::ShellQuote(PARCOURS_BINARY) + "; cd " +
      testing::ShellQuote(testing::SourceDir().string()) +
      " && bash examples/ci/campaign-checks.sh examples/crm-starter/campaign "
      "examples/crm-starter/taobao-events.jsonl >" +
      testing::ShellQuote((scratch / "ci.log").string()) + " 2>&1";
  int status = std::system(command.c_str());
  std::string log = testing::ReadText(scratch / "ci.log");
  INFO(log);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(log, Catch::Contains("cart_abandonment"));
  CHECK_THAT(log, Catch::Contains("Sends by channel"));
}

}  // namespace
}  // namespace parcours
