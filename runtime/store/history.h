// The events a profile keeps for its windowed aggregates, and the windows'
// values at an instant.
//
// A window reads the kept events whose own time `t` satisfies
// `now - far < t <= now - near` (see `ir::Aggregate`); for a bound in
// calendar units, `t + near <= now < t + far` with the units added on the
// profile's wall clock. Its value changes
// only when an event enters (at `t + near`) or leaves (at `t + far`), so
// the runtime re-checks a profile at exactly those instants and at no
// others, and between them the stored values stay exact.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/store/state.h"

namespace parcours::store {

// Keeps an event of `event_type` that happened at `at` in `profile`'s
// history, in time order (after any kept at the same instant), when a
// window reads its type and it is not already too old for every window at
// `now`. Returns whether it was kept.
bool KeepEvent(const ir::Program& program, Profile& profile, int32_t event_type,
               int64_t at, const common::Record& event, int64_t now);

// Sets `seen_before(E.field within W)` (`aggregate`) for an event of its
// type that happened at `at`, before the event is kept: true when the
// event's field has a value and an earlier kept event of the type has the
// same one, at a time `t` with `at - W < t <= at`. An event that arrived
// before counts even at the same instant; the event itself never does.
// Only the latest event of the type sets it (an older, late one leaves it
// as the latest one set it), and only while the type's history could
// still keep it, so that every event it should look at is still kept.
void UpdateSeenBefore(const ir::Program& program, Profile& profile,
                      const ir::Aggregate& aggregate, int64_t at,
                      const common::Record& event, int64_t now);

// `time` plus `count` calendar units on the profile's wall clock, for the
// bounds of windows in calendar units (`within 3 months`); the engine
// passes its calendar (runtime/engine/calendar.h) in the profile's zone.
using AddCalendarUnits =
    std::function<int64_t(int64_t time, int64_t count, ir::CalendarUnit unit)>;

// Drops the kept events no window can read at `now` or later, and writes
// each windowed aggregate's value at `now` into the profile record.
void RefreshWindows(const ir::Program& program, Profile& profile, int64_t now,
                    const AddCalendarUnits& calendar);

// The first instant after `now` at which one of `profile`'s windowed
// aggregates changes, or none when no kept event will enter or leave one.
std::optional<int64_t> NextWindowChange(const ir::Program& program,
                                        const Profile& profile, int64_t now,
                                        const AddCalendarUnits& calendar);

}  // namespace parcours::store
