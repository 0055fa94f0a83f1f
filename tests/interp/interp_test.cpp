// The reference interpreter against the documented results.
#include <catch2/catch.hpp>

#include "compiler/interp/interpreter.h"
#include "tests/support/compile.h"
#include "tests/support/expression_cases.h"

namespace parcours {
namespace {

TEST_CASE("the interpreter gives the documented result of each expression") {
  for (const auto& test : testing::ExpressionCases()) {
    SECTION(test.expression) {
      auto compiled =
          testing::CompileText(std::string(testing::kCaseProfile) +
                               "segment s = " + test.expression + "\n");
      INFO(compiled.diagnostics);
      REQUIRE(compiled.program);
      REQUIRE(ir::Verify(*compiled.program).empty());

      auto interpreter = interp::MakeInterpreter(*compiled.program);
      std::vector<int64_t> profile = testing::DefaultProfile(*compiled.program);
      ir::Frame frame{profile.data(), nullptr, nullptr, 0};
      int32_t predicate = compiled.program->segments[0].predicate;
      CHECK(interpreter->Call(predicate, frame) == (test.expected ? 1 : 0));
    }
  }
}

TEST_CASE("`now` reads the frame's clock") {
  auto compiled = testing::CompileText(
      "segment late = now - 1d > now - 2d and now == now\n");
  REQUIRE(compiled.program);
  auto interpreter = interp::MakeInterpreter(*compiled.program);
  std::vector<int64_t> profile(compiled.program->profile_words, 0);
  CHECK(interpreter->Call(0, {profile.data(), nullptr, nullptr, 1'000'000}) ==
        1);
}

}  // namespace
}  // namespace parcours
