// `parcours test`: test blocks run through the engine, one line per test.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const char kShop[] = R"(profile {
  timezone: string = "Europe/London"
}

event OrderPlaced "Order Completed" {
  order_id: string
  total: money
}

journey thank_you {
  on OrderPlaced as order where count(OrderPlaced) == 1
  send email "thank_you"
}

journey we_miss_you {
  on OrderPlaced as order
  exit on OrderPlaced
  wait 60d
  send email "we_miss_you"
}
)";

const char kPassing[] = R"(
test "a first order is thanked at once, and missed 60 days later" {
  given profile "p1" { timezone: "Europe/Paris", consent: [email] }
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80.5 EUR }
  expect send email "thank_you" to "p1" at 2025-03-01T10:00:00Z
  expect send email "we_miss_you" to "p1" at 2025-04-30T10:00:00Z
  expect no send sms
}

test "a second order restarts the wait and is not thanked" {
  given profile "p2"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  at 2025-03-02T10:00:00Z OrderPlaced { order_id: "o2", total: -1.25 EUR }
  expect no send email "thank_you" at 2025-03-02T10:00:00Z
  expect no send email "we_miss_you" at 2025-04-30T10:00:00Z
  expect send email "we_miss_you" to "p2" at 2025-05-01T10:00:00Z
}

test "events for two profiles" {
  given profile "a"
  given profile "b"
  at 2025-03-01T10:00:00Z OrderPlaced for "b" { order_id: "o1", total: 1 EUR }
  expect send email "thank_you" to "b"
  expect no send email "thank_you" to "a"
}
)";

TEST_CASE("parcours test passes tests that hold, on both engines") {
  auto scratch = testing::ScratchDir("test-pass");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + kPassing);

  const std::string expected =
      "PASS a first order is thanked at once, and missed 60 days later\n"
      "PASS a second order restarts the wait and is not thanked\n"
      "PASS events for two profiles\n"
      "3 passed, 0 failed\n";
  auto result = RunParcours({"test", file.string()}, scratch);
  CHECK(result.exit_code == 0);
  CHECK(result.out == expected);
  CHECK(result.err.empty());

  result = RunParcours({"test", "--engine", "jit", file.string()}, scratch);
  CHECK(result.exit_code == 0);
  CHECK(result.out == expected);
}

TEST_CASE("parcours test says when the files hold no test at all") {
  // A wrong folder in CI would otherwise pass in silence.
  auto scratch = testing::ScratchDir("test-none");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, kShop);
  auto result = RunParcours({"test", file.string()}, scratch);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "0 passed, 0 failed\n");
  CHECK(result.err ==
        "parcours: warning: no `test` block in the files given; nothing was "
        "tested\n");
}

TEST_CASE("parcours test names what failed, where, expected and got") {
  auto scratch = testing::ScratchDir("test-fail");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
test "passes" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect send email "thank_you"
}

test "the reminder at the wrong time" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect send email "we_miss_you" to "p1" at 2025-04-29T10:00:00Z
}

test "an unwanted send and a missing one" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect no send email "thank_you"
  expect send sms
}
)");

  std::string where = file.string();
  auto result = RunParcours({"test", where}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out ==
        "PASS passes\n"
        "FAIL the reminder at the wrong time\n"
        "  " +
            where +
            ":31:3: expected send email \"we_miss_you\" to \"p1\" "
            "at 2025-04-29T10:00:00Z, got send email \"we_miss_you\" to \"p1\" "
            "at 2025-04-30T10:00:00Z\n"
            "FAIL an unwanted send and a missing one\n"
            "  " +
            where +
            ":37:3: expected no send email \"thank_you\", got "
            "send email \"thank_you\" to \"p1\" at 2025-03-01T10:00:00Z\n"
            "  " +
            where +
            ":38:3: expected send sms, got none\n"
            "1 passed, 2 failed\n");

  // The same bytes on every run.
  auto again = RunParcours({"test", where}, scratch);
  CHECK(again.out == result.out);
}

TEST_CASE("equal expectations of a message each need a message of their own") {
  auto scratch = testing::ScratchDir("test-equal-expects");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
test "one welcome expected twice" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect send email "thank_you"
  expect send email "we_miss_you"
  expect send email "thank_you"
}

test "two reminders expected twice" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  at 2025-05-01T10:00:00Z OrderPlaced { order_id: "o2", total: 80 EUR }
  expect send email "we_miss_you" to "p1"
  expect send email "we_miss_you" to "p1"
  expect send email
}
)");

  std::string where = file.string();
  auto result = RunParcours({"test", where}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out ==
        "FAIL one welcome expected twice\n"
        "  " +
            where +
            ":27:3: expected send email \"thank_you\" twice (each equal "
            "`expect` needs a message of its own), got it once: send email "
            "\"thank_you\" to \"p1\" at 2025-03-01T10:00:00Z\n"
            "PASS two reminders expected twice\n"
            "1 passed, 1 failed\n");
}

TEST_CASE("parcours test refuses at build time what it cannot check yet") {
  auto scratch = testing::ScratchDir("test-not-runnable");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
test "computed" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 2 * 40 EUR }
}
)");

  auto result = RunParcours({"test", file.string()}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK_THAT(result.err,
             Catch::Contains("shop.journey:24:64: error[E0950]: computed "
                             "values in test records are checked but cannot "
                             "run yet"));

  // `run` ignores test blocks, runnable or not.
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  result = RunParcours({"run", file.string(), "--events", events.string(),
                        "--state", (scratch / "state.db").string()},
                       scratch);
  CHECK(result.exit_code == 0);
}

TEST_CASE("parcours test: a test with no profile, and usage errors") {
  auto scratch = testing::ScratchDir("test-usage");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
test "whose order?" {
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
}
)");
  auto result = RunParcours({"test", file.string()}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out == "FAIL whose order?\n  " + file.string() +
                          ":23:3: which profile is this for? Add `for "
                          "\"id\"` or a `given profile \"id\"` to the test\n"
                          "0 passed, 1 failed\n");

  CHECK(RunParcours({"test"}, scratch).exit_code == 2);
  CHECK(RunParcours({"test", "--engine", "x", file.string()}, scratch)
            .exit_code == 2);
}

TEST_CASE("test records take enum values and channels by name") {
  auto scratch = testing::ScratchDir("test-enum-records");
  testing::WriteText(
      scratch / "t.journey",
      "enum Tier { Silver, Gold }\n"
      "profile { tier: Tier = Silver\n  preferred: channel? }\n"
      "event Go \"Go\" { n: int }\n"
      "journey vip {\n  on Go\n  if profile.tier == Gold {\n"
      "    send email \"vip\"\n  }\n}\n"
      "test \"a gold customer hears as one\" {\n"
      "  given profile \"p1\" { preferred: email }\n"
      "  at 2025-03-01T10:00:00Z identify { tier: Gold }\n"
      "  at 2025-03-01T11:00:00Z Go { n: 1 }\n"
      "  expect send email \"vip\" to \"p1\" at 2025-03-01T11:00:00Z\n}\n");

  auto result =
      testing::RunParcours({"test", (scratch / "t.journey").string()}, scratch);

  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("1 passed, 0 failed"));
}

TEST_CASE("parcours test plays a journey that restarts itself to a horizon") {
  auto scratch = testing::ScratchDir("test-ticker");
  testing::WriteText(scratch / "t.journey",
                     "event Tick \"Tick\" { n: int }\n"
                     "journey ticker {\n  on Tick\n  wait 1d\n"
                     "  emit Tick { n: 1 }\n  send email \"tick\"\n}\n"
                     "test \"a daily ticker\" {\n  given profile \"p1\"\n"
                     "  at 2025-03-01T10:00:00Z Tick { n: 1 }\n"
                     "  expect send email \"tick\" to \"p1\" at "
                     "2025-03-02T10:00:00Z\n"
                     "  expect send email \"tick\" to \"p1\" at "
                     "2029-03-01T10:00:00Z\n}\n");

  auto result =
      testing::RunParcours({"test", (scratch / "t.journey").string()}, scratch);

  INFO(result.err);
  CHECK(result.exit_code == 0);
  CHECK_THAT(result.out, Catch::Contains("1 passed, 0 failed"));
}

// Suppressions are actions too: a test states which message a policy held
// back and why, and a wrong reason fails with what was suppressed instead.
TEST_CASE("expect suppressed checks suppression lines and their reason") {
  auto scratch = testing::ScratchDir("test-suppressed");
  testing::WriteText(
      scratch / "t.journey",
      "event OrderPlaced \"Order Completed\" { order_id: string }\n"
      "policy one_a_day { cap 1 per day across email }\n"
      "journey pair {\n  on OrderPlaced\n  policy one_a_day\n"
      "  send email \"first\"\n  send email \"second\"\n}\n"
      "test \"the second is capped\" {\n  given profile \"p1\"\n"
      "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: \"o1\" }\n"
      "  expect send email \"first\" to \"p1\" at 2025-03-01T10:00:00Z\n"
      "  expect suppressed email \"second\" to \"p1\" at "
      "2025-03-01T10:00:00Z reason cap\n"
      "  expect no suppressed email \"first\"\n"
      "  expect no send email \"second\"\n}\n"
      "test \"a wrong reason\" {\n  given profile \"p1\"\n"
      "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: \"o1\" }\n"
      "  expect suppressed email \"second\" reason quiet\n}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, (scratch / "t.journey").string()},
        scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out ==
          "PASS the second is capped\n"
          "FAIL a wrong reason\n"
          "  " +
              (scratch / "t.journey").string() +
              ":20:3: expected suppressed email \"second\" reason quiet, got "
              "suppressed email \"second\" to \"p1\" at 2025-03-01T10:00:00Z "
              "reason cap (policy one_a_day { cap 1 per day across email } "
              "(t.journey:2))\n"
              "1 passed, 1 failed\n");
  }
}

// `exit` is a keyword of the steps, so `reason exit`, a reason the docs
// list, used to be refused by the parser as `unexpected exit here`.
TEST_CASE("expect suppressed takes the reason exit") {
  auto scratch = testing::ScratchDir("test-suppressed-exit");
  testing::WriteText(
      scratch / "t.journey",
      "event CartUpdated \"Cart Updated\" { total: money }\n"
      "event OrderPlaced \"Order Completed\" { total: money }\n\n"
      "policy night {\n  quiet 21:00 .. 08:00 local\n"
      "  when capped: defer\n}\n\n"
      "journey nudge {\n  on CartUpdated\n  exit on OrderPlaced\n"
      "  policy night\n  send email \"nudge\"\n}\n\n"
      "test \"an order during the night cancels the deferred nudge\" {\n"
      "  given profile \"p1\"\n"
      "  at 2025-03-01T22:00:00Z CartUpdated { total: 10 EUR }\n"
      "  at 2025-03-01T23:00:00Z OrderPlaced { total: 10 EUR }\n"
      "  expect suppressed email \"nudge\" to \"p1\" reason exit\n"
      "  expect no send email \"nudge\"\n}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, (scratch / "t.journey").string()},
        scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out ==
          "PASS an order during the night cancels the deferred nudge\n"
          "1 passed, 0 failed\n");
  }

  auto formatted = testing::RunParcours(
      {"fmt", "--check", (scratch / "t.journey").string()}, scratch);

  INFO(formatted.err);
  CHECK(formatted.exit_code == 0);
}

// A segment that time alone makes true ("no order for 120 days") must be
// reached in a test with no later line to carry the clock there; so must
// a schedule. Both used to need a trailing `identify` to move the clock.
TEST_CASE("parcours test runs its clock on to segment flips and schedules") {
  auto scratch = testing::ScratchDir("test-crossing");
  testing::WriteText(
      scratch / "t.journey",
      "event OrderPlaced \"Order Completed\" { order_id: string }\n"
      "segment lapsed = days_since(last(OrderPlaced)) >= 120\n"
      "journey win_back {\n  on entered(lapsed)\n"
      "  send email \"win_back\"\n}\n"
      "journey monday_note {\n  every monday 10:00 local\n"
      "  send email \"note\"\n}\n"
      "test \"lapsed with no later line\" {\n  given profile \"p1\"\n"
      "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: \"o1\" }\n"
      "  expect send email \"win_back\" to \"p1\" at "
      "2025-06-29T10:00:00Z\n"
      "  expect send email \"note\" to \"p1\" at "
      "2025-03-03T10:00:00Z\n}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result = testing::RunParcours(
        {"test", "--engine", engine, (scratch / "t.journey").string()},
        scratch);

    INFO(engine << "\n" << result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == "PASS lapsed with no later line\n1 passed, 0 failed\n");
  }
}

// A journey that wakes itself every minute reaches the limit of instants
// long before the horizon; an `expect no send` after the instant the clock
// stopped at must not pass for want of time.
TEST_CASE("parcours test fails a test whose clock the instant limit stops") {
  auto scratch = testing::ScratchDir("test-instant-limit");
  auto file = scratch / "i.journey";
  testing::WriteText(file, R"(profile { timezone: tz = "Europe/Paris" }
event Tick "Tick" {}
journey daily {
  every day 09:00 local
  send inapp "daily"
}
journey self {
  on Tick
  wait 1m
  emit Tick {}
}
test "runs forever" {
  given profile "a"
  given profile "b"
  at 2025-01-01T00:00:00Z Tick for "a" {}
  at 2025-01-01T00:00:00Z identify for "b" {}
  expect no send inapp "daily" to "b" at 2025-03-30T07:00:00Z
}
)");

  for (const char* engine : {"interp", "jit"}) {
    auto result =
        RunParcours({"test", "--engine", engine, file.string()}, scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 1);
    // 100,000 minutes after the first Tick, the clock still has waits.
    CHECK(result.out ==
          "FAIL runs forever\n"
          "  " +
              file.string() +
              ":12:1: the test's clock stopped at 2025-03-11T10:40:00Z, at "
              "the limit of 100000 instants played after the last input, "
              "with waits still pending; the expectations reach "
              "2025-03-30T07:00:00Z. A journey keeps waking itself (the "
              "next wait: journey `self` at `wait1`, line 9); a `wait` "
              "before an `emit` of its own trigger? End that loop, or test "
              "a shorter span\n"
              "0 passed, 1 failed\n");
  }
}

// A daily ticker sends for five years: a failed expectation lists the
// first few sends, then how many more, on a line one can read.
TEST_CASE("parcours test lists the first sends of many, then a count") {
  auto scratch = testing::ScratchDir("test-many-sends");
  auto file = scratch / "t.journey";
  testing::WriteText(file,
                     "event Tick \"Tick\" { n: int }\n"
                     "journey ticker {\n  on Tick\n  wait 1d\n"
                     "  emit Tick { n: 1 }\n  send email \"tick\"\n}\n"
                     "test \"a daily ticker\" {\n  given profile \"p1\"\n"
                     "  at 2025-03-01T10:00:00Z Tick { n: 1 }\n"
                     "  expect send email \"tick\" to \"p1\" at "
                     "2025-03-02T11:00:00Z\n}\n");

  auto result = RunParcours({"test", file.string()}, scratch);

  CHECK(result.exit_code == 1);
  std::string sends;
  for (int day = 2; day <= 6; ++day) {
    sends += std::string(day == 2 ? "" : "; ") +
             "send email \"tick\" to \"p1\" at 2025-03-0" +
             std::to_string(day) + "T10:00:00Z";
  }
  // Ticks from 2 March 2025 to the horizon, 1830 days after the first.
  CHECK_THAT(result.out, Catch::Contains("2025-03-02T11:00:00Z, got " + sends +
                                         " (and 1825 more)\n"));
}

// A message the engine held back is not "none": the line says it was
// suppressed, and by what.
TEST_CASE("parcours test says an expected message was suppressed, and why") {
  auto scratch = testing::ScratchDir("test-held-back");
  auto file = scratch / "t.journey";
  testing::WriteText(
      file,
      "event OrderPlaced \"Order Completed\" { order_id: string }\n"
      "journey thanks {\n  on OrderPlaced\n  holdout 100%\n"
      "  send email \"thanks\"\n}\n"
      "test \"held out\" {\n  given profile \"p1\"\n"
      "  at 2025-03-01T10:00:00Z OrderPlaced { order_id: \"o1\" }\n"
      "  expect send email \"thanks\" to \"p1\"\n}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result =
        RunParcours({"test", "--engine", engine, file.string()}, scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out ==
          "FAIL held out\n"
          "  " +
              file.string() +
              ":10:3: expected send email \"thanks\" to \"p1\", got none "
              "sent: suppressed email \"thanks\" to \"p1\" at "
              "2025-03-01T10:00:00Z reason holdout (holdout 100% of journey "
              "`thanks`)\n"
              "0 passed, 1 failed\n");
  }
}

// A test that names the time it expects a message at, while the message
// was held back at another time (no address, before quiet hours could
// move it), must say so: "got none" leaves the marketer guessing.
TEST_CASE("parcours test names a suppression at another time than expected") {
  auto scratch = testing::ScratchDir("test-held-back-elsewhen");
  auto file = scratch / "t.journey";
  testing::WriteText(
      file,
      "profile {\n  timezone: tz = \"America/New_York\"\n"
      "  email: string?\n}\n"
      "event SignedUp \"Signed Up\" { source: string }\n"
      "policy gentle {\n  quiet 21:00 .. 08:00 local\n"
      "  when capped: defer within 2d\n}\n"
      "journey welcome {\n  on SignedUp\n  policy gentle\n"
      "  send email \"welcome\"\n}\n"
      "test \"the welcome waits for the morning\" {\n"
      "  given profile \"p1\"\n"
      "  at 2025-03-04T02:30:00Z SignedUp { source: \"web\" }\n"
      "  expect send email \"welcome\" to \"p1\" at 2025-03-04T13:00:00Z\n"
      "}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result =
        RunParcours({"test", "--engine", engine, file.string()}, scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out ==
          "FAIL the welcome waits for the morning\n"
          "  " +
              file.string() +
              ":18:3: expected send email \"welcome\" to \"p1\" at "
              "2025-03-04T13:00:00Z, got suppressed email \"welcome\" to "
              "\"p1\" at 2025-03-04T02:30:00Z reason unreachable (no email "
              "address on the profile)\n"
              "0 passed, 1 failed\n");
  }
}

// A marketer who expects quiet hours to drop a message, under a policy
// that defers it, must read that it was deferred and sent later, not
// "got none".
TEST_CASE(
    "parcours test shows a deferral and the later send of a message "
    "expected suppressed") {
  auto scratch = testing::ScratchDir("test-deferred-not-dropped");
  auto file = scratch / "t.journey";
  testing::WriteText(file,
                     "profile {\n  timezone: tz = \"America/New_York\"\n"
                     "  email: string?\n}\n"
                     "event SignedUp \"Signed Up\" { source: string }\n"
                     "policy gentle {\n  quiet 21:00 .. 08:00 local\n"
                     "  when capped: defer within 2d\n}\n"
                     "journey welcome {\n  on SignedUp\n  policy gentle\n"
                     "  send email \"welcome\"\n}\n"
                     "test \"quiet hours drop the welcome\" {\n"
                     "  given profile \"p1\" { email: \"p1@example.com\" }\n"
                     "  at 2025-03-04T02:30:00Z SignedUp { source: \"web\" }\n"
                     "  expect suppressed email \"welcome\" reason quiet\n"
                     "}\n");

  for (const char* engine : {"interp", "jit"}) {
    auto result =
        RunParcours({"test", "--engine", engine, file.string()}, scratch);

    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out ==
          "FAIL quiet hours drop the welcome\n"
          "  " +
              file.string() +
              ":18:3: expected suppressed email \"welcome\" reason quiet, got "
              "deferred email \"welcome\" to \"p1\" at 2025-03-04T02:30:00Z "
              "reason quiet until 2025-03-04T13:00:00Z (quiet 21:00 .. 08:00 "
              "local (t.journey:7)); send email \"welcome\" to \"p1\" at "
              "2025-03-04T13:00:00Z\n"
              "0 passed, 1 failed\n");
  }
}

// `parcours test --format json|sarif > file` must catch the whole report.
TEST_CASE("parcours test prints JSON and SARIF on stdout") {
  auto scratch = testing::ScratchDir("test-machine-formats");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + kPassing);

  auto json = RunParcours({"test", "--format", "json", file.string()}, scratch);
  CHECK(json.exit_code == 0);
  CHECK(json.err.empty());
  // Every line is JSON: the diagnostics (the program's warnings), then
  // one line per test, then the counts.
  std::vector<nlohmann::json> lines;
  std::istringstream stream(json.out);
  for (std::string line; std::getline(stream, line);) {
    nlohmann::json parsed = nlohmann::json::parse(line);
    if (!parsed.contains("code")) lines.push_back(parsed);
  }
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["test"] ==
        "a first order is thanked at once, and missed 60 days later");
  for (size_t i = 0; i < 3; ++i) {
    CHECK(lines[i]["passed"] == true);
    CHECK(lines[i]["reasons"].empty());
  }
  CHECK(lines[3] == nlohmann::json{{"passed", 3}, {"failed", 0}});

  auto sarif =
      RunParcours({"test", "--format", "sarif", file.string()}, scratch);
  CHECK(sarif.exit_code == 0);
  CHECK(nlohmann::json::parse(sarif.out)["version"] == "2.1.0");
  CHECK_THAT(sarif.err, Catch::EndsWith("3 passed, 0 failed\n"));

  // A program that does not compile: the diagnostics alone, on stdout.
  testing::WriteText(file, "segment s = count(Nope) > 1\n");
  auto broken =
      RunParcours({"test", "--format", "sarif", file.string()}, scratch);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.out, Catch::Contains("\"ruleId\":\""));
  CHECK(nlohmann::json::parse(broken.out)["version"] == "2.1.0");
}

// A code-scanning upload of a failing test run shows each failed
// expectation where it is written.
TEST_CASE(
    "parcours test --format sarif holds a result per failed expectation") {
  auto scratch = testing::ScratchDir("test-sarif-failures");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
test "passes" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect send email "thank_you"
}

test "the reminder at the wrong time" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect send email "we_miss_you" to "p1" at 2025-04-29T10:00:00Z
}

test "an unwanted send and a missing one" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "o1", total: 80 EUR }
  expect no send email "thank_you"
  expect send sms
}
)");

  auto result =
      RunParcours({"test", "--format", "sarif", file.string()}, scratch);

  CHECK(result.exit_code == 1);
  CHECK_THAT(result.err, Catch::EndsWith("1 passed, 2 failed\n"));
  nlohmann::json log = nlohmann::json::parse(result.out);
  const nlohmann::json& run = log["runs"][0];
  std::vector<nlohmann::json> failures;
  for (const nlohmann::json& found : run["results"]) {
    if (found["ruleId"] == "test-failed") failures.push_back(found);
  }
  REQUIRE(failures.size() == 3);
  std::vector<std::pair<int, int>> places;
  for (const nlohmann::json& failure : failures) {
    CHECK(failure["level"] == "error");
    const nlohmann::json& location =
        failure["locations"][0]["physicalLocation"];
    CHECK_THAT(location["artifactLocation"]["uri"].get<std::string>(),
               Catch::EndsWith("/shop.journey"));
    places.emplace_back(location["region"]["startLine"].get<int>(),
                        location["region"]["startColumn"].get<int>());
  }
  CHECK(places == std::vector<std::pair<int, int>>{{31, 3}, {37, 3}, {38, 3}});
  CHECK(failures[0]["message"]["text"] ==
        "test \"the reminder at the wrong time\" failed: expected send email "
        "\"we_miss_you\" to \"p1\" at 2025-04-29T10:00:00Z, got send email "
        "\"we_miss_you\" to \"p1\" at 2025-04-30T10:00:00Z");
  CHECK(failures[2]["message"]["text"] ==
        "test \"an unwanted send and a missing one\" failed: expected send "
        "sms, got none");

  // The rule is described, as code-scanning tools list rules by id.
  bool described = false;
  for (const nlohmann::json& rule : run["tool"]["driver"]["rules"]) {
    described = described || rule["id"] == "test-failed";
  }
  CHECK(described);
}

TEST_CASE("an expectation past the test's five years fails and says so") {
  auto scratch = testing::ScratchDir("test-horizon");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
journey daily {
  every day 09:00 local
  send email "daily"
}

journey anniversary {
  on OrderPlaced as order
  reentry never
  wait 2000d
  send email "late"
}

test "a daily mail seven years on" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "1", total: 80 EUR }
  expect no send email "daily" at 2032-03-01T09:00:00Z
}

test "a wait longer than the test" {
  given profile "p1"
  at 2025-03-01T10:00:00Z OrderPlaced { order_id: "1", total: 80 EUR }
  expect send email "late"
}
)");
  std::string where = file.string();
  auto result = RunParcours({"test", where}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out ==
        "FAIL a daily mail seven years on\n"
        "  " +
            where +
            ":37:3: `expect no send email \"daily\" at "
            "2032-03-01T09:00:00Z` is after the test's clock stopped, at "
            "2030-03-05T10:00:00Z; give a time within five years of the "
            "test's last input\n"
            "FAIL a wait longer than the test\n"
            "  " +
            where +
            ":43:3: expected send email \"late\", got none; the test's "
            "clock stopped at 2030-03-05T10:00:00Z, five years after its "
            "last input, with journey `anniversary` at `wait1`, line 30, "
            "due 2030-08-22T10:00:00Z\n"
            "0 passed, 2 failed\n");
}

TEST_CASE("a failed expectation of a profile shows that profile's lines") {
  auto scratch = testing::ScratchDir("test-own-lines");
  auto file = scratch / "shop.journey";
  testing::WriteText(file, std::string(kShop) + R"(
event Ping "Ping" { n: int }

journey arms {
  on Ping
  reentry never
  split
    short: 50% {
      send email "short"
    } long: 50% {
      send email "long"
    }
}

test "each profile's arm" {
  given profile "p1" { consent: [email] }
  given profile "p2" { consent: [email] }
  given profile "p3" { consent: [email] }
  at 2025-03-01T10:00:00Z Ping { n: 1 }
  at 2025-03-01T10:00:00Z Ping for "p2" { n: 1 }
  at 2025-03-01T10:00:00Z Ping for "p3" { n: 1 }
  expect send email "short" to "p1"
  expect send email "long" to "p1"
}
)");
  std::string where = file.string();
  auto result = RunParcours({"test", where}, scratch);
  INFO(result.out);
  CHECK(result.exit_code == 1);

  // Whichever arm p1 took, the failed line names p1's own send, and no
  // other profile's.
  std::istringstream lines(result.out);
  std::string line;
  int failures = 0;
  while (std::getline(lines, line)) {
    if (line.find(": expected send email") == std::string::npos) continue;
    ++failures;
    CHECK(line.find("got send email") != std::string::npos);
    CHECK(line.find("to \"p1\" at") != std::string::npos);
    CHECK(line.find("\"p2\"") == std::string::npos);
    CHECK(line.find("\"p3\"") == std::string::npos);
  }
  CHECK(failures == 1);
}

}  // namespace
}  // namespace parcours
