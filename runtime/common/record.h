// A flat record of 64-bit words that owns the bytes its strings point to.
//
// Event records, profile records and journey locals all use the layout the
// compiler chose (see `ir::Field::offset`). A `String` slot holds a pointer
// and a length; the bytes live in heap blocks owned by the record, so the
// pointers stay valid when the record is moved, and a copy re-points its
// slots at its own copies of the bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parcours::common {

class Record {
 public:
  Record() = default;

  // `word_count` zero words.
  explicit Record(int32_t word_count);

  // Makes this record what `Record(word_count)` would be, keeping its
  // buffers: a record refilled line after line then stops allocating.
  void Clear(int32_t word_count);

  Record(const Record& other);
  // Reuses this record's buffers where it can.
  Record& operator=(const Record& other);
  Record(Record&& other) noexcept = default;
  Record& operator=(Record&& other) noexcept = default;

  int32_t size() const { return static_cast<int32_t>(words_.size()); }
  const int64_t* data() const { return words_.data(); }
  const std::vector<int64_t>& words() const { return words_; }

  int64_t Get(int32_t offset) const;

  // Writes a plain word. A `String` slot must be written with `SetString`,
  // which keeps the bytes alive.
  void Set(int32_t offset, int64_t word);

  // Points the `String` slot at `offset` (pointer word, then length word)
  // at a copy of `text` owned by this record, replacing what it held.
  void SetString(int32_t offset, std::string_view text);

  // The bytes of the `String` slot at `offset`; empty for a zeroed slot.
  std::string_view GetString(int32_t offset) const;

  // Calls `visit(block)` with each heap block the record owns: its words,
  // its table of strings, each string's holder and the bytes of a string
  // too long to sit in its holder. For measuring memory
  // (bench/memory.cpp); a record of no words owns none.
  template <typename Visit>
  void ForEachBlock(Visit visit) const {
    if (words_.capacity() > 0) visit(words_.data());
    if (strings_.capacity() > 0) visit(strings_.data());
    for (const auto& [offset, text] : strings_) {
      visit(text.get());
      if (text->capacity() > std::string().capacity()) visit(text->data());
    }
  }

 private:
  std::vector<int64_t> words_;

  // Whether `offset` holds a pointer to `text`'s bytes. A slot since
  // cleared with plain words, or past the end after `Clear`, does not: its
  // buffer stays, unshown, for the next `SetString` of that slot.
  bool Shows(int32_t offset, const std::string& text) const;

  // Owned bytes by slot offset. Each `std::string` sits in its own heap
  // block, so its characters do not move when this vector grows.
  std::vector<std::pair<int32_t, std::unique_ptr<std::string>>> strings_;
};

}  // namespace parcours::common
