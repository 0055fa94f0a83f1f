// Segment sets: how the runtime groups segments, and the interpreter's
// entry point that evaluates a whole set (the JIT's reference).
#include "compiler/ir/segment_sets.h"

#include <catch2/catch.hpp>
#include <vector>

#include "compiler/interp/interpreter.h"
#include "tests/support/compile.h"

namespace parcours {
namespace {

// Three segments that different changes affect: an event's aggregate, an
// attribute, and a window that time moves.
constexpr char kProgram[] = R"(profile { score: int = 0 }
event Order { total: money }
segment regular = count(Order) >= 2
segment high = profile.score > 10
segment recent = count(Order within 7d) >= 1
)";

const ir::Aggregate& FindAggregate(const ir::Program& program, bool windowed) {
  for (const ir::Aggregate& aggregate : program.aggregates) {
    if (aggregate.windowed == windowed) return aggregate;
  }
  FAIL("no such aggregate");
  return program.aggregates.front();
}

TEST_CASE("segments are grouped by the changes that affect them") {
  auto compiled = testing::CompileText(kProgram);
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);

  ir::SegmentSets grouped = ir::GroupSegments(*compiled.program);

  using Sets = std::vector<std::vector<int32_t>>;
  CHECK(grouped.sets == Sets{{0, 1, 2}, {1}, {2}, {0, 2}});
  CHECK(grouped.all == 0);
  CHECK(grouped.on_identify == 1);
  CHECK(grouped.time_dependent == 2);
  CHECK(grouped.by_event == std::vector<int32_t>{3});
}

TEST_CASE("equal lists of segments share one set") {
  auto compiled = testing::CompileText(
      "profile { score: int = 0 }\n"
      "segment high = profile.score > 10\n"
      "segment low = profile.score < 0\n");
  REQUIRE(compiled.program);

  ir::SegmentSets grouped = ir::GroupSegments(*compiled.program);

  // All segments and identify are the same list; time changes none.
  using Sets = std::vector<std::vector<int32_t>>;
  CHECK(grouped.sets == Sets{{0, 1}, {}});
  CHECK(grouped.on_identify == grouped.all);
  CHECK(grouped.time_dependent == 1);
}

TEST_CASE("the interpreter evaluates a set as each predicate in turn") {
  auto compiled = testing::CompileText(kProgram);
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;
  auto interpreter = interp::MakeInterpreter(program);
  std::vector<int64_t> profile = testing::DefaultProfile(program);
  profile[program.profile[0].offset] = 11;
  profile[FindAggregate(program, false).offset] = 1;
  profile[FindAggregate(program, true).offset] = 1;
  ir::Frame frame{profile.data(), nullptr, nullptr, 0};

  ir::SegmentSets grouped = ir::GroupSegments(program);
  std::vector<int64_t> all(4, -1);
  interpreter->EvaluateSegments(grouped.all, frame, all.data());
  std::vector<int64_t> by_order(3, -1);
  interpreter->EvaluateSegments(grouped.by_event[0], frame, by_order.data());

  // regular: 1 order; high: score 11; recent: 1 in the window. The word
  // after each set is left alone.
  CHECK(all == std::vector<int64_t>{0, 1, 1, -1});
  CHECK(by_order == std::vector<int64_t>{0, 1, -1});
}

}  // namespace
}  // namespace parcours
