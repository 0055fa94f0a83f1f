// The action lines the engine writes, byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/ir/ir.h"
#include "runtime/common/hash.h"

namespace parcours::engine {

// 64-bit FNV-1a; see `common::Fnv1a64`.
using common::Fnv1a64;

// The idempotency key of an action: 16 lower-case hex digits of the FNV-1a
// hash of profile, journey, instance seq and step name, joined by 0x1f (a
// byte that cannot appear in the decimal numbers and is unlikely in
// names). The same instance step always gets the same key; the step's name,
// not its index, so that the optimiser removing other steps changes none.
std::string ActionId(std::string_view profile, std::string_view journey,
                     int64_t instance_seq, std::string_view step);

// What a `send` line says.
struct SendAction {
  std::string_view id;
  int64_t at = 0;
  std::string_view profile;
  std::string_view journey;
  const ir::Step* step = nullptr;  // a Send step
  // The channel chosen (`send best of`, a fallback); empty: the step's.
  std::string_view channel;
  // An email's one-click unsubscribe link; empty: no headers.
  std::string_view unsubscribe_url;
};

// {"kind":"send","id":...,"at":...,"profile":...,"channel":...,
//  "template":...,"journey":...,"step":...,"category":...,"payload":{}}
// compact, keys in that order, time in UTC with a Z.
std::string FormatSendLine(const SendAction& send);

}  // namespace parcours::engine
