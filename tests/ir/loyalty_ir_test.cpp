// Lowering of loyalty programs: the golden dump, the tables the runtime
// reads, and what the verifier rejects.
#include <catch2/catch.hpp>

#include "tests/support/compile.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

ir::Program CompileLoyalty() {
  auto source = testing::SourceDir() / "tests/ir/loyalty.journey";
  auto compiled = testing::CompileText(testing::ReadText(source));
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  return *compiled.program;
}

TEST_CASE("a loyalty program matches its golden dump", "[ir][loyalty]") {
  ir::Program program = CompileLoyalty();
  CHECK(ir::Verify(program).empty());

  std::string dump = ir::Dump(program);
  auto golden = testing::SourceDir() / "tests/ir/loyalty.ir";
  if (testing::UpdatingGoldens()) testing::WriteText(golden, dump);
  CHECK(dump == testing::ReadText(golden));
}

TEST_CASE("a loyalty program is lowered to the tables the runtime reads",
          "[ir][loyalty]") {
  ir::Program program = CompileLoyalty();
  REQUIRE(program.loyalty.size() == 1);
  const ir::LoyaltyProgram& loyalty = program.loyalty[0];
  REQUIRE(loyalty.earn_per_amount.size() == 1);
  CHECK(loyalty.earn_per_amount[0].points == 2);
  CHECK(loyalty.earn_per_amount[0].unit_amount == 5 * ir::kDecimalScale);
  CHECK(loyalty.earn_per_amount[0].unit_currency == ir::PackCurrency("EUR"));
  REQUIRE(loyalty.earn_on_event.size() == 2);
  CHECK(loyalty.earn_on_event[0].at_most_once_per.count == 30 * 86400);
  CHECK_FALSE(loyalty.earn_on_event[0].at_most_once_per.calendar);
  CHECK_FALSE(loyalty.earn_on_event[0].part_of_sale);
  CHECK(loyalty.earn_on_event[1].points == 10);
  CHECK(loyalty.earn_on_event[1].at_most_once_per.count == 0);
  CHECK(loyalty.earn_on_event[1].part_of_sale);
  REQUIRE(loyalty.multipliers.size() == 2);
  CHECK(loyalty.multipliers[1].factor == 1'500'000);
  CHECK(loyalty.expire.calendar);
  CHECK(loyalty.expire.count == 24);
  CHECK(loyalty.expire.unit == ir::CalendarUnit::Month);
  REQUIRE(loyalty.tiers.size() == 2);
  // Silver is the second value of `Tier`.
  CHECK(loyalty.tiers[0].value == 1);
  CHECK(loyalty.tiers[1].threshold == 5000);
  CHECK(loyalty.value_per_point == 5000);
  CHECK(loyalty.breakage == 18 * ir::kDecimalScale);
  // The hidden words come after everything else in the profile record.
  CHECK(loyalty.redeemed_share_offset == program.profile_words - 1);

  const ir::Journey& thousand = program.journeys[0];
  CHECK(thousand.trigger_kind == ir::TriggerKind::PointsCrossing);
  CHECK(thousand.crossing_points == 1000);
}

TEST_CASE("the verifier rejects an award into no program", "[ir][loyalty]") {
  ir::Program program = CompileLoyalty();
  for (ir::Step& step : program.journeys[0].steps) {
    if (step.kind == ir::StepKind::Award) step.attribute = 3;
  }
  CHECK(ir::Verify(program).find("unknown program") != std::string::npos);
}

}  // namespace
}  // namespace parcours
