// A loyalty member's points ledger: lots, movements, expiry and refunds.
//
// Points are whole numbers. Every change of a balance is a `Movement` row
// that names the lot it touched; rows are only ever appended, so the
// ledger is the audit trail finance and support read, and the balance is
// derived from it (`Verify` checks that the two agree).
//
// The rules, stated once (docs/loyalty.md repeats them for finance):
//   - Each earning opens a lot with its own expiry instant. A lot expires
//     at that instant exactly: at `expires_at` its points are gone.
//   - A redemption draws from the lots that expire first (ties: the older
//     lot), so expiry never takes points that could have been spent
//     instead, and never takes points already spent.
//   - A redemption larger than the balance is refused and changes nothing.
//   - A refund takes back the points its earning gave: first what is left
//     of that earning's lot, then, for the part already spent, from the
//     other lots in redemption order. What the balance cannot cover becomes
//     points owed (a negative balance) that later earnings pay back first,
//     so that "earn, redeem, refund" cannot be used to keep points. The
//     part that expired was lost already: nothing is taken for it.
//   - Every operation at instant T first expires the lots due at or before
//     T, each at its own instant, so rows are in time order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/common/status.h"

namespace parcours::loyalty {

enum class MovementKind : uint8_t {
  Earn,    // a new lot
  Burn,    // a redemption drawing from a lot
  Expire,  // what was left of a lot at its expiry instant
  Refund,  // points taken back because their earning was refunded
  Repay,   // an earning paying back points owed; the balance is unchanged
};

// Lower-case name used in action lines and reports ("earn", ...).
const char* MovementKindName(MovementKind kind);

// A lot number that names no lot: the row moved points owed, not a lot.
inline constexpr int64_t kNoLot = 0;

// A lot that never expires.
inline constexpr int64_t kNeverExpires = INT64_MAX;

struct Movement {
  int64_t seq = 0;  // 1, 2, ... in the order rows were appended
  int64_t at = 0;   // seconds since the epoch, UTC
  MovementKind kind = MovementKind::Earn;
  int64_t points = 0;     // signed change of the balance
  int64_t lot = kNoLot;   // the lot this row drew from or opened
  int64_t lot_delta = 0;  // signed change of that lot's remaining points
  std::string source;     // key of the event that caused it
};

struct Lot {
  int64_t id = kNoLot;  // 1, 2, ... in order of earning
  int64_t earned_at = 0;
  int64_t expires_at = kNeverExpires;
  int64_t earned = 0;      // points the earning gave
  int64_t remaining = 0;   // not yet burned, expired or taken back
  int64_t refunded = 0;    // points of this earning taken back by refunds
  bool qualifying = true;  // whether it counts towards tiers
  // Points given for nothing (an `award`, an `earn ... on` not `part of
  // the sale`): no revenue was deferred for them (liability.h).
  bool bonus = false;
  std::string source;  // key of the earning event
  // The order amount the lot earned on, in kDecimalScale units of
  // `order_currency` (0 when it earned on no amount, or before amounts
  // were kept), and how much of it refunds have returned so far.
  int64_t order_amount = 0;
  int64_t order_currency = 0;
  int64_t refunded_amount = 0;
};

class Ledger {
 public:
  // Opens a lot of `points` (> 0) earned at `at`. Points owed are paid
  // back from it first. Returns the lot's id.
  common::Expected<int64_t> Earn(int64_t at, int64_t points, int64_t expires_at,
                                 bool qualifying, const std::string& source);

  // Redeems `points` (> 0) at `at`, drawing from the lots that expire
  // first. Refused, with nothing changed, when the balance is smaller.
  common::Status Burn(int64_t at, int64_t points, const std::string& source);

  // Refunds up to `points` (> 0) of what lot `lot` earned: never more
  // than the earning gave minus what earlier refunds covered. The points
  // refunded no longer qualify for tiers; those of them that had expired
  // are not taken back again. Returns the points taken back.
  common::Expected<int64_t> Refund(int64_t at, int64_t lot, int64_t points,
                                   const std::string& source);

  // Records the order amount lot `lot` earned on, for refunds of part of
  // the order (`RefundAmount`).
  void SetOrderAmount(int64_t lot, int64_t amount, int64_t currency);

  // Marks lot `lot` as bonus points, given with no sale (`Lot::bonus`).
  void MarkBonus(int64_t lot);

  // Refunds `amount` (> 0, in `currency`) of the order lot `lot` earned
  // on. The member keeps the points of the part of the order not yet
  // refunded, in proportion and rounded down as earning rounds:
  //   kept = floor(earned x (order amount - amount refunded) / order amount)
  // and loses the rest, less what earlier refunds took, by the rules of
  // `Refund`. An amount beyond what is left of the order counts as what
  // is left. Refused, with nothing changed, for a lot with no amount
  // recorded or in another currency; nothing changes either once every
  // point of the lot is taken back. Returns the points taken back.
  common::Expected<int64_t> RefundAmount(int64_t at, int64_t lot,
                                         int64_t amount, int64_t currency,
                                         const std::string& source);

  // Expires, in order of (expiry instant, lot), every lot due at or before
  // `time`. Operations call it themselves; a report calls it to see the
  // ledger as of a date.
  void ExpireThrough(int64_t time);

  // The balance: points held minus points owed. Negative only after a
  // refund of points already spent.
  int64_t Balance() const { return held_ - owed_; }
  int64_t Owed() const { return owed_; }

  // Points earned on qualifying lots in (`from`, `to`], less what refunds
  // took back from those earnings: what tiers are measured on.
  int64_t QualifyingPoints(int64_t from, int64_t to) const;

  // The lot whose earning had key `source`, or kNoLot.
  int64_t FindLotBySource(const std::string& source) const;

  // Every lot whose earning had key `source`, in order of earning: one
  // event can earn several lots of one key (two `earn ... on` rules).
  std::vector<int64_t> FindLotsBySource(const std::string& source) const;

  const std::vector<Movement>& movements() const { return movements_; }
  const std::vector<Lot>& lots() const { return lots_; }
  const Lot& lot(int64_t id) const { return lots_.at(id - 1); }

  // The instant of the next expiry, or kNeverExpires: when the engine must
  // wake the member to write it.
  int64_t NextExpiry() const;

  // A ledger read back from storage: the lots with the fields their
  // earning fixed (and `refunded`), the rows in order, and the points
  // held and owed as they were saved. Each lot's remaining points are
  // summed from its rows; `Verify` then compares the saved figures with
  // the rows, so a row changed after it was written shows.
  static Ledger Restore(std::vector<Lot> lots, std::vector<Movement> rows,
                        int64_t held, int64_t owed);

  // Recomputes every derived figure from the rows alone and compares:
  // each lot's remaining points with the sum of its rows, the balance with
  // the sum of all rows. Empty when they agree, otherwise the first
  // disagreement.
  std::string Verify() const;

 private:
  common::Status CheckOrder(int64_t at) const;
  void Append(int64_t at, MovementKind kind, int64_t points, int64_t lot,
              int64_t lot_delta, const std::string& source);

  // Draws `points` (<= held_) from the lots in redemption order, writing a
  // row of `kind` for each lot touched; `skip` names a lot not to draw
  // from (kNoLot for none).
  void DrawInRedemptionOrder(int64_t at, int64_t points, MovementKind kind,
                             int64_t skip, const std::string& source);

  std::vector<Lot> lots_;
  std::vector<Movement> movements_;
  int64_t held_ = 0;  // sum of the lots' remaining points
  int64_t owed_ = 0;  // points taken back that the balance could not cover
  int64_t expired_through_ = INT64_MIN;
};

// Points earned for a money amount: `amount_units` (in millionths of the
// currency) times `points_per_unit` times `multiplier_millionths` (1x is
// 1,000,000), divided by `unit_units` (what one step of the rule is worth
// in millionths, e.g. 1 EUR), rounded down to a whole point once, on the
// whole amount and after the multiplier, never per item. Zero or negative
// amounts earn nothing. Saturates instead of overflowing.
int64_t PointsForAmount(int64_t amount_units, int64_t unit_units,
                        int64_t points_per_unit, int64_t multiplier_millionths);

}  // namespace parcours::loyalty
