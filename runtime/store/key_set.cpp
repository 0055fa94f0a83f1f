#include "runtime/store/key_set.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "runtime/common/check.h"

namespace parcours::store {

namespace {

// Blocks of key bytes are this large, or as large as one longer key.
constexpr size_t kBlockBytes = size_t{1} << 16;

// The table grows when it is 3/4 full; fewer empty slots make probes long.
constexpr size_t kFirstSlots = 1024;

// Each key's bytes follow its length, in this many bytes.
constexpr size_t kLengthBytes = sizeof(uint32_t);

uint32_t TagOf(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }

}  // namespace

uint64_t KeySet::Hash(std::string_view key) {
  // The library's byte hash, stirred so that its low bits, which pick the
  // slot, and its upper half, the slot's tag, depend on all of it.
  uint64_t hash = std::hash<std::string_view>{}(key);
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

std::string_view KeySet::KeyAt(size_t index) const {
  const char* place = places_[index];
  uint32_t length = 0;
  std::memcpy(&length, place, kLengthBytes);
  return std::string_view(place + kLengthBytes, length);
}

size_t KeySet::Find(std::string_view key, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  uint32_t tag = TagOf(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.key == 0) return i;
    if (slot.tag == tag && KeyAt(slot.key - 1) == key) return i;
  }
}

bool KeySet::Contains(std::string_view key) const {
  if (slots_.empty()) return false;
  return slots_[Find(key, Hash(key))].key != 0;
}

bool KeySet::Insert(std::string_view key) {
  if ((size() + 1) * 4 > slots_.size() * 3) Grow();
  uint64_t hash = Hash(key);
  Slot& slot = slots_[Find(key, hash)];
  if (slot.key != 0) return false;

  PARCOURS_CHECK(key.size() <= UINT32_MAX && places_.size() < UINT32_MAX,
                 "a key set holds fewer than 2^32 keys of under 4 GiB");
  places_.push_back(Keep(key));
  slot.tag = TagOf(hash);
  slot.key = static_cast<uint32_t>(places_.size());
  return true;
}

size_t KeySet::AllocatedBytes() const {
  return slots_.capacity() * sizeof(Slot) +
         places_.capacity() * sizeof(const char*) +
         blocks_.capacity() * sizeof(blocks_[0]) + blocks_bytes_;
}

const char* KeySet::Keep(std::string_view key) {
  size_t needed = kLengthBytes + key.size();
  if (needed > block_left_) {
    size_t bytes = std::max(kBlockBytes, needed);
    blocks_.push_back(std::make_unique<char[]>(bytes));
    blocks_bytes_ += bytes;
    block_end_ = blocks_.back().get();
    block_left_ = bytes;
  }
  char* kept = block_end_;
  uint32_t length = static_cast<uint32_t>(key.size());
  std::memcpy(kept, &length, kLengthBytes);
  std::memcpy(kept + kLengthBytes, key.data(), key.size());
  block_end_ += needed;
  block_left_ -= needed;
  return kept;
}

void KeySet::Grow() {
  // The table keeps no slot's full hash, so each key is hashed again, in
  // the order the keys were kept: the blocks are read once, in order.
  slots_.assign(slots_.empty() ? kFirstSlots : slots_.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (size_t index = 0; index < places_.size(); ++index) {
    uint64_t hash = Hash(KeyAt(index));
    size_t i = hash & mask;
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = Slot{TagOf(hash), static_cast<uint32_t>(index + 1)};
  }
}

}  // namespace parcours::store
