// `exit when` over a condition that time alone makes true: the contact
// leaves at that instant, whether the condition reads the clock itself or
// a segment that flips with it, and a later trigger finds it gone.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"
#include "tests/support/batch_runs.h"

namespace parcours::testing {
namespace {

const char kProgram[] = R"(module lapses

profile {
  timezone: tz = "UTC"
}

event OrderPlaced "Order Completed" { total: money }

segment lapsed30 = days_since(last(OrderPlaced)) >= 30

journey check_in {
  on OrderPlaced
  exit when lapsed30
  wait 60d
  send email "check_in"
}

journey nudge {
  on OrderPlaced
  exit when days_since(last(OrderPlaced)) >= 20
  wait 60d
  send email "nudge"
}

journey loyal {
  on OrderPlaced
  exit when days_since(last(OrderPlaced)) >= 50
  wait 40d
  send email "loyal"
}
)";

std::string Order(const std::string& id, const std::string& time) {
  return TrackLine("Order Completed", "a", id, time,
                   R"({"total":10,"currency":"EUR"})");
}

TEST_CASE("`exit when` made true by time alone lets the contact go then") {
  Scenario scenario("exit-when-time", kProgram);
  // A customer lapses for 15 days between two orders. Before, nobody
  // left until a wait fired: the second order found both contacts still
  // inside and was ignored, and `check_in` went out on 2 March.
  std::string out = scenario.Run(
      Order("o1", "2025-01-01T10:00:00Z") + Order("o2", "2025-02-15T10:00:00Z"),
      "2025-05-01T00:00:00Z");
  CHECK(Summaries(out) ==
        std::vector<std::string>{"2025-02-10T10:00:00Z send a loyal.send1",
                                 "2025-03-27T10:00:00Z send a loyal.send1"});

  auto exits = [&](const std::string& journey) {
    return scenario.QueryInt("SELECT count(*) FROM log WHERE journey = '" +
                             journey +
                             "' AND message LIKE 'exited: its `exit when`%'");
  };
  CHECK(exits("nudge") == 2);
  CHECK(exits("check_in") == 2);
  CHECK(exits("loyal") == 0);
  CHECK(scenario.QueryText("SELECT group_concat(at, ' ') FROM (SELECT at "
                           "FROM log WHERE journey = 'check_in' AND message "
                           "LIKE 'exited%' ORDER BY at)") ==
        "2025-01-31T10:00:00Z 2025-03-17T10:00:00Z");
}

TEST_CASE("an `exit when` instant survives a restart") {
  std::vector<std::string> batches = {Order("o1", "2025-01-01T10:00:00Z"),
                                      Order("o2", "2025-01-25T10:00:00Z")};
  // The first contact of `nudge` left on 21 January, so the order of the
  // 25th starts it again; `check_in` is still inside and ignores it.
  CHECK(RunBatchesInBothEngines("exit-when-restart", kProgram, batches,
                                "2025-04-01T00:00:00Z") ==
        std::vector<std::string>{"2025-02-10T10:00:00Z a loyal"});
}

}  // namespace
}  // namespace parcours::testing
