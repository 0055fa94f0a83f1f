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

TEST_CASE("a reserved index takes its profiles without growing",
          "[runtime][profile_index]") {
  ProfileIndex index;
  CHECK(index.capacity() == 0);

  // Some profiles before the reservation, as when a state is not empty:
  // they stay findable when the table is sized again.
  for (int i = 0; i < 100; ++i) {
    auto profile = std::make_unique<Profile>();
    profile->id = "early" + std::to_string(i);
    index.Add(std::move(profile));
  }
  constexpr size_t kProfiles = 40000;
  index.Reserve(kProfiles);
  size_t reserved = index.capacity();
  CHECK(reserved >= kProfiles);
  CHECK(reserved < 2 * kProfiles);  // the smallest table that holds them

  for (size_t i = 100; i < kProfiles; ++i) {
    auto profile = std::make_unique<Profile>();
    profile->id = "u" + std::to_string(i);
    index.Add(std::move(profile));
    REQUIRE(index.capacity() == reserved);
  }
  for (int i = 0; i < 100; ++i) {
    std::string id = "early" + std::to_string(i);
    REQUIRE(index.Find(id) != nullptr);
    CHECK(index.all()[i]->id == id);
  }
  for (size_t i = 100; i < kProfiles; ++i) {
    std::string id = "u" + std::to_string(i);
    REQUIRE(index.Find(id) != nullptr);
    CHECK(index.all()[i]->id == id);
  }

  // A smaller reservation, or none, changes nothing.
  auto one_more = std::make_unique<Profile>();
  one_more->id = "one more";
  index.Add(std::move(one_more));
  index.Reserve(10);
  index.Reserve(0);
  CHECK(index.capacity() == reserved);
  CHECK(index.Find("one more") != nullptr);
  CHECK(index.Find("u100") != nullptr);
  CHECK(index.all().size() == kProfiles + 1);
}

// A load hashes ids ahead and fetches their slots and profiles before it
// looks them up (runtime/store/store.cpp): the lookups by hash must agree
// with the plain ones, also past 2 MB of slots, which the index maps as
// huge pages (runtime/common/huge_pages.h), and before any slot exists.
TEST_CASE("lookups with the hash worked out beforehand find the same",
          "[runtime][profile_index]") {
  ProfileIndex index;
  index.PrefetchSlot(ProfileIndex::Hash("u1"));
  index.PrefetchProfile(ProfileIndex::Hash("u1"));
  CHECK(index.Find("u1", ProfileIndex::Hash("u1")) == nullptr);

  constexpr int kProfiles = 200000;  // 4 MB of slots
  index.Reserve(kProfiles);
  for (int i = 0; i < kProfiles; ++i) {
    auto profile = std::make_unique<Profile>();
    profile->id = "u" + std::to_string(i);
    uint64_t hash = ProfileIndex::Hash(profile->id);
    index.PrefetchSlot(hash);
    Profile* kept = profile.get();
    CHECK(&index.Add(std::move(profile), hash) == kept);
  }
  for (int i = 0; i < kProfiles + 10; ++i) {
    std::string id = "u" + std::to_string(i);
    uint64_t hash = ProfileIndex::Hash(id);
    index.PrefetchProfile(hash);
    Profile* found = index.Find(id, hash);
    CHECK(found == index.Find(id));
    CHECK((found != nullptr) == (i < kProfiles));
    if (found != nullptr) CHECK(found->id == id);
  }
}

}  // namespace
}  // namespace parcours::store
