// Stable hashes for keys that are stored or sent, never for hash tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace parcours::common {

// 64-bit FNV-1a of `bytes`.
uint64_t Fnv1a64(std::string_view bytes);

// 32-bit FNV-1a, the hash that places a profile in its partition (the
// function NATS JetStream partitions subjects with).
uint32_t Fnv1a32(std::string_view bytes);

// `value` as 16 lower-case hex digits, zero-padded.
std::string Hex64(uint64_t value);

}  // namespace parcours::common
