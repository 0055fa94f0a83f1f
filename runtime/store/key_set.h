// A set of byte strings for the keys of applied events and dead letters:
// one lookup per input line, and millions of keys in a long replay.
//
// `std::unordered_set<std::string>` spent a node, a string and a pointer
// chase per key; here the keys' bytes sit end to end in large blocks, each
// after its length, and the table holds only a part of each key's hash
// and the key's number, probed linearly: 8 bytes a slot, where a slot of
// (hash, place, length) took 24 and made the table the largest thing a
// long replay held per profile (docs/performance.md, "Memory per
// profile"). A lookup that misses, the usual case for a new event,
// touches one or two slots and never reads a key's bytes unless the
// upper halves of their hashes agree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace parcours::store {

class KeySet {
 public:
  KeySet() = default;
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;
  KeySet(KeySet&&) noexcept = default;
  KeySet& operator=(KeySet&&) noexcept = default;

  bool Contains(std::string_view key) const;

  // Adds `key`; false when it was there already.
  bool Insert(std::string_view key);

  size_t size() const { return places_.size(); }

  // The bytes the set has asked of the allocator: its table, its keys'
  // places and its blocks of key bytes.
  size_t AllocatedBytes() const;

 private:
  struct Slot {
    uint32_t tag = 0;  // the upper half of the key's hash
    uint32_t key = 0;  // 1 + the key's index in `places_`; 0: empty
  };

  static uint64_t Hash(std::string_view key);
  // The slot holding `key`, or the empty slot where it would go.
  size_t Find(std::string_view key, uint64_t hash) const;
  // The key numbered `index` (from 0, in order of insertion).
  std::string_view KeyAt(size_t index) const;
  // Copies `key`, after its length, into the blocks; its bytes never move
  // afterwards.
  const char* Keep(std::string_view key);
  void Grow();

  std::vector<Slot> slots_;  // a power of two in size, or empty
  // Where each key's length, then its bytes, sit in the blocks.
  std::vector<const char*> places_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t blocks_bytes_ = 0;
  size_t block_left_ = 0;  // free bytes at the end of the last block
  char* block_end_ = nullptr;
};

}  // namespace parcours::store
