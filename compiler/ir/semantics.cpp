#include "compiler/ir/semantics.h"

#include <algorithm>
#include <cmath>

namespace parcours::ir {

Words Arithmetic(Op op, Type type, Words a, Words b) {
  if (type == Type::Money) {
    switch (op) {
      case Op::Add:
        return {WrapAdd(a.word0, b.word0), CombineCurrency(a.word1, b.word1)};
      case Op::Sub:
        return {WrapSub(a.word0, b.word0), CombineCurrency(a.word1, b.word1)};
      case Op::Mul: return {parcours_decimal_mul(a.word0, b.word0), a.word1};
      case Op::Div: return {parcours_decimal_div(a.word0, b.word0), a.word1};
      default: break;
    }
  }
  if (type == Type::Decimal && op == Op::Mul) {
    return {parcours_decimal_mul(a.word0, b.word0)};
  }
  if (type == Type::Decimal && op == Op::Div) {
    return {parcours_decimal_div(a.word0, b.word0)};
  }
  switch (op) {
    case Op::Add: return {WrapAdd(a.word0, b.word0)};
    case Op::Sub: return {WrapSub(a.word0, b.word0)};
    case Op::Mul: return {WrapMul(a.word0, b.word0)};
    case Op::Div: return {IntDiv(a.word0, b.word0)};
    default: break;
  }
  return {};
}

bool OrderHolds(Op op, int64_t order) {
  switch (op) {
    case Op::Eq: return order == 0;
    case Op::Ne: return order != 0;
    case Op::Lt: return order < 0;
    case Op::Le: return order <= 0;
    case Op::Gt: return order > 0;
    case Op::Ge: return order >= 0;
    default: return false;
  }
}

bool Compare(Op op, Type operand_type, Words a, Words b) {
  if (operand_type == Type::String) {
    return OrderHolds(op, parcours_string_compare(
                              reinterpret_cast<const char*>(a.word0), a.word1,
                              reinterpret_cast<const char*>(b.word0), b.word1));
  }
  if (operand_type == Type::Money && !ComparableCurrencies(a.word1, b.word1)) {
    return false;
  }
  return OrderHolds(op, a.word0 < b.word0 ? -1 : (a.word0 > b.word0 ? 1 : 0));
}

}  // namespace parcours::ir

using parcours::ir::kDecimalScale;

namespace {

constexpr int64_t kMetre = kDecimalScale / 1000;  // Decimal units of a km

bool ValidCoordinate(int64_t latitude, int64_t longitude) {
  return latitude >= -90 * kDecimalScale && latitude <= 90 * kDecimalScale &&
         longitude >= -180 * kDecimalScale && longitude <= 180 * kDecimalScale;
}

double Radians(int64_t degrees) {
  constexpr double kPi = 3.14159265358979323846;
  return static_cast<double>(degrees) / static_cast<double>(kDecimalScale) *
         (kPi / 180.0);
}

}  // namespace

extern "C" {

int64_t parcours_decimal_mul(int64_t a, int64_t b) {
  __int128 product = static_cast<__int128>(a) * b;
  return static_cast<int64_t>(product / kDecimalScale);
}

int64_t parcours_decimal_div(int64_t a, int64_t b) {
  if (b == 0) return 0;
  __int128 scaled = static_cast<__int128>(a) * kDecimalScale;
  return static_cast<int64_t>(scaled / b);
}

int64_t parcours_distance_km(int64_t lat1, int64_t lon1, int64_t lat2,
                             int64_t lon2) {
  if (!ValidCoordinate(lat1, lon1) || !ValidCoordinate(lat2, lon2)) {
    return -kDecimalScale;
  }

  // Haversine: h = sin^2(dlat / 2) + cos(lat1) cos(lat2) sin^2(dlon / 2),
  // the central angle is 2 asin(sqrt(h)). Rounding can push h a hair
  // outside [0, 1] for antipodes, hence the clamp.
  double half_dlat = std::sin((Radians(lat2) - Radians(lat1)) / 2.0);
  double half_dlon = std::sin((Radians(lon2) - Radians(lon1)) / 2.0);
  double h = half_dlat * half_dlat + std::cos(Radians(lat1)) *
                                         std::cos(Radians(lat2)) * half_dlon *
                                         half_dlon;
  h = std::clamp(h, 0.0, 1.0);
  double km = 2.0 * parcours::ir::kEarthRadiusKm * std::asin(std::sqrt(h));

  // At most half the circumference, about 20,016 km: no overflow.
  return std::llround(km * 1000.0) * kMetre;
}

int64_t parcours_speed_kmh(int64_t km, int64_t seconds) {
  if (km < 0) return -kDecimalScale;

  // |seconds| without overflow, INT64_MIN included.
  uint64_t magnitude = seconds < 0 ? 0 - static_cast<uint64_t>(seconds)
                                   : static_cast<uint64_t>(seconds);
  if (magnitude == 0) {
    return km == 0 ? 0 : parcours::ir::kImpossibleSpeedKmh;
  }
  __int128 per_hour = static_cast<__int128>(km) * 3600;
  return static_cast<int64_t>(per_hour / magnitude);
}

int64_t parcours_string_compare(const char* a, int64_t a_length, const char* b,
                                int64_t b_length) {
  int64_t common = std::min(a_length, b_length);
  int order = common > 0 ? std::memcmp(a, b, static_cast<size_t>(common)) : 0;
  if (order != 0) return order < 0 ? -1 : 1;
  if (a_length == b_length) return 0;
  return a_length < b_length ? -1 : 1;
}
}
