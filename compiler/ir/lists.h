// Reading a `list<T>` event field at run time. The decoder keeps such a
// field as the list's compact JSON text (runtime/ingest/values.cpp); the
// IR's `list_contains` looks an item up in that text. Both engines call the
// one function here, so that they agree byte for byte.
//
// Also the sorted constant sets of the IR's `in_set`, a long `in [...]`
// list written out in literals: how they are built and looked up in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

// The set of `items` of one-word `type` (not Money): sorted as signed
// words, duplicates dropped.
ConstSet MakeWordSet(Type type, std::vector<int64_t> items);

// The set of string `items`, compared by their bytes: sorted, duplicates
// dropped.
ConstSet MakeStringSet(std::vector<std::string> items);

// Whether `set` holds the value `word0`, `word1` of its type, as
// `in_set` computes it (word1 is a string's length).
bool ConstSetHolds(const ConstSet& set, int64_t word0, int64_t word1);

// A description of what makes `set` unfit for `in_set` (items out of
// order or repeated, starts outside `bytes`, a type it cannot hold), or
// an empty string when it is well formed.
std::string VerifyConstSet(const ConstSet& set);

}  // namespace parcours::ir

extern "C" {
// 1 when the JSON array `list` (`list_length` bytes) holds the item
// `item0`, `item1` of kind `item_kind` (ir::ListItemKind), else 0. A string
// item matches a string of the same bytes once unescaped; an int item
// matches a number of the same value (`2` and `2.0` alike). Text that is
// not an array, and items of other kinds, match nothing.
int64_t parcours_list_contains(const char* list, int64_t list_length,
                               int64_t item0, int64_t item1, int64_t item_kind);

// 1 when the `count` words at `items`, ascending as signed words, hold
// `value`, else 0 (a ConstSet of a one-word type).
int64_t parcours_words_contain(const int64_t* items, int64_t count,
                               int64_t value);

// 1 when the `count` strings of a ConstSet of strings hold the `length`
// bytes at `item`, else 0: `starts` holds `count + 1` offsets into
// `bytes`, string `k` running from `starts[k]` to `starts[k + 1]`, in
// ascending order of bytes. A negative length counts as 0.
int64_t parcours_strings_contain(const int64_t* starts, int64_t count,
                                 const char* bytes, const char* item,
                                 int64_t length);
}
