// Names that look alike: a stream's `timeZone` for the program's
// `timezone`, `Order Complete` for `Order Completed`. Used to point out a
// probable typo where the input would otherwise be ignored in silence.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace parcours::common {

// Edits (insert, delete, replace a byte) between two names, ignoring
// ASCII case; stops counting past `limit` and then returns `limit + 1`.
int64_t NameDistance(std::string_view a, std::string_view b, int64_t limit);

// The first of `names` fewest edits from `name` (case aside), if any is
// within a few: a quarter of its length, and at least two. Empty if none.
std::string_view NearestName(std::string_view name,
                             const std::vector<std::string_view>& names);

}  // namespace parcours::common
