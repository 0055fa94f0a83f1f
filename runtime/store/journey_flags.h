// One yes/no per journey index, such as "this profile's instance in that
// journey changed since the last save".
//
// The first 64 journeys fit in one word held inline, so that a profile's
// first instance allocates nothing for its flags; a `std::vector<bool>`
// would take a heap block of its own for each of millions of profiles.
// The words past it are an array whose length follows from `size()`:
// a profile holds two sets of flags, and a vector's capacity and end
// took 16 bytes more of each.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

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
    size_t had = ExtraWords(size_);
    size_t needed = ExtraWords(count);
    if (needed > had) {
      auto grown = std::make_unique<uint64_t[]>(needed);  // zeroed
      std::copy(more_.get(), more_.get() + had, grown.get());
      more_ = std::move(grown);
    }
    size_ = static_cast<uint32_t>(count);
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
    size_t words = ExtraWords(other.size_);
    for (size_t i = 0; i < words; ++i) more_[i] |= other.more_[i];
  }

  // Lowers every flag; `size()` stays.
  void ClearAll() {
    inline_ = 0;
    std::fill(more_.get(), more_.get() + ExtraWords(size_), uint64_t{0});
  }

 private:
  static constexpr size_t kInline = 64;

  // The words past the inline one that `count` flags take.
  static size_t ExtraWords(size_t count) {
    return count <= kInline ? 0 : (count - 1) / kInline;
  }

  uint64_t inline_ = 0;
  std::unique_ptr<uint64_t[]> more_;  // journeys 64 and on, 64 to a word
  // A program has far fewer than 2^32 journeys.
  uint32_t size_ = 0;
};

}  // namespace parcours::store
