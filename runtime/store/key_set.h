// A set of byte strings for the keys of applied events and dead letters:
// one lookup per input line, and millions of keys in a long replay.
//
// `std::unordered_set<std::string>` spent a node, a string and a pointer
// chase per key; here the keys' bytes sit end to end in large blocks and
// the table holds only each key's hash and place, probed linearly. A
// lookup that misses, the usual case for a new event, touches one or two
// slots and never reads a key's bytes unless their full 64-bit hashes
// agree.
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

  size_t size() const { return size_; }

  // The bytes the set has asked of the allocator: its table and its
  // blocks of key bytes.
  size_t AllocatedBytes() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* bytes = nullptr;  // null: an empty slot
    size_t length = 0;
  };

  static uint64_t Hash(std::string_view key);
  // The slot holding `key`, or the empty slot where it would go.
  size_t Find(std::string_view key, uint64_t hash) const;
  // Copies `key` into the blocks; its bytes never move afterwards.
  const char* Keep(std::string_view key);
  void Grow();

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t blocks_bytes_ = 0;
  size_t block_left_ = 0;  // free bytes at the end of the last block
  char* block_end_ = nullptr;
};

}  // namespace parcours::store
