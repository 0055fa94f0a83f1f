// Runs against inputs and situations that once went wrong quietly: lines
// without message ids, a typo of a timestamp, waits past the end of time,
// two runs on one state, journeys edited under waiting contacts, failed
// deliveries and dead letters of a rerun.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "runtime/common/time_text.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"
#include "tests/support/schema_downgrade.h"

namespace parcours::testing {
namespace {

// An order without a message id.
std::string BareOrder(const std::string& user, const std::string& time) {
  return Track("Order Completed", user, "", time,
               R"({"order_id":"x","total":150,"currency":"EUR"})");
}

TEST_CASE("lines without a message id are applied once, however replayed",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string a = BareOrder("p1", kT0);
  std::string b = BareOrder("p2", kT0);
  std::string text = Lines({a, a, b});

  auto first = RunText(shop.program, text, OptionsFor(state));
  REQUIRE(first.result.status.ok());
  CHECK(first.actions.size() == 2);
  CHECK(first.result.summary.events_applied == 2);
  CHECK(first.result.summary.duplicates == 1);

  auto second = RunText(shop.program, text, OptionsFor(state));
  REQUIRE(second.result.status.ok());
  CHECK(second.actions.empty());
  CHECK(second.result.summary.duplicates == 3);
  CHECK(QueryText(state,
                  "SELECT json_extract(aggregates, "
                  "'$.\"count(OrderPlaced)\"') FROM profiles "
                  "WHERE id = 'p1'") == "1");
  CHECK(QueryInt(state, "SELECT count(*) FROM processed WHERE message_id = '" +
                            ingest::ContentKey(a) + "'") == 1);
}

TEST_CASE("a time far ahead of the clock is a dead letter, not the new clock",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string text =
      Lines({Order("p1", "o1", "2024-01-05T00:00:00Z", "150"),
             Identify("p9", "i9", "9999-01-01T00:00:00Z", "{}"),
             Track("Page Viewed", "p9", "v9", "2100-01-01T00:00:00Z"),
             Order("p2", "o2", "2024-01-06T12:00:00Z", "150")});
  engine::RunOptions options = OptionsFor(state);
  options.until = *common::ParseTime("2024-02-01T00:00:00Z");
  auto out = RunText(shop.program, text, options);

  REQUIRE(out.result.status.ok());
  CHECK(out.result.summary.dead_letters == 2);
  CHECK(out.result.summary.ignored == 0);
  CHECK(*out.result.summary.clock == *options.until);
  // Both reviews, a day after each order, fell due before `until`.
  CHECK(out.actions.size() == 4);
  std::vector<std::string> letters = ReadLines(state + ".deadletter.jsonl");
  REQUIRE(letters.size() == 2);
  CHECK(nlohmann::json::parse(letters[0])["reason"] ==
        "timestamp 9999-01-01T00:00:00Z is more than 7974 years ahead of the "
        "stream's clock 2024-01-05T00:00:00Z, past the limit of 90 days "
        "(--max-clock-jump); check it, or raise the limit");
  CHECK(nlohmann::json::parse(letters[1])["reason"] ==
        "timestamp 2100-01-01T00:00:00Z is more than 75 years ahead of the "
        "stream's clock 2024-01-05T00:00:00Z, past the limit of 90 days "
        "(--max-clock-jump); check it, or raise the limit");

  SECTION("a raised limit applies the line on a rerun") {
    options.max_clock_jump = 0;
    options.until.reset();
    auto rerun = RunText(shop.program, text, options);
    REQUIRE(rerun.result.status.ok());
    CHECK(rerun.result.summary.dead_letters == 0);
    CHECK(rerun.result.summary.identifies == 1);
    CHECK(rerun.result.summary.duplicates == 2);
    CHECK(*rerun.result.summary.clock ==
          *common::ParseTime("9999-01-01T00:00:00Z"));
  }
}

TEST_CASE("the clock may jump exactly the limit, and the first line any way",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  engine::RunOptions options = OptionsFor(dir.File("s.db"));
  options.max_clock_jump = 86400;
  auto out =
      RunText(shop.program,
              Lines({Identify("p1", "i1", "9000-01-01T00:00:00Z", "{}"),
                     Identify("p1", "i2", "9000-01-02T00:00:00Z", "{}"),
                     R"({"type":"identify","userId":"p1","messageId":"i3",)"
                     R"("timestamp":"9000-01-02T00:00:00Z",)"
                     R"("receivedAt":"9000-01-03T00:00:01Z"})"}),
              options);
  REQUIRE(out.result.status.ok());
  CHECK(out.result.summary.identifies == 2);
  CHECK(out.result.summary.dead_letters == 1);
  CHECK(nlohmann::json::parse(
            ReadLines(dir.File("s.db.deadletter.jsonl"))[0])["reason"] ==
        "receivedAt 9000-01-03T00:00:01Z is more than 1 day ahead of the "
        "stream's clock 9000-01-02T00:00:00Z, past the limit of 1 day "
        "(--max-clock-jump); check it, or raise the limit");
}

TEST_CASE("a wait too long to represent never fires", "[runtime][robustness]") {
  ProgramBuilder b;
  int32_t signup = b.Event("SignedUp", "Signed Up", {});
  const int64_t forever = std::numeric_limits<int64_t>::max() - 1000;
  b.Journey(
      "forever", signup, -1, {},
      {WaitStep("wait1", forever, 1), SendStep("late", "email", "late", -1)});
  ir::Program program = b.Build();

  TempDir dir;
  std::string state = dir.File("s.db");
  engine::RunOptions options = OptionsFor(state);
  // Run the clock to the last instant there is: nothing may fire.
  options.until = common::kLatestTime;
  options.max_clock_jump = 0;
  auto out =
      RunText(program, Lines({Track("Signed Up", "p1", "s1", kT0)}), options);
  REQUIRE(out.result.status.ok());
  CHECK(out.actions.empty());
  CHECK(out.result.summary.timers_fired == 0);
  CHECK(out.result.summary.instances_waiting == 1);
  CHECK(QueryInt(state, "SELECT wake_at FROM instances") ==
        std::numeric_limits<int64_t>::max());
}

TEST_CASE("a state file in use by another run is refused, untouched",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string busy = "state file `" + state + "` is in use by another run";

  auto first = store::Store::Open(state);
  REQUIRE(first.ok());
  auto second = store::Store::Open(state);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().message() == busy);

  std::string before = ReadBytes(state) + ReadBytes(state + "-wal");
  auto out = RunText(shop.program, Lines({Order("p1", "o1", kT0, "150"), "x"}),
                     OptionsFor(state));
  CHECK(out.result.status.message() == busy);
  CHECK(out.actions.empty());
  CHECK(out.result.summary.lines_read == 0);
  CHECK(ReadBytes(state) + ReadBytes(state + "-wal") == before);
  CHECK_FALSE(std::filesystem::exists(state + ".deadletter.jsonl"));

  // Released with the store.
  first.value().reset();
  auto later = RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}),
                       OptionsFor(state));
  REQUIRE(later.result.status.ok());
  CHECK(later.actions.size() == 1);
}

TEST_CASE("an until time far ahead of the clock is refused like a line",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto options = OptionsFor(state);
  options.until = *common::ParseTime("2204-01-01T00:00:00Z");
  auto out =
      RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}), options);
  CHECK_THAT(out.result.status.message(),
             Catch::Contains("ahead of the stream's clock"));
  // What the input applied is kept; the clock did not move.
  CHECK(out.actions.size() == 1);
  auto again = RunText(shop.program, Lines({}), OptionsFor(state));
  REQUIRE(again.result.status.ok());
  CHECK(again.result.summary.clock == common::ParseTime(kT0));

  options.max_clock_jump = 0;
  auto allowed = RunText(shop.program, Lines({}), options);
  CHECK(allowed.result.status.ok());
}

// The refusal names the limit the time passed, which the user did not
// set (90 days by default), and a value of --max-clock-jump that admits
// the time: that value must be enough, and no less would do.
TEST_CASE("an until time too far ahead names the limit and the way past it",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto options = OptionsFor(state);
  REQUIRE(options.max_clock_jump == 90 * 86400);
  options.until = *common::ParseTime("2011-06-01T00:00:00Z");
  auto out =
      RunText(shop.program, Lines({Order("p1", "o1", kT0, "150")}), options);
  CHECK(out.result.status.message() ==
        "--until 2011-06-01T00:00:00Z is more than 149 days ahead of the "
        "stream's clock 2011-01-02T10:00:00Z, and --until may move the "
        "clock at most 90 days (--max-clock-jump); check the time, or if "
        "it is right, run again with --max-clock-jump 150d (0 for no "
        "limit)");

  options.max_clock_jump = 149 * 86400;
  auto short_of_it = RunText(shop.program, Lines({}), options);
  CHECK_THAT(short_of_it.result.status.message(),
             Catch::Contains("at most 149 days (--max-clock-jump)") &&
                 Catch::Contains("--max-clock-jump 150d"));

  options.max_clock_jump = 150 * 86400;
  auto admitted = RunText(shop.program, Lines({}), options);
  CHECK(admitted.result.status.ok());
  CHECK(admitted.result.summary.clock == options.until);
}

TEST_CASE("another name for a state file in use shares its lock",
          "[runtime][robustness]") {
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string link = dir.File("link.db");
  auto first = store::Store::Open(state);
  REQUIRE(first.ok());
  std::filesystem::create_symlink(state, link);

  // A symlink, and the same path spelled with `./`, are the same file.
  auto through_link = store::Store::Open(link);
  CHECK_FALSE(through_link.ok());
  auto dotted = store::Store::Open(dir.File(".") + "/s.db");
  CHECK_FALSE(dotted.ok());
}

TEST_CASE("waiting contacts of a removed step are counted and reported",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  auto first = RunText(shop.program,
                       Lines({Track("Signed Up", "p1", "s1", kT0),
                              Track("Signed Up", "p2", "s2", kT0)}),
                       OptionsFor(state));
  REQUIRE(first.result.summary.instances_waiting == 2);

  // The welcome journey's wait has a new name: nobody waits there yet.
  Shop edited = MakeShop();
  edited.program.journeys[1].steps[0].name = "wait_an_hour";
  auto out = RunText(edited.program, "", OptionsFor(state));
  REQUIRE(out.result.status.ok());
  CHECK(out.result.summary.instances_waiting == 0);
  CHECK(out.result.summary.instances_unloaded == 2);
  CHECK_THAT(FormatSummary(out.result.summary),
             Catch::Contains("warning: 2 waiting contacts match no step of "
                             "the program and were left in the state; see "
                             "the log table\n"));
  CHECK(QueryInt(state, "SELECT count(*) FROM instances") == 2);
  CHECK(QueryInt(state, "SELECT count(*) FROM log WHERE level = 'warn'") == 2);
  // The warning says what is missing, and names the journey in its column.
  CHECK(QueryInt(state,
                 "SELECT count(*) FROM log WHERE level = 'warn' AND journey "
                 "= 'welcome' AND message LIKE '%the journey has no step "
                 "`wait1` now (renamed or removed)%'") == 2);

  // The same contacts, met again by the next run, are counted again but
  // not logged again: a row per contact per run would flood the log.
  auto again = RunText(edited.program, "", OptionsFor(state));
  REQUIRE(again.result.status.ok());
  CHECK(again.result.summary.instances_unloaded == 2);
  CHECK(QueryInt(state, "SELECT count(*) FROM log WHERE level = 'warn'") == 2);

  // A program without the journey says so; that is news, and logged.
  Shop without = MakeShop();
  without.program.journeys[1].name = "welcome_v2";
  auto removed = RunText(without.program, "", OptionsFor(state));
  REQUIRE(removed.result.status.ok());
  CHECK(QueryInt(state,
                 "SELECT count(*) FROM log WHERE level = 'warn' AND message "
                 "LIKE '%the program has no journey `welcome` now%'") == 2);

  engine::RunSummary one;
  one.instances_unloaded = 1;
  CHECK_THAT(FormatSummary(one),
             Catch::Contains("warning: 1 waiting contact matches no step of "
                             "the program and was left in the state; see the "
                             "log table\n"));
}

// Fails every write, like a closed pipe.
class BrokenSink final : public sinks::ActionSink {
 public:
  common::Status Write(std::string_view) override {
    return common::Status::Error("could not write actions to a broken pipe");
  }
  common::Status Flush() override { return common::Status::Ok(); }
};

TEST_CASE("the summary says sent only of delivered actions",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(Lines(
      {Identify("p1", "i1", kT0, kEmailTrait), Order("p1", "o1", kT0, "150")}));
  BrokenSink broken;
  auto failed = engine::Run(shop.program, *evaluator, events, broken,
                            OptionsFor(dir.File("s.db")));
  REQUIRE_FALSE(failed.status.ok());
  const engine::RunSummary& summary = failed.summary;
  CHECK(summary.sends == 1);
  CHECK(summary.delivered == 0);
  CHECK(summary.undelivered == 1);
  CHECK(summary.unsaved == 0);
  std::string text = FormatSummary(summary);
  CHECK_THAT(text, !Catch::Contains("sent 1 action"));
  CHECK_THAT(text,
             Catch::Contains("decided 1 action, delivered 0, 0 timers fired, 0 "
                             "time-driven entries, 1 instance "
                             "waiting\nwarning: 1 action is saved but was "
                             "not delivered; the next run sends it first\n"));

  engine::RunSummary unsaved;
  unsaved.sends = 5;
  unsaved.delivered = 3;
  unsaved.unsaved = 2;
  CHECK_THAT(FormatSummary(unsaved),
             Catch::Contains("decided 5 actions, delivered 3, ") &&
                 Catch::Contains("warning: 2 actions were not saved; running "
                                 "the same events again decides them "
                                 "again\n"));

  engine::RunSummary fine;
  fine.sends = 2;
  fine.delivered = 2;
  CHECK_THAT(FormatSummary(fine), Catch::Contains("\nsent 2 actions, ") &&
                                      !Catch::Contains("warning"));
}

TEST_CASE("a rerun does not append the same dead letters again",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string text =
      Lines({Order("p1", "o1", kT0, "150"), "not json", "not json",
             Track("Order Completed", "p1", "o2", kT0, R"({"order_id":"o2"})"),
             std::string(2000, 'x')});
  engine::RunOptions options = OptionsFor(state);
  options.max_line_bytes = 1500;

  auto first = RunText(shop.program, text, options);
  REQUIRE(first.result.status.ok());
  CHECK(first.result.summary.dead_letters == 4);
  CHECK(first.result.summary.dead_letters_known == 1);
  std::vector<std::string> letters = ReadLines(state + ".deadletter.jsonl");
  CHECK(letters.size() == 3);

  auto second = RunText(shop.program, text, options);
  REQUIRE(second.result.status.ok());
  CHECK(second.result.summary.dead_letters == 4);
  CHECK(second.result.summary.dead_letters_known == 4);
  CHECK(ReadLines(state + ".deadletter.jsonl") == letters);
  std::string summary = FormatSummary(second.result.summary);
  CHECK_THAT(summary,
             Catch::Contains("4 dead letters (4 already in the dead-letter "
                             "file)") &&
                 Catch::Contains("dead letters written to `" + state +
                                 ".deadletter.jsonl` by an earlier run\n"));
}

TEST_CASE("a line applied before is a duplicate even if now refused",
          "[runtime][robustness]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string order = Order("p1", "o1", kT0, "150");
  REQUIRE(RunText(shop.program, Lines({order}), OptionsFor(state))
              .result.status.ok());

  // The new program reads the order id under another name, which the old
  // line lacks.
  Shop renamed = MakeShop();
  renamed.program.events[0].fields[0].wire_name = "orderId";
  auto out = RunText(renamed.program, Lines({order}), OptionsFor(state));
  REQUIRE(out.result.status.ok());
  CHECK(out.result.summary.duplicates == 1);
  CHECK(out.result.summary.dead_letters == 0);
  CHECK_FALSE(std::filesystem::exists(state + ".deadletter.jsonl"));
}

TEST_CASE("a state file of schema 1 gains the dead-letter table",
          "[runtime][robustness]") {
  TempDir dir;
  std::string state = dir.File("s.db");
  REQUIRE(store::Store::Open(state).ok());
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(1)).ok());
  }
  REQUIRE(store::Store::Open(state).ok());
  CHECK(QueryInt(state, "PRAGMA user_version") == store::kSchemaVersion);
  CHECK(QueryInt(state, "SELECT count(*) FROM dead_letters") == 0);
  CHECK(QueryInt(state, "SELECT count(*) FROM decisions") == 0);
}

TEST_CASE(
    "a state file of schema 2 gains the policy tables and keeps its "
    "rows",
    "[runtime][robustness]") {
  TempDir dir;
  std::string state = dir.File("s.db");
  REQUIRE(store::Store::Open(state).ok());
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(2) + "; INSERT INTO processed VALUES('m-1')")
                .ok());
  }
  REQUIRE(store::Store::Open(state).ok());
  CHECK(QueryInt(state, "PRAGMA user_version") == store::kSchemaVersion);
  CHECK(QueryInt(state, "SELECT count(*) FROM processed") == 1);
  CHECK(QueryInt(state, "SELECT count(*) FROM contacts") == 0);
  CHECK(QueryInt(state, "SELECT count(*) FROM deferrals") == 0);
}

TEST_CASE("a state file of schema 2 gains the history table",
          "[runtime][robustness]") {
  TempDir dir;
  std::string state = dir.File("s.db");
  REQUIRE(store::Store::Open(state).ok());
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(2)).ok());
  }
  REQUIRE(store::Store::Open(state).ok());
  CHECK(QueryInt(state, "PRAGMA user_version") == store::kSchemaVersion);
  CHECK(QueryInt(state, "SELECT count(*) FROM history") == 0);
}

TEST_CASE("a state file of schema 5 gives its contacts a category",
          "[runtime][robustness]") {
  TempDir dir;
  std::string state = dir.File("s.db");
  REQUIRE(store::Store::Open(state).ok());
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec(DowngradeTo(5) +
                     "; INSERT INTO contacts VALUES('p1', 100, 'email')")
                .ok());
  }
  REQUIRE(store::Store::Open(state).ok());
  CHECK(QueryInt(state, "PRAGMA user_version") == store::kSchemaVersion);
  // Contacts written before categories were kept counted as marketing.
  CHECK(QueryText(state, "SELECT category FROM contacts") == "marketing");
}

}  // namespace
}  // namespace parcours::testing
