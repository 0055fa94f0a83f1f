#include "compiler/ir/segment_sets.h"

#include <algorithm>

namespace parcours::ir {
namespace {

// The index of `segments` in `sets`, appending it when it is new. A
// program has a handful of sets, so a linear search is enough.
int32_t SetIndex(std::vector<std::vector<int32_t>>& sets,
                 const std::vector<int32_t>& segments) {
  auto found = std::find(sets.begin(), sets.end(), segments);
  if (found != sets.end()) return static_cast<int32_t>(found - sets.begin());

  sets.push_back(segments);
  return static_cast<int32_t>(sets.size() - 1);
}

}  // namespace

SegmentSets GroupSegments(const Program& program) {
  SegmentSets grouped;
  std::vector<int32_t> all;
  for (size_t s = 0; s < program.segments.size(); ++s) {
    all.push_back(static_cast<int32_t>(s));
  }
  grouped.all = SetIndex(grouped.sets, all);
  grouped.on_identify = SetIndex(grouped.sets, program.segments_on_identify);
  grouped.time_dependent =
      SetIndex(grouped.sets, program.time_dependent_segments);

  for (const std::vector<int32_t>& segments : program.segments_by_event) {
    grouped.by_event.push_back(SetIndex(grouped.sets, segments));
  }
  return grouped;
}

}  // namespace parcours::ir
