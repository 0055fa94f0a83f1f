#include "compiler/ir/semantics.h"

#include <algorithm>

using parcours::ir::kDecimalScale;

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

int64_t parcours_string_compare(const char* a, int64_t a_length, const char* b,
                                int64_t b_length) {
  int64_t common = std::min(a_length, b_length);
  int order = common > 0 ? std::memcmp(a, b, static_cast<size_t>(common)) : 0;
  if (order != 0) return order < 0 ? -1 : 1;
  if (a_length == b_length) return 0;
  return a_length < b_length ? -1 : 1;
}
}
