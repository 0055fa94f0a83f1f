// `expect task`, `expect webhook`, `expect freeze account`, `expect second
// factor` and `expect emit`: tests of the actions that are not messages.
#include <catch2/catch.hpp>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

const char kGuard[] = R"(profile {
  vip: bool = false
}

event Login "Login" {
  country: string
}

event Redeemed "Reward Redeemed" {
  points: int
}

event Flagged "Account Flagged" {
  why: string
}

journey login_check {
  on Login as login where login.country != "FR"
  require second factor reason "login abroad"
  emit Flagged { why: "abroad" }
}

journey redemption_guard {
  on Redeemed as r where r.points >= 500
  freeze account reason "large redemption"
  task crm "check the account" to "fraud"
  wait 1h
  call webhook "risk" with { points: r.points }
}

journey vip_care {
  on Flagged
  holdout 100%
  task crm "call the customer" to "care"
}
)";

TEST_CASE("expect checks tasks, webhooks, freezes, second factors and emits") {
  auto scratch = testing::ScratchDir("expect-actions-pass");
  auto file = scratch / "guard.journey";
  testing::WriteText(file, std::string(kGuard) + R"(
test "a large redemption freezes, alerts the team, then calls the webhook" {
  given profile "p1"
  at 2025-03-10T09:05:00Z Redeemed { points: 900 }
  expect freeze account for "p1" at 2025-03-10T09:05:00Z
  expect task crm "check the account" to "p1"
  expect task
  expect webhook "risk" at 2025-03-10T10:05:00Z
  expect call webhook
  expect no second factor
  expect no emit Flagged
}

test "a login abroad asks for a second factor and flags the account" {
  given profile "p2"
  at 2025-03-10T09:00:00Z Login { country: "PT" }
  expect require second factor for "p2" at 2025-03-10T09:00:00Z
  expect second factor
  expect emit Flagged
  expect no freeze account
  expect no task crm "call the customer"
  expect no webhook
}

test "a small redemption at home does nothing" {
  given profile "p3"
  at 2025-03-10T09:00:00Z Login { country: "FR" }
  at 2025-03-10T09:05:00Z Redeemed { points: 10 }
  expect no freeze account
  expect no task
  expect no second factor
}
)");

  const std::string expected =
      "PASS a large redemption freezes, alerts the team, then calls the "
      "webhook\n"
      "PASS a login abroad asks for a second factor and flags the account\n"
      "PASS a small redemption at home does nothing\n"
      "3 passed, 0 failed\n";
  for (const char* engine : {"interp", "jit"}) {
    auto result =
        RunParcours({"test", "--engine", engine, file.string()}, scratch);
    INFO(engine << "\n" << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out == expected);
  }
}

TEST_CASE("a failed expectation of an action says what was done instead") {
  auto scratch = testing::ScratchDir("expect-actions-fail");
  auto file = scratch / "guard.journey";
  testing::WriteText(file, std::string(kGuard) + R"(
test "wrong times and missing actions" {
  given profile "p1"
  at 2025-03-10T09:05:00Z Redeemed { points: 900 }
  expect webhook "risk" at 2025-03-10T09:05:00Z
  expect no freeze account
  expect second factor
  expect 2 task
}
)");
  // `expect 2 task` is not the language: the parser says so.
  auto refused = RunParcours({"test", file.string()}, scratch);
  CHECK(refused.exit_code == 1);
  INFO(refused.err);
  CHECK(refused.err.find("guard.journey:43:10") != std::string::npos);

  testing::WriteText(file, std::string(kGuard) + R"(
test "wrong times and missing actions" {
  given profile "p1"
  at 2025-03-10T09:05:00Z Redeemed { points: 900 }
  expect webhook "risk" at 2025-03-10T09:05:00Z
  expect no freeze account
  expect second factor
  expect task
  expect task
}

test "a task held back by a holdout" {
  given profile "p2"
  at 2025-03-10T09:00:00Z Login { country: "PT" }
  expect task crm "call the customer"
}
)");
  std::string where = file.string();
  auto result = RunParcours({"test", where}, scratch);
  CHECK(result.exit_code == 1);
  CHECK(result.out ==
        "FAIL wrong times and missing actions\n"
        "  " +
            where +
            ":40:3: expected webhook \"risk\" at 2025-03-10T09:05:00Z, got "
            "webhook \"risk\" for \"p1\" at 2025-03-10T10:05:00Z\n"
            "  " +
            where +
            ":41:3: expected no freeze account, got freeze account for "
            "\"p1\" at 2025-03-10T09:05:00Z\n"
            "  " +
            where + ":42:3: expected second factor, got none\n" + "  " + where +
            ":44:3: expected task twice (each equal `expect` needs an "
            "action of its own), got it once: task crm \"check the "
            "account\" for \"p1\" at 2025-03-10T09:05:00Z\n"
            "FAIL a task held back by a holdout\n"
            "  " +
            where +
            ":50:3: expected task crm \"call the customer\", got none "
            "done: suppressed task crm \"call the customer\" for \"p2\" at "
            "2025-03-10T09:00:00Z reason holdout (holdout 100% of journey "
            "`vip_care`)\n"
            "0 passed, 2 failed\n");
}

TEST_CASE("check warns of an expected action that no journey takes") {
  auto scratch = testing::ScratchDir("expect-actions-lint");
  auto file = scratch / "guard.journey";
  testing::WriteText(file, std::string(kGuard) + R"(
test "typos in what is expected" {
  given profile "p1"
  at 2025-03-10T09:05:00Z Redeemed { points: 900 }
  expect webhook "risks"
  expect task crm "check the acount"
  expect no emit Redeemed
  expect task hubspot
}
)");
  auto result = RunParcours({"check", file.string()}, scratch);
  CHECK(result.exit_code == 1);

  // The journeys' own warnings (reentry, the holdout) aside.
  std::string about_tests;
  std::istringstream lines(result.err);
  for (std::string line; std::getline(lines, line);) {
    bool ours = line.find("[W0325]") != std::string::npos ||
                line.find("[E0220]") != std::string::npos;
    if (ours) about_tests += line.substr(line.find(".journey:")) + "\n";
  }
  CHECK(about_tests ==
        ".journey:40:10: warning[W0325]: no journey has a `call webhook` "
        "step for `risks`, so this `expect` holds or fails whatever the "
        "journeys do; did you mean `risk`?\n"
        ".journey:41:10: warning[W0325]: no journey has a `task` step for "
        "`check the acount`, so this `expect` holds or fails whatever the "
        "journeys do; did you mean `check the account`?\n"
        ".journey:42:13: warning[W0325]: no journey has an `emit` step for "
        "`Redeemed`, so this `expect` holds or fails whatever the journeys "
        "do\n"
        ".journey:43:15: error[E0220]: tasks go to `crm`, not `hubspot`\n");
}

}  // namespace
}  // namespace parcours
