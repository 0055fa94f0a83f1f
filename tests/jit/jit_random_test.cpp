// Differential test: random well-typed functions over random records, run
// by the interpreter and by the JIT (optimised and not), must agree.
//
// Programs come from a seeded generator, so a failure reproduces exactly;
// the failure message carries the program's dump and the records.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "jit_test_support.h"
#include "tests/support/compile.h"
#include "tests/support/random_program.h"
#include "tests/support/random_source.h"

namespace parcours::jit_test {
namespace {

using testing::DescribeRecord;
using testing::ProgramGenerator;
using testing::Random;
using testing::RandomRecord;

TEST_CASE("jit: random programs agree with the interpreter", "[jit][random]") {
  constexpr uint64_t kSeed = 20240611;
  constexpr int kPrograms = 400;
  constexpr int kFramesPerProgram = 4;
  Random random(kSeed);

  int64_t cases = 0;
  int failures = 0;
  for (int p = 0; p < kPrograms; ++p) {
    ProgramGenerator generator(random);
    ir::Program program = generator.Generate();
    std::string problem = ir::Verify(program);
    INFO("program " << p << ":\n" << ir::Dump(program));
    REQUIRE(problem.empty());

    auto interp = interp::MakeInterpreter(program);
    std::string error;
    jit::JitOptions options;
    options.optimize = p % 2 == 0;
    auto jit = jit::MakeJit(program, options, &error);
    INFO(error);
    REQUIRE(jit != nullptr);

    for (int f = 0; f < kFramesPerProgram; ++f) {
      std::vector<int64_t> profile =
          RandomRecord(random, generator.Layout(Base::Profile));
      std::vector<int64_t> event =
          RandomRecord(random, generator.Layout(Base::Event));
      std::vector<int64_t> locals =
          RandomRecord(random, generator.Layout(Base::Local));
      ir::Frame frame{profile.data(), event.data(), locals.data(),
                      random.Word()};

      for (size_t fn = 0; fn < program.functions.size(); ++fn) {
        int32_t index = static_cast<int32_t>(fn);
        int64_t expected = interp->Call(index, frame);
        int64_t actual = jit->Call(index, frame);
        ++cases;
        if (actual == expected) continue;

        // Report the first few in full, then only count.
        if (++failures > 3) continue;
        INFO("seed " << kSeed << ", optimize " << options.optimize
                     << ", function " << fn << ", now " << frame.now);
        INFO(DescribeRecord("profile", profile));
        INFO(DescribeRecord("event", event));
        INFO(DescribeRecord("locals", locals));
        CHECK(actual == expected);
      }
    }
  }
  CHECK(failures == 0);
  CHECK(cases >= 5000);
}

TEST_CASE("jit: random source conditions agree with the interpreter",
          "[jit][random]") {
  // Enums, `in`, timestamp literals and windows, written as a marketer
  // would, through every phase of the compiler.
  constexpr uint64_t kSeed = 20261204;
  constexpr int kPrograms = 120;
  constexpr int kFramesPerProgram = 8;
  Random random(kSeed);
  testing::SourceGenerator source(random);

  int64_t cases = 0;
  int failures = 0;
  for (int p = 0; p < kPrograms; ++p) {
    std::string text = std::string(testing::kRandomSourceSchema) +
                       "segment s = " + source.Condition(3) + "\n";
    auto compiled = testing::CompileText(text);
    INFO("program " << p << ":\n" << text << compiled.diagnostics);
    REQUIRE(compiled.program);
    const ir::Program& program = *compiled.program;

    auto interp = interp::MakeInterpreter(program);
    std::string error;
    jit::JitOptions options;
    options.optimize = p % 2 == 0;
    auto jit = jit::MakeJit(program, options, &error);
    INFO(error);
    REQUIRE(jit != nullptr);

    // The predicate and its crossing functions.
    for (int f = 0; f < kFramesPerProgram; ++f) {
      std::vector<int64_t> profile =
          testing::RandomSourceProfile(random, program);
      int64_t now = random.Chance(50) ? 1735689600 + random.Below(90 * 86400)
                                      : random.Word();
      ir::Frame frame{profile.data(), nullptr, nullptr, now};
      for (size_t fn = 0; fn < program.functions.size(); ++fn) {
        auto function = static_cast<int32_t>(fn);
        int64_t expected = interp->Call(function, frame);
        int64_t actual = jit->Call(function, frame);
        ++cases;
        if (actual == expected) continue;
        if (++failures > 3) continue;
        INFO("seed " << kSeed << ", function " << fn << ", now " << now);
        INFO(DescribeRecord("profile", profile));
        CHECK(actual == expected);
      }
    }
  }
  CHECK(failures == 0);
  CHECK(cases >= kPrograms * kFramesPerProgram);
}

}  // namespace
}  // namespace parcours::jit_test
