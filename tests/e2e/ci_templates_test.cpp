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
}

}  // namespace
}  // namespace parcours
