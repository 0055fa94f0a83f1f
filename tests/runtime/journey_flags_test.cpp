// Flags by journey index, inline for the first 64 journeys and beyond.
#include "runtime/store/journey_flags.h"

#include <catch2/catch.hpp>

namespace parcours::store {
namespace {

TEST_CASE("journey flags start clear and keep what is set", "[journey_flags]") {
  JourneyFlags flags;
  CHECK(flags.size() == 0);

  flags.Grow(3);
  CHECK(flags.size() == 3);
  flags.Set(1);
  CHECK_FALSE(flags[0]);
  CHECK(flags[1]);
  CHECK_FALSE(flags[2]);

  // Growing keeps the flags set and never shrinks.
  flags.Grow(2);
  CHECK(flags.size() == 3);
  CHECK(flags[1]);
}

TEST_CASE("journey flags past the first 64 journeys", "[journey_flags]") {
  JourneyFlags flags;
  flags.Grow(200);
  flags.Set(0);
  flags.Set(63);
  flags.Set(64);
  flags.Set(199);
  for (size_t journey = 0; journey < 200; ++journey) {
    bool expected =
        journey == 0 || journey == 63 || journey == 64 || journey == 199;
    CHECK(flags[journey] == expected);
  }

  flags.ClearAll();
  CHECK(flags.size() == 200);
  for (size_t journey = 0; journey < 200; ++journey)
    CHECK_FALSE(flags[journey]);
}

TEST_CASE("journey flags merge past the first 64 and take three words",
          "[journey_flags]") {
  JourneyFlags changed;
  changed.Grow(130);
  changed.Set(2);
  changed.Set(129);
  JourneyFlags unsaved;
  unsaved.Grow(70);
  unsaved.Set(65);
  unsaved.Merge(changed);
  CHECK(unsaved.size() == 130);
  for (size_t journey = 0; journey < 130; ++journey) {
    bool expected = journey == 2 || journey == 65 || journey == 129;
    CHECK(unsaved[journey] == expected);
  }

  // A profile holds two of these; a vector for the words past the first
  // made each five words.
  CHECK(sizeof(JourneyFlags) <= 3 * sizeof(uint64_t));
}

}  // namespace
}  // namespace parcours::store
