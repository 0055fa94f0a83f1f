#include "runtime/store/profile_index.h"

#include <functional>
#include <utility>

#include "runtime/common/check.h"
#include "runtime/store/state.h"

namespace parcours::store {

namespace {

constexpr size_t kFirstSlots = 1024;

}  // namespace

uint64_t ProfileIndex::Hash(std::string_view id) {
  // The library's byte hash, stirred so that its low bits, which pick the
  // slot, depend on all of it (as in KeySet).
  uint64_t hash = std::hash<std::string_view>{}(id);
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

size_t ProfileIndex::Probe(std::string_view id, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.profile == nullptr) return i;
    if (slot.hash == hash && slot.profile->id == id) return i;
  }
}

Profile* ProfileIndex::Find(std::string_view id) const {
  return Find(id, Hash(id));
}

Profile* ProfileIndex::Find(std::string_view id, uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  return slots_[Probe(id, hash)].profile;
}

void ProfileIndex::PrefetchSlot(uint64_t hash) const {
  if (slots_.empty()) return;
  __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
}

void ProfileIndex::PrefetchProfile(uint64_t hash) const {
  if (slots_.empty()) return;
  // The first profile the probe will compare; on a collision the next
  // ones are not fetched, which costs only time.
  const Slot& slot = slots_[hash & (slots_.size() - 1)];
  if (slot.profile != nullptr) __builtin_prefetch(slot.profile);
}

Profile& ProfileIndex::Add(std::unique_ptr<Profile> profile) {
  uint64_t hash = Hash(profile->id);
  return Add(std::move(profile), hash);
}

Profile& ProfileIndex::Add(std::unique_ptr<Profile> profile, uint64_t hash) {
  // Grows at 3/4 full, so that probes stay short.
  if ((owned_.size() + 1) * 4 > slots_.size() * 3) Grow();
  Slot& slot = slots_[Probe(profile->id, hash)];
  PARCOURS_CHECK(slot.profile == nullptr, "profile adopted twice");

  slot.hash = hash;
  slot.profile = profile.get();
  owned_.push_back(std::move(profile));
  return *owned_.back();
}

void ProfileIndex::Reserve(size_t count) {
  if (count == 0) return;
  owned_.reserve(count);

  // The smallest power of two that holds `count` at most 3/4 full.
  size_t wanted = slots_.empty() ? kFirstSlots : slots_.size();
  while (count * 4 > wanted * 3) wanted *= 2;
  if (wanted > slots_.size()) Rehash(wanted);
}

void ProfileIndex::Grow() {
  Rehash(slots_.empty() ? kFirstSlots : slots_.size() * 2);
}

void ProfileIndex::Rehash(size_t slot_count) {
  Slots old = std::move(slots_);
  slots_.assign(slot_count, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.profile == nullptr) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].profile != nullptr) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace parcours::store
