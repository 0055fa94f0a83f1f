// A changed program meeting contacts that wait in the state: a step added
// before an unlabelled wait renames it, and its contacts would wake after
// another step; the run refuses that, and warns of a step edited in place.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"

namespace parcours {
namespace {

using testing::ProcessResult;
using testing::Summaries;
using testing::TrackLine;
using Lines = std::vector<std::string>;

const char kHeader[] = R"(module nudges
event CartUpdated "Cart Updated" { cart_id: string }
)";

// Two waits, unlabelled: `wait1` (1d) and `wait2` (7d).
const char kTwoWaits[] = R"(
journey cart {
  on CartUpdated
  wait 1d
  send push "first"
  wait 7d
  send email "second"
}
)";

// A wait added at the start: `wait 1d` is `wait2` now, `wait 7d` `wait3`.
const char kWaitAdded[] = R"(
journey cart {
  on CartUpdated
  wait 1h
  send sms "hello"
  wait 1d
  send push "first"
  wait 7d
  send email "second"
}
)";

// Runs of changing programs over one state file per engine.
class Deploys {
 public:
  explicit Deploys(const std::string& name) : scenario_(name, "") {}

  // Runs `program` over `events` up to `until` with `engine`.
  ProcessResult Run(const std::string& engine, const std::string& program,
                    const std::string& events, const std::string& until,
                    const std::vector<std::string>& extra = {}) {
    scenario_.ChangeProgram(std::string(kHeader) + program);
    return scenario_.RunWith(engine, events, until, extra);
  }

  int64_t QueryInt(const std::string& engine, const std::string& sql) const {
    return scenario_.QueryInt(sql, engine);
  }

 private:
  testing::Scenario scenario_;
};

std::string Cart(const std::string& user, const std::string& id) {
  return TrackLine("Cart Updated", user, id, "2025-01-01T10:00:00Z",
                   R"({"cart_id":"k1"})");
}

TEST_CASE("a step added before an unlabelled wait stops the run") {
  for (const char* engine : {"jit", "interp"}) {
    INFO(engine);
    Deploys deploys(std::string("step-moves-") + engine);
    auto first = deploys.Run(engine, kTwoWaits, Cart("p1", "c1"),
                             "2025-01-03T00:00:00Z");
    REQUIRE(first.exit_code == 0);
    CHECK(Summaries(first.out) == Lines{"2025-01-02T10:00:00Z send p1 "
                                        "cart.send1"});

    // Without the check, p1 would wake at 01-09 after `wait 1d` and be
    // sent "first" again.
    auto moved = deploys.Run(engine, kWaitAdded, "", "2025-01-20T00:00:00Z");
    CHECK(moved.exit_code == 2);
    CHECK(moved.out.empty());
    CHECK_THAT(
        moved.err,
        Catch::Contains(
            "the program moved waiting contacts to other steps: journey "
            "`cart`: 1 waiting contact waits at step `wait2`, which was "
            "`wait 7d` when it got there; a step added or removed before "
            "it gave the name `wait2` to `wait 1d` (`wait 7d` is `wait3` "
            "now). Label the step with its old name to keep it there "
            "(`wait2: wait 7d`); to have it go on after `wait 1d` instead, "
            "label that one (`wait2: wait 1d`). No event was read"));
    // Nothing ran: the contact still waits where it did, no action.
    CHECK(deploys.QueryInt(engine, "SELECT count(*) FROM outbox") == 1);
    CHECK(deploys.QueryInt(engine,
                           "SELECT count(*) FROM instances WHERE step_name "
                           "= 'wait2'") == 1);

    // Labelled with its old name, the wait keeps its contact, which goes
    // on to "second" at its time.
    std::string kept = kWaitAdded;
    kept.replace(kept.find("wait 7d"), 7, "wait2: wait 7d");
    auto labelled = deploys.Run(engine, kept, "", "2025-01-20T00:00:00Z");
    INFO(labelled.err);
    REQUIRE(labelled.exit_code == 0);
    CHECK(Summaries(labelled.out) == Lines{"2025-01-09T10:00:00Z send p1 "
                                           "cart.send3"});
    CHECK(labelled.err.find("warning: 1 waiting contact") == std::string::npos);
  }
}

TEST_CASE("a contact moved on purpose, and a wait edited in place, warn") {
  Deploys deploys("step-moves-warn");
  auto first =
      deploys.Run("jit", kTwoWaits, Cart("p1", "c1") + Cart("p2", "c2"),
                  "2025-01-03T00:00:00Z");
  REQUIRE(first.exit_code == 0);

  // `wait 7d` became `wait 5d`: the contacts keep their due time (01-09),
  // and the run says what they reached and what they go on after.
  std::string edited = kTwoWaits;
  edited.replace(edited.find("wait 7d"), 7, "wait 5d");
  auto run = deploys.Run("jit", edited, "", "2025-01-04T00:00:00Z");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err,
             Catch::Contains("warning: 2 waiting contacts of journey `cart` "
                             "are at step `wait2`, which was `wait 7d` when "
                             "they got there and is `wait 5d` now; they keep "
                             "the time they were due and go on after it\n"));
  CHECK(deploys.QueryInt("jit",
                         "SELECT count(*) FROM log WHERE level = 'warn' AND "
                         "journey = 'cart' AND message LIKE '%2 waiting "
                         "contacts wait at step `wait2`, which was `wait 7d` "
                         "when they got there and is `wait 5d` now%'") == 1);

  // Said once: the next run of the same program has nothing to say.
  auto again = deploys.Run("jit", edited, "", "2025-01-20T00:00:00Z");
  REQUIRE(again.exit_code == 0);
  CHECK(again.err.find("wait 7d") == std::string::npos);
  CHECK(Summaries(again.out) == Lines{"2025-01-09T10:00:00Z send p1 "
                                      "cart.send2",
                                      "2025-01-09T10:00:00Z send p2 "
                                      "cart.send2"});

  // A step labelled with the name on purpose takes the contacts there,
  // with the warning, not the refusal.
  Deploys purpose("step-moves-purpose");
  REQUIRE(
      purpose.Run("jit", kTwoWaits, Cart("p1", "c1"), "2025-01-03T00:00:00Z")
          .exit_code == 0);
  std::string relabelled = kWaitAdded;
  relabelled.replace(relabelled.find("wait 1d"), 7, "wait2: wait 1d");
  auto moved = purpose.Run("jit", relabelled, "", "2025-01-20T00:00:00Z");
  INFO(moved.err);
  REQUIRE(moved.exit_code == 0);
  CHECK_THAT(moved.err, Catch::Contains("is at step `wait2`, which was "
                                        "`wait 7d` when it got there and is "
                                        "`wait 1d` now"));
  CHECK(Summaries(moved.out) == Lines{"2025-01-09T10:00:00Z send p1 "
                                      "cart.send2",
                                      "2025-01-16T10:00:00Z send p1 "
                                      "cart.send3"});
}

TEST_CASE("a renamed step's contacts are told where their step went") {
  Deploys deploys("step-moves-renamed");
  std::string labelled = kTwoWaits;
  labelled.replace(labelled.find("wait 7d"), 7, "reminder: wait 7d");
  REQUIRE(deploys.Run("jit", labelled, Cart("p1", "c1"), "2025-01-03T00:00:00Z")
              .exit_code == 0);

  std::string renamed = kTwoWaits;
  renamed.replace(renamed.find("wait 7d"), 7, "nudge: wait 7d");
  auto run = deploys.Run("jit", renamed, "", "2025-01-04T00:00:00Z");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.err, Catch::Contains("1 waiting contact matches no step"));
  const std::string hint =
      "SELECT count(*) FROM log WHERE message LIKE '%the journey has no "
      "step `reminder` now (renamed or removed); the step it was, `wait "
      "7d`, is named `nudge` now: label it `reminder:` to load them%'";
  CHECK(deploys.QueryInt("jit", hint) == 1);

  // The next run still knows the heading of the step the contact waits
  // at, though the program it saved has no such step.
  auto again = deploys.Run("jit", renamed, "", "2025-01-05T00:00:00Z");
  REQUIRE(again.exit_code == 0);
  CHECK(deploys.QueryInt("jit",
                         "SELECT count(*) FROM steps WHERE journey = 'cart' "
                         "AND step = 'reminder' AND heading = 'wait 7d'") == 1);

  // Named back, the contact is loaded and goes on at its time.
  auto back = deploys.Run("jit", labelled, "", "2025-01-20T00:00:00Z");
  INFO(back.err);
  REQUIRE(back.exit_code == 0);
  CHECK(Summaries(back.out) == Lines{"2025-01-09T10:00:00Z send p1 "
                                     "cart.send2"});
}

TEST_CASE("partitions refuse a moved step as one state file does") {
  Deploys deploys("step-moves-partitions");
  std::string carts;
  for (int i = 0; i < 8; ++i) {
    carts += Cart("p" + std::to_string(i), "c" + std::to_string(i));
  }
  std::vector<std::string> two = {"--partitions", "2"};
  auto first =
      deploys.Run("jit", kTwoWaits, carts, "2025-01-03T00:00:00Z", two);
  REQUIRE(first.exit_code == 0);

  auto moved = deploys.Run("jit", kWaitAdded, "", "2025-01-20T00:00:00Z", two);
  CHECK(moved.exit_code == 2);
  CHECK(moved.out.empty());
  CHECK_THAT(moved.err, Catch::Contains("a step added or removed before it "
                                        "gave the name `wait2` to `wait 1d`"));
}

}  // namespace
}  // namespace parcours
