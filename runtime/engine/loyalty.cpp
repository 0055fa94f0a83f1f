#include "runtime/engine/loyalty.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/common/decimal_text.h"
#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/calendar.h"
#include "runtime/loyalty/tiers.h"

namespace parcours::engine {

namespace {

using Line = nlohmann::ordered_json;

std::string Finish(const Line& line) {
  return line.dump(-1, ' ', false, Line::error_handler_t::replace);
}

// An action id for a loyalty line: what it is about, hashed like the
// journeys' ids so that two programs or profiles never share one.
std::string LoyaltyActionId(const std::string& module,
                            const std::string& profile,
                            const std::string& program,
                            const std::string& what) {
  std::string key = module + '\x1f' + profile + '\x1f' + program + '\x1f' +
                    "loyalty" + '\x1f' + what;
  return common::Hex64(common::Fnv1a64(key));
}

// The index of the event type named `name`, or -1.
int32_t FindEvent(const ir::Program& program, const char* name) {
  for (size_t e = 0; e < program.events.size(); ++e) {
    if (program.events[e].name == name) return static_cast<int32_t>(e);
  }
  return -1;
}

// Writes the fields of a loyalty event that it declares, by name.
class EventRecord {
 public:
  explicit EventRecord(const ir::EventType& type)
      : type_(type), record_(type.record_words) {}

  void SetInt(const char* name, int64_t value) {
    for (const ir::Field& field : type_.fields) {
      if (field.name != name || field.type == ir::Type::String) continue;
      record_.Set(field.offset, value);
      if (field.presence_offset >= 0) record_.Set(field.presence_offset, 1);
    }
  }

  void SetText(const char* name, const std::string& value) {
    for (const ir::Field& field : type_.fields) {
      if (field.name != name) continue;
      if (field.type == ir::Type::String && field.enum_values.empty()) {
        record_.SetString(field.offset, value);
      } else if (!field.enum_values.empty()) {
        auto found = std::find(field.enum_values.begin(),
                               field.enum_values.end(), value);
        if (found == field.enum_values.end()) continue;
        record_.Set(field.offset, found - field.enum_values.begin());
      } else {
        continue;
      }
      if (field.presence_offset >= 0) record_.Set(field.presence_offset, 1);
    }
  }

  common::Record Take() { return std::move(record_); }

 private:
  const ir::EventType& type_;
  common::Record record_;
};

// An order's id as the lot of its earning keeps it: `42`, or `"o-42"`.
// `refund E.amount on ...`: the amount and currency the refund event
// returns, or none when the program refunds whole orders or the event
// leaves its optional amount out (a whole order then too).
std::optional<std::pair<int64_t, int64_t>> RefundedAmount(
    const ir::LoyaltyProgram& loyalty, const ir::EventType& type,
    const common::Record& record) {
  if (loyalty.refund_amount_field < 0) return std::nullopt;
  const ir::Field& field = type.fields[loyalty.refund_amount_field];
  if (field.presence_offset >= 0 && record.Get(field.presence_offset) == 0) {
    return std::nullopt;
  }
  return std::pair{record.Get(field.offset), record.Get(field.offset + 1)};
}

// Money as a marketer writes it: "12.5 EUR".
std::string MoneyText(int64_t units, int64_t currency) {
  return common::FormatScaled(units, 6) + " " + ir::UnpackCurrency(currency);
}

std::string OrderValue(const ir::Field& field, const common::Record& record) {
  if (field.type != ir::Type::String) {
    return std::to_string(record.Get(field.offset));
  }
  return "\"" + std::string(record.GetString(field.offset)) + "\"";
}

// The source of the lots of an order's fixed points (`earn N points on
// E, part of the sale`): "on OrderPlaced:order_id=42". Apart from the
// source of what its amount earned, so that neither is taken for the
// other; no event is named "on ".
std::string FixedPointsSource(const std::string& order_source) {
  return "on " + order_source;
}

// The amount of an order event, for a refund of part of it: what the
// first `earn ... per` rule on the event reads, when present and above
// zero.
std::optional<std::pair<int64_t, int64_t>> OrderAmount(
    const ir::LoyaltyProgram& loyalty, const ir::EventType& event_type,
    int32_t type, const common::Record& record) {
  for (const ir::EarnPerAmount& earn : loyalty.earn_per_amount) {
    if (earn.event_type != type) continue;
    const ir::Field& field = event_type.fields[earn.field];
    if (field.presence_offset >= 0 && record.Get(field.presence_offset) == 0) {
      continue;
    }
    int64_t amount = record.Get(field.offset);
    if (amount > 0) return std::pair{amount, record.Get(field.offset + 1)};
  }
  return std::nullopt;
}

}  // namespace

// The first instant after which a window of `within` ending then no
// longer holds `earned_at`: `earned_at` plus `within`, or, when that
// lands on a shorter month's last day (an earning on the 31st, or on 29
// February), the first midnight of the next month, since until then the
// window still starts on that shorter day.
static int64_t LeavesWindow(int64_t earned_at, const ir::LoyaltyLength& within,
                            const std::string& zone) {
  int64_t leaves = AddLoyaltyLength(earned_at, within, zone);
  bool months = within.calendar && (within.unit == CalendarUnit::Month ||
                                    within.unit == CalendarUnit::Year);
  if (!months || leaves == kNever ||
      AddLoyaltyLength(leaves, within, zone, -1) >= earned_at) {
    return leaves;
  }
  int64_t month = StartOfLocalPeriod(leaves, CalendarUnit::Month, zone);
  return AddCalendar(month, 1, CalendarUnit::Month, zone);
}

// With no `keep tier`, the tier held lasts while its points qualify: the
// instant its window lets go of enough of them to fall below its
// threshold, with no earning in between, or none.
static std::optional<int64_t> TierLapses(const ir::LoyaltyTier& tier,
                                         const loyalty::Ledger& ledger,
                                         int64_t now, const std::string& zone) {
  int64_t window_start = AddLoyaltyLength(now, tier.within, zone, -1);
  int64_t qualifying = ledger.QualifyingPoints(window_start, now);
  if (qualifying < tier.threshold) return now + 1;
  // Lots are in order of earning, so they leave the window in that order.
  for (const loyalty::Lot& lot : ledger.lots()) {
    if (!lot.qualifying || lot.earned_at <= window_start ||
        lot.earned_at > now) {
      continue;
    }
    qualifying -= lot.earned - lot.refunded;
    if (qualifying < tier.threshold) {
      return LeavesWindow(lot.earned_at, tier.within, zone);
    }
  }
  return std::nullopt;
}

int64_t AddLoyaltyLength(int64_t time, const ir::LoyaltyLength& length,
                         const std::string& zone, int sign) {
  if (!length.calendar) return time + sign * length.count;
  return AddCalendar(time, sign * length.count, length.unit, zone);
}

LoyaltyRules::LoyaltyRules(const ir::Program& program,
                           const ir::Evaluator& evaluator, store::State& state)
    : program_(program), evaluator_(evaluator), state_(state) {}

loyalty::Account& LoyaltyRules::AccountOf(store::Profile& profile,
                                          int32_t program) {
  if (profile.loyalty.size() < program_.loyalty.size()) {
    profile.loyalty.resize(program_.loyalty.size());
  }
  loyalty::Account& account = profile.loyalty[program];
  account.last_earned_on.resize(program_.loyalty[program].earn_on_event.size(),
                                loyalty::kNeverEarned);
  return account;
}

void LoyaltyRules::Log(const store::Profile& profile, int64_t now,
                       const char* level, const std::string& message) {
  store::LogRow row;
  row.at = now;
  row.level = level;
  row.component = "loyalty";
  row.profile = profile.id;
  row.message = state_.KeepPendingText(message);
  state_.Log(row);
}

void LoyaltyRules::Warn(const store::Profile& profile, int64_t now,
                        const std::string& message) {
  Log(profile, now, "warn", message);
}

void LoyaltyRules::Info(const store::Profile& profile, int64_t now,
                        const std::string& message) {
  Log(profile, now, "info", message);
}

void LoyaltyRules::OnEvent(store::Profile& profile,
                           const ingest::DecodedEvent& event, int64_t now,
                           const std::string& zone, LoyaltyEffects& effects) {
  // The share redeemed is about the current event only; the events a
  // program emits about a redemption (`PointsBurned`) still see it.
  const std::string& name = program_.events[event.event_type].name;
  bool own_event = name == "PointsEarned" || name == "PointsBurned" ||
                   name == "PointsExpired" || name == "PointsExpiring" ||
                   name == "TierChanged";
  for (size_t p = 0; p < program_.loyalty.size(); ++p) {
    auto program = static_cast<int32_t>(p);
    if (!own_event) {
      profile.record.Set(program_.loyalty[p].redeemed_share_offset, 0);
    }
    ApplyProgram(profile, program, event, now, zone, effects);
  }
}

void LoyaltyRules::ApplyProgram(store::Profile& profile, int32_t program,
                                const ingest::DecodedEvent& event, int64_t now,
                                const std::string& zone,
                                LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  int32_t type = event.event_type;
  bool concerned = type == loyalty.burn_event || type == loyalty.refund_event;
  for (const ir::EarnPerAmount& earn : loyalty.earn_per_amount) {
    concerned = concerned || earn.event_type == type;
  }
  for (const ir::EarnOnEvent& earn : loyalty.earn_on_event) {
    concerned = concerned || earn.event_type == type;
  }
  if (!concerned) return;

  // Expiries due first, each at its own instant, so the lines come in
  // time order and a redemption never draws from an expired lot.
  OnTime(profile, now, zone, effects);
  // The rate is decided before the event's own points move the tier: the
  // order that crosses a threshold earns at the old tier's rate.
  int64_t multiplier = Multiplier(profile, program, now);

  bool resent_order =
      EarnPerAmount(profile, program, event, now, zone, multiplier, effects);
  EarnOnEvent(profile, program, event, now, zone, multiplier, resent_order,
              effects);
  if (type == loyalty.burn_event) Redeem(profile, program, event, now, effects);
  if (type == loyalty.refund_event) {
    RefundOrder(profile, program, event, now, effects);
  }

  DecideTier(profile, program, now, zone, effects);
  UpdateWords(profile, program);
}

std::optional<LoyaltyRules::OrderKey> LoyaltyRules::OrderOf(
    const ir::LoyaltyProgram& loyalty, const ir::EventType& event_type,
    const common::Record& record) const {
  if (loyalty.refund_event < 0) return std::nullopt;
  const ir::Field& refund_field =
      program_.events[loyalty.refund_event].fields[loyalty.refund_field];
  for (const ir::Field& own : event_type.fields) {
    if (own.name != refund_field.name || own.type != refund_field.type) {
      continue;
    }
    std::string value = OrderValue(own, record);
    return OrderKey{own.name + " " + value,
                    event_type.name + ":" + own.name + "=" + value};
  }
  return std::nullopt;
}

bool LoyaltyRules::EarnPerAmount(store::Profile& profile, int32_t program,
                                 const ingest::DecodedEvent& event, int64_t now,
                                 const std::string& zone, int64_t multiplier,
                                 LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  const ir::EventType& event_type = program_.events[event.event_type];
  loyalty::Account& account = AccountOf(profile, program);
  int32_t type = event.event_type;
  bool resent = false;
  for (const ir::EarnPerAmount& earn : loyalty.earn_per_amount) {
    if (earn.event_type != type) continue;
    const ir::Field& field = event_type.fields[earn.field];
    if (field.presence_offset >= 0 &&
        event.record.Get(field.presence_offset) == 0) {
      continue;
    }
    int64_t amount = event.record.Get(field.offset);
    int64_t currency = event.record.Get(field.offset + 1);
    if (currency != earn.unit_currency) {
      Warn(profile, now,
           "event `" + event_type.name + "` " + field.name + " is in " +
               ir::UnpackCurrency(currency) + ", but program `" + loyalty.name +
               "` earns per " + ir::UnpackCurrency(earn.unit_currency) +
               "; no points earned");
      continue;
    }
    int64_t points = loyalty::PointsForAmount(amount, earn.unit_amount,
                                              earn.points, multiplier);
    if (points <= 0) continue;

    // A refund finds the lot by the order's id: the earning event's field
    // of the same name and type as the refund's field, when it has one.
    std::optional<OrderKey> order = OrderOf(loyalty, event_type, event.record);
    std::string source = order ? order->source : event.key;

    // One order earns once: the same order sent again under another
    // message id (a producer's retry) would credit it twice, and its
    // refund could take back only one of the two.
    if (order && account.ledger.FindLotBySource(source) != loyalty::kNoLot) {
      Warn(profile, now,
           "`" + event_type.name + "` with " + order->text + " in program `" +
               loyalty.name +
               "`: that order has earned its points already; nothing earned");
      resent = true;
      continue;
    }
    // The order's amount stays with its points, for a refund of part of
    // the order.
    int64_t lot = Earn(profile, program, points, now, zone, source, effects);
    if (lot != loyalty::kNoLot) {
      account.ledger.SetOrderAmount(lot, amount, currency);
    }
  }
  return resent;
}

void LoyaltyRules::EarnOnEvent(store::Profile& profile, int32_t program,
                               const ingest::DecodedEvent& event, int64_t now,
                               const std::string& zone, int64_t multiplier,
                               bool resent_order, LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  const ir::EventType& event_type = program_.events[event.event_type];
  loyalty::Account& account = AccountOf(profile, program);
  int32_t type = event.event_type;

  // The fixed points of a sale are the order's, like the points of its
  // amount: its refund finds them by the order's id, and a resent order
  // does not earn them again. Judged before this event's own lots.
  std::optional<OrderKey> order = OrderOf(loyalty, event_type, event.record);
  std::string fixed_source = order ? FixedPointsSource(order->source) : "";
  bool earned_already =
      order &&
      (resent_order || !account.ledger.FindLotsBySource(fixed_source).empty());
  // The `per` rules said so already.
  bool said = resent_order;

  for (size_t r = 0; r < loyalty.earn_on_event.size(); ++r) {
    const ir::EarnOnEvent& earn = loyalty.earn_on_event[r];
    if (earn.event_type != type) continue;
    int64_t last = account.last_earned_on[r];
    bool limited = earn.at_most_once_per.count > 0 &&
                   last != loyalty::kNeverEarned &&
                   now < AddLoyaltyLength(last, earn.at_most_once_per, zone);
    if (limited) continue;
    bool of_order = earn.part_of_sale && order;
    if (of_order && earned_already) {
      if (!said) {
        Warn(profile, now,
             "`" + event_type.name + "` with " + order->text + " in program `" +
                 loyalty.name +
                 "`: that order has earned its points already; nothing "
                 "earned");
        said = true;
      }
      continue;
    }
    // N points times the multiplier, rounded down: computed in 128 bits,
    // as `earn.points * kDecimalScale` passed 64 bits from 9.2 trillion
    // points and earned nothing.
    int64_t points = loyalty::PointsForAmount(earn.points, 1, 1, multiplier);
    if (points <= 0) continue;
    AccountOf(profile, program).last_earned_on[r] = now;
    std::string source = of_order ? fixed_source : event.key;
    int64_t lot = Earn(profile, program, points, now, zone, source, effects);
    if (lot == loyalty::kNoLot) continue;
    // Points for a review or a sign-up were not paid for: finance reports
    // them apart from the points a sale's price deferred.
    if (!earn.part_of_sale) account.ledger.MarkBonus(lot);
    // A refund of part of the order takes back that share of them.
    auto amount = of_order
                      ? OrderAmount(loyalty, event_type, type, event.record)
                      : std::nullopt;
    if (amount) {
      account.ledger.SetOrderAmount(lot, amount->first, amount->second);
    }
  }
}

void LoyaltyRules::Redeem(store::Profile& profile, int32_t program,
                          const ingest::DecodedEvent& event, int64_t now,
                          LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  const ir::EventType& event_type = program_.events[event.event_type];
  const ir::Field& field = event_type.fields[loyalty.burn_field];
  bool present =
      field.presence_offset < 0 || event.record.Get(field.presence_offset) != 0;
  int64_t points = present ? event.record.Get(field.offset) : 0;
  loyalty::Account& member = AccountOf(profile, program);
  int64_t before = member.ledger.Balance();
  size_t first_row = member.ledger.movements().size();
  common::Status burned = points > 0
                              ? member.ledger.Burn(now, points, event.key)
                              : common::Status::Error("it redeems no points");
  if (!burned.ok()) {
    // The till gave a reward the member could not pay for: the summary
    // counts these, since only the log table names them.
    if (points > member.ledger.Balance()) ++redemptions_refused_;
    Warn(profile, now,
         "redemption in program `" + loyalty.name +
             "` refused: " + burned.message());
  } else {
    ReportRows(profile, program, first_row, "burn", effects);
    // points redeemed over the balance just before, as a decimal
    int64_t share = static_cast<int64_t>(static_cast<__int128>(points) *
                                         ir::kDecimalScale / before);
    profile.record.Set(loyalty.redeemed_share_offset, share);
    int32_t burned_event = FindEvent(program_, "PointsBurned");
    if (burned_event >= 0) {
      EventRecord record(program_.events[burned_event]);
      record.SetText("program", loyalty.name);
      record.SetInt("points", points);
      record.SetInt("balance", member.ledger.Balance());
      effects.events.push_back({burned_event, record.Take()});
    }
  }
}

std::vector<LoyaltyRules::OrderLot> LoyaltyRules::OrderLots(
    const ir::LoyaltyProgram& loyalty, const loyalty::Ledger& ledger,
    const ir::Field& field, const std::string& value) const {
  std::vector<OrderLot> lots;
  int64_t per_lot = loyalty::kNoLot;
  for (const ir::EarnPerAmount& earn : loyalty.earn_per_amount) {
    const ir::EventType& earning = program_.events[earn.event_type];
    for (const ir::Field& own : earning.fields) {
      if (own.name != field.name || own.type != field.type) continue;
      int64_t found =
          ledger.FindLotBySource(earning.name + ":" + own.name + "=" + value);
      if (found != loyalty::kNoLot) per_lot = found;
    }
  }
  if (per_lot != loyalty::kNoLot) {
    lots.push_back({per_lot, "points earned", std::nullopt});
  }

  // Fixed points are looked for on every event with the order's id, not
  // only those a rule earns on now: a rule removed since still earned
  // them. A bonus lot is never the order's (its source is no order).
  for (const ir::EventType& earning : program_.events) {
    for (const ir::Field& own : earning.fields) {
      if (own.name != field.name || own.type != field.type) continue;
      std::string source =
          FixedPointsSource(earning.name + ":" + own.name + "=" + value);
      for (int64_t lot : ledger.FindLotsBySource(source)) {
        if (ledger.lot(lot).bonus) continue;
        lots.push_back({lot, "fixed points earned on `" + earning.name + "`",
                        earning.name});
      }
    }
  }
  return lots;
}

struct LoyaltyRules::RefundNotes {
  // What each lot says, in order, each message once: the lots of one
  // order often fail for one reason (a refund in another currency).
  std::vector<std::pair<const char*, std::string>> said;
  // A lot whose share of the amount so far is not yet a whole point:
  // what an `info` row says, when no lot of the order says more.
  std::string not_yet_a_point;
  // A lot whose points were all taken back already.
  bool taken_already = false;

  void Say(const char* level, std::string message) {
    for (const auto& earlier : said) {
      if (earlier.second == message) return;
    }
    said.emplace_back(level, std::move(message));
  }
};

int64_t LoyaltyRules::RefundLot(
    store::Profile& profile, int32_t program, const OrderLot& order_lot,
    const std::optional<std::pair<int64_t, int64_t>>& part,
    const std::string& order, int64_t now, const std::string& source,
    RefundNotes& notes) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  loyalty::Account& member = AccountOf(profile, program);
  int64_t lot = order_lot.lot;
  int64_t earned = member.ledger.lot(lot).earned;
  int64_t refunded_before = member.ledger.lot(lot).refunded;
  int64_t amount_before = member.ledger.lot(lot).refunded_amount;
  std::string in_program = "refund in program `" + loyalty.name + "`";

  // Fixed points of an event no `per` rule earns on have no amount to
  // take a share of: only a refund of the whole order takes them.
  bool share_unknown =
      part && order_lot.fixed_on && member.ledger.lot(lot).order_amount <= 0;
  if (share_unknown && refunded_before < earned) {
    notes.Say("warn", in_program + " of " + order + ": the " +
                          std::to_string(earned - refunded_before) + " " +
                          order_lot.points +
                          " are kept: no `earn ... per` rule earns on an "
                          "amount of `" +
                          *order_lot.fixed_on +
                          "`, so their share of the refund is unknown; a "
                          "refund of the whole order takes them back");
    return 0;
  }
  if (share_unknown) {
    notes.taken_already = true;
    return 0;
  }

  auto taken = part ? member.ledger.RefundAmount(now, lot, part->first,
                                                 part->second, source)
                    : member.ledger.Refund(now, lot, earned, source);
  const loyalty::Lot& refunded = member.ledger.lot(lot);
  // A refund of points that had expired takes nothing, but the order is
  // refunded all the same (it no longer qualifies for tiers, and is not
  // refunded again): that must be saved. So must the amount a partial
  // refund returned, even one too small to take a point.
  bool lot_changed = refunded.refunded != refunded_before ||
                     refunded.refunded_amount != amount_before;
  if (taken.ok() && lot_changed) {
    member.changed = true;
    state_.MarkRecordDirty(profile);
  }
  bool beyond_order = part && refunded.refunded_amount != amount_before &&
                      part->first > refunded.order_amount - amount_before;
  if (taken.ok() && beyond_order) {
    notes.Say("warn", in_program + " of " + order + ": " +
                          MoneyText(part->first, part->second) +
                          " is more than the " +
                          MoneyText(refunded.order_amount - amount_before,
                                    refunded.order_currency) +
                          " left of the order; taken as that");
  }

  // A lot that gives nothing says why, as an order that earned nothing
  // does: the marketer looking for the missing movement finds it in
  // `log`.
  if (!taken.ok()) {
    notes.Say("warn", in_program + " of " + order +
                          " not applied: " + taken.status().message());
    return 0;
  }
  if (*taken == 0 && refunded.refunded != refunded_before) {
    // The points the refund annulled had expired: checked before the
    // share still too small for a point, which a partial refund of an
    // expired order would otherwise claim to be.
    notes.Say("warn", in_program + ": the " +
                          std::to_string(refunded.refunded - refunded_before) +
                          " " + order_lot.points + " for " + order +
                          " expired at " +
                          common::FormatTime(refunded.expires_at) +
                          "; nothing taken back");
  } else if (*taken == 0 && part && refunded.refunded_amount != amount_before) {
    if (notes.not_yet_a_point.empty()) {
      notes.not_yet_a_point =
          in_program + " of " + order + ": " +
          MoneyText(refunded.refunded_amount, refunded.order_currency) +
          " of " + MoneyText(refunded.order_amount, refunded.order_currency) +
          " refunded so far, not yet a whole point to take back";
    }
  } else if (*taken == 0) {
    notes.taken_already = true;
  }
  return *taken;
}

void LoyaltyRules::RefundOrder(store::Profile& profile, int32_t program,
                               const ingest::DecodedEvent& event, int64_t now,
                               LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  const ir::EventType& event_type = program_.events[event.event_type];
  const ir::Field& field = event_type.fields[loyalty.refund_field];
  std::string value = OrderValue(field, event.record);
  std::string order = field.name + " " + value;
  loyalty::Account& member = AccountOf(profile, program);
  std::vector<OrderLot> lots = OrderLots(loyalty, member.ledger, field, value);
  if (lots.empty()) {
    Warn(profile, now,
         "refund in program `" + loyalty.name +
             "`: no points were earned for " + order + "; nothing taken back");
    return;
  }

  // Each lot of the order in turn: what is left of it first, then, for
  // what of it was spent, the member's other points, then points owed.
  std::optional<std::pair<int64_t, int64_t>> part =
      RefundedAmount(loyalty, event_type, event.record);
  RefundNotes notes;
  size_t first_row = member.ledger.movements().size();
  int64_t taken = 0;
  for (const OrderLot& lot : lots) {
    taken +=
        RefundLot(profile, program, lot, part, order, now, event.key, notes);
  }
  for (const auto& [level, message] : notes.said) {
    Log(profile, now, level, message);
  }
  if (taken > 0) {
    ReportRows(profile, program, first_row, "refund", effects);
    return;
  }

  // Nothing taken and nothing said yet: the order's amount refunded so
  // far is worth less than a point, or every point is taken back.
  if (!notes.said.empty()) return;
  if (!notes.not_yet_a_point.empty()) {
    Info(profile, now, notes.not_yet_a_point);
  } else if (notes.taken_already) {
    Warn(profile, now,
         "refund in program `" + loyalty.name + "`: the points earned for " +
             order +
             " were taken back by an earlier refund; nothing more taken "
             "back");
  }
}

void LoyaltyRules::Award(store::Profile& profile, int32_t program,
                         int64_t points, int64_t now, const std::string& zone,
                         const std::string& source, LoyaltyEffects& effects) {
  OnTime(profile, now, zone, effects);
  if (points <= 0) {
    Warn(profile, now,
         "`award` of " + std::to_string(points) +
             " points: an award gives at least 1 point; nothing awarded");
    return;
  }
  int64_t lot = Earn(profile, program, points, now, zone, source, effects);
  if (lot != loyalty::kNoLot) AccountOf(profile, program).ledger.MarkBonus(lot);
  DecideTier(profile, program, now, zone, effects);
  UpdateWords(profile, program);
}

int64_t LoyaltyRules::Earn(store::Profile& profile, int32_t program,
                           int64_t points, int64_t now, const std::string& zone,
                           const std::string& source, LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  loyalty::Account& account = AccountOf(profile, program);
  int64_t expires_at = loyalty.expire.count > 0
                           ? AddLoyaltyLength(now, loyalty.expire, zone)
                           : loyalty::kNeverExpires;
  size_t first_row = account.ledger.movements().size();
  auto lot = account.ledger.Earn(now, points, expires_at, true, source);
  if (!lot.ok()) {
    Warn(profile, now,
         "could not earn in program `" + loyalty.name +
             "`: " + lot.status().message());
    return loyalty::kNoLot;
  }
  ReportRows(profile, program, first_row, "earn", effects);

  int32_t earned_event = FindEvent(program_, "PointsEarned");
  if (earned_event >= 0) {
    EventRecord record(program_.events[earned_event]);
    record.SetText("program", loyalty.name);
    record.SetInt("points", points);
    record.SetInt("balance", account.ledger.Balance());
    if (expires_at != loyalty::kNeverExpires) {
      record.SetInt("expires_at", expires_at);
    }
    effects.events.push_back({earned_event, record.Take()});
  }
  return *lot;
}

void LoyaltyRules::ReportRows(store::Profile& profile, int32_t program,
                              size_t first_row, const char* reason,
                              LoyaltyEffects& effects, size_t end_row) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  loyalty::Account& account = AccountOf(profile, program);
  const auto& rows = account.ledger.movements();
  end_row = std::min(end_row, rows.size());
  if (first_row >= end_row) return;
  account.changed = true;
  state_.MarkRecordDirty(profile);

  int64_t points = 0;
  for (size_t i = first_row; i < end_row; ++i) points += rows[i].points;
  // The balance just after these rows: the rows after them not yet in.
  int64_t balance = account.ledger.Balance();
  for (size_t i = end_row; i < rows.size(); ++i) balance -= rows[i].points;
  effects.moves.push_back({program, balance - points, balance});
  // A repayment of owed points moves no balance: nothing to say.
  if (points == 0) return;

  // The id tells two equal movements apart (two orders of one amount at
  // one instant): sinks drop repeats by id, and find the lines a crash
  // left delivered by them.
  std::string what = "row " + std::to_string(rows[first_row].seq);
  std::string id =
      LoyaltyActionId(program_.module, profile.id, loyalty.name, what);
  Line line = Line::object();
  line["kind"] = "points";
  line["id"] = id;
  line["at"] = common::FormatTime(rows[first_row].at);
  line["profile"] = profile.id;
  line["program"] = loyalty.name;
  line["points"] = points;
  line["balance"] = balance;
  line["reason"] = reason;
  state_.Emit(id, Finish(line));
  ++effects.lines;
}

void LoyaltyRules::OnTime(store::Profile& profile, int64_t now,
                          const std::string& zone, LoyaltyEffects& effects) {
  for (size_t p = 0; p < program_.loyalty.size(); ++p) {
    if (p >= profile.loyalty.size()) break;
    auto program = static_cast<int32_t>(p);
    Expire(profile, program, now, effects);
    Notify(profile, program, now, zone, effects);
    DecideTier(profile, program, now, zone, effects);
    UpdateWords(profile, program);
  }
}

void LoyaltyRules::Expire(store::Profile& profile, int32_t program, int64_t now,
                          LoyaltyEffects& effects) {
  loyalty::Account& account = AccountOf(profile, program);
  size_t first_row = account.ledger.movements().size();
  account.ledger.ExpireThrough(now);
  const auto& rows = account.ledger.movements();
  // One line per lot, at its own instant.
  for (size_t i = first_row; i < rows.size(); ++i) {
    ReportRows(profile, program, i, "expire", effects, i + 1);
  }

  int32_t expired_event = FindEvent(program_, "PointsExpired");
  if (expired_event < 0) return;
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  for (size_t i = first_row; i < rows.size(); ++i) {
    EventRecord record(program_.events[expired_event]);
    record.SetText("program", loyalty.name);
    record.SetInt("points", -rows[i].points);
    record.SetInt("balance", account.ledger.Balance());
    record.SetInt("expires_at", rows[i].at);
    effects.events.push_back({expired_event, record.Take()});
  }
}

void LoyaltyRules::Notify(store::Profile& profile, int32_t program, int64_t now,
                          const std::string& zone, LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  if (loyalty.notice.count == 0) return;
  loyalty::Account& account = AccountOf(profile, program);
  int32_t expiring_event = FindEvent(program_, "PointsExpiring");

  // Lots that expire at one instant (two orders of one day) are one
  // notice with their points together: one message to the member, not
  // one per order. The lots come in order of expiry.
  std::optional<int64_t> pending_expiry;
  int64_t pending_points = 0;
  auto announce = [&] {
    if (!pending_expiry) return;
    EventRecord record(program_.events[expiring_event]);
    record.SetText("program", loyalty.name);
    record.SetInt("points", pending_points);
    record.SetInt("balance", account.ledger.Balance());
    record.SetInt("expires_at", *pending_expiry);
    effects.events.push_back({expiring_event, record.Take()});
    pending_expiry.reset();
    pending_points = 0;
  };

  for (const loyalty::Lot& lot : account.ledger.lots()) {
    if (lot.id <= account.noticed_through_lot) continue;
    if (lot.expires_at == loyalty::kNeverExpires) break;
    int64_t notice_at =
        AddLoyaltyLength(lot.expires_at, loyalty.notice, zone, -1);
    if (notice_at > now) break;
    account.noticed_through_lot = lot.id;
    account.changed = true;
    state_.MarkRecordDirty(profile);
    // A lot already spent or expired has nothing left to warn about.
    if (lot.remaining <= 0 || lot.expires_at <= now) continue;
    if (expiring_event < 0) continue;
    // A notice that fell due while no process ran reaches the member at
    // the restart: if the points are gone by then, it would announce an
    // expiry that has happened (and the expiry's own event follows it).
    if (late_before_ && now < *late_before_ &&
        lot.expires_at <= *late_before_) {
      Info(profile, now,
           "expiring notice of " + std::to_string(lot.remaining) +
               " points not sent: they expire at " +
               common::FormatTime(lot.expires_at) + ", before the restart at " +
               common::FormatTime(*late_before_));
      continue;
    }
    if (pending_expiry && *pending_expiry != lot.expires_at) announce();
    pending_expiry = lot.expires_at;
    pending_points += lot.remaining;
  }
  announce();
}

int64_t LoyaltyRules::ReviewAt(const ir::LoyaltyProgram& loyalty,
                               const loyalty::Account& account,
                               const std::string& zone) const {
  return AddLoyaltyLength(account.tier.since, loyalty.keep_tier, zone);
}

void LoyaltyRules::DecideTier(store::Profile& profile, int32_t program,
                              int64_t now, const std::string& zone,
                              LoyaltyEffects& effects) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  if (loyalty.tiers.empty()) return;
  loyalty::Account& account = AccountOf(profile, program);

  // Each tier counts qualifying points over its own window ending now.
  // The highest tier reached decides; the library is given its threshold
  // as the points, which reach that tier and no higher one.
  std::vector<loyalty::TierRule> rules;
  int64_t qualifying = 0;
  for (const ir::LoyaltyTier& tier : loyalty.tiers) {
    rules.push_back({tier.name, tier.threshold});
    int64_t window_start = AddLoyaltyLength(now, tier.within, zone, -1);
    if (account.ledger.QualifyingPoints(window_start, now) >= tier.threshold) {
      qualifying = tier.threshold;
    }
  }
  loyalty::TierStatus before = account.tier;
  loyalty::TierChange change = loyalty::DecideTier(
      rules, account.tier, now, qualifying, ReviewAt(loyalty, account, zone));
  if (before.tier != account.tier.tier || before.since != account.tier.since) {
    account.changed = true;
    state_.MarkRecordDirty(profile);
  }
  if (!change.changed) return;
  account.unsaved_tiers.emplace_back(now, change.to);
  // Segments and journeys may read the tier.
  int64_t balance = account.ledger.Balance();
  effects.moves.push_back({program, balance, balance});

  auto name = [&](int32_t tier) -> Line {
    if (tier == loyalty::kNoTier) return nullptr;
    return loyalty.tiers[tier].name;
  };
  std::string what =
      "tier " + std::to_string(now) + " " + std::to_string(change.to);
  std::string id =
      LoyaltyActionId(program_.module, profile.id, loyalty.name, what);
  Line line = Line::object();
  line["kind"] = "tier";
  line["id"] = id;
  line["at"] = common::FormatTime(now);
  line["profile"] = profile.id;
  line["program"] = loyalty.name;
  line["tier"] = name(change.to);
  line["from"] = name(change.from);
  state_.Emit(id, Finish(line));
  ++effects.lines;

  int32_t changed_event = FindEvent(program_, "TierChanged");
  if (changed_event >= 0) {
    EventRecord record(program_.events[changed_event]);
    record.SetText("program", loyalty.name);
    if (change.to != loyalty::kNoTier) {
      record.SetText("tier", loyalty.tiers[change.to].name);
    }
    if (change.from != loyalty::kNoTier) {
      record.SetText("previous", loyalty.tiers[change.from].name);
    }
    record.SetInt("balance", account.ledger.Balance());
    effects.events.push_back({changed_event, record.Take()});
  }
}

void LoyaltyRules::UpdateWords(store::Profile& profile, int32_t program) {
  const ir::LoyaltyProgram& loyalty = program_.loyalty[program];
  const loyalty::Account& account = AccountOf(profile, program);
  profile.record.Set(loyalty.balance_offset, account.ledger.Balance());
  int64_t tier = account.tier.tier == loyalty::kNoTier
                     ? -1
                     : loyalty.tiers[account.tier.tier].value;
  profile.record.Set(loyalty.tier_offset, tier);
}

int64_t LoyaltyRules::Multiplier(const store::Profile& profile, int32_t program,
                                 int64_t now) const {
  int64_t factor = ir::kDecimalScale;
  ir::Frame frame{profile.record.data(), nullptr, nullptr, now};
  for (const ir::Multiplier& multiplier :
       program_.loyalty[program].multipliers) {
    if (evaluator_.Call(multiplier.condition, frame) == 0) continue;
    factor = static_cast<int64_t>(static_cast<__int128>(factor) *
                                  multiplier.factor / ir::kDecimalScale);
  }
  return factor;
}

std::optional<int64_t> LoyaltyRules::NextWake(const store::Profile& profile,
                                              int64_t now,
                                              const std::string& zone) const {
  std::optional<int64_t> next;
  auto consider = [&](int64_t instant) {
    if (instant > now && instant != loyalty::kNeverExpires &&
        (!next || instant < *next)) {
      next = instant;
    }
  };
  for (size_t p = 0; p < profile.loyalty.size(); ++p) {
    const ir::LoyaltyProgram& loyalty = program_.loyalty[p];
    const loyalty::Account& account = profile.loyalty[p];
    consider(account.ledger.NextExpiry());
    if (loyalty.notice.count > 0) {
      for (const loyalty::Lot& lot : account.ledger.lots()) {
        if (lot.id <= account.noticed_through_lot) continue;
        if (lot.expires_at == loyalty::kNeverExpires) break;
        consider(std::max(now + 1, AddLoyaltyLength(lot.expires_at,
                                                    loyalty.notice, zone, -1)));
        break;
      }
    }
    if (!loyalty.tiers.empty() && account.tier.tier != loyalty::kNoTier) {
      if (loyalty.keep_tier.count > 0) {
        consider(ReviewAt(loyalty, account, zone));
      } else {
        std::optional<int64_t> lapses = TierLapses(
            loyalty.tiers[account.tier.tier], account.ledger, now, zone);
        if (lapses) consider(*lapses);
      }
    }
  }
  return next;
}

}  // namespace parcours::engine
