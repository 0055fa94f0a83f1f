// The arithmetic of the IR, written once.
//
// The interpreter calls these directly. The JIT emits the simple ones as
// LLVM instructions and calls these functions for the rest, so that both
// engines agree bit for bit. Every function is total: no input traps and no
// input has undefined behaviour.
#pragma once

#include <cstdint>
#include <cstring>

#include "compiler/ir/ir.h"

namespace parcours::ir {

inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) +
                              static_cast<uint64_t>(b));
}

inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}

inline int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) *
                              static_cast<uint64_t>(b));
}

// The currency word of money that has none yet: a zero amount, such as a
// sum over no events or an attribute with no default. It takes the other
// operand's currency in arithmetic and compares with any currency.
inline constexpr int64_t kNoCurrency = 0;

// The currency word of money that mixed two currencies. Every comparison
// with it is false and every sum with it stays mixed.
inline constexpr int64_t kMixedCurrency = -1;

inline int64_t CombineCurrency(int64_t a, int64_t b) {
  if (a == b) return a;
  if (a == kNoCurrency) return b;
  if (b == kNoCurrency) return a;
  return kMixedCurrency;
}

inline bool ComparableCurrencies(int64_t a, int64_t b) {
  if (a == kMixedCurrency || b == kMixedCurrency) return false;
  return a == b || a == kNoCurrency || b == kNoCurrency;
}

// Division by zero gives 0; INT64_MIN / -1 wraps to INT64_MIN.
inline int64_t IntDiv(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (b == -1) return WrapSub(0, a);
  return a / b;
}

// `a / unit` rounded toward minus infinity, for `unit` >= 1 (so that a
// day that has not fully passed counts as none, also before the epoch).
inline int64_t FloorDiv(int64_t a, int64_t unit) {
  int64_t quotient = a / unit;
  if (a % unit != 0 && a < 0) --quotient;
  return quotient;
}

// The mean Earth radius (IUGG), in km, that `distance_km` uses.
inline constexpr double kEarthRadiusKm = 6371.0088;

// `travel_kmh` of two places at the same instant: a billion km/h, faster
// than light, so that any threshold a guard writes is above it.
inline constexpr int64_t kImpossibleSpeedKmh = 1'000'000'000 * kDecimalScale;

// A value as the interpreter's registers hold it: one word, or two for
// money (amount, currency) and strings (pointer, length).
struct Words {
  int64_t word0 = 0;
  int64_t word1 = 0;
};

// `Add`, `Sub`, `Mul` and `Div` of a result of `type`: money keeps or
// combines its currency, decimals multiply and divide at kDecimalScale.
Words Arithmetic(Op op, Type type, Words a, Words b);

// Whether comparison `op` holds for a three-way `order` (<0, 0, >0).
bool OrderHolds(Op op, int64_t order);

// A comparison of two values of `operand_type`; money of currencies that do
// not compare is false whatever the operator, strings compare by bytes.
bool Compare(Op op, Type operand_type, Words a, Words b);

}  // namespace parcours::ir

// Fixed-point helpers with C linkage so that JIT code can call them.
extern "C" {

// (a * b) / kDecimalScale, rounded toward zero, wrapped to 64 bits.
int64_t parcours_decimal_mul(int64_t a, int64_t b);

// (a * kDecimalScale) / b, rounded toward zero, wrapped; 0 when b is 0.
int64_t parcours_decimal_div(int64_t a, int64_t b);

// The great-circle distance between two points given in degrees as
// Decimal words (kDecimalScale units per degree), as Decimal km: the
// haversine formula on a sphere of radius kEarthRadiusKm, rounded to the
// nearest whole metre (1000 units), so that the last bits of the
// platform's sine and cosine do not show. A latitude beyond +-90 or a
// longitude beyond +-180 gives -1 km, a value no distance has.
int64_t parcours_distance_km(int64_t lat1, int64_t lon1, int64_t lat2,
                             int64_t lon2);

// The speed in Decimal km/h needed to cover `km` (Decimal) in `seconds`,
// either way round in time: km * 3600 / |seconds|, rounded toward zero.
// A negative `km` (coordinates out of range) gives -1 km/h; no time at
// all gives 0 for no distance and kImpossibleSpeedKmh for any other.
int64_t parcours_speed_kmh(int64_t km, int64_t seconds);

// Three-way byte comparison of two strings: <0, 0 or >0.
int64_t parcours_string_compare(const char* a, int64_t a_length, const char* b,
                                int64_t b_length);
}
