// The counts of `parcours run`'s summary for what time alone did: the
// waits that timers ended, and apart from them the journeys that a
// schedule, a date or a segment flipping with time started, which no
// timer and no input line accounts for.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const char kProgram[] =
    "profile {\n  zone: tz = \"Europe/London\"\n  birthday: date?\n}\n"
    "event Order \"Order Completed\" { total: money }\n"
    "segment lapsed = days_since(last(Order)) >= 30\n"
    "journey reminder {\n  on Order\n  reentry after 7d\n  wait 1d\n"
    "  send email \"reminder\"\n}\n"
    "journey weekly {\n  every monday 10:00 local\n"
    "  send email \"weekly\"\n}\n"
    "journey birthday {\n  on date profile.birthday at 09:00 local\n"
    "  send email \"birthday\"\n}\n"
    "journey winback {\n  on entered(lapsed)\n  send email \"winback\"\n}\n";

// One profile, on Monday 2025-03-03 at 08:00 (UTC, and London's time):
// an order, and a birthday two days later.
const char kEvents[] =
    R"({"type":"track","event":"Order Completed","userId":"p1",)"
    R"("messageId":"o1","timestamp":"2025-03-03T08:00:00Z",)"
    R"("properties":{"total":10,"currency":"GBP"}})"
    "\n"
    R"({"type":"identify","userId":"p1","messageId":"i1",)"
    R"("timestamp":"2025-03-03T08:00:00Z",)"
    R"("traits":{"birthday":"1990-03-05"}})"
    "\n";

// Each action as "at template".
std::vector<std::string> Sends(const std::string& out) {
  std::vector<std::string> sends;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["at"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  return sends;
}

TEST_CASE("the summary counts the entries time started apart from timers") {
  auto scratch = testing::ScratchDir("run-summary-time");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl", kEvents);

  // Up to Tuesday 2025-04-15: the reminder's one wait; Mondays at 10:00
  // London time (09:00 UTC from March 30); the birthday; the winback 30
  // days after the order.
  const std::vector<std::string> expected = {
      "2025-03-03T10:00:00Z weekly",   "2025-03-04T08:00:00Z reminder",
      "2025-03-05T09:00:00Z birthday", "2025-03-10T10:00:00Z weekly",
      "2025-03-17T10:00:00Z weekly",   "2025-03-24T10:00:00Z weekly",
      "2025-03-31T09:00:00Z weekly",   "2025-04-02T08:00:00Z winback",
      "2025-04-07T09:00:00Z weekly",   "2025-04-14T09:00:00Z weekly"};
  for (const char* partitions : {"", "2"}) {
    INFO("--partitions " << partitions);
    std::vector<std::string> args = {
        "run",
        (scratch / "p.journey").string(),
        "--events",
        (scratch / "e.jsonl").string(),
        "--state",
        (scratch / (std::string("s") + partitions + ".db")).string(),
        "--until",
        "2025-04-15T00:00:00Z"};
    if (*partitions != '\0') {
      args.push_back("--partitions");
      args.push_back(partitions);
    }
    auto result = RunParcours(args, scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(Sends(result.out) == expected);
    // Nine of the ten sends come from entries no line and no timer made.
    CHECK_THAT(result.err,
               Catch::Contains("sent 10 actions, 1 timer fired, 9 "
                               "time-driven entries, 0 instances waiting\n"));
  }
}

TEST_CASE("a run that read no event says so in a note") {
  auto scratch = testing::ScratchDir("run-summary-empty");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "empty.jsonl", "");
  testing::WriteText(scratch / "blank.jsonl", "\n  \n\r\n");
  testing::WriteText(scratch / "e.jsonl", kEvents);
  auto run = [&](const std::string& events, const std::string& state,
                 const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {
        "run",     (scratch / "p.journey").string(), "--events", events,
        "--state", (scratch / state).string()};
    args.insert(args.end(), more.begin(), more.end());
    return RunParcours(args, scratch, (scratch / "empty.jsonl").string());
  };

  auto empty = run((scratch / "empty.jsonl").string(), "a.db");
  CHECK(empty.exit_code == 0);
  CHECK_THAT(empty.err,
             Catch::EndsWith("note: no events were read: events file `" +
                             (scratch / "empty.jsonl").string() +
                             "` is empty; check that --events names the "
                             "right file\n"));

  auto blank =
      run((scratch / "blank.jsonl").string(), "b", {"--partitions", "2"});
  CHECK(blank.exit_code == 0);
  CHECK_THAT(blank.err, Catch::Contains("3 blank\n") &&
                            Catch::Contains("` holds only blank lines; check "
                                            "that --events names the right "
                                            "file\n"));

  auto piped = run("-", "c.db");
  CHECK(piped.exit_code == 0);
  CHECK_THAT(piped.err, Catch::Contains("note: no events were read: stdin is "
                                        "empty; check what is piped into the "
                                        "run\n"));

  // Nor is an empty input that moves the clock to `--until`, the way
  // a daily job runs what time alone starts (docs/runtime.md).
  auto clock_only = run((scratch / "empty.jsonl").string(), "a.db",
                        {"--until", "2030-01-01T00:00:00Z"});
  CHECK(clock_only.exit_code == 0);
  CHECK_THAT(clock_only.err, !Catch::Contains("no events were read"));

  // Lines that were read, even duplicates only, are no such mistake.
  for (int pass = 0; pass < 2; ++pass) {
    auto full = run((scratch / "e.jsonl").string(), "d.db");
    CHECK(full.exit_code == 0);
    CHECK_THAT(full.err, !Catch::Contains("no events were read"));
  }
}

}  // namespace
}  // namespace parcours
