// `parcours run` as a separate process when things go wrong around it: an
// input that is a directory, two runs on one state, a typo of a
// timestamp, and a run killed at random moments.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;
const std::string& kAllEvents = testing::kUciAllEvents;

TEST_CASE("events that are a directory are an error, not an empty input") {
  auto scratch = testing::ScratchDir("events-dir");
  auto folder = (scratch / "folder").string();
  std::filesystem::create_directory(folder);
  auto state = (scratch / "state.db").string();

  auto named = RunParcours({"run", kCampaign, "--events", folder, "--state",
                            state, "--engine", "interp"},
                           scratch);
  CHECK(named.exit_code == 2);
  CHECK_THAT(named.err, Catch::Contains("parcours: events file `" + folder +
                                        "` is a directory\n"));

  auto piped = RunParcours({"run", kCampaign, "--events", "-", "--state", state,
                            "--engine", "interp"},
                           scratch, folder);
  CHECK(piped.exit_code == 2);
  CHECK_THAT(piped.err, Catch::Contains("parcours: stdin is a directory\n"));
  CHECK_FALSE(std::filesystem::exists(state));
}

TEST_CASE("events that never end a line stop the run with the line named") {
  auto scratch = testing::ScratchDir("endless-line");
  auto state = (scratch / "state.db").string();
  auto events = (scratch / "events.jsonl").string();
  // Two good lines, then bytes without a newline for ever.
  std::string first_lines;
  {
    std::ifstream small(kSmallEvents, std::ios::binary);
    std::string line;
    for (int i = 0; i < 2 && std::getline(small, line); ++i) {
      first_lines += line + "\n";
    }
  }
  testing::WriteText(events, first_lines);
  std::string endless = "cat " + testing::ShellQuote(events) + " /dev/zero";

  auto err_path = (scratch / "stderr.txt").string();
  for (const char* partitions : {"", "2"}) {
    INFO("--partitions " << partitions);
    // `timeout`: a reader that loops again fails the test, not hangs it.
    std::string command = endless + " | timeout -s KILL 120 " +
                          testing::ShellQuote(PARCOURS_BINARY) + " run " +
                          testing::ShellQuote(kCampaign) +
                          " --events - --engine interp --state " +
                          testing::ShellQuote(state + partitions) +
                          " >/dev/null 2>" + testing::ShellQuote(err_path);
    if (*partitions != '\0') command += " --partitions 2";
    int status = std::system(command.c_str());
    testing::ProcessResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = testing::ReadText(err_path);
    CHECK(result.exit_code == 2);
    CHECK_THAT(
        result.err,
        Catch::Contains("read 2 lines: ") &&
            Catch::Contains("parcours: line 3 of stdin goes on for more than "
                            "64 MiB without a line end, so the run stopped "
                            "there: --events takes JSON lines"));
  }

  // Named as a file, with nothing before it.
  auto zero = RunParcours({"run", kCampaign, "--events", "/dev/zero", "--state",
                           state + "z", "--engine", "interp"},
                          scratch, "", 120);
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.err, Catch::Contains("parcours: line 1 of events file "
                                       "`/dev/zero` goes on for more than "
                                       "64 MiB"));
}

TEST_CASE("a second run on a state in use fails at once, touching nothing") {
  auto scratch = testing::ScratchDir("locked");
  auto state = (scratch / "state.db").string();
  auto out = (scratch / "out.jsonl").string();
  auto held = store::Store::Open(state);
  REQUIRE(held.ok());
  std::string before = testing::ReadText(state);

  std::vector<std::string> args = {
      "run", kCampaign, "--events", kSmallEvents, "--state",
      state, "--out",   out,        "--engine",   "interp"};
  for (bool strict : {false, true}) {
    if (strict) args.push_back("--strict");
    auto second = RunParcours(args, scratch);
    CHECK(second.exit_code == 2);
    CHECK_THAT(second.err, Catch::Contains("parcours: state file `" + state +
                                           "` is in use by another run\n"));
  }
  CHECK(testing::ReadText(state) == before);
  CHECK(testing::ReadText(out).empty());

  held.value().reset();
  CHECK(RunParcours(args, scratch).exit_code == 0);
}

TEST_CASE("a state file in a folder that does not exist says so") {
  auto scratch = testing::ScratchDir("state-no-folder");
  auto state = (scratch / "missing" / "state.db").string();
  auto result = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                             "--state", state, "--out", "-"},
                            scratch);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("parcours: state file `" + state +
                                         "`: the folder `"));
  CHECK_THAT(result.err, Catch::Contains("missing` does not exist\n"));
  CHECK_FALSE(std::filesystem::exists(scratch / "missing"));
}

// The dead-letter file is created at the first bad line. A path it cannot
// have was found only there, after the lines before it were decided and
// counted in a summary, though none of them was saved.
TEST_CASE(
    "a dead-letter file in a folder that does not exist is refused "
    "before any line") {
  auto scratch = testing::ScratchDir("dead-letter-no-folder");
  auto program = scratch / "hello.journey";
  testing::WriteText(program,
                     "event Ping \"Ping\" {}\n"
                     "journey hello {\n  on Ping\n  send email \"hi\"\n}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(
      events, R"({"type":"track","event":"Ping","userId":"a","messageId":"m1",)"
              R"("timestamp":"2011-01-03T10:00:00Z","properties":{}})"
              "\nnot json\n");
  auto state = scratch / "state.db";
  auto out = scratch / "out.jsonl";
  auto letters = scratch / "missing" / "dead.jsonl";

  auto result =
      RunParcours({"run", program.string(), "--events", events.string(),
                   "--state", state.string(), "--out", out.string(),
                   "--dead-letter", letters.string()},
                  scratch);
  CHECK(result.exit_code == 2);
  CHECK_THAT(
      result.err,
      Catch::Contains("parcours: cannot write the dead-letter file `" +
                      letters.string() + "`: the folder `" +
                      (scratch / "missing").string() + "` does not exist\n"));
  CHECK_THAT(result.err, !Catch::Contains("applied"));
  CHECK_FALSE(std::filesystem::exists(state));
  CHECK(testing::ReadText(out).empty());
}

// A state file copied from another account, or a backup restored
// read-only: SQLite would open it for reading only, and the run would
// decide a whole batch before its first commit failed. Root may write to
// any file, so the second run is another user's: `nobody`, through
// setpriv, on a copy of the binary and files it can reach.
TEST_CASE("a state file the user may not write is refused before any line") {
  namespace fs = std::filesystem;
  fs::path scratch = testing::SharedScratchDir("read-only");
  auto program = scratch / "hello.journey";
  testing::WriteText(program,
                     "event Ping \"Ping\" {}\n"
                     "journey hello {\n  on Ping\n  send email \"hi\"\n}\n");
  auto ping = [](const std::string& user) {
    return R"({"type":"track","event":"Ping","userId":")" + user +
           R"(","messageId":"m-)" + user +
           R"(","timestamp":"2011-01-03T10:00:00Z","properties":{}})"
           "\n";
  };
  auto first = scratch / "first.jsonl";
  auto second = scratch / "second.jsonl";
  testing::WriteText(first, ping("a"));
  testing::WriteText(second, ping("b"));
  auto state = scratch / "state.db";
  auto out = scratch / "out.jsonl";
  auto run = [&](const fs::path& events, bool as_nobody) {
    return testing::RunCopy(
        scratch,
        {"run", program.string(), "--events", events.string(), "--state",
         state.string(), "--out", out.string()},
        as_nobody);
  };
  REQUIRE(run(first, false).exit_code == 0);
  std::string sent = testing::ReadText(out);
  REQUIRE(!sent.empty());

  // Everything but the state file is open to the other user.
  const auto read_write = fs::perms::owner_read | fs::perms::owner_write |
                          fs::perms::group_read | fs::perms::group_write |
                          fs::perms::others_read | fs::perms::others_write;
  const auto read_only =
      fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read;
  fs::permissions(out, read_write);
  fs::permissions(scratch / "state.db.lock", read_write);
  fs::permissions(state, read_only);
  std::string bytes = testing::ReadText(state);
  auto refused = run(second, true);
  INFO(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err,
             Catch::Contains("state file `" + state.string() +
                             "` cannot be written: a run saves its progress "
                             "there"));
  CHECK_THAT(refused.err, !Catch::Contains("not saved"));
  CHECK(testing::ReadText(out) == sent);
  CHECK(testing::ReadText(state) == bytes);
  CHECK_FALSE(fs::exists(scratch / "state.db-wal"));
  fs::remove_all(scratch);
}

// A state file cut short (a full disk, a copy stopped half-way) cannot be
// read; the message says so in words a marketer can act on, not only
// SQLite's "database disk image is malformed".
TEST_CASE("a state file cut short is refused with what to do") {
  auto scratch = testing::ScratchDir("state-cut-short");
  auto state = (scratch / "state.db").string();
  std::vector<std::string> args = {"run",        kCampaign, "--events",
                                   kSmallEvents, "--state", state,
                                   "--out",      "-"};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  std::string whole = testing::ReadText(state);
  REQUIRE(whole.size() > 20000);
  testing::WriteText(state, whole.substr(0, whole.size() / 2));

  auto cut = RunParcours(args, scratch);
  CHECK(cut.exit_code == 2);
  CHECK_THAT(cut.err, Catch::StartsWith("parcours: state file `" + state +
                                        "`: database disk image is "
                                        "malformed (the file is damaged or "
                                        "was cut short; restore it from a "
                                        "backup)"));

  auto report = RunParcours({"report", "backtest", "--state", state}, scratch);
  CHECK(report.exit_code == 2);
  CHECK_THAT(report.err, Catch::Contains("restore it from a backup"));
}

// A state path that names some other file (an events file, random bytes)
// gets words that say what to do, and the file is left as it was.
TEST_CASE(
    "a state path naming a file of other bytes is refused with what "
    "to do") {
  auto scratch = testing::ScratchDir("state-not-sqlite");
  auto state = (scratch / "state.db").string();
  std::string bytes;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>((i * 131) % 251);
  testing::WriteText(state, bytes);

  auto run = RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                          state, "--out", "-"},
                         scratch);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err,
             Catch::StartsWith("parcours: state file `" + state +
                               "`: file is not a database (it is not a "
                               "SQLite file"));
  auto report = RunParcours({"report", "backtest", "--state", state}, scratch);
  CHECK(report.exit_code == 2);
  CHECK_THAT(report.err,
             Catch::Contains("name a new file, or restore this one"));
  CHECK(testing::ReadText(state) == bytes);
}

// Instances that time alone starts after the input's end are numbered as
// if by a line after its last, so stopping a run at its input and moving
// the clock on in a second, empty run changes no id.
TEST_CASE("a run to --until and the same run in two parts give the same ids") {
  auto scratch = testing::ScratchDir("until-ids");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "lapse.journey", R"(module lapse
event OrderPlaced "Order Completed" { total: money }

segment lapsed = days_since(last(OrderPlaced)) >= 30

journey thanks {
  on OrderPlaced
  send email "thanks"
}

journey win_back {
  on entered(lapsed)
  send email "win_back"
}
)");
  std::string events;
  for (const char* user : {"a", "b", "c"}) {
    events += std::string(R"({"type":"track","event":"Order Completed",)") +
              R"("userId":")" + user + R"(","messageId":"o-)" + user +
              R"(","timestamp":"2025-01-0)" + (user[0] == 'a' ? "1" : "2") +
              R"(T10:00:00Z","properties":{"total":5,"currency":"EUR"}})" +
              "\n";
  }
  testing::WriteText(scratch / "events.jsonl", events);
  testing::WriteText(scratch / "none.jsonl", "");

  auto run = [&](const std::string& input, const std::string& state,
                 const std::string& out, bool until) {
    std::vector<std::string> args = {"run",      (scratch / "c").string(),
                                     "--events", (scratch / input).string(),
                                     "--state",  (scratch / state).string(),
                                     "--out",    (scratch / out).string()};
    if (until) {
      args.push_back("--until");
      args.push_back("2025-03-01T00:00:00Z");
    }
    return RunParcours(args, scratch).exit_code;
  };
  REQUIRE(run("events.jsonl", "whole.db", "whole.jsonl", true) == 0);
  REQUIRE(run("events.jsonl", "parts.db", "parts.jsonl", false) == 0);
  REQUIRE(run("none.jsonl", "parts.db", "parts.jsonl", true) == 0);

  std::string whole = testing::ReadText(scratch / "whole.jsonl");
  CHECK(std::count(whole.begin(), whole.end(), '\n') == 6);
  CHECK(testing::ReadText(scratch / "parts.jsonl") == whole);
}

TEST_CASE("a timestamp typo does not move the clock, unless allowed") {
  auto scratch = testing::ScratchDir("clock-jump");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events,
                     R"({"type":"identify","userId":"1","messageId":"a",)"
                     R"("timestamp":"2011-01-05T00:00:00Z"})"
                     "\n"
                     R"({"type":"identify","userId":"2","messageId":"b",)"
                     R"("timestamp":"9999-01-01T00:00:00Z"})"
                     "\n");

  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "run",      kCampaign,
        "--events", events.string(),
        "--state",  (scratch / (name + ".db")).string(),
        "--engine", "interp",
        "--until",  "2011-03-01T00:00:00Z"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunParcours(args, scratch);
  };

  auto guarded = run("guarded", {});
  CHECK(guarded.exit_code == 0);
  CHECK_THAT(guarded.err, Catch::Contains("1 dead letter,"));
  CHECK_THAT(guarded.err, Catch::Contains("clock at 2011-03-01T00:00:00Z"));
  CHECK_THAT(testing::ReadText(scratch / "guarded.db.deadletter.jsonl"),
             Catch::Contains("past the limit of 90 days (--max-clock-jump)"));
  // The summary says why, and how to take such lines when they are real.
  CHECK_THAT(guarded.err,
             Catch::Contains("note: 1 line went to the dead letters for being "
                             "too far ahead of the clock"));

  // Without a refused jump there is no such note.
  auto fine = RunParcours({"run", kCampaign, "--events", kSmallEvents,
                           "--state", (scratch / "fine.db").string()},
                          scratch);
  CHECK_THAT(fine.err, !Catch::Contains("too far ahead"));

  auto allowed = run("allowed", {"--max-clock-jump", "0"});
  CHECK(allowed.exit_code == 0);
  CHECK_THAT(allowed.err, Catch::Contains("clock at 9999-01-01T00:00:00Z"));

  auto wide = run("wide", {"--max-clock-jump", "400d"});
  CHECK_THAT(wide.err, Catch::Contains("1 dead letter,"));

  auto bad = run("bad", {"--max-clock-jump", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("`--max-clock-jump` takes a duration"));
}

std::vector<std::string> Ids(const std::string& actions) {
  std::vector<std::string> ids;
  std::istringstream lines(actions);
  for (std::string line; std::getline(lines, line);) {
    size_t at = line.find("\"id\":\"");
    ids.push_back(at == std::string::npos ? line : line.substr(at + 6, 16));
  }
  return ids;
}

// Runs `parcours run` over the first 12000 UCI lines once whole, then
// again on another state, killed at random moments and restarted until it
// ends; returns both outputs. `extra` names the state (`--state X` and any
// partition options), given the run's name.
struct KilledRuns {
  std::string whole;
  std::string killed;
  int kills = 0;
};

KilledRuns KillRepeatedly(
    const std::filesystem::path& scratch,
    const std::function<std::vector<std::string>(const std::string&)>& state) {
  // Enough events that a run takes a while; small batches, so that most
  // moments fall between a delivery and the commit that records it.
  std::string all = testing::ReadText(kAllEvents);
  size_t end = 0;
  for (int i = 0; i < 12000 && end != std::string::npos; ++i) {
    end = all.find('\n', end + 1);
  }
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, all.substr(0, end + 1));

  auto args = [&](const std::string& name) {
    std::vector<std::string> args = {
        "run",      kCampaign,
        "--events", events.string(),
        "--out",    (scratch / (name + ".jsonl")).string(),
        "--engine", "interp",
        "--batch",  "7"};
    std::vector<std::string> more = state(name);
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  KilledRuns runs;
  auto whole = RunParcours(args("whole"), scratch);
  REQUIRE(whole.exit_code == 0);
  runs.whole = testing::ReadText(scratch / "whole.jsonl");
  REQUIRE(Ids(runs.whole).size() > 500);

  std::random_device device;
  unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(30, 100);
  for (int attempt = 0; attempt < 10; ++attempt) {
    pid_t child = testing::StartParcours(args("killed"));
    REQUIRE(child > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
      ++runs.kills;
    } else {
      REQUIRE(WEXITSTATUS(status) == 0);
    }
  }
  auto last = RunParcours(args("killed"), scratch);
  INFO(last.err);
  REQUIRE(last.exit_code == 0);
  runs.killed = testing::ReadText(scratch / "killed.jsonl");
  return runs;
}

TEST_CASE("a run killed at random moments writes each action exactly once") {
  auto scratch = testing::ScratchDir("killed");
  KilledRuns runs = KillRepeatedly(scratch, [&](const std::string& name) {
    return std::vector<std::string>{"--state",
                                    (scratch / (name + ".db")).string()};
  });
  INFO(runs.kills << " runs killed");
  CHECK(runs.kills > 0);

  std::vector<std::string> ids = Ids(runs.killed);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(ids == Ids(runs.whole));
  CHECK(runs.killed == runs.whole);
}

TEST_CASE(
    "a partitioned run killed at random moments writes each action "
    "exactly once") {
  auto scratch = testing::ScratchDir("killed-partitions");
  KilledRuns runs = KillRepeatedly(scratch, [&](const std::string& name) {
    return std::vector<std::string>{"--state", (scratch / name).string(),
                                    "--partitions", "3"};
  });
  INFO(runs.kills << " runs killed");
  CHECK(runs.kills > 0);

  // Each action once, with the ids of the uninterrupted run. (A kill
  // between the commits of two partitions may move a few actions of one
  // batch after the others', so only the set is compared.)
  std::vector<std::string> ids = Ids(runs.killed);
  std::vector<std::string> expected = Ids(runs.whole);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  std::sort(ids.begin(), ids.end());
  std::sort(expected.begin(), expected.end());
  CHECK(ids == expected);
}

// An edit of a good state file, and what the refusal of the run over it
// must say.
struct Edit {
  std::string sql;
  std::string says;
};

// Runs `args` over `state` after each of `edits` to `good`, the state's
// bytes: each run is refused (exit 2, nothing written out), names the
// file and what is wrong, and leaves the file as the edit left it.
void CheckEditsRefused(const std::filesystem::path& scratch,
                       const std::string& state, const std::string& good,
                       const std::vector<std::string>& args,
                       const std::vector<Edit>& edits) {
  for (const Edit& edit : edits) {
    INFO(edit.sql);
    testing::WriteText(state, good);
    {
      auto db = store::Database::Open(state);
      REQUIRE(db.ok());
      REQUIRE(db->Exec(edit.sql).ok());
    }
    std::string edited = testing::ReadText(state);
    auto run = RunParcours(args, scratch);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    CHECK_THAT(run.err, Catch::Contains("state file `" + state + "`"));
    CHECK_THAT(run.err, Catch::Contains(edit.says));
    CHECK_THAT(run.err, Catch::Contains("restore it from a backup"));
    CHECK(testing::ReadText(state) == edited);
  }
}

// A counter of `meta` edited by hand into something that is not a whole
// number, or a clock beyond the times any input may carry, was read as a
// number anyway: the clock `abc` became 1970 and every line after it a
// dead letter for being "too far ahead", and a clock past 9999 sent every
// message at once at a year no receiver can parse. Such a state is refused
// before anything is written, naming the counter.
TEST_CASE("a state whose meta counters were edited into nonsense is refused") {
  auto scratch = testing::ScratchDir("state-meta-edited");
  auto state = (scratch / "state.db").string();
  std::vector<std::string> args = {"run",        kCampaign, "--events",
                                   kSmallEvents, "--state", state,
                                   "--out",      "-"};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  std::string good = testing::ReadText(state);

  std::vector<Edit> edits = {
      {"UPDATE meta SET value = 'abc' WHERE key = 'clock'",
       "`meta` row `clock` holds `abc`, not a whole number"},
      {"UPDATE meta SET value = 1.5 WHERE key = 'next_seq'",
       "`meta` row `next_seq` holds `1.5`, not a whole number"},
      {"UPDATE meta SET value = '99999999999999999999' WHERE key = "
       "'lines_total'",
       "`meta` row `lines_total` holds `99999999999999999999`, not a "
       "whole number"},
      {"UPDATE meta SET value = -5 WHERE key = 'outbox_delivered'",
       "`meta` row `outbox_delivered` holds -5, below zero"},
      {"UPDATE meta SET value = -1 WHERE key = 'lines_total'",
       "`meta` row `lines_total` holds -1, below zero"},
      {"UPDATE meta SET value = 253402300800 WHERE key = 'clock'",
       "`meta` row `clock` holds 253402300800, a time outside "
       "1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z"},
  };
  CheckEditsRefused(scratch, state, good, args, edits);
}

// The same state with a `meta` row deleted was taken for a fresh start:
// without `outbox_delivered` the run sent the whole outbox again (every
// customer messaged twice), without `clock` the clock restarted at the
// next line. Every save writes those rows, so a file that lacks one, or
// holds profiles and actions with no `meta` at all, is refused as an
// edited value is. So is a clock set back before the newest action.
TEST_CASE("a state that lost a meta row every save writes is refused") {
  auto scratch = testing::ScratchDir("state-meta-missing");
  auto state = (scratch / "state.db").string();
  std::vector<std::string> args = {"run",        kCampaign, "--events",
                                   kSmallEvents, "--state", state,
                                   "--out",      "-"};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  std::string good = testing::ReadText(state);
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    auto actions = db->QueryInt("SELECT count(*) FROM outbox");
    REQUIRE(actions.ok());
    // The outbox that a lost `outbox_delivered` sent again.
    REQUIRE(*actions > 0);
  }

  std::vector<Edit> edits = {
      {"DELETE FROM meta WHERE key = 'outbox_delivered'",
       "`meta` lacks the row `outbox_delivered`, which every save writes"},
      {"DELETE FROM meta WHERE key = 'clock'",
       "`meta` lacks the row `clock`, which every save writes"},
      {"DELETE FROM meta WHERE key IN ('next_seq', 'applied_line')",
       "`meta` lacks the rows `next_seq` and `applied_line`, which every "
       "save writes"},
      {"DELETE FROM meta",
       "`meta` lacks the rows `clock`, `next_seq`, `applied_line` and "
       "`outbox_delivered`, though the file holds profiles, actions or "
       "applied events a run saved"},
      {"UPDATE meta SET value = NULL WHERE key = 'outbox_delivered'",
       "`meta` row `outbox_delivered` is empty, not a whole number"},
      {"UPDATE meta SET value = 0 WHERE key = 'clock'",
       "`meta` row `clock` holds 1970-01-01T00:00:00Z, before the newest "
       "action in the outbox, at 2011-"},
  };
  CheckEditsRefused(scratch, state, good, args, edits);
}

// The run's own counters came later than the four every save writes: a
// state an older Parcours saved lacks them, and still runs, as before.
TEST_CASE("a state without the counters later versions added still runs") {
  auto scratch = testing::ScratchDir("state-meta-older");
  auto state = (scratch / "state.db").string();
  std::vector<std::string> args = {"run",        kCampaign, "--events",
                                   kSmallEvents, "--state", state,
                                   "--out",      "-"};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM meta WHERE key NOT IN ('clock', "
                     "'next_seq', 'applied_line', 'outbox_delivered')")
                .ok());
  }
  auto again = RunParcours(args, scratch);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, !Catch::Contains("restore it from a backup"));
}

// A partition file is read by the same load: one that lost a row is
// refused before any partition is written.
TEST_CASE("a partition that lost a meta row is refused") {
  auto scratch = testing::ScratchDir("state-meta-missing-partition");
  auto folder = (scratch / "state").string();
  std::vector<std::string> args = {
      "run",  kCampaign, "--events", kSmallEvents,   "--state",
      folder, "--out",   "-",        "--partitions", "2"};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  auto partition = (scratch / "state" / "p-0001.db").string();
  {
    auto db = store::Database::Open(partition);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM meta WHERE key = 'outbox_delivered'").ok());
  }
  std::string edited = testing::ReadText(partition);
  auto run = RunParcours(args, scratch);
  CHECK(run.exit_code == 2);
  CHECK(run.out.empty());
  CHECK_THAT(run.err, Catch::Contains("p-0001.db"));
  CHECK_THAT(run.err, Catch::Contains("`meta` lacks the row "
                                      "`outbox_delivered`"));
  CHECK(testing::ReadText(partition) == edited);
}

}  // namespace
}  // namespace parcours
