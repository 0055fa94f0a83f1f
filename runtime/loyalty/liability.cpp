#include "runtime/loyalty/liability.h"

#include <cstdlib>

#include "runtime/common/currency_digits.h"

namespace parcours::loyalty {

namespace {

using Wide = __int128;

constexpr int64_t kMillion = 1'000'000;
constexpr int64_t kDay = 86'400;

struct BucketEdge {
  const char* label;
  int64_t up_to_days;  // inclusive; the last bucket has no end
};

const BucketEdge kAgeBuckets[] = {{"0-90 days", 90},
                                  {"91-180 days", 180},
                                  {"181-365 days", 365},
                                  {"366-730 days", 730},
                                  {"over 730 days", -1}};

int64_t Clamp(Wide value) {
  constexpr Wide kMax = INT64_MAX;
  constexpr Wide kMin = INT64_MIN;
  if (value > kMax) return INT64_MAX;
  if (value < kMin) return INT64_MIN;
  return static_cast<int64_t>(value);
}

// Whether the row moved points of a bonus lot.
bool OnBonusLot(const Ledger& ledger, const Movement& row) {
  bool known =
      row.lot >= 1 && row.lot <= static_cast<int64_t>(ledger.lots().size());
  return known && ledger.lot(row.lot).bonus;
}

// Moves `points` of what sale points redeemed to the bonus points: bonus
// points that settle points a refunded sale had spent pay for that
// redemption. The points of every kind together do not change.
void Settle(PointTotals& sale, PointTotals& bonus, int64_t points) {
  sale.redeemed -= points;
  bonus.redeemed += points;
}

// Each lot's remaining points at `as_of`, with the lots due by then
// expired, and the totals: of every point, and in `bonus` (when given)
// of the bonus points alone.
PointTotals Replay(const Ledger& ledger, int64_t as_of,
                   std::map<int64_t, int64_t>* remaining_by_lot,
                   PointTotals* bonus = nullptr) {
  PointTotals sale_points;
  PointTotals bonus_points;
  std::map<int64_t, int64_t> remaining;
  for (const Movement& row : ledger.movements()) {
    if (row.at > as_of) break;  // rows are in time order
    if (row.lot != kNoLot) remaining[row.lot] += row.lot_delta;
    bool on_bonus = OnBonusLot(ledger, row);
    PointTotals& pool = on_bonus ? bonus_points : sale_points;
    switch (row.kind) {
      case MovementKind::Earn: pool.issued += row.points; break;
      case MovementKind::Burn: pool.redeemed -= row.points; break;
      case MovementKind::Expire: pool.expired -= row.points; break;
      case MovementKind::Refund:
        // A refund is of a sale: its points are no longer issued,
        // whichever lot gives them back.
        sale_points.issued += row.points;
        if (row.lot == kNoLot) sale_points.owed -= row.points;
        // Bonus points it takes settle what the refunded sale's points
        // had redeemed: that redemption is now paid with bonus points, a
        // cost, and no longer with a sale's (so no revenue comes of it).
        if (on_bonus) Settle(sale_points, bonus_points, -row.points);
        break;
      case MovementKind::Repay:
        // Points owed are what a refunded sale's points had redeemed.
        sale_points.owed += row.lot_delta;
        // Bonus points paying them back pay for that redemption, as
        // above; a sale's points paying them back are a sale's points
        // redeemed, which they already count as.
        if (on_bonus) Settle(sale_points, bonus_points, -row.lot_delta);
        break;
    }
  }

  // A ledger whose clock is earlier than `as_of` has not written the
  // expiries due in between yet.
  for (auto& [lot, points] : remaining) {
    PointTotals& pool = ledger.lot(lot).bonus ? bonus_points : sale_points;
    if (points > 0 && ledger.lot(lot).expires_at <= as_of) {
      pool.expired += points;
      points = 0;
    }
    pool.outstanding += points;
  }
  if (remaining_by_lot != nullptr) *remaining_by_lot = std::move(remaining);
  if (bonus != nullptr) *bonus = bonus_points;

  PointTotals all = sale_points;
  all.issued += bonus_points.issued;
  all.redeemed += bonus_points.redeemed;
  all.expired += bonus_points.expired;
  all.outstanding += bonus_points.outstanding;
  return all;
}

void Add(PointTotals& sum, const PointTotals& member) {
  sum.issued += member.issued;
  sum.redeemed += member.redeemed;
  sum.expired += member.expired;
  sum.outstanding += member.outstanding;
  sum.owed += member.owed;
}

// The sale points of `all`, of which `bonus` are bonus points.
PointTotals SalePoints(const PointTotals& all, const PointTotals& bonus) {
  PointTotals sale = all;
  sale.issued -= bonus.issued;
  sale.redeemed -= bonus.redeemed;
  sale.expired -= bonus.expired;
  sale.outstanding -= bonus.outstanding;
  return sale;
}

// Revenue recognised by a date with these sale points: what was
// deferred, times the share of the points expected to be redeemed that
// were redeemed.
int64_t Recognised(const PointTotals& sale, const LiabilityInputs& inputs,
                   int64_t breakage_millionths) {
  Wide deferred = Wide{sale.issued} * inputs.value_per_point;
  Wide redeemed = Wide{sale.redeemed} * kMillion;
  Wide expected =
      redeemed + Wide{sale.outstanding} * (kMillion - breakage_millionths);
  // Nothing left that anyone is expected to redeem: all is recognised.
  if (expected <= 0) return Clamp(deferred);
  return Clamp(deferred * redeemed / expected);
}

// `millionths` rounded half away from zero to the minor unit of
// `currency` (cents without one), still in millionths.
int64_t ToMinorUnit(int64_t millionths, std::string_view currency) {
  int64_t unit = kMillion;
  for (int place = 0; place < common::CurrencyMinorDigits(currency); ++place) {
    unit /= 10;
  }
  Wide magnitude = millionths < 0 ? -Wide{millionths} : Wide{millionths};
  Wide rounded = (magnitude + unit / 2) / unit * unit;
  return Clamp(millionths < 0 ? -rounded : rounded);
}

// What honouring `outstanding` bonus points is expected to cost.
int64_t Provision(int64_t outstanding, const LiabilityInputs& inputs,
                  int64_t breakage_millionths) {
  return Clamp(Wide{outstanding} * inputs.value_per_point *
               (kMillion - breakage_millionths) / kMillion);
}

}  // namespace

PointTotals TotalsAsOf(const Ledger& ledger, int64_t as_of) {
  return Replay(ledger, as_of, nullptr);
}

LiabilityReport ComputeLiability(const std::vector<MemberBook>& members,
                                 const LiabilityInputs& inputs) {
  LiabilityReport report;
  for (const BucketEdge& edge : kAgeBuckets) {
    report.by_age.push_back({edge.label, 0});
  }

  for (const MemberBook& member : members) {
    PointTotals bonus_at_start;
    Add(report.at_start,
        Replay(*member.ledger, inputs.period_start, nullptr, &bonus_at_start));
    Add(report.bonus_at_start, bonus_at_start);
    std::map<int64_t, int64_t> remaining;
    PointTotals bonus_at_end;
    PointTotals at_end =
        Replay(*member.ledger, inputs.as_of, &remaining, &bonus_at_end);
    Add(report.at_end, at_end);
    Add(report.bonus_at_end, bonus_at_end);
    report.by_tier[member.tier.empty() ? "(none)" : member.tier] +=
        at_end.outstanding;

    for (const auto& [lot, points] : remaining) {
      if (points == 0) continue;
      int64_t age_days =
          (inputs.as_of - member.ledger->lot(lot).earned_at) / kDay;
      size_t bucket = 0;
      while (kAgeBuckets[bucket].up_to_days >= 0 &&
             age_days > kAgeBuckets[bucket].up_to_days) {
        ++bucket;
      }
      report.by_age[bucket].points += points;
    }
  }

  const PointTotals& end = report.at_end;
  report.face_value = Clamp(Wide{end.outstanding} * inputs.value_per_point);
  report.expected_breakage =
      Clamp(Wide{report.face_value} * inputs.breakage_millionths / kMillion);
  PointTotals sale_at_end = SalePoints(end, report.bonus_at_end);
  PointTotals sale_at_start =
      SalePoints(report.at_start, report.bonus_at_start);
  report.deferred_total =
      Clamp(Wide{sale_at_end.issued} * inputs.value_per_point);
  report.recognised_total =
      Recognised(sale_at_end, inputs, inputs.breakage_millionths);
  // The figures of a period are differences of figures shown rounded,
  // so that what is booked adds up: the last close's recognised total
  // plus the period's revenue is the total shown, to the cent, and so is
  // the provision's roll-forward. Rounding each exact difference on its
  // own could leave the periods a cent away from the total.
  std::string_view currency = inputs.currency;
  auto shown = [currency](int64_t millionths) {
    return ToMinorUnit(millionths, currency);
  };
  report.contract_liability =
      shown(report.deferred_total) - shown(report.recognised_total);
  int64_t opening = inputs.opening_breakage_millionths >= 0
                        ? inputs.opening_breakage_millionths
                        : inputs.breakage_millionths;
  report.recognised_at_start = Recognised(sale_at_start, inputs, opening);
  report.recognised_in_period =
      shown(report.recognised_total) - shown(report.recognised_at_start);

  // The provision's roll-forward: opening + charge - used = closing.
  report.bonus_provision = Provision(report.bonus_at_end.outstanding, inputs,
                                     inputs.breakage_millionths);
  report.bonus_provision_at_start =
      Provision(report.bonus_at_start.outstanding, inputs, opening);
  int64_t bonus_used =
      report.bonus_at_end.redeemed - report.bonus_at_start.redeemed;
  report.bonus_used_in_period =
      Clamp(Wide{bonus_used} * inputs.value_per_point);
  report.bonus_charge_in_period = shown(report.bonus_provision) -
                                  shown(report.bonus_provision_at_start) +
                                  shown(report.bonus_used_in_period);
  return report;
}

// Millionths rounded half away from zero, once, to `decimals` places
// (0 to 6): 0.005 -> 0.01 and -0.005 -> -0.01 with 2.
static std::string FormatRounded(int64_t millionths, int decimals) {
  int64_t per_unit = kMillion;
  for (int place = 0; place < decimals; ++place) per_unit /= 10;
  int64_t units_per_whole = kMillion / per_unit;
  Wide magnitude = millionths < 0 ? -Wide{millionths} : Wide{millionths};
  Wide units = (magnitude + per_unit / 2) / per_unit;
  std::string text =
      std::to_string(static_cast<int64_t>(units / units_per_whole));
  if (decimals > 0) {
    std::string fraction =
        std::to_string(static_cast<int64_t>(units % units_per_whole));
    text += "." + std::string(decimals - fraction.size(), '0') + fraction;
  }
  return millionths < 0 && units != 0 ? "-" + text : text;
}

std::string FormatCents(int64_t millionths) {
  return FormatRounded(millionths, 2);
}

std::string FormatAmount(int64_t millionths, std::string_view currency) {
  return FormatRounded(millionths, common::CurrencyMinorDigits(currency));
}

std::string FormatLiabilityCsv(const LiabilityReport& report,
                               const std::string& currency) {
  std::string csv = "figure,value\n";
  auto points = [&csv](const std::string& name, int64_t value) {
    csv += name + "," + std::to_string(value) + "\n";
  };
  // A program without a `value` rule has no currency: its money rows are
  // zero and carry no unit, rather than an empty "()".
  std::string unit = currency.empty() ? "" : " (" + currency + ")";
  auto money = [&csv, &unit, &currency](const std::string& name,
                                        int64_t value) {
    csv += name + unit + "," + FormatAmount(value, currency) + "\n";
  };

  points("points issued to date", report.at_end.issued);
  points("points redeemed to date", report.at_end.redeemed);
  points("points expired to date", report.at_end.expired);
  points("points outstanding", report.at_end.outstanding);
  points("points owed by members", report.at_end.owed);
  points("points issued in period",
         report.at_end.issued - report.at_start.issued);
  points("points redeemed in period",
         report.at_end.redeemed - report.at_start.redeemed);
  points("points expired in period",
         report.at_end.expired - report.at_start.expired);
  for (const AgeBucket& bucket : report.by_age) {
    points("points outstanding aged " + bucket.label, bucket.points);
  }
  for (const auto& [tier, outstanding] : report.by_tier) {
    points("points outstanding in tier " + tier, outstanding);
  }
  money("face value of outstanding points", report.face_value);
  money("expected breakage", report.expected_breakage);
  money("revenue deferred to date", report.deferred_total);
  money("revenue recognised to date", report.recognised_total);
  money("contract liability", report.contract_liability);
  money("revenue recognised in period", report.recognised_in_period);
  // Last, so that the rows above keep their places for readers that
  // count them.
  const PointTotals& bonus = report.bonus_at_end;
  points("bonus points issued to date", bonus.issued);
  points("bonus points redeemed to date", bonus.redeemed);
  points("bonus points expired to date", bonus.expired);
  points("bonus points outstanding", bonus.outstanding);
  money("bonus points provision", report.bonus_provision);
  money("bonus points charged in period", report.bonus_charge_in_period);
  // The rest of the provision's roll-forward: opening + charged - used
  // = provision.
  points("bonus points redeemed in period",
         bonus.redeemed - report.bonus_at_start.redeemed);
  money("bonus points provision at start", report.bonus_provision_at_start);
  money("bonus points used in period", report.bonus_used_in_period);
  return csv;
}

}  // namespace parcours::loyalty
