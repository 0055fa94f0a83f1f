// Differential test: random well-typed functions over random records, run
// by the interpreter and by the JIT (optimised and not), must agree.
//
// Programs come from a seeded generator, so a failure reproduces exactly;
// the failure message carries the program's dump and the records.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/segment_sets.h"
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

// Makes every Bool function of `program` a segment's predicate and fills
// the dependency tables with random subsets of the segments, so that the
// program has several segment sets, some shared and some empty.
void AddRandomSegments(ir::Program& program, Random& random) {
  for (size_t fn = 0; fn < program.functions.size(); ++fn) {
    if (program.functions[fn].result != Type::Bool) continue;
    ir::Segment segment;
    segment.name = "s" + std::to_string(program.segments.size());
    segment.predicate = static_cast<int32_t>(fn);
    program.segments.push_back(segment);
  }

  auto subset = [&] {
    std::vector<int32_t> segments;
    for (size_t s = 0; s < program.segments.size(); ++s) {
      if (random.Chance(50)) segments.push_back(static_cast<int32_t>(s));
    }
    return segments;
  };
  program.segments_on_identify = subset();
  program.time_dependent_segments = subset();
  int64_t events = 1 + random.Below(3);
  for (int64_t e = 0; e < events; ++e) {
    program.segments_by_event.push_back(
        random.Chance(30) ? program.segments_on_identify : subset());
  }
}

// Checks `EvaluateSegments` of `evaluator` for every set of `program` on
// `frame` against the interpreter's `Call` of each predicate. Returns the
// number of segments compared; counts disagreements in `failures` and
// reports the first few.
int64_t CompareSegmentSets(const ir::Program& program,
                           const ir::Evaluator& reference,
                           const ir::Evaluator& evaluator,
                           const ir::Frame& frame, int& failures) {
  ir::SegmentSets grouped = ir::GroupSegments(program);
  int64_t cases = 0;
  for (size_t set = 0; set < grouped.sets.size(); ++set) {
    const std::vector<int32_t>& segments = grouped.sets[set];
    // One word past the set's end, which must stay untouched.
    std::vector<int64_t> members(segments.size() + 1, 7);
    evaluator.EvaluateSegments(static_cast<int32_t>(set), frame,
                               members.data());
    for (size_t k = 0; k <= segments.size(); ++k) {
      int64_t expected = 7;
      if (k < segments.size()) {
        int32_t predicate = program.segments[segments[k]].predicate;
        expected = reference.Call(predicate, frame) != 0 ? 1 : 0;
      }
      ++cases;
      if (members[k] == expected) continue;
      if (++failures > 3) continue;
      INFO(evaluator.Name()
           << ", set " << set << ", member " << k << ", now " << frame.now);
      CHECK(members[k] == expected);
    }
  }
  return cases;
}

TEST_CASE("jit: random segment sets agree with the interpreter",
          "[jit][random]") {
  constexpr uint64_t kSeed = 20261205;
  constexpr int kPrograms = 300;
  constexpr int kFramesPerProgram = 4;
  Random random(kSeed);

  int64_t cases = 0;
  int failures = 0;
  for (int p = 0; p < kPrograms; ++p) {
    ProgramGenerator generator(random);
    ir::Program program = generator.Generate();
    AddRandomSegments(program, random);
    std::string problem = ir::Verify(program);
    INFO("seed " << kSeed << ", program " << p << ":\n" << ir::Dump(program));
    REQUIRE(problem.empty());

    auto interp = interp::MakeInterpreter(program);
    std::string error;
    jit::JitOptions options;
    options.optimize = p % 2 == 0;
    auto jit = jit::MakeJit(program, options, &error);
    INFO(error << "optimize " << options.optimize);
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
      INFO(DescribeRecord("profile", profile));
      INFO(DescribeRecord("event", event));
      INFO(DescribeRecord("locals", locals));
      cases += CompareSegmentSets(program, *interp, *interp, frame, failures);
      cases += CompareSegmentSets(program, *interp, *jit, frame, failures);
    }
  }
  CHECK(failures == 0);
  CHECK(cases >= 10000);
}

TEST_CASE("jit: segment sets of random source programs agree",
          "[jit][random]") {
  // Several segments over attributes, aggregates and the clock, so that
  // the real dependency analysis makes sets of different sizes.
  constexpr uint64_t kSeed = 20261206;
  constexpr int kPrograms = 80;
  constexpr int kFramesPerProgram = 8;
  Random random(kSeed);
  testing::SourceGenerator source(random);

  int64_t cases = 0;
  int failures = 0;
  size_t most_sets = 0;
  for (int p = 0; p < kPrograms; ++p) {
    std::string text = testing::kRandomSourceSchema;
    int64_t segments = 2 + random.Below(5);
    for (int64_t s = 0; s < segments; ++s) {
      text +=
          "segment s" + std::to_string(s) + " = " + source.Condition(2) + "\n";
    }
    auto compiled = testing::CompileText(text);
    INFO("seed " << kSeed << ", program " << p << ":\n"
                 << text << compiled.diagnostics);
    REQUIRE(compiled.program);
    const ir::Program& program = *compiled.program;
    most_sets = std::max(most_sets, ir::GroupSegments(program).sets.size());

    auto interp = interp::MakeInterpreter(program);
    std::string error;
    jit::JitOptions options;
    options.optimize = p % 2 == 0;
    auto jit = jit::MakeJit(program, options, &error);
    INFO(error);
    REQUIRE(jit != nullptr);

    for (int f = 0; f < kFramesPerProgram; ++f) {
      std::vector<int64_t> profile =
          testing::RandomSourceProfile(random, program);
      int64_t now = random.Chance(50) ? 1735689600 + random.Below(90 * 86400)
                                      : random.Word();
      ir::Frame frame{profile.data(), nullptr, nullptr, now};
      INFO(DescribeRecord("profile", profile));
      cases += CompareSegmentSets(program, *interp, *interp, frame, failures);
      cases += CompareSegmentSets(program, *interp, *jit, frame, failures);
    }
  }
  CHECK(failures == 0);
  CHECK(cases >= 5000);
  // The generator must reach programs whose events, identify and clock
  // change different segments.
  CHECK(most_sets >= 3);
}

}  // namespace
}  // namespace parcours::jit_test
