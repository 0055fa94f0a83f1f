#include "compiler/ir/ir.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "compiler/ir/lists.h"

namespace parcours::ir {

int WordCount(Type type) {
  switch (type) {
    case Type::Money:
    case Type::String: return 2;
    case Type::Bool:
    case Type::Int:
    case Type::Decimal:
    case Type::Duration:
    case Type::Time: return 1;
  }
  return 1;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::Decimal: return "decimal";
    case Type::Money: return "money";
    case Type::Duration: return "duration";
    case Type::Time: return "time";
    case Type::String: return "string";
  }
  return "?";
}

const char* CalendarUnitName(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::Day: return "day";
    case CalendarUnit::Week: return "week";
    case CalendarUnit::Month: return "month";
    case CalendarUnit::Year: return "year";
  }
  return "?";
}

const char* OpName(Op op) {
  switch (op) {
    case Op::Const: return "const";
    case Op::ConstString: return "const.string";
    case Op::Load: return "load";
    case Op::IsPresent: return "is_present";
    case Op::Now: return "now";
    case Op::Add: return "add";
    case Op::Sub: return "sub";
    case Op::Mul: return "mul";
    case Op::Div: return "div";
    case Op::Neg: return "neg";
    case Op::Eq: return "eq";
    case Op::Ne: return "ne";
    case Op::Lt: return "lt";
    case Op::Le: return "le";
    case Op::Gt: return "gt";
    case Op::Ge: return "ge";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Not: return "not";
    case Op::IntToDecimal: return "int_to_decimal";
    case Op::Guard: return "guard";
    case Op::WholeUnits: return "whole_units";
    case Op::DistanceKm: return "distance_km";
    case Op::SpeedKmh: return "speed_kmh";
    case Op::LocalDay: return "local_day";
    case Op::DayStart: return "day_start";
    case Op::AddCalendar: return "add_calendar";
    case Op::AddToDate: return "add_to_date";
    case Op::ListContains: return "list_contains";
    case Op::MoneyAmount: return "money_amount";
    case Op::MoneyCurrency: return "money_currency";
    case Op::InSet: return "in_set";
  }
  return "?";
}

int64_t PackCurrency(const std::string& code) {
  if (code.size() != 3) return 0;
  int64_t packed = 0;
  for (int i = 0; i < 3; ++i) {
    char c = code[i];
    if (c < 'A' || c > 'Z') return 0;
    packed |= static_cast<int64_t>(c) << (8 * i);
  }
  return packed;
}

std::string UnpackCurrency(int64_t packed) {
  if (packed == 0) return "none";
  if (packed < 0) return "mixed";
  std::string code;
  for (int i = 0; i < 3; ++i)
    code += static_cast<char>((packed >> (8 * i)) & 0xff);
  return code;
}

int32_t AggregateWords(const Program& program, const Aggregate& aggregate) {
  if (aggregate.kind != AggregateKind::Last) return WordCount(aggregate.type);
  return 2 + program.events[aggregate.event_type].record_words;
}

const EventType& LocalsType(const Program& program, const Journey& journey) {
  static const EventType kNoLocals;
  if (journey.locals_event < 0) return kNoLocals;
  return program.events[journey.locals_event];
}

namespace {

// What a function reads: the profile words it loads, and the clock.
struct Reads {
  std::vector<int32_t> profile_words;
  bool clock = false;
};

Reads ReadsOf(const Function& function) {
  Reads reads;
  for (const Inst& inst : function.body) {
    if (inst.op == Op::Now) reads.clock = true;
    bool loads = inst.op == Op::Load || inst.op == Op::IsPresent;
    if (!loads || inst.base != Base::Profile) continue;
    int words = inst.op == Op::Load ? WordCount(inst.type) : 1;
    for (int w = 0; w < words; ++w) {
      reads.profile_words.push_back(static_cast<int32_t>(inst.imm) + w);
    }
  }
  return reads;
}

bool ReadsRange(const Reads& reads, int32_t offset, int32_t words) {
  for (int32_t word : reads.profile_words) {
    if (word >= offset && word < offset + words) return true;
  }
  return false;
}

}  // namespace

void AnalyzeDependencies(Program& program) {
  program.aggregates_by_event.assign(program.events.size(), {});
  for (size_t i = 0; i < program.aggregates.size(); ++i) {
    const Aggregate& aggregate = program.aggregates[i];
    program.aggregates_by_event[aggregate.event_type].push_back(
        static_cast<int32_t>(i));
  }

  // Each event type keeps as much history as its widest window reads, and
  // of each kept event only the fields a windowed sum adds up or a
  // `seen_before` compares.
  for (EventType& event : program.events) {
    event.history_seconds = 0;
    event.history_fields.clear();
  }
  for (const Aggregate& aggregate : program.aggregates) {
    bool reads_history =
        aggregate.windowed || aggregate.kind == AggregateKind::SeenBefore;
    if (!reads_history) continue;
    EventType& event = program.events[aggregate.event_type];
    event.history_seconds =
        std::max(event.history_seconds, aggregate.window_far);
    std::vector<int32_t>& fields = event.history_fields;
    bool kept = std::find(fields.begin(), fields.end(), aggregate.field) !=
                fields.end();
    if (aggregate.field >= 0 && !kept) fields.push_back(aggregate.field);
  }
  for (EventType& event : program.events) {
    std::sort(event.history_fields.begin(), event.history_fields.end());
  }

  program.segments_by_event.assign(program.events.size(), {});
  program.segments_on_identify.clear();
  program.time_dependent_segments.clear();
  for (size_t s = 0; s < program.segments.size(); ++s) {
    auto segment = static_cast<int32_t>(s);
    Reads reads = ReadsOf(program.functions[program.segments[s].predicate]);
    bool reads_window = false;
    for (const Aggregate& aggregate : program.aggregates) {
      reads_window =
          reads_window || (aggregate.windowed &&
                           ReadsRange(reads, aggregate.offset,
                                      AggregateWords(program, aggregate)));
    }
    if (reads.clock || reads_window) {
      program.time_dependent_segments.push_back(segment);
    }

    bool reads_attribute = false;
    for (const Field& field : program.profile) {
      int32_t words = WordCount(field.type);
      reads_attribute = reads_attribute ||
                        ReadsRange(reads, field.offset, words) ||
                        (field.presence_offset >= 0 &&
                         ReadsRange(reads, field.presence_offset, 1));
    }
    if (reads_attribute || reads.clock) {
      program.segments_on_identify.push_back(segment);
    }

    for (size_t e = 0; e < program.events.size(); ++e) {
      bool reads_aggregate = false;
      for (int32_t index : program.aggregates_by_event[e]) {
        const Aggregate& aggregate = program.aggregates[index];
        reads_aggregate =
            reads_aggregate || ReadsRange(reads, aggregate.offset,
                                          AggregateWords(program, aggregate));
      }
      if (reads_aggregate || reads.clock) {
        program.segments_by_event[e].push_back(segment);
      }
    }
  }
}

namespace {

// Quotes `text` for the dump so that two different strings never print
// alike: quotes, backslashes and bytes outside printable ASCII are escaped.
std::string Quoted(const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

const char* BaseName(Base base) {
  switch (base) {
    case Base::Profile: return "profile";
    case Base::Event: return "event";
    case Base::Local: return "local";
  }
  return "?";
}

const char* StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::Wait: return "wait";
    case StepKind::WaitCalendar: return "wait.calendar";
    case StepKind::WaitUntil: return "wait.until";
    case StepKind::If: return "if";
    case StepKind::Send: return "send";
    case StepKind::Exit: return "exit";
    case StepKind::WaitFor: return "wait.for";
    case StepKind::Split: return "split";
    case StepKind::Set: return "set";
    case StepKind::Emit: return "emit";
    case StepKind::Task: return "task";
    case StepKind::Webhook: return "webhook";
    case StepKind::Freeze: return "freeze";
    case StepKind::SecondFactor: return "second_factor";
    case StepKind::Award: return "award";
  }
  return "?";
}

const char* ReentryName(Reentry reentry) {
  switch (reentry) {
    case Reentry::AfterLeaving: return "after-leaving";
    case Reentry::After: return "after";
    case Reentry::Never: return "never";
  }
  return "?";
}

bool IsComparison(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Le ||
         op == Op::Gt || op == Op::Ge;
}

bool HasTwoOperands(Op op) {
  return IsComparison(op) || op == Op::Add || op == Op::Sub || op == Op::Mul ||
         op == Op::Div || op == Op::And || op == Op::Or || op == Op::Guard ||
         op == Op::DistanceKm || op == Op::SpeedKmh || op == Op::LocalDay ||
         op == Op::DayStart || op == Op::ListContains || op == Op::AddCalendar;
}

bool HasOneOperand(Op op) {
  return op == Op::Neg || op == Op::Not || op == Op::IntToDecimal ||
         op == Op::WholeUnits || op == Op::MoneyAmount ||
         op == Op::MoneyCurrency || op == Op::AddToDate || op == Op::InSet;
}

std::string VerifyFunction(const Program& program, const Function& function) {
  if (function.body.empty()) return "function `" + function.name + "` is empty";
  if (WordCount(function.result) != 1) {
    return "function `" + function.name + "` returns a two-word type";
  }
  if (function.body.back().type != function.result) {
    return "function `" + function.name + "` ends with a value of type " +
           TypeName(function.body.back().type);
  }

  for (size_t i = 0; i < function.body.size(); ++i) {
    const Inst& inst = function.body[i];
    auto where = "function `" + function.name + "` instruction %" +
                 std::to_string(i) + ": ";
    auto defined = [&](int32_t operand) {
      return operand >= 0 && static_cast<size_t>(operand) < i;
    };
    if (HasTwoOperands(inst.op) && !(defined(inst.a) && defined(inst.b))) {
      return where + "operand used before it is defined";
    }
    if (HasOneOperand(inst.op) && !defined(inst.a)) {
      return where + "operand used before it is defined";
    }
    if (IsComparison(inst.op) && inst.type != Type::Bool) {
      return where + "a comparison must define a bool";
    }
    if (inst.op == Op::WholeUnits &&
        (inst.imm < 1 || inst.type != Type::Int ||
         function.body[inst.a].type != Type::Duration)) {
      return where + "whole_units takes a duration and a unit of 1s or more";
    }
    if (inst.op == Op::DistanceKm) {
      bool degrees = defined(static_cast<int32_t>(inst.imm)) &&
                     defined(static_cast<int32_t>(inst.imm2));
      for (int64_t operand :
           {int64_t{inst.a}, int64_t{inst.b}, inst.imm, inst.imm2}) {
        degrees = degrees && function.body[operand].type == Type::Decimal;
      }
      if (!degrees || inst.type != Type::Decimal) {
        return where + "distance_km takes four decimals defined before it";
      }
    }
    if (inst.op == Op::SpeedKmh &&
        (inst.type != Type::Decimal ||
         function.body[inst.a].type != Type::Decimal ||
         function.body[inst.b].type != Type::Duration)) {
      return where + "speed_kmh takes a decimal and a duration";
    }
    if (inst.op == Op::LocalDay || inst.op == Op::DayStart) {
      bool day = inst.op == Op::LocalDay;
      Type from = day ? Type::Time : Type::Int;
      Type to = day ? Type::Int : Type::Time;
      if (inst.type != to || function.body[inst.a].type != from ||
          function.body[inst.b].type != Type::String) {
        return where + OpName(inst.op) + " takes a " + TypeName(from) +
               " and a zone (string) and defines a " + TypeName(to);
      }
    }
    if (inst.op == Op::AddCalendar || inst.op == Op::AddToDate) {
      bool time = inst.op == Op::AddCalendar;
      Type value = time ? Type::Time : Type::Int;
      bool zone = !time || function.body[inst.b].type == Type::String;
      if (inst.type != value || function.body[inst.a].type != value || !zone) {
        return where + OpName(inst.op) + " takes a " + TypeName(value) +
               (time ? " and a zone (string)" : "") + " and defines one";
      }
      if (inst.imm2 < 0 ||
          inst.imm2 > static_cast<int64_t>(CalendarUnit::Year)) {
        return where + OpName(inst.op) + " names no calendar unit";
      }
    }
    if ((inst.op == Op::MoneyAmount || inst.op == Op::MoneyCurrency) &&
        (function.body[inst.a].type != Type::Money ||
         inst.type !=
             (inst.op == Op::MoneyAmount ? Type::Decimal : Type::Int))) {
      return where + OpName(inst.op) + " takes money";
    }
    if (inst.op == Op::ListContains &&
        (inst.type != Type::Bool ||
         function.body[inst.a].type != Type::String ||
         function.body[inst.b].type != inst.operand_type ||
         (inst.operand_type != Type::String &&
          inst.operand_type != Type::Int))) {
      return where + "list_contains takes a list's text and a string or int";
    }
    if (inst.op == Op::InSet) {
      bool known = inst.imm >= 0 &&
                   static_cast<size_t>(inst.imm) < program.const_sets.size();
      if (!known || inst.type != Type::Bool ||
          program.const_sets[inst.imm].type != inst.operand_type ||
          function.body[inst.a].type != inst.operand_type) {
        return where + "in_set takes a value of its set's type";
      }
    }
    if (inst.op == Op::ConstString &&
        (inst.imm < 0 ||
         static_cast<size_t>(inst.imm) >= program.strings.size())) {
      return where + "string index out of range";
    }
    if ((inst.op == Op::Load || inst.op == Op::IsPresent) && inst.imm < 0) {
      return where + "negative load offset";
    }
    if (inst.op == Op::Load && inst.base == Base::Profile &&
        inst.imm + WordCount(inst.type) > program.profile_words) {
      return where + "load past the end of the profile record";
    }
  }
  return "";
}

bool ValidFunction(const Program& program, int32_t function) {
  return function >= 0 &&
         function < static_cast<int32_t>(program.functions.size());
}

bool ValidEvent(const Program& program, int32_t event) {
  return event >= 0 && event < static_cast<int32_t>(program.events.size());
}

std::string VerifyValue(const Program& program, const Step& step,
                        const StepValue& value) {
  switch (value.source) {
    case ValueSource::Function: {
      // Money is computed as its amount (a decimal) and its currency.
      bool money = value.type == Type::Money;
      Type result = money ? Type::Decimal : value.type;
      if (!ValidFunction(program, value.function) ||
          program.functions[value.function].result != result) {
        return "computes `" + value.name + "` with an unknown function";
      }
      if (money != (value.currency_function >= 0) ||
          (money &&
           (!ValidFunction(program, value.currency_function) ||
            program.functions[value.currency_function].result != Type::Int))) {
        return "computes the currency of `" + value.name +
               "` with an unknown function";
      }
      break;
    }
    case ValueSource::Load:
      if (value.offset < 0) return "reads `" + value.name + "` at a bad offset";
      break;
    case ValueSource::Constant:
    case ValueSource::Absent: break;
  }
  if (step.kind != StepKind::Emit) return "";
  const EventType& event = program.events[step.event_type];
  bool known = value.field >= 0 &&
               value.field < static_cast<int32_t>(event.fields.size()) &&
               event.fields[value.field].type == value.type;
  return known ? "" : "emits an unknown field `" + value.name + "`";
}

std::string VerifyStepDetails(const Program& program, const Journey& journey,
                              const Step& step) {
  auto in_range = [&](int32_t index) {
    return index >= -1 && index < static_cast<int32_t>(journey.steps.size());
  };
  bool needs_event =
      step.kind == StepKind::WaitFor || step.kind == StepKind::Emit;
  if (needs_event && !ValidEvent(program, step.event_type)) {
    return "names an unknown event";
  }
  if (step.arrived_event != -1 && !ValidEvent(program, step.arrived_event)) {
    return "reads the record of an unknown event";
  }
  if (step.kind == StepKind::WaitFor && step.condition != -1 &&
      !ValidFunction(program, step.condition)) {
    return "has an unknown condition";
  }
  if (step.kind == StepKind::Set) {
    bool known = step.attribute >= 0 &&
                 step.attribute < static_cast<int32_t>(program.profile.size());
    if (!known || step.values.size() != 1 ||
        step.values[0].type != program.profile[step.attribute].type) {
      return "sets an unknown attribute";
    }
  }
  if (step.kind == StepKind::Split) {
    int64_t total = 0;
    for (const SplitArm& arm : step.arms) {
      if (!in_range(arm.entry) || arm.percent < 0) return "has a bad arm";
      total += arm.percent;
    }
    if (total != 100 * kDecimalScale) return "has arms that miss 100%";
  }
  for (const StepValue& value : step.values) {
    std::string problem = VerifyValue(program, step, value);
    if (!problem.empty()) return problem;
  }
  return "";
}

std::string VerifyJourneyRules(const Program& program, const Journey& journey) {
  std::string where = "journey `" + journey.name + "` ";
  for (const ConditionalExit& exit : journey.conditional_exits) {
    bool event_ok = exit.event == -1 || ValidEvent(program, exit.event);
    if (!event_ok || !ValidFunction(program, exit.condition)) {
      return where + "has a bad conditional exit";
    }
    for (int32_t function : exit.crossings) {
      if (exit.event != -1 || !ValidFunction(program, function) ||
          program.functions[function].result != Type::Time) {
        return where + "has a bad crossing of its `exit when`";
      }
    }
  }
  for (const Goal& goal : journey.goals) {
    if (!ValidEvent(program, goal.event)) return where + "has a bad goal";
  }
  bool bad_holdout =
      journey.holdout < 0 || journey.holdout > 100 * kDecimalScale;
  if (bad_holdout) return where + "holds out more than everyone";
  if (journey.reentry_seconds < 0) return where + "re-enters in the past";
  return "";
}

std::string VerifyJourney(const Program& program, const Journey& journey) {
  auto in_range = [&](int32_t step) {
    return step >= -1 && step < static_cast<int32_t>(journey.steps.size());
  };
  auto valid_function = [&](int32_t function) {
    return function >= 0 &&
           function < static_cast<int32_t>(program.functions.size());
  };

  bool dated = journey.trigger_kind == TriggerKind::Date;
  if (dated) {
    bool valid_present = journey.trigger_date_present == -1 ||
                         valid_function(journey.trigger_date_present);
    bool valid = valid_function(journey.trigger_date) && valid_present &&
                 program.functions[journey.trigger_date].result == Type::Int;
    if (!valid) {
      return "journey `" + journey.name +
             "` triggers on a date with no valid date function";
    }
  }
  if (journey.trigger_kind == TriggerKind::Schedule || dated) {
    bool valid = journey.trigger_event == -1 && journey.locals_event == -1 &&
                 journey.schedule_weekday >= -1 &&
                 journey.schedule_weekday <= 6 && journey.schedule_clock >= 0 &&
                 journey.schedule_clock < 86400;
    if (!valid) {
      return "journey `" + journey.name +
             "` has a schedule with no valid day and time, or locals";
    }
  }
  bool by_event = journey.trigger_kind == TriggerKind::Event;
  int32_t events = static_cast<int32_t>(program.events.size());
  int32_t segments = static_cast<int32_t>(program.segments.size());
  bool known_event =
      journey.trigger_event >= 0 && journey.trigger_event < events;
  bool known_segment =
      journey.trigger_segment >= 0 && journey.trigger_segment < segments;
  bool scheduled = journey.trigger_kind == TriggerKind::Schedule || dated;
  if (journey.trigger_kind == TriggerKind::PointsCrossing) {
    bool known_program =
        journey.crossing_program >= 0 &&
        static_cast<size_t>(journey.crossing_program) < program.loyalty.size();
    if (!known_program || journey.locals_event != -1) {
      return "journey `" + journey.name +
             "` crosses the points of an unknown program, or has locals";
    }
    scheduled = true;  // no event or segment to check
  }
  if (!scheduled && (by_event ? !known_event : !known_segment)) {
    return "journey `" + journey.name + "` triggers on an unknown " +
           (by_event ? "event" : "segment");
  }
  if (!by_event && journey.locals_event != -1) {
    return "journey `" + journey.name + "` has locals but no trigger event";
  }
  if (journey.trigger_filter != -1 && !valid_function(journey.trigger_filter)) {
    return "journey `" + journey.name + "` has an unknown filter function";
  }
  if (!in_range(journey.entry)) {
    return "journey `" + journey.name + "` has an entry out of range";
  }
  std::set<std::string> names;
  for (const Step& step : journey.steps) {
    if (!names.insert(step.name).second) {
      return "journey `" + journey.name + "` has two steps named `" +
             step.name + "`";
    }
    if (!in_range(step.next) || !in_range(step.else_next)) {
      return "journey `" + journey.name + "` step `" + step.name +
             "` jumps out of range";
    }
    bool bad_clock = step.kind == StepKind::WaitUntil &&
                     (step.clock_seconds < 0 || step.clock_seconds >= 86400);
    bool bad_count = step.kind == StepKind::WaitCalendar && step.wait_count < 0;
    if (bad_clock || bad_count) {
      return "journey `" + journey.name + "` step `" + step.name +
             "` waits for an impossible time";
    }
    bool award = step.kind == StepKind::Award;
    if (award &&
        (!valid_function(step.condition) || step.attribute < 0 ||
         static_cast<size_t>(step.attribute) >= program.loyalty.size())) {
      return "journey `" + journey.name + "` step `" + step.name +
             "` awards an unknown amount or into an unknown program";
    }
    if (step.kind == StepKind::If && !valid_function(step.condition)) {
      return "journey `" + journey.name + "` step `" + step.name +
             "` has an unknown condition";
    }
    std::string problem = VerifyStepDetails(program, journey, step);
    if (!problem.empty()) {
      return "journey `" + journey.name + "` step `" + step.name + "` " +
             problem;
    }
  }
  return VerifyJourneyRules(program, journey);
}

}  // namespace

// Caps read functions of the right types: an Int limit, a Bool condition.
static std::string VerifyPolicies(const Program& program) {
  auto returns = [&](int32_t function, Type type) {
    return function >= 0 &&
           function < static_cast<int32_t>(program.functions.size()) &&
           program.functions[function].result == type;
  };
  for (const Policy& policy : program.policies) {
    for (const Cap& cap : policy.caps) {
      bool valid = returns(cap.limit, Type::Int) &&
                   (cap.condition == -1 || returns(cap.condition, Type::Bool));
      if (!valid) return "a cap of policy `" + policy.name + "` is malformed";
    }
  }
  return "";
}

std::string Verify(const Program& program) {
  for (size_t i = 0; i < program.const_sets.size(); ++i) {
    std::string problem = VerifyConstSet(program.const_sets[i]);
    if (!problem.empty()) return "set #" + std::to_string(i) + ": " + problem;
  }
  if (program.timezone_attribute >= 0) {
    bool valid =
        static_cast<size_t>(program.timezone_attribute) <
            program.profile.size() &&
        program.profile[program.timezone_attribute].type == Type::String;
    if (!valid) return "the time zone attribute is not a string attribute";
  }
  for (const Aggregate& aggregate : program.aggregates) {
    bool empty_window =
        aggregate.windowed && (aggregate.window_near < 0 ||
                               aggregate.window_far <= aggregate.window_near);
    if (empty_window) return "an aggregate has an empty window";
  }
  for (const Segment& segment : program.segments) {
    // Both engines compile or run every segment's predicate, so a bad
    // index would read past the functions.
    bool known_predicate =
        segment.predicate >= 0 &&
        static_cast<size_t>(segment.predicate) < program.functions.size() &&
        program.functions[segment.predicate].result == Type::Bool;
    if (!known_predicate) {
      return "segment `" + segment.name + "` has no Bool predicate";
    }
    for (int32_t function : segment.crossings) {
      bool valid = function >= 0 &&
                   static_cast<size_t>(function) < program.functions.size() &&
                   program.functions[function].result == Type::Time;
      if (!valid) return "segment `" + segment.name + "` has a bad crossing";
    }
  }
  for (const Function& function : program.functions) {
    std::string problem = VerifyFunction(program, function);
    if (!problem.empty()) return problem;
  }
  for (const Journey& journey : program.journeys) {
    std::string problem = VerifyJourney(program, journey);
    if (!problem.empty()) return problem;
    if (journey.policy < -1 ||
        journey.policy >= static_cast<int32_t>(program.policies.size())) {
      return "journey `" + journey.name + "` names no policy";
    }
  }
  return VerifyPolicies(program);
}

namespace {

void DumpField(std::ostringstream& out, const Field& field) {
  out << "  " << field.name << ": " << TypeName(field.type)
      << (field.optional ? "?" : "") << " @" << field.offset;
  if (field.presence_offset >= 0) out << " present@" << field.presence_offset;
  if (field.list) {
    out << " list of " << (field.list_of_records ? "records" : "values")
        << " count@" << field.count_offset;
  }
  if (field.wire_name != field.name)
    out << " wire \"" << field.wire_name << "\"";
  if (field.type == Type::Money && field.default_words.size() == 2) {
    out << " default " << field.default_words[0] << " "
        << UnpackCurrency(field.default_words[1]);
  } else if (!field.default_words.empty() && field.type != Type::String) {
    out << " default";
    for (int64_t word : field.default_words) out << " " << word;
  }
  if (!field.enum_values.empty()) {
    out << " enum";
    for (const std::string& value : field.enum_values) out << " " << value;
  }
  if (field.date) out << " date";
  if (!field.default_string.empty()) {
    out << " default " << Quoted(field.default_string);
  }
  out << "\n";
}

void DumpInst(std::ostringstream& out, size_t index, const Inst& inst) {
  out << "    %" << index << " = " << OpName(inst.op) << " "
      << TypeName(inst.type);
  switch (inst.op) {
    case Op::Const:
      out << " " << inst.imm;
      if (inst.type == Type::Money) out << " " << UnpackCurrency(inst.imm2);
      break;
    case Op::ConstString: out << " $" << inst.imm; break;
    case Op::Load:
    case Op::IsPresent:
      out << " " << BaseName(inst.base) << "[" << inst.imm << "]";
      break;
    case Op::Now: break;
    case Op::WholeUnits:
      out << " %" << inst.a << " / " << inst.imm << "s";
      break;
    case Op::DistanceKm:
      out << " %" << inst.a << ", %" << inst.b << ", %" << inst.imm << ", %"
          << inst.imm2;
      break;
    case Op::AddCalendar:
    case Op::AddToDate:
      out << " %" << inst.a;
      if (inst.b >= 0) out << " in %" << inst.b;
      out << " " << (inst.imm < 0 ? "- " : "+ ")
          << (inst.imm < 0 ? -inst.imm : inst.imm) << " "
          << CalendarUnitName(static_cast<CalendarUnit>(inst.imm2));
      break;
    case Op::InSet:
      out << " %" << inst.a << ", #" << inst.imm << " ("
          << TypeName(inst.operand_type) << ")";
      break;
    default:
      if (inst.a >= 0) out << " %" << inst.a;
      if (inst.b >= 0) out << ", %" << inst.b;
      if (IsComparison(inst.op) || inst.op == Op::ListContains)
        out << " (" << TypeName(inst.operand_type) << ")";
      break;
  }
  out << "\n";
}

// `set #0 string 3 = "a", "b", "c"`: the items in the set's order.
void DumpConstSet(std::ostringstream& out, size_t index, const ConstSet& set) {
  int64_t size = ConstSetSize(set);
  out << "set #" << index << " " << TypeName(set.type) << " " << size << " =";
  for (int64_t k = 0; k < size; ++k) {
    out << (k == 0 ? " " : ", ");
    if (set.type != Type::String) {
      out << set.words[k];
      continue;
    }
    out << Quoted(
        set.bytes.substr(set.words[k], set.words[k + 1] - set.words[k]));
  }
  out << "\n";
}

void DumpValue(std::ostringstream& out, const StepValue& value) {
  out << " [" << value.name << ": " << TypeName(value.type) << " ";
  switch (value.source) {
    case ValueSource::Function:
      out << "fn" << value.function;
      if (value.currency_function >= 0) {
        out << " currency fn" << value.currency_function;
      }
      break;
    case ValueSource::Load:
      out << BaseName(value.base) << "[" << value.offset << "]";
      if (value.presence >= 0) out << " present@" << value.presence;
      break;
    case ValueSource::Constant:
      if (value.type == Type::String) {
        out << Quoted(value.text);
      } else {
        out << value.imm;
        if (value.type == Type::Money) out << " " << UnpackCurrency(value.imm2);
      }
      break;
    case ValueSource::Absent: out << "none"; break;
  }
  if (value.date) out << " date";
  out << "]";
}

void DumpStep(std::ostringstream& out, size_t index, const Step& step) {
  out << "    " << index << " " << step.name << ": " << StepKindName(step.kind);
  switch (step.kind) {
    case StepKind::Wait:
      if (step.wait_function >= 0) {
        out << " f" << step.wait_function;
      } else {
        out << " " << step.wait_seconds << "s";
      }
      break;
    case StepKind::WaitCalendar:
      out << " " << step.wait_count << " "
          << CalendarUnitName(step.calendar_unit);
      break;
    case StepKind::WaitUntil:
      out << " " << step.clock_seconds << "s after local midnight";
      break;
    case StepKind::If:
      out << " fn" << step.condition << " else -> " << step.else_next;
      break;
    case StepKind::Send:
      out << " " << step.channel << " " << Quoted(step.template_name);
      for (const std::string& channel : step.best_of) out << " or " << channel;
      if (step.override_policy) out << " override";
      break;
    case StepKind::Exit: break;
    case StepKind::WaitFor:
      out << " event " << step.event_type;
      if (step.condition >= 0) out << " where fn" << step.condition;
      if (step.wait_count > 0) {
        out << " within " << step.wait_count << " "
            << CalendarUnitName(step.calendar_unit);
      } else {
        out << " within " << step.wait_seconds << "s";
      }
      out << " else -> " << step.else_next;
      break;
    case StepKind::Split:
      for (const SplitArm& arm : step.arms) {
        out << " " << arm.name << " " << arm.percent << " -> " << arm.entry;
      }
      break;
    case StepKind::Set: out << " profile " << step.attribute; break;
    case StepKind::Emit: out << " event " << step.event_type; break;
    case StepKind::Task:
      out << " " << step.system << " " << Quoted(step.text) << " to "
          << Quoted(step.team);
      break;
    case StepKind::Webhook:
    case StepKind::Freeze:
    case StepKind::SecondFactor: out << " " << Quoted(step.text); break;
    case StepKind::Award:
      out << " fn" << step.condition << " points into program "
          << step.attribute << " reason " << Quoted(step.text);
      break;
  }
  if (!step.priority.empty()) out << " priority " << step.priority;
  if (step.kind == StepKind::Send && step.category != "marketing") {
    out << " category " << step.category;
  }
  if (step.arrived_event >= 0) {
    out << " locals-from event " << step.arrived_event;
  }
  for (const StepValue& value : step.values) DumpValue(out, value);
  out << " -> " << step.next << "\n";
}

std::string LengthText(const LoyaltyLength& length) {
  if (length.count == 0) return "none";
  if (!length.calendar) return std::to_string(length.count) + "s";
  return std::to_string(length.count) + " " + CalendarUnitName(length.unit);
}

std::string DumpLoyalty(const LoyaltyProgram& loyalty) {
  std::ostringstream out;
  out << "program " << loyalty.name << " balance @" << loyalty.balance_offset
      << " tier @" << loyalty.tier_offset << " redeemed-share @"
      << loyalty.redeemed_share_offset << "\n";
  for (const EarnPerAmount& earn : loyalty.earn_per_amount) {
    out << "  earn " << earn.points << " per " << earn.unit_amount << " "
        << UnpackCurrency(earn.unit_currency) << " of event " << earn.event_type
        << " field " << earn.field << "\n";
  }
  for (const EarnOnEvent& earn : loyalty.earn_on_event) {
    out << "  earn " << earn.points << " on event " << earn.event_type
        << " at most once per " << LengthText(earn.at_most_once_per)
        << (earn.part_of_sale ? " part of the sale" : "") << "\n";
  }
  for (const Multiplier& multiplier : loyalty.multipliers) {
    out << "  multiply " << multiplier.factor << " when fn"
        << multiplier.condition << "\n";
  }
  if (loyalty.burn_event >= 0) {
    out << "  burn on event " << loyalty.burn_event << " field "
        << loyalty.burn_field << "\n";
  }
  if (loyalty.refund_event >= 0) {
    out << "  refund on event " << loyalty.refund_event << " field "
        << loyalty.refund_field;
    if (loyalty.refund_amount_field >= 0) {
      out << " amount field " << loyalty.refund_amount_field;
    }
    out << "\n";
  }
  out << "  expire " << LengthText(loyalty.expire) << " notice "
      << LengthText(loyalty.notice) << " keep tier "
      << LengthText(loyalty.keep_tier) << "\n";
  for (const LoyaltyTier& tier : loyalty.tiers) {
    out << "  tier " << tier.name << " (" << tier.value << ") at "
        << tier.threshold << " within " << LengthText(tier.within) << "\n";
  }
  if (loyalty.currency != 0) {
    out << "  value " << loyalty.value_per_point << " "
        << UnpackCurrency(loyalty.currency) << " per point\n";
  }
  out << "  breakage " << loyalty.breakage << "\n";
  return out.str();
}

}  // namespace

std::string Dump(const Program& program) {
  std::ostringstream out;
  out << "module " << program.module << "\n";

  for (size_t i = 0; i < program.strings.size(); ++i) {
    out << "string $" << i << " = " << Quoted(program.strings[i]) << "\n";
  }
  for (size_t i = 0; i < program.const_sets.size(); ++i) {
    DumpConstSet(out, i, program.const_sets[i]);
  }
  for (size_t i = 0; i < program.events.size(); ++i) {
    const EventType& event = program.events[i];
    out << "event " << i << " " << event.name << " \"" << event.wire_name
        << "\" words " << event.record_words << "\n";
    for (const Field& field : event.fields) DumpField(out, field);
    if (event.history_seconds > 0) {
      out << "  keeps " << event.history_seconds << "s of history, fields";
      for (int32_t field : event.history_fields) out << " " << field;
      out << "\n";
    }
  }
  out << "profile words " << program.profile_words << "\n";
  if (program.timezone_attribute >= 0) {
    out << "timezone attribute " << program.timezone_attribute << "\n";
  }
  for (const Field& field : program.profile) DumpField(out, field);
  if (program.consent_offset >= 0) {
    out << "consent words @" << program.consent_offset << "\n";
  }
  for (const Aggregate& aggregate : program.aggregates) {
    out << "aggregate "
        << (aggregate.kind == AggregateKind::Count        ? "count"
            : aggregate.kind == AggregateKind::Sum        ? "sum"
            : aggregate.kind == AggregateKind::SeenBefore ? "seen_before"
                                                          : "last")
        << " event " << aggregate.event_type << " field " << aggregate.field
        << " " << TypeName(aggregate.type) << " @" << aggregate.offset;
    if (aggregate.windowed) {
      out << " window " << aggregate.window_far << "s.."
          << aggregate.window_near << "s";
      if (aggregate.far_calendar > 0) {
        out << " far " << aggregate.far_calendar << " "
            << CalendarUnitName(aggregate.far_unit);
      }
      if (aggregate.near_calendar > 0) {
        out << " near " << aggregate.near_calendar << " "
            << CalendarUnitName(aggregate.near_unit);
      }
    }
    if (aggregate.kind == AggregateKind::SeenBefore) {
      out << " within " << aggregate.window_far << "s";
    }
    out << "\n";
  }
  for (const Segment& segment : program.segments) {
    out << "segment " << segment.name << " = fn" << segment.predicate << " @"
        << segment.offset;
    if (!segment.crossings.empty()) {
      out << " crossings";
      for (int32_t function : segment.crossings) out << " fn" << function;
    }
    out << "\n";
  }
  for (size_t i = 0; i < program.functions.size(); ++i) {
    const Function& function = program.functions[i];
    out << "fn" << i << " " << function.name << " -> "
        << TypeName(function.result) << " {\n";
    for (size_t j = 0; j < function.body.size(); ++j) {
      DumpInst(out, j, function.body[j]);
    }
    out << "  }\n";
  }
  for (const Policy& policy : program.policies) out << DumpPolicy(policy);
  for (const LoyaltyProgram& loyalty : program.loyalty) {
    out << DumpLoyalty(loyalty);
  }
  for (const Journey& journey : program.journeys) {
    out << "journey " << journey.name;
    if (journey.policy >= 0) out << " policy " << journey.policy;
    switch (journey.trigger_kind) {
      case TriggerKind::Event:
        out << " on event " << journey.trigger_event;
        break;
      case TriggerKind::Entered:
        out << " on entered segment " << journey.trigger_segment;
        break;
      case TriggerKind::Left:
        out << " on left segment " << journey.trigger_segment;
        break;
      case TriggerKind::Schedule:
        out << " on schedule "
            << (journey.schedule_weekday < 0
                    ? std::string("every day")
                    : "weekday " + std::to_string(journey.schedule_weekday))
            << " " << journey.schedule_clock << "s after local midnight";
        break;
      case TriggerKind::Date:
        out << " on date fn" << journey.trigger_date;
        if (journey.trigger_date_present >= 0) {
          out << " present fn" << journey.trigger_date_present;
        }
        out << " " << journey.schedule_clock << "s after local midnight";
        break;
      case TriggerKind::PointsCrossing:
        out << " on points crossing " << journey.crossing_points
            << " of program " << journey.crossing_program;
        break;
    }
    if (journey.trigger_filter >= 0)
      out << " where fn" << journey.trigger_filter;
    for (int32_t exit_event : journey.exit_events) {
      out << " exit-on event " << exit_event;
    }
    for (const ConditionalExit& exit : journey.conditional_exits) {
      if (exit.event >= 0) {
        out << " exit-on event " << exit.event << " where fn" << exit.condition;
      } else {
        out << " exit-when fn" << exit.condition;
        for (int32_t function : exit.crossings)
          out << " crossing fn" << function;
      }
    }
    if (journey.reentry != Reentry::AfterLeaving) {
      out << " reentry " << ReentryName(journey.reentry);
      if (journey.reentry == Reentry::After) {
        if (journey.reentry_calendar > 0) {
          out << " " << journey.reentry_calendar << " "
              << CalendarUnitName(journey.reentry_unit);
        } else {
          out << " " << journey.reentry_seconds << "s";
        }
      }
    }
    if (journey.holdout > 0) out << " holdout " << journey.holdout;
    for (const Goal& goal : journey.goals) {
      out << " goal event " << goal.event;
      if (goal.within_seconds >= 0) {
        out << " within " << goal.within_seconds << "s";
      }
      if (goal.within_calendar > 0) {
        out << " within " << goal.within_calendar << " "
            << CalendarUnitName(goal.within_unit);
      }
    }
    out << " entry " << journey.entry << " {\n";
    for (size_t j = 0; j < journey.steps.size(); ++j) {
      DumpStep(out, j, journey.steps[j]);
    }
    out << "  }\n";
  }
  auto list = [&](const std::vector<int32_t>& items) {
    for (int32_t item : items) out << " " << item;
    out << "\n";
  };
  for (size_t i = 0; i < program.aggregates_by_event.size(); ++i) {
    if (program.aggregates_by_event[i].empty()) continue;
    out << "deps event " << i << " updates aggregates";
    list(program.aggregates_by_event[i]);
  }
  for (size_t i = 0; i < program.segments_by_event.size(); ++i) {
    if (program.segments_by_event[i].empty()) continue;
    out << "deps event " << i << " can change segments";
    list(program.segments_by_event[i]);
  }
  if (!program.segments_on_identify.empty()) {
    out << "deps identify can change segments";
    list(program.segments_on_identify);
  }
  if (!program.time_dependent_segments.empty()) {
    out << "deps time alone can change segments";
    list(program.time_dependent_segments);
  }
  return out.str();
}

}  // namespace parcours::ir
