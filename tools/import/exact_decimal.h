// Exact decimal numbers for amounts read from CSV cells.
//
// Amounts never pass through `double`: "7.95" is 795 units at scale 2, a
// product of two cells adds their scales, and a sum aligns them, so the
// total of an invoice is the one an accountant would get by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parcours::import {

struct ExactDecimal {
  __int128 units = 0;
  // Digits after the decimal point, 0 to kMaxScale.
  int scale = 0;
};

inline constexpr int kMaxScale = 18;

// Reads `[+-]digits[.digits]` (digits on at least one side of the point).
// Nothing else is accepted: no exponent, no thousands separator, no
// spaces. Returns nothing for such text or one too long to be exact.
std::optional<ExactDecimal> ParseDecimal(std::string_view text);

// Exact sum and product; nothing when the result would not be exact in
// 36 significant digits and kMaxScale decimals.
std::optional<ExactDecimal> Add(ExactDecimal left, ExactDecimal right);
std::optional<ExactDecimal> Multiply(ExactDecimal left, ExactDecimal right);

// `value` with exactly `digits` decimals, rounding half away from zero
// when digits are dropped (the "half up" of bookkeeping) and padding with
// zeros otherwise.
ExactDecimal RoundTo(ExactDecimal value, int digits);

// The value as a whole number, when it has no fraction and fits.
std::optional<int64_t> ToInteger(ExactDecimal value);

// Whether the value has no fraction, whatever its size.
bool IsWhole(ExactDecimal value);

// Why `ToInteger` gave nothing, to follow the value in a message: " is
// not a whole number" for a fraction, or that it is too large for one.
std::string NotAnIntegerReason(ExactDecimal value);

// Text with exactly `value.scale` decimals; zero is never "-0".
std::string FormatDecimal(ExactDecimal value);

}  // namespace parcours::import
