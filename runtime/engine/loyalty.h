// The loyalty programs of a profile at run time: applies each program's
// rules (compiler/ir/loyalty.h) to the member's points ledger and tier,
// and writes the `points` and `tier` action lines (contracts.md).
//
// The engine calls it
//   - for every track event, before aggregates, segments and journeys see
//     the event, so that their conditions read the balance after it;
//   - at the profile's re-checks, for the expiries, expiring notices and
//     tier reviews that fall due with no event (`NextWake` says when);
//   - for an `award` step.
// Docs: docs/loyalty.md ("In the engine").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/state.h"

namespace parcours::engine {

// What a loyalty step leaves for the engine to do afterwards.
struct LoyaltyEffects {
  // A balance that moved: journeys `on points crossing N` start when it
  // went from below N to N or above.
  struct Move {
    int32_t program = 0;
    int64_t before = 0;
    int64_t after = 0;
  };
  std::vector<Move> moves;
  // Events to apply to the profile (`PointsEarned`, ...): event type and
  // record.
  struct Event {
    int32_t event_type = 0;
    common::Record record;
  };
  std::vector<Event> events;
  // `points` and `tier` lines written, for the run's count of actions.
  int64_t lines = 0;
};

class LoyaltyRules {
 public:
  LoyaltyRules(const ir::Program& program, const ir::Evaluator& evaluator,
               store::State& state);

  bool active() const { return !program_.loyalty.empty(); }

  // Applies the rules a track event meets, at `now`, in the member's
  // `zone` (calendar lengths count on it).
  void OnEvent(store::Profile& profile, const ingest::DecodedEvent& event,
               int64_t now, const std::string& zone, LoyaltyEffects& effects);

  // Expiries, notices and tier reviews due at or before `now`.
  void OnTime(store::Profile& profile, int64_t now, const std::string& zone,
              LoyaltyEffects& effects);

  // `award N points`: a lot whose source is `source` (the journey's action
  // id), in program `program`.
  void Award(store::Profile& profile, int32_t program, int64_t points,
             int64_t now, const std::string& zone, const std::string& source,
             LoyaltyEffects& effects);

  // Work due before `time` fell due while no process ran (see
  // `Engine::set_late_before`): it reaches the member at `time`.
  void set_late_before(std::optional<int64_t> time) { late_before_ = time; }

  // The next instant after `now` at which `OnTime` has work, if any.
  std::optional<int64_t> NextWake(const store::Profile& profile, int64_t now,
                                  const std::string& zone) const;

  // Redemptions refused since the rules were made because they asked for
  // more points than the member held (each also a `warn` row in `log`).
  int64_t redemptions_refused() const { return redemptions_refused_; }

 private:
  loyalty::Account& AccountOf(store::Profile& profile, int32_t program);
  // The rules of `program` that `event` concerns, in order: earnings,
  // a redemption, a refund, then the tier.
  void ApplyProgram(store::Profile& profile, int32_t program,
                    const ingest::DecodedEvent& event, int64_t now,
                    const std::string& zone, LoyaltyEffects& effects);
  // `earn N points per M CUR of E.f`: a lot per order, which keeps the
  // order's amount; an order id earns once. Returns whether the event
  // was an order that had earned already (and a `warn` row said so).
  bool EarnPerAmount(store::Profile& profile, int32_t program,
                     const ingest::DecodedEvent& event, int64_t now,
                     const std::string& zone, int64_t multiplier,
                     LoyaltyEffects& effects);
  // `earn N points on E[, at most once per D][, part of the sale]`. The
  // points of a sale are the order's fixed points when `E` names an
  // order (`OrderOf`): kept with the order's id and amount for its
  // refund, and earned once per order; `resent_order` says the `per`
  // rules found the order earned already.
  void EarnOnEvent(store::Profile& profile, int32_t program,
                   const ingest::DecodedEvent& event, int64_t now,
                   const std::string& zone, int64_t multiplier,
                   bool resent_order, LoyaltyEffects& effects);
  // `burn on E.f`: a redemption, or a `warn` row saying why it was
  // refused.
  void Redeem(store::Profile& profile, int32_t program,
              const ingest::DecodedEvent& event, int64_t now,
              LoyaltyEffects& effects);
  // `refund [E.amount] on E.f`: the order's points taken back, whole or
  // in part (those earned on its amount, then its fixed points), or rows
  // in `log` saying why nothing was.
  void RefundOrder(store::Profile& profile, int32_t program,
                   const ingest::DecodedEvent& event, int64_t now,
                   LoyaltyEffects& effects);
  // One lot of a refunded order, and how messages name its points.
  struct OrderLot {
    int64_t lot = 0;
    std::string points;  // "points earned", "fixed points earned on `E`"
    // For fixed points (`earn N points on E, part of the sale`): `E`.
    std::optional<std::string> fixed_on;
  };
  // What a refund of an order says in `log`, gathered over its lots.
  struct RefundNotes;
  // Refunds one lot of an order, whole (`part` none) or a share.
  // Returns the points taken back.
  int64_t RefundLot(store::Profile& profile, int32_t program,
                    const OrderLot& lot,
                    const std::optional<std::pair<int64_t, int64_t>>& part,
                    const std::string& order, int64_t now,
                    const std::string& source, RefundNotes& notes);
  // The lots of the order whose id is `value` in a field like `field`
  // (of the refund event) of an earning event: the lot of its `earn ...
  // per` rules, then its fixed points. Empty when it earned nothing.
  std::vector<OrderLot> OrderLots(const ir::LoyaltyProgram& loyalty,
                                  const loyalty::Ledger& ledger,
                                  const ir::Field& field,
                                  const std::string& value) const;
  // The order an earning event names, as a refund finds it: its field of
  // the name and type of the refund rule's order id. None when the
  // program has no `refund` rule or the event no such field.
  struct OrderKey {
    std::string text;    // "order_id 42", for messages
    std::string source;  // "OrderPlaced:order_id=42", the lot's source
  };
  std::optional<OrderKey> OrderOf(const ir::LoyaltyProgram& loyalty,
                                  const ir::EventType& event_type,
                                  const common::Record& record) const;
  // Opens a lot of `points` and says so. Returns its id, or kNoLot when
  // the ledger refused it.
  int64_t Earn(store::Profile& profile, int32_t program, int64_t points,
               int64_t now, const std::string& zone, const std::string& source,
               LoyaltyEffects& effects);
  // Writes the expiries due by `now`, one line per lot.
  void Expire(store::Profile& profile, int32_t program, int64_t now,
              LoyaltyEffects& effects);
  void Notify(store::Profile& profile, int32_t program, int64_t now,
              const std::string& zone, LoyaltyEffects& effects);
  void DecideTier(store::Profile& profile, int32_t program, int64_t now,
                  const std::string& zone, LoyaltyEffects& effects);
  // A `points` line for rows [`first_row`, `end_row`), which are all of
  // one operation; records the balance's move.
  void ReportRows(store::Profile& profile, int32_t program, size_t first_row,
                  const char* reason, LoyaltyEffects& effects,
                  size_t end_row = SIZE_MAX);
  void UpdateWords(store::Profile& profile, int32_t program);
  // The product of the multipliers whose condition holds, in
  // kDecimalScale units.
  int64_t Multiplier(const store::Profile& profile, int32_t program,
                     int64_t now) const;
  int64_t ReviewAt(const ir::LoyaltyProgram& loyalty,
                   const loyalty::Account& account,
                   const std::string& zone) const;
  // A `log` row of component `loyalty`; `level` is a literal.
  void Log(const store::Profile& profile, int64_t now, const char* level,
           const std::string& message);
  void Warn(const store::Profile& profile, int64_t now,
            const std::string& message);
  void Info(const store::Profile& profile, int64_t now,
            const std::string& message);

  const ir::Program& program_;
  const ir::Evaluator& evaluator_;
  store::State& state_;
  std::optional<int64_t> late_before_;
  int64_t redemptions_refused_ = 0;
};

// `time` plus `length` (calendar units in `zone`, or exact seconds);
// `sign` -1 subtracts.
int64_t AddLoyaltyLength(int64_t time, const ir::LoyaltyLength& length,
                         const std::string& zone, int sign = 1);

}  // namespace parcours::engine
