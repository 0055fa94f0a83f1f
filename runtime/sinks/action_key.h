// The idempotency key of an action line, shared by the sinks that must
// recognise an action they already hold.
#pragma once

#include <string>
#include <string_view>

namespace parcours::sinks {

// The action's "id" when `line` is a JSON object with a string "id";
// otherwise "line:" and the 16 hex digits of the FNV-1a hash of the line.
std::string IdempotencyKey(std::string_view line);

}  // namespace parcours::sinks
