// The IR passes: each fold against the words written here, dead
// instructions, and dead branches of journeys compiled from source.
//
// That the passes keep every function's meaning on random programs is
// checked against the interpreter in tests/jit/jit_passes_test.cpp, and
// every op table of tests/jit/jit_ops_test.cpp runs before and after them.
#include "compiler/ir/passes.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "compiler/ir/semantics.h"
#include "tests/support/compile.h"
#include "tests/support/files.h"
#include "tests/support/operands.h"

namespace parcours {
namespace {

using ir::Op;
using ir::Type;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kScale = ir::kDecimalScale;
const int64_t kEur = ir::PackCurrency("EUR");
const int64_t kUsd = ir::PackCurrency("USD");
constexpr int64_t kNone = ir::kNoCurrency;
constexpr int64_t kMixed = ir::kMixedCurrency;

using testing::Bool;
using testing::Decimal;
using testing::Duration;
using testing::Int;
using testing::Money;
using testing::Operand;
using testing::Str;
using testing::Time;
using testing::Word;

// One instruction over constant operands and the two words it folds to.
struct FoldCase {
  Op op;
  Type type;  // of the result; comparisons compare their operands' type
  std::vector<Operand> operands;
  int64_t word0;
  int64_t word1 = 0;
};

bool IsComparison(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Le ||
         op == Op::Gt || op == Op::Ge;
}

// A program of one function: the operands as constants, then the case's
// instruction.
ir::Program CaseProgram(const FoldCase& test) {
  ir::Program program;
  program.profile_words = 4;
  ir::Function function;
  function.name = "case";
  for (const Operand& operand : test.operands) {
    ir::Inst constant{Op::Const, operand.type, operand.type};
    constant.imm = operand.word0;
    constant.imm2 = operand.word1;
    if (operand.type == Type::String) {
      constant.op = Op::ConstString;
      constant.imm = static_cast<int64_t>(program.strings.size());
      program.strings.push_back(operand.text);
    }
    function.body.push_back(constant);
  }
  bool comparison = IsComparison(test.op);
  ir::Inst inst{test.op, comparison ? Type::Bool : test.type, test.type};
  inst.a = 0;
  if (test.operands.size() == 2) inst.b = 1;
  function.body.push_back(inst);

  // A function returns one word, so a two-word result is compared with
  // itself; folding replaces instructions in place, so the case's own
  // instruction keeps its index.
  if (ir::WordCount(inst.type) == 2) {
    ir::Inst use{Op::Eq, Type::Bool, inst.type};
    use.a = use.b = static_cast<int32_t>(function.body.size()) - 1;
    function.body.push_back(use);
  }
  function.result = function.body.back().type;
  program.functions.push_back(function);
  return program;
}

void CheckFold(const FoldCase& test) {
  ir::Program program = CaseProgram(test);
  REQUIRE(ir::Verify(program).empty());
  ir::FoldConstants(program);
  CHECK(ir::Verify(program).empty());

  const ir::Inst& folded = program.functions[0].body[test.operands.size()];
  CHECK(folded.op == Op::Const);
  CHECK(folded.imm == test.word0);
  CHECK(folded.imm2 == test.word1);
  Type type = IsComparison(test.op) ? Type::Bool : test.type;
  CHECK(folded.type == type);
}

void CheckFolds(const std::vector<FoldCase>& cases) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const FoldCase& test = cases[i];
    INFO("case " << i << ": " << ir::OpName(test.op) << " "
                 << ir::TypeName(test.type));
    CheckFold(test);
  }
}

TEST_CASE("passes: int arithmetic folds with wrap-around and total division") {
  CheckFolds({
      {Op::Add, Type::Int, {Int(2), Int(3)}, 5},
      {Op::Add, Type::Int, {Int(kMax), Int(1)}, kMin},
      {Op::Sub, Type::Int, {Int(kMin), Int(1)}, kMax},
      {Op::Mul, Type::Int, {Int(kMax), Int(2)}, -2},
      {Op::Mul, Type::Int, {Int(kMin), Int(-1)}, kMin},
      {Op::Div, Type::Int, {Int(7), Int(2)}, 3},
      {Op::Div, Type::Int, {Int(-7), Int(2)}, -3},
      {Op::Div, Type::Int, {Int(7), Int(0)}, 0},
      {Op::Div, Type::Int, {Int(kMin), Int(0)}, 0},
      {Op::Div, Type::Int, {Int(kMin), Int(-1)}, kMin},
      {Op::Div, Type::Int, {Int(5), Int(-1)}, -5},
      {Op::Neg, Type::Int, {Int(5)}, -5},
      {Op::Neg, Type::Int, {Int(kMin)}, kMin},
  });
}

TEST_CASE("passes: decimals fold with six places, rounding toward zero") {
  CheckFolds({
      {Op::Add,
       Type::Decimal,
       {Decimal(1'500'000), Decimal(250'000)},
       1'750'000},
      {Op::Sub, Type::Decimal, {Decimal(kMin), Decimal(1)}, kMax},
      {Op::Mul,
       Type::Decimal,
       {Decimal(1'500'000), Decimal(2'500'000)},
       3'750'000},
      {Op::Mul, Type::Decimal, {Decimal(-1), Decimal(500'000)}, 0},
      {Op::Mul, Type::Decimal, {Decimal(kMax), Decimal(2 * kScale)}, -2},
      {Op::Div, Type::Decimal, {Decimal(kScale), Decimal(3 * kScale)}, 333'333},
      {Op::Div,
       Type::Decimal,
       {Decimal(-kScale), Decimal(3 * kScale)},
       -333'333},
      {Op::Div, Type::Decimal, {Decimal(5 * kScale), Decimal(0)}, 0},
      {Op::Div, Type::Decimal, {Decimal(kMin), Decimal(-kScale)}, kMin},
      {Op::Neg, Type::Decimal, {Decimal(1'250'000)}, -1'250'000},
      {Op::IntToDecimal, Type::Decimal, {Int(3)}, 3 * kScale},
      {Op::IntToDecimal, Type::Decimal, {Int(kMax)}, -kScale},
      {Op::IntToDecimal, Type::Decimal, {Int(kMin)}, 0},
  });
}

TEST_CASE("passes: money folds keep, take or mix the currency") {
  CheckFolds({
      {Op::Add, Type::Money, {Money(1, kEur), Money(2, kEur)}, 3, kEur},
      {Op::Sub, Type::Money, {Money(1, kUsd), Money(3, kUsd)}, -2, kUsd},
      {Op::Add, Type::Money, {Money(1, kEur), Money(2, kUsd)}, 3, kMixed},
      {Op::Sub, Type::Money, {Money(1, kEur), Money(2, kUsd)}, -1, kMixed},
      // Money with no currency yet takes the other side's.
      {Op::Add, Type::Money, {Money(0, kNone), Money(5, kEur)}, 5, kEur},
      {Op::Sub, Type::Money, {Money(5, kEur), Money(0, kNone)}, 5, kEur},
      {Op::Add, Type::Money, {Money(1, kNone), Money(2, kNone)}, 3, kNone},
      // Mixed money stays mixed, whatever it meets.
      {Op::Add, Type::Money, {Money(1, kMixed), Money(1, kEur)}, 2, kMixed},
      {Op::Add, Type::Money, {Money(1, kMixed), Money(1, kNone)}, 2, kMixed},
      {Op::Mul,
       Type::Money,
       {Money(10 * kScale, kEur), Decimal(kScale / 2)},
       5 * kScale,
       kEur},
      {Op::Mul, Type::Money, {Money(-1, kEur), Decimal(kScale / 2)}, 0, kEur},
      {Op::Mul, Type::Money, {Money(3, kMixed), Decimal(kScale)}, 3, kMixed},
      {Op::Div,
       Type::Money,
       {Money(10 * kScale, kUsd), Decimal(4 * kScale)},
       2'500'000,
       kUsd},
      {Op::Div, Type::Money, {Money(10 * kScale, kUsd), Decimal(0)}, 0, kUsd},
      {Op::Neg, Type::Money, {Money(5, kEur)}, -5, kEur},
      {Op::Neg, Type::Money, {Money(5, kNone)}, -5, kNone},
  });
}

TEST_CASE("passes: durations and times fold as integers") {
  CheckFolds({
      {Op::Add, Type::Duration, {Duration(60), Duration(30)}, 90},
      {Op::Mul, Type::Duration, {Duration(60), Int(3)}, 180},
      {Op::Div, Type::Duration, {Duration(180), Int(0)}, 0},
      {Op::Div, Type::Duration, {Duration(kMin), Int(-1)}, kMin},
      {Op::Neg, Type::Duration, {Duration(90)}, -90},
      {Op::Add,
       Type::Time,
       {Time(1'700'000'000), Duration(3600)},
       1'700'003'600},
      {Op::Sub, Type::Time, {Time(1000), Duration(1)}, 999},
      {Op::Sub, Type::Duration, {Time(100), Time(250)}, -150},
  });
}

TEST_CASE("passes: comparisons fold, money only within one currency") {
  std::vector<FoldCase> cases;
  for (Op op : {Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge}) {
    // Money of two currencies, or mixed money, compares false, `ne` too.
    cases.push_back({op, Type::Money, {Money(1, kEur), Money(2, kUsd)}, 0});
    cases.push_back({op, Type::Money, {Money(1, kMixed), Money(1, kEur)}, 0});
    cases.push_back({op, Type::Money, {Money(1, kMixed), Money(1, kMixed)}, 0});
  }
  cases.insert(cases.end(),
               {
                   {Op::Eq, Type::Int, {Int(kMin), Int(kMin)}, 1},
                   {Op::Ne, Type::Int, {Int(kMin), Int(kMax)}, 1},
                   {Op::Lt, Type::Int, {Int(kMin), Int(kMax)}, 1},
                   {Op::Le, Type::Int, {Int(kMax), Int(kMin)}, 0},
                   {Op::Gt, Type::Int, {Int(-1), Int(1)}, 0},
                   {Op::Ge, Type::Int, {Int(2), Int(2)}, 1},
                   {Op::Lt, Type::Decimal, {Decimal(-1), Decimal(1)}, 1},
                   {Op::Ge, Type::Duration, {Duration(-60), Duration(60)}, 0},
                   {Op::Gt, Type::Time, {Time(1), Time(0)}, 1},
                   {Op::Eq, Type::Bool, {Bool(1), Bool(1)}, 1},
                   {Op::Lt, Type::Money, {Money(1, kEur), Money(2, kEur)}, 1},
                   {Op::Ne, Type::Money, {Money(1, kEur), Money(1, kEur)}, 0},
                   {Op::Lt, Type::Money, {Money(0, kNone), Money(2, kEur)}, 1},
                   {Op::Gt, Type::Money, {Money(3, kUsd), Money(0, kNone)}, 1},
                   {Op::Eq, Type::Money, {Money(0, kNone), Money(0, kNone)}, 1},
               });
  CheckFolds(cases);
}

TEST_CASE("passes: string comparisons fold by bytes, then lengths") {
  CheckFolds({
      {Op::Lt, Type::String, {Str("abc"), Str("abd")}, 1},
      {Op::Lt, Type::String, {Str("ab"), Str("abc")}, 1},
      {Op::Eq, Type::String, {Str("ab"), Str("abc")}, 0},
      {Op::Eq, Type::String, {Str(""), Str("")}, 1},
      {Op::Ne, Type::String, {Str("abc"), Str("abd")}, 1},
      {Op::Ge, Type::String, {Str("ab"), Str("abc")}, 0},
      {Op::Le, Type::String, {Str("abc"), Str("abc")}, 1},
      {Op::Gt, Type::String, {Str("\x80"), Str("\x7f")}, 1},
      {Op::Gt, Type::String, {Str("\xc3\xa9"), Str("z")}, 1},
      {Op::Lt,
       Type::String,
       {Str(std::string("a\0b", 3)), Str(std::string("a\0c", 3))},
       1},
      {Op::Gt, Type::String, {Str(std::string("a\0", 2)), Str("a")}, 1},
      {Op::Eq, Type::String, {Str("caf\xc3\xa9"), Str("caf\xc3\xa9")}, 1},
  });
}

TEST_CASE("passes: logic folds on the words, as the engines compute it") {
  std::vector<FoldCase> cases;
  for (int64_t a : {0, 1}) {
    for (int64_t b : {0, 1}) {
      cases.push_back({Op::And, Type::Bool, {Bool(a), Bool(b)}, a & b});
      cases.push_back({Op::Or, Type::Bool, {Bool(a), Bool(b)}, a | b});
      cases.push_back({Op::Guard, Type::Bool, {Bool(a), Bool(b)}, a & b});
    }
    cases.push_back({Op::Not, Type::Bool, {Bool(a)}, 1 - a});
  }
  // A word that is not 0 or 1 breaks the bool invariant; both engines
  // still compute on the whole word, and so does the fold.
  cases.push_back({Op::Not, Type::Bool, {Bool(2)}, 3});
  cases.push_back({Op::Or, Type::Bool, {Bool(2), Bool(1)}, 3});
  CheckFolds(cases);
}

// Appends `inst` to `function` and returns its index.
int32_t Append(ir::Function& function, ir::Inst inst) {
  function.body.push_back(inst);
  return static_cast<int32_t>(function.body.size()) - 1;
}

ir::Inst Constant(Type type, int64_t value) {
  ir::Inst inst{Op::Const, type, type};
  inst.imm = value;
  return inst;
}

ir::Inst Binary(Op op, Type type, int32_t a, int32_t b) {
  ir::Inst inst{op, IsComparison(op) ? Type::Bool : type, type};
  inst.a = a;
  inst.b = b;
  return inst;
}

ir::Inst Load(Type type, int64_t offset) {
  ir::Inst inst{Op::Load, type, type};
  inst.imm = offset;
  return inst;
}

ir::Program OneFunction(ir::Function function,
                        std::vector<std::string> strings = {}) {
  ir::Program program;
  program.profile_words = 8;
  program.strings = std::move(strings);
  function.name = "f";
  function.result = function.body.back().type;
  program.functions.push_back(function);
  REQUIRE(ir::Verify(program).empty());
  return program;
}

TEST_CASE("passes: folding goes through chains and stops at unknowns") {
  SECTION("(2 + 3) * 4 > 19 folds to true in one pass") {
    ir::Function f;
    int32_t sum =
        Append(f, Binary(Op::Add, Type::Int, Append(f, Constant(Type::Int, 2)),
                         Append(f, Constant(Type::Int, 3))));
    int32_t product = Append(
        f, Binary(Op::Mul, Type::Int, sum, Append(f, Constant(Type::Int, 4))));
    Append(f, Binary(Op::Gt, Type::Int, product,
                     Append(f, Constant(Type::Int, 19))));
    ir::Program program = OneFunction(f);
    CHECK(ir::FoldConstants(program) == 3);
    CHECK(program.functions[0].body.back().op == Op::Const);
    CHECK(program.functions[0].body.back().imm == 1);
  }
  SECTION("an operand read from a record, the clock or a presence word") {
    ir::Function f;
    int32_t one = Append(f, Constant(Type::Int, 1));
    int32_t loaded = Append(f, Load(Type::Int, 0));
    Append(f, Binary(Op::Add, Type::Int, one, loaded));
    int32_t now = Append(f, ir::Inst{Op::Now, Type::Time, Type::Time});
    Append(f, Binary(Op::Sub, Type::Duration, now, now));
    ir::Inst present{Op::IsPresent, Type::Bool, Type::Bool};
    int32_t is_present = Append(f, present);
    // `x and false` is false whatever `x`, but it is not all constants.
    int32_t no = Append(f, Constant(Type::Bool, 0));
    Append(f, Binary(Op::And, Type::Bool, is_present, no));
    ir::Program program = OneFunction(f);
    ir::Program before = program;
    CHECK(ir::FoldConstants(program) == 0);
    CHECK(ir::Dump(program) == ir::Dump(before));
  }
  SECTION("a string comparison needs two string constants") {
    ir::Function f;
    ir::Inst text{Op::ConstString, Type::String, Type::String};
    int32_t literal = Append(f, text);
    int32_t loaded = Append(f, Load(Type::String, 0));
    Append(f, Binary(Op::Eq, Type::String, literal, loaded));
    ir::Program program = OneFunction(f, {"gold"});
    CHECK(ir::FoldConstants(program) == 0);
  }
}

TEST_CASE("passes: dead instructions are dropped and operands renumbered") {
  ir::Function f;
  int32_t loaded = Append(f, Load(Type::Int, 0));
  Append(f, Load(Type::Int, 1));  // dead
  int32_t one = Append(f, Constant(Type::Int, 1));
  Append(f, Constant(Type::Int, 9));  // dead
  int32_t sum = Append(f, Binary(Op::Add, Type::Int, loaded, one));
  Append(f, Binary(Op::Mul, Type::Int, sum, sum));  // dead
  Append(f, Binary(Op::Gt, Type::Int, sum, one));
  ir::Program program = OneFunction(f);

  CHECK(ir::RemoveDeadInstructions(program) == 3);
  CHECK(ir::Verify(program).empty());
  CHECK(ir::Dump(program) ==
        "module \n"
        "profile words 8\n"
        "fn0 f -> bool {\n"
        "    %0 = load int profile[0]\n"
        "    %1 = const int 1\n"
        "    %2 = add int %0, %1\n"
        "    %3 = gt bool %2, %1 (int)\n"
        "  }\n");
  CHECK(ir::RemoveDeadInstructions(program) == 0);
}

// The journey `j` of `text`'s program after the passes, which must verify.
ir::Program Optimised(const std::string& text, ir::PassStats* stats) {
  auto compiled = testing::CompileText(text);
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  ir::Program program = std::move(*compiled.program);
  *stats = ir::RunPasses(program);
  std::string problem = ir::Verify(program);
  INFO(problem);
  REQUIRE(problem.empty());
  return program;
}

// "<index> <name> -> <next> [else <else_next>]" for each step, and the
// entry, so that a whole state machine compares at once.
std::vector<std::string> Shape(const ir::Journey& journey) {
  std::vector<std::string> shape = {"entry " + std::to_string(journey.entry)};
  for (size_t i = 0; i < journey.steps.size(); ++i) {
    const ir::Step& step = journey.steps[i];
    std::string line = std::to_string(i) + " " + step.name + " -> " +
                       std::to_string(step.next);
    if (step.kind == ir::StepKind::If) {
      line += " else " + std::to_string(step.else_next);
    }
    shape.push_back(line);
  }
  return shape;
}

TEST_CASE("passes: an `if` that cannot go both ways becomes a jump") {
  ir::PassStats stats;
  SECTION("constant conditions after a wait, with and without `else`") {
    ir::Program program = Optimised(
        "event Order { total: money }\n"
        "journey j {\n"
        "  on Order as o\n"
        "  exit on Order\n"
        "  wait 1h\n"
        "  if 1 > 2 { send email \"never\" } else { send email \"always\" }\n"
        "  if o.total > 10 EUR { send email \"maybe\" }\n"
        "  if 10 EUR + 5 EUR == 15 EUR { wait 1d }\n"
        "  send sms \"end\"\n"
        "}\n",
        &stats);
    // Before: 0 wait1, 1 if1, 2 if2, 3 if3, 4 send4 (end), 5 wait2,
    // 6 send3 (maybe), 7 send1 (never), 8 send2 (always).
    CHECK(Shape(program.journeys[0]) ==
          std::vector<std::string>{
              "entry 0", "0 wait1 -> 5", "1 if2 -> 4 else 3", "2 send4 -> -1",
              "3 wait2 -> 2", "4 send3 -> 3", "5 send2 -> 1"});
    CHECK(stats.dead_steps == 3);
    // The conditions stay, folded, though no step refers to them now.
    CHECK(program.functions.size() == 3);
    CHECK(program.functions[0].body.size() == 1);
  }
  SECTION("a constant condition at the entry, and nested ones") {
    ir::Program program = Optimised(
        "event Order { total: money }\n"
        "journey j {\n"
        "  on Order as o\n"
        "  if \"b\" < \"a\" { send email \"x\" }\n"
        "  if true {\n"
        "    if 2.5 * 2 == 5 { send email \"y\" } else { send email \"z\" }\n"
        "  }\n"
        "}\n",
        &stats);
    CHECK(Shape(program.journeys[0]) ==
          std::vector<std::string>{"entry 0", "0 send2 -> -1"});
    CHECK(stats.dead_steps == 5);
  }
  SECTION("both successors the same step") {
    auto compiled = testing::CompileText(
        "event Order { total: money }\n"
        "journey j {\n"
        "  on Order as o\n"
        "  if o.total > 1 EUR { send email \"a\" } else { send email \"b\" }\n"
        "}\n");
    REQUIRE(compiled.program);
    ir::Program program = std::move(*compiled.program);
    ir::Step& branch = program.journeys[0].steps[0];
    REQUIRE(branch.kind == ir::StepKind::If);
    branch.else_next = branch.next;
    CHECK(ir::RemoveDeadBranches(program) == 2);
    CHECK(Shape(program.journeys[0]) ==
          std::vector<std::string>{"entry 0", "0 send1 -> -1"});
  }
  SECTION("a condition that depends on the contact keeps both branches") {
    std::string text =
        "event Order { total: money }\n"
        "journey j {\n"
        "  on Order as o\n"
        "  if o.total > 1 EUR + 2 EUR { send email \"a\" }\n"
        "  else { send email \"b\" }\n"
        "}\n";
    auto compiled = testing::CompileText(text);
    REQUIRE(compiled.program);
    ir::Program program = Optimised(text, &stats);
    CHECK(stats.dead_steps == 0);
    CHECK(Shape(program.journeys[0]) == Shape(compiled.program->journeys[0]));
    // 1 EUR + 2 EUR folded; the load and the comparison stay.
    CHECK(program.functions[0].body.size() == 3);
  }
}

TEST_CASE("passes: the example's IR has nothing to fold or remove") {
  auto source = testing::SourceDir() /
                "examples/uci-online-retail/campaign/retail.journey";
  auto compiled = testing::CompileText(testing::ReadText(source));
  REQUIRE(compiled.program);
  ir::Program program = *compiled.program;
  ir::PassStats stats = ir::RunPasses(program);
  CHECK(stats.folded == 0);
  CHECK(stats.dead_instructions == 0);
  CHECK(stats.dead_steps == 0);
  CHECK(ir::Dump(program) == ir::Dump(*compiled.program));
}

}  // namespace
}  // namespace parcours
