#include "runtime/common/near_names.h"

#include <algorithm>
#include <cctype>

namespace parcours::common {

int64_t NameDistance(std::string_view a, std::string_view b, int64_t limit) {
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  // Names further apart in length than the limit are further apart in
  // edits too; most pairs stop here.
  auto gap = static_cast<int64_t>(a.size()) - static_cast<int64_t>(b.size());
  if (gap > limit || -gap > limit) return limit + 1;

  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diagonal = row[0];
    row[0] = static_cast<int64_t>(i);
    int64_t smallest = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      int64_t above = row[j];
      int64_t replace = diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, replace});
      diagonal = above;
      smallest = std::min(smallest, row[j]);
    }
    if (smallest > limit) return limit + 1;
  }
  return std::min(row[b.size()], limit + 1);
}

std::string_view NearestName(std::string_view name,
                             const std::vector<std::string_view>& names) {
  int64_t limit = std::max<int64_t>(2, static_cast<int64_t>(name.size()) / 4);
  int64_t best = limit + 1;
  std::string_view nearest;
  for (std::string_view candidate : names) {
    int64_t distance = NameDistance(name, candidate, limit);
    if (distance < best) {
      best = distance;
      nearest = candidate;
    }
  }
  return nearest;
}

}  // namespace parcours::common
