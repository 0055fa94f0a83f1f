// The set of applied event keys and dead-letter keys (runtime/store/
// key_set.h), against the standard library's set.
#include "runtime/store/key_set.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <unordered_set>

namespace parcours::store {
namespace {

TEST_CASE("a key set answers like a standard set over many keys",
          "[runtime][key_set]") {
  KeySet keys;
  std::unordered_set<std::string> reference;
  // A seeded walk through keys of every length from 0 to 80 bytes, many
  // repeated, so that the table grows several times and probes collide.
  uint64_t state = 20261204;
  auto draw = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int i = 0; i < 200000; ++i) {
    std::string key(draw() % 81, '\0');
    for (char& c : key) c = static_cast<char>('a' + draw() % 3);
    bool new_key = reference.insert(key).second;
    if (draw() % 2 == 0) {
      REQUIRE(keys.Insert(key) == new_key);
    } else {
      REQUIRE(keys.Contains(key) == !new_key);
      REQUIRE(keys.Insert(key) == new_key);
    }
  }
  CHECK(keys.size() == reference.size());
  for (const std::string& key : reference) CHECK(keys.Contains(key));
  CHECK_FALSE(keys.Contains(std::string(81, 'a')));
}

TEST_CASE("a key set keeps the empty key and keys longer than a block",
          "[runtime][key_set]") {
  KeySet keys;
  CHECK_FALSE(keys.Contains(""));
  CHECK(keys.Insert(""));
  CHECK(keys.Contains(""));
  CHECK_FALSE(keys.Insert(""));

  std::string huge(300000, 'x');
  CHECK(keys.Insert(huge));
  CHECK(keys.Insert("after the huge one"));
  huge.back() = 'y';
  CHECK_FALSE(keys.Contains(huge));
  huge.back() = 'x';
  CHECK(keys.Contains(huge));
  CHECK(keys.Contains("after the huge one"));
  CHECK(keys.size() == 3);
}

TEST_CASE("keys that differ only in bytes past a NUL are different keys",
          "[runtime][key_set]") {
  KeySet keys;
  CHECK(keys.Insert(std::string("id\0a", 4)));
  CHECK_FALSE(keys.Contains(std::string("id\0b", 4)));
  CHECK_FALSE(keys.Contains("id"));
  CHECK(keys.Insert(std::string("id\0b", 4)));
  CHECK(keys.size() == 2);
}

TEST_CASE("a key set spends under 48 bytes a short key", "[runtime][key_set]") {
  // A long replay keeps one message id per event: a table of 24-byte
  // slots, at most 3/4 full, took 72 bytes for each of these.
  KeySet keys;
  constexpr size_t kKeys = 100000;
  for (size_t i = 0; i < kKeys; ++i) {
    std::string key = "o-" + std::to_string(1000000 + i);
    REQUIRE(keys.Insert(key));
  }
  CHECK(keys.size() == kKeys);
  CHECK(keys.AllocatedBytes() < 48 * kKeys);
  CHECK(keys.Contains("o-1000000"));
  CHECK(keys.Contains("o-1099999"));
  CHECK_FALSE(keys.Contains("o-1100000"));
}

}  // namespace
}  // namespace parcours::store
