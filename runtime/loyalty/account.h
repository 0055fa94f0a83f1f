// One member's standing in one loyalty program, as the engine keeps it:
// the points ledger, the tier, and what the program's limits remember.
#pragma once

#include <cstdint>
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

  // What the store has written: rows and lots up to these counts. Rows
  // are only appended; lots are rewritten only for `refunded`.
  size_t saved_rows = 0;
  bool changed = false;
};

}  // namespace parcours::loyalty
