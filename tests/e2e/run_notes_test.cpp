// What `parcours run` says about input that is valid but probably not
// what the user meant: a misspelt event name, an `--until` in the past, a
// time zone the tz database does not know, a dead-letter file gone, a
// program with no journey.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const char kProgram[] =
    "profile { zone: tz = \"Europe/London\" }\n"
    "event Order \"Order Completed\" { total: money }\n"
    "journey thanks {\n  on Order\n  send email \"thanks\"\n}\n";

// `parcours run` of the folder's `p.journey` over its `events` file, on
// the state `state`, with `more` arguments after.
testing::ProcessResult RunIn(const std::filesystem::path& scratch,
                             const std::string& events,
                             const std::string& state,
                             std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"run",      (scratch / "p.journey").string(),
                                   "--events", (scratch / events).string(),
                                   "--state",  (scratch / state).string()};
  args.insert(args.end(), more.begin(), more.end());
  return RunParcours(args, scratch);
}

// `RunIn` over `e.jsonl` with one state file and with two partitions: a
// note must not depend on how the profiles are spread.
std::vector<std::pair<std::string, testing::ProcessResult>> RunEachWay(
    const std::filesystem::path& scratch) {
  return {{"one state file", RunIn(scratch, "e.jsonl", "s")},
          {"two partitions",
           RunIn(scratch, "e.jsonl", "s2", {"--partitions", "2"})}};
}

std::string Track(const std::string& event, const std::string& id,
                  const std::string& time) {
  return R"({"type":"track","event":")" + event +
         R"(","userId":"p1","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"total":10,"currency":"EUR"}})" + "\n";
}

TEST_CASE("a misspelt event name is pointed out, not silently ignored") {
  auto scratch = testing::ScratchDir("run-near-miss");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl",
                     Track("Order Complete", "m1", "2025-03-01T10:00:00Z") +
                         Track("Order Complete", "m2", "2025-03-02T10:00:00Z") +
                         Track("Page Viewed", "m3", "2025-03-03T10:00:00Z"));

  auto result = RunIn(scratch, "e.jsonl", "s.db");

  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("note: 2 lines of event `Order Complete` were "
                             "ignored: the program declares `Order "
                             "Completed`; is one of them misspelt?"));
  // A name that resembles nothing declared is a stream's other event.
  CHECK_THAT(result.err, !Catch::Contains("`Page Viewed` were ignored"));
}

TEST_CASE("a misspelt trait is pointed out, not silently ignored") {
  auto scratch = testing::ScratchDir("run-trait-near-miss");
  testing::WriteText(scratch / "p.journey",
                     "profile {\n  timezone: tz = \"UTC\"\n"
                     "  email: string?\n}\n"
                     "event Order \"Order Completed\" { total: money }\n"
                     "journey thanks {\n  on Order\n  send email \"x\"\n}\n");
  auto identify = [](const std::string& id, const std::string& traits) {
    return R"({"type":"identify","userId":")" + id +
           R"(","timestamp":"2025-03-01T10:00:00Z","traits":)" + traits + "}\n";
  };
  testing::WriteText(
      scratch / "e.jsonl",
      identify("p1", R"({"timeZone":"Europe/Paris","email":"a@b.c"})") +
          identify("p2", R"({"timeZone":"Europe/Paris","country":"FR"})") +
          identify("p3", R"({"e_mail":"c@d.e","consent":{"sms":true}})"));

  for (const auto& [way, result] : RunEachWay(scratch)) {
    INFO(way);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err,
               Catch::Contains("note: the trait `timeZone` was ignored in 2 "
                               "identifies: the profile declares `timezone`; "
                               "is one of them misspelt?"));
    CHECK_THAT(result.err,
               Catch::Contains("note: the trait `e_mail` was ignored in 1 "
                               "identify: the profile declares `email`"));
    // A trait like no attribute is someone else's data; consent is read.
    CHECK_THAT(result.err, !Catch::Contains("`country`"));
    CHECK_THAT(result.err, !Catch::Contains("`consent`"));
  }
}

TEST_CASE("a misspelt optional property is pointed out, not left empty") {
  auto scratch = testing::ScratchDir("run-property-near-miss");
  testing::WriteText(scratch / "p.journey",
                     "event Order \"Order Completed\" {\n"
                     "  total: money\n  coupon: string?\n  note: string?\n"
                     "}\n"
                     "journey thanks {\n  on Order\n  send email \"x\"\n}\n");
  auto order = [](const std::string& id, const std::string& properties) {
    return R"({"type":"track","event":"Order Completed","userId":")" + id +
           R"(","timestamp":"2025-03-01T10:00:00Z","properties":{"total":10,)"
           R"("currency":"EUR",)" +
           properties + "}}\n";
  };
  // Two senders: one spells the key its own way, one as declared; `note`
  // is left out with nothing like it, and `notes_count` is too far from
  // it to be a typo.
  testing::WriteText(scratch / "e.jsonl",
                     order("p1", R"("Coupon":"A")") +
                         order("p2", R"("Coupon":"B","notes_count":2)") +
                         order("p3", R"("coupon":"C")") +
                         order("p4", R"("cuopon":"D","extra":1)"));

  for (const auto& [way, result] : RunEachWay(scratch)) {
    INFO(way);
    CHECK(result.exit_code == 0);
    // Of the keys like it, the nearest (case aside), then the first.
    CHECK_THAT(result.err,
               Catch::Contains("note: `Order Completed` events carry `Coupon` "
                               "where the program declares `coupon` (absent "
                               "from 3 of 4 of them); is one of them "
                               "misspelt?"));
    CHECK_THAT(result.err, !Catch::Contains("declares `note`"));
    CHECK_THAT(result.err, !Catch::Contains("declares `total`"));
  }
}

TEST_CASE("a missing required property names the key spelt like it") {
  auto scratch = testing::ScratchDir("run-required-near-miss");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(
      scratch / "e.jsonl",
      R"({"type":"track","event":"Order Completed","userId":"p1",)"
      R"("timestamp":"2025-03-01T10:00:00Z","properties":{"Totl":10}})"
      "\n"
      R"({"type":"track","event":"Order Completed","userId":"p2",)"
      R"("timestamp":"2025-03-01T10:00:00Z","properties":{"price":10}})"
      "\n");

  auto result = RunIn(scratch, "e.jsonl", "s.db");

  CHECK(result.exit_code == 0);
  std::string letters = testing::ReadText(scratch / "s.db.deadletter.jsonl");
  CHECK_THAT(letters,
             Catch::Contains("\"line\":1,\"reason\":\"missing field `total` of "
                             "`Order Completed` (the line has `Totl`; is one "
                             "of them misspelt?)\""));
  CHECK_THAT(letters, Catch::Contains("\"line\":2,\"reason\":\"missing field "
                                      "`total` of `Order Completed`\""));
}

TEST_CASE("one line of a misspelt event is told in the singular") {
  auto scratch = testing::ScratchDir("run-near-miss-one");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl",
                     Track("order completed", "m1", "2025-03-01T10:00:00Z"));

  auto result = RunIn(scratch, "e.jsonl", "s.db");

  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("note: 1 line of event `order completed` was "
                             "ignored: the program declares `Order "
                             "Completed`; is one of them misspelt?"));
}

TEST_CASE("a program with no journey is pointed out, not run in silence") {
  // The events and profile alone: the folder of journeys left out.
  auto scratch = testing::ScratchDir("run-no-journeys");
  testing::WriteText(scratch / "events.journey",
                     "profile { zone: tz = \"Europe/London\" }\n"
                     "event Order \"Order Completed\" { total: money }\n");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl",
                     Track("Order Completed", "m1", "2025-03-01T10:00:00Z"));
  const std::string warning =
      "warning: the program has no journey, so no one can enter one and no "
      "message can go out; give `run` the files of the journeys too\n";

  auto bare = RunParcours({"run", (scratch / "events.journey").string(),
                           "--events", (scratch / "e.jsonl").string(),
                           "--state", (scratch / "bare.db").string()},
                          scratch);
  CHECK(bare.exit_code == 0);
  CHECK_THAT(bare.err, Catch::Contains(warning));

  auto whole = RunParcours(
      {"run", (scratch / "p.journey").string(), "--events",
       (scratch / "e.jsonl").string(), "--state", (scratch / "s.db").string()},
      scratch);
  CHECK(whole.exit_code == 0);
  CHECK_THAT(whole.err, !Catch::Contains("no journey"));
}

TEST_CASE("an --until before the clock is pointed out") {
  auto scratch = testing::ScratchDir("run-until-past");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl",
                     Track("Order Completed", "m1", "2025-03-01T10:00:00Z"));

  auto result =
      RunIn(scratch, "e.jsonl", "s.db", {"--until", "2025-02-01T00:00:00Z"});

  CHECK(result.exit_code == 0);
  CHECK_THAT(result.err,
             Catch::Contains("note: `--until 2025-02-01T00:00:00Z` is before "
                             "the clock"));
}

TEST_CASE("a time zone the tz database does not know is logged and told") {
  auto scratch = testing::ScratchDir("run-unknown-zone");
  testing::WriteText(scratch / "p.journey", kProgram);
  auto identify = [](const std::string& user, const std::string& zone,
                     const std::string& hour) {
    return R"({"type":"identify","userId":")" + user +
           R"(","timestamp":"2025-03-01T)" + hour +
           R"(:00:00Z","traits":{"zone":")" + zone + "\"}}\n";
  };
  testing::WriteText(scratch / "e.jsonl",
                     identify("p1", "Europe/Pari", "09") +
                         identify("p2", "Europe/Pari", "09") +
                         identify("p2", "Europe/Pari", "10") +
                         identify("p3", "Asia/Kathmandu", "11"));
  std::string state = (scratch / "s.db").string();

  for (const char* partitions : {"", "3"}) {
    INFO("partitions: " << partitions);
    std::vector<std::string> args = {"run", (scratch / "p.journey").string(),
                                     "--events",
                                     (scratch / "e.jsonl").string()};
    if (*partitions == '\0') {
      args.insert(args.end(), {"--state", state});
    } else {
      args.insert(args.end(), {"--state", (scratch / "parts").string(),
                               "--partitions", partitions});
    }
    auto told = RunParcours(args, scratch);
    REQUIRE(told.exit_code == 0);
    // The log table is not where a marketer looks: the summary says it,
    // counting p2, identified twice, once.
    CHECK_THAT(told.err,
               Catch::Contains("warning: 2 profiles were given the time zone "
                               "`Europe/Pari`, which the tz database does "
                               "not know (did you mean `Europe/Paris`?); "
                               "their local times run in UTC\n"));
    CHECK_THAT(told.err, !Catch::Contains("Asia/Kathmandu"));
  }

  // Many junk names: five are named, the rest counted.
  std::string junk;
  for (int i = 0; i < 8; ++i) {
    junk +=
        identify("q" + std::to_string(i), "Zone/" + std::to_string(i), "12");
  }
  testing::WriteText(scratch / "junk.jsonl", junk);
  auto many = RunIn(scratch, "junk.jsonl", "junk.db");
  REQUIRE(many.exit_code == 0);
  CHECK_THAT(many.err, Catch::Contains("`Zone/4`"));
  // A name like no zone gets no guess.
  CHECK_THAT(many.err, !Catch::Contains("did you mean"));
  CHECK_THAT(many.err, !Catch::Contains("`Zone/5`"));
  CHECK_THAT(many.err,
             Catch::Contains("warning: and 3 profiles of 3 other unknown "
                             "time zones; the log table names them\n"));

  // And the log names each profile.
  auto db = store::Database::Open(state);
  REQUIRE(db.ok());
  auto message = db->QueryText(
      "SELECT message FROM log WHERE level = 'warn' AND profile = 'p1'");
  REQUIRE(message.ok());
  CHECK(*message ==
        "time zone `Europe/Pari` is not in the tz database; this profile's "
        "local times run in UTC");
}

// The summary and the message of `--strict` quote values of the stream.
// A control character in one reached the terminal as it was: an escape
// sequence retitled or cleared it, and a line break forged a line of
// the run's own. They are written as JSON escapes instead.
TEST_CASE("stream values in the summary cannot reach the terminal raw") {
  auto scratch = testing::ScratchDir("run-visible-text");
  testing::WriteText(scratch / "p.journey", kProgram);
  // In the JSON of the lines: ESC, BEL, a line break and U+009B.
  const std::string hostile =
      R"(Bad\u001b]0;owned\u0007\nparcours: forged\u009b)";
  testing::WriteText(
      scratch / "zone.jsonl",
      R"({"type":"identify","userId":"p1","timestamp":"2025-03-01T09:00:00Z",)"
      R"("traits":{"zone":")" +
          hostile + "\"}}\n" +
          R"({"type":"track","event":"Order Complete\u001b[2J","userId":"p1",)"
          R"("timestamp":"2025-03-01T10:00:00Z","properties":{}})"
          "\n");
  testing::WriteText(
      scratch / "type.jsonl",
      R"({"type":")" + hostile +
          R"(","userId":"p1","timestamp":"2025-03-01T09:00:00Z"})"
          "\n");

  for (const char* partitions : {"", "2"}) {
    INFO("partitions: " << partitions);
    auto run = [&](const std::string& events, const std::string& state,
                   std::vector<std::string> more) {
      std::vector<std::string> args = {
          "run",      (scratch / "p.journey").string(),
          "--events", (scratch / events).string(),
          "--state",  (scratch / state).string()};
      if (*partitions != '\0') args.insert(args.end(), {"--partitions", "2"});
      args.insert(args.end(), more.begin(), more.end());
      return RunParcours(args, scratch);
    };
    std::string suffix = *partitions == '\0' ? ".db" : "-parts";
    auto summary = run("zone.jsonl", "zone" + suffix, {});
    REQUIRE(summary.exit_code == 0);
    auto strict = run("type.jsonl", "type" + suffix, {"--strict"});
    REQUIRE(strict.exit_code == 1);
    for (const std::string& err : {summary.err, strict.err}) {
      INFO(err);
      CHECK(err.find('\x1b') == std::string::npos);
      CHECK(err.find('\x07') == std::string::npos);
      CHECK(err.find("\xc2\x9b") == std::string::npos);
      CHECK_THAT(err, !Catch::Contains("\nparcours: forged"));
    }
    CHECK_THAT(summary.err,
               Catch::Contains("time zone `Bad\\u001b]0;owned\\u0007\\n"
                               "parcours: forged\\u009b`"));
    CHECK_THAT(summary.err,
               Catch::Contains("of event `Order Complete\\u001b[2J` was "
                               "ignored"));
    CHECK_THAT(strict.err, Catch::Contains("unknown type `Bad\\u001b]0;"
                                           "owned\\u0007\\nparcours: forged"));
  }
}

// `explain` quotes the stream too: a consent line's messageId and source
// in the detail of a suppression.
TEST_CASE("explain shows stream values escaped") {
  auto scratch = testing::ScratchDir("explain-visible-text");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(
      scratch / "e.jsonl",
      R"({"type":"track","event":"Consent Revoked","userId":"p1",)"
      R"("messageId":"m\u001b[2J\nforged","timestamp":"2025-03-01T09:00:00Z",)"
      R"("properties":{"channel":"email","source":"x\u001b]0;t\u0007"}})"
      "\n" +
          Track("Order Completed", "m1", "2025-03-01T10:00:00Z"));
  std::string state = (scratch / "s.db").string();
  auto run = RunParcours({"run", (scratch / "p.journey").string(), "--events",
                          (scratch / "e.jsonl").string(), "--state", state},
                         scratch);
  REQUIRE(run.exit_code == 0);

  auto told =
      RunParcours({"explain", "--state", state, "--profile", "p1"}, scratch);
  INFO(told.out << told.err);
  REQUIRE(told.exit_code == 0);
  CHECK(told.out.find('\x1b') == std::string::npos);
  CHECK(told.out.find('\x07') == std::string::npos);
  CHECK_THAT(told.out, !Catch::Contains("\nforged"));
  CHECK_THAT(told.out,
             Catch::Contains("by m\\u001b[2J\\nforged (Consent Revoked via "
                             "x\\u001b]0;t\\u0007)"));
}

TEST_CASE("a dead-letter file that is gone is not claimed to hold lines") {
  auto scratch = testing::ScratchDir("run-dead-letters-gone");
  testing::WriteText(scratch / "p.journey", kProgram);
  testing::WriteText(scratch / "e.jsonl", "not json\n");
  std::vector<std::string> args = {
      "run",           (scratch / "p.journey").string(),
      "--events",      (scratch / "e.jsonl").string(),
      "--state",       (scratch / "s.db").string(),
      "--dead-letter", (scratch / "dl.jsonl").string()};
  REQUIRE(RunParcours(args, scratch).exit_code == 0);
  std::filesystem::remove(scratch / "dl.jsonl");

  auto again = RunParcours(args, scratch);

  CHECK(again.exit_code == 0);
  CHECK_THAT(again.err, Catch::Contains("is not there"));
  CHECK_THAT(again.err, !Catch::Contains("by an earlier run\n"));
}

// A shop selling in pounds that copied its thresholds in euros has
// segments that never hold, and no error says why.
TEST_CASE("amounts in a currency the program never writes are pointed out") {
  auto scratch = testing::ScratchDir("run-foreign-currency");
  testing::WriteText(scratch / "p.journey",
                     "event Order \"Order Completed\" { total: money }\n"
                     "segment big = sum(Order.total) >= 100 EUR\n"
                     "journey vip {\n  on entered(big)\n"
                     "  send email \"vip\"\n}\n");
  auto order = [](const std::string& id, const std::string& currency) {
    return R"({"type":"track","event":"Order Completed","userId":"p1",)"
           R"("messageId":")" +
           id +
           R"(","timestamp":"2025-03-01T10:00:00Z","properties":)"
           R"({"total":500,"currency":")" +
           currency + R"("}})" + "\n";
  };
  testing::WriteText(
      scratch / "e.jsonl",
      order("m1", "GBP") + order("m2", "GBP") + order("m3", "EUR"));

  for (const char* partitions : {"1", "2"}) {
    INFO(partitions);
    auto state = scratch / (std::string("s") + partitions);
    auto result =
        RunParcours({"run", (scratch / "p.journey").string(), "--events",
                     (scratch / "e.jsonl").string(), "--state", state.string(),
                     "--partitions", partitions},
                    scratch);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.err,
               Catch::Contains("note: 2 events carried amounts in GBP, but "
                               "the program writes its amounts in EUR: "
                               "money of two currencies never compares "
                               "true"));
    // Its own currency is no news.
    CHECK_THAT(result.err, !Catch::Contains("amounts in EUR,"));
  }
}

}  // namespace
}  // namespace parcours
