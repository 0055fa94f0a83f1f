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

void Record::Clear(int32_t word_count) {
  words_.assign(static_cast<size_t>(word_count), 0);
}

bool Record::Shows(int32_t offset, const std::string& text) const {
  return offset + 1 < size() && words_[offset] == PointerWord(text);
}

Record::Record(const Record& other) : words_(other.words_) {
  // The copied words still point at `other`'s bytes; give this record its
  // own bytes so that the copy outlives the original.
  strings_.reserve(other.strings_.size());
  for (const auto& [offset, text] : other.strings_) {
    if (!other.Shows(offset, *text)) continue;
    auto copy = std::make_unique<std::string>(*text);
    words_[offset] = PointerWord(*copy);
    strings_.emplace_back(offset, std::move(copy));
  }
}

Record& Record::operator=(const Record& other) {
  if (this == &other) return *this;

  // What the copy constructor gives, but into the buffers this record
  // already has: a record assigned again and again (an instance's locals,
  // reused) then allocates nothing once its buffers are large enough.
  words_.assign(other.words_.begin(), other.words_.end());
  size_t kept = 0;
  for (const auto& [offset, text] : other.strings_) {
    if (!other.Shows(offset, *text)) continue;
    if (kept == strings_.size()) {
      strings_.emplace_back(offset, std::make_unique<std::string>());
    }
    auto& [slot, bytes] = strings_[kept++];
    slot = offset;
    bytes->assign(*text);
    words_[offset] = PointerWord(*bytes);
  }
  strings_.resize(kept);
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
  // The slot's own buffer is reused, whether it shows or not.
  std::string* bytes = nullptr;
  for (auto& [slot, held] : strings_) {
    if (slot == offset) bytes = held.get();
  }
  if (bytes == nullptr) {
    bytes = strings_.emplace_back(offset, std::make_unique<std::string>())
                .second.get();
  }
  bytes->assign(text);
  words_[offset] = PointerWord(*bytes);
  words_[offset + 1] = static_cast<int64_t>(bytes->size());
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
