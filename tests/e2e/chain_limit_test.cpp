// Chains of emitted events and segment changes: a loop is cut by its
// depth, waits that end at once included, and a wide fan-out is not
// (docs/language.md, "Action steps").
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::IdentifyLine;
using testing::TrackLine;
using Lines = std::vector<std::string>;

// A run that once never ended, growing by hundreds of megabytes a
// second, is killed after this long, with this much memory at most, so
// that the suite fails rather than hangs or starves the machine.
constexpr int kKillAfterSeconds = 60;
constexpr int kMemoryLimitMb = 2000;

struct ChainRun {
  std::string out;    // the action lines, the same for every engine
  std::string err;    // the interpreter's summary
  std::string state;  // the interpreter's state file
};

// Runs `program` over `events` with the interpreter, the JIT and two
// partitions, each on its own state; requires every run to end on its
// own with the same action lines.
ChainRun RunEverywhere(const std::string& name, const std::string& program,
                       const std::string& events,
                       const std::string& until = "") {
  auto scratch = testing::ScratchDir(name);
  testing::WriteText(scratch / "program.journey", program);
  testing::WriteText(scratch / "events.jsonl", events);
  ChainRun run;
  std::string first;
  for (const char* engine : {"interp", "jit", "partitions"}) {
    INFO(engine);
    bool partitioned = std::string(engine) == "partitions";
    auto state = scratch / (std::string(engine) + ".db");
    std::vector<std::string> args = {
        "run",      (scratch / "program.journey").string(),
        "--events", (scratch / "events.jsonl").string(),
        "--state",  state.string(),
        "--out",    "-",
        "--engine", partitioned ? "jit" : engine};
    if (partitioned) {
      args.push_back("--partitions");
      args.push_back("2");
    }
    if (!until.empty()) {
      args.push_back("--until");
      args.push_back(until);
    }
    auto result = testing::RunParcours(args, scratch, "", kKillAfterSeconds,
                                       kMemoryLimitMb);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    if (std::string(engine) == "interp") {
      run.out = result.out;
      run.err = result.err;
      run.state = state.string();
    } else {
      CHECK(result.out == run.out);
    }
  }
  return run;
}

std::string Query(const std::string& state, const std::string& sql) {
  auto db = store::Database::Open(state);
  REQUIRE(db.ok());
  auto value = db->QueryText(sql);
  INFO(value.status().message());
  REQUIRE(value.ok());
  return *value;
}

// The `properties` of each action line, as JSON text.
Lines PropertiesOf(const std::string& out) {
  Lines all;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    all.push_back(nlohmann::json::parse(line)["properties"].dump());
  }
  return all;
}

// `count` lines of the emitted `Ping` of `journey`'s `emit1` at `at`, with
// `k` from 1 up.
Lines PingLines(int count, const std::string& at, const std::string& profile,
                const std::string& journey) {
  Lines lines;
  for (int k = 1; k <= count; ++k) {
    lines.push_back(at + " event " + profile + " " + journey + ".emit1");
  }
  return lines;
}

Lines KsUpTo(int count) {
  Lines ks;
  for (int k = 1; k <= count; ++k) {
    ks.push_back(R"({"k":)" + std::to_string(k) + "}");
  }
  return ks;
}

// The warning of a loop of `emit Ping` at `journey`'s `emit1`, line 10,
// that goes through a wait that ends at once.
std::string LoopThroughWait(const std::string& journey) {
  return "stopped a loop: `emit Ping` at step `emit1` of journey `" + journey +
         "` (line 10) would be link 101 of a chain of emitted events and "
         "segment changes, each set off by the one before; it and the rest "
         "of the chain were not applied. Make the journeys that emit or set "
         "what starts each other stop; the loop goes through a wait that "
         "ends at the instant it is reached (`wait 0s`, a `wait until` the "
         "clock time it is, a computed wait below zero)";
}

const char* const kLoopSummary =
    "warning: 1 loop of emitted events and segment changes, each set off "
    "by the one before, ran past 100 links and was cut, the rest not "
    "applied; look for journeys that emit or set what starts each other "
    "(the log table names the profile, journey and step, level `warn`)\n";

// A journey that emits its own trigger after a wait of `wait`: line 10
// is its `emit`.
std::string SelfLoop(const std::string& wait) {
  return R"(profile {
  timezone: tz = "UTC"
  gap: duration = 0s
}
event Ping "Ping" { k: int }

journey self {
  on Ping as p
  )" + wait +
         R"(
  emit Ping { k: p.k + 1 }
}
)";
}

std::string Ping(const std::string& at) {
  return TrackLine("Ping", "a", "x1", at, R"({"k":0})");
}

TEST_CASE("a loop through a wait that ends at once is cut after 100 links") {
  // Each `wait` ended at the instant it was reached, so each emit started a
  // chain of its own and none ever reached the limit: the run never
  // ended, writing nothing, its memory growing without end.
  struct Case {
    const char* name;
    const char* wait;
    const char* at;
  };
  for (const Case& loop : {
           Case{"zero", "wait 0s", "2025-01-01T12:00:00Z"},
           // The "every night" pattern, its event coming at midnight.
           Case{"midnight", "wait until 00:00 local", "2025-01-01T00:00:00Z"},
           // A computed wait below zero waits none.
           Case{"negative", "wait profile.gap - 5s", "2025-01-01T12:00:00Z"},
       }) {
    INFO(loop.name);
    ChainRun run = RunEverywhere(std::string("chain-wait-") + loop.name,
                                 SelfLoop(loop.wait), Ping(loop.at));
    // The input's Ping and the 99 emitted after it each emit one more,
    // at the same instant; the 101st is neither applied nor written.
    CHECK(testing::Summaries(run.out) == PingLines(100, loop.at, "a", "self"));
    CHECK(PropertiesOf(run.out) == KsUpTo(100));
    CHECK(Query(run.state,
                "SELECT journey || ' ' || step || ': ' || message FROM log "
                "WHERE level = 'warn'") ==
          "self emit1: " + LoopThroughWait("self"));
    CHECK_THAT(run.err, Catch::Contains(kLoopSummary));
    CHECK(Query(run.state, "SELECT count(*) FROM instances") == "0");
  }
}

TEST_CASE("a wait of one second between links keeps its loop on the clock") {
  // Each link is at an instant of its own: no chain is cut, and `--until`
  // ends the run.
  ChainRun run =
      RunEverywhere("chain-wait-second", SelfLoop("wait 1s"),
                    Ping("2025-01-01T12:00:00Z"), "2025-01-01T12:02:30Z");
  CHECK(PropertiesOf(run.out) == KsUpTo(150));
  CHECK(testing::Summaries(run.out).back() ==
        "2025-01-01T12:02:30Z event a self.emit1");
  CHECK(Query(run.state, "SELECT count(*) FROM log WHERE level = 'warn'") ==
        "0");
  CHECK_THAT(run.err, !Catch::Contains("warning:"));
}

TEST_CASE("two segment journeys that set each other's flag at 09:00 stop") {
  // At 09:00 the `set` flips the segment, the other journey's `wait until
  // 09:00 local` ends at once, and its `set` flips it back.
  ChainRun run = RunEverywhere(
      "chain-segments", R"(profile {
  timezone: tz = "UTC"
  flag: bool = false
}

segment flagged = profile.flag

journey flip_on {
  on entered(flagged)
  wait until 09:00 local
  set profile.flag = false
}

journey flip_off {
  on left(flagged)
  wait until 09:00 local
  set profile.flag = true
}
)",
      IdentifyLine("b", "i1", "2025-02-01T10:00:00Z", R"({"flag":true})"),
      "2025-02-03T00:00:00Z");
  CHECK(run.out.empty());
  // The identify's entry, then one for each of the 100 flips applied.
  CHECK(Query(run.state,
              "SELECT count(*) FROM log WHERE message = 'entered'") == "101");
  CHECK(Query(run.state,
              "SELECT at || ' ' || journey || ' ' || step || ': ' || message "
              "FROM log WHERE level = 'warn'") ==
        "2025-02-02T09:00:00Z flip_on set1: stopped a loop: leaving segment "
        "`flagged`, set at step `set1` of journey `flip_on` (line 11) would "
        "be link 101 of a chain of emitted events and segment changes, each "
        "set off by the one before; it and the rest of the chain were not "
        "applied. Make the journeys that emit or set what starts each other "
        "stop; the loop goes through a wait that ends at the instant it is "
        "reached (`wait 0s`, a `wait until` the clock time it is, a "
        "computed wait below zero)");
  CHECK_THAT(run.err, Catch::Contains(kLoopSummary));
  CHECK(Query(run.state, "SELECT count(*) FROM instances") == "0");
}

TEST_CASE("`parcours test` of a loop through a wait of zero ends and fails") {
  auto scratch = testing::ScratchDir("chain-test-command");
  testing::WriteText(scratch / "self.journey", SelfLoop("wait 0s") + R"(
test "pings" {
  given profile "a"
  at 2025-01-01T12:00:00Z Ping { k: 0 }
  expect emit Ping
}
)");
  for (const char* engine : {"interp", "jit"}) {
    INFO(engine);
    auto result = testing::RunParcours(
        {"test", (scratch / "self.journey").string(), "--engine", engine},
        scratch, "", kKillAfterSeconds, kMemoryLimitMb);
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out == "FAIL pings\n  " + (scratch / "self.journey").string() +
                            ":13:1: the engine " + LoopThroughWait("self") +
                            "\n0 passed, 1 failed\n");
  }
}

TEST_CASE("a fan-out of 150 emits from one input is applied whole") {
  // It was cut at 100 as a "loop", 50 tasks lost, though all 150 `event`
  // lines were written.
  std::string program = R"(profile {
  timezone: tz = "UTC"
}
event OrderPlaced "Order Completed" { total: money }
event Tagged "Tagged" { n: int }

journey on_tag {
  on Tagged as t
  task crm "tagged" to "ops"
}
)";
  for (int i = 0; i < 150; ++i) {
    std::string n = std::to_string(i);
    program += "\njourney tag" + n +
               " {\n  on OrderPlaced\n  emit Tagged { n: " + n + " }\n}\n";
  }
  ChainRun run = RunEverywhere(
      "chain-fan-out", program,
      TrackLine("Order Completed", "a", "o1", "2025-01-01T10:00:00Z",
                R"({"total":10,"currency":"EUR"})"));
  Lines expected;
  for (int i = 0; i < 150; ++i) {
    expected.push_back("2025-01-01T10:00:00Z event a tag" + std::to_string(i) +
                       ".emit1");
  }
  for (int i = 0; i < 150; ++i) {
    expected.push_back("2025-01-01T10:00:00Z task a on_tag.task1");
  }
  Lines summaries = testing::Summaries(run.out);
  std::sort(summaries.begin(), summaries.end());
  std::sort(expected.begin(), expected.end());
  CHECK(summaries == expected);
  CHECK(Query(run.state, "SELECT count(*) FROM log WHERE level = 'warn'") ==
        "0");
  CHECK_THAT(run.err, !Catch::Contains("warning:"));
}

TEST_CASE("a loop writes no `event` line for an event it does not apply") {
  // The 101st emitted Ping was written, though not applied.
  ChainRun run = RunEverywhere("chain-unapplied", R"(profile {
  timezone: tz = "UTC"
}
event Ping "Ping" { k: int }
event Pong "Pong" { k: int }

journey ping {
  on Ping as p
  emit Pong { k: p.k + 1 }
}

journey pong {
  on Pong as p
  emit Ping { k: p.k + 1 }
}
)",
                               Ping("2025-01-01T10:00:00Z"));
  CHECK(PropertiesOf(run.out) == KsUpTo(100));
  // Each line's event was applied: it started a journey, as the input did.
  CHECK(Query(run.state,
              "SELECT count(*) FROM log WHERE message = 'entered'") == "101");
  CHECK(Query(run.state,
              "SELECT journey || ' ' || step || ': ' || message FROM log "
              "WHERE level = 'warn'") ==
        "ping emit1: stopped a loop: `emit Pong` at step `emit1` of journey "
        "`ping` (line 9) would be link 101 of a chain of emitted events and "
        "segment changes, each set off by the one before; it and the rest of "
        "the chain were not applied. Make the journeys that emit or set what "
        "starts each other stop");
}

TEST_CASE("an input that sets off more than ten thousand links is cut") {
  // 101 journeys each answer a Ping with a Ping: 101 at the first link,
  // 10,201 at the second, past the limit of all the links of one input.
  std::string program = R"(profile {
  timezone: tz = "UTC"
}
event Ping "Ping" { k: int }
)";
  for (int i = 0; i < 101; ++i) {
    program += "\njourney echo" + std::to_string(i) +
               " {\n  on Ping as p\n  emit Ping { k: p.k + 1 }\n}\n";
  }
  ChainRun run =
      RunEverywhere("chain-limit", program, Ping("2025-01-01T10:00:00Z"));
  Lines ks = PropertiesOf(run.out);
  CHECK(ks.size() == 10000);
  CHECK(std::count(ks.begin(), ks.end(), R"({"k":1})") == 101);
  CHECK(std::count(ks.begin(), ks.end(), R"({"k":2})") == 9899);
  // The 99th Ping of the first link runs into the limit at its second
  // journey; the Pings applied after it emit nothing.
  CHECK(Query(run.state,
              "SELECT journey || ' ' || step || ': ' || message FROM log "
              "WHERE level = 'warn'") ==
        "echo1 emit1: reached the limit of 10000 emitted events and segment "
        "changes set off by one input: `emit Ping` at step `emit1` of "
        "journey `echo1` (line 13) and the rest were not applied. Have fewer "
        "journeys emit or set on one event, or emit fewer events each");
  CHECK_THAT(run.err,
             Catch::Contains(
                 "warning: 1 input set off more than 10000 emitted events and "
                 "segment changes, the limit for one; the rest was not "
                 "applied (the log table names the profile, journey and "
                 "step, level `warn`)\n"));
}

}  // namespace
}  // namespace parcours
