// A lazy load (docs/runtime.md, "Lazy loading") reads a state's timers and
// re-check times at once and each profile when it is first needed. Runs
// restarted every few hundred lines must then give the bytes a full load
// gives: the actions, and every row of the state file. A profile whose row
// cannot be read stops the run when it is needed, and nothing is saved.
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/lazy_load_from.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

using testing::RunParcours;

using testing::LazyLoadFrom;

// Every row of every table of the state file, as text, in rowid order
// (tables without one in the order of their key).
std::string DumpState(const std::filesystem::path& path) {
  auto db = store::Database::Open(path.string());
  REQUIRE(db.ok());
  std::vector<std::string> tables;
  {
    auto names = db->Prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    REQUIRE(names.ok());
    for (;;) {
      auto row = names->Step();
      REQUIRE(row.ok());
      if (!*row) break;
      tables.push_back(names->Text(0));
    }
  }

  std::ostringstream out;
  for (const std::string& table : tables) {
    out << "table " << table << "\n";
    sqlite3_stmt* select = nullptr;
    std::string sql = "SELECT * FROM " + table;
    REQUIRE(sqlite3_prepare_v2(db->handle(), sql.c_str(), -1, &select,
                               nullptr) == SQLITE_OK);
    while (sqlite3_step(select) == SQLITE_ROW) {
      for (int column = 0; column < sqlite3_column_count(select); ++column) {
        const unsigned char* text = sqlite3_column_text(select, column);
        out << (text == nullptr ? "NULL" : reinterpret_cast<const char*>(text))
            << "|";
      }
      out << "\n";
    }
    sqlite3_finalize(select);
  }
  return out.str();
}

// Writes `events` to files of `lines` lines each, in order.
std::vector<std::filesystem::path> Chunks(const std::filesystem::path& events,
                                          const std::filesystem::path& scratch,
                                          size_t lines) {
  std::istringstream in(testing::ReadText(events));
  std::vector<std::filesystem::path> chunks;
  std::string line, text;
  size_t count = 0;
  auto flush = [&] {
    if (text.empty()) return;
    chunks.push_back(scratch / ("chunk-" + std::to_string(chunks.size())));
    testing::WriteText(chunks.back(), text);
    text.clear();
    count = 0;
  };
  while (std::getline(in, line)) {
    text += line + "\n";
    if (++count == lines) flush();
  }
  flush();
  return chunks;
}

// Runs `campaign` over `chunks`, one run each on the state `name`, with
// the lazy load set as `lazy_from` says; the actions of every run.
std::string RunInParts(const std::filesystem::path& scratch,
                       const std::string& campaign,
                       const std::vector<std::filesystem::path>& chunks,
                       const std::string& name, const char* lazy_from) {
  LazyLoadFrom setting(lazy_from);
  std::string actions;
  for (const std::filesystem::path& chunk : chunks) {
    std::filesystem::path out = scratch / (name + ".jsonl");
    auto run = RunParcours(
        {"run", campaign, "--events", chunk.string(), "--state",
         (scratch / (name + ".db")).string(), "--out", out.string()},
        scratch);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    actions += testing::ReadText(out);
  }
  return actions;
}

// A program that keeps in each profile what a lazy load must read back:
// windows over kept events and the re-checks they bring, a loyalty
// account with lots that expire, consent, a `wait for ... as` whose
// received event the block reads, caps and quiet hours in the profile's
// own zone, and a monthly wait.
const char kRichProgram[] = R"(module rich

enum Tier { Member, Silver, Gold }

profile {
  tier: Tier = Member
  timezone: tz = "UTC"
  email: string?
}

event OrderPlaced "Order Completed" {
  order_id: string
  total: money
}

event OrderRefunded "Order Refunded" {
  order_id: string
}

event CartAdded "Product Added" {
  sku: string
}

event Visit "Page Viewed" {
  page: string
}

program points {
  earn 10 points per 1 EUR of OrderPlaced.total
  refund on OrderRefunded.order_id
  expire 60 days after earning
  notify expiring 7d before
  tier Silver at 200 qualifying points within 90 days
  tier Gold at 600 qualifying points within 90 days
  keep tier 30 days
  value 0.01 EUR per point
}

segment frequent = count(OrderPlaced within 30d) >= 2

segment lapsed =
  count(OrderPlaced within 45d) == 0 and count(OrderPlaced) > 0

segment browsing = count(Visit between 2d and 1d ago) > 0

policy pressure {
  cap 2 per week across email, push
  quiet 22:00 .. 08:00 local
}

journey cart {
  on CartAdded as cart
  reentry after 3d
  policy pressure

  wait 1h
  if consent(push) {
    send push "cart_push" with { sku: cart.sku }
  }
  wait for OrderPlaced as order within 2d {
    send email "thanks" with { order: order.order_id }
  } else {
    send email "cart_email" with { sku: cart.sku }
  }
}

journey win_back {
  on entered(lapsed)
  policy pressure
  send email "win_back"
  wait 1 month
  send email "win_back_again"
}

journey frequent_on {
  on entered(frequent)
  send email "frequent"
}

journey browse {
  on entered(browsing)
  policy pressure
  send email "browse"
}
)";

// A seeded stream over `profiles` customers and about 200 days: identifies
// that change zone and consent, orders, refunds of earlier orders, carts
// and visits, now and then a line that comes late.
std::string RichEvents(int profiles, int lines, uint64_t seed) {
  std::mt19937_64 random(seed);
  const char* zones[] = {"Europe/London", "America/New_York", "Asia/Tokyo",
                         "Australia/Sydney", "UTC"};
  int64_t clock = 1'735'725'600;  // 2025-01-01T10:00:00Z
  std::string text;
  std::vector<std::string> orders;
  for (int i = 0; i < lines; ++i) {
    clock += static_cast<int64_t>(random() % 40'000);
    int64_t at = random() % 20 == 0 ? clock - 3 * 86'400 : clock;
    char time[32];
    std::time_t seconds = static_cast<std::time_t>(at);
    std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%SZ",
                  std::gmtime(&seconds));
    std::string user = "u" + std::to_string(random() % profiles);
    std::string id = "m" + std::to_string(i);
    std::string head = R"({"userId":")" + user + R"(","messageId":")" + id +
                       R"(","timestamp":")" + time + "\",";
    switch (random() % 6) {
      case 0:
        text += head + R"("type":"identify","traits":{"email":")" + user +
                R"(@example.com","timezone":")" + zones[random() % 5] +
                R"(","consent":{"push":)" +
                (random() % 2 == 0 ? "true" : "false") + "}}}\n";
        break;
      case 1:
        orders.push_back(id);
        text += head + R"("type":"track","event":"Order Completed",)" +
                R"("properties":{"order_id":")" + id + R"(","total":)" +
                std::to_string(5 + random() % 60) + R"(,"currency":"EUR"}})" +
                "\n";
        break;
      case 2:
        if (!orders.empty()) {
          text += head + R"("type":"track","event":"Order Refunded",)" +
                  R"("properties":{"order_id":")" +
                  orders[random() % orders.size()] + "\"}}\n";
          break;
        }
        [[fallthrough]];
      case 3:
        text += head + R"("type":"track","event":"Product Added",)" +
                R"("properties":{"sku":"s)" + std::to_string(random() % 9) +
                "\"}}\n";
        break;
      default:
        text += head + R"("type":"track","event":"Page Viewed",)" +
                R"("properties":{"page":"/p)" + std::to_string(random() % 5) +
                "\"}}\n";
        break;
    }
  }
  return text;
}

TEST_CASE("a rich program restarted with a lazy load gives the same bytes",
          "[e2e][store][lazy]") {
  auto scratch = testing::ScratchDir("lazy-rich");
  testing::WriteText(scratch / "c.journey", kRichProgram);
  testing::WriteText(scratch / "events.jsonl", RichEvents(40, 1500, 2026));
  std::vector<std::filesystem::path> chunks =
      Chunks(scratch / "events.jsonl", scratch, 60);
  std::string campaign = (scratch / "c.journey").string();

  std::string full = RunInParts(scratch, campaign, chunks, "full", nullptr);
  std::string lazy = RunInParts(scratch, campaign, chunks, "lazy", "0");
  // Each kind of row a warming must read back is there to be read.
  auto db = store::Database::Open((scratch / "full.db").string());
  REQUIRE(db.ok());
  for (const char* table : {"history", "loyalty_members", "loyalty_lots",
                            "consent_ledger", "contacts"}) {
    INFO(table);
    auto rows = db->QueryInt(std::string("SELECT count(*) FROM ") + table);
    REQUIRE(rows.ok());
    CHECK(*rows > 0);
  }
  auto rechecks = db->QueryInt(
      "SELECT count(*) FROM profiles WHERE recheck_at IS NOT NULL");
  REQUIRE(rechecks.ok());
  CHECK(*rechecks > 0);
  for (const char* kind : {"cart_push", "thanks", "cart_email", "win_back",
                           "win_back_again", "browse", "expir"}) {
    INFO(kind);
    CHECK(full.find(kind) != std::string::npos);
  }
  CHECK(lazy == full);
  CHECK(DumpState(scratch / "lazy.db") == DumpState(scratch / "full.db"));
}

TEST_CASE("re-check times another program saved are worked out again",
          "[e2e][store][lazy]") {
  // The state is saved by a program whose `lapsed` looks 45 days back;
  // the next runs' looks 30. Trusting the first program's time would send
  // the win-back on its day, 15 days late.
  const std::string program = R"(module lapse
event OrderPlaced "Order Completed" { total: money }

segment lapsed =
  count(OrderPlaced within DAYS) == 0 and count(OrderPlaced) > 0

journey win_back {
  on entered(lapsed)
  send email "win_back"
}
)";
  auto scratch = testing::ScratchDir("lazy-changed");
  for (const char* days : {"45d", "30d"}) {
    std::string text = program;
    text.replace(text.find("DAYS"), 4, days);
    std::filesystem::create_directories(scratch / days);
    testing::WriteText(scratch / days / "c.journey", text);
  }
  testing::WriteText(
      scratch / "order.jsonl",
      R"({"type":"track","event":"Order Completed","userId":"a",)"
      R"("messageId":"o1","timestamp":"2025-01-01T10:00:00Z",)"
      R"("properties":{"total":5,"currency":"EUR"}})"
      "\n");
  testing::WriteText(scratch / "none.jsonl", "");

  for (const char* lazy_from : {static_cast<const char*>(nullptr), "0"}) {
    LazyLoadFrom setting(lazy_from);
    auto run = [&](const char* days, const char* events, const char* until) {
      std::filesystem::remove(scratch / "out.jsonl");
      auto result = RunParcours(
          {"run", (scratch / days).string(), "--events",
           (scratch / events).string(), "--state", (scratch / "s.db").string(),
           "--out", (scratch / "out.jsonl").string(), "--until", until},
          scratch);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      return testing::ReadText(scratch / "out.jsonl");
    };
    std::filesystem::remove(scratch / "s.db");
    CHECK(run("45d", "order.jsonl", "2025-01-05T00:00:00Z").empty());
    // The first run of the new program works the time out again, and its
    // save must keep it: the next restart trusts what it finds.
    CHECK(run("30d", "none.jsonl", "2025-01-10T00:00:00Z").empty());
    std::string sent = run("30d", "none.jsonl", "2025-03-30T00:00:00Z");
    INFO((lazy_from == nullptr ? "full load" : "lazy load"));
    CHECK(sent.find(R"("at":"2025-01-31T10:00:00Z")") != std::string::npos);
    CHECK(sent.find("win_back") != std::string::npos);
  }
}

TEST_CASE("runs restarted with a lazy load give the bytes of a full load",
          "[e2e][store][lazy]") {
  struct Example {
    std::string campaign;
    std::string events;
    size_t lines;
  };
  const Example examples[] = {
      {testing::kUciCampaign, testing::kUciAllEvents, 2000},
      {std::string(PARCOURS_SOURCE_DIR) + "/examples/crm-starter/campaign",
       std::string(PARCOURS_SOURCE_DIR) +
           "/examples/crm-starter/taobao-events.jsonl",
       250},
  };
  for (const Example& example : examples) {
    auto scratch = testing::ScratchDir("lazy-restarts");
    std::vector<std::filesystem::path> chunks =
        Chunks(example.events, scratch, example.lines);
    REQUIRE(chunks.size() > 5);

    std::string full =
        RunInParts(scratch, example.campaign, chunks, "full", nullptr);
    std::string lazy =
        RunInParts(scratch, example.campaign, chunks, "lazy", "0");
    INFO(example.campaign);
    CHECK(full.size() > 1000);
    CHECK(lazy == full);
    CHECK(DumpState(scratch / "lazy.db") == DumpState(scratch / "full.db"));
  }
}

TEST_CASE("a profile row that cannot be read stops the run when needed",
          "[e2e][store][lazy]") {
  auto scratch = testing::ScratchDir("lazy-damaged");
  testing::WriteText(scratch / "c.journey", R"(module shop
event OrderPlaced "Order Completed" { total: money }

journey thanks {
  on OrderPlaced
  wait 2 days
  send email "thanks"
}
)");
  auto order = [](const std::string& user, const std::string& day) {
    return R"({"type":"track","event":"Order Completed","userId":")" + user +
           R"(","messageId":"o-)" + user + day + R"(","timestamp":"2025-01-)" +
           day + R"(T10:00:00Z","properties":{"total":5,"currency":"EUR"}})" +
           "\n";
  };
  testing::WriteText(scratch / "first.jsonl",
                     order("a", "01") + order("b", "01"));
  // `b`'s timer falls due before `a`'s next order; `a` has no timer due.
  testing::WriteText(scratch / "second.jsonl", order("a", "10"));

  LazyLoadFrom lazy("0");
  auto run = [&](const std::string& events) {
    return RunParcours(
        {"run", (scratch / "c.journey").string(), "--events",
         (scratch / events).string(), "--state", (scratch / "s.db").string(),
         "--out", (scratch / "out.jsonl").string()},
        scratch);
  };
  REQUIRE(run("first.jsonl").exit_code == 0);
  {
    auto db = store::Database::Open((scratch / "s.db").string());
    REQUIRE(db.ok());
    REQUIRE(
        db->Exec("UPDATE profiles SET attrs = '{oops' WHERE id = 'b'").ok());
  }
  std::string before = DumpState(scratch / "s.db");

  auto stopped = run("second.jsonl");
  CHECK(stopped.exit_code != 0);
  CHECK(stopped.err.find("could not read profile `b` when it was first "
                         "needed") != std::string::npos);
  CHECK(stopped.err.find("profile `b` attrs") != std::string::npos);
  // Nothing of the batch was saved: `a`'s order is not marked as done.
  CHECK(DumpState(scratch / "s.db") == before);
}

TEST_CASE("a waiting contact whose profile row is gone loads as in full",
          "[e2e][store][lazy]") {
  // A damaged file: `a` waits in `thanks`, its kept events are there, its
  // `profiles` row is not. A full load makes the profile for the contact
  // after the kept events were read, so they are not; a warming must not
  // read them either, or `a`'s second order makes it a buyer in one load
  // and not in the other.
  auto scratch = testing::ScratchDir("lazy-rowless");
  testing::WriteText(scratch / "c.journey", R"(module rowless
event OrderPlaced "Order Completed" { total: money }

segment buyer = count(OrderPlaced within 30d) >= 2

journey thanks {
  on OrderPlaced
  reentry never
  wait 10 days
  send email "thanks"
}

journey buyer_on {
  on entered(buyer)
  send email "buyer"
}
)");
  auto order = [](const std::string& day) {
    return R"({"type":"track","event":"Order Completed","userId":"a",)"
           R"("messageId":"o)" +
           day + R"(","timestamp":"2025-01-)" + day +
           R"(T10:00:00Z","properties":{"total":5,"currency":"EUR"}})" + "\n";
  };
  testing::WriteText(scratch / "first.jsonl", order("01"));
  testing::WriteText(scratch / "second.jsonl", order("05"));

  auto run = [&](const std::string& name, const std::string& events) {
    auto result = RunParcours({"run", (scratch / "c.journey").string(),
                               "--events", (scratch / events).string(),
                               "--state", (scratch / (name + ".db")).string(),
                               "--out", (scratch / (name + ".jsonl")).string()},
                              scratch);
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
  };
  for (const char* name : {"full", "lazy"}) {
    LazyLoadFrom setting(std::string(name) == "lazy" ? "0" : nullptr);
    run(name, "first.jsonl");
    {
      auto db = store::Database::Open(
          (scratch / (std::string(name) + ".db")).string());
      REQUIRE(db.ok());
      REQUIRE(db->Exec("DELETE FROM profiles WHERE id = 'a'").ok());
    }
    run(name, "second.jsonl");
  }
  CHECK(testing::ReadText(scratch / "lazy.jsonl") ==
        testing::ReadText(scratch / "full.jsonl"));
  CHECK(DumpState(scratch / "lazy.db") == DumpState(scratch / "full.db"));
}

}  // namespace
}  // namespace parcours
