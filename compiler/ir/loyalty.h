// The IR part of a loyalty `program`: the rules the runtime applies to each
// profile's points ledger (runtime/loyalty/, runtime/engine/loyalty.h).
//
// Everything is plain data but the multipliers' conditions, which are IR
// Functions of the profile so that both engines evaluate them. Amounts are
// in `kDecimalScale` units of their currency; lengths are either exact
// seconds or a count of calendar units on the member's local calendar.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parcours::ir {

enum class CalendarUnit : uint8_t;

// `24 months` (calendar, in the member's zone) or `30d` (exact seconds).
// A count of 0 means "not given".
struct LoyaltyLength {
  int64_t count = 0;
  bool calendar = false;
  CalendarUnit unit{};  // when calendar
};

// `earn 1 point per 1 EUR of OrderPlaced.total`
struct EarnPerAmount {
  int32_t event_type = 0;
  int32_t field = 0;  // a money field of the event
  int64_t points = 0;
  int64_t unit_amount = 0;    // kDecimalScale units: 1 EUR is 1,000,000
  int64_t unit_currency = 0;  // PackCurrency of the unit
};

// `earn 200 points on ReviewPosted, at most once per 30d`
struct EarnOnEvent {
  int32_t event_type = 0;
  int64_t points = 0;
  LoyaltyLength at_most_once_per;  // count 0: every event earns
  // `part of the sale`: the points are revenue deferred, like points
  // earned on money; otherwise bonus points (docs/loyalty.md).
  bool part_of_sale = false;
};

// `multiply 2x when tier(loyalty) >= Gold`
struct Multiplier {
  int64_t factor = 0;      // kDecimalScale units: 2x is 2,000,000
  int32_t condition = -1;  // Function index, of the profile alone
};

struct LoyaltyTier {
  std::string name;       // a value of the program's tier enum
  int32_t value = 0;      // its index in that enum
  int64_t threshold = 0;  // qualifying points
  LoyaltyLength within;
};

struct LoyaltyProgram {
  std::string name;
  std::vector<EarnPerAmount> earn_per_amount;
  std::vector<EarnOnEvent> earn_on_event;
  std::vector<Multiplier> multipliers;  // all that hold multiply together
  // `burn on E.f` and `refund on E.f`: event type and field (Int; for a
  // refund, Int or String), or -1. A refund's field holds the refunded
  // order's id, matched against the field of the same name and type of
  // the event that earned the points.
  int32_t burn_event = -1;
  int32_t burn_field = -1;
  int32_t refund_event = -1;
  int32_t refund_field = -1;
  // `refund E.amount on E.order_id`: the money field of the refund event
  // holding the amount refunded, or -1 when a refund takes back the whole
  // order. Its points are taken back in proportion to the order's amount.
  int32_t refund_amount_field = -1;
  LoyaltyLength expire;                  // count 0: points never expire
  LoyaltyLength notice;                  // count 0: no `PointsExpiring`
  std::vector<LoyaltyTier> tiers;        // ascending thresholds
  std::vector<std::string> tier_values;  // every value of the tier enum
  LoyaltyLength keep_tier;               // count 0: reviewed at every change
  int64_t value_per_point = 0;           // kDecimalScale units of `currency`
  int64_t currency = 0;                  // PackCurrency, 0 when no `value`
  int64_t breakage = 0;                  // kDecimalScale units of one percent
  // Hidden profile words the runtime keeps up to date for expressions:
  // the balance (Int), the tier (Int: its index in the tier enum, -1 for
  // none) and the share of the balance the current event redeemed
  // (Decimal).
  int32_t balance_offset = -1;
  int32_t tier_offset = -1;
  int32_t redeemed_share_offset = -1;
};

}  // namespace parcours::ir
