// Lints: well-formed programs that would still hurt customers or the
// brand. Each is a warning with its own code; `--werror` makes them errors.
#include <algorithm>

#include "compiler/sema/checker.h"

namespace parcours::sema {

using diag::Kind;
using syntax::Expr;
using syntax::StepKind;

namespace {

// The history the engine keeps for any aggregate: windows reaching further
// back read less than they say.
constexpr int64_t kHistoryDays = 3 * 366;

int64_t LengthDays(const syntax::Length& length) {
  if (!length.calendar) return length.count / 86400;
  switch (*length.calendar) {
    case syntax::CalendarUnit::Day: return length.count;
    case syntax::CalendarUnit::Week: return length.count * 7;
    case syntax::CalendarUnit::Month: return length.count * 31;
    case syntax::CalendarUnit::Year: return length.count * 366;
  }
  return 0;
}

bool HasWait(const std::vector<syntax::Step>& steps) {
  return std::any_of(steps.begin(), steps.end(), [](const syntax::Step& step) {
    bool waits = step.kind == StepKind::Wait ||
                 step.kind == StepKind::WaitUntil ||
                 step.kind == StepKind::WaitFor;
    bool nested = HasWait(step.then_steps) || HasWait(step.else_steps) ||
                  std::any_of(step.arms.begin(), step.arms.end(),
                              [](const syntax::SplitArm& arm) {
                                return HasWait(arm.steps);
                              });
    return waits || nested;
  });
}

// The first `split` of `steps`, nested ones included, or null.
const syntax::Step* FirstSplit(const std::vector<syntax::Step>& steps) {
  for (const syntax::Step& step : steps) {
    if (step.kind == StepKind::Split) return &step;
    const syntax::Step* nested = FirstSplit(step.then_steps);
    if (nested == nullptr) nested = FirstSplit(step.else_steps);
    if (nested != nullptr) return nested;
  }
  return nullptr;
}

// The channels `condition` proves consent for when it is true: the
// `consent(c)` calls joined by `and`.
void ConsentedChannels(const Expr& condition, std::vector<std::string>& out) {
  if (condition.kind == syntax::ExprKind::Binary &&
      condition.binary_op == syntax::BinaryOp::And) {
    ConsentedChannels(*condition.operands[0], out);
    ConsentedChannels(*condition.operands[1], out);
    return;
  }
  if (condition.kind == syntax::ExprKind::Call && condition.text == "consent" &&
      condition.arguments.size() == 1 &&
      condition.arguments[0].value->kind == syntax::ExprKind::Name) {
    out.push_back(condition.arguments[0].value->text);
  }
}

// The channels `condition` proves consent for when it is false:
// `not consent(c)` joined by `or`.
void RefusedChannels(const Expr& condition, std::vector<std::string>& out) {
  if (condition.kind == syntax::ExprKind::Binary &&
      condition.binary_op == syntax::BinaryOp::Or) {
    RefusedChannels(*condition.operands[0], out);
    RefusedChannels(*condition.operands[1], out);
    return;
  }
  if (condition.kind == syntax::ExprKind::Unary &&
      condition.unary_op == syntax::UnaryOp::Not) {
    ConsentedChannels(*condition.operands[0], out);
  }
}

}  // namespace

std::optional<bool> Checker::ConstantBool(const Expr& expr) const {
  switch (expr.kind) {
    case syntax::ExprKind::Bool: return expr.int_value != 0;
    case syntax::ExprKind::Unary:
      if (expr.unary_op == syntax::UnaryOp::Not) {
        auto inner = ConstantBool(*expr.operands[0]);
        if (inner) return !*inner;
      }
      return std::nullopt;
    case syntax::ExprKind::Binary: {
      auto left = ConstantBool(*expr.operands[0]);
      auto right = ConstantBool(*expr.operands[1]);
      if (expr.binary_op == syntax::BinaryOp::And) {
        if ((left && !*left) || (right && !*right)) return false;
        if (left && right) return true;
      }
      if (expr.binary_op == syntax::BinaryOp::Or) {
        if ((left && *left) || (right && *right)) return true;
        if (left && right) return false;
      }
      auto a = ConstantInt(*expr.operands[0]);
      auto b = ConstantInt(*expr.operands[1]);
      if (!a || !b) return std::nullopt;
      switch (expr.binary_op) {
        case syntax::BinaryOp::Equal: return *a == *b;
        case syntax::BinaryOp::NotEqual: return *a != *b;
        case syntax::BinaryOp::Less: return *a < *b;
        case syntax::BinaryOp::LessEqual: return *a <= *b;
        case syntax::BinaryOp::Greater: return *a > *b;
        case syntax::BinaryOp::GreaterEqual: return *a >= *b;
        default: return std::nullopt;
      }
    }
    default: return std::nullopt;
  }
}

void Checker::LintJourney(const syntax::JourneyDecl& journey,
                          const JourneyInfo& info) {
  // A contact waiting in the journey when its trigger comes again: without
  // a rule, the second trigger is silently ignored.
  bool restarts = std::find(info.exit_events.begin(), info.exit_events.end(),
                            info.trigger_event) != info.exit_events.end();
  if (info.trigger_event >= 0 && !journey.reentry_span && !restarts &&
      HasWait(journey.steps)) {
    Error(Kind::ReentryWhileWaiting, journey.name.span,
          "journey " + Quote(journey.name.text) + " waits, and " +
              Quote(program_.events[info.trigger_event].name) +
              " can start it again meanwhile; say what happens with "
              "`reentry after 7d`, `reentry never`, or `exit on " +
              program_.events[info.trigger_event].name + "` to restart");
  }

  // A contact leaves a journey once its steps are done. Without a wait
  // that is at once, before any conversion can come: the report would
  // count next to no goals, and the holdout's contacts none at all.
  if (!journey.goals.empty() && !HasWait(journey.steps)) {
    const std::string& goal = journey.goals.front().event.text;
    Error(Kind::GoalWithoutWait, journey.goals.front().span,
          "journey " + Quote(journey.name.text) +
              " has no `wait`, so each contact leaves it as soon as its "
              "messages are out, and `goal " +
              goal + "` counts only an " + Quote(goal) +
              " that comes before then" +
              (journey.holdout ? " (never one of the holdout's)" : "") +
              "; end the journey with a wait as long as the goal's time, as "
              "in `wait 3d` for `within 3d`");
  }

  // A holdout or a split exists to measure what the messages change:
  // without a goal there is nothing to count, and the backtest report
  // shows a lift of zero that reads like a result.
  const syntax::Step* split = FirstSplit(journey.steps);
  if (journey.goals.empty() && (journey.holdout || split != nullptr)) {
    const char* what =
        journey.holdout ? "holds contacts out" : "splits its contacts";
    diag::Span span = journey.holdout ? journey.holdout->span : split->span;
    Error(Kind::MeasureWithoutGoal, span,
          "journey " + Quote(journey.name.text) + " " + what +
              " to measure its messages but has no `goal`, so the backtest "
              "report has no conversion to compare and its lift reads 0; "
              "name what the messages aim at, as in `goal OrderPlaced "
              "within 7d`");
  }

  if (journey.holdout && journey.holdout->kind == syntax::ExprKind::Percent) {
    int64_t percent = journey.holdout->int_value;
    if (percent > 100'000'000) {
      Error(Kind::HoldoutAboveAll, journey.holdout->span,
            "a holdout of " + SpellPercent(percent) +
                " would hold out more contacts than there are; a holdout "
                "is a share from `0%` to `100%`, usually 5% to 10%");
    } else if (percent <= 0 || percent > 50'000'000) {
      Error(Kind::HoldoutOutOfRange, journey.holdout->span,
            "a holdout of " + SpellPercent(percent) +
                " is outside 0% to 50%: " +
                (percent <= 0 ? "nobody is held out, so nothing is measured"
                              : "most contacts would never be messaged"));
    }
  }

  for (const syntax::ExitRule& exit : journey.exits) {
    if (!exit.condition) continue;
    auto value = ConstantBool(*exit.condition);
    if (value && !*value) {
      Error(Kind::ExitNeverTrue, exit.condition->span,
            "this exit condition is always false, so nobody ever leaves "
            "this way; remove it or fix the condition");
    }
  }

  std::vector<std::string> consented = TriggerConsent(journey);
  LintConsent(journey.steps, consented);
  std::map<std::string, diag::Span> templates;
  LintTemplates(journey.steps, templates);
  LintNegativeWaits(journey.steps);
  for (const auto& goal : journey.goals) {
    WarnZeroLength(goal.within.get(),
                   "this goal is met only by an event of the entry's own "
                   "second");
  }

  // A send that the policy defers holds the contact until it goes, for as
  // long as the cap or the quiet hours say.
  bool sends_wait = false;
  if (info.policy >= 0) {
    for (const syntax::PolicyRule& rule :
         program_.policies[info.policy].decl->rules) {
      if (rule.kind == syntax::PolicyRule::Kind::Capped &&
          rule.action.text == "defer") {
        sends_wait = true;
      }
    }
  }
  LintPreemptedWaits(journey.steps, journey, sends_wait, 0);
}

namespace {

// The seconds of an exact, literal length (`4h`), or none.
std::optional<int64_t> LiteralSeconds(const Expr* length) {
  if (length == nullptr || length->kind != syntax::ExprKind::Duration) {
    return std::nullopt;
  }
  return length->int_value;
}

}  // namespace

// Goals and exits are judged before the waits of the same event
// (language.md, "What happens to one event"): a `wait for E` in a journey
// that an `E` always leaves first never runs its first block, and nothing
// else says so. `reached` is the longest time from the entry to `steps`,
// when the program says it; the same for the end of `steps` is returned.
std::optional<int64_t> Checker::LintPreemptedWaits(
    const std::vector<syntax::Step>& steps, const syntax::JourneyDecl& journey,
    bool sends_wait, std::optional<int64_t> reached) {
  auto later = [](std::optional<int64_t> a, std::optional<int64_t> b) {
    return a && b ? std::optional<int64_t>(std::max(*a, *b)) : std::nullopt;
  };
  for (const syntax::Step& step : steps) {
    switch (step.kind) {
      case StepKind::Wait: {
        std::optional<int64_t> length = LiteralSeconds(step.expr.get());
        bool negative = step.expr &&
                        step.expr->kind == syntax::ExprKind::Unary &&
                        LiteralSeconds(step.expr->operands[0].get());
        if (negative) length = 0;  // W0319: no wait at all
        reached = reached && length ? std::optional<int64_t>(*reached + *length)
                                    : std::nullopt;
        break;
      }
      case StepKind::WaitUntil: reached = std::nullopt; break;
      case StepKind::Send:
        if (sends_wait) reached = std::nullopt;
        break;
      case StepKind::If:
        reached = later(
            LintPreemptedWaits(step.then_steps, journey, sends_wait, reached),
            LintPreemptedWaits(step.else_steps, journey, sends_wait, reached));
        break;
      case StepKind::Split: {
        std::optional<int64_t> end = reached;
        for (const syntax::SplitArm& arm : step.arms) {
          end = later(
              end, LintPreemptedWaits(arm.steps, journey, sends_wait, reached));
        }
        reached = end;
        break;
      }
      case StepKind::WaitFor: {
        // An event this wait receives comes before its time runs out.
        std::optional<int64_t> within = LiteralSeconds(step.expr.get());
        std::optional<int64_t> deadline =
            reached && within ? std::optional<int64_t>(*reached + *within)
                              : std::nullopt;
        const std::string& event = step.event.text;
        std::optional<diag::Note> first;
        std::string advice;
        for (const syntax::ExitRule& exit : journey.exits) {
          if (exit.event.text == event && !exit.condition) {
            first = diag::Note{exit.span, "this exit ends the contact first"};
            advice = "give the exit a `where`, or remove it";
          }
        }
        for (const auto& goal : journey.goals) {
          if (first || goal.event.text != event) continue;
          std::optional<int64_t> time = LiteralSeconds(goal.within.get());
          if (!goal.within || (deadline && time && *deadline <= *time)) {
            first = diag::Note{goal.span, "this goal ends the contact first"};
            advice = "act on " + Quote(event) +
                     " in a journey that starts `on " + event +
                     "`, or remove the `wait for`";
          }
        }
        if (first) {
          Error(Kind::WaitForPreempted, step.event.span,
                "this `wait for " + event + "` is never answered: an " +
                    Quote(event) +
                    " that comes in its time ends the contact before the "
                    "wait sees it (exits and goals come first), so its first "
                    "block never runs; " +
                    advice,
                {*first});
        }
        reached = later(
            LintPreemptedWaits(step.then_steps, journey, sends_wait, deadline),
            LintPreemptedWaits(step.else_steps, journey, sends_wait, deadline));
        break;
      }
      default: break;
    }
  }
  return reached;
}

// `wait 0s`, `wait for E within 0h` and `goal E within 0d` are written
// lengths of nothing, most likely a unit or a digit lost in an edit: the
// wait goes on at once, the `wait for` takes its `else` at once, and the
// goal can only be met by an event of the entry's own second.
void Checker::WarnZeroLength(const Expr* length, const std::string& effect) {
  if (LiteralSeconds(length) != 0) return;
  Error(Kind::ZeroLength, length->span,
        "a length of zero: " + effect + "; give the length you meant");
}

// `wait -5d` waits no time at all (a computed length below zero counts as
// none), which is surely not what its writer meant.
void Checker::LintNegativeWaits(const std::vector<syntax::Step>& steps) {
  for (const syntax::Step& step : steps) {
    if (step.kind == StepKind::Wait) {
      WarnZeroLength(step.expr.get(), "this wait goes on at once");
    }
    if (step.kind == StepKind::WaitFor) {
      WarnZeroLength(step.expr.get(),
                     "this `wait for` takes its `else` at once, and its "
                     "first block runs only for an event of the same second");
    }
    const Expr* length =
        step.kind == StepKind::Wait ? step.expr.get() : nullptr;
    bool negative = length != nullptr &&
                    length->kind == syntax::ExprKind::Unary &&
                    length->unary_op == syntax::UnaryOp::Negate &&
                    length->operands[0]->kind == syntax::ExprKind::Duration;
    if (negative) {
      Error(Kind::NegativeWait, length->span,
            "a wait of a negative length waits no time at all, since a "
            "wait cannot go back; remove the minus, or the step");
    }
    LintNegativeWaits(step.then_steps);
    LintNegativeWaits(step.else_steps);
    for (const syntax::SplitArm& arm : step.arms) LintNegativeWaits(arm.steps);
  }
}

void Checker::LintWindow(const syntax::Window& window) {
  const syntax::Length& reach =
      window.kind == syntax::Window::Kind::Between ? window.far : window.near;
  if (window.kind == syntax::Window::Kind::All) return;
  if (LengthDays(reach) <= kHistoryDays) return;
  Error(Kind::WindowTooLong, reach.span,
        "this window reaches back " + std::to_string(LengthDays(reach)) +
            " days, but events are kept for " + std::to_string(kHistoryDays) +
            " days, so it would read less than it says; shorten it");
}

std::vector<std::string> Checker::TriggerConsent(
    const syntax::JourneyDecl& journey) const {
  std::vector<std::string> consented;
  if (journey.triggers.size() != 1) return consented;
  const syntax::Trigger& trigger = journey.triggers.front();
  if (trigger.where) ConsentedChannels(*trigger.where, consented);
  if (trigger.kind != syntax::Trigger::Kind::Entered) return consented;
  int32_t segment = FindSegment(trigger.event.text);
  if (segment < 0 || program_.segments[segment].decl == nullptr) {
    return consented;
  }
  const syntax::SegmentDecl& decl = *program_.segments[segment].decl;
  if (decl.predicate) ConsentedChannels(*decl.predicate, consented);
  return consented;
}

void Checker::LintConsent(const std::vector<syntax::Step>& steps,
                          std::vector<std::string>& consented) {
  for (const syntax::Step& step : steps) {
    if (step.kind == StepKind::Send) {
      bool marketing = !step.category || step.category->text == "marketing";
      // `best of` with a channel that needs no such check can always fall
      // back to it.
      bool fallback =
          step.best_of &&
          std::any_of(step.channels.begin(), step.channels.end(),
                      [](const syntax::Name& channel) {
                        return channel.text != "sms" && channel.text != "push";
                      });
      for (const syntax::Name& channel : step.channels) {
        if (fallback) break;
        bool needs = channel.text == "sms" || channel.text == "push";
        if (!marketing || !needs || Contains(consented, channel.text)) continue;
        Error(Kind::NoConsentPath, channel.span,
              "a marketing " + channel.text +
                  " is sent here without checking consent; wrap it in `if "
                  "consent(" +
                  channel.text +
                  ") { ... }` so the journey "
                  "says what happens without it");
      }
    }
    if (step.kind == StepKind::If) {
      std::vector<std::string> when_true = consented;
      ConsentedChannels(*step.expr, when_true);
      std::vector<std::string> when_false = consented;
      RefusedChannels(*step.expr, when_false);
      LintConsent(step.then_steps, when_true);
      LintConsent(step.else_steps, when_false);
      // `if not consent(sms) { exit }` guards every step after it.
      bool guard = !step.then_steps.empty() &&
                   step.then_steps.back().kind == StepKind::Exit;
      if (guard) consented = when_false;
      continue;
    }
    LintConsent(step.then_steps, consented);
    LintConsent(step.else_steps, consented);
    for (const syntax::SplitArm& arm : step.arms) {
      LintConsent(arm.steps, consented);
    }
  }
}

void Checker::LintTemplates(const std::vector<syntax::Step>& steps,
                            std::map<std::string, diag::Span>& seen) {
  for (const syntax::Step& step : steps) {
    if (step.kind == StepKind::Send) {
      std::string key = step.template_name;
      for (const syntax::Name& channel : step.channels) {
        key += "\x1f" + channel.text;
      }
      auto [found, inserted] = seen.emplace(key, step.template_span);
      if (!inserted) {
        Error(Kind::DuplicateTemplate, step.template_span,
              "template " + Quote(step.template_name) +
                  " is sent twice on the same channel in this journey; a "
                  "contact would get the same message again",
              {{found->second, "first sent here"}});
      }
    }
    // Each branch of an `if` or a split runs alone, so each gets the
    // templates seen so far, and none sees the others'.
    for (const auto* branch : {&step.then_steps, &step.else_steps}) {
      std::map<std::string, diag::Span> copy = seen;
      LintTemplates(*branch, copy);
    }
    for (const syntax::SplitArm& arm : step.arms) {
      std::map<std::string, diag::Span> copy = seen;
      LintTemplates(arm.steps, copy);
    }
  }
}

}  // namespace parcours::sema
