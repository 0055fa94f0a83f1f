#include "runtime/common/record.h"

#include "runtime/common/check.h"

namespace parcours::common {

namespace {

int64_t PointerWord(const std::string& text) {
  return static_cast<int64_t>(reinterpret_cast<intptr_t>(text.data()));
}

}  // namespace

Record::Record(int32_t word_count)
    : words_(static_cast<size_t>(word_count), 0) {}

Record::Record(const Record& other) : words_(other.words_) {
  // The copied words still point at `other`'s bytes; give this record its
  // own bytes so that the copy outlives the original.
  strings_.reserve(other.strings_.size());
  for (const auto& [offset, text] : other.strings_) {
    // A slot overwritten with plain words no longer shows these bytes.
    if (other.words_[offset] != PointerWord(*text)) continue;
    auto copy = std::make_unique<std::string>(*text);
    words_[offset] = PointerWord(*copy);
    strings_.emplace_back(offset, std::move(copy));
  }
}

Record& Record::operator=(const Record& other) {
  if (this == &other) return *this;
  Record copy(other);
  *this = std::move(copy);
  return *this;
}

int64_t Record::Get(int32_t offset) const {
  PARCOURS_CHECK(offset >= 0 && offset < size(), "record read out of range");
  return words_[offset];
}

void Record::Set(int32_t offset, int64_t word) {
  PARCOURS_CHECK(offset >= 0 && offset < size(), "record write out of range");
  words_[offset] = word;
}

void Record::SetString(int32_t offset, std::string_view text) {
  PARCOURS_CHECK(offset >= 0 && offset + 1 < size(),
                 "string slot out of range");
  auto bytes = std::make_unique<std::string>(text);
  words_[offset] = PointerWord(*bytes);
  words_[offset + 1] = static_cast<int64_t>(bytes->size());

  for (auto& [slot, held] : strings_) {
    if (slot == offset) {
      held = std::move(bytes);
      return;
    }
  }
  strings_.emplace_back(offset, std::move(bytes));
}

std::string_view Record::GetString(int32_t offset) const {
  PARCOURS_CHECK(offset >= 0 && offset + 1 < size(),
                 "string slot out of range");
  const char* bytes =
      reinterpret_cast<const char*>(static_cast<intptr_t>(words_[offset]));
  if (bytes == nullptr) return {};
  return std::string_view(bytes, static_cast<size_t>(words_[offset + 1]));
}

}  // namespace parcours::common
