#include "compiler/interp/interpreter.h"

#include <utility>
#include <vector>

#include "compiler/ir/dates.h"
#include "compiler/ir/lists.h"
#include "compiler/ir/segment_sets.h"
#include "compiler/ir/semantics.h"

namespace parcours::interp {
namespace {

using ir::Inst;
using ir::Op;
using ir::Type;

// A value in a register: one word, or two for money and strings.
using Value = ir::Words;

const int64_t* BasePointer(ir::Base base, const ir::Frame& frame) {
  switch (base) {
    case ir::Base::Profile: return frame.profile;
    case ir::Base::Event: return frame.event;
    case ir::Base::Local: return frame.locals;
  }
  return nullptr;
}

class Interpreter final : public ir::Evaluator {
 public:
  explicit Interpreter(const ir::Program& program) : program_(program) {
    for (const auto& segments : ir::GroupSegments(program).sets) {
      std::vector<int32_t> predicates;
      for (int32_t segment : segments) {
        predicates.push_back(program.segments[segment].predicate);
      }
      set_predicates_.push_back(std::move(predicates));
    }
  }

  int64_t Call(int32_t function, const ir::Frame& frame) const override {
    return Run(function, frame);
  }

  // The reference for the JIT's fused functions: each predicate in turn,
  // exactly as `Call` evaluates it.
  void EvaluateSegments(int32_t set, const ir::Frame& frame,
                        int64_t* members) const override {
    const std::vector<int32_t>& predicates = set_predicates_[set];
    for (size_t k = 0; k < predicates.size(); ++k) {
      members[k] = Run(predicates[k], frame) != 0 ? 1 : 0;
    }
  }

  const char* Name() const override { return "interp"; }

 private:
  int64_t Run(int32_t function, const ir::Frame& frame) const {
    const ir::Function& body = program_.functions[function];
    // One set of registers per thread: partitions call the same
    // interpreter from their own threads at once.
    thread_local std::vector<Value> registers;
    registers.resize(body.body.size());
    for (size_t i = 0; i < body.body.size(); ++i) {
      registers[i] = Execute(body.body[i], frame, registers);
    }
    return registers.back().word0;
  }

  Value Execute(const Inst& inst, const ir::Frame& frame,
                const std::vector<Value>& registers) const {
    auto reg = [&](int32_t index) { return registers[index]; };
    switch (inst.op) {
      case Op::Const: return {inst.imm, inst.imm2};
      case Op::ConstString: {
        const std::string& text = program_.strings[inst.imm];
        return {reinterpret_cast<int64_t>(text.data()),
                static_cast<int64_t>(text.size())};
      }
      case Op::Load: {
        const int64_t* base = BasePointer(inst.base, frame) + inst.imm;
        if (ir::WordCount(inst.type) == 2) return {base[0], base[1]};
        return {base[0]};
      }
      case Op::IsPresent:
        return {BasePointer(inst.base, frame)[inst.imm] != 0 ? 1 : 0};
      case Op::Now: return {frame.now};
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
        return ir::Arithmetic(inst.op, inst.type, reg(inst.a), reg(inst.b));
      case Op::Neg: {
        Value a = reg(inst.a);
        return {ir::WrapSub(0, a.word0), a.word1};
      }
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
        return {
            ir::Compare(inst.op, inst.operand_type, reg(inst.a), reg(inst.b))};
      case Op::And:
      case Op::Guard: return {reg(inst.a).word0 & reg(inst.b).word0};
      case Op::Or: return {reg(inst.a).word0 | reg(inst.b).word0};
      case Op::Not: return {reg(inst.a).word0 ^ 1};
      case Op::IntToDecimal:
        return {ir::WrapMul(reg(inst.a).word0, ir::kDecimalScale)};
      case Op::WholeUnits: return {ir::FloorDiv(reg(inst.a).word0, inst.imm)};
      case Op::DistanceKm:
        return {
            parcours_distance_km(reg(inst.a).word0, reg(inst.b).word0,
                                 reg(static_cast<int32_t>(inst.imm)).word0,
                                 reg(static_cast<int32_t>(inst.imm2)).word0)};
      case Op::SpeedKmh:
        return {parcours_speed_kmh(reg(inst.a).word0, reg(inst.b).word0)};
      case Op::LocalDay: {
        Value zone = reg(inst.b);
        return {parcours_local_day(reg(inst.a).word0,
                                   reinterpret_cast<const char*>(zone.word0),
                                   zone.word1)};
      }
      case Op::DayStart: {
        Value zone = reg(inst.b);
        return {parcours_day_start(reg(inst.a).word0,
                                   reinterpret_cast<const char*>(zone.word0),
                                   zone.word1)};
      }
      case Op::AddCalendar: {
        Value zone = reg(inst.b);
        return {parcours_add_calendar(reg(inst.a).word0, inst.imm, inst.imm2,
                                      reinterpret_cast<const char*>(zone.word0),
                                      zone.word1)};
      }
      case Op::AddToDate:
        return {parcours_add_calendar_to_date(reg(inst.a).word0, inst.imm,
                                              inst.imm2)};
      case Op::MoneyAmount: return {reg(inst.a).word0};
      case Op::MoneyCurrency: return {reg(inst.a).word1};
      case Op::ListContains: {
        Value list = reg(inst.a);
        Value item = reg(inst.b);
        return {parcours_list_contains(
            reinterpret_cast<const char*>(list.word0), list.word1, item.word0,
            item.word1,
            static_cast<int64_t>(ir::ListItemKindOf(inst.operand_type)))};
      }
      case Op::InSet: {
        Value value = reg(inst.a);
        return {ir::ConstSetHolds(program_.const_sets[inst.imm], value.word0,
                                  value.word1)
                    ? 1
                    : 0};
      }
    }
    return {};
  }

  const ir::Program& program_;
  // The predicate of each segment of each set of ir::GroupSegments.
  std::vector<std::vector<int32_t>> set_predicates_;
};

}  // namespace

std::unique_ptr<ir::Evaluator> MakeInterpreter(const ir::Program& program) {
  return std::make_unique<Interpreter>(program);
}

}  // namespace parcours::interp
