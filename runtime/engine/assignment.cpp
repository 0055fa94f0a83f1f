#include "runtime/engine/assignment.h"

#include <string>

#include "runtime/common/decimal_text.h"
#include "runtime/common/hash.h"

namespace parcours::engine {

int64_t Bucket(std::string_view profile, std::string_view journey,
               const std::vector<std::string_view>& names) {
  std::string key;
  key.append(profile);
  key.push_back('\x1f');
  key.append(journey);
  for (std::string_view name : names) {
    key.push_back('\x1f');
    key.append(name);
  }

  constexpr uint64_t kLine = 100 * ir::kDecimalScale;
  return static_cast<int64_t>(common::Fnv1a64(key) % kLine);
}

int32_t ChooseArm(std::string_view profile, std::string_view journey,
                  const std::vector<ir::SplitArm>& arms) {
  std::vector<std::string_view> names;
  for (const ir::SplitArm& arm : arms) names.push_back(arm.name);
  int64_t bucket = Bucket(profile, journey, names);

  int64_t end = 0;
  for (size_t a = 0; a < arms.size(); ++a) {
    end += arms[a].percent;
    if (bucket < end) return static_cast<int32_t>(a);
  }
  // The verifier makes the arms add up to 100%; this is not reached.
  return static_cast<int32_t>(arms.size()) - 1;
}

bool IsHeldOut(std::string_view profile, const ir::Journey& journey) {
  if (journey.holdout <= 0) return false;
  return Bucket(profile, journey.name, {"holdout"}) < journey.holdout;
}

std::string HoldoutDetail(const ir::Journey& journey) {
  return "holdout " + common::FormatScaled(journey.holdout, 6) +
         "% of journey `" + journey.name + "`";
}

}  // namespace parcours::engine
