#include "compiler/ir/semantics.h"

#include <algorithm>

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
