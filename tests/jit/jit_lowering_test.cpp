// The module the lowering builds for a program that takes every path of
// compiler/jit/lowering.cpp, pinned in a golden file under the lowering's
// version number.
//
// The object cache is keyed by the IR, not by the module, so a lowering
// that changes its output must bump `kLoweringVersion`, or a new compiler
// would load code an old one cached. This test fails until it is bumped,
// and then until the golden file is updated (`PARCOURS_UPDATE_GOLDEN=1`).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "compiler/ir/lists.h"
#include "jit_test_support.h"
#include "tests/support/files.h"

namespace parcours::jit_test {
namespace {

constexpr Type kTypes[] = {Type::Bool,  Type::Int,      Type::Decimal,
                           Type::Money, Type::Duration, Type::Time,
                           Type::String};
constexpr Op kArithmetic[] = {Op::Add, Op::Sub, Op::Mul, Op::Div};
constexpr Op kComparisons[] = {Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge};

// One function per type with every arithmetic op and comparison on two
// loaded values of it (the lowering dispatches on the types alone, so
// operands of an unusual type are fine), one with every other op, and
// segments over them.
ir::Program EveryPath() {
  ir::Program program = EmptyProgram();
  program.module = "every_path";
  FunctionBuilder f(program);
  for (Type type : kTypes) {
    int32_t a = f.Load(type, Base::Event, 0);
    int32_t b = f.Load(type, Base::Profile, 2);
    for (Op op : kArithmetic) f.Binary(op, type, a, b);
    f.Unary(Op::Neg, type, a);
    for (Op op : kComparisons) f.Compare(op, type, a, b);
    f.Finish();
  }

  int32_t money = f.Money(5, kEur);
  f.Compare(Op::Eq, Type::Money, money, money);
  f.Unary(Op::MoneyAmount, Type::Decimal, money);
  f.Unary(Op::MoneyCurrency, Type::Int, money);
  int32_t text = f.String("text");
  f.Compare(Op::Eq, Type::String, text, text);
  int32_t present = f.IsPresent(Base::Local, 3);
  int32_t since =
      f.Binary(Op::Sub, Type::Duration, f.Now(), f.Const(Type::Time, 7));
  f.WholeUnits(since, 86400);
  int32_t day = f.Binary(Op::LocalDay, Type::Int, f.Now(), text);
  f.Binary(Op::DayStart, Type::Time, day, text);
  f.AddCalendar(f.Now(), text, -1, ir::CalendarUnit::Month);
  f.AddCalendar(day, -1, 2, ir::CalendarUnit::Year);
  int32_t list = f.Load(Type::String, Base::Event, 0);
  f.Compare(Op::ListContains, Type::String, list, text);
  f.Compare(Op::ListContains, Type::Int, list, f.Const(Type::Int, 42));
  f.InSet(text, f.AddSet(ir::MakeStringSet({"b", "a", "text"})));
  f.InSet(f.Load(Type::Int, Base::Event, 1),
          f.AddSet(ir::MakeWordSet(Type::Int, {3, 1})));
  int32_t yes = f.Const(Type::Bool, 1);
  f.Binary(Op::And, Type::Bool, present, yes);
  f.Binary(Op::Or, Type::Bool, present, yes);
  f.Unary(Op::IntToDecimal, Type::Decimal, f.Const(Type::Int, 3));
  f.Binary(Op::Guard, Type::Bool, present, f.Unary(Op::Not, Type::Bool, yes));
  f.Finish();

  // Two segments over Bool functions, which identify and time change
  // differently: a set of both, a set of one, and an empty set.
  program.segments.push_back({"first", 0, 0, {}});
  program.segments.push_back({"last", 7, 1, {}});
  program.segments_on_identify = {1};
  return program;
}

// `text` without the lines that name the host's target.
std::string WithoutTarget(const std::string& text) {
  std::istringstream lines(text);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("target ", 0) == 0) continue;
    kept += line + "\n";
  }
  return kept;
}

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

TEST_CASE("jit: the lowering's output matches its version's golden file",
          "[jit][lowering]") {
  ir::Program program = EveryPath();
  REQUIRE(ir::Verify(program).empty());
  std::string module = jit::EmitLlvm(program, /*optimize=*/false);
  REQUIRE_FALSE(module.empty());
  std::string text = "; kLoweringVersion " +
                     std::to_string(jit::kLoweringVersion) + "\n" +
                     WithoutTarget(module);

  auto golden = testing::SourceDir() / "tests/jit/lowering.golden.ll";
  std::string expected = testing::ReadText(golden);
  bool same_version = FirstLine(expected) == FirstLine(text);
  if (testing::UpdatingGoldens() && !(same_version && text != expected)) {
    testing::WriteText(golden, text);
    expected = text;
  }
  INFO(
      "the module LowerProgram builds changed: bump kLoweringVersion in "
      "compiler/jit/jit.h, then update the golden file with "
      "PARCOURS_UPDATE_GOLDEN=1");
  CHECK(text == expected);
}

}  // namespace
}  // namespace parcours::jit_test
