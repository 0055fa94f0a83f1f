#include "runtime/store/key_set.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace parcours::store {

namespace {

// Blocks of key bytes are this large, or as large as one longer key.
constexpr size_t kBlockBytes = size_t{1} << 16;

// The table grows when it is 3/4 full; fewer empty slots make probes long.
constexpr size_t kFirstSlots = 1024;

// Where an empty key's bytes "are": any pointer but null, which marks an
// empty slot.
constexpr char kNoBytes = 0;

}  // namespace

uint64_t KeySet::Hash(std::string_view key) {
  // The library's byte hash, stirred so that its low bits, which pick the
  // slot, depend on all of it.
  uint64_t hash = std::hash<std::string_view>{}(key);
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  return hash;
}

size_t KeySet::Find(std::string_view key, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.bytes == nullptr) return i;
    if (slot.hash == hash && slot.length == key.size() &&
        std::memcmp(slot.bytes, key.data(), key.size()) == 0) {
      return i;
    }
  }
}

bool KeySet::Contains(std::string_view key) const {
  if (slots_.empty()) return false;
  return slots_[Find(key, Hash(key))].bytes != nullptr;
}

bool KeySet::Insert(std::string_view key) {
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
  uint64_t hash = Hash(key);
  Slot& slot = slots_[Find(key, hash)];
  if (slot.bytes != nullptr) return false;

  slot.hash = hash;
  slot.bytes = Keep(key);
  slot.length = key.size();
  ++size_;
  return true;
}

size_t KeySet::AllocatedBytes() const {
  return slots_.capacity() * sizeof(Slot) +
         blocks_.capacity() * sizeof(blocks_[0]) + blocks_bytes_;
}

const char* KeySet::Keep(std::string_view key) {
  if (key.empty()) return &kNoBytes;
  if (key.size() > block_left_) {
    size_t bytes = std::max(kBlockBytes, key.size());
    blocks_.push_back(std::make_unique<char[]>(bytes));
    blocks_bytes_ += bytes;
    block_end_ = blocks_.back().get();
    block_left_ = bytes;
  }
  char* kept = block_end_;
  std::memcpy(kept, key.data(), key.size());
  block_end_ += key.size();
  block_left_ -= key.size();
  return kept;
}

void KeySet::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? kFirstSlots : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.bytes == nullptr) continue;
    size_t i = slot.hash & mask;
    while (slots_[i].bytes != nullptr) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace parcours::store
