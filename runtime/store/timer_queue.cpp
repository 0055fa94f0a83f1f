#include "runtime/store/timer_queue.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "runtime/common/check.h"
#include "runtime/store/state.h"

namespace parcours::store {

void TimerQueue::Push(int64_t wake_at, Instance& instance) {
  PARCOURS_CHECK(!instance.timer.queued(), "an instance has two timers");
  PARCOURS_CHECK(instance.profile != nullptr, "a timer with no profile");
  Place(TimerEntry{wake_at, &instance});
  ++size_;
}

void TimerQueue::Erase(Instance& instance) {
  TimerHandle handle = instance.timer;
  PARCOURS_CHECK(handle.queued(), "cancelling a timer that is not queued");
  PARCOURS_CHECK(
      handle.bucket < kBuckets &&
          handle.index < buckets_[handle.bucket].size() &&
          buckets_[handle.bucket][handle.index].instance == &instance,
      "a timer handle that does not match its queue");

  if (handle.bucket == kFront) {
    RemoveFromFront(handle.index);
  } else {
    // Order within a bucket does not matter: the last entry fills the gap.
    std::vector<TimerEntry>& bucket = buckets_[handle.bucket];
    if (handle.index + 1 != bucket.size()) {
      Put(handle.bucket, handle.index, bucket.back());
    }
    bucket.pop_back();
    if (bucket.empty()) MarkNonEmpty(handle.bucket, false);
  }

  instance.timer = TimerHandle{};
  --size_;
}

const TimerEntry* TimerQueue::First() {
  if (buckets_[kFront].empty()) RefillFront();
  return buckets_[kFront].empty() ? nullptr : &buckets_[kFront].front();
}

TimerEntry TimerQueue::PopFirst() {
  const TimerEntry* first = First();
  PARCOURS_CHECK(first != nullptr, "no timer to pop");
  TimerEntry popped = *first;

  RemoveFromFront(0);
  popped.instance->timer = TimerHandle{};
  --size_;
  return popped;
}

uint32_t TimerQueue::BucketFor(uint64_t radix) const {
  if (radix <= reached_) return kFront;
  int digit = (std::bit_width(radix ^ reached_) - 1) / kDigitBits;
  auto value =
      static_cast<uint32_t>(radix >> (digit * kDigitBits)) & (kDigitValues - 1);
  return 1 + static_cast<uint32_t>(digit) * kDigitValues + value;
}

void TimerQueue::Place(const TimerEntry& entry) {
  uint32_t bucket = BucketFor(Radix(entry.wake_at));
  if (bucket == kFront) {
    PushFront(entry);
  } else {
    AddToBucket(bucket, entry);
  }
}

void TimerQueue::AddToBucket(uint32_t bucket, const TimerEntry& entry) {
  std::vector<TimerEntry>& entries = buckets_[bucket];
  PARCOURS_CHECK(entries.size() < UINT32_MAX, "too many timers in a bucket");
  entries.push_back(entry);
  entry.instance->timer =
      TimerHandle{bucket, static_cast<uint32_t>(entries.size() - 1)};
  MarkNonEmpty(bucket, true);
}

void TimerQueue::MarkNonEmpty(uint32_t bucket, bool non_empty) {
  uint64_t bit = uint64_t{1} << ((bucket - 1) % 64);
  uint64_t& word = non_empty_[(bucket - 1) / 64];
  word = non_empty ? word | bit : word & ~bit;
}

void TimerQueue::RefillFront() {
  uint32_t lowest = 0;
  for (size_t word = 0; word < non_empty_.size() && lowest == 0; ++word) {
    if (non_empty_[word] == 0) continue;
    lowest = static_cast<uint32_t>(word * 64) +
             static_cast<uint32_t>(std::countr_zero(non_empty_[word])) + 1;
  }
  if (lowest == 0) return;

  // The lowest bucket holds the earliest timers; taking its earliest wake
  // time as the instant reached leaves the higher buckets valid, and sends
  // each of its timers to a lower bucket or, if due then, to the front.
  std::vector<TimerEntry> spread;
  spread.swap(buckets_[lowest]);
  MarkNonEmpty(lowest, false);

  uint64_t earliest = UINT64_MAX;
  for (const TimerEntry& entry : spread) {
    earliest = std::min(earliest, Radix(entry.wake_at));
  }
  reached_ = earliest;

  // Each move rewrites the moved instance's handle, mostly a cache miss:
  // fetching a few instances ahead lets those misses overlap.
  constexpr size_t kFetchAhead = 8;
  for (size_t i = 0; i < spread.size(); ++i) {
    if (i + kFetchAhead < spread.size()) {
      __builtin_prefetch(spread[i + kFetchAhead].instance, 1);
    }
    Place(spread[i]);
  }
}

bool TimerQueue::FiresBefore(const TimerEntry& a, const TimerEntry& b) {
  if (a.wake_at != b.wake_at) return a.wake_at < b.wake_at;
  if (a.instance->seq != b.instance->seq) {
    return a.instance->seq < b.instance->seq;
  }
  return a.instance->profile->id < b.instance->profile->id;
}

void TimerQueue::PushFront(const TimerEntry& entry) {
  std::vector<TimerEntry>& front = buckets_[kFront];
  front.push_back(entry);
  SiftUp(static_cast<uint32_t>(front.size() - 1));
}

void TimerQueue::RemoveFromFront(uint32_t index) {
  std::vector<TimerEntry>& front = buckets_[kFront];
  if (index + 1 == front.size()) {
    front.pop_back();
    return;
  }

  // The last entry takes the gap, then moves up or down to its place.
  TimerEntry moved = front.back();
  front.pop_back();
  Put(kFront, index, moved);
  if (index > 0 && FiresBefore(moved, front[(index - 1) / 2])) {
    SiftUp(index);
  } else {
    SiftDown(index);
  }
}

void TimerQueue::SiftUp(uint32_t index) {
  std::vector<TimerEntry>& front = buckets_[kFront];
  TimerEntry moving = front[index];
  while (index > 0) {
    uint32_t parent = (index - 1) / 2;
    if (!FiresBefore(moving, front[parent])) break;
    Put(kFront, index, front[parent]);
    index = parent;
  }
  Put(kFront, index, moving);
}

void TimerQueue::SiftDown(uint32_t index) {
  std::vector<TimerEntry>& front = buckets_[kFront];
  TimerEntry moving = front[index];
  auto count = static_cast<uint32_t>(front.size());
  for (;;) {
    uint32_t child = 2 * index + 1;
    if (child >= count) break;
    if (child + 1 < count && FiresBefore(front[child + 1], front[child])) {
      ++child;
    }
    if (!FiresBefore(front[child], moving)) break;
    Put(kFront, index, front[child]);
    index = child;
  }
  Put(kFront, index, moving);
}

void TimerQueue::Put(uint32_t bucket, uint32_t index, const TimerEntry& entry) {
  buckets_[bucket][index] = entry;
  entry.instance->timer = TimerHandle{bucket, index};
}

}  // namespace parcours::store
