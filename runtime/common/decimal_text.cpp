#include "runtime/common/decimal_text.h"

#include <limits>

namespace parcours::common {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The parts of a number's text: its significant digits and the power of
// ten they are scaled by (value = digits * 10^exponent).
struct DecimalParts {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
};

// Reads an exponent, saturating far beyond any value that could fit.
bool ReadExponent(std::string_view text, size_t& position, int64_t& value) {
  bool negative = false;
  if (position < text.size() &&
      (text[position] == '+' || text[position] == '-')) {
    negative = text[position] == '-';
    ++position;
  }
  if (position >= text.size() || !IsDigit(text[position])) return false;
  value = 0;
  for (; position < text.size() && IsDigit(text[position]); ++position) {
    if (value < 1'000'000) value = value * 10 + (text[position] - '0');
  }
  if (negative) value = -value;
  return true;
}

bool Split(std::string_view text, DecimalParts& parts) {
  size_t position = 0;
  if (position < text.size() && text[position] == '-') {
    parts.negative = true;
    ++position;
  }

  size_t integer_start = position;
  while (position < text.size() && IsDigit(text[position])) {
    parts.digits += text[position++];
  }
  if (position == integer_start) return false;

  if (position < text.size() && text[position] == '.') {
    size_t fraction_start = ++position;
    while (position < text.size() && IsDigit(text[position])) {
      parts.digits += text[position++];
    }
    if (position == fraction_start) return false;
    parts.exponent -= static_cast<int64_t>(position - fraction_start);
  }

  if (position < text.size() &&
      (text[position] == 'e' || text[position] == 'E')) {
    int64_t exponent = 0;
    if (!ReadExponent(text, ++position, exponent)) return false;
    parts.exponent += exponent;
  }
  return position == text.size();
}

}  // namespace

NumberProblem ParseScaled(std::string_view text, int scale_digits,
                          int64_t& units) {
  DecimalParts parts;
  if (!Split(text, parts)) return NumberProblem::NotANumber;

  // Leading zeros carry no value and would only look like magnitude.
  size_t first = parts.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    units = 0;
    return NumberProblem::None;
  }
  std::string_view digits(parts.digits);
  digits.remove_prefix(first);

  // Digits below the scale must all be zeros, otherwise the value cannot
  // be held exactly.
  int64_t shift = parts.exponent + scale_digits;
  if (shift < 0) {
    size_t dropped = static_cast<size_t>(-shift);
    if (dropped > digits.size()) return NumberProblem::TooPrecise;
    std::string_view below = digits.substr(digits.size() - dropped);
    if (below.find_first_not_of('0') != std::string_view::npos) {
      return NumberProblem::TooPrecise;
    }
    digits.remove_suffix(dropped);
    shift = 0;
  }
  if (static_cast<int64_t>(digits.size()) + shift > 19) {
    return NumberProblem::OutOfRange;
  }

  // At most 19 digits: the magnitude fits in an unsigned 64-bit word.
  uint64_t magnitude = 0;
  for (char c : digits) magnitude = magnitude * 10 + (c - '0');
  for (int64_t i = 0; i < shift; ++i) magnitude *= 10;
  uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (magnitude > limit + (parts.negative ? 1 : 0)) {
    return NumberProblem::OutOfRange;
  }

  units = parts.negative ? static_cast<int64_t>(0 - magnitude)
                         : static_cast<int64_t>(magnitude);
  return NumberProblem::None;
}

}  // namespace parcours::common
