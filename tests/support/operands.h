// Typed operands for the op tables of the IR tests: a value of one type,
// kept as the words a record holds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "compiler/ir/ir.h"

namespace parcours::testing {

struct Operand {
  ir::Type type = ir::Type::Int;
  int64_t word0 = 0;
  int64_t word1 = 0;
  std::string text;  // String operands only
};

inline Operand Word(ir::Type type, int64_t word0, int64_t word1 = 0) {
  Operand operand;
  operand.type = type;
  operand.word0 = word0;
  operand.word1 = word1;
  return operand;
}

inline Operand Int(int64_t value) { return Word(ir::Type::Int, value); }
inline Operand Bool(int64_t value) { return Word(ir::Type::Bool, value); }
inline Operand Decimal(int64_t units) { return Word(ir::Type::Decimal, units); }
inline Operand Duration(int64_t seconds) {
  return Word(ir::Type::Duration, seconds);
}
inline Operand Time(int64_t seconds) { return Word(ir::Type::Time, seconds); }
inline Operand Money(int64_t units, int64_t currency) {
  return Word(ir::Type::Money, units, currency);
}
inline Operand Str(std::string text) {
  Operand operand = Word(ir::Type::String, 0);
  operand.text = std::move(text);
  return operand;
}

}  // namespace parcours::testing
