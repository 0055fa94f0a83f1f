#include "runtime/loyalty/ledger.h"

#include <algorithm>
#include <limits>
#include <map>

#include "compiler/ir/ir.h"

namespace parcours::loyalty {

using common::Expected;
using common::Status;

const char* MovementKindName(MovementKind kind) {
  switch (kind) {
    case MovementKind::Earn: return "earn";
    case MovementKind::Burn: return "burn";
    case MovementKind::Expire: return "expire";
    case MovementKind::Refund: return "refund";
    case MovementKind::Repay: return "repay";
  }
  return "?";
}

void Ledger::Append(int64_t at, MovementKind kind, int64_t points, int64_t lot,
                    int64_t lot_delta, const std::string& source) {
  Movement row;
  row.seq = static_cast<int64_t>(movements_.size()) + 1;
  row.at = at;
  row.kind = kind;
  row.points = points;
  row.lot = lot;
  row.lot_delta = lot_delta;
  row.source = source;
  movements_.push_back(std::move(row));
}

Status Ledger::CheckOrder(int64_t at) const {
  // Rows are appended in time order; the engine's clock never goes back,
  // so an earlier instant is a caller's bug worth a clear refusal.
  if (!movements_.empty() && at < movements_.back().at) {
    return Status::Error("a movement at " + std::to_string(at) +
                         " is earlier than the last row of the ledger");
  }
  return Status::Ok();
}

Expected<int64_t> Ledger::Earn(int64_t at, int64_t points, int64_t expires_at,
                               bool qualifying, const std::string& source) {
  if (points <= 0) {
    return Status::Error("an earning must give at least one point, not " +
                         std::to_string(points));
  }
  if (expires_at <= at) {
    return Status::Error("points would expire before they are earned");
  }
  if (Status order = CheckOrder(at); !order.ok()) return order;
  ExpireThrough(at);
  // Past the largest whole number the balance wrapped round to a
  // negative one, and every figure of the report with it.
  if (points > std::numeric_limits<int64_t>::max() - held_) {
    return Status::Error(
        "an earning of " + std::to_string(points) +
        " points would take the points held past " +
        std::to_string(std::numeric_limits<int64_t>::max()) +
        ", the most a ledger can count; is the amount or the rate wrong?");
  }

  Lot lot;
  lot.id = static_cast<int64_t>(lots_.size()) + 1;
  lot.earned_at = at;
  lot.expires_at = expires_at;
  lot.earned = points;
  lot.remaining = points;
  lot.qualifying = qualifying;
  lot.source = source;
  lots_.push_back(lot);
  held_ += points;
  Append(at, MovementKind::Earn, points, lot.id, points, source);

  // Points owed are paid back before the new points can be spent. The
  // balance already counts them as gone, so the row moves no balance.
  int64_t repaid = std::min(owed_, points);
  if (repaid > 0) {
    lots_.back().remaining -= repaid;
    held_ -= repaid;
    owed_ -= repaid;
    Append(at, MovementKind::Repay, 0, lot.id, -repaid, source);
  }
  return lot.id;
}

void Ledger::DrawInRedemptionOrder(int64_t at, int64_t points,
                                   MovementKind kind, int64_t skip,
                                   const std::string& source) {
  // The lots with points left, soonest expiry first, then oldest.
  std::vector<Lot*> order;
  for (Lot& lot : lots_) {
    if (lot.remaining > 0 && lot.id != skip) order.push_back(&lot);
  }
  std::sort(order.begin(), order.end(), [](const Lot* a, const Lot* b) {
    if (a->expires_at != b->expires_at) return a->expires_at < b->expires_at;
    return a->id < b->id;
  });

  for (Lot* lot : order) {
    if (points == 0) break;
    int64_t taken = std::min(points, lot->remaining);
    lot->remaining -= taken;
    held_ -= taken;
    points -= taken;
    Append(at, kind, -taken, lot->id, -taken, source);
  }
  PARCOURS_CHECK(points == 0, "drawing more points than the lots hold");
}

Status Ledger::Burn(int64_t at, int64_t points, const std::string& source) {
  if (points <= 0) {
    return Status::Error("a redemption must use at least one point, not " +
                         std::to_string(points));
  }
  if (Status order = CheckOrder(at); !order.ok()) return order;
  ExpireThrough(at);
  if (points > Balance()) {
    return Status::Error("a redemption of " + std::to_string(points) +
                         (points == 1 ? " point" : " points") +
                         " exceeds the balance of " +
                         std::to_string(Balance()));
  }
  DrawInRedemptionOrder(at, points, MovementKind::Burn, kNoLot, source);
  return Status::Ok();
}

Expected<int64_t> Ledger::Refund(int64_t at, int64_t lot_id, int64_t points,
                                 const std::string& source) {
  if (lot_id < 1 || lot_id > static_cast<int64_t>(lots_.size())) {
    return Status::Error("no earning " + std::to_string(lot_id) + " to refund");
  }
  if (points <= 0) {
    return Status::Error("a refund must take back at least one point, not " +
                         std::to_string(points));
  }
  if (Status order = CheckOrder(at); !order.ok()) return order;
  ExpireThrough(at);

  Lot& lot = lots_[lot_id - 1];
  int64_t due = std::min(points, lot.earned - lot.refunded);
  if (due == 0) return int64_t{0};

  // The points of the earning that expired are lost to the member
  // already: the refund annuls them (they no longer qualify for tiers)
  // but takes nothing in their place. Annulments count against what is
  // left, spent or taken back before the expired part.
  int64_t expired = 0;
  for (const Movement& row : movements_) {
    if (row.kind == MovementKind::Expire && row.lot == lot.id) {
      expired -= row.lot_delta;
    }
  }
  int64_t claim =
      std::clamp<int64_t>(lot.earned - expired - lot.refunded, 0, due);
  lot.refunded += due;

  // First what is left of the refunded earning itself.
  int64_t from_lot = std::min(claim, lot.remaining);
  if (from_lot > 0) {
    lot.remaining -= from_lot;
    held_ -= from_lot;
    Append(at, MovementKind::Refund, -from_lot, lot.id, -from_lot, source);
  }

  // The part already spent comes out of the other lots; what they cannot
  // cover is owed.
  int64_t rest = claim - from_lot;
  int64_t from_others = std::min(rest, held_);
  if (from_others > 0) {
    DrawInRedemptionOrder(at, from_others, MovementKind::Refund, lot.id,
                          source);
  }
  int64_t owed = rest - from_others;
  if (owed > 0) {
    owed_ += owed;
    Append(at, MovementKind::Refund, -owed, kNoLot, 0, source);
  }
  return claim;
}

void Ledger::SetOrderAmount(int64_t lot_id, int64_t amount, int64_t currency) {
  Lot& lot = lots_.at(lot_id - 1);
  lot.order_amount = amount;
  lot.order_currency = currency;
}

void Ledger::MarkBonus(int64_t lot_id) { lots_.at(lot_id - 1).bonus = true; }

Expected<int64_t> Ledger::RefundAmount(int64_t at, int64_t lot_id,
                                       int64_t amount, int64_t currency,
                                       const std::string& source) {
  if (lot_id < 1 || lot_id > static_cast<int64_t>(lots_.size())) {
    return Status::Error("no earning " + std::to_string(lot_id) + " to refund");
  }
  const Lot& lot = lots_[lot_id - 1];
  if (lot.order_amount <= 0) {
    return Status::Error(
        "the amount of that order was not recorded when it earned (an "
        "earning from before partial refunds were kept), so the share to "
        "take back is unknown");
  }
  if (currency != lot.order_currency) {
    return Status::Error("the refund is in " + ir::UnpackCurrency(currency) +
                         " but the order was in " +
                         ir::UnpackCurrency(lot.order_currency));
  }
  if (amount <= 0) {
    return Status::Error("a refund must return an amount above zero");
  }
  if (Status order = CheckOrder(at); !order.ok()) return order;
  // Every point of the order is taken back already (by a refund of the
  // whole order, or by parts that left less than a point's worth): more
  // of its amount changes nothing, and counting it would make the next
  // message speak of points still to come.
  if (lot.refunded >= lot.earned) return int64_t{0};

  int64_t left = lot.order_amount - lot.refunded_amount;
  int64_t refunded_amount = lot.refunded_amount + std::min(amount, left);
  // 128 bits: points times an amount in millionths can pass 2^63.
  auto kept = static_cast<int64_t>(static_cast<__int128>(lot.earned) *
                                   (lot.order_amount - refunded_amount) /
                                   lot.order_amount);
  int64_t due = lot.earned - kept - lot.refunded;
  lots_[lot_id - 1].refunded_amount = refunded_amount;
  if (due <= 0) return int64_t{0};
  return Refund(at, lot_id, due, source);
}

void Ledger::ExpireThrough(int64_t time) {
  if (time <= expired_through_) return;
  expired_through_ = time;

  std::vector<Lot*> due;
  for (Lot& lot : lots_) {
    if (lot.remaining > 0 && lot.expires_at <= time) due.push_back(&lot);
  }
  std::sort(due.begin(), due.end(), [](const Lot* a, const Lot* b) {
    if (a->expires_at != b->expires_at) return a->expires_at < b->expires_at;
    return a->id < b->id;
  });
  for (Lot* lot : due) {
    int64_t lost = lot->remaining;
    lot->remaining = 0;
    held_ -= lost;
    Append(lot->expires_at, MovementKind::Expire, -lost, lot->id, -lost,
           lot->source);
  }
}

int64_t Ledger::QualifyingPoints(int64_t from, int64_t to) const {
  int64_t total = 0;
  for (const Lot& lot : lots_) {
    if (!lot.qualifying) continue;
    if (lot.earned_at <= from || lot.earned_at > to) continue;
    total += lot.earned - lot.refunded;
  }
  return total;
}

int64_t Ledger::FindLotBySource(const std::string& source) const {
  for (const Lot& lot : lots_) {
    if (lot.source == source) return lot.id;
  }
  return kNoLot;
}

std::vector<int64_t> Ledger::FindLotsBySource(const std::string& source) const {
  std::vector<int64_t> found;
  for (const Lot& lot : lots_) {
    if (lot.source == source) found.push_back(lot.id);
  }
  return found;
}

int64_t Ledger::NextExpiry() const {
  int64_t next = kNeverExpires;
  for (const Lot& lot : lots_) {
    if (lot.remaining > 0) next = std::min(next, lot.expires_at);
  }
  return next;
}

Ledger Ledger::Restore(std::vector<Lot> lots, std::vector<Movement> rows,
                       int64_t held, int64_t owed) {
  Ledger ledger;
  ledger.lots_ = std::move(lots);
  ledger.movements_ = std::move(rows);
  ledger.held_ = held;
  ledger.owed_ = owed;
  for (Lot& lot : ledger.lots_) lot.remaining = 0;
  for (const Movement& row : ledger.movements_) {
    bool known =
        row.lot >= 1 && row.lot <= static_cast<int64_t>(ledger.lots_.size());
    if (known) ledger.lots_[row.lot - 1].remaining += row.lot_delta;
  }
  // Lots due by the last row were expired when it was written.
  if (!ledger.movements_.empty()) {
    ledger.expired_through_ = ledger.movements_.back().at;
  }
  return ledger;
}

std::string Ledger::Verify() const {
  std::map<int64_t, int64_t> lot_sums;
  int64_t balance = 0;
  int64_t previous_at = std::numeric_limits<int64_t>::min();
  for (const Movement& row : movements_) {
    if (row.at < previous_at) {
      return "row " + std::to_string(row.seq) +
             " is earlier than the one "
             "before it";
    }
    previous_at = row.at;
    balance += row.points;
    if (row.lot != kNoLot) lot_sums[row.lot] += row.lot_delta;
  }

  int64_t held = 0;
  for (const Lot& lot : lots_) {
    if (lot.remaining < 0) {
      return "lot " + std::to_string(lot.id) + " holds fewer than 0 points";
    }
    if (lot_sums[lot.id] != lot.remaining) {
      return "lot " + std::to_string(lot.id) + " holds " +
             std::to_string(lot.remaining) + " points but its rows sum to " +
             std::to_string(lot_sums[lot.id]);
    }
    held += lot.remaining;
  }
  if (held != held_) return "the lots do not sum to the points held";
  if (balance != Balance()) {
    return "the balance is " + std::to_string(Balance()) +
           " but the rows sum to " + std::to_string(balance);
  }
  return "";
}

int64_t PointsForAmount(int64_t amount_units, int64_t unit_units,
                        int64_t points_per_unit,
                        int64_t multiplier_millionths) {
  constexpr int64_t kMillion = 1'000'000;
  constexpr int64_t kMaxPoints = std::numeric_limits<int64_t>::max();
  if (amount_units <= 0 || unit_units <= 0 || points_per_unit <= 0 ||
      multiplier_millionths <= 0) {
    return 0;
  }

  // Two words multiply exactly in 128 bits; a third factor could overflow
  // even those, so it is checked first. The one division rounds toward
  // zero, which for a positive amount is rounding down.
  using Wide = __int128;
  constexpr Wide kWideMax =
      static_cast<Wide>((static_cast<unsigned __int128>(1) << 127) - 1);
  Wide product = Wide{amount_units} * points_per_unit;
  if (product > kWideMax / multiplier_millionths) return kMaxPoints;
  Wide points = product * multiplier_millionths / (Wide{unit_units} * kMillion);
  return points > kMaxPoints ? kMaxPoints : static_cast<int64_t>(points);
}

}  // namespace parcours::loyalty
