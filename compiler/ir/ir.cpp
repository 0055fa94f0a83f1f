#include "compiler/ir/ir.h"

#include <set>
#include <sstream>

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

  program.segments_by_event.assign(program.events.size(), {});
  program.segments_on_identify.clear();
  program.time_dependent_segments.clear();
  for (size_t s = 0; s < program.segments.size(); ++s) {
    auto segment = static_cast<int32_t>(s);
    Reads reads = ReadsOf(program.functions[program.segments[s].predicate]);
    if (reads.clock) program.time_dependent_segments.push_back(segment);

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
            reads_aggregate ||
            ReadsRange(reads, aggregate.offset, WordCount(aggregate.type));
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
  }
  return "?";
}

bool IsComparison(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Le ||
         op == Op::Gt || op == Op::Ge;
}

bool HasTwoOperands(Op op) {
  return IsComparison(op) || op == Op::Add || op == Op::Sub || op == Op::Mul ||
         op == Op::Div || op == Op::And || op == Op::Or || op == Op::Guard;
}

bool HasOneOperand(Op op) {
  return op == Op::Neg || op == Op::Not || op == Op::IntToDecimal;
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

std::string VerifyJourney(const Program& program, const Journey& journey) {
  auto in_range = [&](int32_t step) {
    return step >= -1 && step < static_cast<int32_t>(journey.steps.size());
  };
  auto valid_function = [&](int32_t function) {
    return function >= 0 &&
           function < static_cast<int32_t>(program.functions.size());
  };

  bool by_event = journey.trigger_kind == TriggerKind::Event;
  int32_t events = static_cast<int32_t>(program.events.size());
  int32_t segments = static_cast<int32_t>(program.segments.size());
  bool known_event =
      journey.trigger_event >= 0 && journey.trigger_event < events;
  bool known_segment =
      journey.trigger_segment >= 0 && journey.trigger_segment < segments;
  if (by_event ? !known_event : !known_segment) {
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
    if (step.kind == StepKind::If && !valid_function(step.condition)) {
      return "journey `" + journey.name + "` step `" + step.name +
             "` has an unknown condition";
    }
  }
  return "";
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
  if (program.timezone_attribute >= 0) {
    bool valid =
        static_cast<size_t>(program.timezone_attribute) <
            program.profile.size() &&
        program.profile[program.timezone_attribute].type == Type::String;
    if (!valid) return "the time zone attribute is not a string attribute";
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
  if (field.wire_name != field.name)
    out << " wire \"" << field.wire_name << "\"";
  if (field.type == Type::Money && field.default_words.size() == 2) {
    out << " default " << field.default_words[0] << " "
        << UnpackCurrency(field.default_words[1]);
  } else if (!field.default_words.empty() && field.type != Type::String) {
    out << " default";
    for (int64_t word : field.default_words) out << " " << word;
  }
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
    default:
      if (inst.a >= 0) out << " %" << inst.a;
      if (inst.b >= 0) out << ", %" << inst.b;
      if (IsComparison(inst.op))
        out << " (" << TypeName(inst.operand_type) << ")";
      break;
  }
  out << "\n";
}

void DumpStep(std::ostringstream& out, size_t index, const Step& step) {
  out << "    " << index << " " << step.name << ": " << StepKindName(step.kind);
  switch (step.kind) {
    case StepKind::Wait: out << " " << step.wait_seconds << "s"; break;
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
      if (step.category != "marketing") out << " category " << step.category;
      if (step.priority != 1) out << " priority " << step.priority;
      if (step.override_policy) out << " override";
      break;
    case StepKind::Exit: break;
  }
  out << " -> " << step.next << "\n";
}

}  // namespace

std::string Dump(const Program& program) {
  std::ostringstream out;
  out << "module " << program.module << "\n";

  for (size_t i = 0; i < program.strings.size(); ++i) {
    out << "string $" << i << " = " << Quoted(program.strings[i]) << "\n";
  }
  for (size_t i = 0; i < program.events.size(); ++i) {
    const EventType& event = program.events[i];
    out << "event " << i << " " << event.name << " \"" << event.wire_name
        << "\" words " << event.record_words << "\n";
    for (const Field& field : event.fields) DumpField(out, field);
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
        << (aggregate.kind == AggregateKind::Count ? "count" : "sum")
        << " event " << aggregate.event_type << " field " << aggregate.field
        << " " << TypeName(aggregate.type) << " @" << aggregate.offset << "\n";
  }
  for (const Segment& segment : program.segments) {
    out << "segment " << segment.name << " = fn" << segment.predicate << " @"
        << segment.offset << "\n";
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
    }
    if (journey.trigger_filter >= 0)
      out << " where fn" << journey.trigger_filter;
    for (int32_t exit_event : journey.exit_events) {
      out << " exit-on event " << exit_event;
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
