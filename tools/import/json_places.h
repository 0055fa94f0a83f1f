// Where each member of a JSON text starts, so that a mistake found in the
// parsed mapping can be shown at its line and column, not only its path.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace parcours::import {

// Byte offsets of the members and items of `text`, which must be valid
// JSON, by path: "csv", "properties.total.type", "event[0].when". An
// object member is placed at its key, an array item at its first byte.
// Nesting past 64 levels is not mapped (a mapping has no reason to nest
// so deep, and the scan must not exhaust the stack).
std::map<std::string, size_t> JsonPlaces(std::string_view text);

// A key written twice in one object: JSON parsers keep one of the two
// values without a word, so a mapping's reader could not tell which one
// the import uses.
struct RepeatedKey {
  std::string key;
  std::string path;  // of the member, as in `JsonPlaces`
  size_t first;      // byte offset of the key's first occurrence
  size_t again;      // byte offset of its second occurrence
};

// The first key of `text` (valid JSON) repeated within its object, if any.
std::optional<RepeatedKey> FindRepeatedKey(std::string_view text);

// "line:column" (both from 1) of byte `offset` in `text`.
std::string LineAndColumn(std::string_view text, size_t offset);

}  // namespace parcours::import
