#include "compiler/lower/lower.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "compiler/ir/crossings.h"
#include "compiler/ir/dates.h"
#include "compiler/ir/lists.h"
#include "compiler/ir/semantics.h"
#include "compiler/lower/loyalty.h"

namespace parcours::lower {
namespace {

using sema::RefKind;
using sema::TypeKind;
using syntax::BinaryOp;
using syntax::Expr;
using syntax::ExprKind;

ir::Type IrType(TypeKind kind) {
  switch (kind) {
    case TypeKind::Bool: return ir::Type::Bool;
    case TypeKind::Int:
    case TypeKind::Enum:
    case TypeKind::Date: return ir::Type::Int;  // days since 1970-01-01
    case TypeKind::Decimal: return ir::Type::Decimal;
    case TypeKind::Money: return ir::Type::Money;
    case TypeKind::Duration: return ir::Type::Duration;
    case TypeKind::Time: return ir::Type::Time;
    case TypeKind::String:
    case TypeKind::Channel:
    case TypeKind::Tz:
    case TypeKind::List: return ir::Type::String;  // a list's JSON text
    case TypeKind::Percent: return ir::Type::Decimal;
    default: break;
    case TypeKind::None:
    case TypeKind::Error: break;
  }
  assert(false && "lowering a program that failed to check");
  return ir::Type::Bool;
}

// Appends `field` to a record of `*words` words and returns its layout.
ir::Field LayOut(const sema::CheckedProgram& program,
                 const sema::FieldDecl& field, int32_t* words) {
  ir::Field laid;
  if (field.type.kind == TypeKind::Enum) {
    laid.enum_values = program.enums[field.type.id].values;
  }
  laid.name = field.name;
  laid.wire_name = field.wire_name;
  laid.type = IrType(field.type.kind);
  laid.optional = field.type.optional;
  laid.offset = *words;
  *words += ir::WordCount(laid.type);
  if (laid.optional) laid.presence_offset = (*words)++;
  laid.channel = field.type.kind == TypeKind::Channel;
  laid.date = field.type.kind == TypeKind::Date;
  if (field.type.kind == TypeKind::List) {
    // The item's fields are laid out in a record of their own, used only
    // to check each item as it is read.
    laid.list = true;
    laid.count_offset = (*words)++;
    const sema::Type& item = *field.type.element;
    int32_t item_words = 0;
    if (item.kind == TypeKind::Record) {
      laid.list_of_records = true;
      for (const sema::FieldDecl& member : program.records[item.id].fields) {
        laid.list_items.push_back(LayOut(program, member, &item_words));
      }
    } else {
      laid.list_items.push_back(
          LayOut(program, sema::FieldDecl{"", "", item, nullptr}, &item_words));
    }
  }
  return laid;
}

// The value of a literal default, as the words of `type`.
void SetDefault(const Expr& literal, ir::Field& field) {
  bool negate = literal.kind == ExprKind::Unary;
  const Expr& value = negate ? *literal.operands[0] : literal;
  int64_t number = negate ? -value.int_value : value.int_value;
  if (!field.enum_values.empty()) {
    // An enum default is written as one of its values' names.
    const auto& values = field.enum_values;
    number =
        std::find(values.begin(), values.end(), value.text) - values.begin();
  }
  if (field.type == ir::Type::Decimal && value.kind == ExprKind::Int) {
    number *= ir::kDecimalScale;
  }
  if (field.date) {
    // Sema lets through only text that is a date.
    field.default_words = {ir::ParseDate(value.text).value_or(0)};
    return;
  }
  switch (field.type) {
    case ir::Type::String:
      field.default_string = value.text;
      field.default_words = {0, 0};
      return;
    case ir::Type::Money:
      field.default_words = {number, ir::PackCurrency(value.text)};
      return;
    default: field.default_words = {number}; return;
  }
}

ir::CalendarUnit CalendarUnitOf(syntax::CalendarUnit unit) {
  switch (unit) {
    case syntax::CalendarUnit::Day: return ir::CalendarUnit::Day;
    case syntax::CalendarUnit::Week: return ir::CalendarUnit::Week;
    case syntax::CalendarUnit::Month: return ir::CalendarUnit::Month;
    case syntax::CalendarUnit::Year: return ir::CalendarUnit::Year;
  }
  return ir::CalendarUnit::Day;
}

// The fewest and the most seconds `count` calendar units can span on any
// wall clock: a day is 23 to 25 hours, and a zone may skip or repeat a
// whole day, hence the two days of slack.
int64_t CalendarSeconds(int64_t count, syntax::CalendarUnit unit, bool most) {
  int64_t days = 0;
  switch (unit) {
    case syntax::CalendarUnit::Day: days = count; break;
    case syntax::CalendarUnit::Week: days = 7 * count; break;
    case syntax::CalendarUnit::Month: days = (most ? 31 : 28) * count; break;
    case syntax::CalendarUnit::Year: days = (most ? 366 : 365) * count; break;
  }
  days = most ? days + 2 : std::max<int64_t>(days - 2, 0);
  return days * 86400;
}

// One bound of a window: in exact seconds, or in calendar units.
void SetBound(const syntax::Length& length, bool far, ir::Aggregate& out) {
  int64_t& seconds = far ? out.window_far : out.window_near;
  if (!length.calendar) {
    seconds = length.count;
    return;
  }
  seconds = CalendarSeconds(length.count, *length.calendar, far);
  (far ? out.far_calendar : out.near_calendar) = length.count;
  (far ? out.far_unit : out.near_unit) = CalendarUnitOf(*length.calendar);
}

void SetWindow(const syntax::Window& window, ir::Aggregate& aggregate) {
  if (window.kind == syntax::Window::Kind::All) return;
  aggregate.windowed = true;
  if (window.kind == syntax::Window::Kind::Between) {
    SetBound(window.near, false, aggregate);
    SetBound(window.far, true, aggregate);
  } else {
    SetBound(window.near, true, aggregate);
  }
}

// The prefix of generated step names.
const char* StepKindName(syntax::StepKind kind) {
  switch (kind) {
    case syntax::StepKind::Wait:
    case syntax::StepKind::WaitUntil:
    case syntax::StepKind::WaitFor: return "wait";
    case syntax::StepKind::Send: return "send";
    case syntax::StepKind::If: return "if";
    case syntax::StepKind::Split: return "split";
    case syntax::StepKind::Task: return "task";
    case syntax::StepKind::Webhook: return "webhook";
    case syntax::StepKind::Set: return "set";
    case syntax::StepKind::Emit: return "emit";
    case syntax::StepKind::Award: return "award";
    case syntax::StepKind::Freeze: return "freeze";
    case syntax::StepKind::SecondFactor: return "second_factor";
    case syntax::StepKind::Exit: return "exit";
  }
  return "step";
}

class Lowerer {
 public:
  explicit Lowerer(const sema::CheckedProgram& checked) : checked_(checked) {}

  ir::Program Run() {
    program_.module = checked_.module;
    LayOutEvents();
    LayOutProfile();
    for (const sema::SegmentInfo& segment : checked_.segments) {
      ir::Segment lowered;
      lowered.name = segment.name;
      lowered.predicate =
          LowerFunction("segment." + segment.name, *segment.decl->predicate);
      lowered.offset = segment_offsets_[program_.segments.size()];
      program_.segments.push_back(lowered);
    }
    for (const sema::PolicyInfo& policy : checked_.policies) {
      program_.policies.push_back(LowerPolicy(policy));
    }
    for (size_t p = 0; p < checked_.programs.size(); ++p) {
      program_.loyalty.push_back(LowerLoyaltyProgram(
          checked_, checked_.programs[p], LoyaltyWord(p),
          [&](const std::string& name, const Expr& condition) {
            return LowerFunction(name, condition);
          }));
    }
    for (const sema::JourneyInfo& journey : checked_.journeys) {
      // A journey with no trigger can never be entered (W0301 says so);
      // there is nothing to run.
      if (journey.decl->triggers.empty()) continue;
      program_.journeys.push_back(LowerJourney(journey));
    }
    ir::DeriveCrossings(program_);
    ir::AnalyzeDependencies(program_);
    return std::move(program_);
  }

 private:
  void LayOutEvents() {
    for (const sema::EventInfo& event : checked_.events) {
      ir::EventType lowered;
      lowered.name = event.name;
      lowered.wire_name = event.wire_name;
      for (const sema::FieldDecl& field : event.fields) {
        lowered.fields.push_back(
            LayOut(checked_, field, &lowered.record_words));
      }
      program_.events.push_back(std::move(lowered));
    }
  }

  // Attributes first, then aggregates, then segment flags.
  void LayOutProfile() {
    int32_t words = 0;
    for (const sema::FieldDecl& field : checked_.profile) {
      if (field.type.kind == TypeKind::Tz && program_.timezone_attribute < 0) {
        program_.timezone_attribute =
            static_cast<int32_t>(program_.profile.size());
      }
      ir::Field laid = LayOut(checked_, field, &words);
      if (field.decl->default_value) {
        SetDefault(*field.decl->default_value, laid);
      } else if (laid.list && !laid.optional) {
        // A list attribute no identify has given yet is the empty list,
        // whose text must read back as one (its length word stays 0).
        laid.default_string = "[]";
        laid.default_words = {0, 0};
      }
      program_.profile.push_back(std::move(laid));
    }
    for (const sema::AggregateInfo& aggregate : checked_.aggregates) {
      ir::Aggregate lowered;
      lowered.kind = aggregate.kind == sema::AggregateKind::Count
                         ? ir::AggregateKind::Count
                     : aggregate.kind == sema::AggregateKind::Sum
                         ? ir::AggregateKind::Sum
                     : aggregate.kind == sema::AggregateKind::SeenBefore
                         ? ir::AggregateKind::SeenBefore
                         : ir::AggregateKind::Last;
      lowered.event_type = aggregate.event;
      lowered.field = aggregate.field;
      lowered.type = lowered.kind == ir::AggregateKind::Last
                         ? ir::Type::Time
                         : IrType(aggregate.type.kind);
      SetWindow(aggregate.window, lowered);
      // Its window is measured from the event it describes, not from the
      // clock, so the runtime does not recompute it as time passes.
      if (lowered.kind == ir::AggregateKind::SeenBefore) {
        lowered.windowed = false;
      }
      lowered.offset = words;
      words += ir::AggregateWords(program_, lowered);
      program_.aggregates.push_back(lowered);
    }
    for (size_t i = 0; i < checked_.segments.size(); ++i) {
      segment_offsets_.push_back(words++);
    }
    if (ReadsConsent()) {
      program_.consent_offset = words;
      words += static_cast<int32_t>(ir::ConsentChannels().size());
    }
    loyalty_offset_ = words;
    words += kLoyaltyWords * static_cast<int32_t>(checked_.programs.size());
    program_.profile_words = words;
  }

  // The first hidden word of loyalty program `program`.
  int32_t LoyaltyWord(size_t program) const {
    return loyalty_offset_ + kLoyaltyWords * static_cast<int32_t>(program);
  }
  int32_t loyalty_offset_ = 0;

  // `balance(p)`, `tier(p)`, `redeemed_share(p)`: the hidden words the
  // runtime keeps for program `p`.
  int32_t LowerLoyaltyRead(const Expr& call) {
    const std::string& name = call.arguments[0].value->text;
    size_t program = 0;
    while (checked_.programs[program].name != name) ++program;
    int32_t word = LoyaltyWord(program);
    ir::Type type = ir::Type::Int;
    if (call.text == "tier") word += 1;
    if (call.text == "redeemed_share") {
      word += 2;
      type = ir::Type::Decimal;
    }
    ir::Inst inst{ir::Op::Load, type, type};
    inst.base = ir::Base::Profile;
    inst.imm = word;
    return Emit(inst);
  }

  static bool IsLoyaltyRead(const Expr& call) {
    return call.text == "balance" || call.text == "tier" ||
           call.text == "redeemed_share";
  }

  ir::Journey LowerJourney(const sema::JourneyInfo& journey) {
    ir::Journey lowered;
    lowered.name = journey.name;
    lowered.trigger_event = journey.trigger_event;
    lowered.locals_event = journey.trigger_event;
    const syntax::Trigger& trigger = journey.decl->triggers.front();
    if (trigger.kind == syntax::Trigger::Kind::Schedule) {
      lowered.trigger_kind = ir::TriggerKind::Schedule;
      lowered.trigger_event = -1;
      lowered.locals_event = -1;
      const auto& days = sema::Weekdays();
      auto day = std::find(days.begin(), days.end(), trigger.day->text);
      lowered.schedule_weekday =
          day == days.end() ? -1 : static_cast<int32_t>(day - days.begin());
      lowered.schedule_clock = trigger.clock;
    } else if (trigger.kind == syntax::Trigger::Kind::Date) {
      lowered.trigger_kind = ir::TriggerKind::Date;
      lowered.trigger_event = -1;
      lowered.locals_event = -1;
      lowered.schedule_clock = trigger.clock;
      LowerTriggerDate(journey.name, *trigger.expr, lowered);
    } else if (trigger.kind == syntax::Trigger::Kind::PointsCrossing) {
      // CheckRunnable lets it through with one program and a literal.
      lowered.trigger_kind = ir::TriggerKind::PointsCrossing;
      lowered.trigger_event = -1;
      lowered.locals_event = -1;
      lowered.crossing_program = 0;
      lowered.crossing_points = trigger.expr->int_value;
    } else if (trigger.kind != syntax::Trigger::Kind::Event) {
      lowered.trigger_kind = trigger.kind == syntax::Trigger::Kind::Entered
                                 ? ir::TriggerKind::Entered
                                 : ir::TriggerKind::Left;
      lowered.trigger_event = -1;
      lowered.locals_event = -1;
      for (size_t s = 0; s < checked_.segments.size(); ++s) {
        if (checked_.segments[s].name == trigger.event.text) {
          lowered.trigger_segment = static_cast<int32_t>(s);
        }
      }
    }
    lowered.exit_events = journey.exit_events;
    lowered.policy = journey.policy;
    journey_event_ = journey.trigger_event;
    current_event_ = journey.trigger_event;
    locals_event_ = journey.trigger_event;
    arrived_event_ = -1;
    if (journey.where != nullptr) {
      lowered.trigger_filter =
          LowerFunction("journey." + journey.name + ".where", *journey.where);
    }
    journey_ = &lowered;
    step_names_.clear();
    taken_names_.clear();
    CollectLabels(journey.decl->steps);
    std::map<std::string, int> counts;
    NameSteps(journey.decl->steps, counts);
    LowerJourneyRules(*journey.decl, lowered);
    lowered.entry = LowerSteps(journey.decl->steps, -1);
    journey_ = nullptr;
    return lowered;
  }

  // `on date EXPR`: a function giving the date, read in the recipient's
  // zone when EXPR is a time, and one giving whether EXPR is there.
  void LowerTriggerDate(const std::string& journey, const Expr& expr,
                        ir::Journey& lowered) {
    ir::Function function;
    function.name = "journey." + journey + ".date";
    body_ = &function.body;
    int32_t value = LowerExpr(expr);
    if (checked_.Info(expr).type.kind == TypeKind::Time) {
      EmitOp(ir::Op::LocalDay, ir::Type::Int, value, EmitZone());
    }
    body_ = nullptr;
    function.result = function.body.back().type;
    program_.functions.push_back(std::move(function));
    lowered.trigger_date = static_cast<int32_t>(program_.functions.size() - 1);

    if (!checked_.Info(expr).type.optional) return;
    ir::Function present;
    present.name = "journey." + journey + ".date.present";
    body_ = &present.body;
    EmitPresence(expr);
    body_ = nullptr;
    present.result = ir::Type::Bool;
    program_.functions.push_back(std::move(present));
    lowered.trigger_date_present =
        static_cast<int32_t>(program_.functions.size() - 1);
  }

  // The recipient's zone, as a string: the profile's `tz` attribute, or
  // "" (UTC) when the program has none.
  int32_t EmitZone() {
    if (program_.timezone_attribute < 0) {
      ir::Inst empty{ir::Op::ConstString, ir::Type::String, ir::Type::String};
      empty.imm = InternString("");
      return Emit(empty);
    }
    const ir::Field& zone = program_.profile[program_.timezone_attribute];
    ir::Inst load{ir::Op::Load, ir::Type::String, ir::Type::String};
    load.base = ir::Base::Profile;
    load.imm = zone.offset;
    return Emit(load);
  }

  int32_t EventIndex(const std::string& name) const {
    for (size_t e = 0; e < checked_.events.size(); ++e) {
      if (checked_.events[e].name == name) return static_cast<int32_t>(e);
    }
    assert(false && "sema resolved every event name");
    return -1;
  }

  // Exits with a condition, reentry, holdout and goals. Their conditions
  // read the profile and the clock, and an `exit on E as x` filter E's
  // fields.
  void LowerJourneyRules(const syntax::JourneyDecl& decl,
                         ir::Journey& lowered) {
    for (const syntax::ExitRule& exit : decl.exits) {
      if (!exit.condition) continue;
      ir::ConditionalExit rule;
      rule.event = exit.event.text.empty() ? -1 : EventIndex(exit.event.text);
      // The filter's alias, if any, reads the event that came.
      int32_t saved_event = current_event_;
      if (rule.event >= 0) current_event_ = rule.event;
      rule.condition = LowerFunction(
          "journey." + lowered.name + ".exit" +
              std::to_string(lowered.conditional_exits.size() + 1),
          *exit.condition);
      current_event_ = saved_event;
      lowered.conditional_exits.push_back(rule);
    }
    // Exits with a condition are not unconditional ones.
    lowered.exit_events.clear();
    for (const syntax::ExitRule& exit : decl.exits) {
      if (!exit.condition) {
        lowered.exit_events.push_back(EventIndex(exit.event.text));
      }
    }
    if (decl.reentry_never) {
      lowered.reentry = ir::Reentry::Never;
    } else if (decl.reentry_after) {
      lowered.reentry = ir::Reentry::After;
      const Expr& after = *decl.reentry_after;
      if (after.kind == ExprKind::Calendar) {
        lowered.reentry_calendar = after.int_value;
        lowered.reentry_unit = CalendarUnitOf(after.calendar_unit);
      } else {
        lowered.reentry_seconds = after.int_value;
      }
    }
    if (decl.holdout) lowered.holdout = decl.holdout->int_value;
    for (const auto& goal : decl.goals) {
      ir::Goal lowered_goal;
      lowered_goal.event = EventIndex(goal.event.text);
      if (goal.within && goal.within->kind == ExprKind::Calendar) {
        lowered_goal.within_calendar = goal.within->int_value;
        lowered_goal.within_unit = CalendarUnitOf(goal.within->calendar_unit);
      } else if (goal.within) {
        lowered_goal.within_seconds = goal.within->int_value;
      }
      lowered.goals.push_back(lowered_goal);
    }
  }

  void CollectLabels(const std::vector<syntax::Step>& steps) {
    for (const syntax::Step& step : steps) {
      if (step.label) taken_names_.insert(step.label->text);
      CollectLabels(step.then_steps);
      CollectLabels(step.else_steps);
      for (const syntax::SplitArm& arm : step.arms) CollectLabels(arm.steps);
    }
  }

  // Unlabelled steps are named by kind and source order (`send1`,
  // `send2`, ...), so a name says where the step stands in the file.
  void NameSteps(const std::vector<syntax::Step>& steps,
                 std::map<std::string, int>& counts) {
    for (const syntax::Step& step : steps) {
      const char* kind_name = StepKindName(step.kind);
      if (step.label) {
        step_names_[&step] = step.label->text;
      } else {
        // A label may look like a generated name (`wait1:`); skip it, since
        // waiting contacts are stored by step name.
        std::string name;
        do {
          name = kind_name + std::to_string(++counts[kind_name]);
        } while (taken_names_.count(name));
        taken_names_.insert(name);
        step_names_[&step] = name;
      }
      NameSteps(step.then_steps, counts);
      NameSteps(step.else_steps, counts);
      for (const syntax::SplitArm& arm : step.arms)
        NameSteps(arm.steps, counts);
    }
  }

  // Lowers `steps` so that the last one continues at `next`; returns the
  // index of the first, or `next` when the list is empty.
  int32_t LowerSteps(const std::vector<syntax::Step>& steps, int32_t next) {
    // Steps get their indices in source order, so they are created first
    // and linked afterwards.
    std::vector<int32_t> indices;
    for (const syntax::Step& step : steps) indices.push_back(LowerStep(step));
    for (size_t i = indices.size(); i-- > 0;) {
      ir::Step& lowered = journey_->steps[indices[i]];
      int32_t after = i + 1 < indices.size() ? indices[i + 1] : next;
      if (lowered.kind == ir::StepKind::Exit) continue;
      if (lowered.kind == ir::StepKind::If) {
        LinkBranch(steps[i], indices[i], after);
      } else if (lowered.kind == ir::StepKind::WaitFor) {
        LinkWaitFor(steps[i], indices[i], after);
      } else if (lowered.kind == ir::StepKind::Split) {
        LinkArms(steps[i], indices[i], after);
      } else {
        lowered.next = after;
      }
    }
    return indices.empty() ? next : indices.front();
  }

  void LinkBranch(const syntax::Step& step, int32_t index, int32_t after) {
    int32_t then_entry = LowerSteps(step.then_steps, after);
    int32_t else_entry = LowerSteps(step.else_steps, after);
    journey_->steps[index].next = then_entry;
    journey_->steps[index].else_next = else_entry;
  }

  // The block run when the event came reads it through its alias, as
  // locals of the event's type; the timeout block reads what came before.
  void LinkWaitFor(const syntax::Step& step, int32_t index, int32_t after) {
    int32_t saved_locals = locals_event_;
    int32_t saved_arrived = arrived_event_;
    if (step.alias) {
      locals_event_ = journey_->steps[index].event_type;
      arrived_event_ = locals_event_;
    }
    int32_t arrived_entry = LowerSteps(step.then_steps, after);
    locals_event_ = saved_locals;
    arrived_event_ = saved_arrived;
    int32_t timeout_entry = LowerSteps(step.else_steps, after);
    journey_->steps[index].next = arrived_entry;
    journey_->steps[index].else_next = timeout_entry;
  }

  void LinkArms(const syntax::Step& step, int32_t index, int32_t after) {
    std::vector<ir::SplitArm> arms;
    for (size_t a = 0; a < step.arms.size(); ++a) {
      const syntax::SplitArm& arm = step.arms[a];
      ir::SplitArm lowered;
      lowered.name = arm.name ? arm.name->text : "arm" + std::to_string(a + 1);
      lowered.percent = arm.percent;
      lowered.entry = LowerSteps(arm.steps, after);
      arms.push_back(lowered);
    }
    journey_->steps[index].arms = std::move(arms);
    journey_->steps[index].next = after;
  }

  std::string FunctionName(const syntax::Step& step,
                           const std::string& suffix = "") const {
    return "journey." + journey_->name + "." + step_names_.at(&step) + suffix;
  }

  // The values of a record literal, for a payload or an emitted event.
  void LowerRecordValues(const syntax::Step& step, const Expr& record,
                         const ir::EventType* event, ir::Step& lowered) {
    for (size_t i = 0; i < record.fields.size(); ++i) {
      const std::string& name = record.fields[i].text;
      TypeKind kind = checked_.Info(*record.operands[i]).type.kind;
      ir::Type type = kind == TypeKind::None ? ir::Type::Int : IrType(kind);
      int32_t field = -1;
      if (event != nullptr) {
        for (size_t f = 0; f < event->fields.size(); ++f) {
          if (event->fields[f].name == name) {
            field = static_cast<int32_t>(f);
            type = event->fields[f].type;
          }
        }
      }
      ir::StepValue value = LowerValue(step, name, *record.operands[i], type);
      value.field = field;
      lowered.values.push_back(std::move(value));
    }
  }

  // A value to write, as a stored value, a literal or a one-word function.
  ir::StepValue LowerValue(const syntax::Step& step, const std::string& name,
                           const Expr& expr, ir::Type type) {
    ir::StepValue value;
    value.name = name;
    value.type = type;
    const sema::ExprInfo& info = checked_.Info(expr);
    if (info.type.kind == TypeKind::Enum && info.type.id >= 0) {
      value.enum_values = checked_.enums[info.type.id].values;
    }
    value.date = info.type.kind == TypeKind::Date;
    value.list = info.type.kind == TypeKind::List;
    // A field of `last(E)` is stored too, and absent before the first E:
    // a function would return the empty word as if it were a value.
    bool stored =
        info.ref == RefKind::ProfileField || info.ref == RefKind::EventField ||
        info.ref == RefKind::LocalField || info.ref == RefKind::Aggregate ||
        info.ref == RefKind::Segment || info.ref == RefKind::RecordField;
    bool same_type =
        info.type.kind == TypeKind::None || IrType(info.type.kind) == type;
    if (expr.kind == ExprKind::None) {
      value.source = ir::ValueSource::Absent;
    } else if (value.date && expr.kind == ExprKind::String) {
      // Sema lets through only text that is a date.
      value.source = ir::ValueSource::Constant;
      value.imm = ir::ParseDate(expr.text).value_or(0);
    } else if (stored && same_type) {
      Location location = LocateExpr(expr);
      value.source = ir::ValueSource::Load;
      value.base = location.base;
      value.offset = location.offset;
      value.presence = location.presence;
      if (value.list) value.count_offset = ListCountOffset(info);
    } else if (expr.kind == ExprKind::String ||
               info.ref == RefKind::ChannelValue) {
      // A channel is held as its name, like a string.
      value.source = ir::ValueSource::Constant;
      value.text = expr.text;
    } else if (expr.kind == ExprKind::Money) {
      value.source = ir::ValueSource::Constant;
      value.imm = expr.int_value;
      value.imm2 = ir::PackCurrency(expr.text);
    } else if (type == ir::Type::Money) {
      // A function returns one word: one gives the amount, one the
      // currency, each from its own copy of the expression.
      value.source = ir::ValueSource::Function;
      std::string function_name = FunctionName(step, "." + name);
      value.function =
          LowerMoneyPart(function_name + ".amount", expr, ir::Op::MoneyAmount);
      value.currency_function = LowerMoneyPart(function_name + ".currency",
                                               expr, ir::Op::MoneyCurrency);
    } else {
      value.source = ir::ValueSource::Function;
      value.function = LowerFunction(FunctionName(step, "." + name), expr,
                                     type == ir::Type::Decimal);
    }
    return value;
  }

  int32_t LowerMoneyPart(const std::string& name, const Expr& expr,
                         ir::Op part) {
    ir::Function function;
    function.name = name;
    body_ = &function.body;
    int32_t money = LowerExpr(expr);
    EmitOp(part,
           part == ir::Op::MoneyAmount ? ir::Type::Decimal : ir::Type::Int,
           money);
    body_ = nullptr;
    function.result = function.body.back().type;
    program_.functions.push_back(std::move(function));
    return static_cast<int32_t>(program_.functions.size() - 1);
  }

  void LowerSend(const syntax::Step& step, ir::Step& lowered) {
    lowered.kind = ir::StepKind::Send;
    lowered.channel = step.channels.front().text;
    lowered.template_name = step.template_name;
    if (step.priority) lowered.priority = step.priority->text;
    if (step.category) lowered.category = step.category->text;
    if (step.payload) {
      LowerRecordValues(step, *step.payload, nullptr, lowered);
    }
  }

  int32_t LowerStep(const syntax::Step& step) {
    ir::Step lowered;
    lowered.line = step.span.line;
    lowered.arrived_event = arrived_event_;
    switch (step.kind) {
      case syntax::StepKind::Wait:
        if (step.expr->kind == ExprKind::Calendar) {
          lowered.kind = ir::StepKind::WaitCalendar;
          lowered.wait_count = step.expr->int_value;
          lowered.calendar_unit = CalendarUnitOf(step.expr->calendar_unit);
        } else if (step.expr->kind == ExprKind::Duration) {
          lowered.kind = ir::StepKind::Wait;
          lowered.wait_seconds = step.expr->int_value;
        } else {
          lowered.kind = ir::StepKind::Wait;
          lowered.wait_function =
              LowerFunction(FunctionName(step, ".length"), *step.expr);
        }
        break;
      case syntax::StepKind::WaitUntil:
        lowered.kind = ir::StepKind::WaitUntil;
        lowered.clock_seconds = step.clock;
        break;
      case syntax::StepKind::Send:
        LowerSend(step, lowered);
        LowerSendPolicy(step, lowered);
        break;
      case syntax::StepKind::If:
        lowered.kind = ir::StepKind::If;
        lowered.condition = LowerFunction(
            "journey." + journey_->name + "." + step_names_.at(&step),
            *step.expr);
        break;
      case syntax::StepKind::Exit: lowered.kind = ir::StepKind::Exit; break;
      case syntax::StepKind::WaitFor: {
        lowered.kind = ir::StepKind::WaitFor;
        lowered.event_type = EventIndex(step.event.text);
        // `within 1 month` counts on the recipient's calendar.
        if (step.expr->kind == ExprKind::Calendar) {
          lowered.wait_count = step.expr->int_value;
          lowered.calendar_unit = CalendarUnitOf(step.expr->calendar_unit);
        } else {
          lowered.wait_seconds = step.expr->int_value;
        }
        if (step.condition) {
          int32_t saved_event = current_event_;
          current_event_ = lowered.event_type;
          lowered.condition =
              LowerFunction(FunctionName(step, ".where"), *step.condition);
          current_event_ = saved_event;
        }
        break;
      }
      case syntax::StepKind::Split: lowered.kind = ir::StepKind::Split; break;
      case syntax::StepKind::Task:
        lowered.kind = ir::StepKind::Task;
        lowered.system = step.system.text;
        lowered.text = step.text;
        lowered.team = step.team;
        break;
      case syntax::StepKind::Webhook:
        lowered.kind = ir::StepKind::Webhook;
        lowered.text = step.text;
        if (step.payload) {
          LowerRecordValues(step, *step.payload, nullptr, lowered);
        }
        break;
      case syntax::StepKind::Set: {
        lowered.kind = ir::StepKind::Set;
        lowered.attribute = checked_.Info(*step.target).index;
        const ir::Field& field = program_.profile[lowered.attribute];
        lowered.values.push_back(
            LowerValue(step, field.name, *step.expr, field.type));
        break;
      }
      case syntax::StepKind::Emit:
        lowered.kind = ir::StepKind::Emit;
        lowered.event_type = EventIndex(step.event.text);
        if (step.record) {
          LowerRecordValues(step, *step.record,
                            &program_.events[lowered.event_type], lowered);
        }
        break;
      case syntax::StepKind::Award:
        // CheckRunnable lets it through with one program only.
        lowered.kind = ir::StepKind::Award;
        lowered.attribute = 0;
        lowered.condition =
            LowerFunction("journey." + journey_->name + ".award", *step.expr);
        lowered.text = step.text;
        break;
      case syntax::StepKind::Freeze:
        lowered.kind = ir::StepKind::Freeze;
        lowered.text = step.text;
        break;
      case syntax::StepKind::SecondFactor:
        lowered.kind = ir::StepKind::SecondFactor;
        lowered.text = step.text;
        break;
    }
    lowered.name = step_names_.at(&step);
    lowered.labelled = step.label.has_value();
    lowered.heading = step.heading;
    journey_->steps.push_back(lowered);
    return static_cast<int32_t>(journey_->steps.size() - 1);
  }

  // Whether any expression calls `consent(...)`, which reads hidden
  // profile words the runtime keeps from its consent ledger.
  bool ReadsConsent() const {
    for (const auto& [expr, info] : checked_.exprs) {
      if (info.ref == RefKind::Builtin && expr->text == "consent") return true;
    }
    return false;
  }

  // `consent(sms)`: CheckRunnable lets only a channel name through.
  int32_t LowerConsent(const Expr& call) {
    const Expr& argument = *call.arguments[0].value;
    const auto& channels = ir::ConsentChannels();
    auto consent_word = [&](size_t index) {
      ir::Inst inst{ir::Op::Load, ir::Type::Bool, ir::Type::Bool};
      inst.base = ir::Base::Profile;
      inst.imm = program_.consent_offset + static_cast<int64_t>(index);
      return Emit(inst);
    };
    if (checked_.Info(argument).ref == RefKind::ChannelValue) {
      auto found = std::find(channels.begin(), channels.end(), argument.text);
      return consent_word(static_cast<size_t>(found - channels.begin()));
    }

    // A channel held in a value (`consent(profile.preferred)`): the
    // channels are a closed set, so this is "it is email and email is
    // granted, or it is sms and ...". Sema wants a channel that is there.
    int32_t channel = LowerExpr(argument);
    int32_t result = -1;
    for (size_t i = 0; i < channels.size(); ++i) {
      ir::Inst name{ir::Op::ConstString, ir::Type::String, ir::Type::String};
      name.imm = InternString(channels[i]);
      ir::Inst same{ir::Op::Eq, ir::Type::Bool, ir::Type::String};
      same.a = channel;
      same.b = Emit(name);
      int32_t granted =
          EmitOp(ir::Op::And, ir::Type::Bool, Emit(same), consent_word(i));
      result = result < 0 ? granted
                          : EmitOp(ir::Op::Or, ir::Type::Bool, result, granted);
    }
    return result;
  }

  // Pressure policies; compiler/ir/policy.h describes the tables.
  ir::Policy LowerPolicy(const sema::PolicyInfo& policy) {
    ir::Policy lowered;
    lowered.name = policy.name;
    std::string prefix = "policy." + policy.name + ".";
    std::string preferred_channel;
    for (const syntax::PolicyRule& rule : policy.decl->rules) {
      ir::RuleSource source{rule.span.file, rule.span.line,
                            "line " + std::to_string(rule.span.line), ""};
      using RuleKind = syntax::PolicyRule::Kind;
      switch (rule.kind) {
        case RuleKind::Cap: {
          ir::Cap cap;
          std::string name =
              prefix + "cap" + std::to_string(lowered.caps.size() + 1);
          cap.limit = LowerFunction(name + ".limit", *rule.value);
          if (rule.condition) {
            cap.condition = LowerFunction(name + ".when", *rule.condition);
          }
          cap.period = CapPeriodOf(rule);
          cap.rolling_seconds = rule.period_seconds;
          for (const syntax::Name& channel : rule.names) {
            cap.channels.push_back(channel.text);
          }
          cap.across = rule.across;
          if (rule.reserved) {
            cap.reserved = LowerFunction(name + ".reserve", *rule.reserved);
            cap.reserved_rank = PriorityRank(rule.reserved_for.text);
          }
          cap.source = source;
          lowered.caps.push_back(std::move(cap));
          break;
        }
        case RuleKind::Priority:
          for (const syntax::Name& channel : rule.names) {
            lowered.priority.push_back(channel.text);
          }
          lowered.priority_source = source;
          break;
        case RuleKind::Quiet:
          lowered.quiet.push_back(LowerQuiet(rule));
          lowered.quiet.back().source = source;
          break;
        case RuleKind::Exempt:
          for (const syntax::Name& category : rule.names) {
            lowered.exempt.push_back(category.text);
          }
          break;
        case RuleKind::Capped:
          lowered.when_capped =
              rule.action.text == "defer"      ? ir::CappedAction::Defer
              : rule.action.text == "fallback" ? ir::CappedAction::Fallback
                                               : ir::CappedAction::Drop;
          if (rule.value) lowered.defer_within = rule.value->int_value;
          lowered.capped_source = source;
          break;
        case RuleKind::Prefer:
          // `prefer profile.attr`, or `prefer email` (below): CheckRunnable
          // lets only these through.
          if (checked_.Info(*rule.value).ref == RefKind::ChannelValue) {
            preferred_channel = rule.value->text;
          } else {
            lowered.prefer_attribute = checked_.Info(*rule.value).index;
          }
          break;
      }
    }
    // One channel preferred for everyone is the first of the priority
    // order, wherever the rules name it: tried first among those a send
    // lists, and first of the others under `when capped: fallback`.
    if (!preferred_channel.empty()) {
      auto& order = lowered.priority;
      order.erase(std::remove(order.begin(), order.end(), preferred_channel),
                  order.end());
      order.insert(order.begin(), preferred_channel);
    }
    return lowered;
  }

  static ir::CapPeriod CapPeriodOf(const syntax::PolicyRule& rule) {
    if (rule.period_seconds > 0) return ir::CapPeriod::Rolling;
    if (rule.period.text == "day") return ir::CapPeriod::Day;
    if (rule.period.text == "month") return ir::CapPeriod::Month;
    return ir::CapPeriod::Week;
  }

  static ir::Quiet LowerQuiet(const syntax::PolicyRule& rule) {
    ir::Quiet quiet;
    quiet.weekly = rule.from.day.has_value();
    auto seconds = [&](const syntax::TimeOfWeek& time) {
      if (!time.day) return time.seconds;
      const auto& days = sema::Weekdays();
      auto day = std::find(days.begin(), days.end(), time.day->text);
      return (day - days.begin()) * 86400 + time.seconds;
    };
    quiet.from = seconds(rule.from);
    quiet.to = seconds(rule.to);
    for (const syntax::Name& channel : rule.names) {
      quiet.channels.push_back(channel.text);
    }
    return quiet;
  }

  static void LowerSendPolicy(const syntax::Step& step, ir::Step& lowered) {
    if (step.best_of) {
      for (const syntax::Name& channel : step.channels) {
        lowered.best_of.push_back(channel.text);
      }
    }
    if (step.category) lowered.category = step.category->text;
    if (step.priority) {
      lowered.priority_rank = PriorityRank(step.priority->text);
    }
    lowered.override_policy = step.override_policy;
  }

  // The index into sema::KnownPriorities(), low first.
  static int32_t PriorityRank(const std::string& priority) {
    const auto& priorities = sema::KnownPriorities();
    auto found = std::find(priorities.begin(), priorities.end(), priority);
    return static_cast<int32_t>(found - priorities.begin());
  }

  // `to_decimal`: an int value written where a decimal goes.
  int32_t LowerFunction(const std::string& name, const Expr& expr,
                        bool to_decimal = false) {
    ir::Function function;
    function.name = name;
    body_ = &function.body;
    LowerOperand(expr, to_decimal);
    body_ = nullptr;
    function.result = function.body.back().type;
    program_.functions.push_back(std::move(function));
    return static_cast<int32_t>(program_.functions.size() - 1);
  }

  int32_t Emit(ir::Inst inst) {
    body_->push_back(inst);
    return static_cast<int32_t>(body_->size() - 1);
  }

  int32_t EmitConst(ir::Type type, int64_t value, int64_t second = 0) {
    ir::Inst inst{ir::Op::Const, type, type};
    inst.imm = value;
    inst.imm2 = second;
    return Emit(inst);
  }

  int32_t EmitOp(ir::Op op, ir::Type type, int32_t a, int32_t b = -1) {
    ir::Inst inst{op, type, type};
    inst.a = a;
    inst.b = b;
    return Emit(inst);
  }

  // Indexed by a map: a program may write many thousands of strings.
  int32_t InternString(const std::string& text) {
    auto& strings = program_.strings;
    auto [known, added] =
        string_indices_.try_emplace(text, static_cast<int32_t>(strings.size()));
    if (added) strings.push_back(text);
    return known->second;
  }

  // Where a reference's value lives: its base, its word offset, and the
  // word of its presence flag (-1 when it is always present).
  struct Location {
    ir::Base base;
    int32_t offset;
    int32_t presence;
  };

  Location Locate(const sema::ExprInfo& info) const {
    switch (info.ref) {
      case RefKind::ProfileField: {
        const ir::Field& field = program_.profile[info.index];
        return {ir::Base::Profile, field.offset, field.presence_offset};
      }
      case RefKind::EventField:
      case RefKind::LocalField: {
        int32_t record =
            info.ref == RefKind::EventField ? current_event_ : locals_event_;
        const ir::EventType& event = program_.events[record];
        const ir::Field& field = event.fields[info.index];
        ir::Base base =
            info.ref == RefKind::EventField ? ir::Base::Event : ir::Base::Local;
        return {base, field.offset, field.presence_offset};
      }
      case RefKind::Aggregate: {
        // `last(E)` stands for its event's time, present when there is one.
        const ir::Aggregate& aggregate = program_.aggregates[info.index];
        if (aggregate.kind == ir::AggregateKind::Last) {
          return {ir::Base::Profile, aggregate.offset + 1, aggregate.offset};
        }
        return {ir::Base::Profile, aggregate.offset, -1};
      }
      case RefKind::Segment:
        return {ir::Base::Profile, segment_offsets_[info.index], -1};
      case RefKind::None:
      case RefKind::Now:
      case RefKind::EnumValue:
      case RefKind::ChannelValue:
      case RefKind::RecordField:
      case RefKind::Builtin: break;
    }
    assert(false && "not a stored reference CheckRunnable lets through");
    return {ir::Base::Profile, 0, -1};
  }

  // The word holding the length of a stored list: a list attribute, or
  // a list field of the trigger or a received event.
  int32_t ListCountOffset(const sema::ExprInfo& list) const {
    if (list.ref == RefKind::ProfileField) {
      return program_.profile[list.index].count_offset;
    }
    int32_t record =
        list.ref == RefKind::EventField ? current_event_ : locals_event_;
    return program_.events[record].fields[list.index].count_offset;
  }

  // Where `expr` lives: a stored reference, or a field of `last(E)`.
  Location LocateExpr(const Expr& expr) const {
    const sema::ExprInfo& info = checked_.Info(expr);
    if (info.ref != RefKind::RecordField) return Locate(info);

    // `x.items.count`: the length the decoder wrote beside the list, there
    // when the list is.
    if (info.index == -1) {
      const sema::ExprInfo& list = checked_.Info(*expr.operands[0]);
      Location location = Locate(list);
      return {location.base, ListCountOffset(list), location.presence};
    }

    // CheckRunnable lets through only fields of `last(E)`, which the
    // profile record holds after the event's time.
    const sema::ExprInfo& object = checked_.Info(*expr.operands[0]);
    const ir::Aggregate& last = program_.aggregates[object.index];
    const ir::Field& field =
        program_.events[last.event_type].fields[info.index];
    int32_t record = last.offset + 2;
    // A required field is there when the event is; an optional one has
    // its own presence word, 0 when there is no event at all.
    int32_t presence = field.presence_offset >= 0
                           ? record + field.presence_offset
                           : last.offset;
    return {ir::Base::Profile, record + field.offset, presence};
  }

  int32_t EmitPresence(const Expr& expr) {
    const sema::ExprInfo& info = checked_.Info(expr);
    if (info.ref == RefKind::Builtin) {
      // `days_since(x)` is there when `x` is; `distance_km` and
      // `travel_kmh` when all their optional arguments are.
      int32_t present = -1;
      for (const syntax::Argument& argument : expr.arguments) {
        if (!checked_.Info(*argument.value).type.optional) continue;
        int32_t this_one = EmitPresence(*argument.value);
        present = present < 0
                      ? this_one
                      : EmitOp(ir::Op::And, ir::Type::Bool, present, this_one);
      }
      return present >= 0 ? present : EmitConst(ir::Type::Bool, 1);
    }
    Location location = LocateExpr(expr);
    ir::Inst inst{ir::Op::IsPresent, ir::Type::Bool, ir::Type::Bool};
    inst.base = location.base;
    inst.imm = location.presence;
    return Emit(inst);
  }

  int32_t LowerExpr(const Expr& expr) {
    const sema::ExprInfo& info = checked_.Info(expr);
    switch (expr.kind) {
      case ExprKind::Int:
      case ExprKind::Decimal:
      case ExprKind::Duration:
      case ExprKind::Bool:
        return EmitConst(IrType(info.type.kind), expr.int_value);
      case ExprKind::Percent:
        // 10% is the decimal 0.1; finer than 0.0001% is truncated.
        return EmitConst(ir::Type::Decimal, expr.int_value / 100);
      case ExprKind::Money:
        return EmitConst(ir::Type::Money, expr.int_value,
                         ir::PackCurrency(expr.text));
      case ExprKind::Timestamp:
        return EmitConst(ir::Type::Time, expr.int_value);
      case ExprKind::In: return LowerIn(expr);
      case ExprKind::Calendar:
      case ExprKind::Clock:
      case ExprKind::List:
      case ExprKind::Record:
        assert(false && "CheckRunnable lets no such expression through");
        return -1;
      case ExprKind::String: {
        ir::Inst inst{ir::Op::ConstString, ir::Type::String, ir::Type::String};
        inst.imm = InternString(expr.text);
        return Emit(inst);
      }
      case ExprKind::None:
        assert(false && "`none` is lowered by its comparison");
        return -1;
      case ExprKind::Name:
        // A channel is its name, as a string.
        if (info.ref == RefKind::ChannelValue) {
          ir::Inst inst{ir::Op::ConstString, ir::Type::String,
                        ir::Type::String};
          inst.imm = InternString(expr.text);
          return Emit(inst);
        }
        [[fallthrough]];
      case ExprKind::Field:
      case ExprKind::Call:
        if (info.ref == RefKind::Builtin && expr.text == "consent") {
          return LowerConsent(expr);
        }
        if (info.ref == RefKind::Builtin && IsLoyaltyRead(expr)) {
          return LowerLoyaltyRead(expr);
        }
        return LowerReference(expr, info);
      case ExprKind::Unary: {
        int32_t operand = LowerExpr(*expr.operands[0]);
        ir::Op op =
            expr.unary_op == syntax::UnaryOp::Not ? ir::Op::Not : ir::Op::Neg;
        return EmitOp(op, IrType(info.type.kind), operand);
      }
      case ExprKind::Binary: return LowerBinary(expr, info);
    }
    return -1;
  }

  int32_t LowerReference(const Expr& expr, const sema::ExprInfo& info) {
    if (info.ref == RefKind::Builtin && expr.text == "distance_km") {
      return LowerDistance(expr, 0, 1, 2, 3);
    }
    if (info.ref == RefKind::Builtin && expr.text == "travel_kmh") {
      return LowerTravel(expr);
    }
    if (info.ref == RefKind::Builtin) return LowerSince(expr);
    if (info.ref == RefKind::EnumValue) {
      // An enum value is its index among its enum's values.
      return EmitConst(ir::Type::Int, info.index);
    }
    if (info.ref == RefKind::Now) {
      ir::Inst inst{ir::Op::Now, ir::Type::Time, ir::Type::Time};
      return Emit(inst);
    }
    Location location = LocateExpr(expr);
    ir::Type type = info.type.kind == TypeKind::Event ? ir::Type::Time
                                                      : IrType(info.type.kind);
    ir::Inst inst{ir::Op::Load, type, type};
    inst.base = location.base;
    inst.imm = location.offset;
    return Emit(inst);
  }

  // `days_since(x)`, `hours_since(x)`, `minutes_since(x)`: the whole
  // units from `x` (a time, or `last(E)`'s) to now, rounded down, so a
  // day that has not fully passed does not count.
  int32_t LowerSince(const Expr& expr) {
    int64_t unit = expr.text == "days_since"    ? 86400
                   : expr.text == "hours_since" ? 3600
                                                : 60;
    const Expr& argument = *expr.arguments[0].value;
    int32_t since = LowerExpr(argument);
    ir::Inst now{ir::Op::Now, ir::Type::Time, ir::Type::Time};
    // Of a date: today's date in the recipient's zone minus it, so the
    // count goes up at each local midnight, however long the day.
    if (checked_.Info(argument).type.kind == TypeKind::Date) {
      int32_t today =
          EmitOp(ir::Op::LocalDay, ir::Type::Int, Emit(now), EmitZone());
      return EmitOp(ir::Op::Sub, ir::Type::Int, today, since);
    }
    int32_t elapsed = EmitOp(ir::Op::Sub, ir::Type::Duration, Emit(now), since);
    ir::Inst whole{ir::Op::WholeUnits, ir::Type::Int, ir::Type::Int};
    whole.a = elapsed;
    whole.imm = unit;
    return Emit(whole);
  }

  // `distance_km` of the arguments at the four positions given, each
  // converted to a decimal number of degrees.
  int32_t LowerDistance(const Expr& call, size_t lat1, size_t lon1, size_t lat2,
                        size_t lon2) {
    auto degrees = [&](size_t index) {
      return LowerOperand(*call.arguments[index].value, true);
    };
    ir::Inst distance{ir::Op::DistanceKm, ir::Type::Decimal, ir::Type::Decimal};
    distance.a = degrees(lat1);
    distance.b = degrees(lon1);
    distance.imm = degrees(lat2);
    distance.imm2 = degrees(lon2);
    return Emit(distance);
  }

  // `travel_kmh(lat1, lon1, t1, lat2, lon2, t2)`: the distance over the
  // time between the two instants (a `last(E)` stands for its time).
  int32_t LowerTravel(const Expr& call) {
    int32_t distance = LowerDistance(call, 0, 1, 3, 4);
    int32_t first = LowerExpr(*call.arguments[2].value);
    int32_t second = LowerExpr(*call.arguments[5].value);
    int32_t elapsed = EmitOp(ir::Op::Sub, ir::Type::Duration, second, first);
    return EmitOp(ir::Op::SpeedKmh, ir::Type::Decimal, distance, elapsed);
  }

  // Lowers an operand, converting an int to a decimal when `to_decimal`.
  int32_t LowerOperand(const Expr& expr, bool to_decimal) {
    int32_t value = LowerExpr(expr);
    if (!to_decimal || checked_.Info(expr).type.kind != TypeKind::Int) {
      return value;
    }
    return EmitOp(ir::Op::IntToDecimal, ir::Type::Decimal, value);
  }

  int32_t LowerBinary(const Expr& expr, const sema::ExprInfo& info) {
    const Expr& left = *expr.operands[0];
    const Expr& right = *expr.operands[1];
    TypeKind left_kind = checked_.Info(left).type.kind;
    TypeKind right_kind = checked_.Info(right).type.kind;

    switch (expr.binary_op) {
      case BinaryOp::And:
      case BinaryOp::Or: {
        int32_t a = LowerExpr(left);
        int32_t b = LowerExpr(right);
        ir::Op op = expr.binary_op == BinaryOp::And ? ir::Op::And : ir::Op::Or;
        return EmitOp(op, ir::Type::Bool, a, b);
      }
      case BinaryOp::Add:
      case BinaryOp::Subtract:
      case BinaryOp::Multiply:
      case BinaryOp::Divide:
        return LowerArithmetic(expr.binary_op, left, right,
                               IrType(info.type.kind));
      default: break;
    }

    if (left_kind == TypeKind::None || right_kind == TypeKind::None) {
      const Expr& other = left_kind == TypeKind::None ? right : left;
      int32_t present = EmitPresence(other);
      if (expr.binary_op == BinaryOp::NotEqual) return present;
      return EmitOp(ir::Op::Not, ir::Type::Bool, present);
    }
    return LowerComparison(expr, left, right);
  }

  // `x in [a, b]` is `x == a or x == b`, and `x not in [a, b]` is
  // `x != a and x != b`: false for an absent `x` either way, as every
  // comparison with an absent value is. A long list of literals is looked
  // up in a sorted set instead, with the same result.
  int32_t LowerIn(const Expr& expr) {
    const Expr& item = *expr.operands[0];
    const Expr& list = *expr.operands[1];
    if (list.kind != ExprKind::List) return LowerInListField(expr);
    if (list.operands.size() >= kInSetMinItems) {
      std::optional<int32_t> lookup = LowerInSet(expr);
      if (lookup) return *lookup;
    }
    BinaryOp test = expr.negated ? BinaryOp::NotEqual : BinaryOp::Equal;
    ir::Op combine = expr.negated ? ir::Op::And : ir::Op::Or;
    int32_t result = -1;
    for (const auto& element : list.operands) {
      int32_t holds = LowerComparison(test, item, *element);
      result =
          result < 0 ? holds : EmitOp(combine, ir::Type::Bool, result, holds);
    }
    if (result < 0) return EmitConst(ir::Type::Bool, expr.negated ? 1 : 0);
    return result;
  }

  // `x in [...]` as one `in_set`, when every item is a literal of a type
  // a set holds; nothing otherwise. The items are compared as
  // `LowerComparison` would compare them with `x`, so ints against a
  // decimal `x` become decimals.
  std::optional<int32_t> LowerInSet(const Expr& expr) {
    const Expr& item = *expr.operands[0];
    const Expr& list = *expr.operands[1];
    TypeKind item_kind = checked_.Info(item).type.kind;
    TypeKind list_kind = checked_.Info(*list.operands[0]).type.kind;
    bool decimal =
        item_kind != list_kind && IrType(item_kind) != IrType(list_kind);
    ir::Type compared = decimal ? ir::Type::Decimal : IrType(item_kind);
    if (compared != ir::Type::String && ir::WordCount(compared) != 1) {
      return std::nullopt;
    }

    std::optional<ir::ConstSet> set = compared == ir::Type::String
                                          ? StringSet(list)
                                          : WordSet(list, compared, decimal);
    if (!set) return std::nullopt;

    // A comparison with the clock gives the segment crossing instants
    // (compiler/ir/crossings.h), which a set lookup would not: such an
    // item keeps the comparisons, and the value lowered here is dropped.
    size_t before = body_->size();
    ir::Inst lookup{ir::Op::InSet, ir::Type::Bool, compared};
    lookup.a = LowerOperand(item, decimal);
    if (ReadsClock(lookup.a)) {
      body_->resize(before);
      return std::nullopt;
    }
    lookup.imm = static_cast<int64_t>(program_.const_sets.size());
    program_.const_sets.push_back(std::move(*set));
    int32_t result = Emit(lookup);
    if (expr.negated) result = EmitOp(ir::Op::Not, ir::Type::Bool, result);
    if (!checked_.Info(item).type.optional) return result;
    return EmitOp(ir::Op::Guard, ir::Type::Bool, EmitPresence(item), result);
  }

  // Whether instruction `index` of the function being lowered reads the
  // clock, itself or through its operands.
  bool ReadsClock(int32_t index) const {
    const std::vector<ir::Inst>& body = *body_;
    std::vector<int32_t> pending = {index};
    std::set<int32_t> seen;
    while (!pending.empty()) {
      int32_t at = pending.back();
      pending.pop_back();
      if (at < 0 || !seen.insert(at).second) continue;
      const ir::Inst& inst = body[at];
      if (inst.op == ir::Op::Now) return true;
      pending.push_back(inst.a);
      pending.push_back(inst.b);
      // The other two operands of a distance are held in `imm`, `imm2`.
      if (inst.op == ir::Op::DistanceKm) {
        pending.push_back(static_cast<int32_t>(inst.imm));
        pending.push_back(static_cast<int32_t>(inst.imm2));
      }
    }
    return false;
  }

  // The set of a list's string literals and channel names.
  std::optional<ir::ConstSet> StringSet(const Expr& list) {
    std::vector<std::string> items;
    items.reserve(list.operands.size());
    for (const auto& element : list.operands) {
      bool channel = element->kind == ExprKind::Name &&
                     checked_.Info(*element).ref == RefKind::ChannelValue;
      if (element->kind != ExprKind::String && !channel) return std::nullopt;
      items.push_back(element->text);
    }
    return ir::MakeStringSet(std::move(items));
  }

  // The set of a list's one-word literals, as `type`; ints become
  // decimals when `decimal`, as `LowerOperand` converts them.
  std::optional<ir::ConstSet> WordSet(const Expr& list, ir::Type type,
                                      bool decimal) {
    std::vector<int64_t> items;
    items.reserve(list.operands.size());
    for (const auto& element : list.operands) {
      std::optional<int64_t> word = LiteralWord(*element);
      if (!word) return std::nullopt;
      if (decimal && checked_.Info(*element).type.kind == TypeKind::Int) {
        word = ir::WrapMul(*word, ir::kDecimalScale);
      }
      items.push_back(*word);
    }
    return ir::MakeWordSet(type, std::move(items));
  }

  // The word `LowerExpr` gives a one-word literal (a number, a duration,
  // a time, a bool, an enum value, or one of them negated); nothing for
  // any other expression.
  std::optional<int64_t> LiteralWord(const Expr& expr) {
    const sema::ExprInfo& info = checked_.Info(expr);
    switch (expr.kind) {
      case ExprKind::Int:
      case ExprKind::Decimal:
      case ExprKind::Duration:
      case ExprKind::Bool:
      case ExprKind::Timestamp: return expr.int_value;
      case ExprKind::Percent: return expr.int_value / 100;
      case ExprKind::Name:
      case ExprKind::Field:
        if (info.ref != RefKind::EnumValue) return std::nullopt;
        return info.index;
      case ExprKind::Unary: {
        if (expr.unary_op != syntax::UnaryOp::Negate) return std::nullopt;
        std::optional<int64_t> operand = LiteralWord(*expr.operands[0]);
        if (!operand) return std::nullopt;
        return ir::WrapSub(0, *operand);
      }
      default: return std::nullopt;
    }
  }

  // `x in e.tags`, a list field kept as its JSON text: the helper looks
  // `x` up in the text. Like a comparison, it is false when `x` or the
  // list is absent, `not in` too.
  int32_t LowerInListField(const Expr& expr) {
    const Expr& item = *expr.operands[0];
    const Expr& list = *expr.operands[1];
    ir::Inst contains{ir::Op::ListContains, ir::Type::Bool,
                      IrType(checked_.Info(item).type.kind)};
    contains.a = LowerExpr(list);
    contains.b = LowerExpr(item);
    int32_t result = Emit(contains);
    if (expr.negated) result = EmitOp(ir::Op::Not, ir::Type::Bool, result);

    for (const Expr* side : {&item, &list}) {
      if (!checked_.Info(*side).type.optional) continue;
      int32_t present = EmitPresence(*side);
      result = EmitOp(ir::Op::Guard, ir::Type::Bool, present, result);
    }
    return result;
  }

  int32_t LowerComparison(const Expr& expr, const Expr& left,
                          const Expr& right) {
    return LowerComparison(expr.binary_op, left, right);
  }

  int32_t LowerComparison(BinaryOp binary_op, const Expr& left,
                          const Expr& right) {
    TypeKind left_kind = checked_.Info(left).type.kind;
    TypeKind right_kind = checked_.Info(right).type.kind;
    // An int against a decimal compares as decimals; a time zone against
    // a string compares as strings, as it is one.
    bool decimal =
        left_kind != right_kind && IrType(left_kind) != IrType(right_kind);
    int32_t a = LowerOperand(left, decimal);
    int32_t b = LowerOperand(right, decimal);

    static const std::pair<BinaryOp, ir::Op> kComparisons[] = {
        {BinaryOp::Equal, ir::Op::Eq},   {BinaryOp::NotEqual, ir::Op::Ne},
        {BinaryOp::Less, ir::Op::Lt},    {BinaryOp::LessEqual, ir::Op::Le},
        {BinaryOp::Greater, ir::Op::Gt}, {BinaryOp::GreaterEqual, ir::Op::Ge},
    };
    ir::Op op = ir::Op::Eq;
    for (const auto& [syntax_op, ir_op] : kComparisons) {
      if (syntax_op == binary_op) op = ir_op;
    }
    ir::Inst compare{op, ir::Type::Bool,
                     decimal ? ir::Type::Decimal : IrType(left_kind)};
    compare.a = a;
    compare.b = b;
    int32_t result = Emit(compare);

    // An absent optional value makes the comparison false.
    for (const Expr* side : {&left, &right}) {
      if (!checked_.Info(*side).type.optional) continue;
      int32_t present = EmitPresence(*side);
      result = EmitOp(ir::Op::Guard, ir::Type::Bool, present, result);
    }
    return result;
  }

  int32_t LowerArithmetic(BinaryOp op, const Expr& left, const Expr& right,
                          ir::Type result) {
    TypeKind left_kind = checked_.Info(left).type.kind;
    TypeKind right_kind = checked_.Info(right).type.kind;
    if (right.kind == ExprKind::Calendar) {
      return LowerCalendarShift(left, right, op == BinaryOp::Subtract);
    }
    if (left.kind == ExprKind::Calendar) {
      return LowerCalendarShift(right, left, false);  // `1 month + t`
    }
    const Expr* first = &left;
    const Expr* second = &right;
    // The IR wants the money or duration operand first in a product.
    bool swap =
        op == BinaryOp::Multiply &&
        (right_kind == TypeKind::Money || right_kind == TypeKind::Duration ||
         (right_kind == TypeKind::Time && left_kind == TypeKind::Duration));
    if (op == BinaryOp::Add && left_kind == TypeKind::Duration &&
        right_kind == TypeKind::Time) {
      swap = true;
    }
    if (swap) std::swap(first, second);

    bool to_decimal = result == ir::Type::Decimal || result == ir::Type::Money;
    int32_t a = LowerOperand(*first, to_decimal && result == ir::Type::Decimal);
    int32_t b = LowerOperand(*second, to_decimal);

    static const std::pair<BinaryOp, ir::Op> kArithmetic[] = {
        {BinaryOp::Add, ir::Op::Add},
        {BinaryOp::Subtract, ir::Op::Sub},
        {BinaryOp::Multiply, ir::Op::Mul},
        {BinaryOp::Divide, ir::Op::Div},
    };
    ir::Op ir_op = ir::Op::Add;
    for (const auto& [syntax_op, arithmetic] : kArithmetic) {
      if (syntax_op == op) ir_op = arithmetic;
    }
    return EmitOp(ir_op, result, a, b);
  }

  // `t ± 1 month`, `d ± 1 year`: a time moves on the recipient's wall
  // clock (its zone), a date on the calendar alone. CheckRunnable lets
  // through only a calendar length written as a literal.
  int32_t LowerCalendarShift(const Expr& value, const Expr& length,
                             bool backwards) {
    int64_t count = backwards ? -length.int_value : length.int_value;
    auto unit = static_cast<int64_t>(CalendarUnitOf(length.calendar_unit));
    bool time = checked_.Info(value).type.kind == TypeKind::Time;
    ir::Inst shift{time ? ir::Op::AddCalendar : ir::Op::AddToDate,
                   time ? ir::Type::Time : ir::Type::Int,
                   time ? ir::Type::Time : ir::Type::Int};
    shift.a = LowerExpr(value);
    if (time) shift.b = EmitZone();
    shift.imm = count;
    shift.imm2 = unit;
    return Emit(shift);
  }

  const sema::CheckedProgram& checked_;
  ir::Program program_;
  std::vector<int32_t> segment_offsets_;
  std::vector<ir::Inst>* body_ = nullptr;
  ir::Journey* journey_ = nullptr;
  int32_t journey_event_ = -1;
  // The event types `EventField` and `LocalField` references read: the
  // trigger's, except in a `wait for` filter and the block it runs.
  int32_t current_event_ = -1;
  int32_t locals_event_ = -1;
  int32_t arrived_event_ = -1;  // see ir::Step::arrived_event
  std::map<const syntax::Step*, std::string> step_names_;
  std::set<std::string> taken_names_;
  std::unordered_map<std::string, int32_t> string_indices_;  // InternString
};

}  // namespace

ir::Program Lower(const sema::CheckedProgram& program) {
  return Lowerer(program).Run();
}

}  // namespace parcours::lower
