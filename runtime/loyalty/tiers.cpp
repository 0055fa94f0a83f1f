#include "runtime/loyalty/tiers.h"

namespace parcours::loyalty {

int32_t TierFor(const std::vector<TierRule>& rules, int64_t qualifying) {
  int32_t reached = kNoTier;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (qualifying >= rules[i].threshold) reached = static_cast<int32_t>(i);
  }
  return reached;
}

TierChange DecideTier(const std::vector<TierRule>& rules, TierStatus& status,
                      int64_t at, int64_t qualifying, int64_t review_at) {
  TierChange change;
  change.from = status.tier;
  int32_t reached = TierFor(rules, qualifying);

  if (reached > status.tier) {
    status.tier = reached;
    status.since = at;
  } else if (status.tier != kNoTier && at >= review_at) {
    // The review: confirmed (a new grace from now) or moved down.
    status.tier = reached;
    status.since = at;
  }

  change.to = status.tier;
  change.changed = change.to != change.from;
  return change;
}

}  // namespace parcours::loyalty
