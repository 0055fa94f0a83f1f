// Comparison of two JSON trees as the event reader builds them.
#pragma once

#include <cstddef>

#include "runtime/ingest/json_value.h"

namespace parcours::testing {

// Whether `a` and `b` hold the same values, keys in the same order, and
// each number's text exactly.
inline bool SameTree(const ingest::JsonValue& a, const ingest::JsonValue& b) {
  if (a.kind != b.kind || a.boolean != b.boolean || a.text != b.text ||
      a.members.size() != b.members.size() ||
      a.items.size() != b.items.size()) {
    return false;
  }
  for (size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].key != b.members[i].key ||
        !SameTree(a.members[i].value, b.members[i].value)) {
      return false;
    }
  }
  for (size_t i = 0; i < a.items.size(); ++i) {
    if (!SameTree(a.items[i], b.items[i])) return false;
  }
  return true;
}

}  // namespace parcours::testing
