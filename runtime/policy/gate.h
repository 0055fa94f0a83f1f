// The engine's one call into pressure policies: decide on a message and
// remember the decision (contact history, deferral, decisions table).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "runtime/policy/decide.h"
#include "runtime/store/state.h"

namespace parcours::policy {

// Decides on the message of `step` (a Send step of `journey`) for
// `profile`, due at `now`, and records it in the state's policy ledger: a
// counted send joins the contact history, a deferral keeps the time it
// began until the message is sent or suppressed, and every decision gets
// a row (at `now`). The caller writes the action line and schedules a
// deferral.
//
// `goes_out_at` is when the message would really reach the customer:
// `now`, or later for a late one (due while no live run was up, decided
// at the restart). Quiet hours, caps, deferrals and the contact history
// go by it, so a late message meets the quiet hours and caps of the
// moment it goes out; the detail of such a held one says so.
Decision DecideAndRecord(const ir::Program& program,
                         const ir::Evaluator& evaluator, store::State& state,
                         const store::Profile& profile,
                         const ir::Journey& journey, const ir::Step& step,
                         int64_t now, int64_t goes_out_at,
                         const std::string& zone);

// When the message of `step` to a contact of `journey`'s holdout would
// have gone out, had the contact been messaged: the instant the policy
// would defer it to (quiet hours, a full cap), or none when it would go
// now or never. Its caps count the messages the holdouts held back
// before as if they were sent; one that would go now is recorded so
// (`PolicyLedger::AddHeldOutContact`), as is the start of a deferral,
// and no other decision counts them. The control group waits as long
// as the treated one, so that its later waits, exits and goals keep the
// same pace.
std::optional<int64_t> HoldoutDeferral(
    const ir::Program& program, const ir::Evaluator& evaluator,
    store::State& state, const store::Profile& profile,
    const ir::Journey& journey, const ir::Step& step, int64_t goes_out_at,
    const std::string& zone);

// The suppression of a deferred message whose instance leaves its journey
// (`reason` "exit"), recorded like a decision; its deferral is forgotten.
Decision DropDeferred(store::State& state, const store::Profile& profile,
                      const ir::Journey& journey, const ir::Step& step,
                      int64_t now, std::string detail);

// The suppression of a message to a contact the journey's holdout keeps
// from hearing anything (`reason` "holdout"), recorded like a decision on
// the step's first channel; it takes no slot under any cap. `late` as in
// `DecideAndRecord`. A task, webhook or award step is recorded with its
// kind as the channel and `name` (its text, webhook or program) as the
// template.
Decision HoldOut(store::State& state, const store::Profile& profile,
                 const ir::Journey& journey, const ir::Step& step, int64_t now,
                 std::string detail, bool late, std::string_view name = {});

}  // namespace parcours::policy
