// The JIT against the same table of documented results as the interpreter,
// compiled from source text through every phase.
#include <catch2/catch.hpp>

#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "tests/support/compile.h"
#include "tests/support/expression_cases.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

TEST_CASE("the JIT gives the documented result of each expression") {
  for (const auto& test : testing::ExpressionCases()) {
    SECTION(test.expression) {
      auto compiled =
          testing::CompileText(std::string(testing::kCaseProfile) +
                               "segment s = " + test.expression + "\n");
      INFO(compiled.diagnostics);
      REQUIRE(compiled.program);

      std::string error;
      auto jit = jit::MakeJit(*compiled.program, {}, &error);
      INFO(error);
      REQUIRE(jit);
      auto interpreter = interp::MakeInterpreter(*compiled.program);

      std::vector<int64_t> profile = testing::DefaultProfile(*compiled.program);
      ir::Frame frame{profile.data(), nullptr, nullptr, 0};
      int32_t predicate = compiled.program->segments[0].predicate;
      CHECK(jit->Call(predicate, frame) == (test.expected ? 1 : 0));
      CHECK(jit->Call(predicate, frame) == interpreter->Call(predicate, frame));
    }
  }
}

TEST_CASE("the LLVM text of the example is stable") {
  auto source = testing::SourceDir() /
                "examples/uci-online-retail/campaign/retail.journey";
  auto compiled = testing::CompileText(testing::ReadText(source));
  REQUIRE(compiled.program);
  std::string text = jit::EmitLlvm(*compiled.program, /*optimize=*/true);
  CHECK(text == jit::EmitLlvm(*compiled.program, true));
  CHECK_THAT(text, Catch::Contains("i64 @pc_fn0("));
  CHECK_THAT(text, Catch::Contains("i64 @pc_fn3("));
}

}  // namespace
}  // namespace parcours
