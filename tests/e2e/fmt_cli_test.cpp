// `parcours fmt` as a separate process: exit codes and output.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

TEST_CASE("fmt --check reports unformatted files and fmt rewrites them") {
  auto scratch = testing::ScratchDir("fmt");
  auto messy = scratch / "messy.journey";
  auto tidy = scratch / "tidy.journey";
  testing::WriteText(messy, "module m\nsegment s=true\n");
  testing::WriteText(tidy, "segment t = false\n");

  auto check = RunParcours({"fmt", "--check", tidy.string()}, scratch);
  CHECK(check.exit_code == 0);
  CHECK(check.out.empty());

  check = RunParcours({"fmt", "--check", scratch.string()}, scratch);
  CHECK(check.exit_code == 1);
  CHECK_THAT(check.out, Catch::Contains("messy.journey: not formatted\n"));
  CHECK_THAT(check.out,
             Catch::Contains("-segment s=true\n+\n+segment s = true\n"));
  CHECK_THAT(check.out, !Catch::Contains("tidy.journey"));
  CHECK(testing::ReadText(messy) == "module m\nsegment s=true\n");

  auto fmt = RunParcours({"fmt", scratch.string()}, scratch);
  CHECK(fmt.exit_code == 0);
  CHECK(testing::ReadText(messy) == "module m\n\nsegment s = true\n");
  CHECK(RunParcours({"fmt", "--check", scratch.string()}, scratch).exit_code ==
        0);
}

TEST_CASE("fmt leaves a file with syntax errors alone and exits with 1") {
  auto scratch = testing::ScratchDir("fmt-syntax");
  auto bad = scratch / "bad.journey";
  std::string text = "journey j {\n  send email\n}\n";
  testing::WriteText(bad, text);
  for (const char* flag : {"--check", ""}) {
    std::vector<std::string> args = {"fmt", bad.string()};
    if (*flag) args.insert(args.begin() + 1, flag);
    auto result = RunParcours(args, scratch);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("bad.journey:3:1: error[E0100]"));
    CHECK(testing::ReadText(bad) == text);
  }
}

TEST_CASE("fmt usage and I/O problems exit with 2") {
  auto scratch = testing::ScratchDir("fmt-usage");
  CHECK(RunParcours({"fmt"}, scratch).exit_code == 2);
  CHECK(RunParcours({"fmt", "--check"}, scratch).exit_code == 2);
  CHECK(RunParcours({"fmt", "--bogus", scratch.string()}, scratch).exit_code ==
        2);
  CHECK(RunParcours({"fmt", "/nonexistent/x.journey"}, scratch).exit_code == 2);
  CHECK(RunParcours({"fmt", scratch.string()}, scratch).exit_code == 2);
}

TEST_CASE(
    "fmt never loses a source it cannot write whole, and keeps its link "
    "and permissions") {
  auto scratch = testing::ScratchDir("fmt-full");
  auto messy = scratch / "messy.journey";
  // Formatted, it is well over the 512 bytes the write may take below.
  std::string text = "module m\n";
  for (int i = 0; i < 60; ++i) {
    text += "segment s" + std::to_string(i) + "=true\n";
  }
  testing::WriteText(messy, text);

  // A file size limit makes the write fail part way, as a full disk
  // would; the run must say so and leave the source as it was.
  std::string command = "trap '' XFSZ; ulimit -f 1; exec " +
                        testing::ShellQuote(PARCOURS_BINARY) + " fmt " +
                        testing::ShellQuote(messy.string()) + " 2>" +
                        testing::ShellQuote((scratch / "err.txt").string());
  int status = std::system(("sh -c " + testing::ShellQuote(command)).c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(testing::ReadText(scratch / "err.txt"),
             Catch::Contains("it is left as it was"));
  CHECK(testing::ReadText(messy) == text);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(scratch)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 2);  // the source and err.txt: no half-written copy

  // Through a link: the link stays, the file it names is rewritten with
  // its permissions.
  std::filesystem::permissions(messy, std::filesystem::perms(0640));
  auto link = scratch / "link.journey";
  std::filesystem::create_symlink(messy, link);
  auto fmt = RunParcours({"fmt", link.string()}, scratch);
  CHECK(fmt.exit_code == 0);
  CHECK(std::filesystem::is_symlink(link));
  CHECK_THAT(testing::ReadText(messy), Catch::StartsWith("module m\n\n"));
  CHECK(std::filesystem::status(messy).permissions() ==
        std::filesystem::perms(0640));
}

// A rename replaces a file whatever its mode, even for root: a file no
// one may write is refused, and the others are formatted.
TEST_CASE("fmt leaves a read-only file as it is, and says so") {
  auto scratch = testing::ScratchDir("fmt-read-only");
  const std::string text = "module m\nsegment s=true\n";
  auto locked = scratch / "locked.journey";
  auto open = scratch / "open.journey";
  testing::WriteText(locked, text);
  testing::WriteText(open, text);
  std::filesystem::permissions(locked, std::filesystem::perms(0444));

  auto fmt = RunParcours({"fmt", scratch.string()}, scratch);
  CHECK(fmt.exit_code == 2);
  CHECK_THAT(fmt.err, Catch::Contains("cannot write `" + locked.string() +
                                      "`: it is read-only (no one may write "
                                      "it); make it writable to format it; "
                                      "it is left as it was"));
  CHECK(testing::ReadText(locked) == text);
  CHECK(std::filesystem::status(locked).permissions() ==
        std::filesystem::perms(0444));
  CHECK(testing::ReadText(open) != text);
}

TEST_CASE("the repository's examples are formatted") {
  auto scratch = testing::ScratchDir("fmt-repo");
  auto result = RunParcours(
      {"fmt", "--check", (testing::SourceDir() / "examples").string()},
      scratch);
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
}

}  // namespace
}  // namespace parcours
