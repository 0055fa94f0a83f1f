// The liability of a loyalty program at a date, from its members'
// ledgers, for finance (IFRS 15 "material right" accounting).
//
// The method, stated once (docs/loyalty.md explains it with an example):
//   - Each point issued carries `value_per_point` of revenue, deferred
//     until the point is used or lost: the program's stand-alone selling
//     price of a point. Points taken back by refunds are not issued.
//   - Breakage `b` is the share of outstanding points expected never to be
//     redeemed; it is an estimate, given anew for each report.
//   - Revenue is recognised in proportion to redemptions (cumulative
//     catch-up): by a date, the share recognised of everything deferred is
//         redeemed / (redeemed + outstanding * (1 - b))
//     that is, points redeemed so far over all the points expected to be
//     redeemed in the end. Expiry needs no rule of its own: expired points
//     leave "outstanding", which raises the share; when nothing is left
//     outstanding, everything is recognised.
//   - The contract liability is what is deferred and not yet recognised;
//     the revenue of a period is the growth of the recognised total over
//     the period, the start read at the estimate of the last close and the
//     end at the revised one (so a revised `b` shows up in the period it
//     is revised).
//   - Bonus points (`Lot::bonus`: awards, earnings on events not part of
//     a sale) deferred no revenue, as no customer paid for them. They
//     are kept apart: the revenue figures count sale points only, and
//     the bonus points outstanding are a provision for the cost of
//     honouring them, valued at `value_per_point` and net of breakage
//     (IAS 37); its charge in a period is its growth plus what
//     redemptions used of it. Bonus points that settle points a refunded
//     sale had redeemed (taken by its refund, or paying back points owed)
//     are used like a redemption: the reward they pay for is a cost,
//     never revenue.
//   - Amounts are exact (millionths of the currency, 128-bit
//     intermediates); rounding to cents happens once, when formatted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/loyalty/ledger.h"

namespace parcours::loyalty {

struct MemberBook {
  const Ledger* ledger = nullptr;
  std::string tier;  // the member's tier at the report's date; "" for none
};

struct LiabilityInputs {
  int64_t period_start = 0;  // the period is (period_start, as_of]
  int64_t as_of = 0;
  int64_t value_per_point = 0;      // millionths of the currency
  int64_t breakage_millionths = 0;  // 18% is 180,000
  // The estimate the period's start is read at: the one in force at the
  // last close, so that the catch-up of a revision shows in the period of
  // the revision. -1: `breakage_millionths`.
  int64_t opening_breakage_millionths = -1;
  // The program's currency: the figures of the period are differences
  // of figures rounded to its minor unit (cents when empty).
  std::string currency;
};

// Points as of a date, from the ledger rows at or before it.
struct PointTotals {
  int64_t issued = 0;  // earned, less what refunds took back
  int64_t redeemed = 0;
  int64_t expired = 0;
  int64_t outstanding = 0;  // held by members, redeemable
  int64_t owed = 0;         // refunded after being spent, not yet repaid
};

struct AgeBucket {
  std::string label;  // "0-90 days", ...
  int64_t points = 0;
};

struct LiabilityReport {
  PointTotals at_start;  // as of period_start, every point
  PointTotals at_end;    // as of as_of, every point
  // The bonus points among them (no `owed`: refunds take back sale
  // points). Bonus points that a refund or a repayment took to settle
  // what a refunded sale's points had redeemed count as bonus points
  // redeemed, and no longer as the sale's: the gift paid for the
  // reward, which no sale paid for.
  PointTotals bonus_at_start;
  PointTotals bonus_at_end;
  // Outstanding points at `as_of` by the age of their lot and by tier.
  std::vector<AgeBucket> by_age;
  std::map<std::string, int64_t> by_tier;
  // Money, in millionths of the currency, at `as_of` unless named.
  int64_t face_value = 0;         // outstanding * value per point
  int64_t expected_breakage = 0;  // face value * b
  int64_t deferred_total = 0;     // sale points issued * value per point
  int64_t recognised_total = 0;   // by `as_of`, cumulative
  // The figures below that are differences (the liability, those of
  // the period) are of the figures rounded to the currency's minor unit,
  // so that what is shown adds up to the cent.
  int64_t contract_liability = 0;    // deferred_total - recognised_total
  int64_t recognised_at_start = 0;   // at period_start, opening estimate
  int64_t recognised_in_period = 0;  // recognised_total - at start
  // Bonus outstanding * value per point * (1 - b), at `as_of`, and at
  // `period_start` at the opening estimate.
  int64_t bonus_provision = 0;
  int64_t bonus_provision_at_start = 0;
  // Value of the bonus points redeemed (used) in the period.
  int64_t bonus_used_in_period = 0;
  // The provision at `as_of` - at `period_start` + used in the period.
  int64_t bonus_charge_in_period = 0;
};

// Totals of `ledger` from its rows at or before `as_of`, with the lots
// due by then expired (a ledger whose own clock is earlier is projected;
// rows after `as_of` are left out).
PointTotals TotalsAsOf(const Ledger& ledger, int64_t as_of);

LiabilityReport ComputeLiability(const std::vector<MemberBook>& members,
                                 const LiabilityInputs& inputs);

// Millionths as a decimal amount rounded half away from zero to cents:
// 1234567 -> "1.23", -5000 -> "-0.01".
std::string FormatCents(int64_t millionths);

// Millionths as an amount of `currency`, rounded half away from zero to
// its minor unit: cents for EUR ("1.23"), whole yen for JPY ("1"),
// thousandths for KWD ("1.235"); cents without a currency.
std::string FormatAmount(int64_t millionths, std::string_view currency);

// The report as CSV for finance: one `figure,value` row per figure, money
// in `currency`, to its minor unit.
std::string FormatLiabilityCsv(const LiabilityReport& report,
                               const std::string& currency);

}  // namespace parcours::loyalty
