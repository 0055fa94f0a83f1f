// The instants at which the clock alone can flip a segment.
//
// A segment that compares `now` with stored values changes, with no event
// arriving, only where one of those comparisons changes: at a crossing.
// For each such comparison the compiler derives functions of the profile
// alone (they never read the clock) that give its crossing instants; the
// runtime evaluates them after every change to the profile and re-checks
// the profile at the earliest one still ahead, so the segment flips at
// that exact second.
//
// A comparison gets crossings when one side is linear in `now` with slope
// 1 or -1 (`now - profile.joined > 30d`, `profile.renews_at < now + 1d`)
// and the other does not read the clock, or when one side is a whole count
// of units of such a duration (`days_since(x) >= 90`) and the other does
// not read the clock. Any other comparison that reads `now` gets none: its
// segment still changes at the profile's events and window moves only.
#pragma once

#include "compiler/ir/ir.h"

namespace parcours::ir {

// Fills `Segment::crossings` of every segment and `ConditionalExit::
// crossings` of every `exit when`, adding the functions.
void DeriveCrossings(Program& program);

}  // namespace parcours::ir
