// Helpers shared by the JIT tests: a builder for hand-written IR functions
// and a runner that evaluates a function with the interpreter and with the
// JIT (optimised and not) and checks that all three agree.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/interp/interpreter.h"
#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "compiler/jit/jit.h"

namespace parcours::jit_test {

using ir::Base;
using ir::Op;
using ir::Type;

inline const int64_t kEur = ir::PackCurrency("EUR");
inline const int64_t kUsd = ir::PackCurrency("USD");

// Appends instructions to one function of `program`; each method returns
// the index of the value it defines.
class FunctionBuilder {
 public:
  explicit FunctionBuilder(ir::Program& program) : program_(program) {}

  int32_t Const(Type type, int64_t imm, int64_t imm2 = 0) {
    ir::Inst inst = Make(Op::Const, type);
    inst.imm = imm;
    inst.imm2 = imm2;
    return Append(inst);
  }

  int32_t Money(int64_t amount, int64_t currency) {
    return Const(Type::Money, amount, currency);
  }

  // Adds `text` to the program's string table.
  int32_t String(const std::string& text) {
    program_.strings.push_back(text);
    ir::Inst inst = Make(Op::ConstString, Type::String);
    inst.imm = static_cast<int64_t>(program_.strings.size()) - 1;
    return Append(inst);
  }

  int32_t Load(Type type, Base base, int64_t offset) {
    ir::Inst inst = Make(Op::Load, type);
    inst.base = base;
    inst.imm = offset;
    return Append(inst);
  }

  int32_t IsPresent(Base base, int64_t offset) {
    ir::Inst inst = Make(Op::IsPresent, Type::Bool);
    inst.base = base;
    inst.imm = offset;
    return Append(inst);
  }

  int32_t Now() { return Append(Make(Op::Now, Type::Time)); }

  int32_t Binary(Op op, Type type, int32_t a, int32_t b) {
    ir::Inst inst = Make(op, type);
    inst.a = a;
    inst.b = b;
    return Append(inst);
  }

  int32_t Compare(Op op, Type operand_type, int32_t a, int32_t b) {
    ir::Inst inst = Make(op, Type::Bool);
    inst.operand_type = operand_type;
    inst.a = a;
    inst.b = b;
    return Append(inst);
  }

  int32_t Unary(Op op, Type type, int32_t a) {
    ir::Inst inst = Make(op, type);
    inst.a = a;
    return Append(inst);
  }

  // The whole `unit`s (seconds) in duration `a`, rounded down.
  int32_t WholeUnits(int32_t a, int64_t unit) {
    ir::Inst inst = Make(Op::WholeUnits, Type::Int);
    inst.a = a;
    inst.imm = unit;
    return Append(inst);
  }

  // Time `a` plus `count` `unit`s on the wall clock of zone `zone` (a
  // string value), or, with no zone, date `a` plus them.
  int32_t AddCalendar(int32_t a, int32_t zone, int64_t count,
                      ir::CalendarUnit unit) {
    bool time = zone >= 0;
    ir::Inst inst = Make(time ? Op::AddCalendar : Op::AddToDate,
                         time ? Type::Time : Type::Int);
    inst.a = a;
    inst.b = zone;
    inst.imm = count;
    inst.imm2 = static_cast<int64_t>(unit);
    return Append(inst);
  }

  // Great-circle km between (`lat1`, `lon1`) and (`lat2`, `lon2`).
  int32_t DistanceKm(int32_t lat1, int32_t lon1, int32_t lat2, int32_t lon2) {
    ir::Inst inst = Make(Op::DistanceKm, Type::Decimal);
    inst.a = lat1;
    inst.b = lon1;
    inst.imm = lat2;
    inst.imm2 = lon2;
    return Append(inst);
  }

  // Adds `set` to the program's constant sets; returns its index.
  int64_t AddSet(ir::ConstSet set) {
    program_.const_sets.push_back(std::move(set));
    return static_cast<int64_t>(program_.const_sets.size()) - 1;
  }

  // Whether constant set `set` holds `a`, of the set's type.
  int32_t InSet(int32_t a, int64_t set) {
    ir::Inst inst = Make(Op::InSet, Type::Bool);
    inst.operand_type = program_.const_sets[set].type;
    inst.a = a;
    inst.imm = set;
    return Append(inst);
  }

  // Adds the function to the program, its result being the last value;
  // returns the function's index.
  int32_t Finish() {
    function_.name = "f" + std::to_string(program_.functions.size());
    function_.result = function_.body.back().type;
    program_.functions.push_back(function_);
    function_ = {};
    return static_cast<int32_t>(program_.functions.size()) - 1;
  }

 private:
  static ir::Inst Make(Op op, Type type) {
    ir::Inst inst{};
    inst.op = op;
    inst.type = type;
    inst.operand_type = type;
    return inst;
  }

  int32_t Append(ir::Inst inst) {
    function_.body.push_back(inst);
    return static_cast<int32_t>(function_.body.size()) - 1;
  }

  ir::Program& program_;
  ir::Function function_;
};

// A program whose records are all `words` long.
inline ir::Program EmptyProgram(int32_t words = 16) {
  ir::Program program;
  program.module = "jit_test";
  program.profile_words = words;
  return program;
}

// The interpreter and two JITs (O2 and unoptimised) over one program.
class Engines {
 public:
  explicit Engines(const ir::Program& program) : program_(program) {
    std::string problem = ir::Verify(program);
    INFO(problem);
    REQUIRE(problem.empty());

    interp_ = interp::MakeInterpreter(program);
    std::string error;
    jit::JitOptions options;
    jit_ = jit::MakeJit(program, options, &error);
    INFO(error);
    REQUIRE(jit_ != nullptr);
    options.optimize = false;
    plain_jit_ = jit::MakeJit(program, options, &error);
    INFO(error);
    REQUIRE(plain_jit_ != nullptr);
  }

  // Evaluates `function` in every engine, checks that they agree, and
  // returns the interpreter's value.
  int64_t Run(int32_t function, const ir::Frame& frame = {}) const {
    int64_t expected = interp_->Call(function, frame);
    int64_t optimised = jit_->Call(function, frame);
    int64_t unoptimised = plain_jit_->Call(function, frame);
    if (optimised != expected || unoptimised != expected) {
      INFO(ir::Dump(program_));
      INFO("function " << function);
      CHECK(optimised == expected);
      CHECK(unoptimised == expected);
    }
    return expected;
  }

 private:
  const ir::Program& program_;
  std::unique_ptr<ir::Evaluator> interp_;
  std::unique_ptr<ir::Evaluator> jit_;
  std::unique_ptr<ir::Evaluator> plain_jit_;
};

}  // namespace parcours::jit_test
