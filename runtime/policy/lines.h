// The `suppressed` and `deferred` action lines of pressure policies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/policy/decide.h"

namespace parcours::policy {

struct HeldMessage {
  std::string_view id;
  int64_t at = 0;
  std::string_view profile;
  std::string_view journey;
  const ir::Step* step = nullptr;
  // Fell due while no live run was up, and was judged at the restart.
  bool late = false;
};

// {"kind":"suppressed","id":...,"at":...,"profile":...,"channel":...,
//  "template":...,"journey":...,"step":...,"reason":...,"detail":...}
// and the same with "kind":"deferred" and an "until" after "reason"; a
// late message's line ends with "late":true, as its send would.
std::string FormatHeldLine(const HeldMessage& message,
                           const Decision& decision);

// The id of a held line: a send's id with the kind and instant, so that
// each deferral of one message has its own.
std::string HeldLineId(std::string_view send_id, const Decision& decision,
                       int64_t at);

}  // namespace parcours::policy
