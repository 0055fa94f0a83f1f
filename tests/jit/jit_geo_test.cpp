// `distance_km` and `travel_kmh` (the `distance_km` and `speed_kmh` ops):
// the values written here, in the interpreter and both JITs alike, before
// and after the IR passes, with constant and loaded operands.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/passes.h"
#include "compiler/ir/semantics.h"
#include "jit_test_support.h"

namespace parcours::jit_test {
namespace {

constexpr int64_t kScale = ir::kDecimalScale;

struct Place {
  int64_t latitude;  // Decimal degrees
  int64_t longitude;
};

const Place kParis{48'856'600, 2'352'200};
const Place kLisbon{38'722'300, -9'139'300};
const Place kLondon{51'507'400, -127'800};

struct DistanceCase {
  std::string label;
  Place from;
  Place to;
  int64_t km;  // Decimal
};

// Evaluates `distance_km(from, to)` once with constant operands and once
// with operands loaded from the event record, in every engine, before
// and after the IR passes.
void CheckDistances(const std::vector<DistanceCase>& cases) {
  ir::Program program = EmptyProgram();
  std::vector<std::vector<int64_t>> records;
  std::vector<int32_t> functions;
  for (const DistanceCase& c : cases) {
    std::vector<int64_t> words = {c.from.latitude, c.from.longitude,
                                  c.to.latitude, c.to.longitude};
    for (bool loaded : {false, true}) {
      FunctionBuilder f(program);
      std::vector<int32_t> operands;
      for (int64_t i = 0; i < 4; ++i) {
        operands.push_back(loaded ? f.Load(Type::Decimal, Base::Event, i)
                                  : f.Const(Type::Decimal, words[i]));
      }
      f.DistanceKm(operands[0], operands[1], operands[2], operands[3]);
      functions.push_back(f.Finish());
      records.push_back(words);
    }
  }
  ir::Program passed = program;
  ir::RunPasses(passed);
  Engines engines(program);
  Engines passed_engines(passed);
  for (size_t i = 0; i < functions.size(); ++i) {
    const DistanceCase& c = cases[i / 2];
    INFO(c.label << (i % 2 == 0 ? " (constant)" : " (loaded)"));
    ir::Frame frame;
    frame.event = records[i].data();
    CHECK(engines.Run(functions[i], frame) == c.km);
    CHECK(passed_engines.Run(functions[i], frame) == c.km);
  }
}

TEST_CASE("distance_km: great-circle km, rounded to the metre", "[jit][geo]") {
  CheckDistances({
      {"Paris to Lisbon", kParis, kLisbon, 1'452'936'000},
      {"Lisbon to Paris", kLisbon, kParis, 1'452'936'000},
      {"Paris to London", kParis, kLondon, 343'557'000},
      {"one place", kParis, kParis, 0},
      {"one degree on the equator", {0, 0}, {0, kScale}, 111'195'000},
      {"pole to pole", {90 * kScale, 0}, {-90 * kScale, 0}, 20'015'114'000},
      {"antipodes on the equator", {0, 0}, {0, 180 * kScale}, 20'015'114'000},
  });
}

TEST_CASE("distance_km: coordinates out of range give -1 km", "[jit][geo]") {
  CheckDistances({
      {"latitude above 90", {90 * kScale + 1, 0}, kParis, -kScale},
      {"latitude below -90", kParis, {-90 * kScale - 1, 0}, -kScale},
      {"longitude above 180", {0, 180 * kScale + 1}, kParis, -kScale},
      {"longitude below -180", kParis, {0, -180 * kScale - 1}, -kScale},
      {"the largest word", {INT64_MAX, INT64_MAX}, kParis, -kScale},
      {"the smallest word", kParis, {INT64_MIN, INT64_MIN}, -kScale},
  });
}

TEST_CASE("speed_kmh: km per hour, total at zero time", "[jit][geo]") {
  ir::Program program = EmptyProgram();
  struct SpeedCase {
    int64_t km;
    int64_t seconds;
    int64_t kmh;
  };
  const std::vector<SpeedCase> cases = {
      {1'452'936'000, 3600, 1'452'936'000},
      {1'452'936'000, -3600, 1'452'936'000},  // either order in time
      {1'452'936'000, 9 * 86400, 6'726'555},  // rounded toward zero
      {1'000 * kScale, 0, ir::kImpossibleSpeedKmh},
      {0, 0, 0},
      {-kScale, 3600, -kScale},  // bad coordinates
      {-kScale, 0, -kScale},
      {kScale, INT64_MIN, 0},  // no overflow
  };
  std::vector<int32_t> functions;
  for (const SpeedCase& c : cases) {
    FunctionBuilder f(program);
    int32_t km = f.Load(Type::Decimal, Base::Event, 0);
    int32_t time = f.Load(Type::Duration, Base::Event, 1);
    f.Binary(Op::SpeedKmh, Type::Decimal, km, time);
    functions.push_back(f.Finish());

    FunctionBuilder constant(program);
    constant.Binary(Op::SpeedKmh, Type::Decimal,
                    constant.Const(Type::Decimal, c.km),
                    constant.Const(Type::Duration, c.seconds));
    functions.push_back(constant.Finish());
  }
  ir::Program passed = program;
  ir::RunPasses(passed);
  Engines engines(program);
  Engines passed_engines(passed);
  for (size_t i = 0; i < functions.size(); ++i) {
    const SpeedCase& c = cases[i / 2];
    INFO(c.km << " km-units in " << c.seconds << "s");
    std::vector<int64_t> record = {c.km, c.seconds};
    ir::Frame frame;
    frame.event = record.data();
    CHECK(engines.Run(functions[i], frame) == c.kmh);
    CHECK(passed_engines.Run(functions[i], frame) == c.kmh);
  }
  // A speed of constants folds to one constant.
  CHECK(passed.functions[1].body.size() == 1);
}

}  // namespace
}  // namespace parcours::jit_test
