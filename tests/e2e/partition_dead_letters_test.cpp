// `parcours run --partitions N` with `--dead-letter` and `--strict`: one
// dead-letter file, written as one state file writes it, each letter
// once across a killed run and its rerun, and a strict stop at the same
// line in every partition.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/engine/run.h"
#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

namespace fs = std::filesystem;
using testing::RunParcours;
using testing::StartParcours;

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;
const std::string& kAllEvents = testing::kUciAllEvents;

using testing::ReadLines;

// Lines that each become a dead letter, for profiles all over the
// partitions: not JSON, a money field that is not a number, a type no
// one knows, a time far ahead of the clock, and a key given twice.
std::vector<std::string> BadLines() {
  return {
      "not json at all",
      R"({"type":"track","event":"Order Completed","userId":"17850",)"
      R"("messageId":"bad-1","timestamp":"2010-12-01T09:00:00Z",)"
      R"("properties":{"order_id":"x1","total":"lots","currency":"GBP"}})",
      R"({"type":"page","userId":"13047","messageId":"bad-2",)"
      R"("timestamp":"2010-12-01T09:00:00Z"})",
      R"({"type":"track","event":"Order Completed","userId":"12583",)"
      R"("messageId":"bad-3","timestamp":"2099-01-01T00:00:00Z",)"
      R"("properties":{"order_id":"x3","total":10,"currency":"GBP",)"
      R"("items":1,"country":"United Kingdom"}})",
      R"({"type":"identify","userId":"15100","userId":"15101",)"
      R"("messageId":"bad-4","timestamp":"2010-12-01T09:00:00Z"})",
  };
}

// The UCI sample with the bad lines spread through it, from bad line
// `start` on, one of them twice (byte-identical lines are written once),
// the first at line `first`.
std::string EventsWithBadLines(size_t first, size_t start = 0) {
  std::vector<std::string> good = ReadLines(kSmallEvents);
  std::vector<std::string> bad = BadLines();
  std::rotate(bad.begin(), bad.begin() + static_cast<ptrdiff_t>(start),
              bad.end());
  bad.push_back(bad[1]);
  std::string text;
  size_t next = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    // Lines `first`, `first` + 301, ... of the output are bad.
    while (next < bad.size() && i + next + 1 == first + next * 301) {
      text += bad[next++] + "\n";
    }
    text += good[i] + "\n";
  }
  return text;
}

struct RunOutput {
  testing::ProcessResult result;
  std::string actions;
  std::string letters;
};

// Runs `events` into `state` (a folder when `partitions` is not empty),
// with actions and dead letters in files named after the state.
RunOutput RunInto(const fs::path& scratch, const fs::path& events,
                  const std::string& state, const std::string& partitions,
                  std::vector<std::string> more = {}) {
  fs::path actions = scratch / (state + ".actions.jsonl");
  fs::path letters = scratch / (state + ".letters.jsonl");
  std::vector<std::string> args = {"run",           kCampaign,
                                   "--events",      events.string(),
                                   "--state",       (scratch / state).string(),
                                   "--out",         actions.string(),
                                   "--dead-letter", letters.string(),
                                   "--batch",       "97",
                                   "--engine",      "interp"};
  if (!partitions.empty()) {
    args.push_back("--partitions");
    args.push_back(partitions);
  }
  args.insert(args.end(), more.begin(), more.end());
  RunOutput output;
  output.result = RunParcours(args, scratch);
  output.actions = testing::ReadText(actions);
  output.letters = testing::ReadText(letters);
  return output;
}

// The first two lines of a run's summary: the counts of lines and actions.
std::string Counts(const std::string& err) {
  size_t first = err.find('\n');
  return err.substr(0, err.find('\n', first + 1));
}

TEST_CASE(
    "partitions write the dead letters of one state file to one file, "
    "byte for byte") {
  auto scratch = testing::ScratchDir("partition-dead-letters");
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithBadLines(40));

  RunOutput single = RunInto(scratch, events, "single.db", "",
                             {"--until", "2012-03-01T00:00:00Z"});
  INFO(single.result.err);
  REQUIRE(single.result.exit_code == 0);
  REQUIRE(single.actions.size() > 1000);
  // Five letters: the repeated line is written once.
  std::vector<std::string> letters =
      ReadLines(scratch / "single.db.letters.jsonl");
  REQUIRE(letters.size() == 5);
  CHECK_THAT(letters[0], Catch::StartsWith(R"({"line":40,"reason":"not JSON)"));
  CHECK_THAT(Counts(single.result.err),
             Catch::Contains("6 dead letters (1 already in the dead-letter "
                             "file)"));

  for (const char* partitions : {"1", "2", "3"}) {
    std::string name = std::string("p") + partitions;
    RunOutput run = RunInto(scratch, events, name, partitions,
                            {"--until", "2012-03-01T00:00:00Z"});
    INFO(partitions << " partitions: " << run.result.err);
    REQUIRE(run.result.exit_code == 0);
    CHECK(run.letters == single.letters);
    CHECK(run.actions == single.actions);
    CHECK(Counts(run.result.err) == Counts(single.result.err));
    CHECK_THAT(
        run.result.err,
        Catch::Contains("dead letters written to `" +
                        (scratch / (name + ".letters.jsonl")).string() + "`"));
    // No partition writes a file of its own.
    for (const auto& entry : fs::directory_iterator(scratch / name)) {
      CHECK(entry.path().filename().string().find("deadletter") ==
            std::string::npos);
    }

    // A rerun of the same events knows every letter.
    RunOutput again = RunInto(scratch, events, name, partitions);
    REQUIRE(again.result.exit_code == 0);
    CHECK(again.letters == single.letters);
    CHECK_THAT(again.result.err,
               Catch::Contains("6 dead letters (6 already in the dead-letter "
                               "file)"));
  }
}

TEST_CASE("a partitions folder keeps its dead letters in one file inside it") {
  auto scratch = testing::ScratchDir("partition-dead-letters-default");
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithBadLines(10));
  auto run = RunParcours(
      {"run", kCampaign, "--events", events.string(), "--state",
       (scratch / "state").string(), "--out", "/dev/null", "--partitions", "3"},
      scratch);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  fs::path letters = scratch / "state" / "deadletter.jsonl";
  CHECK(ReadLines(letters).size() == 5);
  CHECK_THAT(run.err, Catch::Contains("dead letters written to `" +
                                      letters.string() + "`"));
}

TEST_CASE(
    "partitions refuse a dead-letter file they cannot write, or one of "
    "their own files") {
  auto scratch = testing::ScratchDir("partition-dead-letters-refused");
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithBadLines(10));
  auto run = [&](const std::string& letters) {
    return RunParcours({"run", kCampaign, "--events", events.string(),
                        "--state", (scratch / "state").string(), "--out",
                        (scratch / "out.jsonl").string(), "--partitions", "2",
                        "--dead-letter", letters},
                       scratch);
  };

  // Refused before any line: nothing is applied, nothing sent.
  std::string missing = (scratch / "no-such-folder" / "dl.jsonl").string();
  auto unwritable = run(missing);
  CHECK(unwritable.exit_code == 2);
  CHECK_THAT(unwritable.err,
             Catch::Contains("cannot write the dead-letter file `" + missing +
                             "`: the folder"));
  CHECK_THAT(unwritable.err, !Catch::Contains("applied"));
  CHECK(testing::ReadText(scratch / "out.jsonl").empty());
  CHECK_FALSE(fs::exists(scratch / "state"));

  auto own = run((scratch / "state" / "p-0001.db").string());
  CHECK(own.exit_code == 2);
  CHECK_THAT(own.err, Catch::Contains("is the state of this run"));

  // Nor may the actions go to the folder's own dead-letter file.
  std::string letters = (scratch / "state" / "deadletter.jsonl").string();
  auto actions = RunParcours(
      {"run", kCampaign, "--events", events.string(), "--state",
       (scratch / "state").string(), "--out", letters, "--partitions", "2"},
      scratch);
  CHECK(actions.exit_code == 2);
  CHECK_THAT(actions.err, Catch::Contains("`--out " + letters +
                                          "` is the dead letters of this run"));
}

// A run killed after it wrote dead letters and before it committed their
// keys leaves them in the file and not in the state. The state such a
// kill leaves is made by putting back a copy of the state taken before
// the run: the file then holds letters the state does not know.
// With `cut_last_letter` the kill also came in the middle of writing the
// last letter, whose end is missing.
void CheckKilledRunLeavesNoRepeat(const std::string& partitions,
                                  const std::vector<std::string>& restored,
                                  bool cut_last_letter = false) {
  std::string name = partitions.empty() ? "killed.db" : "killed";
  auto scratch =
      testing::ScratchDir("partition-dead-letters-killed-" + partitions);
  fs::path events = scratch / "events.jsonl";
  fs::path first = scratch / "first.jsonl";
  std::string text = EventsWithBadLines(40);
  testing::WriteText(events, text);
  // The first 500 lines hold two of the bad lines.
  std::istringstream in(text);
  std::string head;
  std::string line;
  for (int i = 0; i < 500 && std::getline(in, line); ++i) head += line + "\n";
  testing::WriteText(first, head);

  RunOutput clean = RunInto(scratch, events, "clean.db", "");
  REQUIRE(clean.result.exit_code == 0);

  REQUIRE(RunInto(scratch, first, name, partitions).result.exit_code == 0);
  REQUIRE(ReadLines(scratch / (name + ".letters.jsonl")).size() == 2);
  fs::copy(scratch / name, scratch / "before", fs::copy_options::recursive);
  RunOutput whole = RunInto(scratch, events, name, partitions);
  REQUIRE(whole.result.exit_code == 0);
  REQUIRE(whole.letters == clean.letters);

  // The kill: the state files named go back to what they were before
  // the run, the dead-letter file keeps what the run wrote.
  for (const std::string& file : restored) {
    fs::path from =
        partitions.empty() ? scratch / "before" : scratch / "before" / file;
    fs::path to = partitions.empty() ? scratch / name : scratch / name / file;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  }
  if (cut_last_letter) {
    fs::path letters = scratch / (name + ".letters.jsonl");
    fs::resize_file(letters, fs::file_size(letters) - 20);
  }
  // A rerun that commits before it meets those letters again, and stops
  // (as a second kill would), must leave them to the next to read back.
  RunOutput stopped = RunInto(scratch, events, name, partitions, {"--strict"});
  REQUIRE(stopped.result.exit_code == 1);
  REQUIRE_THAT(stopped.result.err, Catch::Contains("parcours: line 40: "));
  RunOutput rerun = RunInto(scratch, events, name, partitions);
  INFO(rerun.result.err);
  REQUIRE(rerun.result.exit_code == 0);
  CHECK(rerun.letters == clean.letters);
  // A cut letter is written again, whole.
  std::string known = cut_last_letter ? "5" : "6";
  CHECK_THAT(rerun.result.err,
             Catch::Contains("6 dead letters (" + known +
                             " already in the dead-letter file)"));
}

TEST_CASE("a rerun after a killed run writes no dead letter twice") {
  SECTION("one state file") { CheckKilledRunLeavesNoRepeat("", {""}); }
  SECTION("every partition killed before its commit") {
    CheckKilledRunLeavesNoRepeat("3", {"p-0000.db", "p-0001.db", "p-0002.db"});
  }
  SECTION("one state file, killed in the middle of a letter") {
    CheckKilledRunLeavesNoRepeat("", {""}, true);
  }
  SECTION("two partitions, killed in the middle of a letter") {
    CheckKilledRunLeavesNoRepeat("2", {"p-0000.db", "p-0001.db"}, true);
  }
}

TEST_CASE(
    "a partition killed before committing the key of a letter written "
    "does not write it again") {
  auto scratch = testing::ScratchDir("partition-dead-letters-behind");
  std::string text = EventsWithBadLines(40);
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, text);
  RunOutput clean = RunInto(scratch, events, "clean.db", "");
  REQUIRE(clean.result.exit_code == 0);

  // The letter of line 341 (profile 17850's order) is written by its
  // partition, which is killed before it commits that batch of 97 lines;
  // the other partition committed it.
  const int64_t batch = 97;
  const int64_t line = 341;
  uint32_t killed = engine::PartitionOf("17850", 2);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string each; std::getline(in, each);) lines.push_back(each);
  REQUIRE(lines[line - 1].find("\"lots\"") != std::string::npos);
  auto prefix = [&](int64_t count, const std::string& name) {
    std::string head;
    for (int64_t i = 0; i < count; ++i) head += lines[i] + "\n";
    testing::WriteText(scratch / name, head);
    return scratch / name;
  };
  int64_t before = (line - 1) / batch * batch;
  REQUIRE(RunInto(scratch, prefix(before, "behind.jsonl"), "behind", "2")
              .result.exit_code == 0);
  RunOutput ahead =
      RunInto(scratch, prefix(before + batch, "ahead.jsonl"), "ahead", "2");
  REQUIRE(ahead.result.exit_code == 0);
  REQUIRE_THAT(ahead.letters, Catch::Contains(R"({"line":341,)"));

  fs::path crashed = scratch / "crashed";
  fs::create_directories(crashed);
  for (uint32_t i = 0; i < 2; ++i) {
    std::string file = i == 0 ? "p-0000.db" : "p-0001.db";
    fs::copy_file(scratch / (i == killed ? "behind" : "ahead") / file,
                  crashed / file);
    // The run never finished, so no partition counts its lines.
    auto db = store::Database::Open((crashed / file).string());
    REQUIRE(db.ok());
    REQUIRE(
        db->Exec("UPDATE meta SET value = 0 WHERE key = 'lines_total'").ok());
  }
  fs::copy_file(scratch / "ahead" / "partitions", crashed / "partitions");
  fs::copy_file(scratch / "ahead.letters.jsonl",
                scratch / "crashed.letters.jsonl");

  RunOutput stopped = RunInto(scratch, events, "crashed", "2", {"--strict"});
  REQUIRE(stopped.result.exit_code == 1);
  RunOutput rerun = RunInto(scratch, events, "crashed", "2");
  INFO(rerun.result.err);
  REQUIRE(rerun.result.exit_code == 0);
  CHECK(rerun.letters == clean.letters);
}

// `--strict` stops at the first bad line, line 150 of the events, bad
// line `start` of `BadLines`, with the message, the exit code, the
// actions, the dead letters and the state of one state file.
void CheckStrictStopsAlike(size_t start) {
  auto scratch =
      testing::ScratchDir("partition-strict-" + std::to_string(start));
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithBadLines(150, start));

  auto report = [&](const std::string& state) {
    auto result = RunParcours({"report", "backtest", "--state",
                               (scratch / state).string(), "--format", "json"},
                              scratch);
    REQUIRE(result.exit_code == 0);
    return result.out;
  };
  auto last_line = [](const std::string& err) {
    size_t end = err.rfind('\n', err.size() - 2);
    return err.substr(end == std::string::npos ? 0 : end + 1);
  };

  RunOutput single = RunInto(scratch, events, "single.db", "", {"--strict"});
  INFO(single.result.err);
  REQUIRE(single.result.exit_code == 1);
  std::string stop = last_line(single.result.err);
  REQUIRE_THAT(stop, Catch::StartsWith("parcours: line 150: "));
  REQUIRE(ReadLines(scratch / "single.db.letters.jsonl").size() == 1);
  std::string single_report = report("single.db");
  RunOutput single_rest = RunInto(scratch, events, "single.db", "");
  REQUIRE(single_rest.result.exit_code == 0);

  for (const char* partitions : {"1", "2", "3"}) {
    std::string name = std::string("p") + partitions;
    RunOutput run = RunInto(scratch, events, name, partitions, {"--strict"});
    INFO(partitions << " partitions: " << run.result.err);
    CHECK(run.result.exit_code == 1);
    CHECK(last_line(run.result.err) == stop);
    CHECK(Counts(run.result.err) == Counts(single.result.err));
    CHECK(run.actions == single.actions);
    CHECK(run.letters == single.letters);
    // Nothing after the line was applied in any partition.
    CHECK(report(name) == single_report);

    // A rerun goes on from there as one file's does, and writes the
    // letter it stopped at no second time.
    RunOutput rest = RunInto(scratch, events, name, partitions);
    REQUIRE(rest.result.exit_code == 0);
    CHECK(rest.letters == single_rest.letters);
    CHECK(rest.actions == single_rest.actions);
    CHECK(ReadLines(scratch / (name + ".letters.jsonl")).size() == 5);
  }
}

TEST_CASE("a strict run stops every partition at the line one file stops") {
  SECTION("a line that is not JSON") { CheckStrictStopsAlike(0); }
  SECTION("an order whose total is not money") { CheckStrictStopsAlike(1); }
  SECTION("a line of an unknown type") { CheckStrictStopsAlike(2); }
  SECTION("a time too far ahead of the clock") { CheckStrictStopsAlike(3); }
}

// A strict stop delivers the actions of the lines before its bad line,
// and records that it did, as a run that reads its input to the end
// does: a rerun on stdout, which cannot be read back, sends none of
// them again.
TEST_CASE("a strict stop records its delivery so a rerun repeats nothing") {
  auto scratch = testing::ScratchDir("strict-delivery");
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithBadLines(150));
  for (const char* partitions : {"", "2"}) {
    std::string name = *partitions ? std::string("p") + partitions : "s.db";
    std::vector<std::string> args = {"run",      kCampaign,
                                     "--events", events.string(),
                                     "--state",  (scratch / name).string(),
                                     "--out",    "-",
                                     "--batch",  "97",
                                     "--engine", "interp",
                                     "--strict"};
    if (*partitions) {
      args.push_back("--partitions");
      args.push_back(partitions);
    }
    auto first = RunParcours(args, scratch);
    INFO(partitions << " partitions: " << first.err);
    REQUIRE(first.exit_code == 1);
    REQUIRE(!first.out.empty());
    auto again = RunParcours(args, scratch);
    INFO(again.err);
    CHECK(again.exit_code == 1);
    CHECK(again.out.empty());
  }
}

// A line applied by an earlier run is a duplicate, not a dead letter,
// even when it would now be refused: the partitions that do not own it
// must not stop there either.
TEST_CASE("a strict run stops no partition at a line applied before") {
  auto scratch = testing::ScratchDir("partition-strict-applied");
  std::vector<std::string> good = ReadLines(kSmallEvents);
  std::string head;
  for (size_t i = 0; i < 200; ++i) head += good[i] + "\n";
  // Line 2 again, its message id kept and its total spoilt.
  std::string spoilt = good[1];
  size_t total = spoilt.find("\"total\":");
  REQUIRE(total != std::string::npos);
  size_t comma = spoilt.find(',', total);
  spoilt.replace(total + 8, comma - total - 8, "\"x\"");
  std::string all = head + spoilt + "\n";
  for (size_t i = 200; i < good.size(); ++i) all += good[i] + "\n";
  fs::path first = scratch / "first.jsonl";
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(first, head);
  testing::WriteText(events, all);

  RunOutput single;
  for (const char* partitions : {"", "2", "3"}) {
    std::string name = *partitions ? std::string("p") + partitions : "s.db";
    REQUIRE(RunInto(scratch, first, name, partitions).result.exit_code == 0);
    RunOutput run = RunInto(scratch, events, name, partitions, {"--strict"});
    INFO(partitions << " partitions: " << run.result.err);
    REQUIRE(run.result.exit_code == 0);
    CHECK(run.letters.empty());
    if (!*partitions) {
      single = run;
      continue;
    }
    CHECK(run.actions == single.actions);
    CHECK(Counts(run.result.err) == Counts(single.result.err));
  }
}

// The first 8000 lines of the UCI year, and before every 40th a bad line
// of its own: one that is not JSON, or its order in a currency that does
// not exist (its good twin, with the same message id, comes next).
std::string EventsWithManyBadLines() {
  std::vector<std::string> good = ReadLines(kAllEvents);
  std::string text;
  for (size_t i = 0; i < 8000 && i < good.size(); ++i) {
    size_t currency = good[i].find(R"("currency":"GBP")");
    if (i % 40 == 0 && currency != std::string::npos) {
      std::string bad = good[i];
      bad.replace(currency, 16, R"("currency":"ABC")");
      text += bad + "\n";
    } else if (i % 40 == 0) {
      text += "not json " + std::to_string(i) + "\n";
    }
    text += good[i] + "\n";
  }
  return text;
}

// Runs the events once whole, then again into another state, killed at
// random moments and started again until it ends: the dead-letter file
// must come out byte for byte as the whole run's. Batches of 100 lines
// hold a few letters each, so that a kill often falls between letters
// written and the commit of their keys (one state file wrote such
// letters twice before the file was read back).
void CheckKilledAtRandom(const std::string& partitions) {
  auto scratch = testing::ScratchDir("dead-letters-killed-" + partitions);
  fs::path events = scratch / "events.jsonl";
  testing::WriteText(events, EventsWithManyBadLines());
  auto args = [&](const std::string& name) {
    std::vector<std::string> args = {
        "run",           kCampaign,
        "--events",      events.string(),
        "--state",       (scratch / name).string(),
        "--out",         (scratch / (name + ".jsonl")).string(),
        "--dead-letter", (scratch / (name + ".letters.jsonl")).string(),
        "--engine",      "interp",
        "--batch",       "100"};
    if (!partitions.empty()) {
      args.push_back("--partitions");
      args.push_back(partitions);
    }
    return args;
  };
  auto whole = RunParcours(args("whole"), scratch);
  REQUIRE(whole.exit_code == 0);
  std::string expected = testing::ReadText(scratch / "whole.letters.jsonl");
  REQUIRE(ReadLines(scratch / "whole.letters.jsonl").size() > 150);

  std::random_device device;
  unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(20, 120);
  int kills = 0;
  for (int attempt = 0; attempt < 10; ++attempt) {
    pid_t child = StartParcours(args("killed"));
    REQUIRE(child > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
      ++kills;
    } else {
      REQUIRE(WEXITSTATUS(status) == 0);
    }
  }
  auto last = RunParcours(args("killed"), scratch);
  INFO(kills << " runs killed; " << last.err);
  REQUIRE(last.exit_code == 0);
  CHECK(kills > 0);
  CHECK(testing::ReadText(scratch / "killed.letters.jsonl") == expected);
}

TEST_CASE(
    "dead letters of a run killed at random moments are each written "
    "once") {
  SECTION("one state file") { CheckKilledAtRandom(""); }
  SECTION("three partitions") { CheckKilledAtRandom("3"); }
}

}  // namespace
}  // namespace parcours
