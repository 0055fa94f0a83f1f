// Split arms and holdouts: stable, documented, and exact at the edges.
#include "runtime/engine/assignment.h"

#include <catch2/catch.hpp>

#include "runtime/common/hash.h"

namespace parcours {
namespace {

ir::SplitArm Arm(const std::string& name, int64_t percent) {
  ir::SplitArm arm;
  arm.name = name;
  arm.percent = percent * ir::kDecimalScale;
  return arm;
}

TEST_CASE("a bucket is FNV-1a of the joined key, modulo 100%") {
  uint64_t hash = common::Fnv1a64(
      "p1\x1fj\x1f"
      "a\x1f"
      "b");
  CHECK(engine::Bucket("p1", "j", {"a", "b"}) ==
        static_cast<int64_t>(hash % 100'000'000));
  // Each part is delimited, so moving a byte across parts changes it.
  CHECK(engine::Bucket("p1", "j", {"ab"}) !=
        engine::Bucket("p1", "j", {"a", "b"}));
}

TEST_CASE("an arm of 0% is never chosen, one of 100% always") {
  std::vector<ir::SplitArm> arms = {Arm("never", 0), Arm("always", 100)};
  for (int i = 0; i < 200; ++i) {
    CHECK(engine::ChooseArm("u" + std::to_string(i), "j", arms) == 1);
  }
}

TEST_CASE("arms share the contacts about as their percentages say") {
  std::vector<ir::SplitArm> arms = {Arm("a", 20), Arm("b", 80)};
  int first = 0;
  for (int i = 0; i < 10'000; ++i) {
    if (engine::ChooseArm("user" + std::to_string(i), "j", arms) == 0) {
      ++first;
    }
  }
  CHECK(first > 1'800);
  CHECK(first < 2'200);
}

TEST_CASE("a holdout of 0% holds no one and of 100% everyone") {
  ir::Journey journey;
  journey.name = "j";
  for (int i = 0; i < 100; ++i) {
    std::string profile = "u" + std::to_string(i);
    journey.holdout = 0;
    CHECK_FALSE(engine::IsHeldOut(profile, journey));
    journey.holdout = 100 * ir::kDecimalScale;
    CHECK(engine::IsHeldOut(profile, journey));
  }
}

}  // namespace
}  // namespace parcours
