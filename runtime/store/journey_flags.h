// One yes/no per journey index, such as "this profile's instance in that
// journey changed since the last save".
//
// The first 64 journeys fit in one word held inline, so that a profile's
// first instance allocates nothing for its flags; a `std::vector<bool>`
// would take a heap block of its own for each of millions of profiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parcours::store {

class JourneyFlags {
 public:
  // How many journeys have a flag: all those below the highest `Grow`.
  size_t size() const { return size_; }

  bool operator[](size_t journey) const {
    uint64_t word = journey < kInline ? inline_ : more_[journey / kInline - 1];
    return ((word >> (journey % kInline)) & 1) != 0;
  }

  // Gives journeys below `count` a flag, clear if new.
  void Grow(size_t count) {
    if (count <= size_) return;
    size_ = count;
    size_t words = (count + kInline - 1) / kInline;
    if (words > 1) more_.resize(words - 1, 0);
  }

  // Raises the flag of `journey`, which must be below `size()`.
  void Set(size_t journey) {
    uint64_t bit = uint64_t{1} << (journey % kInline);
    if (journey < kInline) {
      inline_ |= bit;
    } else {
      more_[journey / kInline - 1] |= bit;
    }
  }

  // Raises every flag raised in `other`, growing to its size.
  void Merge(const JourneyFlags& other) {
    Grow(other.size_);
    inline_ |= other.inline_;
    for (size_t i = 0; i < other.more_.size(); ++i) more_[i] |= other.more_[i];
  }

  // Lowers every flag; `size()` stays.
  void ClearAll() {
    inline_ = 0;
    for (uint64_t& word : more_) word = 0;
  }

 private:
  static constexpr size_t kInline = 64;

  uint64_t inline_ = 0;
  std::vector<uint64_t> more_;  // journeys 64 and on, 64 to a word
  size_t size_ = 0;
};

}  // namespace parcours::store
