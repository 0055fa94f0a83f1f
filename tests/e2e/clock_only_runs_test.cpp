// Runs that only move the clock (`--events` empty, `--until` later), as a
// daily job makes them, give the actions of one run over the same events,
// with the same ids, byte for byte: however the clock-only stretches are
// split into runs, with a state of one file or of partitions.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/schema_downgrade.h"
#include "tests/support/state_queries.h"

namespace parcours {
namespace {

using testing::RunParcours;

// One `parcours run` on the state: over `events` (a file in `scratch`),
// to `until` when it is not empty.
struct Step {
  std::string events;
  std::string until;
};

// The arguments of `step`, writing to `out`, with `state` (and any more
// options) at the end.
std::vector<std::string> StepArgs(const std::filesystem::path& scratch,
                                  const std::string& program,
                                  const std::string& out,
                                  const std::vector<std::string>& state,
                                  const Step& step) {
  std::vector<std::string> args = {"run",
                                   program,
                                   "--events",
                                   (scratch / step.events).string(),
                                   "--out",
                                   out,
                                   "--engine",
                                   "interp",
                                   "--max-clock-jump",
                                   "400d"};
  args.insert(args.end(), state.begin(), state.end());
  if (!step.until.empty()) {
    args.push_back("--until");
    args.push_back(step.until);
  }
  return args;
}

// The lines the runs on one state file have counted (`lines_total`), 0
// before the first. A run killed before its first commit may leave a file
// with no table yet (schema 0).
int64_t LinesTotal(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  if (testing::QueryInt(path, "PRAGMA user_version") == 0) return 0;
  return testing::QueryInt(
      path,
      "SELECT coalesce((SELECT value FROM meta WHERE key = 'lines_total'), "
      "0)");
}

// Runs `steps` in turn on one state and returns what they wrote to one
// output file. `state` names the state (and any `--partitions`). With
// `random`, each step is first started and killed a few times at random
// moments, then run to its end (one state file only).
std::string RunSteps(const std::filesystem::path& scratch,
                     const std::string& program, const std::string& name,
                     const std::vector<std::string>& state,
                     const std::vector<Step>& steps,
                     std::mt19937* random = nullptr) {
  std::string out = (scratch / (name + ".jsonl")).string();
  std::uniform_int_distribution<int> delay_ms(5, 80);
  for (const Step& step : steps) {
    int64_t lines_before = random != nullptr ? LinesTotal(state[1]) : 0;
    std::vector<std::string> args =
        StepArgs(scratch, program, out, state, step);
    for (int kill = 0; random != nullptr && kill < 3; ++kill) {
      // A run killed only after it had counted its input is not a crash
      // mid-run: running its input again would be a second input, whose
      // lines (all duplicates) a state counts as new lines. What is left
      // then is the delivery and the clock, which an empty input does.
      if (LinesTotal(state[1]) != lines_before) {
        args =
            StepArgs(scratch, program, out, state, {"empty.jsonl", step.until});
      }
      pid_t child = testing::StartParcours(args);
      REQUIRE(child > 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(*random)));
      ::kill(child, SIGKILL);
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      if (!WIFSIGNALED(status)) REQUIRE(WEXITSTATUS(status) == 0);
    }
    if (random != nullptr && LinesTotal(state[1]) != lines_before) {
      args =
          StepArgs(scratch, program, out, state, {"empty.jsonl", step.until});
    }
    auto result = RunParcours(args, scratch);
    INFO(name << ", " << step.events << " to `" << step.until
              << "`: " << result.err);
    REQUIRE(result.exit_code == 0);
  }
  return testing::ReadText(out);
}

std::string OneFile(const std::filesystem::path& scratch,
                    const std::string& name) {
  return (scratch / (name + ".db")).string();
}

// Ids of the actions in `actions`, in order.
std::vector<std::string> Ids(const std::string& actions) {
  std::vector<std::string> ids;
  size_t at = 0;
  while ((at = actions.find("\"id\":\"", at)) != std::string::npos) {
    ids.push_back(actions.substr(at + 6, 16));
    at += 6;
  }
  return ids;
}

// The lines of `actions`, sorted.
std::vector<std::string> Sorted(const std::string& actions) {
  std::vector<std::string> lines;
  std::istringstream in(actions);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// A daily schedule, a birthday, a segment that time alone enters, and a
// journey an event starts: what time starts between runs and what the
// next event starts must keep their ids.
const char kProgram[] = R"(module clock
profile {
  email: string = "a@b.c"
  timezone: tz = "UTC"
  birthday: date?
}

event Ping {}

segment idle = days_since(last(Ping)) >= 2

journey daily {
  every day 09:00 local
  send email "daily"
}

journey birthday {
  on date profile.birthday at 09:00 local
  send email "birthday"
}

journey nudge {
  on entered(idle)
  send email "idle"
}

journey ping {
  on Ping
  reentry after 1d
  send email "pong"
  wait 1d
  send email "pong again"
}
)";

std::string Identify(const std::string& id, const std::string& at,
                     const std::string& traits) {
  return R"({"type":"identify","userId":")" + id + R"(","timestamp":")" + at +
         R"(","traits":)" + traits + "}\n";
}

std::string Ping(const std::string& id, const std::string& at) {
  return R"({"type":"track","event":"Ping","userId":")" + id +
         R"(","timestamp":")" + at + R"(","properties":{}})" + "\n";
}

// Writes the program and its events into `scratch`: `first.jsonl` (two
// profiles and a ping), `second.jsonl` (a ping each, days later) and
// `empty.jsonl`; returns the program's path.
std::string WriteClockScenario(const std::filesystem::path& scratch) {
  std::string program = (scratch / "clock.journey").string();
  testing::WriteText(program, kProgram);
  testing::WriteText(scratch / "first.jsonl",
                     Identify("p", "2025-03-01T10:00:00Z", "{}") +
                         Identify("q", "2025-03-01T10:00:00Z",
                                  R"({"birthday":"1990-03-03"})") +
                         Ping("p", "2025-03-01T11:00:00Z"));
  testing::WriteText(
      scratch / "second.jsonl",
      Ping("p", "2025-03-05T12:00:00Z") + Ping("q", "2025-03-05T12:00:00Z"));
  testing::WriteText(scratch / "empty.jsonl", "");
  return program;
}

void Sql(const std::string& path, const std::string& sql) {
  auto db = store::Database::Open(path);
  REQUIRE(db.ok());
  common::Status done = db->Exec(sql);
  INFO(done.message());
  REQUIRE(done.ok());
}

TEST_CASE(
    "runs that only move the clock give the ids of one run however "
    "they are split") {
  auto scratch = testing::ScratchDir("clock-only-split");
  std::string program = WriteClockScenario(scratch);
  testing::WriteText(scratch / "both.jsonl",
                     testing::ReadText(scratch / "first.jsonl") +
                         testing::ReadText(scratch / "second.jsonl"));

  const std::string end = "2025-03-08T12:00:00Z";
  std::string whole =
      RunSteps(scratch, program, "whole",
               {"--state", OneFile(scratch, "whole")}, {{"both.jsonl", end}});
  // Each day's schedule, the birthday, the segment `p` enters as time
  // passes, and the pings: enough lines that a shifted number shows.
  REQUIRE(std::count(whole.begin(), whole.end(), '\n') >= 20);

  // The daily job: an empty input each day, the second events on the 5th.
  std::vector<Step> daily = {{"first.jsonl", ""},
                             {"empty.jsonl", "2025-03-02T12:00:00Z"},
                             {"empty.jsonl", "2025-03-03T12:00:00Z"},
                             {"empty.jsonl", "2025-03-04T12:00:00Z"},
                             {"second.jsonl", ""},
                             {"empty.jsonl", "2025-03-06T12:00:00Z"},
                             {"empty.jsonl", "2025-03-07T12:00:00Z"},
                             {"empty.jsonl", end}};
  CHECK(RunSteps(scratch, program, "daily",
                 {"--state", OneFile(scratch, "daily")}, daily) == whole);

  // The same stretches in fewer runs, and the empty runs twice over (a
  // job that ran again after a crash, or by mistake, changes nothing).
  std::vector<Step> coarse = {{"first.jsonl", "2025-03-03T12:00:00Z"},
                              {"empty.jsonl", "2025-03-03T12:00:00Z"},
                              {"second.jsonl", ""},
                              {"empty.jsonl", end},
                              {"empty.jsonl", end}};
  CHECK(RunSteps(scratch, program, "coarse",
                 {"--state", OneFile(scratch, "coarse")}, coarse) == whole);

  for (const char* partitions : {"2", "3"}) {
    std::string name = std::string("daily-p") + partitions;
    INFO(partitions << " partitions");
    CHECK(RunSteps(scratch, program, name,
                   {"--state", (scratch / name).string(), "--partitions",
                    partitions},
                   daily) == whole);
  }
}

// A state of schema 12 kept no profile's last number: its profiles number
// on from the highest number of the file, and no id comes twice. (An
// older Parcours counted a line for a run whose clock alone started
// instances; here the file was written by this one, which counts none, so
// the next day's numbers follow those of the day before.)
TEST_CASE("a state file of schema 12 gives no id twice") {
  auto scratch = testing::ScratchDir("clock-only-schema-12");
  std::string program = WriteClockScenario(scratch);
  std::vector<Step> first = {{"first.jsonl", "2025-03-02T12:00:00Z"}};
  std::vector<Step> rest = {{"empty.jsonl", "2025-03-03T12:00:00Z"},
                            {"second.jsonl", ""},
                            {"empty.jsonl", "2025-03-08T12:00:00Z"}};
  std::string kept = OneFile(scratch, "kept");
  std::string old = OneFile(scratch, "old");
  std::string expected =
      RunSteps(scratch, program, "kept-1", {"--state", kept}, first);
  expected += RunSteps(scratch, program, "kept-2", {"--state", kept}, rest);
  std::string got =
      RunSteps(scratch, program, "old-1", {"--state", old}, first);
  Sql(old, testing::DowngradeTo(12));
  got += RunSteps(scratch, program, "old-2", {"--state", old}, rest);
  CHECK(testing::QueryInt(old, "PRAGMA user_version") == store::kSchemaVersion);

  std::vector<std::string> ids = Ids(got);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(ids.size() == Ids(expected).size());
}

// Before instances were numbered by input line, one counter numbered
// them all, and it can pass the numbers the next lines give: such a
// file's profiles number their next instances after it, so that none
// takes an old instance's number, and with it the ids of its actions.
TEST_CASE(
    "a state file numbered by one counter numbers its next instances "
    "after it") {
  auto scratch = testing::ScratchDir("clock-only-counter");
  std::string program = WriteClockScenario(scratch);
  std::string state = OneFile(scratch, "state");
  RunSteps(scratch, program, "run-1", {"--state", state},
           {{"first.jsonl", ""}});
  const int64_t counter = int64_t{1} << 40;
  Sql(state, testing::DowngradeTo(12) +
                 "; DELETE FROM meta WHERE key IN ('lines_total', "
                 "'applied_through'); UPDATE meta SET value = " +
                 std::to_string(counter) + " WHERE key = 'next_seq'");
  RunSteps(scratch, program, "run-2", {"--state", state},
           {{"second.jsonl", ""}});
  CHECK(testing::QueryInt(state, "SELECT min(last_seq) FROM profiles") >=
        counter);
  // `p` and `q` wait a day after their second ping.
  CHECK(testing::QueryInt(
            state, "SELECT count(*) FROM instances WHERE journey = 'ping'") ==
        2);
  CHECK(testing::QueryInt(
            state, "SELECT min(seq) FROM instances WHERE journey = 'ping'") >=
        counter);
}

// The same over the UCI sample and the CRM starter, whose segments time
// alone flips for many profiles at once: the events of December 2010 and
// of June 2011 on, with the months between left to the clock.
TEST_CASE(
    "the CRM starter gives the same bytes in one run and in clock-only "
    "runs") {
  auto scratch = testing::ScratchDir("clock-only-crm");
  std::string program =
      (testing::SourceDir() / "examples/crm-starter/campaign").string();
  std::string before;
  std::string after;
  for (const std::string& line : testing::ReadLines(testing::kUciSmallEvents)) {
    size_t at = line.find("\"timestamp\":\"");
    if (at == std::string::npos) continue;
    std::string when = line.substr(at + 13, 10);
    if (when < "2011-01-01") before += line + "\n";
    if (when >= "2011-06-01") after += line + "\n";
  }
  REQUIRE(!before.empty());
  REQUIRE(!after.empty());
  testing::WriteText(scratch / "before.jsonl", before);
  testing::WriteText(scratch / "after.jsonl", after);
  testing::WriteText(scratch / "both.jsonl", before + after);
  testing::WriteText(scratch / "empty.jsonl", "");

  const std::string end = "2012-03-01T00:00:00Z";
  std::string whole =
      RunSteps(scratch, program, "whole",
               {"--state", OneFile(scratch, "whole")}, {{"both.jsonl", end}});
  REQUIRE(whole.size() > 1000);

  std::vector<Step> split = {{"before.jsonl", ""},
                             {"empty.jsonl", "2011-01-01T00:00:00Z"},
                             {"empty.jsonl", "2011-03-01T00:00:00Z"},
                             {"empty.jsonl", "2011-06-01T00:00:00Z"},
                             {"after.jsonl", ""},
                             {"empty.jsonl", "2012-01-01T00:00:00Z"},
                             {"empty.jsonl", end}};
  CHECK(RunSteps(scratch, program, "split",
                 {"--state", OneFile(scratch, "split")}, split) == whole);
  for (const char* partitions : {"2", "3"}) {
    std::string name = std::string("split-p") + partitions;
    INFO(partitions << " partitions");
    CHECK(RunSteps(scratch, program, name,
                   {"--state", (scratch / name).string(), "--partitions",
                    partitions},
                   split) == whole);
  }

  // Each run killed at random moments, then run again to its end, in
  // small batches, so that kills fall between commits: each action once,
  // with its id. (Batches of 7 lines order the actions of one instant
  // otherwise than one batch does, so the lines are compared sorted.)
  std::random_device device;
  unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  std::string killed = RunSteps(
      scratch, program, "killed",
      {"--state", OneFile(scratch, "killed"), "--batch", "7"}, split, &random);
  std::vector<std::string> ids = Ids(killed);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(Sorted(killed) == Sorted(whole));
}

// `--until now`: a daily job moves the clock to the wall clock's time
// (here the time PARCOURS_CLOCK_FILE holds) without writing it out.
TEST_CASE("`--until now` moves the clock to the time the run starts") {
  auto scratch = testing::ScratchDir("until-now");
  testing::WriteText(scratch / "p.journey", R"(module daily
event OrderPlaced "Order Completed" { total: int }

journey thanks {
  on OrderPlaced
  wait 1d
  send email "thanks"
}
)");
  testing::WriteText(
      scratch / "events.jsonl",
      R"({"type":"track","event":"Order Completed","userId":"p1",)"
      R"("messageId":"o1","timestamp":"2020-01-01T10:00:00Z",)"
      R"("properties":{"total":1}})"
      "\n");
  testing::WriteText(scratch / "empty.jsonl", "");
  testing::WriteText(scratch / "clock", "2020-01-02T09:00:00Z\n");
  ::setenv("PARCOURS_CLOCK_FILE", (scratch / "clock").c_str(), 1);
  auto run = [&](const std::string& events) {
    return RunParcours(
        {"run", (scratch / "p.journey").string(), "--events",
         (scratch / events).string(), "--state", (scratch / "s.db").string(),
         "--out", "-", "--until", "now"},
        scratch);
  };
  auto before = run("events.jsonl");
  testing::WriteText(scratch / "clock", "2020-01-02T11:00:00Z\n");
  auto after = run("empty.jsonl");
  ::unsetenv("PARCOURS_CLOCK_FILE");

  INFO(before.err << after.err);
  CHECK(before.exit_code == 0);
  CHECK(before.out.empty());
  CHECK(after.exit_code == 0);
  CHECK_THAT(after.out, Catch::Contains(R"("at":"2020-01-02T10:00:00Z")") &&
                            Catch::Contains(R"("template":"thanks")"));
}

}  // namespace
}  // namespace parcours
