// Segments that compare the clock with stored times, and `last(E)`,
// through the whole product and both engines: each flips at the exact
// second the clock crosses its bound, with no event arriving, once.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/batch_runs.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kProgram[] = R"(module clocks

profile {
  renews_at: time?
}

event OrderPlaced "Order Completed" {
  total: money
  coupon: string?
}

segment lapsed = days_since(last(OrderPlaced)) >= 90

segment renewal_due = profile.renews_at <= now

segment overdue = profile.renews_at < now - 1h

segment couponed = last(OrderPlaced).coupon == "WELCOME"

segment never_ordered = last(OrderPlaced) == none

journey win_back {
  on entered(lapsed)
  send email "win_back"
}

journey renew {
  on entered(renewal_due)
  send email "renew"
}

journey chase {
  on entered(overdue)
  send email "chase"
}

journey thanks_coupon {
  on entered(couponed)
  send email "coupon"
}

journey first_order {
  on left(never_ordered)
  send email "first"
}
)";

std::string Order(const std::string& user, const std::string& id,
                  const std::string& time, const std::string& coupon = "") {
  std::string extra = coupon.empty() ? "" : R"(,"coupon":")" + coupon + "\"";
  return R"({"type":"track","event":"Order Completed","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"total":10,"currency":"EUR")" + extra + "}}\n";
}

std::string Renews(const std::string& user, const std::string& id,
                   const std::string& time, const std::string& renews_at) {
  return R"({"type":"identify","userId":")" + user + R"(","messageId":")" + id +
         R"(","timestamp":")" + time + R"(","traits":{"renews_at":")" +
         renews_at + "\"}}\n";
}

std::vector<std::string> Run(const std::string& name,
                             const std::vector<std::string>& batches,
                             const std::string& until) {
  return testing::RunBatchesInBothEngines(name, kProgram, batches, until);
}

TEST_CASE("on entered(lapsed) fires exactly 90 days after the last order") {
  // The late order of December does not replace January's as the last; a
  // profile that orders again before its 90 days are up starts over.
  std::vector<std::string> batches = {
      Order("p1", "a", "2025-01-01T10:00:00Z", "WELCOME") +
          Order("p1", "b", "2025-01-02T10:00:00Z") +
          Order("p1", "c", "2024-12-01T10:00:00Z"),
      Order("p2", "d", "2025-01-03T10:00:00Z") +
          Order("p2", "e", "2025-03-01T10:00:00Z")};
  auto whole = Run("clock-lapsed-whole", {batches[0] + batches[1]},
                   "2025-12-31T00:00:00Z");
  auto split = Run("clock-lapsed-split", batches, "2025-12-31T00:00:00Z");
  CHECK(whole == split);
  std::vector<std::string> expected = {
      "2025-01-01T10:00:00Z p1 coupon",   "2025-01-01T10:00:00Z p1 first",
      "2025-01-03T10:00:00Z p2 first",    "2025-04-02T10:00:00Z p1 win_back",
      "2025-05-30T10:00:00Z p2 win_back",
  };
  CHECK(whole == expected);
}

TEST_CASE("a comparison with the clock flips at its bound, to the second") {
  // `renews_at <= now` holds from renews_at on; `renews_at < now - 1h`
  // from one hour and one second after it.
  auto sends =
      Run("clock-bounds",
          {Renews("p1", "i1", "2025-01-01T00:00:00Z", "2025-01-05T12:30:00Z")},
          "2025-02-01T00:00:00Z");
  std::vector<std::string> expected = {
      "2025-01-05T12:30:00Z p1 renew",
      "2025-01-05T13:30:01Z p1 chase",
  };
  CHECK(sends == expected);
}

TEST_CASE("moving the bound moves the flip, and a passed bound flips now") {
  // The renewal moves to Jan 10 before Jan 5 comes; then, on Jan 12, to a
  // date already past, which makes it due at that identify.
  auto sends =
      Run("clock-moved",
          {Renews("p1", "i1", "2025-01-01T00:00:00Z", "2025-01-05T00:00:00Z") +
           Renews("p1", "i2", "2025-01-02T00:00:00Z", "2025-01-10T00:00:00Z") +
           Renews("p2", "i3", "2025-01-12T00:00:00Z", "2025-01-11T00:00:00Z")},
          "2025-01-20T00:00:00Z");
  std::vector<std::string> expected = {
      "2025-01-10T00:00:00Z p1 renew",
      "2025-01-10T01:00:01Z p1 chase",
      "2025-01-12T00:00:00Z p2 renew",
      "2025-01-12T00:00:00Z p2 chase",
  };
  CHECK(sends == expected);
}

}  // namespace
}  // namespace parcours
