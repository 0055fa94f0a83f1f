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

TEST_CASE("crossings are the instants a clock comparison flips") {
  constexpr int64_t kT = 1735689600;  // 2025-01-01T00:00:00Z
  struct Case {
    const char* condition;
    std::vector<int64_t> crossings;
  };
  const Case cases[] = {
      {"profile.t <= now", {kT}},
      {"now - profile.t > 2h", {kT + 7200 + 1}},
      {"now + 1d >= profile.t", {kT - 86400}},
      {"profile.t - now < 5m", {kT - 300 + 1}},
      {"now == profile.t + 1s", {kT + 1, kT + 2}},
      {"days_since(profile.t) == 3", {kT + 3 * 86400, kT + 4 * 86400}},
      {"hours_since(profile.t) < 0", {kT}},
      {"days_since(profile.t) > 1", {kT + 2 * 86400}},
      {"7 <= minutes_since(profile.t)", {kT + 7 * 60}},
      // Not linear in `now`, or the clock on both sides: no crossing.
      {"(now - profile.t) * 2 > 1d", {}},
      {"now - now > 1s", {}},
  };
  for (const Case& test : cases) {
    SECTION(test.condition) {
      auto compiled = testing::CompileText(
          "profile { t: time = 2025-01-01T00:00:00Z }\n"
          "segment s = " +
          std::string(test.condition) + "\n");
      INFO(compiled.diagnostics);
      REQUIRE(compiled.program);
      REQUIRE(ir::Verify(*compiled.program).empty());
      const ir::Segment& segment = compiled.program->segments[0];
      auto interpreter = interp::MakeInterpreter(*compiled.program);
      std::vector<int64_t> profile = testing::DefaultProfile(*compiled.program);

      std::vector<int64_t> crossings;
      for (int32_t function : segment.crossings) {
        crossings.push_back(
            interpreter->Call(function, {profile.data(), nullptr, nullptr, 0}));
      }
      CHECK(crossings == test.crossings);

      // The segment changes at each crossing: one second before, it is
      // what it was; at the crossing, it is not.
      for (int64_t instant : crossings) {
        auto at = [&](int64_t now) {
          return interpreter->Call(segment.predicate,
                                   {profile.data(), nullptr, nullptr, now});
        };
        CHECK(at(instant - 1) != at(instant));
      }
    }
  }
}

}  // namespace
}  // namespace parcours
