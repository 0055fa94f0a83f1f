// Assertions for our own bugs.
//
// Unlike `assert`, a check stays on in release builds: a broken invariant in
// the runtime would otherwise corrupt a state file silently. A failed check
// writes one line naming the condition and the place, then aborts.
#pragma once

namespace parcours::common {

[[noreturn]] void CheckFailed(const char* condition, const char* message,
                              const char* file, int line);

}  // namespace parcours::common

#define PARCOURS_CHECK(condition, message)                           \
  do {                                                               \
    if (!(condition)) {                                              \
      ::parcours::common::CheckFailed(#condition, message, __FILE__, \
                                      __LINE__);                     \
    }                                                                \
  } while (false)
