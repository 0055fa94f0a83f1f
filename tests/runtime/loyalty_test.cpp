// The points ledger and the tier rules: the scenarios finance and support
// ask about, each with exact rows.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/calendar.h"
#include "runtime/loyalty/ledger.h"
#include "runtime/loyalty/liability.h"
#include "runtime/loyalty/tiers.h"

namespace parcours {
namespace {

using loyalty::Ledger;
using loyalty::Movement;
using loyalty::MovementKind;

constexpr int64_t kDay = 86'400;
constexpr int64_t kMillion = 1'000'000;

int64_t At(const char* text) {
  std::optional<int64_t> time = common::ParseTime(text);
  REQUIRE(time.has_value());
  return *time;
}

int64_t Months(int64_t from, int64_t count, const std::string& zone) {
  return engine::AddCalendar(from, count, engine::CalendarUnit::Month, zone);
}

int64_t EarnOk(Ledger& ledger, int64_t at, int64_t points, int64_t expires,
               const std::string& source) {
  common::Expected<int64_t> lot =
      ledger.Earn(at, points, expires, true, source);
  REQUIRE(lot.ok());
  return *lot;
}

// "kind lot points" for each row, to compare whole ledgers at a glance.
std::vector<std::string> Rows(const Ledger& ledger) {
  std::vector<std::string> rows;
  for (const Movement& row : ledger.movements()) {
    rows.push_back(std::string(loyalty::MovementKindName(row.kind)) + " " +
                   std::to_string(row.lot) + " " + std::to_string(row.points));
  }
  return rows;
}

TEST_CASE("a redemption draws from the lot that expires first") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t old_lot = EarnOk(ledger, t0, 100, t0 + 700 * kDay, "order-1");
  int64_t new_lot = EarnOk(ledger, t0 + kDay, 50, t0 + 701 * kDay, "order-2");
  // A bonus earned last but expiring first is spent before both.
  int64_t bonus = EarnOk(ledger, t0 + 2 * kDay, 30, t0 + 30 * kDay, "bonus");

  REQUIRE(ledger.Burn(t0 + 3 * kDay, 150, "redeem-1").ok());

  CHECK(ledger.lot(bonus).remaining == 0);
  CHECK(ledger.lot(old_lot).remaining == 0);
  CHECK(ledger.lot(new_lot).remaining == 30);
  CHECK(Rows(ledger) == std::vector<std::string>{"earn 1 100", "earn 2 50",
                                                 "earn 3 30", "burn 3 -30",
                                                 "burn 1 -100", "burn 2 -20"});
  CHECK(ledger.Verify().empty());
}

TEST_CASE("expiry never takes points that were already redeemed") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  EarnOk(ledger, t0, 100, t0 + 10 * kDay, "order-1");
  EarnOk(ledger, t0 + kDay, 100, t0 + 20 * kDay, "order-2");
  REQUIRE(ledger.Burn(t0 + 2 * kDay, 120, "redeem-1").ok());

  ledger.ExpireThrough(t0 + 30 * kDay);

  // The first lot was spent in full, so only 80 of the second expire, at
  // the second lot's own instant.
  const Movement& expiry = ledger.movements().back();
  CHECK(expiry.kind == MovementKind::Expire);
  CHECK(expiry.points == -80);
  CHECK(expiry.at == t0 + 20 * kDay);
  CHECK(ledger.Balance() == 0);
  CHECK(Rows(ledger) == std::vector<std::string>{"earn 1 100", "earn 2 100",
                                                 "burn 1 -100", "burn 2 -20",
                                                 "expire 2 -80"});
  CHECK(ledger.Verify().empty());
}

TEST_CASE("a lot expires at its instant exactly, not a second before") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t expires = t0 + 10 * kDay;
  EarnOk(ledger, t0, 100, expires, "order-1");

  ledger.ExpireThrough(expires - 1);
  CHECK(ledger.Balance() == 100);
  CHECK(ledger.NextExpiry() == expires);

  ledger.ExpireThrough(expires);
  CHECK(ledger.Balance() == 0);
  CHECK(ledger.NextExpiry() == loyalty::kNeverExpires);
}

TEST_CASE("a redemption larger than the balance is refused whole") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  EarnOk(ledger, t0, 100, t0 + 10 * kDay, "order-1");

  common::Status refused = ledger.Burn(t0 + kDay, 101, "redeem-1");

  CHECK_FALSE(refused.ok());
  CHECK(refused.message() ==
        "a redemption of 101 points exceeds the balance of 100");
  CHECK(ledger.Balance() == 100);
  CHECK(ledger.movements().size() == 1);

  // Expired points cannot be redeemed either: the expiry comes first.
  common::Status expired = ledger.Burn(t0 + 10 * kDay, 1, "redeem-2");
  CHECK(expired.message() ==
        "a redemption of 1 point exceeds the balance of 0");
}

TEST_CASE("a refund before any redemption takes back its own lot") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order-1");
  EarnOk(ledger, t0 + kDay, 40, t0 + 100 * kDay, "order-2");

  common::Expected<int64_t> taken =
      ledger.Refund(t0 + 2 * kDay, order, 100, "refund-1");

  REQUIRE(taken.ok());
  CHECK(*taken == 100);
  CHECK(ledger.Balance() == 40);
  CHECK(ledger.lot(order).remaining == 0);
  CHECK(ledger.Verify().empty());
}

TEST_CASE("a refund after a redemption leaves points owed, repaid first") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order-1");
  EarnOk(ledger, t0 + kDay, 40, t0 + 100 * kDay, "order-2");
  REQUIRE(ledger.Burn(t0 + 2 * kDay, 120, "redeem-1").ok());

  common::Expected<int64_t> taken =
      ledger.Refund(t0 + 3 * kDay, order, 100, "refund-1");
  REQUIRE(taken.ok());
  CHECK(*taken == 100);

  // Nothing was left of the order's lot: the 20 points of the other lot
  // go, and 80 are owed.
  CHECK(ledger.Balance() == -80);
  CHECK(ledger.Owed() == 80);

  int64_t later = EarnOk(ledger, t0 + 4 * kDay, 50, t0 + 200 * kDay, "o-3");
  CHECK(ledger.Balance() == -30);
  CHECK(ledger.lot(later).remaining == 0);
  CHECK(Rows(ledger) == std::vector<std::string>{"earn 1 100", "earn 2 40",
                                                 "burn 1 -100", "burn 2 -20",
                                                 "refund 2 -20", "refund 0 -80",
                                                 "earn 3 50", "repay 3 0"});
  CHECK(ledger.Verify().empty());
}

TEST_CASE("a refund takes nothing for the part of its earning that expired") {
  // The member lost those points at the expiry already: taking as many
  // from the other lots would make them lose them twice.
  Ledger ledger;
  int64_t t0 = At("2025-01-01T10:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 30 * kDay, "order-1");
  EarnOk(ledger, t0 + 19 * kDay, 100, t0 + 49 * kDay, "order-2");

  common::Expected<int64_t> taken =
      ledger.Refund(t0 + 35 * kDay, order, 100, "refund-1");

  REQUIRE(taken.ok());
  CHECK(*taken == 0);
  CHECK(ledger.Balance() == 100);
  CHECK(ledger.Owed() == 0);
  // The refunded order qualifies no more, and is not refunded again.
  CHECK(ledger.lot(order).refunded == 100);
  CHECK(ledger.QualifyingPoints(t0 - kDay, t0 + 35 * kDay) == 100);
  CHECK(*ledger.Refund(t0 + 36 * kDay, order, 100, "refund-2") == 0);
  CHECK(Rows(ledger) ==
        std::vector<std::string>{"earn 1 100", "earn 2 100", "expire 1 -100"});
  CHECK(ledger.Verify().empty());
}

TEST_CASE(
    "a refund after part was spent and the rest expired takes the "
    "spent part only") {
  Ledger ledger;
  int64_t t0 = At("2025-01-01T10:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 30 * kDay, "order-1");
  EarnOk(ledger, t0 + kDay, 200, t0 + 300 * kDay, "order-2");
  // 60 of the order's points are spent (its lot expires first), the
  // other 40 expire.
  REQUIRE(ledger.Burn(t0 + 2 * kDay, 60, "redeem-1").ok());

  // Two partial refunds: 50 of the 60 spent points, then the other 10;
  // the expired 40 are never taken again.
  REQUIRE(*ledger.Refund(t0 + 40 * kDay, order, 50, "refund-1") == 50);
  REQUIRE(*ledger.Refund(t0 + 41 * kDay, order, 50, "refund-2") == 10);
  CHECK(*ledger.Refund(t0 + 42 * kDay, order, 50, "refund-3") == 0);

  CHECK(ledger.Balance() == 140);
  CHECK(ledger.lot(order).refunded == 100);
  CHECK(Rows(ledger) == std::vector<std::string>{
                            "earn 1 100", "earn 2 200", "burn 1 -60",
                            "expire 1 -40", "refund 2 -50", "refund 2 -10"});
  CHECK(ledger.Verify().empty());
}

TEST_CASE("refunds never take back more than the earning gave") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order-1");

  REQUIRE(*ledger.Refund(t0 + kDay, order, 30, "refund-1") == 30);
  REQUIRE(*ledger.Refund(t0 + 2 * kDay, order, 90, "refund-2") == 70);
  REQUIRE(*ledger.Refund(t0 + 3 * kDay, order, 5, "refund-3") == 0);

  CHECK(ledger.Balance() == 0);
  CHECK(ledger.lot(order).refunded == 100);
  CHECK_FALSE(ledger.Refund(t0 + 4 * kDay, 7, 1, "refund-4").ok());
  CHECK(ledger.Verify().empty());
}

TEST_CASE("a partial refund takes back its share of the order's points") {
  Ledger ledger;
  int64_t eur = ir::PackCurrency("EUR");
  int64_t t0 = At("2025-01-10T12:00:00Z");
  // 129.99 EUR at 1 point per EUR earned 129 points.
  int64_t order = EarnOk(ledger, t0, 129, t0 + 100 * kDay, "order-1");
  ledger.SetOrderAmount(order, 129'990'000, eur);

  // 30 EUR back leaves 99.99 EUR: the member keeps floor(129 x 99.99 /
  // 129.99) = 99 points and loses 30.
  common::Expected<int64_t> first =
      ledger.RefundAmount(t0 + kDay, order, 30 * kMillion, eur, "refund-1");
  REQUIRE(first.ok());
  CHECK(*first == 30);
  CHECK(ledger.lot(order).refunded_amount == 30 * kMillion);

  // 0.50 EUR more leaves 99.49 EUR, still worth 98 points (floor of
  // 98.73): one more point goes.
  common::Expected<int64_t> second =
      ledger.RefundAmount(t0 + 2 * kDay, order, 500'000, eur, "refund-2");
  REQUIRE(second.ok());
  CHECK(*second == 1);

  // The rest of the order, and more, takes exactly what is left: the
  // partial refunds add up to the whole order's points.
  common::Expected<int64_t> rest =
      ledger.RefundAmount(t0 + 3 * kDay, order, 500 * kMillion, eur, "r-3");
  REQUIRE(rest.ok());
  CHECK(*rest == 98);
  CHECK(ledger.lot(order).refunded == 129);
  CHECK(ledger.lot(order).refunded_amount == 129'990'000);
  CHECK(ledger.Balance() == 0);

  // Nothing is left to refund.
  CHECK(*ledger.RefundAmount(t0 + 4 * kDay, order, kMillion, eur, "r-4") == 0);
  CHECK(ledger.Verify().empty());
}

TEST_CASE("a refund too small for a point is remembered, not lost") {
  Ledger ledger;
  int64_t eur = ir::PackCurrency("EUR");
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order-1");
  ledger.SetOrderAmount(order, 100 * kMillion, eur);

  // 0.40 EUR leaves 99.60 EUR, worth 99 points: one point already goes,
  // as the member keeps what the rest earns, rounded down.
  CHECK(*ledger.RefundAmount(t0 + kDay, order, 400'000, eur, "r-1") == 1);
  // Another 0.40 EUR leaves 99.20 EUR, still 99 points: nothing more...
  CHECK(*ledger.RefundAmount(t0 + 2 * kDay, order, 400'000, eur, "r-2") == 0);
  // ...but the amount counts: 0.30 EUR more leaves 98.90, worth 98.
  CHECK(*ledger.RefundAmount(t0 + 3 * kDay, order, 300'000, eur, "r-3") == 1);
  CHECK(ledger.lot(order).refunded_amount == 1'100'000);
  CHECK(ledger.Balance() == 98);
  CHECK(ledger.Verify().empty());
}

TEST_CASE(
    "a partial refund without the order's amount or currency is "
    "refused whole") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t unknown = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order-1");
  int64_t in_euros = EarnOk(ledger, t0, 50, t0 + 100 * kDay, "order-2");
  ledger.SetOrderAmount(in_euros, 50 * kMillion, ir::PackCurrency("EUR"));

  common::Expected<int64_t> no_amount = ledger.RefundAmount(
      t0 + kDay, unknown, 10 * kMillion, ir::PackCurrency("EUR"), "r-1");
  REQUIRE_FALSE(no_amount.ok());
  CHECK(no_amount.status().message().find("not recorded") != std::string::npos);

  common::Expected<int64_t> other_currency = ledger.RefundAmount(
      t0 + kDay, in_euros, 10 * kMillion, ir::PackCurrency("GBP"), "r-2");
  REQUIRE_FALSE(other_currency.ok());
  CHECK(other_currency.status().message() ==
        "the refund is in GBP but the order was in EUR");

  CHECK_FALSE(
      ledger
          .RefundAmount(t0 + kDay, in_euros, 0, ir::PackCurrency("EUR"), "r-3")
          .ok());
  CHECK(ledger.Balance() == 150);
  CHECK(ledger.lot(in_euros).refunded_amount == 0);
  CHECK(ledger.movements().size() == 2);
}

TEST_CASE("a refunded earning no longer counts towards tiers") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  int64_t order = EarnOk(ledger, t0, 600, t0 + 400 * kDay, "order-1");
  REQUIRE(ledger.Earn(t0 + kDay, 500, t0 + 400 * kDay, false, "gift").ok());
  CHECK(ledger.QualifyingPoints(t0 - kDay, t0 + kDay) == 600);

  REQUIRE(ledger.Refund(t0 + 2 * kDay, order, 200, "refund-1").ok());

  CHECK(ledger.QualifyingPoints(t0 - kDay, t0 + 2 * kDay) == 400);
  // The window is (from, to]: an earning at `from` is outside.
  CHECK(ledger.QualifyingPoints(t0, t0 + 2 * kDay) == 0);
}

// Two orders that each earned the most points an earning gives took the
// balance past the largest 64-bit number, round to -2: the member could
// redeem nothing, and the report showed negative points and money.
TEST_CASE("an earning past the most points a ledger counts is refused") {
  constexpr int64_t kMost = std::numeric_limits<int64_t>::max();
  Ledger ledger;
  int64_t t0 = At("2025-01-01T00:00:00Z");
  EarnOk(ledger, t0, kMost - 5, loyalty::kNeverExpires, "first");

  common::Expected<int64_t> more =
      ledger.Earn(t0 + 1, 10, loyalty::kNeverExpires, true, "second");
  REQUIRE_FALSE(more.ok());
  CHECK_THAT(more.status().message(),
             Catch::Contains("the most a ledger can count"));
  CHECK(ledger.Balance() == kMost - 5);
  CHECK(ledger.lots().size() == 1);

  // Up to the most is fine, and a redemption makes room again.
  EarnOk(ledger, t0 + 2, 5, loyalty::kNeverExpires, "third");
  REQUIRE(ledger.Burn(t0 + 3, 100, "redeem").ok());
  EarnOk(ledger, t0 + 4, 100, loyalty::kNeverExpires, "fourth");
  CHECK(ledger.Balance() == kMost);
  CHECK(ledger.Verify().empty());
}

TEST_CASE("rows out of time order are refused") {
  Ledger ledger;
  int64_t t0 = At("2025-01-10T12:00:00Z");
  EarnOk(ledger, t0, 100, t0 + 10 * kDay, "order-1");

  CHECK_FALSE(ledger.Earn(t0 - 1, 5, t0 + 10 * kDay, true, "late").ok());
  CHECK_FALSE(ledger.Burn(t0 - 1, 5, "late").ok());
  CHECK_FALSE(ledger.Earn(t0, 0, t0 + 10 * kDay, true, "zero").ok());
  CHECK_FALSE(ledger.Earn(t0, 5, t0, true, "born expired").ok());
  CHECK(ledger.movements().size() == 1);
}

TEST_CASE("a ledger read back agrees with its rows, and a changed row shows") {
  Ledger ledger;
  REQUIRE(ledger.Earn(0, 100, 50 * kDay, true, "o1").ok());
  REQUIRE(ledger.Earn(kDay, 50, 51 * kDay, true, "o2").ok());
  REQUIRE(ledger.Burn(2 * kDay, 120, "r1").ok());
  REQUIRE(ledger.Refund(3 * kDay, 1, 100, "x1").ok());

  Ledger restored =
      Ledger::Restore(ledger.lots(), ledger.movements(),
                      ledger.Balance() + ledger.Owed(), ledger.Owed());
  CHECK(restored.Verify().empty());
  CHECK(restored.Balance() == -70);
  CHECK(restored.lot(2).remaining == 0);
  // It goes on where it stopped: the next earning repays the 70 owed.
  REQUIRE(restored.Earn(4 * kDay, 80, 60 * kDay, true, "o3").ok());
  CHECK(restored.Balance() == 10);

  std::vector<Movement> changed = ledger.movements();
  changed[0].points = 1000;
  Ledger tampered = Ledger::Restore(
      ledger.lots(), changed, ledger.Balance() + ledger.Owed(), ledger.Owed());
  CHECK(tampered.Verify() == "the balance is -70 but the rows sum to 830");
}

TEST_CASE("points from money round down once, on the whole amount") {
  constexpr int64_t kOneEur = kMillion;
  // 1 point per 1 EUR of 129.99 EUR.
  CHECK(loyalty::PointsForAmount(129'990'000, kOneEur, 1, kMillion) == 129);
  // At 2x the multiplier applies before rounding: 259.98 -> 259, not
  // 2 * 129 = 258.
  CHECK(loyalty::PointsForAmount(129'990'000, kOneEur, 1, 2 * kMillion) == 259);
  // 1.5x of 10.01 EUR is 15.015 points.
  CHECK(loyalty::PointsForAmount(10'010'000, kOneEur, 1, 1'500'000) == 15);
  // 10 points per 5 EUR of 4.99 EUR: 9.98 points, so 9.
  CHECK(loyalty::PointsForAmount(4'990'000, 5 * kOneEur, 10, kMillion) == 9);
  CHECK(loyalty::PointsForAmount(990'000, kOneEur, 1, kMillion) == 0);
  CHECK(loyalty::PointsForAmount(-5 * kOneEur, kOneEur, 1, kMillion) == 0);
  CHECK(loyalty::PointsForAmount(INT64_MAX, 1, INT64_MAX, INT64_MAX) ==
        INT64_MAX);
}

TEST_CASE(
    "points earned on a leap day or a month end expire on the last "
    "day of the shorter month") {
  const std::string paris = "Europe/Paris";
  Ledger ledger;
  int64_t leap_day = At("2024-02-29T10:00:00Z");
  int64_t month_end = At("2025-01-31T10:00:00Z");
  EarnOk(ledger, leap_day, 100, Months(leap_day, 12, paris), "leap");
  EarnOk(ledger, month_end, 50, Months(month_end, 1, paris), "month-end");

  // 11:00 in Paris on 2025-01-31 plus one month is 2025-02-28 11:00 local;
  // the leap-day lot: 2024-02-29 11:00 local plus 12 months is 2025-02-28
  // 11:00 local too. Both expire then, the older lot first.
  int64_t both = At("2025-02-28T10:00:00Z");
  CHECK(ledger.NextExpiry() == both);
  ledger.ExpireThrough(both - 1);
  CHECK(ledger.Balance() == 150);
  ledger.ExpireThrough(both);
  CHECK(ledger.Balance() == 0);
  CHECK(Rows(ledger) == std::vector<std::string>{"earn 1 100", "earn 2 50",
                                                 "expire 1 -100",
                                                 "expire 2 -50"});
  CHECK(ledger.movements()[2].at == both);
}

TEST_CASE("random ledgers always agree with their rows") {
  // Earnings, redemptions, refunds and expiries in random order: after
  // each, the rows must explain every lot and the balance, and no
  // redemption may draw from a lot that expires later than one left with
  // points.
  std::mt19937_64 random(20261204);
  for (int run = 0; run < 200; ++run) {
    Ledger ledger;
    int64_t now = At("2025-01-01T00:00:00Z");
    for (int step = 0; step < 60; ++step) {
      now += static_cast<int64_t>(random() % (20 * kDay));
      int64_t points = 1 + static_cast<int64_t>(random() % 300);
      switch (random() % 4) {
        case 0:
        case 1:
          EarnOk(ledger, now, points,
                 now + kDay + static_cast<int64_t>(random() % (200 * kDay)),
                 "e" + std::to_string(step));
          break;
        case 2: {
          // Expiries due by now come first; the redemption then takes
          // exactly its points.
          ledger.ExpireThrough(now);
          int64_t balance_before = ledger.Balance();
          size_t rows_before = ledger.movements().size();
          common::Status burned = ledger.Burn(now, points, "b");
          if (!burned.ok()) {
            CHECK(points > ledger.Balance());
            continue;
          }
          CHECK(ledger.Balance() == balance_before - points);
          // Every lot left with points expires no sooner than each lot
          // this redemption drew from.
          for (size_t r = rows_before; r < ledger.movements().size(); ++r) {
            const Movement& row = ledger.movements()[r];
            if (row.kind != MovementKind::Burn) continue;
            for (const loyalty::Lot& lot : ledger.lots()) {
              if (lot.remaining > 0) {
                CHECK(lot.expires_at >= ledger.lot(row.lot).expires_at);
              }
            }
          }
          break;
        }
        case 3:
          if (!ledger.lots().empty()) {
            int64_t lot =
                1 + static_cast<int64_t>(random() % ledger.lots().size());
            REQUIRE(ledger.Refund(now, lot, points, "r").ok());
          }
          break;
      }
      REQUIRE(ledger.Verify().empty());
    }
  }
}

TEST_CASE("a tier comes at once and goes only at a review") {
  const std::vector<loyalty::TierRule> rules = {
      {"Silver", 1000}, {"Gold", 5000}, {"Platinum", 15000}};
  loyalty::TierStatus status;
  int64_t t0 = At("2025-03-01T09:00:00Z");
  int64_t year = 365 * kDay;

  SECTION("upgrade at the instant the threshold is reached") {
    loyalty::TierChange change =
        loyalty::DecideTier(rules, status, t0, 5200, 0);
    CHECK(change.changed);
    CHECK(change.from == loyalty::kNoTier);
    CHECK(change.to == 1);
    CHECK(status.since == t0);
  }

  SECTION("no downgrade before the review, whatever the points do") {
    loyalty::DecideTier(rules, status, t0, 5200, 0);
    int64_t review = t0 + year;
    loyalty::TierChange change =
        loyalty::DecideTier(rules, status, review - 1, 10, review);
    CHECK_FALSE(change.changed);
    CHECK(status.tier == 1);

    change = loyalty::DecideTier(rules, status, review, 1200, review);
    CHECK(change.changed);
    CHECK(change.to == 0);
    CHECK(status.since == review);
  }

  SECTION("a member who still qualifies at the review is confirmed") {
    loyalty::DecideTier(rules, status, t0, 5200, 0);
    int64_t review = t0 + year;
    loyalty::TierChange change =
        loyalty::DecideTier(rules, status, review, 5000, review);
    CHECK_FALSE(change.changed);
    CHECK(status.tier == 1);
    CHECK(status.since == review);
  }

  SECTION("points below every threshold at the review leave no tier") {
    loyalty::DecideTier(rules, status, t0, 1000, 0);
    loyalty::TierChange change =
        loyalty::DecideTier(rules, status, t0 + year, 999, t0 + year);
    CHECK(change.changed);
    CHECK(change.to == loyalty::kNoTier);
  }

  SECTION("an upgrade during the grace starts a new grace") {
    loyalty::DecideTier(rules, status, t0, 1000, 0);
    loyalty::DecideTier(rules, status, t0 + 100 * kDay, 16000, t0 + year);
    CHECK(status.tier == 2);
    CHECK(status.since == t0 + 100 * kDay);
  }
}

}  // namespace
}  // namespace parcours

namespace parcours {
namespace {

using loyalty::ComputeLiability;
using loyalty::LiabilityInputs;
using loyalty::LiabilityReport;
using loyalty::MemberBook;

constexpr int64_t kHalfCentPerPoint = 5000;  // 0.005 EUR in millionths
constexpr int64_t kBreakage18 = 180'000;

// The inputs of most examples: 0.005 EUR a point, 18% breakage, the
// period (start, as_of].
LiabilityInputs HalfCentInputs(int64_t start, int64_t as_of) {
  LiabilityInputs inputs;
  inputs.period_start = start;
  inputs.as_of = as_of;
  inputs.value_per_point = kHalfCentPerPoint;
  inputs.breakage_millionths = kBreakage18;
  return inputs;
}

// Two members, worked by hand in docs/loyalty.md: A earns 1,000 on day 0
// and redeems 400 on day 100; B earns 600 on day 10, which expire on day
// 210.
struct TwoMembers {
  int64_t day0 = At("2025-01-01T00:00:00Z");
  Ledger a;
  Ledger b;

  TwoMembers() {
    EarnOk(a, day0, 1000, day0 + 730 * kDay, "a-order");
    REQUIRE(a.Burn(day0 + 100 * kDay, 400, "a-redeem").ok());
    EarnOk(b, day0 + 10 * kDay, 600, day0 + 210 * kDay, "b-order");
  }

  LiabilityReport Report(int64_t start_day, int64_t end_day) const {
    LiabilityInputs inputs =
        HalfCentInputs(day0 + start_day * kDay, day0 + end_day * kDay);
    return ComputeLiability({{&a, "Gold"}, {&b, ""}}, inputs);
  }
};

TEST_CASE("the liability of a quarter, worked by hand") {
  TwoMembers members;
  LiabilityReport report = members.Report(200, 300);

  CHECK(report.at_end.issued == 1600);
  CHECK(report.at_end.redeemed == 400);
  CHECK(report.at_end.expired == 600);
  CHECK(report.at_end.outstanding == 600);
  CHECK(report.at_start.outstanding == 1200);

  // Deferred: 1,600 points at 0.005 = 8.00. Expected redemptions: 400
  // redeemed plus 600 * 82% = 892, so 400/892 of 8.00 is recognised.
  CHECK(report.deferred_total == 8'000'000);
  CHECK(report.recognised_total == 3'587'443);
  // Shown: 8.00 - 3.59.
  CHECK(report.contract_liability == 4'410'000);
  CHECK(report.face_value == 3'000'000);
  CHECK(report.expected_breakage == 540'000);
  // At the start, B's 600 were still outstanding: 400 / (400 + 1,200 *
  // 82%) of 8.00 = 2.312138; the expiry in the period releases the rest.
  CHECK(report.recognised_at_start == 2'312'138);
  // The figures shown: 3.59 - 2.31, so that the last close's 2.31 and
  // the period's 1.28 make the 3.59 to date.
  CHECK(report.recognised_in_period == 3'590'000 - 2'310'000);

  CHECK(report.by_age[2].label == "181-365 days");
  CHECK(report.by_age[2].points == 600);
  CHECK(report.by_tier.at("Gold") == 600);
  CHECK(report.by_tier.at("(none)") == 0);

  std::string csv = loyalty::FormatLiabilityCsv(report, "EUR");
  CHECK_THAT(csv, Catch::Contains("contract liability (EUR),4.41\n"));
  CHECK_THAT(csv, Catch::Contains("revenue recognised in period (EUR),1.28\n"));
  CHECK_THAT(csv, Catch::Contains("points expired in period,600\n"));
}

// The cumulative catch-up of a revised estimate belongs to the period of
// the revision: the period's revenue is what is recognised at its end, at
// the new estimate, less what was recognised at its start, at the old
// one. Reading the start at the new estimate too used to leave the
// catch-up in no period: the last close's figure plus the period's no
// longer made the figure to date.
TEST_CASE("a revised breakage shows its catch-up in the period revised") {
  TwoMembers members;
  LiabilityInputs inputs;
  inputs.period_start = members.day0 + 150 * kDay;
  inputs.as_of = members.day0 + 180 * kDay;
  inputs.value_per_point = kHalfCentPerPoint;
  inputs.breakage_millionths = 500'000;  // revised to 50%
  inputs.opening_breakage_millionths = kBreakage18;
  LiabilityReport report =
      ComputeLiability({{&members.a, "Gold"}, {&members.b, ""}}, inputs);

  // Nothing moved in the period: 400 redeemed, 1,200 outstanding at both
  // ends. At the start, at 18%: 8 x 400 / (400 + 1,200 x 82%) = 2.312138;
  // at the end, at 50%: 8 x 400 / (400 + 1,200 x 50%) = 3.20.
  CHECK(report.at_start.outstanding == report.at_end.outstanding);
  CHECK(report.recognised_total == 3'200'000);
  CHECK(report.recognised_in_period == 3'200'000 - 2'310'000);

  // Without an opening estimate of its own, the start is read at the
  // report's: nothing in the period.
  inputs.opening_breakage_millionths = -1;
  report = ComputeLiability({{&members.a, "Gold"}, {&members.b, ""}}, inputs);
  CHECK(report.recognised_in_period == 0);
}

TEST_CASE("a report as of a date ignores later rows and projects expiries") {
  TwoMembers members;
  LiabilityReport before = members.Report(200, 300);

  // Later activity changes nothing as of day 300.
  REQUIRE(members.a.Burn(members.day0 + 400 * kDay, 100, "late").ok());
  LiabilityReport after = members.Report(200, 300);
  CHECK(after.at_end.redeemed == before.at_end.redeemed);
  CHECK(after.recognised_total == before.recognised_total);

  // B's ledger never wrote its expiry; the report's projection agrees
  // with the ledger writing it.
  Ledger b_expired = members.b;
  b_expired.ExpireThrough(members.day0 + 300 * kDay);
  int64_t as_of = members.day0 + 300 * kDay;
  CHECK(loyalty::TotalsAsOf(members.b, as_of).expired ==
        loyalty::TotalsAsOf(b_expired, as_of).expired);
  CHECK(loyalty::TotalsAsOf(b_expired, as_of).outstanding == 0);
}

TEST_CASE(
    "with nothing left outstanding, everything deferred is "
    "recognised") {
  Ledger ledger;
  int64_t t0 = At("2025-01-01T00:00:00Z");
  EarnOk(ledger, t0, 300, t0 + 10 * kDay, "order");
  REQUIRE(ledger.Burn(t0 + kDay, 100, "redeem").ok());

  LiabilityInputs inputs = HalfCentInputs(t0, t0 + 20 * kDay);
  LiabilityReport report = ComputeLiability({{&ledger, ""}}, inputs);

  CHECK(report.at_end.outstanding == 0);
  CHECK(report.recognised_total == 300 * kHalfCentPerPoint);
  CHECK(report.contract_liability == 0);
}

// Worked by hand in docs/loyalty.md, "Bonus points": A earns 1,000
// points on an order on day 0 and is awarded 200 bonus points on day 5
// that expire first, on day 400; on day 100 A redeems 400, which takes
// the 200 bonus points and 200 of the order's.
TEST_CASE("bonus points defer no revenue and are provided for") {
  int64_t day0 = At("2025-01-01T00:00:00Z");
  Ledger a;
  EarnOk(a, day0, 1000, day0 + 730 * kDay, "a-order");
  a.MarkBonus(EarnOk(a, day0 + 5 * kDay, 200, day0 + 400 * kDay, "award"));
  REQUIRE(a.Burn(day0 + 100 * kDay, 400, "a-redeem").ok());

  LiabilityInputs inputs = HalfCentInputs(day0 + 50 * kDay, day0 + 150 * kDay);
  LiabilityReport report = ComputeLiability({{&a, ""}}, inputs);

  // Every point is still counted as before.
  CHECK(report.at_end.issued == 1200);
  CHECK(report.at_end.redeemed == 400);
  CHECK(report.at_end.outstanding == 800);
  CHECK(report.face_value == 4'000'000);
  CHECK(report.bonus_at_end.issued == 200);
  CHECK(report.bonus_at_end.redeemed == 200);
  CHECK(report.bonus_at_end.outstanding == 0);
  CHECK(report.bonus_at_start.outstanding == 200);

  // Revenue: only the order's 1,000 points deferred any, 5.00 EUR; of
  // them 200 are redeemed and 800 outstanding, so 5.00 x 200 / (200 +
  // 800 x 82%) = 1.168224 is recognised, all in the period.
  CHECK(report.deferred_total == 5'000'000);
  CHECK(report.recognised_total == 1'168'224);
  CHECK(report.recognised_in_period == 1'170'000);
  CHECK(report.contract_liability == 5'000'000 - 1'170'000);

  // The provision: 200 x 0.005 x 82% = 0.82 at the start, nothing at the
  // end; the redemption used 1.00 of it, so the period is charged 0.18
  // (the breakage expected of those points that did not happen).
  CHECK(report.bonus_provision == 0);
  CHECK(report.bonus_charge_in_period == 180'000);

  std::string csv = loyalty::FormatLiabilityCsv(report, "EUR");
  CHECK_THAT(csv, Catch::Contains("revenue deferred to date (EUR),5.00\n"));
  CHECK_THAT(csv, Catch::Contains("bonus points redeemed to date,200\n"));
  CHECK_THAT(csv,
             Catch::Contains("bonus points charged in period (EUR),0.18\n"));
  // The roll-forward: 0.82 at the start + 0.18 charged - 1.00 used =
  // 0.00.
  CHECK_THAT(csv, Catch::EndsWith("bonus points provision (EUR),0.00\n"
                                  "bonus points charged in period (EUR),"
                                  "0.18\n"
                                  "bonus points redeemed in period,200\n"
                                  "bonus points provision at start (EUR),"
                                  "0.82\n"
                                  "bonus points used in period (EUR),"
                                  "1.00\n"));
}

// Each pool of points adds up: issued = redeemed + expired + outstanding
// - owed.
void CheckAddsUp(const loyalty::PointTotals& points) {
  CHECK(points.issued ==
        points.redeemed + points.expired + points.outstanding - points.owed);
}

// An award that pays back points owed pays for a reward the refunded
// sale's points had bought: a gift, so a cost of the bonus points. It
// used to turn into sale points, showing the award as revenue deferred
// and recognised at once, and costing nothing.
TEST_CASE("bonus points repaying points owed are used, never revenue") {
  int64_t t0 = At("2025-01-01T00:00:00Z");
  Ledger ledger;
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order");
  REQUIRE(ledger.Burn(t0 + kDay, 100, "redeem").ok());
  REQUIRE(ledger.Refund(t0 + 2 * kDay, order, 100, "refund").ok());
  ledger.MarkBonus(EarnOk(ledger, t0 + 3 * kDay, 30, t0 + 100 * kDay, "award"));

  // The period of the award alone: the refund is before it.
  LiabilityInputs inputs = HalfCentInputs(t0 + 2 * kDay, t0 + 4 * kDay);
  LiabilityReport report = ComputeLiability({{&ledger, ""}}, inputs);

  const loyalty::PointTotals& bonus = report.bonus_at_end;
  CHECK(bonus.issued == 30);
  CHECK(bonus.redeemed == 30);
  CHECK(bonus.outstanding == 0);
  CHECK(report.at_end.owed == 70);
  // No sale paid for anything: the refunded order's points are gone,
  // and what they bought is paid for by the award and the 70 owed.
  CHECK(report.deferred_total == 0);
  CHECK(report.recognised_total == 0);
  CHECK(report.recognised_in_period == 0);
  // The award cost its value: 30 x 0.005, all used in the period.
  CHECK(report.bonus_provision == 0);
  CHECK(report.bonus_charge_in_period == 30 * kHalfCentPerPoint);
  CheckAddsUp(report.at_end);
  CheckAddsUp(bonus);
  CheckAddsUp(loyalty::PointTotals{
      report.at_end.issued - bonus.issued,
      report.at_end.redeemed - bonus.redeemed,
      report.at_end.expired - bonus.expired,
      report.at_end.outstanding - bonus.outstanding, report.at_end.owed});

  // A sale's points paying back the rest are that sale's, redeemed at
  // once: its revenue is recognised when it earns them.
  EarnOk(ledger, t0 + 5 * kDay, 70, t0 + 100 * kDay, "second-order");
  inputs = HalfCentInputs(t0 + 4 * kDay, t0 + 6 * kDay);
  report = ComputeLiability({{&ledger, ""}}, inputs);
  CHECK(report.at_end.owed == 0);
  CHECK(report.bonus_at_end.redeemed == 30);
  CHECK(report.deferred_total == 70 * kHalfCentPerPoint);
  CHECK(report.recognised_in_period == 70 * kHalfCentPerPoint);
  CHECK(report.bonus_charge_in_period == 0);
}

// The order's points were spent, and its refund takes bonus points the
// member holds: they pay for the reward in its place. They used to be
// cancelled, releasing their provision, while the refunded sale kept
// its redemption and so its revenue.
TEST_CASE(
    "bonus points a refund takes pay for what the order's points bought") {
  int64_t t0 = At("2025-01-01T00:00:00Z");
  Ledger ledger;
  int64_t order = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order");
  REQUIRE(ledger.Burn(t0 + kDay, 100, "redeem").ok());
  ledger.MarkBonus(EarnOk(ledger, t0 + 2 * kDay, 40, t0 + 100 * kDay, "award"));
  REQUIRE(ledger.Refund(t0 + 3 * kDay, order, 100, "refund").ok());

  LiabilityInputs inputs = HalfCentInputs(t0 + 2 * kDay + 1, t0 + 4 * kDay);
  LiabilityReport report = ComputeLiability({{&ledger, ""}}, inputs);

  CHECK(report.at_end.owed == 60);
  CHECK(report.bonus_at_end.issued == 40);
  CHECK(report.bonus_at_end.redeemed == 40);
  CHECK(report.bonus_at_end.outstanding == 0);
  // The sale is undone: nothing deferred or recognised; what was
  // recognised at its redemption is reversed in the period.
  CHECK(report.deferred_total == 0);
  CHECK(report.recognised_total == 0);
  CHECK(report.recognised_in_period == -100 * kHalfCentPerPoint);
  // Provision 40 x 0.005 x 82% = 0.164 at the start, shown 0.16,
  // nothing at the end, and 0.20 used: charged 0.04.
  CHECK(report.bonus_provision_at_start == 164'000);
  CHECK(report.bonus_charge_in_period == 40'000);
  CheckAddsUp(report.at_end);
  CheckAddsUp(report.bonus_at_end);
}

// The figures of a period were its exact difference rounded on its own,
// so consecutive periods could add up to a cent less than the total to
// date (0.004 and 0.002 recognised, shown 0.00 and 0.00, against 0.01),
// and the provision's roll-forward could miss by a cent too.
TEST_CASE("the figures of consecutive periods add up to the cent") {
  int64_t t0 = At("2025-01-01T00:00:00Z");
  Ledger ledger;
  EarnOk(ledger, t0, 2, loyalty::kNeverExpires, "first-order");
  REQUIRE(ledger.Burn(t0 + kDay, 2, "first-reward").ok());
  ledger.MarkBonus(
      EarnOk(ledger, t0 + 2 * kDay, 3, loyalty::kNeverExpires, "award"));
  EarnOk(ledger, t0 + 10 * kDay, 2, loyalty::kNeverExpires, "second-order");
  // Draws the 3 bonus points and 1 of the order's: of the 4 sale points
  // 3 are redeemed and 1 is left, so 0.006 of 0.008 is recognised to
  // date, 0.002 of it in the second period.
  REQUIRE(ledger.Burn(t0 + 11 * kDay, 4, "second-reward").ok());

  LiabilityInputs inputs;
  inputs.value_per_point = 2000;  // 0.002 EUR
  inputs.breakage_millionths = 0;
  inputs.currency = "EUR";
  inputs.period_start = t0 - 1;
  inputs.as_of = t0 + 5 * kDay;
  LiabilityReport first = ComputeLiability({{&ledger, ""}}, inputs);
  inputs.period_start = inputs.as_of;
  inputs.as_of = t0 + 20 * kDay;
  LiabilityReport second = ComputeLiability({{&ledger, ""}}, inputs);

  using loyalty::FormatCents;
  CHECK(FormatCents(first.recognised_total) == "0.00");
  CHECK(FormatCents(first.recognised_in_period) == "0.00");
  CHECK(FormatCents(second.recognised_total) == "0.01");
  CHECK(FormatCents(second.recognised_in_period) == "0.01");

  // The provision: 3 x 0.002 = 0.006, shown 0.01, at the end of the
  // first period; all used in the second. Opening 0.01 + charged - used
  // 0.01 = closing 0.00.
  CHECK(FormatCents(first.bonus_provision) == "0.01");
  CHECK(FormatCents(first.bonus_charge_in_period) == "0.01");
  CHECK(FormatCents(second.bonus_provision_at_start) == "0.01");
  CHECK(FormatCents(second.bonus_used_in_period) == "0.01");
  CHECK(FormatCents(second.bonus_provision) == "0.00");
  CHECK(FormatCents(second.bonus_charge_in_period) == "0.00");
}

TEST_CASE("points refunded after being spent are owed, not valued") {
  Ledger ledger;
  int64_t t0 = At("2025-01-01T00:00:00Z");
  int64_t lot = EarnOk(ledger, t0, 100, t0 + 100 * kDay, "order");
  REQUIRE(ledger.Burn(t0 + kDay, 100, "redeem").ok());
  REQUIRE(ledger.Refund(t0 + 2 * kDay, lot, 100, "refund").ok());

  loyalty::PointTotals totals = loyalty::TotalsAsOf(ledger, t0 + 3 * kDay);
  CHECK(totals.issued == 0);
  CHECK(totals.owed == 100);
  CHECK(totals.outstanding - totals.owed ==
        totals.issued - totals.redeemed - totals.expired);
}

TEST_CASE("money rounds half away from zero to cents, once") {
  CHECK(loyalty::FormatCents(0) == "0.00");
  CHECK(loyalty::FormatCents(5000) == "0.01");
  CHECK(loyalty::FormatCents(4999) == "0.00");
  CHECK(loyalty::FormatCents(-5000) == "-0.01");
  CHECK(loyalty::FormatCents(-4999) == "0.00");
  CHECK(loyalty::FormatCents(1'234'567) == "1.23");
  CHECK(loyalty::FormatCents(INT64_MIN) == "-9223372036854.78");
}

TEST_CASE("money rounds half away from zero to its currency's minor unit") {
  CHECK(loyalty::FormatAmount(1'234'567, "EUR") == "1.23");
  CHECK(loyalty::FormatAmount(1'234'567, "") == "1.23");
  CHECK(loyalty::FormatAmount(1'500'000, "JPY") == "2");
  CHECK(loyalty::FormatAmount(-1'500'000, "JPY") == "-2");
  CHECK(loyalty::FormatAmount(-499'999, "KRW") == "0");
  CHECK(loyalty::FormatAmount(1'234'500, "KWD") == "1.235");
  CHECK(loyalty::FormatAmount(5'000, "BHD") == "0.005");
  CHECK(loyalty::FormatAmount(INT64_MIN, "JPY") == "-9223372036855");
}

}  // namespace
}  // namespace parcours
