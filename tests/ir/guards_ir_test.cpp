// Lowering of the account-takeover guards: `travel_kmh` becomes a
// distance and a speed, `seen_before` an aggregate whose field the event
// type keeps for its window, and the security steps their own kinds; the
// verifier refuses a distance whose operands are not decimals defined
// before it.
#include <catch2/catch.hpp>
#include <string>

#include "compiler/ir/passes.h"
#include "tests/support/compile.h"

namespace parcours {
namespace {

const char* const kGuard =
    "profile { lat: decimal?, lon: decimal?, at: time? }\n"
    "event Login \"Login\" { device: string, lat: decimal, lon: int }\n"
    "journey guard {\n"
    "  on Login as l\n"
    "    where travel_kmh(profile.lat, profile.lon, profile.at, l.lat,\n"
    "      l.lon, now) > 900 or not seen_before(Login.device within 2d)\n"
    "  require second factor reason \"odd login\"\n"
    "  freeze account reason \"to be safe\"\n"
    "}\n";

ir::Program CompileGuard() {
  auto compiled = testing::CompileText(kGuard);
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  return *compiled.program;
}

TEST_CASE("guards lower to distance, speed, seen_before and their steps") {
  ir::Program program = CompileGuard();
  REQUIRE(ir::Verify(program).empty());
  std::string dump = ir::Dump(program);
  INFO(dump);

  CHECK_THAT(dump, Catch::Contains("distance_km"));
  CHECK_THAT(dump, Catch::Contains("speed_kmh"));
  // The device is field 0 of Login, kept for the two days.
  CHECK_THAT(dump, Catch::Contains("keeps 172800s of history, fields 0\n"));
  REQUIRE(program.aggregates.size() == 1);
  const ir::Aggregate& seen = program.aggregates[0];
  CHECK(seen.kind == ir::AggregateKind::SeenBefore);
  CHECK(seen.type == ir::Type::Bool);
  CHECK(seen.window_far == 172800);
  CHECK_FALSE(seen.windowed);

  const ir::Journey& journey = program.journeys[0];
  REQUIRE(journey.steps.size() == 2);
  CHECK(journey.steps[0].kind == ir::StepKind::SecondFactor);
  CHECK(journey.steps[0].text == "odd login");
  CHECK(journey.steps[1].kind == ir::StepKind::Freeze);
  CHECK(journey.steps[1].text == "to be safe");

  // The passes keep the distance's last two operands alive.
  ir::RunPasses(program);
  CHECK(ir::Verify(program).empty());
}

TEST_CASE("the verifier refuses a distance with a bad operand") {
  ir::Program program = CompileGuard();
  ir::Function* with_distance = nullptr;
  size_t at = 0;
  for (ir::Function& function : program.functions) {
    for (size_t i = 0; i < function.body.size(); ++i) {
      if (function.body[i].op != ir::Op::DistanceKm) continue;
      with_distance = &function;
      at = i;
    }
  }
  REQUIRE(with_distance != nullptr);

  SECTION("an operand defined after it") {
    with_distance->body[at].imm2 = static_cast<int64_t>(at);
  }
  SECTION("an operand that is not a decimal") {
    ir::Inst now{ir::Op::Now, ir::Type::Time, ir::Type::Time};
    with_distance->body.insert(with_distance->body.begin(), now);
    for (size_t i = 1; i < with_distance->body.size(); ++i) {
      ir::Inst& inst = with_distance->body[i];
      if (inst.a >= 0) ++inst.a;
      if (inst.b >= 0) ++inst.b;
      if (inst.op == ir::Op::DistanceKm) {
        inst.imm = 0;  // the time
        ++inst.imm2;
      }
    }
  }
  CHECK_THAT(ir::Verify(program),
             Catch::Contains("distance_km takes four decimals"));
}

}  // namespace
}  // namespace parcours
