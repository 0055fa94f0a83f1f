// The `parcours` command line, run as a separate process.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "compiler/jit/jit.h"
#include "runtime/store/store.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;

TEST_CASE("check accepts the example campaign") {
  auto scratch = testing::ScratchDir("check-ok");
  auto result = RunParcours({"check", kCampaign}, scratch);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("ok: 0 error(s)"));
}

TEST_CASE("a syntax error and a type error give located diagnostics") {
  auto scratch = testing::ScratchDir("check-errors");
  auto syntax = scratch / "syntax.journey";
  testing::WriteText(syntax,
                     "event E { total: money }\n"
                     "journey j {\n  on E\n  send email\n}\n");
  auto result = RunParcours({"check", syntax.string()}, scratch);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("syntax.journey:5:1: error[E0100]"));
  CHECK_THAT(result.err, Catch::Contains("  5 | }"));

  auto typed = scratch / "typed.journey";
  testing::WriteText(typed,
                     "event E { total: money }\n"
                     "segment big = sum(E.total) > 100\n");
  result = RunParcours({"check", typed.string()}, scratch);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::Contains("typed.journey:2:15: error[E0204]"));
  // The caret range covers the whole comparison, 18 characters.
  CHECK_THAT(result.err, Catch::Contains("|               ^" +
                                         std::string(17, '~') + "\n"));

  SECTION("as JSON and as SARIF, on stdout") {
    // `check --format sarif dir > x.sarif` must catch the whole log.
    result =
        RunParcours({"check", "--format", "json", typed.string()}, scratch);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.out, Catch::StartsWith("{\"code\":\"E0204\""));
    CHECK(result.err.empty());
    result =
        RunParcours({"check", "--format", "sarif", typed.string()}, scratch);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.out, Catch::Contains("\"version\":\"2.1.0\""));
    CHECK_THAT(result.out, Catch::Contains("\"ruleId\":\"E0204\""));
    CHECK(nlohmann::json::parse(result.out)["version"] == "2.1.0");
    CHECK(result.err.empty());
  }
}

TEST_CASE(
    "shares and windows no journey can run with are refused by `check` "
    "and `run`, never an abort") {
  auto scratch = testing::ScratchDir("shares-not-abort");
  testing::WriteText(scratch / "e.jsonl", "");
  const char* const kHeader =
      "event OrderPlaced \"Order Completed\" { total: money }\n";
  const std::vector<std::string> bodies = {
      "journey j {\n  on OrderPlaced\n  reentry never\n"
      "  split a: 30% { send email \"a\" } b: 30% { send email \"b\" }\n}\n",
      "journey j {\n  on OrderPlaced\n  reentry never\n  holdout 120%\n"
      "  send email \"a\"\n}\n",
      "segment s = count(OrderPlaced within 0d) == 0\n"
      "journey j {\n  on entered(s)\n  send email \"a\"\n}\n"};
  for (const std::string& body : bodies) {
    auto file = scratch / "j.journey";
    testing::WriteText(file, std::string(kHeader) + body);
    auto check = RunParcours({"check", file.string()}, scratch);
    CHECK(check.exit_code == 1);
    auto run = RunParcours(
        {"run", file.string(), "--events", (scratch / "e.jsonl").string(),
         "--state", (scratch / "s.db").string(), "--out", "-"},
        scratch);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("error[E02"));
    CHECK_THAT(run.err, !Catch::Contains("internal error"));
  }
}

TEST_CASE("a journey with no trigger is a warning, not a crash") {
  auto scratch = testing::ScratchDir("no-trigger");
  auto file = scratch / "n.journey";
  testing::WriteText(
      file, "event E { x: int }\njourney j {\n  send email \"x\"\n}\n");
  auto check = RunParcours({"check", file.string()}, scratch);
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.err, Catch::Contains("warning[W0301]"));
  auto build = RunParcours({"build", file.string(), "--emit", "ir"}, scratch);
  CHECK(build.exit_code == 0);
  CHECK(check.err.find("internal error") == std::string::npos);
}

TEST_CASE("awkward paths are reported, not crashed on") {
  auto scratch = testing::ScratchDir("paths");
  auto folder = scratch / "campaign";
  std::filesystem::create_directories(folder);
  testing::WriteText(folder / "a.journey", "segment s = true\n");
  std::filesystem::create_symlink("b.txt", folder / "a.txt");
  std::filesystem::create_symlink("a.txt", folder / "b.txt");
  std::filesystem::create_directories(folder / "dir.journey");

  SECTION("a folder with a symlink loop and a folder named .journey") {
    auto result = RunParcours({"check", folder.string()}, scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("in 1 file(s)"));
  }
  SECTION("the same file named twice is read once") {
    auto file = (folder / "a.journey").string();
    auto again = (folder / "." / "a.journey").string();
    auto result = RunParcours({"check", file, again}, scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err, Catch::Contains("in 1 file(s)"));
  }
  SECTION("a link to a source that is gone, in a folder") {
    std::filesystem::create_symlink("gone.journey", folder / "c.journey");
    for (const char* command : {"check", "fmt"}) {
      INFO(command);
      std::vector<std::string> args = {command, folder.string()};
      if (std::string(command) == "fmt")
        args.insert(args.begin() + 1, "--check");
      auto result = RunParcours(args, scratch);
      CHECK(result.exit_code == 2);
      CHECK_THAT(
          result.err,
          Catch::Contains("cannot read `" + (folder / "c.journey").string() +
                          "`: it links to `gone.journey`, which does "
                          "not exist"));
    }
  }
  SECTION("a symlink loop named directly") {
    auto result = RunParcours({"check", (folder / "a.txt").string()}, scratch);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("symbolic links"));
  }
  SECTION("a 50 MB file is refused by its size") {
    auto big = folder / "big.journey";
    std::filesystem::remove(folder / "a.journey");
    {
      std::ofstream out(big, std::ios::binary);
      out << "segment s = true\n";
    }
    std::filesystem::resize_file(big, 50u << 20);
    auto result = RunParcours({"check", big.string()}, scratch);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("error[E0004]"));
  }
  SECTION("an endless file is refused by its size") {
    auto result = RunParcours({"check", "/dev/zero"}, scratch);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.err, Catch::Contains("error[E0004]"));
  }
}

TEST_CASE("many files in a folder cost memory by their size") {
  // Each file once kept a buffer of the whole size limit; 300 of them did
  // not fit in 1.5 GB of address space.
  auto scratch = testing::ScratchDir("many-files");
  auto folder = scratch / "campaign";
  std::filesystem::create_directories(folder);
  for (int i = 0; i < 300; ++i) {
    testing::WriteText(folder / ("f" + std::to_string(i) + ".journey"),
                       "segment s" + std::to_string(i) + " = true\n");
  }
  std::string command =
      "ulimit -v 1500000; " + testing::ShellQuote(PARCOURS_BINARY) + " check " +
      testing::ShellQuote(folder.string()) + " >/dev/null 2>&1";
  int status = std::system(("bash -c " + testing::ShellQuote(command)).c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a reader closing the pipe gets a report, not a silent death") {
  auto scratch = testing::ScratchDir("pipe");
  auto events =
      testing::SourceDir() / "examples/uci-online-retail/events-small.jsonl";
  auto err = scratch / "err.txt";
  auto code = scratch / "code.txt";
  std::string run = testing::ShellQuote(PARCOURS_BINARY) + " run " +
                    testing::ShellQuote(kCampaign) + " --events " +
                    testing::ShellQuote(events.string()) + " --state " +
                    testing::ShellQuote((scratch / "s.db").string()) +
                    " --out - --batch 10 2>" +
                    testing::ShellQuote(err.string());
  std::string command = "set -o pipefail; " + run +
                        " | head -c 100 >/dev/null; echo ${PIPESTATUS[0]} >" +
                        testing::ShellQuote(code.string());
  std::system(("bash -c " + testing::ShellQuote(command)).c_str());
  CHECK(testing::ReadText(code) == "2\n");
  CHECK_THAT(testing::ReadText(err), Catch::Contains("delivered"));
}

TEST_CASE("warnings fail the check under --werror") {
  auto scratch = testing::ScratchDir("werror");
  auto file = scratch / "w.journey";
  testing::WriteText(file,
                     "event E { x: int }\njourney j {\n  on E\n"
                     "  send email \"a\"\n  exit\n  send email \"b\"\n}\n");
  auto plain = RunParcours({"check", file.string()}, scratch);
  CHECK(plain.exit_code == 0);
  CHECK_THAT(plain.err, Catch::Contains("warning[W0300]"));
  auto strict = RunParcours({"check", "--werror", file.string()}, scratch);
  CHECK(strict.exit_code == 1);
  CHECK_THAT(strict.err, Catch::Contains("error[W0300]"));
}

TEST_CASE("a warning under --werror is reported once, as an error") {
  auto scratch = testing::ScratchDir("werror-once");
  auto file = scratch / "t.journey";
  testing::WriteText(file,
                     "event E \"E\" { x: int }\njourney j {\n  on E\n"
                     "  send email \"a\"\n}\n"
                     "test \"nothing at all\" {\n  given profile \"p\"\n}\n");
  auto count = [](const std::string& text, const std::string& part) {
    size_t found = 0;
    for (size_t at = text.find(part); at != std::string::npos;
         at = text.find(part, at + 1)) {
      ++found;
    }
    return found;
  };
  for (const char* command : {"check", "test"}) {
    INFO(command);
    auto strict = RunParcours({command, "--werror", file.string()}, scratch);
    CHECK(strict.exit_code == 1);
    CHECK(count(strict.err + strict.out, "W0313") == 1);
    CHECK(count(strict.err, "error[W0313]") == 1);
  }
  auto json = RunParcours(
      {"check", "--werror", "--format", "json", file.string()}, scratch);
  CHECK(count(json.err + json.out, "W0313") == 1);
  CHECK_THAT(json.out, Catch::Contains("\"severity\":\"error\""));
}

TEST_CASE("build says why it cannot write its output") {
  auto scratch = testing::ScratchDir("build-output-reason");
  auto file = scratch / "b.journey";
  testing::WriteText(file,
                     "event E \"E\" { x: int }\njourney j {\n  on E\n"
                     "  send email \"a\"\n}\n");
  std::string missing = (scratch / "no-such-folder" / "out.ir").string();
  auto no_folder =
      RunParcours({"build", file.string(), "-o", missing}, scratch);
  CHECK(no_folder.exit_code == 2);
  CHECK_THAT(no_folder.err, Catch::Contains("cannot write `" + missing +
                                            "`: No such file or directory"));

  auto full = RunParcours({"build", file.string(), "-o", "/dev/full"}, scratch);
  CHECK(full.exit_code == 2);
  CHECK_THAT(full.err, Catch::Contains("cannot write `/dev/full`: No space "
                                       "left on device"));
}

TEST_CASE("usage and I/O problems exit with 2") {
  auto scratch = testing::ScratchDir("usage");
  CHECK(RunParcours({}, scratch).exit_code == 2);
  CHECK(RunParcours({"frobnicate"}, scratch).exit_code == 2);
  CHECK(RunParcours({"check", "/nonexistent/x.journey"}, scratch).exit_code ==
        2);
  CHECK(RunParcours({"run", kCampaign}, scratch).exit_code == 2);
  CHECK(RunParcours({"build", kCampaign, "--emit", "asm"}, scratch).exit_code ==
        2);

  // A flag whose value was forgotten does not swallow the next flag.
  auto forgotten = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                                "--state", "--out", "actions.jsonl"},
                               scratch);
  CHECK(forgotten.exit_code == 2);
  CHECK_THAT(forgotten.err,
             Catch::Contains("`--state` needs a value, but is followed by the "
                             "option `--out`"));
  CHECK_FALSE(std::filesystem::exists(scratch / "--out"));

  // A folder cannot take dead letters: refused before the run, not
  // reported as written and then failed at the first bad line.
  auto folder_letters = RunParcours(
      {"run", kCampaign, "--events", kSmallEvents, "--state",
       (scratch / "d.db").string(), "--dead-letter", scratch.string()},
      scratch);
  CHECK(folder_letters.exit_code == 2);
  CHECK_THAT(folder_letters.err, Catch::Contains("is a folder"));
  CHECK_THAT(folder_letters.err, !Catch::Contains("dead letters written"));
  CHECK_FALSE(std::filesystem::exists(scratch / "d.db"));

  // A JIT cache that is a file could never be written.
  auto file_cache =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "c.db").string(), "--jit-cache", "/dev/null"},
                  scratch);
  CHECK(file_cache.exit_code == 2);
  CHECK_THAT(file_cache.err, Catch::Contains("`/dev/null` is not a folder"));

  // Nor could one whose folder cannot be made (here under a file): the
  // run went on without a word and every start paid for LLVM again.
  testing::WriteText(scratch / "plain", "x");
  auto cache_under_file = (scratch / "plain" / "cache").string();
  auto unmade_cache = RunParcours(
      {"run", kCampaign, "--events", kSmallEvents, "--state",
       (scratch / "u.db").string(), "--jit-cache", cache_under_file},
      scratch);
  CHECK(unmade_cache.exit_code == 2);
  CHECK_THAT(unmade_cache.err,
             Catch::Contains("`--jit-cache` folder `" + cache_under_file +
                             "` cannot be made: "));
  CHECK_FALSE(std::filesystem::exists(scratch / "u.db"));

  // A batch size past what a number holds is a typo.
  auto huge_batch = RunParcours(
      {"run", kCampaign, "--events", kSmallEvents, "--state",
       (scratch / "b.db").string(), "--batch", "99999999999999999999"},
      scratch);
  CHECK(huge_batch.exit_code == 2);
  CHECK_THAT(huge_batch.err,
             Catch::Contains("`--batch` takes a whole number from 1 to"));
}

// `parcours lint`, the command another tool would have, said only
// "unknown command" over the whole usage.
TEST_CASE("an unknown command is told the command that was likely meant") {
  auto scratch = testing::ScratchDir("unknown-command");
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"lint",
       "unknown command `lint`; did you mean `check` (it parses, "
       "type-checks and lints)?"},
      {"format", "unknown command `format`; did you mean `fmt`"},
      {"chek", "unknown command `chek`; did you mean `check`?"},
      {"tset", "unknown command `tset`; did you mean `test`?"}};
  for (const auto& [command, said] : calls) {
    INFO(command);
    auto result = RunParcours({command, kCampaign}, scratch);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::StartsWith("parcours: " + said));
    CHECK_THAT(result.err, Catch::Contains("\nusage: parcours <command>"));
  }
  auto far = RunParcours({"frobnicate"}, scratch);
  CHECK_THAT(far.err, Catch::StartsWith("parcours: unknown command "
                                        "`frobnicate`\n\n"));
}

TEST_CASE("a program named as stdin is refused with a message that says why") {
  auto scratch = testing::ScratchDir("dash-source");
  testing::WriteText(scratch / "p.journey", "segment s = true\n");
  auto stdin_path = (scratch / "p.journey").string();
  const std::string expected =
      "parcours: `-` (standard input) cannot be read as a program: name its "
      ".journey files or folders, and save an editor's text to a file first "
      "(`./-` names a file called `-`)\n";
  const std::vector<std::vector<std::string>> commands = {
      {"check", "-"},
      {"fmt", "-"},
      {"fmt", "--check", "-"},
      {"build", "-"},
      {"test", "-"},
      {"check", stdin_path, "-"},
      {"run", "-", "--events", kSmallEvents, "--state",
       (scratch / "s.db").string()}};
  for (const std::vector<std::string>& command : commands) {
    INFO(command[0] << " " << command[1]);
    auto result = RunParcours(command, scratch, stdin_path);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::StartsWith(expected));
    CHECK(result.out.empty());
  }
  CHECK_FALSE(std::filesystem::exists(scratch / "s.db"));

  // A file really called `-` is named by a path.
  testing::WriteText(scratch / "-", "segment s = true\n");
  CHECK(RunParcours({"check", (scratch / "-").string()}, scratch).exit_code ==
        0);
}

TEST_CASE("every command called wrongly prints its usage line") {
  auto scratch = testing::ScratchDir("usage-lines");
  auto state = (scratch / "s.db").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> calls = {
      {{"check"}, "usage: parcours check PATH..."},
      {{"check", kCampaign, "--bogus"}, "usage: parcours check PATH..."},
      {{"check", kCampaign, "--format", "xml"},
       "usage: parcours check PATH..."},
      {{"build"}, "usage: parcours build PATH..."},
      {{"build", kCampaign, "--emit", "asm"}, "usage: parcours build PATH..."},
      {{"explain"}, "usage: parcours explain --state"},
      {{"explain", "--state", state, "--profile", "a", "b"},
       "usage: parcours explain --state"},
      {{"test"}, "usage: parcours test PATH..."},
      {{"fmt"}, "usage: parcours fmt "},
      {{"run"}, "usage: parcours run PATH..."},
      {{"import"}, "usage: parcours import csv"},
      {{"report"}, "usage: parcours report "}};
  for (const auto& [args, usage] : calls) {
    INFO(args.size() << " arguments, from " << args.front());
    auto result = RunParcours(args, scratch);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::StartsWith("parcours: ") &&
                               Catch::Contains("\n" + usage));
  }
}

// A script that names two events files read only the second one, and the
// first one's events were lost without a word.
TEST_CASE("an option given twice with two values is refused") {
  auto scratch = testing::ScratchDir("twice");
  testing::WriteText(scratch / "a.jsonl", "");
  auto events =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--events",
                   "a.jsonl", "--state", (scratch / "s.db").string()},
                  scratch);
  CHECK(events.exit_code == 2);
  CHECK_THAT(events.err, Catch::Contains("`--events` is given twice, as `" +
                                         kSmallEvents + "` and as `a.jsonl`"));
  CHECK_THAT(events.err, Catch::Contains("--events -"));
  CHECK_FALSE(std::filesystem::exists(scratch / "s.db"));

  // Both spellings of the dead-letter option are one option.
  auto letters =
      RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                   (scratch / "s.db").string(), "--dead-letter", "x.jsonl",
                   "--dead-letters", "y.jsonl"},
                  scratch);
  CHECK(letters.exit_code == 2);
  CHECK_THAT(letters.err, Catch::Contains("`--dead-letter` is given twice"));

  auto format = RunParcours(
      {"check", kCampaign, "--format", "json", "--format", "sarif"}, scratch);
  CHECK(format.exit_code == 2);
  CHECK_THAT(format.err, Catch::Contains("`--format` is given twice"));

  // The same value twice loses nothing.
  CHECK(
      RunParcours({"check", kCampaign, "--format", "text", "--format", "text"},
                  scratch)
          .exit_code == 0);
}

// `--format=json` was an unknown option: only `--format json` worked,
// though most tools take both.
TEST_CASE("an option's value may follow an equals sign") {
  auto scratch = testing::ScratchDir("equals");
  auto spaced = RunParcours({"check", kCampaign, "--format", "json"}, scratch);
  auto joined = RunParcours({"check", kCampaign, "--format=json"}, scratch);
  CHECK(joined.exit_code == spaced.exit_code);
  CHECK(joined.out == spaced.out);
  CHECK(joined.err == spaced.err);

  auto run_spaced = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                                 "--state", (scratch / "a.db").string()},
                                scratch);
  auto run_joined = RunParcours(
      {"run", kCampaign, "--events=" + kSmallEvents,
       "--state=" + (scratch / "b.db").string(), "--dead-letters=x.jsonl"},
      scratch);
  REQUIRE(run_spaced.exit_code == 0);
  CHECK(run_joined.exit_code == 0);
  CHECK(run_joined.out == run_spaced.out);
  CHECK(std::filesystem::exists(scratch / "b.db"));

  // The same checks as for the spaced form.
  auto empty = RunParcours({"check", kCampaign, "--format="}, scratch);
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.err, Catch::Contains("`--format` needs a value"));
  auto twice = RunParcours(
      {"check", kCampaign, "--format=json", "--format", "sarif"}, scratch);
  CHECK(twice.exit_code == 2);
  CHECK_THAT(twice.err, Catch::Contains("`--format` is given twice"));
  auto bad = RunParcours({"check", kCampaign, "--format=yaml"}, scratch);
  auto bad_spaced =
      RunParcours({"check", kCampaign, "--format", "yaml"}, scratch);
  CHECK(bad.exit_code == bad_spaced.exit_code);
  CHECK(bad.err == bad_spaced.err);
}

// `--state=--out` was refused as "followed by the option `--out`", though
// nothing followed: the message now says which option took which value.
TEST_CASE("a value that looks like an option is named with its option") {
  auto scratch = testing::ScratchDir("option-like-values");
  auto run = [&](const std::vector<std::string>& more) {
    std::vector<std::string> args = {"run", kCampaign, "--events",
                                     kSmallEvents};
    args.insert(args.end(), more.begin(), more.end());
    return RunParcours(args, scratch);
  };

  auto joined = run({"--state=--out", "--out", "actions.jsonl"});
  CHECK(joined.exit_code == 2);
  CHECK_THAT(joined.err,
             Catch::StartsWith("parcours: `--state=--out` gives `--state` the "
                               "value `--out`, which looks like an option; a "
                               "file really named so is written `./--out`\n"));

  auto spaced = run({"--state", "--out", "actions.jsonl"});
  CHECK(spaced.exit_code == 2);
  CHECK_THAT(spaced.err,
             Catch::StartsWith("parcours: `--state` needs a value, but is "
                               "followed by the option `--out`; a file really "
                               "named so is written `./--out`\n"));

  // A bare `--` made a state file of that name.
  for (const std::vector<std::string>& more :
       {std::vector<std::string>{"--state=--"},
        std::vector<std::string>{"--state", "--"}}) {
    auto dashes = run(more);
    CHECK(dashes.exit_code == 2);
    CHECK_THAT(dashes.err, Catch::Contains("the value `--`") ||
                               Catch::Contains("the option `--`"));
  }
  CHECK_FALSE(std::filesystem::exists("--"));
  CHECK_FALSE(std::filesystem::exists(scratch / "--"));
  CHECK_FALSE(std::filesystem::exists(scratch / "--out"));
}

// `explain --profile 17850 13047` showed the first profile only, and the
// second one's timeline went missing without a word.
TEST_CASE("explain refuses a second profile rather than ignore it") {
  auto scratch = testing::ScratchDir("explain-two");
  auto state = (scratch / "s.db").string();
  REQUIRE(RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                       state, "--out", "/dev/null"},
                      scratch)
              .exit_code == 0);
  auto one =
      RunParcours({"explain", "--state", state, "--profile", "17850"}, scratch);
  CHECK(one.exit_code == 0);

  auto two = RunParcours(
      {"explain", "--state", state, "--profile", "17850", "13047"}, scratch);
  CHECK(two.exit_code == 2);
  CHECK(two.out.empty());
  CHECK(two.err ==
        "parcours: explain reads one profile, named by --profile; `13047` is "
        "not an option's value\n"
        "usage: parcours explain --state DB|FOLDER --profile ID\n");
}

// `-` is stdin or stdout for `--events` and `--out`; `--dead-letter -`
// wrote the letters to a file named `-` in the current folder.
TEST_CASE("dead letters to - are refused, not written to a file named -") {
  auto scratch = testing::ScratchDir("dash-letters");
  auto run = RunParcours(
      {"run", kCampaign, "--events", kSmallEvents, "--state",
       (scratch / "s.db").string(), "--out", "/dev/null", "--dead-letter", "-"},
      scratch);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("`--dead-letter -` would write a file "
                                      "named `-`"));
  CHECK_THAT(run.err, Catch::Contains("/dev/stderr"));
  CHECK_FALSE(std::filesystem::exists(scratch / "s.db"));

  testing::WriteText(scratch / "m.json",
                     R"({"event": "E", "user_id": "id",
      "timestamp": {"column": "at", "format": "epoch_seconds"}})");
  testing::WriteText(scratch / "in.csv", "id,at\n,1\n");
  auto import = RunParcours({"import", "csv", "--mapping", "m.json", "in.csv",
                             "--out", "/dev/null", "--dead-letters", "-"},
                            scratch);
  CHECK(import.exit_code == 2);
  CHECK_THAT(import.err, Catch::Contains("`--dead-letter -` would write a "
                                         "file named `-`"));
  CHECK_FALSE(std::filesystem::exists(scratch / "-"));
}

// An export left compressed made every line a dead letter, and the run
// ended with exit code 0 having applied nothing: a CI job passed.
TEST_CASE("a compressed events file is refused with the way to read it") {
  auto scratch = testing::ScratchDir("compressed-events");
  auto events = (scratch / "events.jsonl.gz").string();
  REQUIRE(std::system(("gzip -c " + testing::ShellQuote(kSmallEvents) + " > " +
                       testing::ShellQuote(events))
                          .c_str()) == 0);
  auto state = (scratch / "s.db").string();

  auto run = RunParcours({"run", kCampaign, "--events", events, "--state",
                          state, "--out", "/dev/null"},
                         scratch);

  CHECK(run.exit_code == 2);
  CHECK(run.err == "parcours: events file `" + events +
                       "` is compressed (gzip), not JSON lines; decompress "
                       "it into the run: `gzip -dc " +
                       events + " | parcours run ... --events -`\n");
  CHECK_FALSE(std::filesystem::exists(state));
}

// An export in UTF-16, as some Windows tools write it, made every line a
// dead letter ("not JSON"), and the run ended with exit code 0 having
// applied nothing; `import csv` refuses such a file already.
TEST_CASE("a UTF-16 events file is refused with the way to read it") {
  auto scratch = testing::ScratchDir("utf16-events");
  const std::string line =
      R"({"type":"identify","userId":"1","timestamp":"2011-01-03T10:00:00Z"})";
  auto utf16 = [&](bool big_endian, bool marked) {
    std::string text;
    if (marked) text += big_endian ? "\xfe\xff" : "\xff\xfe";
    for (char c : line + "\n") {
      text += big_endian ? std::string(1, '\0') + c : std::string(1, c) + '\0';
    }
    return text;
  };
  struct Case {
    const char* name;
    std::string text;
    const char* why;
    const char* encoding;
  };
  const Case cases[] = {
      {"marked.jsonl", utf16(false, true),
       "it starts with a UTF-16 byte-order mark", "UTF-16"},
      {"little.jsonl", utf16(false, false), "its `{` takes two bytes",
       "UTF-16LE"},
      {"big.jsonl", utf16(true, false), "its `{` takes two bytes", "UTF-16BE"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto events = (scratch / c.name).string();
    testing::WriteText(events, c.text);
    auto state = (scratch / "s.db").string();
    auto run = RunParcours({"run", kCampaign, "--events", events, "--state",
                            state, "--out", "/dev/null"},
                           scratch);
    CHECK(run.exit_code == 2);
    CHECK(run.err == "parcours: events file `" + events + "` is UTF-16 text (" +
                         c.why +
                         "), not UTF-8 JSON lines; convert it into the run: "
                         "`iconv -f " +
                         c.encoding + " -t UTF-8 " + events +
                         " | parcours run ... --events -`\n");
    CHECK_FALSE(std::filesystem::exists(state));
  }
}

TEST_CASE("each command answers --help with its own usage") {
  auto scratch = testing::ScratchDir("help");
  const char* commands[] = {"check", "build",  "run",    "test",
                            "fmt",   "import", "report", "explain"};
  for (const char* command : commands) {
    INFO(command);
    auto help = RunParcours({command, "--help"}, scratch);
    CHECK(help.exit_code == 0);
    CHECK(help.err.empty());
    CHECK_THAT(help.out, Catch::StartsWith(std::string("usage of parcours ") +
                                           command + ":\n  " + command));
    CHECK(RunParcours({command, "-h"}, scratch).out == help.out);
    CHECK(RunParcours({"help", command}, scratch).out == help.out);
  }

  // The options each one takes, and only those of its family.
  CHECK_THAT(RunParcours({"check", "--help"}, scratch).out,
             Catch::Contains("--werror"));
  auto run = RunParcours({"run", kCampaign, "--help"}, scratch).out;
  CHECK_THAT(run, Catch::Contains("sqlite:DB"));
  CHECK_THAT(run, Catch::Contains("--unsubscribe-url"));
  CHECK_THAT(run, !Catch::Contains("import csv"));
  auto fmt = RunParcours({"fmt", "--help"}, scratch).out;
  CHECK_THAT(fmt, Catch::Contains("--format text|json|sarif"));
  CHECK_THAT(fmt, !Catch::Contains("--werror"));
  auto report = RunParcours({"report", "--help"}, scratch).out;
  CHECK_THAT(report, Catch::Contains("report backtest"));
  CHECK_THAT(report, Catch::Contains("report caps"));
  CHECK_THAT(report, Catch::Contains("report loyalty"));
  CHECK_THAT(report, !Catch::Contains("explain"));
  CHECK(RunParcours({"import", "csv", "--help"}, scratch).exit_code == 0);
}

// A bug report starts with what was run: the state schema this build
// writes and the versions of the libraries it was built with, read from
// them rather than written down.
TEST_CASE("`--version` names the state schema and the libraries") {
  auto scratch = testing::ScratchDir("version");
  auto version = RunParcours({"--version"}, scratch);
  CHECK(version.exit_code == 0);
  CHECK(version.err.empty());
  CHECK_THAT(version.out,
             Catch::StartsWith("parcours: state files of schema " +
                               std::to_string(store::kSchemaVersion) + "\n"));
  CHECK_THAT(version.out,
             Catch::Contains(std::string("SQLite ") + sqlite3_libversion()));
  CHECK_THAT(version.out, Catch::Contains("LLVM " + jit::LlvmVersion()));
  CHECK_THAT(version.out,
             Catch::Matches("(.|\n)*tz database 20[0-9][0-9][a-z]\n"));
  CHECK(RunParcours({"version"}, scratch).out == version.out);
}

// A source another user cannot read says why. Root reads any file, so
// the reader is `nobody`, through setpriv, on a copy of the binary it can
// reach.
TEST_CASE("a source the user may not read says why") {
  namespace fs = std::filesystem;
  fs::path scratch = testing::SharedScratchDir("unreadable");
  auto source = scratch / "private.journey";
  testing::WriteText(source, "segment s = true\n");
  fs::permissions(source, fs::perms::owner_read | fs::perms::owner_write);

  for (const char* command : {"check", "fmt"}) {
    INFO(command);
    auto result = testing::RunCopy(scratch, {command, source.string()}, true);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err, Catch::Contains("cannot read `" + source.string() +
                                           "`: Permission denied"));
  }
  fs::remove_all(scratch);
}

TEST_CASE("every report and explain say that a state file does not exist") {
  auto scratch = testing::ScratchDir("no-state");
  std::vector<std::vector<std::string>> commands = {
      {"report", "backtest", "--state", "missing.db"},
      {"report", "caps", "--state", "missing.db"},
      {"report", "loyalty", "--state", "missing.db", "--as-of", "2025-01-01"},
      {"explain", "--state", "missing.db", "--profile", "p1"}};
  for (const auto& command : commands) {
    INFO(command[1]);
    auto result = RunParcours(command, scratch);
    CHECK(result.exit_code == 2);
    CHECK(result.err == "parcours: state file `missing.db` does not exist\n");
    CHECK_FALSE(std::filesystem::exists(scratch / "missing.db"));
  }
}

// `--state /dev/null` failed with "disk I/O error" after making
// /dev/null.lock; the reports said "no such table: log".
TEST_CASE("a state that is a device or a pipe is refused, with no lock") {
  auto scratch = testing::ScratchDir("device-state");
  auto pipe = (scratch / "state.pipe").string();
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);
  const std::string refusal = "is not a file but a device or a pipe";

  auto run = RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                          pipe, "--out", "/dev/null"},
                         scratch);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("state file `" + pipe + "` " + refusal));
  CHECK_FALSE(std::filesystem::exists(pipe + ".lock"));

  std::vector<std::vector<std::string>> readers = {
      {"report", "backtest", "--state", "/dev/null"},
      {"report", "caps", "--state", "/dev/null"},
      {"report", "loyalty", "--state", "/dev/null", "--as-of", "2025-01-01"},
      {"explain", "--state", "/dev/null", "--profile", "p1"}};
  for (const auto& command : readers) {
    INFO(command[1]);
    auto result = RunParcours(command, scratch);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.err,
               Catch::Contains("state file `/dev/null` " + refusal));
  }
}

TEST_CASE("every report and explain say that a state file is empty") {
  // `touch state.db`, or a run that failed before its first commit,
  // leaves a file of no bytes: SQLite takes it for an empty database,
  // and the reports said only "no such table: log".
  auto scratch = testing::ScratchDir("empty-state");
  std::string state = (scratch / "empty.db").string();
  testing::WriteText(state, "");
  std::vector<std::vector<std::string>> commands = {
      {"report", "backtest", "--state", state},
      {"report", "caps", "--state", state},
      {"report", "loyalty", "--state", state, "--as-of", "2025-01-01"},
      {"explain", "--state", state, "--profile", "p1"}};
  for (const auto& command : commands) {
    INFO(command[1]);
    auto result = RunParcours(command, scratch);
    CHECK(result.exit_code == 2);
    CHECK(result.err ==
          "parcours: state file `" + state +
              "` is empty: no run has saved anything to it yet; run "
              "`parcours run ... --state " +
              state + "` first, or name the state file a run wrote\n");
    CHECK(std::filesystem::file_size(state) == 0);
  }
}

TEST_CASE("build prints the IR and the LLVM module") {
  auto scratch = testing::ScratchDir("build");
  auto ir = RunParcours({"build", kCampaign, "--emit", "ir"}, scratch);
  CHECK(ir.exit_code == 0);
  CHECK(ir.out ==
        testing::ReadText(testing::SourceDir() / "tests/ir/retail.ir"));

  auto llvm = RunParcours({"build", kCampaign, "--emit", "llvm"}, scratch);
  CHECK(llvm.exit_code == 0);
  CHECK_THAT(llvm.out, Catch::Contains("@pc_fn3("));

  auto ast = RunParcours({"build", kCampaign, "--emit", "ast"}, scratch);
  CHECK(ast.exit_code == 0);
  CHECK_THAT(ast.out, Catch::Contains("journey we_miss_you"));
}

TEST_CASE("the interpreter and the JIT write the same bytes") {
  auto scratch = testing::ScratchDir("engines");
  std::string outputs[2];
  const char* engines[] = {"interp", "jit"};
  for (int i = 0; i < 2; ++i) {
    auto state = scratch / (std::string(engines[i]) + ".db");
    auto out = scratch / (std::string(engines[i]) + ".jsonl");
    auto result = RunParcours(
        {"run", kCampaign, "--events", kSmallEvents, "--state", state.string(),
         "--out", out.string(), "--engine", engines[i]},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    outputs[i] = testing::ReadText(out);
  }
  CHECK(outputs[0].size() > 10000);
  CHECK(outputs[0] == outputs[1]);
}

TEST_CASE("the same events twice into one state send nothing twice") {
  auto scratch = testing::ScratchDir("twice");
  auto state = (scratch / "state.db").string();
  auto first = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                            "--state", state, "--out", "-"},
                           scratch);
  REQUIRE(first.exit_code == 0);
  CHECK(!first.out.empty());

  auto second = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                             "--state", state, "--out", "-"},
                            scratch);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.empty());
  CHECK_THAT(second.err, Catch::Contains("2744 duplicate"));
}

TEST_CASE("a broken event line goes to the dead-letter file") {
  auto scratch = testing::ScratchDir("dead-letter");
  auto events = scratch / "events.jsonl";
  std::string lines = testing::ReadText(kSmallEvents);
  size_t third_line = lines.find('\n', lines.find('\n') + 1) + 1;
  lines.insert(third_line, "{\"type\":\"track\", this is not json\n");
  testing::WriteText(events, lines);
  auto dead = scratch / "dead.jsonl";

  auto result = RunParcours(
      {"run", kCampaign, "--events", events.string(), "--state",
       (scratch / "state.db").string(), "--out",
       (scratch / "out.jsonl").string(), "--dead-letter", dead.string()},
      scratch);
  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err, Catch::Contains("1 dead letter"));
  std::string dead_text = testing::ReadText(dead);
  CHECK_THAT(dead_text, Catch::StartsWith("{\"line\":3,\"reason\":"));
  CHECK_THAT(dead_text, Catch::Contains("this is not json"));

  SECTION(
      "and a dead-letter file that cannot be written stops the run, "
      "saying why, and counts nothing as written") {
    auto missing = RunParcours(
        {"run", kCampaign, "--events", events.string(), "--state",
         (scratch / "missing.db").string(), "--out", "-", "--dead-letter",
         (scratch / "no-such-folder" / "dead.jsonl").string()},
        scratch);
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("no-such-folder` does not exist"));
    CHECK_THAT(missing.err, !Catch::Contains("dead letters written"));

    auto full = RunParcours({"run", kCampaign, "--events", events.string(),
                             "--state", (scratch / "full.db").string(), "--out",
                             "-", "--dead-letter", "/dev/full"},
                            scratch);
    CHECK(full.exit_code == 2);
    CHECK_THAT(full.err, Catch::Contains("No space left on device"));
    CHECK_THAT(full.err, !Catch::Contains("dead letters written"));
  }

  SECTION("and stops the run under --strict") {
    auto strict = RunParcours(
        {"run", kCampaign, "--events", events.string(), "--state",
         (scratch / "strict.db").string(), "--out", "-", "--strict"},
        scratch);
    CHECK(strict.exit_code == 1);
    CHECK_THAT(strict.err, Catch::Contains("line 3"));
  }
}

TEST_CASE("build runs the IR passes before printing the IR") {
  auto scratch = testing::ScratchDir("passes");
  auto file = scratch / "p.journey";
  testing::WriteText(file,
                     "event Order { total: money }\n"
                     "journey j {\n  on Order as o\n"
                     "  if 1 > 2 { send email \"never\" }\n"
                     "  else { send email \"always\" }\n}\n");
  auto build = RunParcours({"build", file.string(), "--emit", "ir"}, scratch);
  CHECK(build.exit_code == 0);
  CHECK_THAT(build.out, Catch::Contains("%0 = const bool 0"));
  CHECK_THAT(build.out, Catch::Contains("0 send2: send email \"always\""));
  CHECK(build.out.find("never") == std::string::npos);
}

TEST_CASE("verbose output times the passes and the JIT, hit or miss") {
  auto scratch = testing::ScratchDir("verbose");
  auto build =
      RunParcours({"build", kCampaign, "--emit", "llvm", "--verbose"}, scratch);
  CHECK_THAT(build.err, Catch::Contains("parcours: passes "));
  CHECK_THAT(build.err, Catch::Contains("parcours: llvm "));

  auto cache = (scratch / "cache").string();
  std::string outcomes[2];
  for (int i = 0; i < 2; ++i) {
    auto state = scratch / ("state" + std::to_string(i) + ".db");
    auto run = RunParcours(
        {"run", kCampaign, "--events", kSmallEvents, "--state", state.string(),
         "--out", "-", "--jit-cache", cache, "--verbose"},
        scratch);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.err, Catch::Contains("parcours: passes "));
    outcomes[i] = run.err;
  }
  CHECK_THAT(outcomes[0], Catch::Contains("(cache miss; lower "));
  CHECK_THAT(outcomes[0], Catch::Contains(", codegen "));
  CHECK_THAT(outcomes[1], Catch::Contains(" ms (cache hit)"));
}

TEST_CASE("SARIF names a file by a URI reference, percent-encoded") {
  auto scratch = testing::ScratchDir("sarif-uri");
  auto odd = scratch / "ty p\xc3\xa9#1.journey";
  testing::WriteText(odd, "segment s = count(Nope) > 1\n");

  auto result =
      RunParcours({"check", "--format", "sarif", odd.string()}, scratch);

  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("ty%20p%C3%A9%231.journey\""));
  CHECK_THAT(result.out, !Catch::Contains("#1.journey"));
}

// Columns count code points. SARIF readers take columns for UTF-16 units
// unless the log says otherwise, so an emoji before the mistake (two
// UTF-16 units, one code point) moved the mark one column off.
TEST_CASE("SARIF says its columns count code points") {
  auto scratch = testing::ScratchDir("sarif-columns");
  auto program = scratch / "c.journey";
  testing::WriteText(program,
                     "segment s = \"\xf0\x9f\x98\x80\" == \"x\" and "
                     "count(Nope) > 1\n");

  auto result =
      RunParcours({"check", "--format", "sarif", program.string()}, scratch);

  CHECK(result.exit_code == 1);
  auto log = nlohmann::json::parse(result.out);
  const auto& run = log["runs"][0];
  CHECK(run["columnKind"] == "unicodeCodePoints");
  // `segment s = "X" == "x" and count(` is 33 code points: `Nope` at 34.
  CHECK(run["results"][0]["locations"][0]["physicalLocation"]["region"]
           ["startColumn"] == 34);
}

TEST_CASE("build refuses to write its output over a source file") {
  auto scratch = testing::ScratchDir("build-over-source");
  auto source = scratch / "shop.journey";
  const std::string text =
      "event E \"E\" { n: int }\njourney j {\n  on E\n"
      "  send email \"x\"\n}\n";
  testing::WriteText(source, text);

  auto result =
      RunParcours({"build", source.string(), "-o", source.string()}, scratch);

  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("is one of the program's own files"));
  CHECK(testing::ReadText(source) == text);
}

}  // namespace
}  // namespace parcours
