// The CI job and the pre-commit hook in examples/ci, run as a campaign
// team would run them.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::ShellQuote;

struct Shell {
  int exit_code;
  std::string output;
};

// Runs `command` with `parcours` as PARCOURS, capturing both streams.
Shell RunShell(const std::string& command,
               const std::filesystem::path& scratch) {
  auto log = scratch / "shell.log";
  std::string full = "export PARCOURS=" + ShellQuote(PARCOURS_BINARY) + "; " +
                     command + " >" + ShellQuote(log.string()) + " 2>&1";
  int status = std::system(full.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, testing::ReadText(log)};
}

std::string Source(const std::string& path) {
  return (testing::SourceDir() / path).string();
}

TEST_CASE("the CI checks pass on the example and stop at a broken copy") {
  auto scratch = testing::ScratchDir("ci-checks");
  std::string script = Source("examples/ci/campaign-checks.sh");

  Shell good = RunShell(
      "bash " + ShellQuote(script) + " " +
          ShellQuote(Source("examples/uci-online-retail/campaign")) + " " +
          ShellQuote(Source("examples/uci-online-retail/events-small.jsonl")),
      scratch);
  INFO(good.output);
  CHECK(good.exit_code == 0);
  CHECK_THAT(good.output, Catch::Contains("4 passed, 0 failed"));
  CHECK_THAT(good.output, Catch::Contains("Sends by channel"));

  // The same campaign, badly formatted: the format check stops it.
  auto copy = scratch / "campaign";
  std::filesystem::create_directories(copy);
  std::string text =
      testing::ReadText(Source("examples/uci-online-retail/campaign/"
                               "retail.journey"));
  testing::WriteText(copy / "retail.journey", "  " + text);
  Shell bad = RunShell(
      "bash " + ShellQuote(script) + " " + ShellQuote(copy.string()), scratch);
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("not formatted"));
  CHECK_THAT(bad.output, !Catch::Contains("== tests"));
}

// The shell text of the workflow step named `name`, with the clone of
// Parcours it makes replaced by this source tree.
std::string WorkflowStep(const std::string& name) {
  std::string workflow =
      testing::ReadText(Source("examples/ci/github-actions.yml"));
  size_t step = workflow.find("- name: " + name);
  REQUIRE(step != std::string::npos);
  size_t run = workflow.find("run: |\n", step);
  REQUIRE(run != std::string::npos);

  // The block is every following line indented deeper than `run:`.
  size_t line_start = workflow.rfind('\n', run) + 1;
  size_t run_indent = run - line_start;
  std::string script;
  size_t at = run + 7;
  while (at < workflow.size()) {
    size_t end = workflow.find('\n', at);
    if (end == std::string::npos) end = workflow.size();
    std::string line = workflow.substr(at, end - at);
    size_t indent = line.find_first_not_of(' ');
    if (indent != std::string::npos && indent <= run_indent) break;
    script += line + "\n";
    at = end + 1;
  }

  std::string clone = "/opt/parcours/";
  for (size_t found; (found = script.find(clone)) != std::string::npos;) {
    script.replace(found, clone.size(), testing::SourceDir().string() + "/");
  }
  return script;
}

TEST_CASE("the workflow's check step fails when a check fails") {
  auto scratch = testing::ScratchDir("ci-workflow");
  std::filesystem::create_directories(scratch / "campaigns");
  std::filesystem::create_directories(scratch / "data");
  testing::WriteText(scratch / "campaigns" / "shop.journey",
                     "event E \"E\" { n: int }\n\n"
                     "segment big = count(E) > \"three\"\n");
  testing::WriteText(scratch / "data" / "events.jsonl", "");
  auto script = scratch / "step.sh";
  testing::WriteText(script, WorkflowStep("Lint, format, tests and backtest"));

  // GitHub runs a step with no `shell:` as `bash -e {0}`.
  Shell step = RunShell("cd " + ShellQuote(scratch.string()) + " && bash -e " +
                            ShellQuote(script.string()),
                        scratch);
  INFO(step.output);
  CHECK(step.exit_code != 0);
  CHECK_THAT(step.output, Catch::Contains("shop.journey:3"));
}

TEST_CASE("the pre-commit hook refuses a staged file that fails a check") {
  auto scratch = testing::ScratchDir("pre-commit");
  auto repo = scratch / "repo";
  std::filesystem::create_directories(repo / "campaigns");
  std::string git = "git -C " + ShellQuote(repo.string()) +
                    " -c user.name=t -c user.email=t@example.com ";
  REQUIRE(RunShell(git + "init -q", scratch).exit_code == 0);

  std::string hook = Source("examples/ci/pre-commit");
  std::string in_repo =
      "cd " + ShellQuote(repo.string()) + " && bash " + ShellQuote(hook);
  auto journey = repo / "campaigns" / "shop.journey";

  // A type error in a staged file: refused.
  testing::WriteText(journey,
                     "event E \"E\" { n: int }\n"
                     "segment big = count(E) > \"three\"\n");
  REQUIRE(RunShell(git + "add campaigns", scratch).exit_code == 0);
  Shell refused = RunShell(in_repo, scratch);
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.output, Catch::Contains("shop.journey:2"));

  // Fixed and staged: accepted.
  testing::WriteText(journey,
                     "event E \"E\" { n: int }\n\n"
                     "segment big = count(E) > 3\n");
  REQUIRE(RunShell(git + "add campaigns", scratch).exit_code == 0);
  Shell accepted = RunShell(in_repo, scratch);
  INFO(accepted.output);
  CHECK(accepted.exit_code == 0);

  // Broken and staged, then fixed in the working tree only: the commit
  // would hold the broken version, so the hook refuses it.
  testing::WriteText(journey,
                     "event E \"E\" { n: int }\n\n"
                     "segment big = count(E) > \"four\"\n");
  REQUIRE(RunShell(git + "add campaigns", scratch).exit_code == 0);
  testing::WriteText(journey,
                     "event E \"E\" { n: int }\n\n"
                     "segment big = count(E) > 4\n");
  Shell unstaged_fix = RunShell(in_repo, scratch);
  INFO(unstaged_fix.output);
  CHECK(unstaged_fix.exit_code == 1);
  CHECK_THAT(unstaged_fix.output, Catch::Contains("campaigns/shop.journey:3"));
}

// The hook read the staged names one per blank-separated word and only
// those added, copied or modified: a folder named `summer sale` was
// checked as `summer` and `sale` (which does not exist, so every commit
// was refused), and a file renamed and broken at once, or the deletion of
// a file its folder still needs, went in unchecked.
TEST_CASE(
    "the pre-commit hook checks renamed and deleted files and blank names") {
  auto scratch = testing::ScratchDir("pre-commit-names");
  auto repo = scratch / "repo";
  auto folder = repo / "campaigns" / "summer sale";
  std::filesystem::create_directories(folder);
  std::string git = "git -C " + ShellQuote(repo.string()) +
                    " -c user.name=t -c user.email=t@example.com ";
  REQUIRE(RunShell(git + "init -q", scratch).exit_code == 0);
  std::string hook = Source("examples/ci/pre-commit");
  std::string in_repo =
      "cd " + ShellQuote(repo.string()) + " && bash " + ShellQuote(hook);

  // Enough segments that git takes a changed, moved file for a rename.
  std::string events = "event E \"E\" { n: int }\n";
  for (int i = 0; i < 20; ++i) {
    events += "\nsegment s" + std::to_string(i) + " = count(E) > " +
              std::to_string(i) + "\n";
  }
  testing::WriteText(folder / "events.journey", events);
  testing::WriteText(folder / "big.journey", "segment big = count(E) > 3\n");
  REQUIRE(RunShell(git + "add campaigns", scratch).exit_code == 0);
  Shell blanks = RunShell(in_repo, scratch);
  INFO(blanks.output);
  CHECK(blanks.exit_code == 0);
  CHECK_THAT(blanks.output, !Catch::Contains("cannot read"));
  REQUIRE(RunShell(git + "commit -q -m first", scratch).exit_code == 0);

  // Moved and broken in one go.
  std::string moved = events;
  moved.replace(moved.find("> 3\n"), 4, "> \"three\"\n");
  REQUIRE(RunShell(git + "mv 'campaigns/summer sale/events.journey' " +
                       "'campaigns/summer sale/all.journey'",
                   scratch)
              .exit_code == 0);
  testing::WriteText(folder / "all.journey", moved);
  REQUIRE(RunShell(git + "add campaigns", scratch).exit_code == 0);
  Shell renamed = RunShell(in_repo, scratch);
  CHECK(renamed.exit_code == 1);
  CHECK_THAT(renamed.output, Catch::Contains("all.journey:9"));
  REQUIRE(RunShell(git + "reset -q --hard", scratch).exit_code == 0);

  // The file that declares `E` deleted: `big.journey` no longer checks.
  REQUIRE(
      RunShell(git + "rm -q 'campaigns/summer sale/events.journey'", scratch)
          .exit_code == 0);
  Shell deleted = RunShell(in_repo, scratch);
  CHECK(deleted.exit_code == 1);
  CHECK_THAT(deleted.output, Catch::Contains("big.journey:1"));
  REQUIRE(RunShell(git + "reset -q --hard", scratch).exit_code == 0);

  // The whole folder deleted: nothing is left to check.
  REQUIRE(RunShell(git + "rm -q -r campaigns", scratch).exit_code == 0);
  Shell emptied = RunShell(in_repo, scratch);
  INFO(emptied.output);
  CHECK(emptied.exit_code == 0);
}

}  // namespace
}  // namespace parcours
