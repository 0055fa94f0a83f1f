// The events a profile keeps for its windows, and the windows' values and
// next moves (runtime/store/history.h).
#include "runtime/store/history.h"

#include <catch2/catch.hpp>
#include <optional>

#include "runtime/engine/calendar.h"

namespace parcours::store {
namespace {

constexpr int64_t kDay = 86400;

// Calendar units in UTC; the windows here are in exact seconds.
int64_t InUtc(int64_t time, int64_t count, ir::CalendarUnit unit) {
  return engine::AddCalendar(time, count, unit, "");
}

// One event type read by `count(E within 10d)` and `count(E between 10d
// and 2d ago)`: kept for 10 days.
ir::Program WindowProgram() {
  ir::Program program;
  ir::EventType event;
  event.name = "E";
  event.record_words = 1;
  program.events.push_back(event);
  ir::Aggregate within;
  within.windowed = true;
  within.window_far = 10 * kDay;
  within.offset = 0;
  ir::Aggregate between = within;
  between.window_near = 2 * kDay;
  between.offset = 1;
  program.aggregates = {within, between};
  program.profile_words = 2;
  ir::AnalyzeDependencies(program);
  return program;
}

TEST_CASE("a kept event holds the words up to its last kept field only",
          "[runtime][history]") {
  // E { note: string, amount: int, extra: int, tail: int }, 5 words; a
  // window sums `amount` (word 2) and another counts: a kept event needs
  // 3 words, and a type only counted needs none.
  ir::Program program;
  ir::EventType event;
  event.name = "E";
  event.record_words = 5;
  const char* names[] = {"note", "amount", "extra", "tail"};
  int32_t offsets[] = {0, 2, 3, 4};
  for (int i = 0; i < 4; ++i) {
    ir::Field field;
    field.name = names[i];
    field.type = i == 0 ? ir::Type::String : ir::Type::Int;
    field.offset = offsets[i];
    event.fields.push_back(field);
  }
  program.events.push_back(event);
  event.name = "Counted";
  program.events.push_back(event);
  ir::Aggregate sum;
  sum.kind = ir::AggregateKind::Sum;
  sum.type = ir::Type::Int;
  sum.field = 1;
  sum.windowed = true;
  sum.window_far = 10 * kDay;
  sum.offset = 0;
  ir::Aggregate count;
  count.event_type = 1;
  count.windowed = true;
  count.window_far = 10 * kDay;
  count.offset = 1;
  program.aggregates = {sum, count};
  program.profile_words = 2;
  ir::AnalyzeDependencies(program);

  Profile profile;
  profile.record = common::Record(program.profile_words);
  common::Record record(5);
  record.SetString(0, "a note no window reads");
  record.Set(2, 40);
  record.Set(3, 7);
  int64_t now = 100 * kDay;
  REQUIRE(KeepEvent(program, profile, 0, now, record, now));
  REQUIRE(KeepEvent(program, profile, 1, now, record, now));

  const common::Record& summed = profile.history[0][0].record;
  CHECK(summed.size() == 3);
  CHECK(summed.Get(2) == 40);
  CHECK(summed.GetString(0).empty());
  CHECK(profile.history[1][0].record.size() == 0);
  RefreshWindows(program, profile, now, InUtc);
  CHECK(profile.record.Get(0) == 40);
  CHECK(profile.record.Get(1) == 1);
}

TEST_CASE("kept events stay in time order, and too old ones are not kept",
          "[runtime][history]") {
  ir::Program program = WindowProgram();
  REQUIRE(program.events[0].history_seconds == 10 * kDay);
  Profile profile;
  profile.record = common::Record(program.profile_words);
  common::Record event(1);

  int64_t now = 100 * kDay;
  CHECK(KeepEvent(program, profile, 0, now - kDay, event, now));
  CHECK(KeepEvent(program, profile, 0, now - 5 * kDay, event, now));
  CHECK(KeepEvent(program, profile, 0, now + kDay, event, now));
  // Exactly as old as the widest window: no window can read it again.
  CHECK_FALSE(KeepEvent(program, profile, 0, now - 10 * kDay, event, now));
  CHECK(KeepEvent(program, profile, 0, now - 10 * kDay + 1, event, now));

  std::vector<int64_t> times;
  for (const KeptEvent& kept : profile.history[0]) times.push_back(kept.at);
  CHECK(times == std::vector<int64_t>{now - 10 * kDay + 1, now - 5 * kDay,
                                      now - kDay, now + kDay});

  // Within 10 days: all but the future one. Between 10 and 2 days ago:
  // the two older ones.
  RefreshWindows(program, profile, now, InUtc);
  CHECK(profile.record.Get(0) == 3);
  CHECK(profile.record.Get(1) == 2);

  // Next: the oldest leaves both windows one second from now.
  CHECK(NextWindowChange(program, profile, now, InUtc) == now + 1);
  RefreshWindows(program, profile, now + 1, InUtc);
  CHECK(profile.record.Get(0) == 2);
  CHECK(profile.record.Get(1) == 1);
  CHECK(profile.history[0].size() == 3);

  // Then the future one comes of age, at its own time.
  CHECK(NextWindowChange(program, profile, now + 1, InUtc) == now + kDay);
  RefreshWindows(program, profile, now + kDay, InUtc);
  CHECK(profile.record.Get(0) == 3);
}

TEST_CASE("a profile with nothing kept has no next window move",
          "[runtime][history]") {
  ir::Program program = WindowProgram();
  Profile profile;
  profile.record = common::Record(program.profile_words);
  CHECK(NextWindowChange(program, profile, 0, InUtc) == std::nullopt);
  RefreshWindows(program, profile, 0, InUtc);
  CHECK(profile.record.Get(0) == 0);
}

}  // namespace
}  // namespace parcours::store
