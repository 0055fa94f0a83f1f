// Journeys: triggers, exits, reentry, holdouts, goals, and every step.
#include <algorithm>
#include <cstdio>

#include "compiler/ir/ir.h"
#include "compiler/ir/text.h"
#include "compiler/sema/checker.h"

namespace parcours::sema {

using diag::Kind;
using syntax::Expr;
using syntax::StepKind;

namespace {

const Type kInt = MakeType(TypeKind::Int);

}  // namespace

void Checker::CheckJourney(const syntax::JourneyDecl& journey) {
  JourneyInfo info;
  info.name = journey.name.text;
  info.decl = &journey;
  Scope step_scope;
  block_aliases_.clear();

  if (journey.triggers.empty()) {
    Error(Kind::NoTrigger, journey.name.span,
          "journey " + Quote(journey.name.text) +
              " has no trigger (`on ...` or `every ...`), so no one can ever "
              "enter it");
  }
  for (size_t i = 0; i < journey.triggers.size(); ++i) {
    if (i > 0) {
      Error(Kind::SecondTrigger, journey.triggers[i].span,
            "a journey has one trigger; split this journey in two");
      continue;
    }
    CheckTrigger(journey.triggers[i], info, step_scope);
  }
  for (const auto& [keyword, span] : journey.repeated_clauses) {
    Error(Kind::RepeatedJourneyClause, span,
          "journey " + Quote(journey.name.text) + " already has a `" + keyword +
              "` clause, and only one can hold; keep the one "
              "you mean");
  }
  CheckExits(journey, info);
  CheckJourneyRules(journey, info);

  std::map<std::string, diag::Span> labels;
  CheckSteps(journey.steps, step_scope, labels);
  LintJourney(journey, info);
  program_.journeys.push_back(std::move(info));
}

void Checker::CheckTrigger(const syntax::Trigger& trigger, JourneyInfo& info,
                           Scope& step_scope) {
  using Kind = syntax::Trigger::Kind;
  Scope where_scope;
  switch (trigger.kind) {
    case Kind::Event:
      info.trigger_event = ResolveEvent(trigger.event);
      info.where = trigger.where.get();
      if (trigger.alias && info.trigger_event >= 0) {
        step_scope.alias = trigger.alias->text;
        step_scope.alias_event = info.trigger_event;
        step_scope.alias_ref = RefKind::LocalField;
        where_scope = step_scope;
        where_scope.alias_ref = RefKind::EventField;
      } else if (trigger.alias) {
        step_scope.dead_aliases.push_back(trigger.alias->text);
        where_scope.dead_aliases.push_back(trigger.alias->text);
      }
      break;
    case Kind::Entered:
    case Kind::Left:
      if (FindSegment(trigger.event.text) < 0) {
        std::vector<std::string> names;
        for (const SegmentInfo& segment : program_.segments) {
          names.push_back(segment.name);
        }
        Error(diag::Kind::UnknownSegment, trigger.event.span,
              "unknown segment " + Quote(trigger.event.text) +
                  Suggest(trigger.event.text, names));
      }
      break;
    case Kind::Date: {
      Type type = CheckExpr(*trigger.expr, where_scope);
      bool date = type.kind == TypeKind::Date || type.kind == TypeKind::Time;
      if (type.kind != TypeKind::Error && !date) {
        Error(diag::Kind::NotDate, trigger.expr->span,
              "`on date` needs a date such as `profile.birthday`, not " +
                  SpellType(type));
      }
      CheckLocalTime(trigger.local, trigger.span, "`on date ... at`");
      break;
    }
    case Kind::Schedule: {
      bool known = trigger.day && (trigger.day->text == "day" ||
                                   Contains(Weekdays(), trigger.day->text));
      if (!known) {
        std::vector<std::string> days = Weekdays();
        days.push_back("day");
        Error(diag::Kind::UnknownScheduleDay, trigger.day->span,
              "`every` takes a weekday or `day`, not " +
                  Quote(trigger.day->text) + Suggest(trigger.day->text, days));
      }
      CheckLocalTime(trigger.local, trigger.span, "`every`");
      break;
    }
    case Kind::PointsCrossing: {
      Type type = CheckExpr(*trigger.expr, where_scope);
      Expect(*trigger.expr, type, kInt, "a points threshold");
      if (program_.programs.empty()) {
        Error(diag::Kind::PointsWithoutProgram, trigger.span,
              "`on points crossing` needs a loyalty `program`");
      }
      break;
    }
  }
  if (trigger.where) {
    ExpectBool(*trigger.where, CheckExpr(*trigger.where, where_scope),
               "a `where` filter");
    // Every trigger's filter runs, not only an event's.
    info.where = trigger.where.get();
  }
}

void Checker::CheckExits(const syntax::JourneyDecl& journey,
                         JourneyInfo& info) {
  // An exit is judged on the profile and the clock, with no event of the
  // contact's own at hand: say so when the trigger's alias is read there.
  const syntax::Trigger* trigger =
      journey.triggers.empty() ? nullptr : &journey.triggers.front();
  for (const syntax::ExitRule& exit : journey.exits) {
    Scope scope;
    if (trigger != nullptr && trigger->alias) {
      scope.unreadable_alias = trigger->alias->text;
      scope.unreadable_why =
          "; an exit condition reads the profile, its segments and `now`, "
          "not the trigger's alias " +
          Quote(trigger->alias->text) +
          "; keep what it needs in the profile with `set`";
    }
    if (!exit.event.text.empty()) {
      int32_t event = ResolveEvent(exit.event);
      if (event < 0) continue;
      info.exit_events.push_back(event);
    }
    if (exit.condition) {
      ExpectBool(*exit.condition, CheckExpr(*exit.condition, scope),
                 exit.event.text.empty() ? "`exit when`" : "an exit filter");
    }
  }
}

void Checker::CheckJourneyRules(const syntax::JourneyDecl& journey,
                                JourneyInfo& info) {
  Scope scope;
  if (journey.reentry_after) {
    ExpectLength(*journey.reentry_after, scope, "`reentry after`");
    CheckCalendarLength(*journey.reentry_after,
                        "`reentry after` in calendar units");
  }
  if (journey.holdout) ExpectPercent(*journey.holdout, scope, "`holdout`");
  for (const auto& goal : journey.goals) {
    ResolveEvent(goal.event);
    if (!goal.within) continue;
    ExpectLength(*goal.within, scope, "a goal's `within`");
    CheckCalendarLength(*goal.within, "a goal's `within` in calendar units");
  }
  if (!journey.policy) return;
  for (size_t i = 0; i < program_.policies.size(); ++i) {
    if (program_.policies[i].name == journey.policy->text) {
      info.policy = static_cast<int32_t>(i);
      return;
    }
  }
  std::vector<std::string> names;
  for (const PolicyInfo& policy : program_.policies)
    names.push_back(policy.name);
  Error(Kind::UnknownPolicy, journey.policy->span,
        "unknown policy " + Quote(journey.policy->text) +
            Suggest(journey.policy->text, names));
}

void Checker::CheckLocalTime(bool local, const diag::Span& span,
                             const char* what) {
  if (!local) {
    Error(Kind::ScheduleWithoutLocal, span,
          std::string(what) +
              " takes a time in the recipient's zone; add `local`, as in "
              "`09:00 local`");
    return;
  }
  if (!ProfileHasTimeZone()) {
    Error(Kind::NoTimeZone, span,
          std::string(what) +
              " uses the recipient's local time, but the profile has no "
              "`tz` attribute, so every recipient gets UTC; add one, as in "
              "`timezone: tz = \"Europe/Paris\"`");
  }
}

void Checker::CheckCalendarLength(const Expr& length, const char* what) {
  if (length.kind != syntax::ExprKind::Calendar) return;
  CheckLocalTime(true, length.span, what);
}

void Checker::CheckSteps(const std::vector<syntax::Step>& steps,
                         const Scope& scope,
                         std::map<std::string, diag::Span>& labels) {
  bool exited = false;
  for (const syntax::Step& step : steps) {
    if (exited) {
      Error(Kind::UnreachableStep, step.span,
            "this step comes after `exit` and can never run; remove it");
      exited = false;  // one warning per run of dead steps
    }
    if (step.label) Claim(labels, *step.label, "step label");
    CheckStep(step, scope, labels);
    exited = step.kind == StepKind::Exit;
  }
}

void Checker::CheckStep(const syntax::Step& step, const Scope& scope,
                        std::map<std::string, diag::Span>& labels) {
  switch (step.kind) {
    case StepKind::Wait:
      // A calendar wait counts on the recipient's wall clock. A computed
      // length is exact time, worked out when the contact reaches it.
      if (ExpectLength(*step.expr, scope, "`wait`", true, true) &&
          step.expr->kind == syntax::ExprKind::Calendar) {
        CheckLocalTime(true, step.span, "`wait` in calendar units");
      }
      return;
    case StepKind::WaitUntil:
      CheckLocalTime(step.local, step.span, "`wait until`");
      return;
    case StepKind::WaitFor: {
      ExpectLength(*step.expr, scope, "`wait for ... within`");
      CheckCalendarLength(*step.expr,
                          "`wait for ... within` in calendar units");
      int32_t event = ResolveEvent(step.event);
      Scope inner = scope;
      // The filter reads the awaited event as the event being handled, so
      // a trigger handed in that way (in a block that received another
      // event) is not readable there.
      if (inner.second_alias_ref == RefKind::EventField) {
        inner.unreadable_alias = inner.second_alias;
        inner.second_alias.clear();
        inner.second_alias_event = -1;
        inner.second_alias_ref = RefKind::None;
      }
      if (event < 0 && step.alias) {
        inner.dead_aliases.push_back(step.alias->text);
      }
      if (step.alias) block_aliases_.insert(step.alias->text);
      if (event >= 0 && step.alias) {
        // The filter runs before the event replaces the instance's
        // locals, so the alias that named them still reads them (unless
        // the awaited event's alias hides it).
        bool locals_named = scope.alias_ref == RefKind::LocalField &&
                            scope.alias != step.alias->text;
        if (locals_named) {
          inner.second_alias = scope.alias;
          inner.second_alias_event = scope.alias_event;
          inner.second_alias_ref = RefKind::LocalField;
        }
        inner.alias = step.alias->text;
        inner.alias_event = event;
        inner.alias_ref = RefKind::EventField;
      }
      if (step.condition) {
        ExpectBool(*step.condition, CheckExpr(*step.condition, inner),
                   "a `wait for` filter");
      }
      // In the block run when the event came, its alias names it, and the
      // trigger's alias still names the trigger (the engine hands its
      // record in as the event being handled; ir::Step::arrived_event).
      // A `wait for ... as` inside another's block cannot run (E0950), so
      // the locals there were always the trigger's.
      Scope arrived = inner;
      arrived.alias_ref = RefKind::LocalField;
      arrived.second_alias.clear();
      arrived.second_alias_event = -1;
      arrived.second_alias_ref = RefKind::None;
      if (inner.second_alias_ref == RefKind::LocalField &&
          scope.alias_ref == RefKind::LocalField &&
          scope.second_alias.empty()) {
        arrived.second_alias = scope.alias;
        arrived.second_alias_event = scope.alias_event;
        arrived.second_alias_ref = RefKind::EventField;
      }
      CheckSteps(step.then_steps, step.alias ? arrived : scope, labels);
      CheckSteps(step.else_steps, scope, labels);
      return;
    }
    case StepKind::Send: CheckSend(step, scope); return;
    case StepKind::If:
      ExpectBool(*step.expr, CheckExpr(*step.expr, scope), "an `if`");
      CheckSteps(step.then_steps, scope, labels);
      CheckSteps(step.else_steps, scope, labels);
      return;
    case StepKind::Split: CheckSplit(step, scope, labels); return;
    case StepKind::Exit: return;
    default: CheckActionStep(step, scope); return;
  }
}

void Checker::CheckChannelName(const syntax::Name& channel) {
  const auto& channels = KnownChannels();
  if (Contains(channels, channel.text)) return;
  std::string hint = Suggest(channel.text, channels);
  if (hint.empty()) hint = "; the channels are email, inapp, push and sms";
  Error(Kind::UnknownChannel, channel.span,
        "unknown channel " + Quote(channel.text) + hint);
}

void Checker::CheckPriorityName(const syntax::Name& priority) {
  if (Contains(KnownPriorities(), priority.text)) return;
  std::string hint = Suggest(priority.text, KnownPriorities());
  if (hint.empty())
    hint = "; the priorities are low, normal, high and critical";
  Error(Kind::UnknownPriority, priority.span,
        "unknown priority " + Quote(priority.text) + hint);
}

void Checker::CheckCategoryName(const syntax::Name& category) {
  if (Contains(KnownCategories(), category.text)) return;
  Error(Kind::UnknownCategory, category.span,
        "unknown category " + Quote(category.text) +
            Suggest(category.text, KnownCategories()) +
            " (marketing, security, service, transactional)");
}

void Checker::CheckSend(const syntax::Step& step, const Scope& scope) {
  for (const syntax::Name& channel : step.channels) CheckChannelName(channel);
  if (step.best_of && step.channels.size() < 2) {
    Error(Kind::BestOfOneChannel, step.span,
          "`send best of` needs at least two channels to choose from");
  }
  if (step.template_name.empty()) {
    Error(Kind::MissingTemplate, step.template_span,
          "a `send` needs a template name");
  }
  if (step.payload) {
    Type type = CheckExpr(*step.payload, scope);
    if (type.kind != TypeKind::Error && type.kind != TypeKind::Record) {
      Error(Kind::PayloadNotRecord, step.payload->span,
            "`with` takes the fields of the message, as in `with { items: "
            "cart.items }`, not " +
                SpellType(type));
    }
  }
  if (step.priority) CheckPriorityName(*step.priority);
  if (step.category) CheckCategoryName(*step.category);
}

void Checker::CheckSplit(const syntax::Step& step, const Scope& scope,
                         std::map<std::string, diag::Span>& labels) {
  int64_t total = 0;
  std::map<std::string, diag::Span> arms;
  for (const syntax::SplitArm& arm : step.arms) {
    if (arm.name) Claim(arms, *arm.name, "split arm");
    total += arm.percent;
    CheckSteps(arm.steps, scope, labels);
  }
  constexpr int64_t kHundredPercent = 100 * ir::kDecimalScale;
  if (total == kHundredPercent || step.arms.empty()) return;

  // The exact figures: a total rounded to a whole percent ("99%" for three
  // arms of 33.333333%) sends the marketer looking for a missing percent.
  int64_t missing = kHundredPercent - total;
  std::string gap = " (" + SpellPercent(missing < 0 ? -missing : missing) +
                    (missing < 0 ? " over)" : " short)");
  // The last arm is the one to change, unless that would empty it.
  const syntax::SplitArm& last = step.arms.back();
  int64_t fixed_last = last.percent + missing;
  std::string arm_name =
      last.name ? Quote(last.name->text) : std::string("the last arm");
  std::string advice =
      fixed_last > 0 ? "; make " + arm_name + " " + SpellPercent(fixed_last)
                     : "; make them add up to 100%";
  Error(Kind::SplitNotWhole, step.span,
        "the arms of this split add up to " + SpellPercent(total) +
            ", not 100%" + gap +
            ", so contacts would be lost or counted twice" + advice);
}

void Checker::CheckActionStep(const syntax::Step& step, const Scope& scope) {
  switch (step.kind) {
    case StepKind::Task:
      if (step.system.text != "crm") {
        Error(Kind::UnknownTaskSystem, step.system.span,
              "tasks go to `crm`, not " + Quote(step.system.text));
      }
      return;
    case StepKind::Webhook:
      if (step.payload) CheckExpr(*step.payload, scope);
      return;
    case StepKind::Set: {
      const Expr& target = *step.target;
      bool profile_field = target.kind == syntax::ExprKind::Field &&
                           target.operands[0]->kind == syntax::ExprKind::Name &&
                           target.operands[0]->text == "profile";
      if (!profile_field) {
        Error(Kind::SetNotProfile, target.span,
              "`set` changes a profile attribute, as in `set "
              "profile.lifecycle = active`");
        return;
      }
      Type type = CheckExpr(target, scope);
      if (type.kind == TypeKind::Error) return;
      CheckValue(*step.expr, type, scope,
                 Quote("profile." + target.field.text));
      return;
    }
    case StepKind::Emit: {
      int32_t event = ResolveEvent(step.event);
      if (event < 0 || !step.record) return;
      CheckRecordFields(*step.record, program_.events[event].fields,
                        "event " + Quote(step.event.text), scope, true);
      return;
    }
    case StepKind::Award: {
      Type type = CheckExpr(*step.expr, scope);
      Expect(*step.expr, type, kInt, "`award`");
      if (program_.programs.empty()) {
        Error(Kind::AwardWithoutProgram, step.span,
              "`award` needs a loyalty `program` to hold the points");
      }
      return;
    }
    default: return;
  }
}

}  // namespace parcours::sema
