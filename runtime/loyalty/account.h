// One member's standing in one loyalty program, as the engine keeps it:
// the points ledger, the tier, and what the program's limits remember.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "runtime/loyalty/ledger.h"
#include "runtime/loyalty/tiers.h"

namespace parcours::loyalty {

// No earning yet under an `at most once per` rule.
inline constexpr int64_t kNeverEarned = INT64_MIN;

struct Account {
  Ledger ledger;
  TierStatus tier;
  // By `earn ... on E` rule, in program order: when it last earned.
  std::vector<int64_t> last_earned_on;
  // Lots are noticed (`PointsExpiring`) in order of id, which is their
  // order of expiry: the last lot noticed, 0 for none.
  int64_t noticed_through_lot = 0;

  // Changes of tier not yet saved: when, and the tier (kNoTier for none).
  // Saved, they are the history a report reads the tier at a date from.
  std::vector<std::pair<int64_t, int32_t>> unsaved_tiers;

  // What the store has written: the first `saved_rows` rows (rows are
  // only appended), and each lot with the `refunded` and
  // `refunded_amount` it had then (a lot's other columns never change, so
  // a lot is written again only when a refund changes it).
  size_t saved_rows = 0;
  std::vector<std::pair<int64_t, int64_t>> saved_refunds;
  bool changed = false;
};

}  // namespace parcours::loyalty
