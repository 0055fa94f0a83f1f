// Where each member of a JSON text starts, so that a mistake found in the
// parsed mapping can be shown at its line and column, not only its path.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace parcours::import {

// Byte offsets of the members and items of `text`, which must be valid
// JSON, by path: "csv", "properties.total.type", "event[0].when". An
// object member is placed at its key, an array item at its first byte.
// Nesting past 64 levels is not mapped (a mapping has no reason to nest
// so deep, and the scan must not exhaust the stack).
std::map<std::string, size_t> JsonPlaces(std::string_view text);

// "line:column" (both from 1) of byte `offset` in `text`.
std::string LineAndColumn(std::string_view text, size_t offset);

}  // namespace parcours::import
