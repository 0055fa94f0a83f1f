// The timer queue against an ordered map of the same keys: random mixes of
// scheduling, cancelling, rescheduling and firing must pop in exactly the
// map's order (wake time, instance number, profile id), with the first
// timer checked after every step.
#include "runtime/store/timer_queue.h"

#include <catch2/catch.hpp>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/store/state.h"

namespace parcours::store {
namespace {

using Key = std::tuple<int64_t, int64_t, std::string>;

// Profiles with one instance each; instance numbers repeat across profiles
// (they are unique per profile only), so ties reach the profile id.
struct Population {
  std::vector<std::unique_ptr<Profile>> profiles;
  std::vector<std::unique_ptr<Instance>> instances;

  Population(int count, std::mt19937_64& random) {
    std::uniform_int_distribution<int64_t> seq(1, 8);
    std::uniform_int_distribution<int> letters(1, 4);
    for (int i = 0; i < count; ++i) {
      auto profile = std::make_unique<Profile>();
      // Ids of different lengths, some prefixes of others.
      profile->id = "p" +
                    std::string(static_cast<size_t>(letters(random)),
                                static_cast<char>('a' + i % 3)) +
                    std::to_string(i);
      auto instance = std::make_unique<Instance>();
      instance->profile = profile.get();
      instance->journey = i % 3;
      instance->seq = seq(random);
      profiles.push_back(std::move(profile));
      instances.push_back(std::move(instance));
    }
  }

  Key KeyOf(int i, int64_t wake_at) const {
    return {wake_at, instances[i]->seq, profiles[i]->id};
  }
};

// Picks wake times as a run does, and as a run should survive: mostly
// ahead of the clock, often at the same instant as others, sometimes in the
// past (a late timer after a restart), rarely at the ends of time.
class WakeTimes {
 public:
  explicit WakeTimes(std::mt19937_64& random) : random_(random) {}

  int64_t Next(int64_t now) {
    int kind = Uniform(0, 99);
    if (kind < 30) return now + Uniform(0, 3);  // ties
    if (kind < 60) return now + Uniform(0, 86'400);
    if (kind < 75) return now + Uniform(0, 31'536'000);
    if (kind < 85) return now - Uniform(1, 100'000);  // late
    if (kind < 90) return now;
    if (kind < 95) return now + (int64_t{1} << Uniform(20, 40));
    if (kind < 97) return INT64_MAX;
    if (kind < 99) return INT64_MIN;
    return Uniform(-3, 3);
  }

  int64_t Uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }

 private:
  std::mt19937_64& random_;
};

void CheckFirst(TimerQueue& queue, const std::map<Key, int>& expected,
                const Population& population) {
  const TimerEntry* first = queue.First();
  REQUIRE(queue.size() == expected.size());
  if (expected.empty()) {
    REQUIRE(first == nullptr);
    return;
  }
  REQUIRE(first != nullptr);
  int index = expected.begin()->second;
  REQUIRE(first->instance == population.instances[index].get());
  REQUIRE(first->instance->profile == population.profiles[index].get());
  REQUIRE(first->wake_at == std::get<0>(expected.begin()->first));
}

// Runs `steps` random operations on `count` instances; `pop_weight` out of
// 100 steps fire the first timer, so the queue's size hovers where pushes
// and pops balance.
void RunDifferential(uint64_t seed, int count, int64_t steps, int pop_weight) {
  std::mt19937_64 random(seed);
  Population population(count, random);
  WakeTimes wake_times(random);
  TimerQueue queue;
  std::map<Key, int> expected;
  std::vector<int64_t> wake_of(static_cast<size_t>(count), 0);
  int64_t now = 1'293'840'000;
  int64_t popped = 0;

  for (int64_t step = 0; step < steps; ++step) {
    int action = static_cast<int>(wake_times.Uniform(0, 99));
    if (action < pop_weight) {
      if (!expected.empty()) {
        auto [key, index] = *expected.begin();
        TimerEntry entry = queue.PopFirst();
        REQUIRE(entry.instance == population.instances[index].get());
        REQUIRE(entry.wake_at == std::get<0>(key));
        REQUIRE_FALSE(entry.instance->timer.queued());
        expected.erase(expected.begin());
        ++popped;
        // The clock follows the timers, never back.
        if (std::get<0>(key) > now && std::get<0>(key) < INT64_MAX / 2) {
          now = std::get<0>(key);
        }
      }
    } else if (action < pop_weight + 2) {
      now += int64_t{1} << wake_times.Uniform(24, 44);  // a jump on replay
    } else {
      int index = static_cast<int>(wake_times.Uniform(0, count - 1));
      Instance& instance = *population.instances[index];
      bool queued = instance.timer.queued();
      if (queued) {
        queue.Erase(instance);
        expected.erase(population.KeyOf(index, wake_of[index]));
      }
      // A queued instance is cancelled for good a third of the time, and
      // otherwise rescheduled.
      if (!queued || action % 3 != 0) {
        int64_t wake_at = wake_times.Next(now);
        queue.Push(wake_at, instance);
        wake_of[index] = wake_at;
        expected.emplace(population.KeyOf(index, wake_at), index);
      }
    }
    CheckFirst(queue, expected, population);
  }

  // Drain what is left, in order.
  while (!expected.empty()) {
    REQUIRE(queue.PopFirst().instance ==
            population.instances[expected.begin()->second].get());
    expected.erase(expected.begin());
    ++popped;
  }
  CHECK(queue.empty());
  CHECK(queue.First() == nullptr);
  CHECK(popped > steps / 20);
}

TEST_CASE("timer queue pops in key order through random operations",
          "[timer_queue]") {
  // Few instances: many ties and collisions of instance numbers.
  RunDifferential(1, 40, 400'000, 30);
  // Many instances and a queue thousands deep.
  RunDifferential(2, 20'000, 1'500'000, 30);
  // Pushes outrun pops, then the drain sorts everything left.
  RunDifferential(3, 100'000, 600'000, 10);
  // Mostly firing: the front empties often and buckets are spread.
  RunDifferential(4, 5'000, 1'000'000, 60);
}

TEST_CASE("an empty timer queue has no first timer", "[timer_queue]") {
  TimerQueue queue;
  CHECK(queue.empty());
  CHECK(queue.First() == nullptr);
  CHECK(queue.First() == nullptr);
  CHECK(queue.size() == 0);
}

TEST_CASE("one timer comes out once", "[timer_queue]") {
  TimerQueue queue;
  Profile profile;
  profile.id = "ann";
  Instance instance;
  instance.seq = 7;
  instance.profile = &profile;

  queue.Push(100, instance);
  REQUIRE(queue.First() != nullptr);
  CHECK(queue.First()->wake_at == 100);
  CHECK(queue.First()->instance == &instance);
  CHECK(instance.timer.queued());

  TimerEntry popped = queue.PopFirst();
  CHECK(popped.wake_at == 100);
  CHECK(popped.instance == &instance);
  CHECK_FALSE(instance.timer.queued());
  CHECK(queue.First() == nullptr);

  // It can be queued again, then cancelled.
  queue.Push(50, instance);
  queue.Erase(instance);
  CHECK(queue.empty());
  CHECK(queue.First() == nullptr);
}

struct Waiter {
  Profile profile;
  Instance instance;

  Waiter(std::string id, int64_t seq) {
    profile.id = std::move(id);
    instance.seq = seq;
    instance.profile = &profile;
  }
  // The instance points at the profile beside it.
  Waiter(const Waiter&) = delete;
};

TEST_CASE("timers at one instant fire by instance number, then profile id",
          "[timer_queue]") {
  Waiter bob("bob", 2);
  Waiter ann("ann", 2);
  Waiter cy("cy", 1);
  Waiter early("zed", 9);
  TimerQueue queue;
  queue.Push(500, bob.instance);
  queue.Push(500, ann.instance);
  queue.Push(500, cy.instance);
  queue.Push(499, early.instance);

  CHECK(queue.PopFirst().instance->profile == &early.profile);
  CHECK(queue.PopFirst().instance->profile == &cy.profile);
  // Another timer at the instant being fired still takes its turn.
  Waiter again("abe", 2);
  queue.Push(500, again.instance);
  CHECK(queue.PopFirst().instance->profile == &again.profile);
  CHECK(queue.PopFirst().instance->profile == &ann.profile);
  CHECK(queue.PopFirst().instance->profile == &bob.profile);
  CHECK(queue.empty());
}

TEST_CASE("a timer set in the past fires before the later ones",
          "[timer_queue]") {
  Waiter first("a", 1);
  Waiter later("b", 2);
  Waiter late("c", 3);
  Waiter later_still("d", 4);
  TimerQueue queue;
  queue.Push(1'000, first.instance);
  queue.Push(5'000, later.instance);
  CHECK(queue.PopFirst().wake_at == 1'000);

  // Before the instant last fired, and before the one after it.
  queue.Push(10, late.instance);
  queue.Push(3'000, later_still.instance);
  CHECK(queue.First()->wake_at == 10);
  CHECK(queue.PopFirst().instance->profile == &late.profile);
  CHECK(queue.PopFirst().instance->profile == &later_still.profile);
  CHECK(queue.PopFirst().instance->profile == &later.profile);
  CHECK(queue.empty());
}

TEST_CASE("timers at the ends of time keep their order", "[timer_queue]") {
  Waiter never("never", 1);
  Waiter never_too("never", 2);
  Waiter dawn("dawn", 1);
  Waiter epoch("epoch", 1);
  Waiter before("before", 1);
  TimerQueue queue;
  queue.Push(INT64_MAX, never_too.instance);
  queue.Push(INT64_MAX, never.instance);
  queue.Push(0, epoch.instance);
  queue.Push(INT64_MIN, dawn.instance);
  queue.Push(-1, before.instance);

  CHECK(queue.PopFirst().wake_at == INT64_MIN);
  CHECK(queue.PopFirst().wake_at == -1);
  CHECK(queue.PopFirst().wake_at == 0);
  CHECK(queue.PopFirst().instance->profile == &never.profile);
  // Back to the start of time after the queue reached its end.
  queue.Push(INT64_MIN, dawn.instance);
  CHECK(queue.PopFirst().wake_at == INT64_MIN);
  CHECK(queue.PopFirst().instance->profile == &never_too.profile);
  CHECK(queue.empty());
}

TEST_CASE("cancelling from the front and from a bucket keeps the rest",
          "[timer_queue]") {
  std::vector<std::unique_ptr<Waiter>> waiters;
  TimerQueue queue;
  for (int i = 0; i < 10; ++i) {
    waiters.push_back(std::make_unique<Waiter>("w" + std::to_string(i), i));
    // Five at one instant, five spread after it.
    int64_t wake_at = i < 5 ? 100 : 100 + i * 1'000;
    queue.Push(wake_at, waiters[i]->instance);
  }
  REQUIRE(queue.First()->instance == &waiters[0]->instance);

  queue.Erase(waiters[0]->instance);  // the first one, at the front
  queue.Erase(waiters[3]->instance);  // inside the front heap
  queue.Erase(waiters[7]->instance);  // in a bucket
  std::vector<int64_t> seqs;
  while (!queue.empty()) seqs.push_back(queue.PopFirst().instance->seq);
  CHECK(seqs == std::vector<int64_t>{1, 2, 4, 5, 6, 8, 9});
}

// The state's timers through its own interface, as the engine uses it.
TEST_CASE("state timers follow schedule, unschedule and removal",
          "[timer_queue]") {
  ir::Program program;
  program.journeys.resize(2);
  State state(program);
  std::mt19937_64 random(5);
  WakeTimes wake_times(random);
  std::map<Key, std::pair<Profile*, int32_t>> expected;
  std::map<std::pair<Profile*, int32_t>, Key> key_of;
  std::vector<Profile*> profiles;
  for (int i = 0; i < 300; ++i) {
    profiles.push_back(&state.FindOrCreateProfile("u" + std::to_string(i)));
  }
  int64_t now = 0;

  for (int step = 0; step < 200'000; ++step) {
    Profile& profile = *profiles[wake_times.Uniform(0, 299)];
    auto journey = static_cast<int32_t>(wake_times.Uniform(0, 1));
    std::pair<Profile*, int32_t> target{&profile, journey};
    Instance* instance = state.FindInstance(profile, journey);
    int action = static_cast<int>(wake_times.Uniform(0, 9));

    if (action < 3 && state.FirstTimer()) {
      TimerTarget woken = state.PopFirstTimer();
      std::pair<Profile*, int32_t> fired{woken.profile, woken.journey};
      REQUIRE(fired == expected.begin()->second);
      REQUIRE_FALSE(state.FindInstance(*woken.profile, woken.journey)
                        ->wake_at.has_value());
      now = std::max(now, std::get<0>(expected.begin()->first));
      key_of.erase(fired);
      expected.erase(expected.begin());
    } else if (instance == nullptr) {
      // Instances the state hands out again, as the engine's are.
      std::unique_ptr<Instance> created = state.NewInstance();
      created->journey = journey;
      // Unique per profile, as `State::TakeSeq` makes them.
      created->seq = 2 * wake_times.Uniform(0, 1) + journey + 1;
      if (action % 2 == 0) created->wake_at = wake_times.Next(now);
      if (created->wake_at) {
        Key key{*created->wake_at, created->seq, profile.id};
        expected.emplace(key, target);
        key_of.emplace(target, key);
      }
      state.AddInstance(profile, std::move(created));
    } else {
      if (key_of.count(target) != 0) {
        expected.erase(key_of[target]);
        key_of.erase(target);
      }
      if (action < 5) {
        state.RemoveInstance(profile, journey);
      } else if (action < 7) {
        state.Unschedule(profile, journey);
        REQUIRE_FALSE(instance->wake_at.has_value());
      } else {
        int64_t wake_at = wake_times.Next(now);
        state.Schedule(profile, journey, 0, wake_at);
        Key key{wake_at, instance->seq, profile.id};
        expected.emplace(key, target);
        key_of.emplace(target, key);
      }
    }

    std::optional<TimerKey> first = state.FirstTimer();
    REQUIRE(first.has_value() == !expected.empty());
    if (first) {
      const Key& key = expected.begin()->first;
      REQUIRE(first->wake_at == std::get<0>(key));
      REQUIRE(first->seq == std::get<1>(key));
      REQUIRE(first->profile == std::get<2>(key));
    }
  }
  CHECK(state.CountInstances() > 0);
}

}  // namespace
}  // namespace parcours::store
