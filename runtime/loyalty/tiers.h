// Tier decisions of a loyalty program: upgrade at once, downgrade only at
// a review after the grace period.
//
// Tiers are measured on qualifying points over a window (e.g. 12 months)
// that ends at the instant of the decision. The rules:
//   - Upgrade: as soon as the qualifying points reach a higher tier's
//     threshold, the member holds that tier, from that instant.
//   - Grace: a tier reached or confirmed at instant S is kept until the
//     review instant R (S plus the program's `keep tier` length), whatever
//     the qualifying points do meanwhile.
//   - Review: at R, a member whose qualifying points still reach the tier
//     keeps it and a new grace starts at R; otherwise the member moves down
//     to the highest tier its points reach (possibly none), from R.
//   - The order that crosses a threshold earns at the rate of the tier held
//     before it; the new tier applies from the next earning.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parcours::loyalty {

// Tiers in ascending order of threshold, as the program declares them.
struct TierRule {
  std::string name;
  int64_t threshold = 0;  // qualifying points
};

inline constexpr int32_t kNoTier = -1;

struct TierStatus {
  int32_t tier = kNoTier;  // index into the rules
  int64_t since = 0;       // when it was reached or last confirmed
};

struct TierChange {
  bool changed = false;
  int32_t from = kNoTier;
  int32_t to = kNoTier;
};

// The highest tier `qualifying` points reach, or kNoTier.
int32_t TierFor(const std::vector<TierRule>& rules, int64_t qualifying);

// Applies the rules above at instant `at`, given the qualifying points of
// the window ending at `at` and the review instant of the tier held
// (`review_at`, ignored when no tier is held). Updates `status`.
TierChange DecideTier(const std::vector<TierRule>& rules, TierStatus& status,
                      int64_t at, int64_t qualifying, int64_t review_at);

}  // namespace parcours::loyalty
