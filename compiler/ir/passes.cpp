#include "compiler/ir/passes.h"

#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/dates.h"
#include "compiler/ir/lists.h"
#include "compiler/ir/semantics.h"

namespace parcours::ir {
namespace {

int OperandCount(Op op) {
  switch (op) {
    case Op::Const:
    case Op::ConstString:
    case Op::Load:
    case Op::IsPresent:
    case Op::Now: return 0;
    case Op::Neg:
    case Op::Not:
    case Op::IntToDecimal:
    case Op::WholeUnits:
    case Op::MoneyAmount:
    case Op::MoneyCurrency:
    case Op::InSet: return 1;
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::And:
    case Op::Or:
    case Op::Guard:
    case Op::SpeedKmh: return 2;
    case Op::DistanceKm: return 4;  // a, b, then `imm` and `imm2`
    case Op::LocalDay:
    case Op::DayStart:
    case Op::AddCalendar:
    case Op::ListContains: return 2;
    case Op::AddToDate: return 1;
  }
  return 0;
}

bool IsComparison(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Le ||
         op == Op::Gt || op == Op::Ge;
}

bool CompareStrings(Op op, const std::string& a, const std::string& b) {
  int64_t order =
      parcours_string_compare(a.data(), static_cast<int64_t>(a.size()),
                              b.data(), static_cast<int64_t>(b.size()));
  return OrderHolds(op, order);
}

// The value of `inst` when its operands in `body` are constants the
// interpreter could read without a frame; nothing otherwise.
std::optional<Words> Evaluate(const Program& program,
                              const std::vector<Inst>& body, const Inst& inst) {
  int operands = OperandCount(inst.op);
  // A distance is left to the helper at run time, where both engines
  // compute it the same way.
  if (operands == 0 || operands == 4) return std::nullopt;
  const Inst& a = body[inst.a];
  const Inst& b = operands == 2 ? body[inst.b] : a;

  // A string constant's words are a pointer into the program, so only a
  // string comparison can fold it, by the bytes it points to.
  if (IsComparison(inst.op) && inst.operand_type == Type::String) {
    if (a.op != Op::ConstString || b.op != Op::ConstString) return std::nullopt;
    return Words{CompareStrings(inst.op, program.strings[a.imm],
                                program.strings[b.imm])};
  }
  // A set looks a string up by its bytes too.
  if (inst.op == Op::InSet) {
    const ConstSet& set = program.const_sets[inst.imm];
    if (a.op == Op::ConstString) {
      const std::string& text = program.strings[a.imm];
      return Words{ConstSetHolds(set, reinterpret_cast<int64_t>(text.data()),
                                 static_cast<int64_t>(text.size()))};
    }
    if (a.op != Op::Const || set.type == Type::String) return std::nullopt;
    return Words{ConstSetHolds(set, a.imm, a.imm2)};
  }
  // The zone operations read their zone by its name's bytes too.
  if (inst.op == Op::LocalDay || inst.op == Op::DayStart) {
    if (a.op != Op::Const || b.op != Op::ConstString) return std::nullopt;
    const std::string& zone = program.strings[b.imm];
    auto length = static_cast<int64_t>(zone.size());
    return Words{inst.op == Op::LocalDay
                     ? parcours_local_day(a.imm, zone.data(), length)
                     : parcours_day_start(a.imm, zone.data(), length)};
  }
  if (inst.op == Op::AddCalendar) {
    if (a.op != Op::Const || b.op != Op::ConstString) return std::nullopt;
    const std::string& zone = program.strings[b.imm];
    return Words{parcours_add_calendar(a.imm, inst.imm, inst.imm2, zone.data(),
                                       static_cast<int64_t>(zone.size()))};
  }
  if (a.op != Op::Const || b.op != Op::Const) return std::nullopt;

  Words x{a.imm, a.imm2};
  Words y{b.imm, b.imm2};
  switch (inst.op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div: return Arithmetic(inst.op, inst.type, x, y);
    case Op::Neg: return Words{WrapSub(0, x.word0), x.word1};
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: return Words{Compare(inst.op, inst.operand_type, x, y)};
    case Op::And:
    case Op::Guard: return Words{x.word0 & y.word0};
    case Op::Or: return Words{x.word0 | y.word0};
    case Op::Not: return Words{x.word0 ^ 1};
    case Op::IntToDecimal: return Words{WrapMul(x.word0, kDecimalScale)};
    case Op::WholeUnits: return Words{FloorDiv(x.word0, inst.imm)};
    case Op::MoneyAmount: return Words{x.word0};
    case Op::MoneyCurrency: return Words{x.word1};
    case Op::SpeedKmh: return Words{parcours_speed_kmh(x.word0, y.word0)};
    case Op::AddToDate:
      return Words{parcours_add_calendar_to_date(x.word0, inst.imm, inst.imm2)};
    case Op::DistanceKm:
    case Op::LocalDay:
    case Op::DayStart:
    case Op::AddCalendar:
    case Op::ListContains:
    case Op::InSet:
    case Op::Const:
    case Op::ConstString:
    case Op::Load:
    case Op::IsPresent:
    case Op::Now: break;
  }
  return std::nullopt;
}

int FoldFunction(const Program& program, Function& function) {
  int folded = 0;
  for (Inst& inst : function.body) {
    std::optional<Words> value = Evaluate(program, function.body, inst);
    if (!value) continue;
    Inst constant{Op::Const, inst.type, inst.type};
    constant.imm = value->word0;
    constant.imm2 = value->word1;
    inst = constant;
    ++folded;
  }
  return folded;
}

int RemoveDeadInFunction(Function& function) {
  std::vector<Inst>& body = function.body;
  if (body.empty()) return 0;

  // Operands come before their users, so one backward sweep finds them all.
  std::vector<bool> live(body.size(), false);
  live.back() = true;
  for (size_t i = body.size(); i-- > 0;) {
    if (!live[i]) continue;
    int operands = OperandCount(body[i].op);
    if (operands >= 1) live[body[i].a] = true;
    if (operands >= 2) live[body[i].b] = true;
    if (operands == 4) {
      live[body[i].imm] = true;
      live[body[i].imm2] = true;
    }
  }

  std::vector<int32_t> renumbered(body.size(), -1);
  std::vector<Inst> kept;
  for (size_t i = 0; i < body.size(); ++i) {
    if (!live[i]) continue;
    Inst inst = body[i];
    int operands = OperandCount(inst.op);
    if (operands >= 1) inst.a = renumbered[inst.a];
    if (operands >= 2) inst.b = renumbered[inst.b];
    if (operands == 4) {
      inst.imm = renumbered[inst.imm];
      inst.imm2 = renumbered[inst.imm2];
    }
    renumbered[i] = static_cast<int32_t>(kept.size());
    kept.push_back(inst);
  }
  int removed = static_cast<int>(body.size() - kept.size());
  body = std::move(kept);
  return removed;
}

// The step an `If` always continues at, or nothing when it depends on its
// condition. The engine takes `next` when the condition's word is not 0.
std::optional<int32_t> FixedSuccessor(const Program& program,
                                      const Step& step) {
  if (step.kind != StepKind::If) return std::nullopt;
  if (step.next == step.else_next) return step.next;
  const Inst& result = program.functions[step.condition].body.back();
  if (result.op != Op::Const) return std::nullopt;
  return result.imm != 0 ? step.next : step.else_next;
}

// Where a jump to `target` really lands once fixed `If`s are passed
// through. A cycle of fixed `If`s (which lowering never builds) is left
// as it is.
int32_t Land(const Program& program, const Journey& journey, int32_t target) {
  int32_t landing = target;
  for (size_t hops = 0; hops <= journey.steps.size(); ++hops) {
    if (landing < 0) return landing;
    std::optional<int32_t> fixed =
        FixedSuccessor(program, journey.steps[landing]);
    if (!fixed) return landing;
    landing = *fixed;
  }
  return target;
}

std::vector<bool> Reachable(const Journey& journey) {
  std::vector<bool> reached(journey.steps.size(), false);
  std::vector<int32_t> pending = {journey.entry};
  while (!pending.empty()) {
    int32_t step = pending.back();
    pending.pop_back();
    if (step < 0 || reached[step]) continue;
    reached[step] = true;
    pending.push_back(journey.steps[step].next);
    pending.push_back(journey.steps[step].else_next);
    for (const SplitArm& arm : journey.steps[step].arms) {
      pending.push_back(arm.entry);
    }
  }
  return reached;
}

int RemoveDeadSteps(const Program& program, Journey& journey) {
  journey.entry = Land(program, journey, journey.entry);
  for (Step& step : journey.steps) {
    step.next = Land(program, journey, step.next);
    step.else_next = Land(program, journey, step.else_next);
    for (SplitArm& arm : step.arms) {
      arm.entry = Land(program, journey, arm.entry);
    }
  }

  std::vector<bool> reached = Reachable(journey);
  std::vector<int32_t> renumbered(journey.steps.size(), -1);
  std::vector<Step> kept;
  for (size_t i = 0; i < journey.steps.size(); ++i) {
    if (!reached[i]) continue;
    renumbered[i] = static_cast<int32_t>(kept.size());
    kept.push_back(std::move(journey.steps[i]));
  }
  auto renumber = [&](int32_t step) {
    return step < 0 ? step : renumbered[step];
  };
  journey.entry = renumber(journey.entry);
  for (Step& step : kept) {
    step.next = renumber(step.next);
    step.else_next = renumber(step.else_next);
    for (SplitArm& arm : step.arms) arm.entry = renumber(arm.entry);
  }
  int removed = static_cast<int>(journey.steps.size() - kept.size());
  journey.steps = std::move(kept);
  return removed;
}

}  // namespace

int FoldConstants(Program& program) {
  int folded = 0;
  for (Function& function : program.functions) {
    folded += FoldFunction(program, function);
  }
  return folded;
}

int RemoveDeadInstructions(Program& program) {
  int removed = 0;
  for (Function& function : program.functions) {
    removed += RemoveDeadInFunction(function);
  }
  return removed;
}

int RemoveDeadBranches(Program& program) {
  int removed = 0;
  for (Journey& journey : program.journeys) {
    removed += RemoveDeadSteps(program, journey);
  }
  return removed;
}

PassStats RunPasses(Program& program) {
  PassStats stats;
  stats.folded = FoldConstants(program);
  stats.dead_instructions = RemoveDeadInstructions(program);
  stats.dead_steps = RemoveDeadBranches(program);
  return stats;
}

}  // namespace parcours::ir
