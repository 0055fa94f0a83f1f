// `parcours run --partitions N`: a folder of N state files, one thread
// each, and the same output bytes for every N.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/common/time_text.h"
#include "runtime/engine/run.h"
#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;

// The first two lines of a run's summary: the counts of lines and actions.
std::string Counts(const std::string& err) {
  size_t first = err.find('\n');
  size_t second = err.find('\n', first + 1);
  return err.substr(0, second);
}

// Runs `events` into a single state file and into folders of 1, 2, 3 and
// 5 partitions; checks that every run writes the same actions and counts.
void CheckSameForAnyPartitions(const std::filesystem::path& scratch,
                               const std::string& events,
                               const std::vector<std::string>& extra,
                               const std::string& campaign = kCampaign) {
  auto run = [&](const std::string& name, const std::string& state,
                 std::vector<std::string> more) {
    std::vector<std::string> args = {"run",      campaign,
                                     "--events", events,
                                     "--state",  (scratch / state).string(),
                                     "--out",    (scratch / name).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), more.begin(), more.end());
    return RunParcours(args, scratch);
  };

  auto single = run("single.jsonl", "single.db", {});
  REQUIRE(single.exit_code == 0);
  std::string expected = testing::ReadText(scratch / "single.jsonl");
  REQUIRE(expected.size() > 1000);

  for (const char* partitions : {"1", "2", "3", "5"}) {
    std::string name = std::string("p") + partitions;
    auto result = run(name + ".jsonl", name, {"--partitions", partitions});
    INFO(partitions << " partitions: " << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(testing::ReadText(scratch / (name + ".jsonl")) == expected);
    CHECK(Counts(result.err) == Counts(single.err));
  }
}

TEST_CASE("the UCI sample gives the same bytes for any number of partitions") {
  auto scratch = testing::ScratchDir("partitions-uci");
  CheckSameForAnyPartitions(scratch, kSmallEvents,
                            {"--engine", "interp", "--batch", "97", "--until",
                             "2012-03-01T00:00:00Z"});
}

// Time alone starts instances in many profiles at once there (segments
// that `days_since` and windows flip): their numbers, and so their action
// ids, used to come from a counter shared by a partition's profiles, so
// 130 of 1,505 ids changed with two partitions.
TEST_CASE("instances that time starts get the same ids in any partition") {
  auto scratch = testing::ScratchDir("partitions-crm");
  CheckSameForAnyPartitions(
      scratch, kSmallEvents, {},
      (testing::SourceDir() / "examples/crm-starter/campaign").string());
}

// Runs that only move the clock (`--events` empty, `--until` a day on),
// as a daily job does, each starting instances by time alone: `q` two a
// day (a schedule and its birthday), `p` one. The third run numbered its
// instances from above the highest number the second took in the file,
// which was `q`'s with one state file and `p`'s own with `p` alone in
// its partition, so `p`'s send of 3 March had another id with two
// partitions.
TEST_CASE("runs that only move the clock give the same ids in any partition") {
  auto scratch = testing::ScratchDir("partitions-until-runs");
  std::filesystem::create_directories(scratch / "c");
  testing::WriteText(scratch / "c" / "daily.journey", R"(module daily
profile {
  email: string = "a@b.c"
  timezone: tz = "UTC"
  birthday: date?
}

journey daily {
  every day 09:00 local
  send email "daily"
}

journey birthday {
  on date profile.birthday at 09:00 local
  send email "birthday"
}
)");
  // `p` and `q` fall in different partitions of two.
  auto identify = [](const std::string& id, const std::string& traits) {
    return R"({"type":"identify","userId":")" + id +
           R"(","timestamp":"2025-03-01T10:00:00Z","traits":)" + traits + "}\n";
  };
  testing::WriteText(
      scratch / "events.jsonl",
      identify("p", "{}") + identify("q", R"({"birthday":"1990-03-02"})"));
  testing::WriteText(scratch / "empty.jsonl", "");

  auto runs = [&](const std::string& name, std::vector<std::string> state) {
    std::string out = (scratch / (name + ".jsonl")).string();
    std::vector<std::pair<std::string, std::string>> steps = {
        {"events.jsonl", ""},
        {"empty.jsonl", "2025-03-02T12:00:00Z"},
        {"empty.jsonl", "2025-03-03T12:00:00Z"}};
    for (const auto& [events, until] : steps) {
      std::vector<std::string> args = {"run",      (scratch / "c").string(),
                                       "--events", (scratch / events).string(),
                                       "--out",    out};
      args.insert(args.end(), state.begin(), state.end());
      if (!until.empty()) {
        args.push_back("--until");
        args.push_back(until);
      }
      auto result = RunParcours(args, scratch);
      INFO(name << ": " << result.err);
      REQUIRE(result.exit_code == 0);
    }
    return testing::ReadText(out);
  };
  std::string single =
      runs("single", {"--state", (scratch / "single.db").string()});
  CHECK(std::count(single.begin(), single.end(), '\n') == 5);
  for (const char* partitions : {"2", "3"}) {
    std::string name = std::string("p") + partitions;
    INFO(partitions << " partitions");
    CHECK(runs(name, {"--state", (scratch / name).string(), "--partitions",
                      partitions}) == single);
  }
}

// A stream with what makes partitions hard: many profiles, timers that
// fall due between events of other profiles, duplicates (of lines and of
// a profile's message ids), undeclared events, late events, blank and
// broken lines.
std::string GeneratedStream(unsigned seed, int lines) {
  std::mt19937 random(seed);
  int64_t clock = *common::ParseTime("2011-01-03T08:00:00Z");
  std::vector<std::string> written;
  std::string text;
  for (int i = 0; i < lines; ++i) {
    uint32_t roll = random() % 100;
    std::string user = "c" + std::to_string(random() % 60);
    clock += static_cast<int64_t>(random() % (3 * 86400));
    int64_t at = roll < 5 ? clock - 86400 * (1 + random() % 20) : clock;
    std::string time = common::FormatTime(at);
    std::string id = user + "-m" + std::to_string(i);
    std::string line;
    if (roll < 3 && !written.empty()) {
      line = written[random() % written.size()];  // the same line again
    } else if (roll < 6) {
      line = "";
    } else if (roll < 8) {
      line = "{\"type\":\"track\",\"event\":";  // cut short
    } else if (roll < 15) {
      line = R"({"type":"track","event":"Page Viewed","userId":")" + user +
             R"(","messageId":")" + id + R"(","timestamp":")" + time + R"("})";
    } else if (roll < 25) {
      line = R"({"type":"identify","userId":")" + user + R"(","messageId":")" +
             id + R"(","timestamp":")" + time +
             R"(","traits":{"country":"France","timezone":"Europe/Paris"}})";
    } else {
      bool refund = roll < 32;
      std::string total = std::to_string(random() % 900) + "." +
                          std::to_string(10 + random() % 90);
      // A message id this profile used before: a retried event that
      // another line took the place of. (Ids are unique per partition,
      // see docs/runtime.md, so a stream must not give one id to two
      // profiles.)
      if (roll > 95 && i > 10) id = "m" + user + "-retried";
      line = std::string(R"({"type":"track","event":")") +
             (refund ? "Order Refunded" : "Order Completed") +
             R"(","userId":")" + user + R"(","messageId":")" + id +
             R"(","timestamp":")" + time + R"(","properties":{"order_id":"o)" +
             std::to_string(i) + R"(","total":)" + total +
             R"(,"currency":"GBP","items":3,"country":"France"}})";
    }
    written.push_back(line);
    text += line + "\n";
  }
  return text;
}

TEST_CASE(
    "a generated stream gives the same bytes for any number of "
    "partitions") {
  auto scratch = testing::ScratchDir("partitions-generated");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, GeneratedStream(20251204, 3000));
  CheckSameForAnyPartitions(scratch, events.string(),
                            {"--engine", "interp", "--batch", "13"});

  // And on the JIT, with other commit points.
  auto jit = scratch / "jit";
  std::filesystem::create_directories(jit);
  CheckSameForAnyPartitions(jit, events.string(),
                            {"--engine", "jit", "--batch", "500"});
}

// A loyalty club whose members earn points with no event being handled:
// after a wait, on their birthday, after a message quiet hours held, from
// an order emitted after a wait. Each such lot wakes its member for its
// notice and its expiry, whatever else the member or the partition does.
const char kLoyaltyClub[] =
    "profile {\n  timezone: tz = \"UTC\"\n  birthday: date?\n}\n"
    "event Ping \"Ping\" {}\n"
    "event Order \"Order\" { order_id: string, total: money }\n"
    "event Redeem \"Redeem\" { points: int }\n"
    "program club {\n"
    "  earn 1 point per 1 EUR of Order.total\n"
    "  burn on Redeem.points\n"
    "  expire 10d after earning\n"
    "  notify expiring 2d before\n}\n"
    "policy calm {\n  quiet 22:00 .. 08:00 local\n"
    "  when capped: defer within 1d\n}\n"
    "journey later_bonus {\n  on Ping\n  reentry after 5d\n  wait 1h\n"
    "  award 150 points reason \"late bonus\"\n}\n"
    "journey later_order {\n  on Ping\n  reentry after 9d\n  wait 3h\n"
    "  emit Order { order_id: \"bonus\", total: 12 EUR }\n}\n"
    "journey thanks {\n  on Order\n  policy calm\n  send email \"thanks\"\n"
    "  award 5 points reason \"thanks\"\n}\n"
    "journey bday {\n  on date profile.birthday at 09:00 local\n"
    "  award 10 points reason \"birthday\"\n}\n"
    "journey warn {\n  on PointsExpiring as e\n  send inapp \"expiring\"\n}\n";

// Members who are identified with a birthday and a zone, ping now and
// then, order and redeem a little, with quiet spells longer than a lot's
// life between (150 members, an event every 3 hours on average).
std::string LoyaltyStream(unsigned seed, int lines) {
  static const char* const kZones[] = {"UTC", "Europe/Paris", "Asia/Kolkata",
                                       "America/New_York"};
  std::mt19937 random(seed);
  int64_t clock = *common::ParseTime("2025-01-01T00:00:00Z");
  std::string text;
  for (int i = 0; i < lines; ++i) {
    uint32_t roll = random() % 100;
    std::string user = "u" + std::to_string(random() % 150);
    clock += static_cast<int64_t>(random() % (6 * 3600));
    std::string head = R"({"userId":")" + user + R"(","messageId":"m)" +
                       std::to_string(i) + R"(","timestamp":")" +
                       common::FormatTime(clock) + "\",";
    if (roll < 10) {
      text += head + R"("type":"identify","traits":{"timezone":")" +
              kZones[random() % 4] + R"(","birthday":"1980-0)" +
              std::to_string(1 + random() % 4) + "-1" +
              std::to_string(random() % 10) + "\"}}\n";
    } else if (roll < 60) {
      text += head + R"("type":"track","event":"Ping"})"
                     "\n";
    } else if (roll < 90) {
      text += head + R"("type":"track","event":"Order","properties":)" +
              R"({"order_id":"o)" + std::to_string(i) + R"(","total":)" +
              std::to_string(1 + random() % 200) +
              R"(,"currency":"EUR"}})"
              "\n";
    } else {
      text += head + R"("type":"track","event":"Redeem","properties":)" +
              R"({"points":)" + std::to_string(1 + random() % 50) + "}}\n";
    }
  }
  return text;
}

TEST_CASE(
    "points earned with no event fall due alike for any number of "
    "partitions, and across runs") {
  auto scratch = testing::ScratchDir("partitions-loyalty-wake");
  auto program = scratch / "club.journey";
  testing::WriteText(program, kLoyaltyClub);
  std::string stream = LoyaltyStream(20251205, 500);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, stream);
  const std::string until = "2025-05-15T00:00:00Z";
  CheckSameForAnyPartitions(scratch, events.string(),
                            {"--engine", "interp", "--until", until},
                            program.string());
  std::string expected = testing::ReadText(scratch / "single.jsonl");
  // The members wake for their expiries with nothing else to wake them.
  CHECK(expected.find(R"("reason":"expire")") != std::string::npos);
  CHECK(expected.find(R"("template":"expiring")") != std::string::npos);

  // The same input in two runs writes the same lines as in one: no
  // expiry is left for the next run to find late.
  size_t half = stream.find('\n', stream.size() / 2) + 1;
  testing::WriteText(scratch / "first.jsonl", stream.substr(0, half));
  testing::WriteText(scratch / "second.jsonl", stream.substr(half));
  std::string split;
  for (const char* part : {"first", "second"}) {
    std::vector<std::string> args = {
        "run",      program.string(),
        "--events", (scratch / (std::string(part) + ".jsonl")).string(),
        "--state",  (scratch / "split.db").string(),
        "--out",    "-",
        "--engine", "jit"};
    if (std::string(part) == "second") {
      args.push_back("--until");
      args.push_back(until);
    }
    auto result = RunParcours(args, scratch);
    INFO(part << ": " << result.err);
    REQUIRE(result.exit_code == 0);
    split += result.out;
  }
  CHECK(split == expected);
}

TEST_CASE("a timer fires on time in a partition that gets no more events") {
  // "a" and "b" live in different partitions of two.
  REQUIRE(engine::PartitionOf("a", 2) != engine::PartitionOf("b", 2));
  auto scratch = testing::ScratchDir("partitions-timer");
  auto program = scratch / "remind.journey";
  testing::WriteText(program,
                     "event Ping \"Ping\" { note: string? }\n"
                     "journey remind {\n"
                     "  on Ping as ping\n"
                     "  wait 1h\n"
                     "  send email \"reminder\"\n"
                     "}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(
      events, R"({"type":"track","event":"Ping","userId":"a","messageId":"1",)"
              R"("timestamp":"2011-01-03T10:00:00Z"})"
              "\n"
              R"({"type":"track","event":"Ping","userId":"b","messageId":"2",)"
              R"("timestamp":"2011-01-03T12:00:00Z"})"
              "\n");
  auto result = RunParcours(
      {"run", program.string(), "--events", events.string(), "--state",
       (scratch / "state").string(), "--partitions", "2", "--batch", "1"},
      scratch);
  REQUIRE(result.exit_code == 0);
  // a's reminder fell due at 11:00, while only b had events; b's waits.
  CHECK_THAT(
      result.out,
      Catch::Matches(R"(\{"kind":"send","id":"[0-9a-f]{16}",)"
                     R"("at":"2011-01-03T11:00:00Z","profile":"a",.*\n)"));
  CHECK_THAT(result.err,
             Catch::Contains("1 timer fired, 0 time-driven entries, "
                             "1 instance waiting"));
}

// Two batches of two lines on partitions 0 ("a", "c") and 1 ("b"): the
// first batch `first`, the whole input `all`. The program greets a buyer
// and thanks them 30 minutes after the greeting: a wait after a message
// counts from the message, sent at the clock, so the clock at the entry
// shows in the time of the thanks.
struct CrashCase {
  std::filesystem::path scratch;
  std::filesystem::path program;

  explicit CrashCase(const std::string& name)
      : scratch(testing::ScratchDir(name)),
        program(scratch / "thanks.journey") {
    REQUIRE(engine::PartitionOf("a", 2) == 0);
    REQUIRE(engine::PartitionOf("b", 2) == 1);
    REQUIRE(engine::PartitionOf("c", 2) == 0);
    testing::WriteText(program,
                       "event Bought \"Bought\" { sku: string }\n"
                       "event Ping \"Ping\" {}\n"
                       "journey thanks {\n  on Bought\n  reentry never\n"
                       "  send email \"hello\"\n  wait 30m\n"
                       "  send email \"thanks\"\n}\n");
  }

  static std::string Line(const std::string& user, const std::string& id,
                          const std::string& event, const std::string& time) {
    return R"({"type":"track","event":")" + event + R"(","userId":")" + user +
           R"(","messageId":")" + id + R"(","timestamp":")" + time +
           R"(","properties":{"sku":"s"}})"
           "\n";
  }

  void Run(const std::string& events, const std::string& state,
           const std::string& out, std::vector<std::string> more) const {
    std::vector<std::string> args = {"run",      program.string(),
                                     "--events", (scratch / events).string(),
                                     "--state",  (scratch / state).string(),
                                     "--out",    (scratch / out).string(),
                                     "--batch",  "2"};
    args.insert(args.end(), more.begin(), more.end());
    auto result = RunParcours(args, scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  }

  // Runs `all` on one state file and returns its actions; then makes the
  // state a crash between the partitions' commits of the second batch
  // leaves (partition 0 committed the first batch only, partition 1 both;
  // the run never finished, so neither counts its lines among the runs'),
  // and checks that the rerun writes what partition 0 had not decided as
  // the run without a crash did: the same lines, the same ids. (b's went
  // out before the crash, and a's greeting.)
  std::string CheckRerun(const std::string& first,
                         const std::string& all) const {
    testing::WriteText(scratch / "first.jsonl", first);
    testing::WriteText(scratch / "all.jsonl", all);
    const std::vector<std::string> until = {"--until", "2025-01-02T00:00:00Z"};
    Run("all.jsonl", "single.db", "single.jsonl", until);
    std::string expected = testing::ReadText(scratch / "single.jsonl");

    Run("first.jsonl", "behind", "behind.jsonl", {"--partitions", "2"});
    Run("all.jsonl", "ahead", "ahead.jsonl", {"--partitions", "2"});
    auto crashed = scratch / "crashed";
    std::filesystem::create_directories(crashed);
    std::filesystem::copy_file(scratch / "behind" / "p-0000.db",
                               crashed / "p-0000.db");
    std::filesystem::copy_file(scratch / "ahead" / "p-0001.db",
                               crashed / "p-0001.db");
    std::filesystem::copy_file(scratch / "ahead" / "partitions",
                               crashed / "partitions");
    for (const char* file : {"p-0000.db", "p-0001.db"}) {
      auto db = store::Database::Open((crashed / file).string());
      REQUIRE(db.ok());
      REQUIRE(
          db->Exec("UPDATE meta SET value = 0 WHERE key = 'lines_total'").ok());
    }
    Run("all.jsonl", "crashed", "rerun.jsonl",
        {"--partitions", "2", until[0], until[1]});

    // Partition 0 had delivered what the first batch decided.
    std::string delivered = testing::ReadText(scratch / "behind.jsonl");
    std::string undecided;
    std::istringstream lines(expected);
    for (std::string text; std::getline(lines, text);) {
      if (text.find(R"("profile":"b")") == std::string::npos &&
          delivered.find(text) == std::string::npos) {
        undecided += text + "\n";
      }
    }
    CHECK(testing::ReadText(scratch / "rerun.jsonl") == undecided);
    return expected;
  }
};

// A crash between the partitions' commits of a batch leaves one partition
// a batch ahead. The rerun finds that partition's lines of the batch to
// be duplicates; the partition behind must still move its clock on them,
// as it did before the crash, or a late event of its own enters its
// journey at another time.
TEST_CASE("a rerun after a crash between partition commits decides alike") {
  CrashCase crash("partitions-crash-clock");
  // The second batch: b's ping moves the clock to 11:00, then c's order of
  // 10:30 comes late, and enters at the clock.
  std::string first =
      CrashCase::Line("a", "1", "Bought", "2025-01-01T10:00:00Z") +
      CrashCase::Line("b", "2", "Bought", "2025-01-01T10:00:00Z");
  std::string all = first +
                    CrashCase::Line("b", "3", "Ping", "2025-01-01T11:00:00Z") +
                    CrashCase::Line("c", "4", "Bought", "2025-01-01T10:30:00Z");
  CHECK_THAT(crash.CheckRerun(first, all),
             Catch::Contains(R"("at":"2025-01-01T11:30:00Z",)"
                             R"("profile":"c")"));
}

// The same crash, but the line of the partition ahead in the interrupted
// batch is a resend of an id it had applied in an earlier batch. It was
// a duplicate before the crash too and moved no clock; the partition
// behind must not move its clock on it in the rerun either, or its own
// event after it enters late, at another time and with another id.
TEST_CASE(
    "a rerun after a crash between partition commits skips old "
    "duplicates alike") {
  CrashCase crash("partitions-crash-duplicate");
  // The second batch: b's order sent again at 11:00 (a duplicate, which
  // leaves the clock at 10:00), then c's order of 10:30, on time.
  std::string first =
      CrashCase::Line("a", "1", "Bought", "2025-01-01T10:00:00Z") +
      CrashCase::Line("b", "2", "Bought", "2025-01-01T10:00:00Z");
  std::string all =
      first + CrashCase::Line("b", "2", "Bought", "2025-01-01T11:00:00Z") +
      CrashCase::Line("c", "4", "Bought", "2025-01-01T10:30:00Z");
  CHECK_THAT(crash.CheckRerun(first, all),
             Catch::Contains(R"("at":"2025-01-01T11:00:00Z",)"
                             R"("profile":"c")"));
}

TEST_CASE("a state folder keeps its number of partitions") {
  auto scratch = testing::ScratchDir("partitions-count");
  auto folder = scratch / "state";
  auto run = [&](const std::string& partitions) {
    return RunParcours(
        {"run", kCampaign, "--events", kSmallEvents, "--state", folder.string(),
         "--partitions", partitions, "--out", (scratch / "out.jsonl").string()},
        scratch);
  };
  REQUIRE(run("2").exit_code == 0);
  std::string output = testing::ReadText(scratch / "out.jsonl");

  auto more = run("3");
  CHECK(more.exit_code == 2);
  CHECK_THAT(more.err,
             Catch::Contains("state folder `" + folder.string() +
                             "` was made with --partitions 2, not 3; a state "
                             "keeps the number of partitions it was made "
                             "with: run with --partitions 2, or replay the "
                             "events into a new folder"));
  CHECK_FALSE(std::filesystem::exists(folder / "p-0002.db"));
  CHECK(testing::ReadText(scratch / "out.jsonl") == output);

  auto fewer = run("1");
  CHECK(fewer.exit_code == 2);

  // The same number again: every event is known, nothing is sent twice.
  auto again = run("2");
  CHECK(again.exit_code == 0);
  CHECK(testing::ReadText(scratch / "out.jsonl") == output);
}

TEST_CASE("a state folder that lost a partition file is refused") {
  auto scratch = testing::ScratchDir("partitions-lost-file");
  auto folder = scratch / "state";
  auto out = scratch / "out.jsonl";
  auto run = [&] {
    return RunParcours(
        {"run", kCampaign, "--events", kSmallEvents, "--state", folder.string(),
         "--partitions", "3", "--out", out.string()},
        scratch);
  };
  REQUIRE(run().exit_code == 0);
  std::string output = testing::ReadText(out);

  // A partition's file holds its profiles' state and message ids: made
  // anew, it would apply their events again and send their actions twice.
  std::filesystem::remove(folder / "p-0001.db");
  auto lost = run();
  CHECK(lost.exit_code == 2);
  CHECK_THAT(lost.err,
             Catch::Contains("state folder `" + folder.string() +
                             "` was made with --partitions 3, but its file "
                             "`p-0001.db` is missing"));
  CHECK_FALSE(std::filesystem::exists(folder / "p-0001.db"));
  CHECK(testing::ReadText(out) == output);

  // A record of the number that does not hold one is not taken for none.
  testing::WriteText(folder / "partitions", "three\n");
  auto garbled = run();
  CHECK(garbled.exit_code == 2);
  CHECK_THAT(garbled.err,
             Catch::Contains("`" + (folder / "partitions").string() +
                             "` should hold the number of partitions"));
  CHECK(testing::ReadText(out) == output);
}

TEST_CASE(
    "a state file in the wrong place is refused: another slot of its "
    "folder, a folder for a file of one, one file for a partition") {
  auto scratch = testing::ScratchDir("partitions-wrong-place");
  auto folder = scratch / "state";
  auto out = scratch / "out.jsonl";
  auto run = [&](const std::filesystem::path& state,
                 std::vector<std::string> more) {
    std::vector<std::string> args = {"run",        kCampaign,   "--events",
                                     kSmallEvents, "--state",   state.string(),
                                     "--out",      out.string()};
    args.insert(args.end(), more.begin(), more.end());
    return RunParcours(args, scratch);
  };
  REQUIRE(run(folder, {"--partitions", "3"}).exit_code == 0);
  std::string output = testing::ReadText(out);

  // Two files swapped, as a restore from a backup might: each profile's
  // events would look for it in the other file, and start it afresh.
  namespace fs = std::filesystem;
  fs::rename(folder / "p-0000.db", scratch / "p-0000.db");
  fs::rename(folder / "p-0001.db", folder / "p-0000.db");
  fs::rename(scratch / "p-0000.db", folder / "p-0001.db");
  auto swapped = run(folder, {"--partitions", "3"});
  CHECK(swapped.exit_code == 2);
  CHECK_THAT(swapped.err,
             Catch::Contains("state file `" + (folder / "p-0000.db").string() +
                             "` holds partition 1, not 0: it was copied or "
                             "restored into the wrong place") &&
                 Catch::Contains("put it back as `p-0001.db`"));
  CHECK(testing::ReadText(out) == output);

  // Put back, the folder runs again and sends nothing twice.
  fs::rename(folder / "p-0000.db", scratch / "p-0000.db");
  fs::rename(folder / "p-0001.db", folder / "p-0000.db");
  fs::rename(scratch / "p-0000.db", folder / "p-0001.db");
  REQUIRE(run(folder, {"--partitions", "3"}).exit_code == 0);
  CHECK(testing::ReadText(out) == output);

  // A partition run as a state of one file.
  fs::copy_file(folder / "p-0002.db", scratch / "alone.db");
  auto alone = run(scratch / "alone.db", {});
  CHECK(alone.exit_code == 2);
  CHECK_THAT(alone.err, Catch::Contains("is partition 2 of a state folder of "
                                        "3 partitions; run on its folder "
                                        "with --partitions 3"));
  CHECK(testing::ReadText(out) == output);

  // A state of one file put in a folder as one of its partitions.
  auto single = scratch / "single.db";
  auto other_out = scratch / "single.jsonl";
  REQUIRE(RunParcours({"run", kCampaign, "--events", kSmallEvents, "--state",
                       single.string(), "--out", other_out.string()},
                      scratch)
              .exit_code == 0);
  fs::remove(folder / "p-0002.db");
  fs::copy_file(single, folder / "p-0002.db");
  auto misplaced = run(folder, {"--partitions", "3"});
  CHECK(misplaced.exit_code == 2);
  CHECK_THAT(misplaced.err,
             Catch::Contains("is a state of one file, made by a run without "
                             "--partitions, not a partition of this folder"));
  CHECK(testing::ReadText(out) == output);
}

// A folder saved before files recorded their place: the files say
// nothing of where they belong, but the profiles they hold do.
TEST_CASE("swapped partition files of an older folder are refused") {
  auto scratch = testing::ScratchDir("partitions-swapped-unrecorded");
  auto folder = scratch / "state";
  auto out = scratch / "out.jsonl";
  auto run = [&] {
    return RunParcours(
        {"run", kCampaign, "--events", kSmallEvents, "--state", folder.string(),
         "--partitions", "2", "--out", out.string()},
        scratch);
  };
  REQUIRE(run().exit_code == 0);
  std::string output = testing::ReadText(out);
  for (const char* file : {"p-0000.db", "p-0001.db"}) {
    auto db = store::Database::Open((folder / file).string());
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM meta WHERE key = 'partition'").ok());
  }

  namespace fs = std::filesystem;
  auto swap_files = [&] {
    fs::rename(folder / "p-0000.db", scratch / "p-0000.db");
    fs::rename(folder / "p-0001.db", folder / "p-0000.db");
    fs::rename(scratch / "p-0000.db", folder / "p-0001.db");
  };
  swap_files();
  auto swapped = run();
  CHECK(swapped.exit_code == 2);
  CHECK_THAT(swapped.err,
             Catch::Contains("state file `" + (folder / "p-0000.db").string() +
                             "` holds profile `") &&
                 Catch::Contains("which belongs in `p-0001.db`: it was copied "
                                 "or restored into the wrong place"));
  CHECK(testing::ReadText(out) == output);

  // Put back, the folder runs again, takes its places and sends nothing
  // twice.
  swap_files();
  auto again = run();
  INFO(again.err);
  CHECK(again.exit_code == 0);
  CHECK(testing::ReadText(out) == output);
}

TEST_CASE("a state folder run without --partitions says what it is") {
  auto scratch = testing::ScratchDir("partitions-folder-alone");
  auto folder = scratch / "state";
  auto run = [&](std::vector<std::string> more) {
    std::vector<std::string> args = {"run",        kCampaign, "--events",
                                     kSmallEvents, "--state", folder.string(),
                                     "--out",      "-"};
    args.insert(args.end(), more.begin(), more.end());
    return RunParcours(args, scratch);
  };
  REQUIRE(run({"--partitions", "2"}).exit_code == 0);

  auto alone = run({});
  CHECK(alone.exit_code == 2);
  CHECK_THAT(alone.err,
             Catch::Contains("`" + folder.string() +
                             "` is a folder of 2 partitions; run with "
                             "--partitions 2"));
}

TEST_CASE("the partitions option takes a folder and a sensible number") {
  auto scratch = testing::ScratchDir("partitions-usage");
  auto file = scratch / "state.db";
  testing::WriteText(file, "");
  auto args = [&](const std::string& partitions, const std::string& state) {
    return std::vector<std::string>{"run",          kCampaign, "--events",
                                    kSmallEvents,   "--state", state,
                                    "--partitions", partitions};
  };
  auto on_file = RunParcours(args("2", file.string()), scratch);
  CHECK(on_file.exit_code == 2);
  CHECK_THAT(on_file.err,
             Catch::Contains("with --partitions, --state names a folder"));

  auto zero = RunParcours(args("0", (scratch / "s").string()), scratch);
  CHECK(zero.exit_code == 2);
  CHECK_THAT(zero.err, Catch::Contains("`--partitions` takes a whole number"));
}

}  // namespace
}  // namespace parcours
