// Reading a `list<T>` event field at run time. The decoder keeps such a
// field as the list's compact JSON text (runtime/ingest/values.cpp); the
// IR's `list_contains` looks an item up in that text. Both engines call the
// one function here, so that they agree byte for byte.
#pragma once

#include <cstdint>

#include "compiler/ir/ir.h"

namespace parcours::ir {

// What `parcours_list_contains` compares an item as.
enum class ListItemKind : int64_t {
  String = 0,  // the item's words: a pointer to its bytes, their length
  Int = 1,     // the item's first word: the number
};

// How `list_contains` compares its item: by the instruction's operand
// type, which the verifier keeps to String or Int.
inline ListItemKind ListItemKindOf(Type item) {
  return item == Type::String ? ListItemKind::String : ListItemKind::Int;
}

}  // namespace parcours::ir

extern "C" {
// 1 when the JSON array `list` (`list_length` bytes) holds the item
// `item0`, `item1` of kind `item_kind` (ir::ListItemKind), else 0. A string
// item matches a string of the same bytes once unescaped; an int item
// matches a number of the same value (`2` and `2.0` alike). Text that is
// not an array, and items of other kinds, match nothing.
int64_t parcours_list_contains(const char* list, int64_t list_length,
                               int64_t item0, int64_t item1, int64_t item_kind);
}
