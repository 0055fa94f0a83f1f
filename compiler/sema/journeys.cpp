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

// One character of a template name that cannot be meant: invisible, or a
// control character, named with its code point ("zero-width space
// (U+200B)").
struct HiddenCharacter {
  std::string what;
  size_t position = 0;  // in characters, from 1
  size_t bytes = 0;
  bool at_start = false;
  bool at_end = false;
};

// The control character (C0, DEL, C1) that `text` starts with, with its
// length in bytes; 0 when it starts with anything else.
size_t ControlAt(std::string_view text, uint32_t& code) {
  if (text.empty()) return 0;
  auto byte = static_cast<unsigned char>(text[0]);
  if (byte < 0x20 || byte == 0x7F) {
    code = byte;
    return 1;
  }
  auto next = text.size() > 1 ? static_cast<unsigned char>(text[1]) : 0;
  if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {
    code = next;
    return 2;
  }
  return 0;
}

std::string CodePoint(uint32_t code) {
  char text[16];
  std::snprintf(text, sizeof text, "U+%04X", code);
  return text;
}

// The characters of `name` that nobody sees, or that cannot be in a name
// a template store holds, with their places; a space between words is
// not one of them.
std::vector<HiddenCharacter> HiddenCharacters(std::string_view name) {
  std::vector<HiddenCharacter> found;
  size_t position = 0;
  std::string_view rest = name;
  while (!rest.empty()) {
    ++position;
    uint32_t code = 0;
    HiddenCharacter hidden;
    hidden.position = position;
    if (const ir::Invisible* invisible = ir::InvisibleAt(rest)) {
      hidden.what = std::string(invisible->name) + " (" +
                    CodePoint(invisible->code) + ")";
      hidden.bytes = invisible->bytes.size();
    } else if (size_t control = ControlAt(rest, code)) {
      hidden.what = "control character (" + CodePoint(code) + ")";
      hidden.bytes = control;
    } else {
      auto lead = static_cast<unsigned char>(rest[0]);
      size_t length = lead >= 0xF0   ? 4
                      : lead >= 0xE0 ? 3
                      : lead >= 0xC0 ? 2
                                     : 1;
      rest.remove_prefix(std::min(length, rest.size()));
      continue;
    }
    hidden.at_start = rest.size() == name.size();
    hidden.at_end = hidden.bytes == rest.size();
    bool inner_space = rest[0] == ' ' && !hidden.at_start && !hidden.at_end;
    rest.remove_prefix(hidden.bytes);
    if (!inner_space) found.push_back(hidden);
  }
  return found;
}

// `name` as a reader can see it: its hidden characters as `\u` escapes
// (`\n`, `\t` as the language writes them), its plain spaces kept.
std::string ShowHidden(std::string_view name) {
  std::string shown;
  while (!name.empty()) {
    uint32_t code = 0;
    size_t length = 0;
    if (const ir::Invisible* invisible = ir::InvisibleAt(name)) {
      code = invisible->code;
      length = invisible->bytes.size();
    } else {
      length = ControlAt(name, code);
    }
    if (length == 0 || code == ' ') {
      shown += name[0];
      name.remove_prefix(1);
      continue;
    }
    char escape[16];
    std::snprintf(escape, sizeof escape, "\\u%04x", code);
    shown += code == '\n' ? "\\n" : code == '\t' ? "\\t" : escape;
    name.remove_prefix(length);
  }
  return shown;
}

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
          "; keep what it needs in the profile with `set` (an `exit on E "
          "as x` reads the event that came as `x`)";
    }
    if (!exit.event.text.empty()) {
      int32_t event = ResolveEvent(exit.event);
      if (event < 0) continue;
      info.exit_events.push_back(event);
      // `exit on E as x where x.total > ...` reads the event that came,
      // judged as it comes; its name hides the trigger's.
      if (!exit.alias) scope.unaliased_exit_event = event;
      if (exit.alias) {
        scope.alias = exit.alias->text;
        scope.alias_event = event;
        scope.alias_ref = RefKind::EventField;
        if (scope.unreadable_alias == exit.alias->text) {
          scope.unreadable_alias.clear();
        }
      }
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
  CheckTemplateName(step);
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

void Checker::CheckTemplateName(const syntax::Step& step) {
  const std::string& name = step.template_name;
  if (ir::IsBlank(name)) {
    Error(Kind::MissingTemplate, step.template_span,
          name.empty()
              ? "a `send` needs a template name"
              : "a template name of blanks only (`" + ShowHidden(name) +
                    "`) names no template; a `send` needs the "
                    "template's name");
    return;
  }

  // A template is a key into the ESP's store: a character nobody sees is
  // part of the key, and the message fails there, after it was due.
  std::vector<HiddenCharacter> hidden = HiddenCharacters(name);
  if (hidden.empty()) return;
  const HiddenCharacter& first = hidden.front();
  std::string where = first.at_start ? "starts with a "
                      : first.at_end ? "ends with a "
                                     : "has a ";
  std::string place = first.at_start || first.at_end
                          ? ""
                          : " at character " + std::to_string(first.position);
  std::string more = hidden.size() > 1
                         ? " and holds " + std::to_string(hidden.size() - 1) +
                               " more such character" +
                               (hidden.size() > 2 ? "s" : "")
                         : "";
  Error(Kind::HiddenInTemplate, step.template_span,
        "template name `" + ShowHidden(name) + "` " + where + first.what +
            place + more +
            ", which the ESP takes as part of the name, so it will not find "
            "the template; remove " +
            (hidden.size() > 1 ? "them" : "it"));
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

void Checker::CheckTaskSystem(const syntax::Name& system) {
  if (system.text != "crm") {
    Error(Kind::UnknownTaskSystem, system.span,
          "tasks go to `crm`, not " + Quote(system.text));
  }
}

void Checker::CheckActionStep(const syntax::Step& step, const Scope& scope) {
  switch (step.kind) {
    case StepKind::Task: CheckTaskSystem(step.system); return;
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
