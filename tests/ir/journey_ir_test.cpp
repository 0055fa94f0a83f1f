// Lowering of the journey rules and steps: the golden dump, what the
// verifier rejects, and splits through dead-step removal.
#include <catch2/catch.hpp>

#include "compiler/ir/passes.h"
#include "tests/support/compile.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

ir::Program CompileJourneys() {
  auto source = testing::SourceDir() / "tests/ir/journeys.journey";
  auto compiled = testing::CompileText(testing::ReadText(source));
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  return *compiled.program;
}

TEST_CASE("every runnable journey construct matches its golden dump") {
  ir::Program program = CompileJourneys();
  CHECK(ir::Verify(program).empty());

  std::string dump = ir::Dump(program);
  auto golden = testing::SourceDir() / "tests/ir/journeys.ir";
  if (testing::UpdatingGoldens()) testing::WriteText(golden, dump);
  CHECK(dump == testing::ReadText(golden));
}

TEST_CASE("journey rules and steps are lowered to their tables") {
  ir::Program program = CompileJourneys();
  const ir::Journey& cart = program.journeys[0];
  CHECK(cart.exit_events.empty());
  REQUIRE(cart.conditional_exits.size() == 2);
  CHECK(cart.conditional_exits[0].event == 2);
  CHECK(cart.conditional_exits[1].event == -1);
  CHECK(cart.reentry == ir::Reentry::After);
  CHECK(cart.reentry_seconds == 7 * 86400);
  CHECK(cart.holdout == 10 * ir::kDecimalScale);
  REQUIRE(cart.goals.size() == 1);
  CHECK(cart.goals[0].within_seconds == 3 * 86400);
  CHECK(program.journeys[1].reentry == ir::Reentry::Never);

  const ir::Step& wait = cart.steps[cart.entry];
  REQUIRE(wait.kind == ir::StepKind::WaitFor);
  CHECK(wait.wait_seconds == 20 * 3600);
  CHECK(wait.arrived_event == -1);
  // The block run when the event came reads it as its locals.
  CHECK(cart.steps[wait.next].arrived_event == 1);
  CHECK(cart.steps[wait.else_next].kind == ir::StepKind::Split);
}

TEST_CASE("the verifier rejects malformed journey steps") {
  ir::Program program = CompileJourneys();
  REQUIRE(ir::Verify(program).empty());
  ir::Journey& cart = program.journeys[0];
  auto find = [&](ir::StepKind kind) -> ir::Step& {
    for (ir::Step& step : cart.steps) {
      if (step.kind == kind) return step;
    }
    FAIL("no such step");
    return cart.steps[0];
  };

  SECTION("split arms that miss 100%") {
    find(ir::StepKind::Split).arms[0].percent -= 1;
    CHECK_THAT(ir::Verify(program), Catch::Contains("miss 100%"));
  }
  SECTION("a split arm out of range") {
    find(ir::StepKind::Split).arms[1].entry = 99;
    CHECK_THAT(ir::Verify(program), Catch::Contains("bad arm"));
  }
  SECTION("a set of a value of another type") {
    find(ir::StepKind::Set).values[0].type = ir::Type::Money;
    CHECK_THAT(ir::Verify(program), Catch::Contains("unknown attribute"));
  }
  SECTION("an emitted field the event lacks") {
    find(ir::StepKind::Emit).values[0].field = 5;
    CHECK_THAT(ir::Verify(program), Catch::Contains("unknown field"));
  }
  SECTION("a wait for an unknown event") {
    find(ir::StepKind::WaitFor).event_type = 42;
    CHECK_THAT(ir::Verify(program), Catch::Contains("unknown event"));
  }
  SECTION("a holdout of more than everyone") {
    cart.holdout = 101 * ir::kDecimalScale;
    CHECK_THAT(ir::Verify(program), Catch::Contains("more than everyone"));
  }
  SECTION("a conditional exit with no function") {
    cart.conditional_exits[0].condition = 999;
    CHECK_THAT(ir::Verify(program), Catch::Contains("conditional exit"));
  }
}

TEST_CASE("dead-step removal keeps the steps of split arms") {
  auto compiled = testing::CompileText(
      "event Order { total: money }\n"
      "journey j {\n"
      "  on Order\n"
      "  split a: 50% { if 1 > 2 { send email \"never\" } send email \"a\" }\n"
      "    b: 50% { send push \"b\" }\n"
      "}\n");
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  ir::Program program = *compiled.program;
  ir::PassStats stats = ir::RunPasses(program);
  CHECK(stats.dead_steps == 2);  // the fixed `if` and its `send`
  REQUIRE(ir::Verify(program).empty());

  const ir::Journey& journey = program.journeys[0];
  const ir::Step& split = journey.steps[journey.entry];
  REQUIRE(split.arms.size() == 2);
  CHECK(journey.steps[split.arms[0].entry].template_name == "a");
  CHECK(journey.steps[split.arms[1].entry].template_name == "b");
}

}  // namespace
}  // namespace parcours
