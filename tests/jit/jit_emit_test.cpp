// `EmitLlvm`, errors at the `MakeJit` boundary, and the evaluator's
// lifetime and thread-safety promises.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "jit_test_support.h"

namespace parcours::jit_test {
namespace {

constexpr int64_t kScale = ir::kDecimalScale;

// fn0: 2 + 3; fn1: event decimal * 0.5 > 1; fn2: "abc" == event string.
ir::Program SmallProgram() {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  f.Binary(Op::Add, Type::Int, f.Const(Type::Int, 2), f.Const(Type::Int, 3));
  f.Finish();
  f.Compare(
      Op::Gt, Type::Decimal,
      f.Binary(Op::Mul, Type::Decimal, f.Load(Type::Decimal, Base::Event, 0),
               f.Const(Type::Decimal, kScale / 2)),
      f.Const(Type::Decimal, kScale));
  f.Finish();
  f.Compare(Op::Eq, Type::String, f.String("abc"),
            f.Load(Type::String, Base::Event, 1));
  f.Finish();
  return program;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("jit emit: the module text is deterministic", "[jit][emit]") {
  ir::Program program = SmallProgram();
  for (bool optimize : {false, true}) {
    INFO("optimize " << optimize);
    std::string first = jit::EmitLlvm(program, optimize);
    std::string second = jit::EmitLlvm(program, optimize);
    CHECK(first == second);
    CHECK(jit::EmitLlvm(SmallProgram(), optimize) == first);

    CHECK(Contains(first, "; ModuleID = 'parcours.jit_test'"));
    CHECK(Contains(first, "source_filename = \"parcours.jit_test\""));
    // O2 adds return attributes between `define` and the type.
    CHECK(Contains(first, "\ndefine "));
    CHECK(Contains(first, "i64 @pc_fn0(ptr"));
    CHECK(Contains(first, "i64 @pc_fn1(ptr"));
    CHECK(Contains(first, "i64 @pc_fn2(ptr"));
    CHECK(Contains(first, "@parcours_decimal_mul"));
    CHECK(Contains(first, "@parcours_string_compare"));
  }
}

TEST_CASE("jit emit: optimisation folds and the strings are in the module",
          "[jit][emit]") {
  ir::Program program = SmallProgram();
  std::string plain = jit::EmitLlvm(program, false);
  CHECK(Contains(plain,
                 "define internal i64 @pc_fn0(ptr %profile, ptr %event, "
                 "ptr %locals, i64 %now)"));
  CHECK(Contains(plain, "getelementptr i64, ptr %event, i64 0"));
  CHECK(Contains(plain,
                 "@pc_str0 = private unnamed_addr constant [3 x i8] "
                 "c\"abc\""));

  // The optimiser drops the zero offset.
  std::string optimised = jit::EmitLlvm(program, true);
  CHECK(Contains(optimised, "ret i64 5"));
  CHECK_FALSE(Contains(optimised, "getelementptr i64, ptr %event, i64 0"));
}

TEST_CASE("jit emit: only the table of functions is exported", "[jit][emit]") {
  for (bool optimize : {false, true}) {
    INFO("optimize " << optimize);
    std::string text = jit::EmitLlvm(SmallProgram(), optimize);
    // With no segments, every list of segments is the one empty set.
    CHECK(Contains(text,
                   "@pc_functions = constant [4 x ptr] "
                   "[ptr @pc_fn0, ptr @pc_fn1, ptr @pc_fn2, "
                   "ptr @pc_segments0]"));
    CHECK(Contains(text, "define internal i64 @pc_fn1(ptr"));
    CHECK_FALSE(Contains(text, "define i64 @pc_fn"));
  }
}

TEST_CASE("jit: an invalid program is an error, not a crash", "[jit][errors]") {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  int32_t money = f.Money(1, kEur);
  (void)money;
  f.Finish();  // ends with a two-word value

  std::string error;
  jit::JitReport report;
  auto jit = jit::MakeJit(program, jit::JitOptions(), &error, &report);
  CHECK(jit == nullptr);
  CHECK(Contains(error, "invalid IR"));
  CHECK(Contains(error, "two-word"));
  CHECK(jit::EmitLlvm(program, true).empty());

  // A null error pointer is allowed.
  CHECK(jit::MakeJit(program, jit::JitOptions(), nullptr) == nullptr);
}

TEST_CASE("jit: an empty program compiles", "[jit][errors]") {
  ir::Program program = EmptyProgram();
  std::string error;
  auto jit = jit::MakeJit(program, jit::JitOptions(), &error);
  CHECK(jit != nullptr);
  CHECK(error.empty());
  CHECK(Contains(jit::EmitLlvm(program, true), "parcours.jit_test"));
}

TEST_CASE("jit: the evaluator outlives its program", "[jit]") {
  std::string error;
  std::unique_ptr<ir::Evaluator> jit;
  {
    ir::Program program = SmallProgram();
    jit = jit::MakeJit(program, jit::JitOptions(), &error);
    REQUIRE(jit != nullptr);
  }
  std::string abc = "abc";
  std::vector<int64_t> event = {3 * kScale,
                                reinterpret_cast<int64_t>(abc.data()), 3};
  ir::Frame frame;
  frame.event = event.data();
  CHECK(jit->Call(0, frame) == 5);
  CHECK(jit->Call(1, frame) == 1);
  CHECK(jit->Call(2, frame) == 1);
}

TEST_CASE("jit: calls may run on several threads at once", "[jit]") {
  ir::Program program = SmallProgram();
  std::string error;
  auto jit = jit::MakeJit(program, jit::JitOptions(), &error);
  REQUIRE(jit != nullptr);

  std::vector<int64_t> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string text = t % 2 == 0 ? "abc" : "abd";
      for (int64_t i = 0; i < 2000; ++i) {
        std::vector<int64_t> event = {
            i * kScale, reinterpret_cast<int64_t>(text.data()), 3};
        ir::Frame frame;
        frame.event = event.data();
        int64_t expected_string = t % 2 == 0 ? 1 : 0;
        if (jit->Call(1, frame) != (i > 2 ? 1 : 0)) ++wrong[t];
        if (jit->Call(2, frame) != expected_string) ++wrong[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(wrong == std::vector<int64_t>(4, 0));
}

}  // namespace
}  // namespace parcours::jit_test
