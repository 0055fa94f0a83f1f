// Splits, holdouts, goals and the action steps (`set`, `emit`, `task`,
// `call webhook`, send details) through the whole product, with exact
// action lines, the JIT and the interpreter alike.
#include <catch2/catch.hpp>
#include <map>

#include "runtime/common/hash.h"
#include "tests/e2e/journey_test_support.h"
#include "tests/support/lazy_load_from.h"
#include "tests/support/schema_downgrade.h"

namespace parcours {
namespace {

using testing::IdentifyLine;
using testing::Scenario;
using testing::Summaries;
using testing::TrackLine;
using Lines = std::vector<std::string>;

const char kSplit[] = R"(module ab
event CartUpdated "Cart Updated" { cart_id: string }

journey ab {
  on CartUpdated
  holdout 20%
  split control: 50% {
    send email "control"
  } treatment: 50% {
    send push "treatment"
  }
}
)";

std::string Cart(const std::string& user, const std::string& id) {
  return TrackLine("Cart Updated", user, id, "2025-01-01T10:00:00Z",
                   R"({"cart_id":"k"})");
}

// "profile template-or-reason" for each line of `out`.
std::map<std::string, std::string> ArmsOf(const std::string& out) {
  std::map<std::string, std::string> arms;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    std::string arm = action["template"].get<std::string>();
    if (action["kind"] == "suppressed") arm += " held out";
    arms[action["profile"].get<std::string>()] = arm;
  }
  return arms;
}

// The documented rule, computed here on its own: FNV-1a 64 of the key,
// modulo 100% in units of a millionth of a percent.
int64_t BucketOf(const std::string& key) {
  return static_cast<int64_t>(common::Fnv1a64(key) % 100'000'000);
}

TEST_CASE(
    "split and holdout arms are pinned, and the same after a "
    "restart") {
  // Pinned: a change of hash, key or rule moves contacts between arms of
  // running experiments, which must never happen silently.
  const std::map<std::string, std::string> pinned = {
      {"u1", "control"},   {"u2", "treatment held out"},
      {"u3", "treatment"}, {"u4", "control"},
      {"u5", "control"},   {"u6", "treatment"},
      {"u7", "treatment"}, {"u8", "control"},
  };

  Scenario once("journey-split-once", kSplit);
  std::string all;
  for (int i = 1; i <= 8; ++i) {
    all += Cart("u" + std::to_string(i), "c" + std::to_string(i));
  }
  CHECK(ArmsOf(once.Run(all)) == pinned);

  // Half the contacts in one run, half in the next, on a reloaded state.
  Scenario twice("journey-split-twice", kSplit);
  std::string first, second;
  for (int i = 1; i <= 8; ++i) {
    std::string line = Cart("u" + std::to_string(i), "c" + std::to_string(i));
    (i % 2 == 0 ? second : first) += line;
  }
  std::map<std::string, std::string> arms = ArmsOf(twice.Run(first));
  for (const auto& [profile, arm] : ArmsOf(twice.Run(second))) {
    arms[profile] = arm;
  }
  CHECK(arms == pinned);

  // The pinned arms follow from the documented keys.
  for (const auto& [profile, arm] : pinned) {
    bool held_out = BucketOf(profile +
                             "\x1f"
                             "ab\x1f"
                             "holdout") < 20'000'000;
    bool control = BucketOf(profile +
                            "\x1f"
                            "ab\x1f"
                            "control\x1f"
                            "treatment") < 50'000'000;
    INFO(profile);
    CHECK(arm == std::string(control ? "control" : "treatment") +
                     (held_out ? " held out" : ""));
  }
}

TEST_CASE("a holdout contact enters, is logged, and sends nothing") {
  Scenario scenario("journey-holdout", kSplit);
  std::string out = scenario.Run(Cart("u2", "c2"));
  auto line = nlohmann::json::parse(out);
  CHECK(line["kind"] == "suppressed");
  CHECK(line["reason"] == "holdout");
  CHECK(line["detail"] == "holdout 20% of journey `ab`");
  CHECK(line["channel"] == "push");
  CHECK(line["template"] == "treatment");
  CHECK(scenario.QueryText("SELECT message FROM log WHERE profile = 'u2'") ==
        "entered (holdout)");
}

// A holdout contact must get nothing the journey gives: a call from the
// care team, an ad audience fed by a webhook and bonus points are as
// much a treatment as an email. Its record is still kept (`set`).
TEST_CASE(
    "a holdout contact gets no task, webhook or award, but its `set` "
    "runs") {
  Scenario scenario("journey-holdout-actions", R"(module ab
profile { nudged: bool = false }
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }
program loyalty { earn 1 point per 1 EUR of OrderPlaced.total }

journey ab {
  on CartUpdated
  holdout 20%
  phone: task crm "call back" to "care"
  audience: call webhook "ads" with { cart: "k" }
  bonus: award 50 points reason "sorry"
  mark: set profile.nudged = true
}
)");
  // u2 is in the holdout, u1 is not (see the pinned arms above).
  std::string out = scenario.Run(Cart("u1", "c1") + Cart("u2", "c2"));
  std::vector<nlohmann::json> lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    auto action = nlohmann::json::parse(line);
    action.erase("id");
    action.erase("at");
    lines.push_back(action);
  }
  REQUIRE(lines.size() == 6);
  CHECK(lines[0]["kind"] == "task");
  CHECK(lines[1]["kind"] == "webhook");
  CHECK(lines[2]["kind"] == "points");
  CHECK(lines[2]["profile"] == "u1");
  CHECK(lines[3].dump() ==
        R"({"action":"task","detail":"holdout 20% of journey `ab`",)"
        R"("journey":"ab","kind":"suppressed","profile":"u2",)"
        R"("reason":"holdout","step":"phone","system":"crm","team":"care",)"
        R"("text":"call back"})");
  CHECK(lines[4].dump() ==
        R"({"action":"webhook","detail":"holdout 20% of journey `ab`",)"
        R"("journey":"ab","kind":"suppressed","profile":"u2",)"
        R"("reason":"holdout","step":"audience","webhook":"ads"})");
  CHECK(lines[5].dump() ==
        R"({"action":"award","detail":"holdout 20% of journey `ab`",)"
        R"("journey":"ab","kind":"suppressed","points":50,"profile":"u2",)"
        R"("program":"loyalty","reason":"holdout","step":"bonus"})");

  // The record is kept for both; the points went to u1 only.
  CHECK(scenario.QueryInt("SELECT count(*) FROM profiles WHERE "
                          "json_extract(attrs, '$.nudged') = 1") == 2);
  // `explain` names what was held.
  CHECK(scenario.QueryText(
            "SELECT group_concat(channel || ' ' || template, ', ') FROM "
            "(SELECT * FROM decisions WHERE profile = 'u2' ORDER BY seq)") ==
        "task call back, webhook ads, award loyalty");
  // `report caps` counts messages; these were none.
  auto caps = testing::RunParcours(
      {"report", "caps", "--state", scenario.State(), "--format", "json"},
      testing::ScratchDir("journey-holdout-actions-caps"));
  REQUIRE(caps.exit_code == 0);
  CHECK(nlohmann::json::parse(caps.out)["caps"].empty());
}

// A cart reminder that an order within two days converts.
const char kRecover[] = R"(module goal
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }

journey recover {
  on CartUpdated
  goal OrderPlaced within 2d
  wait 1d
  first: send email "r1"
  wait 3d
  second: send email "r2"
}
)";

TEST_CASE("a goal reached ends the instance and is counted") {
  Scenario scenario("journey-goal", kRecover);
  std::string order = R"({"total":10,"currency":"EUR"})";
  std::string out = scenario.Run(
      TrackLine("Cart Updated", "p1", "c1", "2025-01-01T10:00:00Z",
                R"({"cart_id":"k"})") +
          TrackLine("Cart Updated", "p2", "c2", "2025-01-01T10:00:00Z",
                    R"({"cart_id":"k"})") +
          TrackLine("Order Completed", "p1", "o1", "2025-01-02T12:00:00Z",
                    order) +
          // Past the goal's 2 days: not a conversion, the journey goes on.
          TrackLine("Order Completed", "p2", "o2", "2025-01-03T11:00:00Z",
                    order),
      "2025-01-09T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-02T10:00:00Z send p1 recover.first",
                              "2025-01-02T10:00:00Z send p2 recover.first",
                              "2025-01-05T10:00:00Z send p2 recover.second",
                          });
  CHECK(scenario.QueryText(
            "SELECT group_concat(at || ' ' || profile || ' ' || step || ' ' "
            "|| message, '; ') FROM log WHERE component = 'goal'") ==
        "2025-01-02T12:00:00Z p1 wait2 goal reached: `OrderPlaced` after "
        "93600s");
}

// As a goal is: an order placed before the cart, whose line came late,
// says nothing about the cart, and must not stop its reminder.
TEST_CASE("an exit is judged by when its event happened, not when it came") {
  Scenario scenario("journey-exit-late", R"(module late_exit
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }
event Unsubscribed "Newsletter Left" { }

journey remind {
  on CartUpdated
  exit on OrderPlaced
  exit on Unsubscribed where true
  wait 1d
  send email "reminder"
}
)");
  std::string order = R"({"total":10,"currency":"EUR"})";
  auto cart = [](const std::string& user, const std::string& id) {
    return TrackLine("Cart Updated", user, id, "2025-01-01T10:00:00Z",
                     R"({"cart_id":"k"})");
  };
  std::string out = scenario.Run(
      cart("p1", "c1") + cart("p2", "c2") + cart("p3", "c3") +
          // Placed before p1's cart, its line late: p1 stays in.
          TrackLine("Order Completed", "p1", "o1", "2025-01-01T09:30:00Z",
                    order) +
          // Placed after p2's cart: p2 leaves.
          TrackLine("Order Completed", "p2", "o2", "2025-01-01T10:30:00Z",
                    order) +
          // The same for a conditional exit, before the cart: p3 stays.
          TrackLine("Newsletter Left", "p3", "n3", "2025-01-01T09:00:00Z",
                    "{}"),
      "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-02T10:00:00Z send p1 remind.send1",
                                "2025-01-02T10:00:00Z send p3 remind.send1"});
}

// The contact entered when its cart was put together, not when the
// cart's line came: another customer's later event had moved the clock,
// and an order placed after the cart, its line late too, must still
// stop the reminder.
TEST_CASE("an exit after a late trigger is judged against the trigger's time") {
  Scenario scenario("journey-exit-late-trigger", R"(module late_trigger
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }

journey remind {
  on CartUpdated
  exit on OrderPlaced
  goal OrderPlaced
  wait 1d
  send email "reminder"
}
)");
  std::string out = scenario.Run(
      TrackLine("Cart Updated", "p2", "c2", "2025-01-01T10:05:00Z",
                R"({"cart_id":"k2"})") +
          TrackLine("Cart Updated", "p1", "c1", "2025-01-01T10:01:00Z",
                    R"({"cart_id":"k1"})") +
          TrackLine("Order Completed", "p1", "o1", "2025-01-01T10:03:00Z",
                    R"({"total":10,"currency":"EUR"})"),
      "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-02T10:05:00Z send p2 remind.send1"});
}

// `reentry after` spaces the triggers by their own times, as an entry
// is dated by its trigger's: a line that comes late changes neither.
TEST_CASE("`reentry after` counts between the triggers' own times") {
  Scenario scenario("journey-reentry-late-trigger", R"(module late_reentry
event CartUpdated "Cart Updated" { cart_id: string }

journey cart_reminder {
  on CartUpdated
  reentry after 1d
  send email "cart_reminder"
}
)");
  // b's second cart, five minutes after the first, comes after another
  // profile's line moved the clock a day on; c's first cart comes late,
  // and its next one, eleven days after it, enters again.
  std::string out =
      scenario.Run(TrackLine("Cart Updated", "b", "b1", "2025-03-01T10:00:00Z",
                             R"({"cart_id":"k"})") +
                   TrackLine("Cart Updated", "other", "o1",
                             "2025-03-02T10:30:00Z", R"({"cart_id":"k"})") +
                   TrackLine("Cart Updated", "b", "b2", "2025-03-01T10:05:00Z",
                             R"({"cart_id":"k"})") +
                   TrackLine("Cart Updated", "x", "x1", "2025-03-20T00:00:00Z",
                             R"({"cart_id":"k"})") +
                   TrackLine("Cart Updated", "c", "c1", "2025-03-10T10:00:00Z",
                             R"({"cart_id":"k"})") +
                   TrackLine("Cart Updated", "c", "c2", "2025-03-21T10:00:00Z",
                             R"({"cart_id":"k"})"));
  CHECK(Summaries(out) ==
        Lines{"2025-03-01T10:00:00Z send b cart_reminder.send1",
              "2025-03-02T10:30:00Z send other cart_reminder.send1",
              "2025-03-20T00:00:00Z send c cart_reminder.send1",
              "2025-03-20T00:00:00Z send x cart_reminder.send1",
              "2025-03-21T10:00:00Z send c cart_reminder.send1"});
}

// The same for a `wait for`: an order placed before the cart does not
// answer the cart's question.
TEST_CASE("a `wait for` is not answered by an event from before the entry") {
  Scenario scenario("journey-wait-for-late", R"(module late_wait
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }

journey cart {
  on CartUpdated
  wait for OrderPlaced within 1h {
    send email "thanks"
  } else {
    send email "reminder"
  }
}
)");
  std::string order = R"({"total":10,"currency":"EUR"})";
  auto cart = [](const std::string& user, const std::string& id) {
    return TrackLine("Cart Updated", user, id, "2025-01-01T10:01:00Z",
                     R"({"cart_id":"k"})");
  };
  std::string out = scenario.Run(
      cart("p1", "c1") + cart("p2", "c2") +
          // Placed before p1's cart, its line late: p1 is reminded.
          TrackLine("Order Completed", "p1", "o1", "2025-01-01T09:30:00Z",
                    order) +
          // Placed after p2's cart: p2 is thanked.
          TrackLine("Order Completed", "p2", "o2", "2025-01-01T10:30:00Z",
                    order),
      "2025-01-02T00:00:00Z");
  std::vector<std::string> sends;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["at"].get<std::string>() + " " +
                    action["profile"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  CHECK(sends == Lines{"2025-01-01T10:30:00Z p2 thanks",
                       "2025-01-01T11:01:00Z p1 reminder"});
}

// The journey reaches its `wait for` a day after the cart: an order
// placed in between, its line late, was placed before the question was
// asked and does not answer it; one placed from that instant on does,
// however late its line.
const char kLateStep[] = R"(module late_step
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }

journey j {
  on CartUpdated as cart
  send email "a"
  wait 1d
  wait for OrderPlaced within 3d {
    send email "thanks"
  } else {
    send email "nudge"
  }
}
)";

std::string CartAt(const std::string& user, const std::string& time) {
  return TrackLine("Cart Updated", user, "c-" + user, time,
                   R"({"cart_id":"k"})");
}

std::string OrderAt(const std::string& user, const std::string& time) {
  return TrackLine("Order Completed", user, "o-" + user, time,
                   R"({"total":10,"currency":"EUR"})");
}

TEST_CASE(
    "a `wait for` is not answered by an event from before the step, its "
    "line late") {
  Scenario scenario("journey-wait-for-late-step", kLateStep);
  std::string out = scenario.Run(
      CartAt("p1", "2025-01-01T10:00:00Z") +
          CartAt("p2", "2025-01-01T10:00:00Z") +
          CartAt("p3", "2025-01-01T10:00:00Z") +
          CartAt("p4", "2025-01-01T10:00:00Z") +
          // Another customer's cart moves the clock past 2 January 10:00,
          // when p1 to p4 reach the `wait for`; the orders come after it.
          CartAt("p9", "2025-01-02T11:00:00Z") +
          // After the entry but before the step: no answer.
          OrderAt("p1", "2025-01-01T12:00:00Z") +
          OrderAt("p2", "2025-01-02T09:59:59Z") +
          // At the instant the step was reached, and after it: answers.
          OrderAt("p3", "2025-01-02T10:00:00Z") +
          OrderAt("p4", "2025-01-02T10:30:00Z"),
      "2025-01-06T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T10:00:00Z send p1 j.send1",
                              "2025-01-01T10:00:00Z send p2 j.send1",
                              "2025-01-01T10:00:00Z send p3 j.send1",
                              "2025-01-01T10:00:00Z send p4 j.send1",
                              "2025-01-02T11:00:00Z send p3 j.send2",
                              "2025-01-02T11:00:00Z send p4 j.send2",
                              "2025-01-02T11:00:00Z send p9 j.send1",
                              "2025-01-05T10:00:00Z send p1 j.send3",
                              "2025-01-05T10:00:00Z send p2 j.send3",
                          });
}

// The instant the step was reached is saved with the waiting contact: a
// restart, full or lazy, still tells an order placed before the step from
// one placed after it.
TEST_CASE(
    "a `wait for` is not answered by an event from before the step, across "
    "a restart") {
  for (const char* load : {"full", "lazy"}) {
    INFO(load);
    testing::LazyLoadFrom setting(std::string(load) == "lazy" ? "0" : nullptr);
    Scenario scenario(std::string("journey-wait-for-late-restart-") + load,
                      kLateStep);
    std::string out = scenario.Run(CartAt("p1", "2025-01-01T10:00:00Z") +
                                       CartAt("p2", "2025-01-01T10:00:00Z"),
                                   "2025-01-02T12:00:00Z");
    CHECK(Summaries(out) == Lines{"2025-01-01T10:00:00Z send p1 j.send1",
                                  "2025-01-01T10:00:00Z send p2 j.send1"});
    // 2025-01-02T10:00:00Z, when both reached the `wait for`.
    CHECK(scenario.QueryText("SELECT group_concat(profile || ' ' || "
                             "waits_since, ', ') FROM (SELECT * FROM "
                             "instances ORDER BY profile)") ==
          "p1 1735812000, p2 1735812000");

    out = scenario.Run(OrderAt("p1", "2025-01-01T12:00:00Z") +
                           OrderAt("p2", "2025-01-02T10:30:00Z"),
                       "2025-01-06T00:00:00Z");
    CHECK(Summaries(out) == Lines{"2025-01-02T12:00:00Z send p2 j.send2",
                                  "2025-01-05T10:00:00Z send p1 j.send3"});
  }
}

// A `wait for` in the block of another is reached when the event that
// answered the outer one happened, as an entry is when its trigger did:
// an order placed between the entry and that view does not answer the
// inner one, and one placed after the view does, even when both lines
// come late.
TEST_CASE(
    "a `wait for` inside another's block counts from when the outer event "
    "happened") {
  Scenario scenario("journey-wait-for-late-nested", R"(module late_nested
event CartUpdated "Cart Updated" { cart_id: string }
event ProductViewed "Product Viewed" { sku: string }
event OrderPlaced "Order Completed" { total: money }

journey j {
  on CartUpdated
  wait for ProductViewed within 1d {
    wait for OrderPlaced within 1d {
      send email "thanks"
    } else {
      send email "nudge"
    }
  } else {
    send email "bye"
  }
}
)");
  auto viewed = [](const std::string& user, const std::string& time) {
    return TrackLine("Product Viewed", user, "v-" + user, time,
                     R"({"sku":"s"})");
  };
  std::string out = scenario.Run(
      CartAt("p1", "2025-01-01T10:00:00Z") +
          CartAt("p2", "2025-01-01T10:00:00Z") +
          viewed("p1", "2025-01-01T11:00:00Z") +
          // p1's order, after its cart but before its view, comes late.
          OrderAt("p1", "2025-01-01T10:30:00Z") +
          // p2's view and order come late, after the clock reached 12:00:
          // the order followed the view, so it answers.
          CartAt("p9", "2025-01-01T12:00:00Z") +
          viewed("p2", "2025-01-01T11:00:00Z") +
          OrderAt("p2", "2025-01-01T11:30:00Z"),
      "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T12:00:00Z send p2 j.send1",
                              "2025-01-02T11:00:00Z send p1 j.send2",
                              "2025-01-02T12:00:00Z send p9 j.send3",
                          });
}

// Under a pressure policy the message waits for the instant's others
// before the run goes on to the `wait for`; the step is still reached when
// the late cart was put together, so an order placed after the cart
// answers, however late both lines.
TEST_CASE(
    "a `wait for` after a message under a policy counts from a late "
    "trigger's own time") {
  Scenario scenario("journey-wait-for-late-policy", R"(module late_policy
event CartUpdated "Cart Updated" { cart_id: string }
event OrderPlaced "Order Completed" { total: money }

policy roomy {
  cap 5 per day
}

journey j {
  on CartUpdated
  policy roomy
  send email "a"
  wait for OrderPlaced within 1h {
    send email "thanks"
  } else {
    send email "nudge"
  }
}
)");
  std::string out = scenario.Run(CartAt("p2", "2025-01-01T10:05:00Z") +
                                     CartAt("p1", "2025-01-01T10:01:00Z") +
                                     OrderAt("p1", "2025-01-01T10:03:00Z"),
                                 "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T10:05:00Z send p1 j.send1",
                              "2025-01-01T10:05:00Z send p1 j.send2",
                              "2025-01-01T10:05:00Z send p2 j.send1",
                              "2025-01-01T11:05:00Z send p2 j.send3",
                          });
}

TEST_CASE("a goal is judged by when its event happened, not when it came") {
  Scenario scenario("journey-goal-late", kRecover);
  std::string order = R"({"total":10,"currency":"EUR"})";
  std::string placed_in_time_received_late =
      R"({"type":"track","event":"Order Completed","userId":"p4",)"
      R"("messageId":"o4","timestamp":"2025-01-02T20:00:00Z",)"
      R"("receivedAt":"2025-01-04T12:00:00Z","properties":)" +
      order + "}\n";
  std::string out =
      scenario.Run(TrackLine("Cart Updated", "p3", "c3", "2025-01-01T10:00:00Z",
                             R"({"cart_id":"k"})") +
                       TrackLine("Cart Updated", "p4", "c4",
                                 "2025-01-01T10:00:00Z", R"({"cart_id":"k"})") +
                       // Placed half an hour before the cart, its line late: it
                       // converts nothing, and p3 gets both reminders.
                       TrackLine("Order Completed", "p3", "o3",
                                 "2025-01-01T09:30:00Z", order) +
                       // Placed within the 2 days, delivered after them while
                       // p4 still waits: a conversion, and no second reminder.
                       placed_in_time_received_late,
                   "2025-01-09T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-02T10:00:00Z send p3 recover.first",
                              "2025-01-02T10:00:00Z send p4 recover.first",
                              "2025-01-05T10:00:00Z send p3 recover.second",
                          });
  CHECK(scenario.QueryText(
            "SELECT group_concat(at || ' ' || profile || ' ' || step || ' ' "
            "|| message, '; ') FROM log WHERE component = 'goal'") ==
        "2025-01-04T12:00:00Z p4 wait2 goal reached: `OrderPlaced` after "
        "122400s");
}

TEST_CASE(
    "send details, tasks, webhooks and emitted events are exact "
    "lines") {
  Scenario scenario("journey-actions", R"(module actions
profile { tier: string = "basic" }
event OrderPlaced "Order Completed" { order_id: string, total: money }
event Thanked "Thanked" { order_id: string, ratio: decimal, note: string? }

journey receipt {
  on OrderPlaced as order
  mail: send email "receipt" priority high category transactional with {
    total: order.total, orders: count(OrderPlaced), tier: profile.tier,
    ratio: 1.5, note: "thanks", fee: 2.50 EUR
  }
  crm: task crm "call back" to "care"
  hook: call webhook "erp" with { id: order.order_id }
  thank: emit Thanked { order_id: order.order_id, ratio: 2 }
}

journey thanked {
  on Thanked as t
  send push "thanked" with { ratio: t.ratio, note: t.note }
}
)");
  std::string out = scenario.Run(
      TrackLine("Order Completed", "p1", "o1", "2025-01-01T10:00:00Z",
                R"({"order_id":"A-1","total":129.90,"currency":"EUR"})"));
  std::vector<nlohmann::json> lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    auto action = nlohmann::json::parse(line);
    action.erase("id");  // a hash, checked for equality by the engines
    lines.push_back(action);
  }
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].dump() ==
        R"({"at":"2025-01-01T10:00:00Z","category":"transactional",)"
        R"("channel":"email","journey":"receipt","kind":"send","payload":)"
        R"({"fee":{"amount":"2.5","currency":"EUR"},"note":"thanks",)"
        R"("orders":1,"ratio":"1.5","tier":"basic","total":{"amount":)"
        R"("129.9","currency":"EUR"}},"priority":"high","profile":"p1",)"
        R"("step":"mail","template":"receipt"})");
  CHECK(lines[1].dump() ==
        R"({"at":"2025-01-01T10:00:00Z","journey":"receipt","kind":"task",)"
        R"("profile":"p1","step":"crm","system":"crm","team":"care",)"
        R"("text":"call back"})");
  CHECK(lines[2].dump() ==
        R"({"at":"2025-01-01T10:00:00Z","journey":"receipt","kind":)"
        R"("webhook","payload":{"id":"A-1"},"profile":"p1","step":"hook",)"
        R"("webhook":"erp"})");
  CHECK(lines[3].dump() ==
        R"({"at":"2025-01-01T10:00:00Z","event":"Thanked","journey":)"
        R"("receipt","kind":"event","profile":"p1","properties":{"note":)"
        R"(null,"order_id":"A-1","ratio":"2"},"step":"thank"})");
  // The emitted event starts its journey right after the emitting run.
  CHECK(lines[4].dump() ==
        R"({"at":"2025-01-01T10:00:00Z","category":"marketing","channel":)"
        R"("push","journey":"thanked","kind":"send","payload":{"note":)"
        R"(null,"ratio":"2"},"profile":"p1","step":"send1","template":)"
        R"("thanked"})");

  // Key order is the contract's.
  CHECK(out.rfind(R"({"kind":"send","id":")", 0) == 0);
  CHECK(out.find(R"("step":"mail","category":"transactional",)"
                 R"("priority":"high","payload":{"total":)") !=
        std::string::npos);
}

// Money worked out from the event or the profile runs as its amount and
// its currency; a sum of two currencies is "mixed", also after a restart.
TEST_CASE("computed money goes into a payload, `set` and `emit`") {
  Scenario scenario("journey-computed-money", R"(module money
profile { spent: money = 0 EUR }
event OrderPlaced "Order Completed" { order_id: string, total: money }
event Rewarded "Rewarded" { credit: money }

journey thanks {
  on OrderPlaced as order
  set profile.spent = profile.spent + order.total
  send email "thanks" with {
    discount: order.total * 0.1, rest: order.total - 5 EUR,
    spent: profile.spent
  }
  emit Rewarded { credit: order.total / 20 }
}
)");
  auto order = [](const std::string& id, const std::string& time,
                  const std::string& amount, const std::string& currency) {
    return TrackLine("Order Completed", "p1", id, time,
                     R"({"order_id":")" + id + R"(","total":)" + amount +
                         R"(,"currency":")" + currency + R"("})");
  };
  auto payloads = [](const std::string& out) {
    std::vector<std::string> found;
    std::istringstream stream(out);
    for (std::string line; std::getline(stream, line);) {
      auto action = nlohmann::json::parse(line);
      if (action["kind"] == "send") found.push_back(action["payload"].dump());
      if (action["kind"] == "event") {
        found.push_back(action["properties"].dump());
      }
    }
    return found;
  };

  std::string first =
      scenario.Run(order("o1", "2025-01-01T10:00:00Z", "129.90", "EUR"));
  CHECK(payloads(first) ==
        Lines{R"({"discount":{"amount":"12.99","currency":"EUR"},)"
              R"("rest":{"amount":"124.9","currency":"EUR"},)"
              R"("spent":{"amount":"129.9","currency":"EUR"}})",
              R"({"credit":{"amount":"6.495","currency":"EUR"}})"});

  // An order in pounds: its own amounts are in pounds, the running total
  // mixes two currencies, and stays mixed after the restart.
  std::string second =
      scenario.Run(order("o2", "2025-01-02T10:00:00Z", "20", "GBP"));
  CHECK(payloads(second) ==
        Lines{R"({"discount":{"amount":"2","currency":"GBP"},)"
              R"("rest":{"amount":"15","currency":"mixed"},)"
              R"("spent":{"amount":"149.9","currency":"mixed"}})",
              R"({"credit":{"amount":"1","currency":"GBP"}})"});
  std::string third =
      scenario.Run(order("o3", "2025-01-03T10:00:00Z", "10", "EUR"));
  CHECK(payloads(third).front().find(R"("spent":{"amount":"159.9",)"
                                     R"("currency":"mixed"})") !=
        std::string::npos);
}

// The customer's own channel, held in an attribute, has the consent of
// that channel, whichever it is.
TEST_CASE("`consent` of a channel held in an attribute") {
  Scenario scenario("journey-consent-of-attribute", R"(module own
profile { preferred: channel = email }
event OrderPlaced "Order Completed" { order_id: string }

segment reachable = consent(profile.preferred)

journey thanks {
  on OrderPlaced
  if consent(profile.preferred) {
    send email "may"
  } else {
    send email "may_not"
  }
}
)");
  auto identify = [](const std::string& user, const std::string& traits) {
    return IdentifyLine(user, "i" + user, "2025-01-01T09:00:00Z", traits);
  };
  auto order = [](const std::string& user) {
    return TrackLine("Order Completed", user, "o" + user,
                     "2025-01-01T10:00:00Z", R"({"order_id":"A"})");
  };
  std::string out = scenario.Run(
      identify("p1", R"({"preferred":"sms","consent":{"sms":true}})") +
      identify("p2", R"({"preferred":"push","consent":{"sms":true}})") +
      identify("p3", R"({"consent":{"sms":true}})") + order("p1") +
      order("p2") + order("p3"));
  std::vector<std::string> sends;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["profile"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  CHECK(sends == Lines{"p1 may", "p2 may_not", "p3 may_not"});
  CHECK(scenario.QueryText("SELECT group_concat(id, ',') FROM (SELECT id "
                           "FROM profiles WHERE json_extract(segments, "
                           "'$.reachable') = 1 ORDER BY id)") == "p1");

  // A grant on the channel held flips the segment; one on another does
  // not.
  scenario.Run(IdentifyLine("p2", "j2", "2025-01-02T09:00:00Z",
                            R"({"consent":{"push":true}})") +
               IdentifyLine("p3", "j3", "2025-01-02T09:00:00Z",
                            R"({"consent":{"push":true}})"));
  CHECK(scenario.QueryText("SELECT group_concat(id, ',') FROM (SELECT id "
                           "FROM profiles WHERE json_extract(segments, "
                           "'$.reachable') = 1 ORDER BY id)") == "p1,p2");
}

TEST_CASE("a field of `last(E)` before any E is null in a payload") {
  Scenario scenario("journey-last-none", R"(module l
event Pay "Pay" { d: decimal }
event Ask "Ask" { q: string }

journey report {
  on Ask
  reentry after 1s
  send email "report" with { lastd: last(Pay).d }
}
)");
  std::string out = scenario.Run(
      TrackLine("Ask", "u", "a1", "2024-01-01T00:00:00Z", R"({"q":"x"})") +
          TrackLine("Pay", "u", "p1", "2024-01-01T00:00:01Z", R"({"d":0})") +
          TrackLine("Ask", "u", "a2", "2024-01-01T00:00:02Z", R"({"q":"x"})"),
      "2024-01-02T00:00:00Z");
  std::vector<std::string> payloads;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    payloads.push_back(nlohmann::json::parse(line)["payload"].dump());
  }
  // Before the first Pay there is no value; after it, its 0 is one.
  CHECK(payloads == Lines{R"({"lastd":null})", R"({"lastd":"0"})"});
}

TEST_CASE("`set` flips a segment that starts another journey") {
  Scenario scenario("journey-set", R"(module setter
profile { active: bool = false, score: int = 0 }
event OrderPlaced "Order Completed" { total: money }

segment active = profile.active
segment scored = profile.score >= 10

journey activate {
  on OrderPlaced
  set profile.active = true
  set profile.score = count(OrderPlaced) * 10
  send email "activated"
}

journey welcome {
  on entered(active)
  send push "welcome_active"
}

journey scored_up {
  on entered(scored)
  send sms "scored"
}
)");
  std::string out = scenario.Run(TrackLine("Order Completed", "p1", "o1",
                                           "2025-01-01T10:00:00Z",
                                           R"({"total":5,"currency":"EUR"})"));
  // The run that set the attributes finishes first; then the segments'
  // journeys start, in segment order.
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T10:00:00Z send p1 activate.send1",
                              "2025-01-01T10:00:00Z send p1 welcome.send1",
                              "2025-01-01T10:00:00Z send p1 scored_up.send1",
                          });
  CHECK(scenario.QueryText("SELECT attrs FROM profiles") ==
        R"({"active":true,"score":10})");
  CHECK(scenario.QueryText("SELECT segments FROM profiles") ==
        R"({"active":true,"scored":true})");
}

TEST_CASE("a loop of emitted events stops with a warning") {
  Scenario scenario("journey-emit-loop", R"(module loop
event Ping "Ping" { n: int }
event Pong "Pong" { n: int }

journey ping {
  on Ping as p
  emit Pong { n: p.n + 1 }
}

journey pong {
  on Pong as p
  emit Ping { n: p.n + 1 }
}
)");
  std::string out = scenario.Run(
      TrackLine("Ping", "p1", "x1", "2025-01-01T10:00:00Z", R"({"n":0})"));
  std::vector<std::string> summaries = Summaries(out);
  // The input's Ping emits the first Pong; the 99 emitted events applied
  // after it emit one each; the 100th is applied, and the Pong it emits
  // would be link 101: neither applied nor written.
  REQUIRE(summaries.size() == 100);
  CHECK(summaries.front() == "2025-01-01T10:00:00Z event p1 ping.emit1");
  CHECK(summaries.back() == "2025-01-01T10:00:00Z event p1 pong.emit1");
  CHECK(out.find(R"("properties":{"n":100})") != std::string::npos);
  CHECK(out.find(R"("properties":{"n":101})") == std::string::npos);
  CHECK(scenario.QueryText("SELECT message FROM log WHERE level = 'warn'") ==
        "stopped a loop: `emit Pong` at step `emit1` of journey `ping` (line "
        "7) would be link 101 of a chain of emitted events and segment "
        "changes, each set off by the one before; it and the rest of the "
        "chain were not applied. Make the journeys that emit or set what "
        "starts each other stop");
}

TEST_CASE("the run's summary warns of loops of emitted events it cut") {
  // The loop was only in the log table, which nobody reads after a
  // backtest that looks fine: the summary says so, once per chain cut.
  auto scratch = testing::ScratchDir("emit-loop-summary");
  testing::WriteText(scratch / "loop.journey", R"(module loop
event Ping "Ping" { n: int }
event Pong "Pong" { n: int }

journey ping {
  on Ping as p
  emit Pong { n: p.n + 1 }
}

journey pong {
  on Pong as p
  emit Ping { n: p.n + 1 }
}
)");
  testing::WriteText(
      scratch / "events.jsonl",
      TrackLine("Ping", "p1", "x1", "2025-01-01T10:00:00Z", R"({"n":0})") +
          TrackLine("Ping", "p2", "x2", "2025-01-01T10:00:00Z", R"({"n":0})"));
  // p1 and p2 fall in different partitions of two: the summary adds up
  // both partitions' chains.
  for (const char* engine : {"jit", "interp", "partitions"}) {
    INFO(engine);
    bool partitioned = std::string(engine) == "partitions";
    std::vector<std::string> args = {
        "run",      (scratch / "loop.journey").string(),
        "--events", (scratch / "events.jsonl").string(),
        "--state",  (scratch / (std::string(engine) + ".db")).string(),
        "--out",    (scratch / (std::string(engine) + ".jsonl")).string(),
        "--engine", partitioned ? "jit" : engine};
    if (partitioned) {
      args.push_back("--partitions");
      args.push_back("2");
    }
    auto result = testing::RunParcours(args, scratch);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.err,
               Catch::Contains(
                   "warning: 2 loops of emitted events and segment changes, "
                   "each set off by the one before, ran past 100 links and "
                   "were cut, the rest not applied; look for journeys that "
                   "emit or set what starts each other (the log table names "
                   "the profile, journey and step, level `warn`)\n"));
  }
}

TEST_CASE("a state file of schema 2 gains entries and received events") {
  Scenario scenario("journey-schema", R"(module schema
event CartUpdated "Cart Updated" { cart_id: string }
journey plain {
  on CartUpdated
  reentry never
  wait 1d
  send email "x"
}
)");
  REQUIRE(scenario.Run(Cart("p1", "c1")).empty());
  {
    // Back to schema 2, with p1 waiting.
    auto db = store::Database::Open(scenario.State());
    REQUIRE(db.ok());
    REQUIRE(db->Exec(testing::DowngradeTo(2)).ok());
  }
  std::string out = scenario.Run(Cart("p2", "c2"), "2025-01-03T00:00:00Z");
  CHECK(Summaries(out).size() == 2);
  CHECK(scenario.QueryInt("PRAGMA user_version") >= 3);
  CHECK(scenario.QueryText("SELECT entries FROM profiles WHERE id = 'p1'") ==
        "{}");
}

// A contact already waiting at a `wait for` in a file of schema 12 has no
// saved instant for it: its step counts from its entry, as the version
// that saved it judged, while contacts that reach one after the migration
// count from that instant.
TEST_CASE("a state file of schema 12 gains when a `wait for` was reached") {
  Scenario scenario("journey-schema-waits-since", kLateStep);
  REQUIRE(Summaries(scenario.Run(CartAt("p1", "2025-01-01T10:00:00Z"),
                                 "2025-01-02T12:00:00Z")) ==
          Lines{"2025-01-01T10:00:00Z send p1 j.send1"});
  for (const char* engine : {"jit", "interp"}) {
    auto db = store::Database::Open(scenario.State(engine));
    REQUIRE(db.ok());
    REQUIRE(db->Exec(testing::DowngradeTo(12)).ok());
  }
  std::string out = scenario.Run(CartAt("p2", "2025-01-02T12:00:00Z") +
                                     CartAt("p9", "2025-01-03T13:00:00Z") +
                                     OrderAt("p1", "2025-01-01T12:00:00Z") +
                                     OrderAt("p2", "2025-01-02T13:00:00Z"),
                                 "2025-01-07T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-02T12:00:00Z send p2 j.send1",
                              "2025-01-03T13:00:00Z send p1 j.send2",
                              "2025-01-03T13:00:00Z send p9 j.send1",
                              "2025-01-06T12:00:00Z send p2 j.send3",
                          });
  CHECK(scenario.QueryInt("PRAGMA user_version") == store::kSchemaVersion);
}

}  // namespace
}  // namespace parcours
