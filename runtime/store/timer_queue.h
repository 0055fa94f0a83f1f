// The pending timers of one partition's waiting journey instances.
//
// Timers fire in order of wake time, then of instance number, then of
// profile id (`TimerKey`). Millions of instances may wait at once, so
// scheduling and cancelling must not cost a tree walk: the queue is a radix
// heap on the wake time, in base 256. A timer sits in the bucket named by
// the highest byte in which its wake time differs from the last wake time
// the queue reached, and by its own value of that byte, in no order within
// it; each instance keeps the place of its timer (`TimerHandle`), so
// cancelling is a swap with the bucket's last entry. Only when the timers at
// the front run out is the lowest non-empty bucket spread into lower ones,
// and the timers due at its earliest instant go to the front, a small binary
// heap in full key order. A timer moves down at most once per byte before
// it fires (a wider digit means fewer moves, each of which rewrites the
// instance's handle, and more buckets). Timers set before the instant the
// queue reached (late ones) also go to the front, which keeps them in order
// at the cost of a heap operation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace parcours::store {

struct Instance;

// Where an instance's pending timer sits in its `TimerQueue`.
struct TimerHandle {
  static constexpr uint32_t kNotQueued = UINT32_MAX;

  uint32_t bucket = kNotQueued;
  uint32_t index = 0;

  bool queued() const { return bucket != kNotQueued; }
};

// One pending timer; the instance holds its number, its journey and its
// profile (whose id breaks the last ties).
struct TimerEntry {
  int64_t wake_at = 0;
  Instance* instance = nullptr;
};

class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Queues a timer for `instance`, which must not have one and must know
  // its profile; its number, journey and profile must not change while it
  // waits.
  void Push(int64_t wake_at, Instance& instance);

  // Cancels `instance`'s timer, which must be queued.
  void Erase(Instance& instance);

  // The earliest timer, or null when none is pending. Not const: it may
  // first move the next instant's timers to the front.
  const TimerEntry* First();

  // Removes the earliest timer, which must exist, and returns it.
  TimerEntry PopFirst();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  // Bucket 0 is the front heap; bucket 1 + 256 d + v holds the timers
  // whose wake time first differs from `reached_` in byte d, where theirs
  // is v. Buckets in that order hold ever later wake times.
  static constexpr uint32_t kFront = 0;
  static constexpr int kDigitBits = 8;
  static constexpr uint32_t kDigitValues = 1 << kDigitBits;
  static constexpr int kBuckets = 1 + (64 / kDigitBits) * kDigitValues;

  // Wake times as unsigned numbers in the same order.
  static uint64_t Radix(int64_t wake_at) {
    return static_cast<uint64_t>(wake_at) ^ (uint64_t{1} << 63);
  }
  uint32_t BucketFor(uint64_t radix) const;

  void Place(const TimerEntry& entry);
  void AddToBucket(uint32_t bucket, const TimerEntry& entry);
  void MarkNonEmpty(uint32_t bucket, bool non_empty);
  void RefillFront();

  // The front heap, ordered so that its first entry fires first.
  static bool FiresBefore(const TimerEntry& a, const TimerEntry& b);
  void PushFront(const TimerEntry& entry);
  void RemoveFromFront(uint32_t index);
  void SiftUp(uint32_t index);
  void SiftDown(uint32_t index);
  void Put(uint32_t bucket, uint32_t index, const TimerEntry& entry);

  std::array<std::vector<TimerEntry>, kBuckets> buckets_;
  // Bit b - 1 is set when bucket b > 0 has timers.
  std::array<uint64_t, (kBuckets - 1) / 64> non_empty_{};
  uint64_t reached_ = 0;  // the radix of the last instant moved to front
  size_t size_ = 0;
};

}  // namespace parcours::store
