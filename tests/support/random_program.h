// A seeded generator of random well-typed IR programs and of random
// records for them, shared by the differential tests: the JIT against the
// interpreter, and the interpreter before and after the IR passes.
//
// Everything comes from `std::mt19937_64`, which is fully specified, so a
// seed gives the same programs and records on every platform.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/ir.h"

namespace parcours::testing {

using ir::Base;
using ir::Op;
using ir::Type;

inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kScale = ir::kDecimalScale;
inline constexpr int32_t kRecordWords = 24;
inline constexpr std::array<Type, 7> kTypes = {
    Type::Bool,     Type::Int,  Type::Decimal, Type::Money,
    Type::Duration, Type::Time, Type::String};

// Strings of records and of string tables: common prefixes, different
// lengths, bytes >= 0x80 and embedded NULs.
inline const std::vector<std::string>& StringPool() {
  static const std::vector<std::string> pool = {
      "",
      "a",
      "ab",
      "abc",
      "abd",
      "b",
      "\x7f",
      "\x80",
      "\xff",
      "\xff\x01",
      "caf\xc3\xa9",
      "cafe",
      std::string("a\0b", 3),
      std::string("a\0", 2),
      "gold",
      "silver",
      std::string(40, 'z'),
  };
  return pool;
}

// A deterministic source of the random choices; `std::mt19937_64` is fully
// specified, and the helpers avoid the library's distributions, which are
// not.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  uint64_t Bits() { return engine_(); }

  // Uniform in [0, n).
  int64_t Below(int64_t n) {
    return static_cast<int64_t>(Bits() % static_cast<uint64_t>(n));
  }

  bool Chance(int percent) { return Below(100) < percent; }

  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(static_cast<int64_t>(items.size()))];
  }

  // A word biased toward the values where arithmetic goes wrong.
  int64_t Word() {
    switch (Below(10)) {
      case 0: return 0;
      case 1: return Chance(50) ? 1 : -1;
      case 2: return Pick(std::vector<int64_t>{kMin, kMax, kMin + 1, kMax - 1});
      case 3: return (Below(21) - 10) * kScale;
      case 4: return Below(201) - 100;
      case 5:
        return Pick(std::vector<int64_t>{kScale - 1, 1 - kScale, kScale / 2,
                                         -kScale / 2, 2, -2});
      case 6:
      case 7: return static_cast<int64_t>(Bits());
      default: return Below(2'000'000'000'001) - 1'000'000'000'000;
    }
  }

  int64_t Currency() {
    static const std::vector<int64_t> currencies = {
        ir::PackCurrency("EUR"), ir::PackCurrency("EUR"),
        ir::PackCurrency("USD"), 0, ir::PackCurrency("GBP")};
    return Pick(currencies);
  }

 private:
  std::mt19937_64 engine_;
};

struct RandomField {
  Type type;
  int32_t offset;
};

// The fields of one record, laid out from word 0 up to `kRecordWords`.
inline std::vector<RandomField> RandomLayout(Random& random) {
  std::vector<RandomField> fields;
  int32_t offset = 0;
  while (offset < kRecordWords) {
    Type type = kTypes[random.Below(kTypes.size())];
    if (offset + ir::WordCount(type) > kRecordWords) type = Type::Int;
    fields.push_back({type, offset});
    offset += ir::WordCount(type);
  }
  return fields;
}

// Operand and result types of an arithmetic or logical instruction; `b`
// equal to `a` with `unary` set means one operand.
struct Shape {
  Op op;
  Type result;
  Type a;
  Type b;
  bool unary = false;
};

inline const std::vector<Shape>& Shapes() {
  static const std::vector<Shape> shapes = [] {
    std::vector<Shape> all;
    for (Op op : {Op::Add, Op::Sub}) {
      for (Type type :
           {Type::Int, Type::Decimal, Type::Money, Type::Duration}) {
        all.push_back({op, type, type, type});
      }
    }
    all.push_back({Op::Add, Type::Time, Type::Time, Type::Duration});
    all.push_back({Op::Sub, Type::Time, Type::Time, Type::Duration});
    all.push_back({Op::Sub, Type::Duration, Type::Time, Type::Time});
    for (Op op : {Op::Mul, Op::Div}) {
      all.push_back({op, Type::Int, Type::Int, Type::Int});
      all.push_back({op, Type::Decimal, Type::Decimal, Type::Decimal});
      all.push_back({op, Type::Money, Type::Money, Type::Decimal});
      all.push_back({op, Type::Duration, Type::Duration, Type::Int});
    }
    for (Type type : {Type::Int, Type::Decimal, Type::Money, Type::Duration}) {
      all.push_back({Op::Neg, type, type, type, true});
    }
    for (Op op : {Op::And, Op::Or, Op::Guard}) {
      all.push_back({op, Type::Bool, Type::Bool, Type::Bool});
    }
    all.push_back({Op::Not, Type::Bool, Type::Bool, Type::Bool, true});
    all.push_back(
        {Op::IntToDecimal, Type::Decimal, Type::Int, Type::Int, true});
    all.push_back({Op::SpeedKmh, Type::Decimal, Type::Decimal, Type::Duration});
    return all;
  }();
  return shapes;
}

// How often a leaf (an operand that reads no other instruction) is
// something other than a constant, in percent.
struct LeafOdds {
  int present = 30;  // of bool leaves: `IsPresent`
  int now = 25;      // of time leaves: `Now`
  int load = 50;     // of the others, when the records hold the type
};

// Builds one random program: a random body whose every one-word prefix
// becomes a function, so that each intermediate value is checked.
class ProgramGenerator {
 public:
  explicit ProgramGenerator(Random& random, LeafOdds odds = {})
      : random_(random), odds_(odds) {
    for (auto& layout : layouts_) layout = RandomLayout(random_);
  }

  const std::vector<RandomField>& Layout(Base base) const {
    return layouts_[static_cast<int>(base)];
  }

  ir::Program Generate() {
    ir::Program program;
    program.module = "random";
    program.profile_words = kRecordWords;
    for (int i = random_.Below(4); i > 0; --i) {
      program.strings.push_back(random_.Pick(StringPool()));
    }

    body_.clear();
    int64_t length = 6 + random_.Below(35);
    while (static_cast<int64_t>(body_.size()) < length) Step(program);

    for (size_t end = 1; end <= body_.size(); ++end) {
      Type type = body_[end - 1].type;
      if (ir::WordCount(type) != 1) continue;
      ir::Function function;
      function.name = "prefix" + std::to_string(end);
      function.result = type;
      function.body.assign(body_.begin(), body_.begin() + end);
      program.functions.push_back(std::move(function));
    }
    return program;
  }

 private:
  void Step(ir::Program& program) {
    int64_t choice = random_.Below(100);
    if (choice < 15) {
      Leaf(program, kTypes[random_.Below(kTypes.size())]);
      return;
    }
    if (choice < 50) {
      Type type = kTypes[random_.Below(kTypes.size())];
      static const std::vector<Op> comparisons = {Op::Eq, Op::Ne, Op::Lt,
                                                  Op::Le, Op::Gt, Op::Ge};
      ir::Inst inst = Make(random_.Pick(comparisons), Type::Bool);
      inst.operand_type = type;
      inst.a = Operand(program, type);
      inst.b = Operand(program, type);
      Append(inst);
      return;
    }

    if (choice < 53) {
      // Four operands, the last two in `imm` and `imm2`.
      ir::Inst inst = Make(Op::DistanceKm, Type::Decimal);
      inst.a = Operand(program, Type::Decimal);
      inst.b = Operand(program, Type::Decimal);
      inst.imm = Operand(program, Type::Decimal);
      inst.imm2 = Operand(program, Type::Decimal);
      Append(inst);
      return;
    }

    if (choice < 55) {
      static const std::vector<int64_t> units = {1, 7, 60, 3600, 86400};
      ir::Inst inst = Make(Op::WholeUnits, Type::Int);
      inst.a = Operand(program, Type::Duration);
      inst.imm = random_.Pick(units);
      Append(inst);
      return;
    }

    const Shape& shape = random_.Pick(Shapes());
    ir::Inst inst = Make(shape.op, shape.result);
    inst.a = Operand(program, shape.a);
    if (!shape.unary) inst.b = Operand(program, shape.b);
    Append(inst);
  }

  // A value of `type`: usually an earlier one, sometimes a new leaf.
  int32_t Operand(ir::Program& program, Type type) {
    std::vector<int32_t> candidates;
    for (size_t i = 0; i < body_.size(); ++i) {
      if (body_[i].type == type) candidates.push_back(static_cast<int32_t>(i));
    }
    if (candidates.empty() || random_.Chance(20)) return Leaf(program, type);
    return random_.Pick(candidates);
  }

  // A constant, a load, `now` or a presence test, never reading another
  // instruction.
  int32_t Leaf(ir::Program& program, Type type) {
    std::vector<std::pair<Base, int32_t>> loads;
    for (Base base : {Base::Profile, Base::Event, Base::Local}) {
      for (const RandomField& field : Layout(base)) {
        if (field.type == type) loads.push_back({base, field.offset});
      }
    }

    if (type == Type::Bool && random_.Chance(odds_.present)) {
      ir::Inst inst = Make(Op::IsPresent, Type::Bool);
      inst.base = RandomBase();
      inst.imm = random_.Below(kRecordWords);
      return Append(inst);
    }
    if (type == Type::Time && random_.Chance(odds_.now)) {
      return Append(Make(Op::Now, Type::Time));
    }
    if (!loads.empty() && random_.Chance(odds_.load)) {
      auto [base, offset] = random_.Pick(loads);
      ir::Inst inst = Make(Op::Load, type);
      inst.base = base;
      inst.imm = offset;
      return Append(inst);
    }
    return Constant(program, type);
  }

  int32_t Constant(ir::Program& program, Type type) {
    if (type == Type::String) {
      program.strings.push_back(random_.Pick(StringPool()));
      ir::Inst inst = Make(Op::ConstString, Type::String);
      inst.imm = random_.Below(static_cast<int64_t>(program.strings.size()));
      return Append(inst);
    }
    ir::Inst inst = Make(Op::Const, type);
    inst.imm = type == Type::Bool ? random_.Below(2) : random_.Word();
    if (type == Type::Money) inst.imm2 = random_.Currency();
    return Append(inst);
  }

  Base RandomBase() { return static_cast<Base>(random_.Below(3)); }

  static ir::Inst Make(Op op, Type type) {
    ir::Inst inst{};
    inst.op = op;
    inst.type = type;
    inst.operand_type = type;
    return inst;
  }

  int32_t Append(const ir::Inst& inst) {
    body_.push_back(inst);
    return static_cast<int32_t>(body_.size()) - 1;
  }

  Random& random_;
  LeafOdds odds_;
  std::array<std::vector<RandomField>, 3> layouts_;
  std::vector<ir::Inst> body_;
};

// Random contents for a record laid out as `fields`.
inline std::vector<int64_t> RandomRecord(
    Random& random, const std::vector<RandomField>& fields) {
  std::vector<int64_t> words(kRecordWords, 0);
  for (const RandomField& field : fields) {
    int64_t* word = &words[field.offset];
    switch (field.type) {
      case Type::Bool: word[0] = random.Below(2); break;
      case Type::Money:
        word[0] = random.Word();
        word[1] = random.Currency();
        break;
      case Type::String: {
        const std::string& text = random.Pick(StringPool());
        word[0] = reinterpret_cast<int64_t>(text.data());
        word[1] = static_cast<int64_t>(text.size());
        break;
      }
      case Type::Int:
      case Type::Decimal:
      case Type::Duration:
      case Type::Time: word[0] = random.Word(); break;
    }
  }
  return words;
}

inline std::string DescribeRecord(const char* name,
                                  const std::vector<int64_t>& words) {
  std::ostringstream out;
  out << name << ":";
  for (int64_t word : words) out << " " << word;
  return out.str();
}

}  // namespace parcours::testing
