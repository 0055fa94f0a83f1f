// Which arm of a split and whether in a journey's holdout: stable hashes.
//
// An assignment depends only on the profile id, the journey name and the
// arm names, hashed with 64-bit FNV-1a (runtime/common/hash.h), so the same
// profile lands in the same arm on every run, after a restart and on any
// machine, whatever the order of the events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/ir.h"

namespace parcours::engine {

// A number in [0, 100 * ir::kDecimalScale): where the profile falls on a
// line of percentages, in kDecimalScale units of one percent. The key is
// profile, journey and each name, joined by 0x1f.
int64_t Bucket(std::string_view profile, std::string_view journey,
               const std::vector<std::string_view>& names);

// The index of the arm the profile takes: arms cover the line in order,
// each as wide as its percentage.
int32_t ChooseArm(std::string_view profile, std::string_view journey,
                  const std::vector<ir::SplitArm>& arms);

// Whether the profile is in the journey's holdout: its bucket for the
// name "holdout" falls below the holdout's share.
bool IsHeldOut(std::string_view profile, const ir::Journey& journey);

// The `detail` of what a holdout suppressed: "holdout 10% of journey `x`".
std::string HoldoutDetail(const ir::Journey& journey);

}  // namespace parcours::engine
