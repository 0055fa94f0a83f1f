// Waits, `wait for`, re-entry and exits through the whole product, with
// exact times and action lines, the JIT and the interpreter alike.
#include <catch2/catch.hpp>

#include "tests/e2e/journey_test_support.h"

namespace parcours {
namespace {

using testing::IdentifyLine;
using testing::Scenario;
using testing::Summaries;
using testing::TrackLine;
using Lines = std::vector<std::string>;

const char kCart[] = "Cart Updated";
const char kCartId[] = R"({"cart_id":"k1"})";
const char kView[] = "Product Viewed";
const char kOrder[] = "Order Completed";

const char kEvents[] = R"(
event CartUpdated "Cart Updated" { cart_id: string }
event ProductViewed "Product Viewed" { sku: string, price: money }
event OrderPlaced "Order Completed" { total: money }
)";

// A reminder an hour after the cart, and a last one four hours after it.
const char kNudge[] = R"(
journey nudge {
  on CartUpdated
  wait 1h
  reminder: send push "cart_reminder"
  wait 4h
  last: send email "cart_last"
}
)";

TEST_CASE(
    "a wait fires once at its instant, and a wait after a send "
    "counts from the send") {
  Scenario scenario("journey-wait",
                    std::string("module waits\n") + kEvents + kNudge);
  std::string cart =
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId);
  std::string out = scenario.Run(cart + cart, "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T11:00:00Z send p1 nudge.reminder",
                              "2025-01-01T15:00:00Z send p1 nudge.last",
                          });

  // A rerun of the same input, even later, sends nothing again.
  CHECK(scenario.Run(cart, "2025-01-09T00:00:00Z").empty());
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

const char kWaitFor[] = R"(
journey look {
  on CartUpdated as cart
  wait for ProductViewed as view where view.price > 10 EUR within 20h {
    came: send push "look_again" with { sku: view.sku, price: view.price }
  } else {
    timeout: send email "miss_you"
  }
  wait 1d
  follow: send sms "follow_up"
}
)";

// A trigger whose line comes late entered when it happened (language.md:
// the steps right after the entry take the trigger's time): its wait
// counts from then, as its `wait for` takes answers from then, and what
// would have ended before the line came ends as it comes.
TEST_CASE("a wait right after a late trigger counts from the trigger") {
  Scenario scenario("journey-wait-late",
                    std::string("module waits\n") + kEvents + kNudge);
  // p2's cart moves the clock to 10:30; p1's, put together at 10:00,
  // comes after it.
  std::string out = scenario.Run(
      TrackLine(kCart, "p2", "c2", "2025-01-01T10:30:00Z", kCartId) +
          TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId),
      "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T11:00:00Z send p1 nudge.reminder",
                              "2025-01-01T11:30:00Z send p2 nudge.reminder",
                              // From the reminder, sent on time.
                              "2025-01-01T15:00:00Z send p1 nudge.last",
                              "2025-01-01T15:30:00Z send p2 nudge.last",
                          });
}

TEST_CASE("a late trigger's `wait for` window is as long as written") {
  Scenario scenario("journey-wait-for-late",
                    std::string("module look\n") + kEvents + R"(
journey look {
  on CartUpdated
  wait for ProductViewed within 2d {
    came: send push "look_again"
  } else {
    timeout: send email "miss_you"
  }
}
)");
  // p1's cart of 1 January comes on the 10th: its two days are over, so
  // the timeout runs as the line comes, and a view of the 5th (late too)
  // answers nothing. p2's cart of the 9th still waits for the 11th.
  std::string view = R"({"sku":"s1","price":5,"currency":"EUR"})";
  std::string out = scenario.Run(
      TrackLine(kCart, "p2", "c2", "2025-01-09T12:00:00Z", kCartId) +
          TrackLine(kOrder, "p3", "o3", "2025-01-10T00:00:00Z",
                    R"({"total":5,"currency":"EUR"})") +
          TrackLine(kCart, "p1", "c1", "2025-01-01T00:00:00Z", kCartId) +
          TrackLine(kView, "p1", "v1", "2025-01-05T00:00:00Z", view) +
          TrackLine(kView, "p2", "v2", "2025-01-10T06:00:00Z", view),
      "2025-01-20T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-10T00:00:00Z send p1 look.timeout",
                              "2025-01-10T06:00:00Z send p2 look.came",
                          });
}

TEST_CASE("wait for: the event before the timeout, at it, and never") {
  Scenario scenario("journey-wait-for",
                    std::string("module look\n") + kEvents + kWaitFor);
  std::string first =
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
      TrackLine(kCart, "p2", "c2", "2025-01-01T10:00:00Z", kCartId) +
      TrackLine(kCart, "p3", "c3", "2025-01-01T10:00:00Z", kCartId) +
      // Too cheap for the filter; the wait goes on.
      TrackLine(kView, "p1", "v1", "2025-01-01T11:00:00Z",
                R"({"sku":"s1","price":5,"currency":"EUR"})") +
      TrackLine(kView, "p1", "v2", "2025-01-01T12:00:00Z",
                R"({"sku":"s2","price":20.50,"currency":"EUR"})");
  std::string out = scenario.Run(first);
  CHECK(out ==
        R"({"kind":"send","id":")" +
            nlohmann::json::parse(out)["id"].get<std::string>() +
            R"(","at":"2025-01-01T12:00:00Z","profile":"p1","channel":)"
            R"("push","template":"look_again","journey":"look","step":)"
            R"("came","category":"marketing","payload":{"sku":"s2","price":)"
            R"({"amount":"20.5","currency":"EUR"}}})"
            "\n");

  // The event cancelled p1's timeout at once: it waits at the next step
  // only; p2 and p3 still wait for the event, until 06:00 the next day.
  CHECK(scenario.QueryText("SELECT group_concat(profile || ' ' || step_name "
                           "|| ' ' || wake_at, ', ') FROM (SELECT * FROM "
                           "instances ORDER BY profile)") ==
        "p1 wait2 1735819200, p2 wait1 1735797600, p3 wait1 1735797600");

  // After a restart (state reloaded), p2's event comes exactly at the
  // timeout instant: the timeout wins, as every timer due by an event's
  // time fires before the event. p3's never comes.
  std::string second = TrackLine(kView, "p2", "v3", "2025-01-02T06:00:00Z",
                                 R"({"sku":"s3","price":30,"currency":"EUR"})");
  out = scenario.Run(second, "2025-01-04T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-02T06:00:00Z send p2 look.timeout",
                              "2025-01-02T06:00:00Z send p3 look.timeout",
                              "2025-01-02T12:00:00Z send p1 look.follow",
                              "2025-01-03T06:00:00Z send p2 look.follow",
                              "2025-01-03T06:00:00Z send p3 look.follow",
                          });
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

TEST_CASE(
    "wait for: the filter reads the trigger's alias, before and after a "
    "restart") {
  Scenario scenario("journey-wait-for-trigger",
                    std::string("module same\n") + kEvents + R"(
event ProductAdded "Product Added" { sku: string }

journey same_product {
  on ProductAdded as cart
  reentry never
  wait for ProductViewed as view where view.sku == cart.sku within 3h {
    viewed: send push "viewed_again" with { sku: view.sku }
  } else {
    missed: send email "not_viewed" with { sku: cart.sku }
  }
}
)");
  auto added = [](const std::string& user, const std::string& time,
                  const std::string& sku) {
    return TrackLine("Product Added", user, "a-" + user, time,
                     R"({"sku":")" + sku + R"("})");
  };
  auto viewed = [](const std::string& user, const std::string& id,
                   const std::string& time, const std::string& sku) {
    return TrackLine(kView, user, id, time,
                     R"({"sku":")" + sku + R"(","price":1,"currency":"EUR"})");
  };
  // p1 views another product first, then the one in its cart; p2 and p3
  // view only other products before the restart.
  std::string out =
      scenario.Run(added("p1", "2025-01-01T10:00:00Z", "a") +
                   added("p2", "2025-01-01T10:00:00Z", "a") +
                   added("p3", "2025-01-01T10:00:00Z", "c") +
                   viewed("p1", "v1", "2025-01-01T11:00:00Z", "b") +
                   viewed("p2", "v2", "2025-01-01T11:00:00Z", "b") +
                   viewed("p3", "v3", "2025-01-01T11:00:00Z", "a") +
                   viewed("p1", "v4", "2025-01-01T12:00:00Z", "a"));
  CHECK(Summaries(out) ==
        Lines{"2025-01-01T12:00:00Z send p1 same_product.viewed"});
  CHECK(out.find(R"("payload":{"sku":"a"})") != std::string::npos);
  CHECK(scenario.QueryText("SELECT group_concat(profile || ' ' || step_name "
                           "|| ' ' || wake_at, ', ') FROM (SELECT * FROM "
                           "instances ORDER BY profile)") ==
        "p2 wait1 1735736400, p3 wait1 1735736400");

  // After the restart the filter still reads each cart's own sku from the
  // saved instance: p3's view of `c` a second before the limit ends its
  // wait, p2's view of another product does not, and its view of `a` at
  // exactly 13:00 comes too late for the timeout that fires then.
  out = scenario.Run(viewed("p2", "v5", "2025-01-01T12:30:00Z", "c") +
                         viewed("p3", "v6", "2025-01-01T12:59:59Z", "c") +
                         viewed("p2", "v7", "2025-01-01T13:00:00Z", "a"),
                     "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) ==
        Lines{
            "2025-01-01T12:59:59Z send p3 same_product.viewed",
            "2025-01-01T13:00:00Z send p2 same_product.missed",
        });
  CHECK(out.find(R"("payload":{"sku":"c"})") != std::string::npos);
  CHECK(out.find(R"("template":"not_viewed","journey":"same_product",)"
                 R"("step":"missed","category":"marketing","payload":)"
                 R"({"sku":"a"})") != std::string::npos);
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

// In the block a `wait for E as x` runs when E came, `x` names E and the
// trigger's alias still names the trigger: its fields in a payload, read
// directly and through a function (`if`), after a wait in that block that
// spans a restart.
TEST_CASE(
    "wait for: the block run when the event came reads the trigger's "
    "alias too, across a restart") {
  Scenario scenario("journey-wait-for-both",
                    std::string("module both\n") + kEvents + R"(
event ProductAdded "Product Added" { sku: string, price: money }

journey thanks {
  on ProductAdded as cart
  reentry never
  wait for ProductViewed as view within 3h {
    wait 1h
    if cart.price > 5 EUR {
      thanks: send email "thanks" with { cart_sku: cart.sku,
        cart_price: cart.price, viewed_sku: view.sku }
    }
  } else {
    missed: send email "missed" with { sku: cart.sku }
  }
}
)");
  auto added = [](const std::string& user, const std::string& time,
                  const std::string& sku, int price) {
    return TrackLine("Product Added", user, "a-" + user, time,
                     R"({"sku":")" + sku + R"(","price":)" +
                         std::to_string(price) + R"(,"currency":"EUR"})");
  };
  auto viewed = [](const std::string& user, const std::string& time,
                   const std::string& sku) {
    return TrackLine(kView, user, "v-" + user, time,
                     R"({"sku":")" + sku + R"(","price":1,"currency":"EUR"})");
  };
  // p1's cart costs 9 EUR, p2's 3 EUR; both view a product within the
  // three hours, and the runs stop while their hour's wait goes on.
  std::string out = scenario.Run(added("p1", "2025-01-01T10:00:00Z", "a", 9) +
                                 added("p2", "2025-01-01T10:00:00Z", "b", 3) +
                                 viewed("p1", "2025-01-01T11:00:00Z", "x") +
                                 viewed("p2", "2025-01-01T11:30:00Z", "y"));
  CHECK(out.empty());
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 2);

  out = scenario.Run("", "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-01T12:00:00Z send p1 thanks.thanks"});
  CHECK(out.find(R"("payload":{"cart_sku":"a","cart_price":{"amount":"9",)"
                 R"("currency":"EUR"},"viewed_sku":"x"})") !=
        std::string::npos);
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

// A `wait` whose length is computed when the contact reaches it: the
// replenishment reminder at the customer's own interval between orders,
// not at a band of fixed waits.
TEST_CASE("a computed wait lasts what the profile says when it is reached") {
  Scenario scenario("journey-wait-computed",
                    std::string("module computed\n") + kEvents + R"(
profile { pause: duration = 2h }

journey replenish {
  on OrderPlaced
  exit on OrderPlaced
  reentry after 1d
  wait 360d / count(OrderPlaced within 365d) - 1d
  send email "restock"
}

journey paused {
  on CartUpdated
  reentry never
  wait profile.pause * 2
  send email "later"
}
)");
  auto order = [](const std::string& user, const std::string& id,
                  const std::string& time) {
    return TrackLine(kOrder, user, id, time,
                     R"({"total":20,"currency":"EUR"})");
  };
  // p1 orders twice, 60 days apart: the second order ends the first wait
  // and starts one of 360d / 2 - 1d = 179 days. p2 orders once: 359 days.
  // p3 waits twice its profile's pause.
  std::string out = scenario.Run(
      order("p1", "o1", "2025-01-01T10:00:00Z") +
          order("p2", "o2", "2025-01-01T10:00:00Z") +
          order("p1", "o3", "2025-03-02T10:00:00Z") +
          TrackLine(kCart, "p3", "c1", "2025-03-02T10:00:00Z", kCartId),
      "2025-03-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-03-02T14:00:00Z send p3 paused.send1"});
  CHECK(scenario.QueryText(
            "SELECT group_concat(profile || ' ' || datetime(wake_at, "
            "'unixepoch'), ', ') FROM (SELECT * FROM instances ORDER BY "
            "profile)") == "p1 2025-08-28 10:00:00, p2 2025-12-26 10:00:00");

  // Later runs, each moving the clock less than the largest jump a run
  // takes, find the lengths as they were worked out.
  Lines sent;
  for (const char* until : {"2025-05-20T00:00:00Z", "2025-08-08T00:00:00Z",
                            "2025-10-27T00:00:00Z", "2025-12-31T00:00:00Z"}) {
    for (const std::string& line : Summaries(scenario.Run("", until))) {
      sent.push_back(line);
    }
  }
  CHECK(sent == Lines{
                    "2025-08-28T10:00:00Z send p1 replenish.send1",
                    "2025-12-26T10:00:00Z send p2 replenish.send1",
                });
}

TEST_CASE(
    "re-entry: ignored while inside by default, `after` restarts "
    "with one schedule, `never` enters once") {
  Scenario scenario("journey-reentry",
                    std::string("module again\n") + kEvents + R"(
journey plain {
  on CartUpdated
  wait 3d
  send email "plain"
}

journey restart {
  on CartUpdated
  reentry after 2d
  wait 3d
  send email "restart"
}

journey once {
  on CartUpdated
  reentry never
  send email "once"
}
)");
  std::string out = scenario.Run(
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
      TrackLine(kCart, "p1", "c2", "2025-01-02T10:00:00Z", kCartId) +
      TrackLine(kCart, "p1", "c3", "2025-01-03T10:00:00Z", kCartId));
  CHECK(Summaries(out) == Lines{"2025-01-01T10:00:00Z send p1 once.send1"});

  // `plain` still waits from its first entry; `restart` began again at
  // the third cart, 2 days after its first entry, and left no second
  // schedule behind.
  CHECK(scenario.QueryText(
            "SELECT group_concat(journey || ' ' || wake_at, ', ') FROM "
            "(SELECT * FROM instances ORDER BY journey)") ==
        "plain 1735984800, restart 1736157600");
  CHECK(scenario.QueryInt("SELECT count(*) FROM log WHERE message LIKE "
                          "'left to enter again%'") == 1);

  out = scenario.Run(
      TrackLine(kCart, "p1", "c4", "2025-01-10T10:00:00Z", kCartId),
      "2025-01-20T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-04T10:00:00Z send p1 plain.send1",
                              "2025-01-06T10:00:00Z send p1 restart.send1",
                              "2025-01-13T10:00:00Z send p1 plain.send1",
                              "2025-01-13T10:00:00Z send p1 restart.send1",
                          });
}

TEST_CASE("the event a `wait for ... as` received survives a restart") {
  Scenario scenario("journey-arrived",
                    std::string("module arrived\n") + kEvents + R"(
journey detail {
  on CartUpdated
  wait for ProductViewed as view within 1d {
    wait 2h
    send push "viewed" with { sku: view.sku }
  }
}
)");
  REQUIRE(
      scenario
          .Run(TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
               TrackLine(kView, "p1", "v1", "2025-01-01T11:00:00Z",
                         R"({"sku":"s9","price":1,"currency":"EUR"})"))
          .empty());
  CHECK(scenario.QueryText("SELECT step_name || ' ' || arrived FROM "
                           "instances") ==
        R"(wait2 {"event":"ProductViewed","fields":{"sku":"s9","price":)"
        R"({"amount":"1","currency":"EUR"}}})");

  std::string out = scenario.Run("", "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-01T13:00:00Z send p1 detail.send1"});
  CHECK(out.find(R"("payload":{"sku":"s9"})") != std::string::npos);
}

// A contact waits in the block of a `wait for ... as view`; `damage` then
// changes its stored received event in both state files. The next run
// goes on without it: its row stays, with a warning, and nothing runs on
// a record that is not there.
void CheckReceivedEventUnusable(const std::string& name,
                                const std::string& damage) {
  Scenario scenario(name, std::string("module lost\n") + kEvents + R"(
journey detail {
  on CartUpdated
  wait for ProductViewed as view within 1d {
    wait 2h
    send push "viewed" with { sku: view.sku }
  }
}
)");
  REQUIRE(
      scenario
          .Run(TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
               TrackLine(kView, "p1", "v1", "2025-01-01T11:00:00Z",
                         R"({"sku":"s9","price":1,"currency":"EUR"})"))
          .empty());
  for (const char* engine : {"jit", "interp"}) {
    auto db = store::Database::Open(scenario.State(engine));
    REQUIRE(db.ok());
    REQUIRE(db->Exec(damage).ok());
  }

  CHECK(scenario.Run("", "2025-01-02T00:00:00Z").empty());
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 1);
  CHECK(scenario.QueryText("SELECT message FROM log WHERE level = 'warn'") ==
        "instance of journey `detail` at step `wait2` lacks the event its "
        "`wait for` received; not loaded");
}

TEST_CASE("a waiting contact whose received event is lost is not loaded") {
  CheckReceivedEventUnusable("journey-arrived-lost",
                             "UPDATE instances SET arrived = NULL");
}

TEST_CASE(
    "a waiting contact whose received event left the program is not "
    "loaded") {
  // As a program that renamed the event since would read it.
  CheckReceivedEventUnusable(
      "journey-arrived-removed",
      R"(UPDATE instances SET arrived = '{"event":"Gone","fields":{}}')");
}

// A waiting contact keeps the event its `wait for ... as x` received, by
// field name. A later program that changes the type of one of those
// fields cannot read the stored value: the field takes its default, with
// a warning, as a field of the trigger does, and the contact goes on.
TEST_CASE("a received event's field of a changed type warns as it defaults") {
  auto program = [](const std::string& sku_type) {
    return "module changed\n"
           "event CartUpdated \"Cart Updated\" { cart_id: string }\n"
           "event ProductViewed \"Product Viewed\" { sku: " +
           sku_type + R"(, price: money }
journey detail {
  on CartUpdated
  wait for ProductViewed as view within 1d {
    wait 2h
    send push "viewed" with { sku: view.sku, price: view.price }
  }
}
)";
  };
  Scenario scenario("journey-arrived-changed", program("string"));
  REQUIRE(
      scenario
          .Run(TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
               TrackLine(kView, "p1", "v1", "2025-01-01T11:00:00Z",
                         R"({"sku":"s9","price":1,"currency":"EUR"})") +
               TrackLine(kCart, "p2", "c2", "2025-01-01T10:00:00Z", kCartId))
          .empty());

  // `sku` is now a number; the stored "s9" is not one.
  scenario.ChangeProgram(program("int"));
  std::string out = scenario.Run("", "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-01T13:00:00Z send p1 detail.send1"});
  CHECK(out.find(R"("payload":{"sku":0,"price":{"amount":"1",)"
                 R"("currency":"EUR"}})") != std::string::npos);
  CHECK(scenario.QueryText(
            "SELECT group_concat(profile || ' ' || journey || ': ' || "
            "message, '\n') FROM log WHERE level = 'warn'") ==
        "p1 detail: stored field `sku` of the event `ProductViewed` that "
        "journey `detail` received by `wait for` must be an integer, got "
        "string; it takes its default");
  // p2, who never saw a product, timed out and left; p1's contact ran on
  // and ended.
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

// `exit on E as o where o.total > ...` reads the order that came, judged
// by its own time; `last(OrderPlaced)` would read the latest by time, the
// small order, when the big one's line comes after it.
TEST_CASE("an exit's filter reads the event that came, however late") {
  Scenario scenario("journey-exit-alias",
                    std::string("module exits\n") + kEvents + R"(
journey cart {
  on CartUpdated as cart
  exit on OrderPlaced as order where order.total > 100 EUR
  reentry never
  wait 1h
  send email "cart_reminder"
}
)");
  auto order = [](const std::string& user, const std::string& id,
                  const std::string& time, const std::string& total) {
    return TrackLine(kOrder, user, id, time,
                     R"({"total":)" + total + R"(,"currency":"EUR"})");
  };
  std::string out = scenario.Run(
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
          TrackLine(kCart, "p2", "c2", "2025-01-01T10:00:00Z", kCartId) +
          order("p1", "o1", "2025-01-01T10:10:00Z", "50") +
          order("p1", "o2", "2025-01-01T10:05:00Z", "250") +
          order("p2", "o3", "2025-01-01T10:10:00Z", "50") +
          // Before the cart: it ends nothing, however big.
          order("p2", "o4", "2025-01-01T09:00:00Z", "900"),
      "2025-01-02T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-01T11:00:00Z send p2 cart.send1"});
  CHECK(scenario.QueryInt("SELECT count(*) FROM log WHERE profile = 'p1' "
                          "AND message = 'exited on `OrderPlaced`: its "
                          "`where` condition held'") == 1);
}

TEST_CASE("an exit while waiting cancels what was pending") {
  Scenario scenario("journey-exits", std::string("module exits\n") + R"(
profile { vip: bool = false }
)" + kEvents + R"(
journey by_event {
  on CartUpdated
  exit on OrderPlaced
  wait 1d
  send email "by_event"
}

journey by_where {
  on CartUpdated
  exit on OrderPlaced where sum(OrderPlaced.total) >= 100 EUR
  wait 1d
  send email "by_where"
}

journey by_when {
  on CartUpdated
  exit when profile.vip
  wait 1d
  send email "by_when"
}
)");
  std::string out = scenario.Run(
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
          TrackLine(kCart, "p2", "c2", "2025-01-01T10:00:00Z", kCartId) +
          TrackLine(kOrder, "p1", "o1", "2025-01-01T11:00:00Z",
                    R"({"total":50,"currency":"EUR"})") +
          TrackLine(kOrder, "p2", "o2", "2025-01-01T11:00:00Z",
                    R"({"total":150,"currency":"EUR"})") +
          IdentifyLine("p1", "i1", "2025-01-01T12:00:00Z", R"({"vip":true})"),
      "2025-01-05T00:00:00Z");
  // p1 left `by_event` on its order and `by_when` as a vip; p2 left
  // `by_event` and `by_where` (its orders reach 100 EUR).
  CHECK(Summaries(out) == Lines{
                              "2025-01-02T10:00:00Z send p1 by_where.send1",
                              "2025-01-02T10:00:00Z send p2 by_when.send1",
                          });
  CHECK(scenario.QueryText(
            "SELECT group_concat(at || ' ' || profile || ' ' || journey || "
            "': ' || message, '\n') FROM (SELECT * FROM log WHERE message "
            "LIKE 'exited%' ORDER BY rowid)") ==
        "2025-01-01T11:00:00Z p1 by_event: exited on `OrderPlaced`\n"
        "2025-01-01T11:00:00Z p2 by_event: exited on `OrderPlaced`\n"
        "2025-01-01T11:00:00Z p2 by_where: exited on `OrderPlaced`: its "
        "`where` condition held\n"
        "2025-01-01T12:00:00Z p1 by_when: exited: its `exit when` "
        "condition held");
  CHECK(scenario.QueryInt("SELECT count(*) FROM instances") == 0);
}

// A comparison with the clock whose bound the engine cannot work out
// ahead (a product of durations) is seen when a timer wakes the instance;
// one it can (`now > x`) lets the contact go the second it holds.
TEST_CASE("`exit when` is checked when a timer wakes the instance") {
  const char program[] = R"(module late
profile { leave_at: time = 2099-01-01T00:00:00Z }
event CartUpdated "Cart Updated" { cart_id: string }

journey onboarding {
  on CartUpdated
  exit when EXIT
  wait 1d
  send email "day1"
  wait 2d
  send email "day3"
}
)";
  struct Case {
    const char* condition;
    const char* left_at;
  };
  const Case cases[] = {
      // At the second wake (Jan 4, 10:00) its time to leave has passed.
      {"(now - profile.leave_at) * 2 > 0s", "2025-01-04T10:00:00Z"},
      {"now > profile.leave_at", "2025-01-03T12:00:01Z"},
  };
  for (const Case& c : cases) {
    INFO(c.condition);
    std::string text = program;
    text.replace(text.find("EXIT"), 4, c.condition);
    Scenario scenario("journey-exit-timer", text);
    std::string out = scenario.Run(
        IdentifyLine("p1", "i1", "2025-01-01T09:00:00Z",
                     R"({"leave_at":"2025-01-03T12:00:00Z"})") +
            TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId),
        "2025-01-09T00:00:00Z");
    CHECK(Summaries(out) ==
          Lines{"2025-01-02T10:00:00Z send p1 onboarding.send1"});
    CHECK(scenario.QueryText("SELECT group_concat(at) FROM log WHERE "
                             "message = 'exited: its `exit when` condition "
                             "held'") == c.left_at);
  }
}

// A journey that sends before its first wait: a contact for whom the
// exit condition already holds must hear nothing, not one message and
// then leave.
TEST_CASE("a contact for whom `exit when` holds does not enter") {
  Scenario scenario("journey-exit-at-entry", R"(module entry
profile { vip: bool = false }
event CartUpdated "Cart Updated" { cart_id: string }

journey welcome {
  on CartUpdated
  reentry after 1d
  exit when profile.vip
  send email "now"
  wait 1d
  send email "later"
}
)");
  std::string out = scenario.Run(
      IdentifyLine("p1", "i1", "2025-01-01T09:00:00Z", R"({"vip":true})") +
          TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId) +
          TrackLine(kCart, "p2", "c2", "2025-01-01T10:00:00Z", kCartId) +
          IdentifyLine("p1", "i3", "2025-01-01T10:40:00Z", R"({"vip":false})") +
          TrackLine(kCart, "p1", "c3", "2025-01-01T11:00:00Z", kCartId),
      "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{
                              "2025-01-01T10:00:00Z send p2 welcome.send1",
                              "2025-01-01T11:00:00Z send p1 welcome.send1",
                              "2025-01-02T10:00:00Z send p2 welcome.send2",
                              "2025-01-02T11:00:00Z send p1 welcome.send2",
                          });
  // Turned away at 10:00 as a vip, p1 entered at 11:00 once it was not:
  // being turned away did not start its `reentry after`.
  CHECK(scenario.QueryText(
            "SELECT group_concat(at || ' ' || profile || ': ' || message, "
            "'\n') FROM (SELECT * FROM log WHERE journey = 'welcome' AND "
            "message LIKE '%entered%' ORDER BY rowid)") ==
        "2025-01-01T10:00:00Z p1: not entered: its `exit when` condition "
        "holds\n"
        "2025-01-01T10:00:00Z p2: entered\n"
        "2025-01-01T11:00:00Z p1: entered");
}

TEST_CASE("a `set` that makes `exit when` hold ends the contact's run") {
  Scenario scenario("journey-exit-after-set", R"(module setexit
profile { done: bool = false }
event CartUpdated "Cart Updated" { cart_id: string }

journey once {
  on CartUpdated
  exit when profile.done
  send email "first"
  set profile.done = true
  send email "second"
}
)");
  std::string out = scenario.Run(
      TrackLine(kCart, "p1", "c1", "2025-01-01T10:00:00Z", kCartId),
      "2025-01-03T00:00:00Z");
  CHECK(Summaries(out) == Lines{"2025-01-01T10:00:00Z send p1 once.send1"});
  CHECK(scenario.QueryText(
            "SELECT step || ': ' || message FROM log WHERE message LIKE "
            "'exited%'") == "set1: exited: its `exit when` condition held");
}

}  // namespace
}  // namespace parcours
