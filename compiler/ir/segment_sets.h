// The groups of segments the runtime recomputes together.
//
// After an event, an identify or a re-check the runtime recomputes only
// the segments that change can affect (the dependency tables of
// `AnalyzeDependencies`). Each distinct list of segments is a "set", and
// each engine evaluates a whole set in one call: the JIT compiles one
// function per set, so a profile's segments cost one call, not one per
// segment, and the set's predicates share their loads.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/ir.h"

namespace parcours::ir {

struct SegmentSets {
  // Distinct lists of segment indices, each in declaration order, in the
  // order first met below: all segments, identify, time, then by event.
  std::vector<std::vector<int32_t>> sets;

  int32_t all = 0;             // every segment, for a new profile
  int32_t on_identify = 0;     // Program::segments_on_identify
  int32_t time_dependent = 0;  // Program::time_dependent_segments
  // by_event[e]: the set of Program::segments_by_event[e].
  std::vector<int32_t> by_event;
};

// The sets of `program`, on which `AnalyzeDependencies` has run. The
// result depends only on the program, so the runtime and an engine built
// from the same program number the sets alike.
SegmentSets GroupSegments(const Program& program);

}  // namespace parcours::ir
