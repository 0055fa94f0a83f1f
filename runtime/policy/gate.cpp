#include "runtime/policy/gate.h"

#include "compiler/ir/text.h"
#include "runtime/common/time_text.h"

namespace parcours::policy {

namespace {

// The channels `profile` has no address for. A channel's address is the
// string attribute `email`, `phone` (sms) or `push_token` (push); a
// program that declares none of them is not checked for that channel.
std::vector<std::string> Unreachable(const ir::Program& program,
                                     const store::Profile& profile) {
  static const std::pair<const char*, const char*> kAddresses[] = {
      {"email", "email"}, {"phone", "sms"}, {"push_token", "push"}};
  std::vector<std::string> unreachable;
  for (const ir::Field& field : program.profile) {
    if (field.type != ir::Type::String) continue;
    for (const auto& [attribute, channel] : kAddresses) {
      if (field.name != attribute) continue;
      bool absent = field.presence_offset >= 0 &&
                    profile.record.Get(field.presence_offset) == 0;
      if (absent || ir::IsBlank(profile.record.GetString(field.offset))) {
        unreachable.push_back(channel);
      }
    }
  }
  return unreachable;
}

const char* KindName(Verdict verdict) {
  switch (verdict) {
    case Verdict::Send: return "send";
    case Verdict::Suppress: return "suppressed";
    case Verdict::Defer: return "deferred";
  }
  return "?";
}

}  // namespace

// Appends the `decisions` row of `decision`, made at `now` (`late`: at a
// restart after the message fell due).
static void Record(store::State& state, const store::Profile& profile,
                   const ir::Journey& journey, const ir::Step& step,
                   int64_t now, const Decision& decision, bool late,
                   std::string_view template_name);

// What the policy reads to decide on `step`'s message to `profile` at
// `goes_out_at`.
static Request MakeRequest(const ir::Program& program, store::State& state,
                           const store::Profile& profile,
                           const ir::Journey& journey, const ir::Step& step,
                           int64_t goes_out_at, const std::string& zone) {
  store::PolicyLedger& ledger = state.policy_ledger();
  Request request;
  request.step = &step;
  request.policy =
      journey.policy >= 0 ? &program.policies[journey.policy] : nullptr;
  request.profile = profile.record.data();
  request.zone = zone;
  request.now = goes_out_at;
  request.deferred_since = ledger.DeferredSince(profile.id, journey.name);
  request.history = &ledger.Contacts(profile.id);
  request.ledger = &ledger;
  request.profile_id = profile.id;
  request.unreachable = Unreachable(program, profile);
  if (request.policy != nullptr && request.policy->prefer_attribute >= 0) {
    const ir::Field& field = program.profile[request.policy->prefer_attribute];
    bool present = field.presence_offset < 0 ||
                   profile.record.Get(field.presence_offset) != 0;
    if (present) {
      request.preferred = std::string(profile.record.GetString(field.offset));
    }
  }
  return request;
}

Decision DecideAndRecord(const ir::Program& program,
                         const ir::Evaluator& evaluator, store::State& state,
                         const store::Profile& profile,
                         const ir::Journey& journey, const ir::Step& step,
                         int64_t now, int64_t goes_out_at,
                         const std::string& zone) {
  store::PolicyLedger& ledger = state.policy_ledger();
  Request request =
      MakeRequest(program, state, profile, journey, step, goes_out_at, zone);
  Decision decision = Decide(evaluator, request);
  // A late message's rules were read at the restart, not at the `at` its
  // line shows: the detail says so, or a hold for quiet hours at 18:00
  // would look wrong.
  if (decision.rule != nullptr && goes_out_at != now) {
    decision.detail +=
        ", as of the restart at " + common::FormatTime(goes_out_at);
  }

  if (decision.verdict == Verdict::Defer) {
    ledger.SetDeferredSince(profile.id, journey.name,
                            request.deferred_since.value_or(goes_out_at));
  } else {
    ledger.SetDeferredSince(profile.id, journey.name, std::nullopt);
  }
  // Caps count a message when it reached the customer.
  if (decision.verdict == Verdict::Send && decision.counted) {
    ledger.AddContact(profile.id,
                      {goes_out_at, decision.channel, step.category}, true);
  }

  Record(state, profile, journey, step, now, decision, goes_out_at > now,
         step.template_name);
  return decision;
}

static void Record(store::State& state, const store::Profile& profile,
                   const ir::Journey& journey, const ir::Step& step,
                   int64_t now, const Decision& decision, bool late,
                   std::string_view template_name) {
  store::DecisionRow row;
  row.at = now;
  row.late = late;
  row.profile = profile.id;
  row.journey = journey.name;
  row.step = step.name;
  row.channel = decision.channel;
  row.template_name = template_name;
  row.kind = KindName(decision.verdict);
  row.reason = decision.reason;
  row.detail = decision.detail;
  if (decision.rule != nullptr) {
    row.rule_where = decision.rule->where;
    row.rule_text = decision.rule->text;
  }
  if (decision.verdict == Verdict::Defer) row.until = decision.until;
  state.policy_ledger().AddDecision(std::move(row));
}

std::optional<int64_t> HoldoutDeferral(
    const ir::Program& program, const ir::Evaluator& evaluator,
    store::State& state, const store::Profile& profile,
    const ir::Journey& journey, const ir::Step& step, int64_t goes_out_at,
    const std::string& zone) {
  if (journey.policy < 0) return std::nullopt;
  Request request =
      MakeRequest(program, state, profile, journey, step, goes_out_at, zone);
  // Its caps count the messages its holdouts held back as if sent: a
  // messaged contact's would have filled them.
  store::PolicyLedger& ledger = state.policy_ledger();
  std::vector<store::Contact> history = ledger.ControlHistory(profile.id);
  request.history = &history;
  Decision decision = Decide(evaluator, request);

  // The deferral's start is kept as a messaged contact's is, so that
  // `within` gives up on the holdout's message when it would on theirs.
  if (decision.verdict != Verdict::Defer) {
    ledger.SetDeferredSince(profile.id, journey.name, std::nullopt);
    if (decision.verdict == Verdict::Send && decision.counted) {
      ledger.AddHeldOutContact(
          profile.id, {goes_out_at, decision.channel, step.category}, true);
    }
    return std::nullopt;
  }
  ledger.SetDeferredSince(profile.id, journey.name,
                          request.deferred_since.value_or(goes_out_at));
  return decision.until;
}

Decision DropDeferred(store::State& state, const store::Profile& profile,
                      const ir::Journey& journey, const ir::Step& step,
                      int64_t now, std::string detail) {
  Decision decision;
  decision.verdict = Verdict::Suppress;
  decision.channel = step.best_of.empty() ? step.channel : step.best_of[0];
  decision.reason = "exit";
  decision.detail = std::move(detail);
  state.policy_ledger().SetDeferredSince(profile.id, journey.name,
                                         std::nullopt);
  Record(state, profile, journey, step, now, decision, false,
         step.template_name);
  return decision;
}

Decision HoldOut(store::State& state, const store::Profile& profile,
                 const ir::Journey& journey, const ir::Step& step, int64_t now,
                 std::string detail, bool late, std::string_view name) {
  Decision decision;
  decision.verdict = Verdict::Suppress;
  // A held task, webhook or award is recorded under its kind, with its
  // text, webhook or program as the template, for `explain` to name.
  bool message = step.kind == ir::StepKind::Send;
  if (message) {
    decision.channel = step.channel;
  } else {
    decision.channel = step.kind == ir::StepKind::Task      ? "task"
                       : step.kind == ir::StepKind::Webhook ? "webhook"
                                                            : "award";
  }
  decision.reason = "holdout";
  decision.detail = std::move(detail);
  Record(state, profile, journey, step, now, decision, late,
         message ? std::string_view(step.template_name) : name);
  return decision;
}

}  // namespace parcours::policy
