// Differential test of the IR passes (compiler/ir/passes.h): random
// well-typed functions give the same value in the interpreter before and
// after `ir::RunPasses`, and the JIT of the optimised program agrees.
//
// It lives with the JIT tests because they link the interpreter; the
// table tests of each fold are in tests/ir/passes_test.cpp.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/passes.h"
#include "jit_test_support.h"
#include "tests/support/random_program.h"

namespace parcours::jit_test {
namespace {

using testing::DescribeRecord;
using testing::ProgramGenerator;
using testing::Random;
using testing::RandomRecord;

// Random frames over `generator`'s layouts, the clock included.
struct Frames {
  std::vector<std::vector<int64_t>> records;
  std::vector<ir::Frame> frames;
};

Frames RandomFrames(Random& random, const ProgramGenerator& generator,
                    int count) {
  Frames result;
  result.records.reserve(3 * count);
  for (int f = 0; f < count; ++f) {
    for (Base base : {Base::Profile, Base::Event, Base::Local}) {
      result.records.push_back(RandomRecord(random, generator.Layout(base)));
    }
    size_t at = result.records.size() - 3;
    result.frames.push_back({result.records[at].data(),
                             result.records[at + 1].data(),
                             result.records[at + 2].data(), random.Word()});
  }
  return result;
}

TEST_CASE("passes: random functions mean the same after the passes",
          "[passes][random]") {
  constexpr uint64_t kSeed = 20240612;
  constexpr int kPrograms = 500;
  constexpr int kFramesPerProgram = 4;
  Random random(kSeed);

  // Mostly constant leaves, so that whole subexpressions fold; every
  // third program keeps the generator's usual odds.
  testing::LeafOdds constant_heavy{10, 5, 15};
  int64_t cases = 0;
  int folded = 0;
  int dropped = 0;
  int failures = 0;
  for (int p = 0; p < kPrograms; ++p) {
    ProgramGenerator generator(
        random, p % 3 == 2 ? testing::LeafOdds{} : constant_heavy);
    ir::Program original = generator.Generate();
    ir::Program optimised = original;
    ir::PassStats stats = ir::RunPasses(optimised);
    folded += stats.folded;
    dropped += stats.dead_instructions;
    INFO("program " << p << ":\n" << ir::Dump(original));
    INFO("after the passes:\n" << ir::Dump(optimised));
    std::string problem = ir::Verify(optimised);
    INFO(problem);
    REQUIRE(problem.empty());

    auto before = interp::MakeInterpreter(original);
    auto after = interp::MakeInterpreter(optimised);
    std::string error;
    auto jit = jit::MakeJit(optimised, {}, &error);
    INFO(error);
    REQUIRE(jit != nullptr);

    Frames frames = RandomFrames(random, generator, kFramesPerProgram);
    for (size_t f = 0; f < frames.frames.size(); ++f) {
      const ir::Frame& frame = frames.frames[f];
      for (int32_t fn = 0; fn < static_cast<int32_t>(original.functions.size());
           ++fn) {
        int64_t expected = before->Call(fn, frame);
        int64_t interpreted = after->Call(fn, frame);
        int64_t compiled = jit->Call(fn, frame);
        ++cases;
        if (interpreted == expected && compiled == expected) continue;

        // Report the first few in full, then only count.
        if (++failures > 3) continue;
        INFO("seed " << kSeed << ", function " << fn << ", now " << frame.now);
        INFO(DescribeRecord("profile", frames.records[3 * f]));
        INFO(DescribeRecord("event", frames.records[3 * f + 1]));
        INFO(DescribeRecord("locals", frames.records[3 * f + 2]));
        CHECK(interpreted == expected);
        CHECK(compiled == expected);
      }
    }
  }
  CHECK(failures == 0);
  CHECK(cases >= 5000);
  // The programs must give the passes work, or the test proves nothing.
  CHECK(folded >= 10000);
  CHECK(dropped >= 10000);
}

}  // namespace
}  // namespace parcours::jit_test
