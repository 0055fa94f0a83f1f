#include "tools/import/exact_decimal.h"

namespace parcours::import {
namespace {

// Results stay below 10^36 so that a product of two in-range factors
// cannot wrap before the check.
constexpr int kMaxDigits = 36;

__int128 PowerOfTen(int exponent) {
  __int128 power = 1;
  for (int i = 0; i < exponent; ++i) power *= 10;
  return power;
}

bool InRange(__int128 units) {
  static const __int128 kLimit = PowerOfTen(kMaxDigits);
  return units < kLimit && units > -kLimit;
}

// `value` at a larger scale, or nothing when it would leave the range.
std::optional<ExactDecimal> Rescale(ExactDecimal value, int scale) {
  __int128 units = value.units;
  for (int i = value.scale; i < scale; ++i) {
    units *= 10;
    if (!InRange(units)) return std::nullopt;
  }
  return ExactDecimal{units, scale};
}

}  // namespace

std::optional<ExactDecimal> ParseDecimal(std::string_view text) {
  size_t at = 0;
  bool negative = false;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) {
    negative = text[at] == '-';
    ++at;
  }

  ExactDecimal value;
  int digits = 0;
  bool seen_point = false;
  for (; at < text.size(); ++at) {
    char c = text[at];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    // Leading zeros are free; only significant digits count towards the
    // range, so "0000.5" is as exact as "0.5".
    if (value.units != 0 || c != '0') ++digits;
    if (seen_point) ++value.scale;
    if (digits > kMaxDigits || value.scale > kMaxScale) return std::nullopt;
    value.units = value.units * 10 + (c - '0');
  }

  bool has_digit = false;
  for (char c : text) has_digit = has_digit || (c >= '0' && c <= '9');
  if (!has_digit) return std::nullopt;
  if (negative) value.units = -value.units;
  return value;
}

std::optional<ExactDecimal> Add(ExactDecimal left, ExactDecimal right) {
  int scale = left.scale > right.scale ? left.scale : right.scale;
  auto aligned_left = Rescale(left, scale);
  auto aligned_right = Rescale(right, scale);
  if (!aligned_left || !aligned_right) return std::nullopt;

  __int128 units = aligned_left->units + aligned_right->units;
  if (!InRange(units)) return std::nullopt;
  return ExactDecimal{units, scale};
}

std::optional<ExactDecimal> Multiply(ExactDecimal left, ExactDecimal right) {
  int scale = left.scale + right.scale;
  if (scale > kMaxScale) return std::nullopt;

  // Both factors are below 10^36 in size, but their product may not be:
  // check through division before multiplying.
  __int128 a = left.units < 0 ? -left.units : left.units;
  __int128 b = right.units < 0 ? -right.units : right.units;
  static const __int128 kLimit = PowerOfTen(kMaxDigits);
  if (a != 0 && b > (kLimit - 1) / a) return std::nullopt;
  return ExactDecimal{left.units * right.units, scale};
}

ExactDecimal RoundTo(ExactDecimal value, int digits) {
  if (value.scale <= digits) {
    auto padded = Rescale(value, digits);
    return padded ? *padded : value;
  }

  __int128 divisor = PowerOfTen(value.scale - digits);
  __int128 magnitude = value.units < 0 ? -value.units : value.units;
  __int128 kept = magnitude / divisor;
  if ((magnitude % divisor) * 2 >= divisor) ++kept;
  return ExactDecimal{value.units < 0 ? -kept : kept, digits};
}

std::optional<int64_t> ToInteger(ExactDecimal value) {
  __int128 divisor = PowerOfTen(value.scale);
  if (value.units % divisor != 0) return std::nullopt;

  __int128 whole = value.units / divisor;
  if (whole > INT64_MAX || whole < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(whole);
}

bool IsWhole(ExactDecimal value) {
  return value.units % PowerOfTen(value.scale) == 0;
}

std::string NotAnIntegerReason(ExactDecimal value) {
  if (!IsWhole(value)) return " is not a whole number";

  // A whole number all the same: an id of 20 digits, say, which the
  // engine's whole numbers (64 bits) cannot hold.
  return value.units < 0 ? " is below the smallest whole number, "
                           "-9223372036854775808"
                         : " is above the largest whole number, "
                           "9223372036854775807";
}

std::string FormatDecimal(ExactDecimal value) {
  __int128 magnitude = value.units < 0 ? -value.units : value.units;
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  while (static_cast<int>(digits.size()) <= value.scale) {
    digits.insert(digits.begin(), '0');
  }
  if (value.scale > 0) {
    digits.insert(digits.end() - value.scale, '.');
  }
  return value.units < 0 ? "-" + digits : digits;
}

}  // namespace parcours::import
