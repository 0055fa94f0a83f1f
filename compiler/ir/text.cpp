#include "compiler/ir/text.h"

namespace parcours::ir {

std::string FormatScaled(int64_t units, int scale_digits) {
  bool negative = units < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(units)
                                : static_cast<uint64_t>(units);
  std::string digits = std::to_string(magnitude);
  if (digits.size() <= static_cast<size_t>(scale_digits)) {
    digits.insert(0, scale_digits + 1 - digits.size(), '0');
  }

  std::string integer = digits.substr(0, digits.size() - scale_digits);
  std::string fraction = digits.substr(digits.size() - scale_digits);
  fraction.erase(fraction.find_last_not_of('0') + 1);

  std::string text = negative ? "-" + integer : integer;
  if (!fraction.empty()) text += "." + fraction;
  return text;
}

const Invisible* InvisibleAt(std::string_view text) {
  static constexpr Invisible kInvisibles[] = {
      {" ", 0x20, "space"},
      {"\t", 0x09, "tab"},
      {"\n", 0x0A, "line break"},
      {"\r", 0x0D, "carriage return"},
      {"\xc2\xa0", 0xA0, "no-break space"},
      {"\xc2\xad", 0xAD, "soft hyphen"},
      {"\xe2\x80\x8b", 0x200B, "zero-width space"},
      {"\xe2\x80\x8c", 0x200C, "zero-width non-joiner"},
      {"\xe2\x80\x8d", 0x200D, "zero-width joiner"},
      {"\xe2\x80\x8e", 0x200E, "left-to-right mark"},
      {"\xe2\x80\x8f", 0x200F, "right-to-left mark"},
      {"\xe2\x80\xa8", 0x2028, "line separator"},
      {"\xe2\x80\xa9", 0x2029, "paragraph separator"},
      {"\xe2\x81\xa0", 0x2060, "word joiner"},
      {"\xef\xbb\xbf", 0xFEFF, "byte order mark"},
  };
  for (const Invisible& invisible : kInvisibles) {
    if (text.starts_with(invisible.bytes)) return &invisible;
  }
  return nullptr;
}

bool IsBlank(std::string_view text) {
  while (const Invisible* invisible = InvisibleAt(text)) {
    text.remove_prefix(invisible->bytes.size());
  }
  return text.empty();
}

}  // namespace parcours::ir
