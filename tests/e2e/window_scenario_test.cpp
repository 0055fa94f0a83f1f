// Aggregates over a window of history, through the whole product and both
// engines: values that go back down as events age out, segments that flip
// with no event arriving, the window's edges, and events whose own time is
// not the stream's clock.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/store/sqlite.h"
#include "tests/e2e/journey_test_support.h"
#include "tests/support/batch_runs.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const char kProgram[] = R"(module windows

event OrderPlaced "Order Completed" {
  total: money
}

event Visit "Page Viewed" {
  page: string
}

segment frequent = count(OrderPlaced within 30d) >= 2

segment no_order_90d =
  count(OrderPlaced within 90d) == 0 and count(OrderPlaced) > 0

segment big_month = sum(OrderPlaced.total within 30d) >= 100 EUR

segment visited_yesterday = count(Visit between 2d and 1d ago) > 0

journey win_back {
  on entered(no_order_90d)
  send email "win_back"
}

journey frequent_on {
  on entered(frequent)
  send email "frequent"
}

journey frequent_off {
  on left(frequent)
  send email "not_frequent"
}

journey big {
  on entered(big_month)
  send email "big"
}

journey big_off {
  on left(big_month)
  send email "not_big"
}

journey yesterday_on {
  on entered(visited_yesterday)
  send email "yesterday"
}

journey yesterday_off {
  on left(visited_yesterday)
  send email "not_yesterday"
}

journey edge {
  on Visit as v where v.page == "edge"
  wait 86399s
  if count(Visit within 1d) > 0 {
    send email "inside_at_1d_minus_1s"
  }
  wait 1s
  if count(Visit within 1d) == 0 {
    send email "outside_at_1d"
  }
}
)";

std::string Order(const std::string& user, const std::string& id,
                  const std::string& time, const std::string& total,
                  const std::string& received_at = "") {
  std::string received =
      received_at.empty() ? "" : R"(,"receivedAt":")" + received_at + "\"";
  return R"({"type":"track","event":"Order Completed","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time + "\"" +
         received + R"(,"properties":{"total":)" + total +
         R"(,"currency":"EUR"}})" + "\n";
}

std::string Visit(const std::string& user, const std::string& id,
                  const std::string& time, const std::string& page) {
  return R"({"type":"track","event":"Page Viewed","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":{"page":")" + page + "\"}}\n";
}

std::vector<std::string> Run(const std::string& name,
                             const std::vector<std::string>& batches,
                             const std::string& until) {
  return testing::RunBatchesInBothEngines(name, kProgram, batches, until);
}

TEST_CASE("window counts go back down as events age out, at the instant") {
  auto sends = Run("window-rolling",
                   {Order("p1", "a", "2025-01-01T10:00:00Z", "60") +
                    Order("p1", "b", "2025-01-10T10:00:00Z", "50")},
                   "2025-12-31T00:00:00Z");
  // The first order leaves the 30-day windows exactly 30 days after it
  // (the profile is no longer frequent, nor a big spender this month); the
  // second leaves the 90-day window 90 days after it, and the profile that
  // ordered before but not in 90 days enters `no_order_90d` then, once.
  std::vector<std::string> expected = {
      "2025-01-10T10:00:00Z p1 frequent",     "2025-01-10T10:00:00Z p1 big",
      "2025-01-31T10:00:00Z p1 not_frequent", "2025-01-31T10:00:00Z p1 not_big",
      "2025-04-10T10:00:00Z p1 win_back",
  };
  CHECK(sends == expected);
}

TEST_CASE("a window flip waits for no event, and survives a restart") {
  // The same orders as one run, and split in three runs whose state
  // carries the kept events and the pending re-checks across.
  std::string first = Order("p1", "a", "2025-01-01T10:00:00Z", "60") +
                      Order("p1", "b", "2025-01-10T10:00:00Z", "50");
  std::string second = Order("p2", "c", "2025-01-20T00:00:00Z", "5");
  std::string third = Order("p2", "d", "2025-03-01T00:00:00Z", "5");
  auto whole =
      Run("window-whole", {first + second + third}, "2025-12-31T00:00:00Z");
  auto split =
      Run("window-split", {first, second, third}, "2025-12-31T00:00:00Z");
  CHECK(whole == split);
  std::vector<std::string> expected = {
      "2025-01-10T10:00:00Z p1 frequent",
      "2025-01-10T10:00:00Z p1 big",
      "2025-01-31T10:00:00Z p1 not_frequent",
      "2025-01-31T10:00:00Z p1 not_big",
      "2025-04-10T10:00:00Z p1 win_back",
      "2025-05-30T00:00:00Z p2 win_back",
  };
  CHECK(whole == expected);
}

TEST_CASE("an event exactly a window old is outside it, a second less inside") {
  auto sends =
      Run("window-edge", {Visit("p1", "v", "2025-01-01T00:00:00Z", "edge")},
          "2025-01-10T00:00:00Z");
  // `between 2d and 1d ago` takes the visit in when it is exactly one day
  // old and lets it go when it is exactly two days old. At one instant the
  // profile's re-check (and the journeys it starts) comes before the
  // steps that wake then.
  std::vector<std::string> expected = {
      "2025-01-01T23:59:59Z p1 inside_at_1d_minus_1s",
      "2025-01-02T00:00:00Z p1 yesterday",
      "2025-01-02T00:00:00Z p1 outside_at_1d",
      "2025-01-03T00:00:00Z p1 not_yesterday",
  };
  CHECK(sends == expected);
}

TEST_CASE("a future-dated event counts only from its own time") {
  // The second order arrives on Jan 2 dated Jan 5: until Jan 5 it is not
  // in "the last 30 days", so the profile becomes frequent only then.
  auto sends = Run(
      "window-future",
      {Order("p1", "a", "2025-01-01T00:00:00Z", "10") +
       Order("p1", "b", "2025-01-05T00:00:00Z", "10", "2025-01-02T00:00:00Z")},
      "2025-01-20T00:00:00Z");
  std::vector<std::string> expected = {
      "2025-01-05T00:00:00Z p1 frequent",
  };
  CHECK(sends == expected);
}

TEST_CASE("a late event counts as of its own time, and fires nothing twice") {
  // The clock is at Jan 20 (p2's order) when p1's order of Jan 10 comes
  // in: with p1's order of Jan 1 that makes two in 30 days at once, and
  // the Jan 1 order leaves the window on Jan 31 as if nothing were late.
  // An order older than every window changes no window at all.
  auto sends = Run("window-late",
                   {Order("p1", "a", "2025-01-01T00:00:00Z", "10") +
                    Order("p2", "b", "2025-01-20T00:00:00Z", "10") +
                    Order("p1", "c", "2025-01-10T00:00:00Z", "10") +
                    Order("p2", "d", "2024-01-01T00:00:00Z", "10")},
                   "2025-02-15T00:00:00Z");
  std::vector<std::string> expected = {
      "2025-01-20T00:00:00Z p1 frequent",
      "2025-01-31T00:00:00Z p1 not_frequent",
  };
  CHECK(sends == expected);
}

// The `history` row of `profile` in the state file at `path`.
std::string StoredHistory(const std::filesystem::path& path,
                          const std::string& profile) {
  auto db = store::Database::Open(path.string());
  REQUIRE(db.ok());
  auto text = db->QueryText("SELECT events FROM history WHERE profile = '" +
                            profile + "'");
  INFO(text.status().message());
  REQUIRE(text.ok());
  return *text;
}

TEST_CASE("a profile keeps its events only as long as a window reads them") {
  auto scratch = testing::ScratchDir("window-pruning");
  testing::WriteText(scratch / "w.journey", kProgram);
  // Orders are kept for 90 days (the widest order window), with their
  // totals (a windowed sum adds them up); visits for 2 days, with no
  // field.
  testing::WriteText(scratch / "events.jsonl",
                     Order("p1", "a", "2025-01-01T10:00:00Z", "60") +
                         Visit("p1", "v", "2025-01-02T00:00:00Z", "home"));
  auto state = scratch / "s.db";
  auto run = [&](const std::string& until) {
    auto result = testing::RunParcours(
        {"run", (scratch / "w.journey").string(), "--events",
         (scratch / "events.jsonl").string(), "--state", state.string(),
         "--out", "-", "--until", until},
        scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  };

  run("2025-01-03T23:59:59Z");
  CHECK(StoredHistory(state, "p1") ==
        R"({"OrderPlaced":[{"at":"2025-01-01T10:00:00Z",)"
        R"("total":{"amount":"60","currency":"EUR"}}],)"
        R"("Visit":[{"at":"2025-01-02T00:00:00Z"}]})");

  // The visit goes when it turns two days old, the order at 90 days.
  run("2025-01-04T00:00:00Z");
  CHECK(StoredHistory(state, "p1") ==
        R"({"OrderPlaced":[{"at":"2025-01-01T10:00:00Z",)"
        R"("total":{"amount":"60","currency":"EUR"}}]})");
  run("2025-04-01T09:59:59Z");
  CHECK(StoredHistory(state, "p1") ==
        R"({"OrderPlaced":[{"at":"2025-01-01T10:00:00Z",)"
        R"("total":{"amount":"60","currency":"EUR"}}]})");
  run("2025-04-01T10:00:00Z");
  CHECK(StoredHistory(state, "p1") == "{}");
}

TEST_CASE("an event emitted after a wait ages out of its window on time") {
  // Nothing but the emitted visit wakes "k": the segment flips when that
  // visit turns two days old, in the run that reaches the instant.
  testing::Scenario scenario(
      "window-emitted-after-wait",
      "event Ping \"Ping\" {}\n"
      "event Visit \"Visit\" {}\n"
      "segment lapsed = count(Visit within 2d) == 0 and count(Visit) > 0\n"
      "journey later_visit {\n  on Ping\n  wait 1h\n  emit Visit {}\n}\n"
      "journey win_back {\n  on entered(lapsed)\n"
      "  send email \"win_back\"\n}\n");
  std::string out = scenario.Run(
      testing::TrackLine("Ping", "k", "p1", "2025-01-01T00:00:00Z"),
      "2025-01-10T00:00:00Z");
  CHECK(
      testing::Summaries(out) ==
      std::vector<std::string>{"2025-01-01T01:00:00Z event k later_visit.emit1",
                               "2025-01-03T01:00:00Z send k win_back.send1"});
}

}  // namespace
}  // namespace parcours
