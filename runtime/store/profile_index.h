// The profiles of a state by id: one lookup per input line.
//
// `std::unordered_map<std::string, std::unique_ptr<Profile>>` chased a
// bucket, a node and then the profile, three cache misses per line once
// the profiles outgrow the cache (6.7 % of a replay of 100,000 profiles,
// docs/performance.md). Here a flat table of (hash, profile) is probed
// linearly, and the id is compared in the profile itself, which the
// caller reads next anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/common/huge_pages.h"

namespace parcours::store {

struct Profile;

class ProfileIndex {
 public:
  // The profile of `id`, or null.
  Profile* Find(std::string_view id) const;

  // Takes `profile`, whose id must be new; returns it.
  Profile& Add(std::unique_ptr<Profile> profile);

  // For loads of millions of profiles, where each lookup is a cache miss
  // (two: the slot, then the profile whose id it compares). A caller that
  // knows the ids a few steps ahead works out their hashes, asks for
  // their slots (`PrefetchSlot`), a step later for the profiles in them
  // (`PrefetchProfile`), and then finds or adds by hash, so that the
  // memory arrives while it does other work.
  static uint64_t Hash(std::string_view id);
  void PrefetchSlot(uint64_t hash) const;
  void PrefetchProfile(uint64_t hash) const;
  Profile* Find(std::string_view id, uint64_t hash) const;
  Profile& Add(std::unique_ptr<Profile> profile, uint64_t hash);

  // Makes room for `count` profiles in all, so that adding them does not
  // grow the table again and again (a load knows the count beforehand).
  void Reserve(size_t count);

  // How many profiles fit before the table grows.
  size_t capacity() const { return slots_.size() / 4 * 3; }

  // Every profile, in the order they were added.
  const std::vector<std::unique_ptr<Profile>>& all() const { return owned_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    Profile* profile = nullptr;  // null: an empty slot
  };

  size_t Probe(std::string_view id, uint64_t hash) const;
  void Grow();
  void Rehash(size_t slot_count);

  using Slots = std::vector<Slot, common::HugePageAllocator<Slot>>;

  Slots slots_;  // a power of two in size, or empty
  std::vector<std::unique_ptr<Profile>> owned_;
};

}  // namespace parcours::store
