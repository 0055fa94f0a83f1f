// `on date profile.birthday at 09:00 local` starts a journey every year on
// the date's month and day, in each profile's zone; `days_since` of a date
// counts local days. Exact times, in both engines, across daylight-saving
// changes, 29 February, a changed date and restarts.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/batch_runs.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kBirthdays[] =
    "profile {\n  zone: tz = \"Europe/Paris\"\n  birthday: date?\n"
    "  early: bool = false\n}\n"
    "journey birthday {\n  on date profile.birthday at 09:00 local\n"
    "  send email \"birthday\"\n}\n"
    "journey early {\n  on date profile.birthday at 02:30 local\n"
    "  where profile.early\n  send email \"early\"\n}\n";

std::string Identify(const std::string& user, const std::string& id,
                     const std::string& time, const std::string& traits) {
  return R"({"type":"identify","userId":")" + user + R"(","messageId":")" + id +
         R"(","timestamp":")" + time + R"(","traits":{)" + traits + "}}\n";
}

TEST_CASE("a birthday starts its journey at 09:00 local every year") {
  const std::string march = "2025-03-01T12:00:00Z";
  std::string first =
      // Paris, born on the day summer time starts: 09:00 CEST, and 02:30,
      // which does not exist that night, moves forward to 03:30.
      Identify("p1", "i1", march, R"("birthday":"1990-03-30","early":true)") +
      // Paris, born on the day summer time ends: 09:00 CET, and 02:30,
      // which happens twice that night, is the first one (CEST).
      Identify("p2", "i2", march, R"("birthday":"1985-10-26","early":true)") +
      // Born on 29 February: 28 February in 2026.
      Identify("p3", "i3", march, R"("birthday":"2000-02-29")") +
      // Another zone.
      Identify("p4", "i4", march,
               R"("birthday":"1970-04-02","zone":"America/New_York")") +
      Identify("p5", "i5", march, R"("birthday":"1990-04-10")") +
      // No birthday: no start.
      Identify("p6", "i6", march, R"("early":true)");
  // Stops at p1's birthday, right after it started.
  std::string second =
      Identify("p6", "i7", "2025-03-30T07:00:00Z", R"("early":false)");
  // p5's birthday is corrected before the day: the start moves.
  std::string third = Identify("p5", "i8", "2025-04-01T12:00:00Z",
                               R"("birthday":"1990-04-05")");
  const std::vector<std::string> expected = {
      "2025-03-30T01:30:00Z p1 early",    "2025-03-30T07:00:00Z p1 birthday",
      "2025-04-02T13:00:00Z p4 birthday", "2025-04-05T07:00:00Z p5 birthday",
      "2025-10-26T00:30:00Z p2 early",    "2025-10-26T08:00:00Z p2 birthday",
      "2026-02-28T08:00:00Z p3 birthday"};

  CHECK(testing::RunBatchesInBothEngines("dates-whole", kBirthdays,
                                         {first + second + third},
                                         "2026-03-01T00:00:00Z") == expected);
  // Restarted after each batch, once right at a start: nothing is lost
  // and nothing starts twice.
  CHECK(testing::RunBatchesInBothEngines("dates-split", kBirthdays,
                                         {first, second, third},
                                         "2026-03-01T00:00:00Z") == expected);
}

TEST_CASE("a time's local date counts, and reentry rules apply") {
  const char program[] =
      "profile {\n  zone: tz = \"Europe/Paris\"\n  renews_at: time?\n}\n"
      "journey renew {\n  on date profile.renews_at at 09:00 local\n"
      "  send email \"renew\"\n  wait 400d\n"
      "  send email \"still_inside\"\n}\n";
  // 23:30 UTC on 29 March is 30 March in Paris. In 2026 the contact is
  // still inside last year's instance, so only 2027 starts it again.
  std::string events = Identify("t1", "i1", "2025-03-01T12:00:00Z",
                                R"("renews_at":"2025-03-29T23:30:00Z")") +
                       Identify("t2", "i2", "2026-03-01T12:00:00Z", "");
  const std::vector<std::string> expected = {
      "2025-03-30T07:00:00Z t1 renew", "2026-05-04T07:00:00Z t1 still_inside",
      "2027-03-30T07:00:00Z t1 renew"};
  CHECK(testing::RunBatchesInBothEngines("dates-time", program, {events},
                                         "2027-04-01T00:00:00Z") == expected);
}

TEST_CASE("29 February falls on 28 February in other years") {
  std::string born = Identify("q1", "i1", "2027-02-01T12:00:00Z",
                              R"("birthday":"2000-02-29")");
  const std::vector<std::string> expected = {
      "2027-02-28T08:00:00Z q1 birthday", "2028-02-29T08:00:00Z q1 birthday"};
  CHECK(testing::RunBatchesInBothEngines("dates-leap", kBirthdays, {born},
                                         "2028-03-01T00:00:00Z") == expected);
}

const char kRenewals[] =
    "profile {\n  zone: tz = \"Europe/Paris\"\n  renewal: date?\n}\n"
    "segment lapsed = days_since(profile.renewal) >= 1\n"
    "journey remind {\n  on entered(lapsed)\n"
    "  send email \"lapsed\"\n}\n";

TEST_CASE("days_since of a date goes up at local midnight, with no event") {
  std::string renewals =
      // Paris: the day after 29 March starts at 00:00 CET.
      Identify("r1", "i1", "2025-03-29T12:00:00Z",
               R"("renewal":"2025-03-29")") +
      // The day after 30 March starts at 00:00 CEST: that day had 23
      // hours.
      Identify("r2", "i2", "2025-03-29T12:00:00Z",
               R"("renewal":"2025-03-30")") +
      Identify("r3", "i3", "2025-03-29T12:00:00Z",
               R"("renewal":"2025-03-30","zone":"UTC")") +
      // Already a day past: in the segment at once.
      Identify("r4", "i4", "2025-03-29T12:00:00Z", R"("renewal":"2025-03-28")");
  const std::vector<std::string> expected = {
      "2025-03-29T12:00:00Z r4 lapsed", "2025-03-29T23:00:00Z r1 lapsed",
      "2025-03-30T22:00:00Z r2 lapsed", "2025-03-31T00:00:00Z r3 lapsed"};
  CHECK(testing::RunBatchesInBothEngines("dates-since", kRenewals, {renewals},
                                         "2025-04-05T00:00:00Z") == expected);
}

TEST_CASE("a `where` filters segment triggers as it does date triggers") {
  const char program[] =
      "profile {\n  vip: bool = false\n  renewal: date?\n}\n"
      "segment lapsed = days_since(profile.renewal) >= 1\n"
      "journey vip_lapsed {\n  on entered(lapsed) where profile.vip\n"
      "  send email \"vip_lapsed\"\n}\n";
  std::string renewals =
      Identify("v1", "i1", "2025-03-29T12:00:00Z",
               R"("renewal":"2025-03-29","vip":true)") +
      Identify("v2", "i2", "2025-03-29T12:00:00Z", R"("renewal":"2025-03-29")");
  const std::vector<std::string> expected = {
      "2025-03-30T00:00:00Z v1 vip_lapsed"};
  CHECK(testing::RunBatchesInBothEngines("dates-where", program, {renewals},
                                         "2025-04-01T00:00:00Z") == expected);
}

const char kTested[] = R"(profile {
  zone: tz = "Europe/Paris"
  birthday: date?
  renewed: date?
  joined: date = "2020-02-29"
}

event Renewed { day: date }

journey birthday {
  on date profile.birthday at 09:00 local
  send email "birthday" with {
    born: profile.birthday, renewed: profile.renewed, joined: profile.joined
  }
}

journey renewal {
  on Renewed as renewal where renewal.day > profile.birthday
  set profile.renewed = renewal.day
  send email "renewed" with { day: renewal.day, fixed: "2030-01-31" }
}

test "a birthday is wished at 09:00 local" {
  given profile "p1" { birthday: "1990-03-30" }
  at 2025-03-01T12:00:00Z Renewed { day: "2025-03-02" }
  expect send email "renewed" to "p1" at 2025-03-01T12:00:00Z
  expect send email "birthday" to "p1" at 2025-03-30T07:00:00Z
  expect no send email "birthday" at 2025-03-30T08:00:00Z
}

test "a renewal dated before the birthday is not one" {
  given profile "p2" { birthday: "1990-03-30" }
  at 2025-03-01T12:00:00Z Renewed { day: "1989-12-31" }
  expect no send email "renewed"
}
)";

TEST_CASE("test blocks, payloads and `set` use dates, in both engines") {
  auto scratch = testing::ScratchDir("dates-test-blocks");
  auto file = scratch / "dates.journey";
  testing::WriteText(file, kTested);
  const std::string expected =
      "PASS a birthday is wished at 09:00 local\n"
      "PASS a renewal dated before the birthday is not one\n"
      "2 passed, 0 failed\n";
  for (const char* engine : {"interp", "jit"}) {
    INFO(engine);
    auto result = testing::RunParcours(
        {"test", "--engine", engine, file.string()}, scratch);
    CHECK(result.err.empty());
    CHECK(result.out == expected);
  }

  // Payloads write dates as they came; `set` keeps the date in the state.
  auto events = scratch / "events.jsonl";
  testing::WriteText(
      events, Identify("p1", "i1", "2025-03-01T12:00:00Z",
                       R"("birthday":"1990-03-30")") +
                  R"({"type":"track","event":"Renewed","userId":"p1",)"
                  R"("messageId":"t1","timestamp":"2025-03-02T12:00:00Z",)"
                  R"("properties":{"day":"2025-03-02"}})"
                  "\n");
  auto later = scratch / "later.jsonl";
  testing::WriteText(later, "");
  std::string outputs[2];
  const char* engines[] = {"interp", "jit"};
  for (int i = 0; i < 2; ++i) {
    std::string state = (scratch / (std::string(engines[i]) + ".db")).string();
    // The second run reads what `set` stored from the state file.
    for (const auto& input : {events, later}) {
      std::vector<std::string> args = {
          "run", file.string(), "--events", input.string(), "--state",
          state, "--out",       "-",        "--engine",     engines[i]};
      if (input == later) {
        args.push_back("--until");
        args.push_back("2025-04-01T00:00:00Z");
      }
      auto result = testing::RunParcours(args, scratch);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      outputs[i] += result.out;
    }
  }
  CHECK(outputs[0] == outputs[1]);
  CHECK_THAT(outputs[0],
             Catch::Contains(R"("payload":{"day":"2025-03-02",)"
                             R"("fixed":"2030-01-31"}})") &&
                 Catch::Contains(R"("at":"2025-03-30T07:00:00Z")") &&
                 Catch::Contains(R"("payload":{"born":"1990-03-30",)"
                                 R"("renewed":"2025-03-02",)"
                                 R"("joined":"2020-02-29"}})"));
}

}  // namespace
}  // namespace parcours
