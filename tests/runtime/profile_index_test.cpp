// The profiles of a state by id (runtime/store/profile_index.h).
#include "runtime/store/profile_index.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "runtime/store/state.h"

namespace parcours::store {
namespace {

TEST_CASE("profiles are found by id among many, and kept in order",
          "[runtime][profile_index]") {
  ProfileIndex index;
  CHECK(index.Find("u0") == nullptr);

  // Enough ids to grow the table several times; ids that share prefixes
  // and lengths, and the empty id.
  constexpr int kProfiles = 50000;
  for (int i = 0; i < kProfiles; ++i) {
    auto profile = std::make_unique<Profile>();
    profile->id = i == 0 ? "" : "u" + std::to_string(i);
    Profile* kept = profile.get();
    CHECK(&index.Add(std::move(profile)) == kept);
  }
  REQUIRE(index.all().size() == kProfiles);
  for (int i = 0; i < kProfiles; ++i) {
    std::string id = i == 0 ? "" : "u" + std::to_string(i);
    Profile* found = index.Find(id);
    REQUIRE(found != nullptr);
    CHECK(found->id == id);
    CHECK(index.all()[i].get() == found);
  }
  CHECK(index.Find("u0") == nullptr);
  CHECK(index.Find("u50000") == nullptr);
  CHECK(index.Find(std::string("u1\0", 3)) == nullptr);
}

}  // namespace
}  // namespace parcours::store
