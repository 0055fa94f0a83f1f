// Each IR op, with its edge cases, in the interpreter and the JIT; every
// case checks that the engines agree and that they give the value written
// here.
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "compiler/ir/passes.h"
#include "compiler/ir/semantics.h"
#include "jit_test_support.h"
#include "tests/support/operands.h"

namespace parcours::jit_test {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kScale = ir::kDecimalScale;

using testing::Bool;
using testing::Decimal;
using testing::Duration;
using testing::Int;
using testing::Money;
using testing::Operand;
using testing::Str;
using testing::Time;
using testing::Word;

using Body = std::function<int32_t(FunctionBuilder&, std::vector<int32_t>)>;

// A table of cases. Each case becomes two functions: one whose operands
// are constants, which the IR passes and LLVM's optimiser fold at compile
// time, and one whose operands are loaded from the event record, which
// they cannot. Both must give the expected value, before and after the
// IR passes.
class CaseTable {
 public:
  CaseTable() : program_(EmptyProgram()) {}

  void Add(const std::string& label, std::vector<Operand> operands,
           const Body& body, int64_t expected) {
    for (bool from_record : {false, true}) {
      FunctionBuilder builder(program_);
      std::vector<int32_t> values;
      for (size_t i = 0; i < operands.size(); ++i) {
        values.push_back(Materialise(builder, operands[i], from_record,
                                     static_cast<int64_t>(2 * i)));
      }
      body(builder, values);
      int32_t function = builder.Finish();
      cases_.push_back({label + (from_record ? " (loaded)" : " (constant)"),
                        function, records_.size(), expected, !from_record});
    }
    records_.push_back(Record(operands));
  }

  void Binary(Op op, Type type, Operand a, Operand b, int64_t expected) {
    Add(
        std::string(ir::OpName(op)) + " " + ir::TypeName(type), {a, b},
        [=](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.Binary(op, type, v[0], v[1]);
        },
        expected);
  }

  void Compare(Op op, Operand a, Operand b, int64_t expected) {
    Type type = a.type;
    Add(
        std::string(ir::OpName(op)) + " on " + ir::TypeName(type), {a, b},
        [=](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.Compare(op, type, v[0], v[1]);
        },
        expected);
  }

  void Unary(Op op, Type type, Operand a, int64_t expected) {
    Add(
        std::string(ir::OpName(op)) + " " + ir::TypeName(type), {a},
        [=](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.Unary(op, type, v[0]);
        },
        expected);
  }

  // A money result is two words, so it is observed through comparisons:
  // equal to the expected money when its currency is valid; unequal even
  // to itself when the currency is 0.
  // Expects `a op b` to be `amount` in `currency`. Mixed money compares
  // false even with itself; any other result equals the expected money.
  void MoneyBinary(Op op, Operand a, Operand b, int64_t amount,
                   int64_t currency) {
    bool mixed = currency == ir::kMixedCurrency;
    Add(
        std::string(ir::OpName(op)) + " money", {a, b},
        [=](FunctionBuilder& f, std::vector<int32_t> v) {
          int32_t result = f.Binary(op, Type::Money, v[0], v[1]);
          if (mixed) return f.Compare(Op::Eq, Type::Money, result, result);
          int32_t expected = f.Money(amount, currency);
          return f.Compare(Op::Eq, Type::Money, result, expected);
        },
        mixed ? 0 : 1);
  }

  // Runs every case in each engine, then again after the IR passes, which
  // must fold each constant case down to the single `Const` of its value.
  void Run() {
    ir::Program folded = program_;
    ir::RunPasses(folded);
    Engines engines(program_);
    Engines folded_engines(folded);
    for (const Case& c : cases_) {
      ir::Frame frame;
      frame.event = records_[c.record].data();
      INFO(c.label);
      CHECK(engines.Run(c.function, frame) == c.expected);
      CHECK(folded_engines.Run(c.function, frame) == c.expected);
      const std::vector<ir::Inst>& body = folded.functions[c.function].body;
      if (c.constant) {
        CHECK(body.size() == 1);
        CHECK(body.back().op == Op::Const);
      }
    }
  }

 private:
  struct Case {
    std::string label;
    int32_t function;
    size_t record;
    int64_t expected;
    bool constant;  // every operand a constant, so the passes fold it
  };

  int32_t Materialise(FunctionBuilder& builder, const Operand& operand,
                      bool from_record, int64_t offset) {
    if (from_record) return builder.Load(operand.type, Base::Event, offset);
    if (operand.type == Type::String) return builder.String(operand.text);
    return builder.Const(operand.type, operand.word0, operand.word1);
  }

  // Two words per operand; strings point into `texts_`, which never moves.
  std::vector<int64_t> Record(const std::vector<Operand>& operands) {
    std::vector<int64_t> words;
    for (const Operand& operand : operands) {
      if (operand.type != Type::String) {
        words.push_back(operand.word0);
        words.push_back(operand.word1);
        continue;
      }
      texts_.push_back(operand.text);
      words.push_back(reinterpret_cast<int64_t>(texts_.back().data()));
      words.push_back(static_cast<int64_t>(texts_.back().size()));
    }
    return words;
  }

  ir::Program program_;
  std::vector<Case> cases_;
  std::vector<std::vector<int64_t>> records_;
  std::deque<std::string> texts_;
};

TEST_CASE("jit: int arithmetic wraps and divides totally", "[jit][ops]") {
  CaseTable t;
  t.Binary(Op::Add, Type::Int, Int(2), Int(3), 5);
  t.Binary(Op::Add, Type::Int, Int(kMax), Int(1), kMin);
  t.Binary(Op::Sub, Type::Int, Int(kMin), Int(1), kMax);
  t.Binary(Op::Sub, Type::Int, Int(3), Int(10), -7);
  t.Binary(Op::Mul, Type::Int, Int(kMax), Int(2), -2);
  t.Binary(Op::Mul, Type::Int, Int(kMin), Int(-1), kMin);
  t.Binary(Op::Mul, Type::Int, Int(-6), Int(7), -42);
  t.Binary(Op::Div, Type::Int, Int(7), Int(2), 3);
  t.Binary(Op::Div, Type::Int, Int(-7), Int(2), -3);
  t.Binary(Op::Div, Type::Int, Int(7), Int(-2), -3);
  t.Binary(Op::Div, Type::Int, Int(7), Int(0), 0);
  t.Binary(Op::Div, Type::Int, Int(0), Int(0), 0);
  t.Binary(Op::Div, Type::Int, Int(kMin), Int(0), 0);
  t.Binary(Op::Div, Type::Int, Int(kMin), Int(-1), kMin);
  t.Binary(Op::Div, Type::Int, Int(5), Int(-1), -5);
  t.Binary(Op::Div, Type::Int, Int(kMin), Int(2), kMin / 2);
  t.Binary(Op::Div, Type::Int, Int(kMax), Int(kMin), 0);
  t.Unary(Op::Neg, Type::Int, Int(5), -5);
  t.Unary(Op::Neg, Type::Int, Int(kMin), kMin);
  t.Run();
}

TEST_CASE("jit: durations and times", "[jit][ops]") {
  CaseTable t;
  t.Binary(Op::Add, Type::Duration, Duration(60), Duration(30), 90);
  t.Binary(Op::Add, Type::Time, Time(1'700'000'000), Duration(3600),
           1'700'003'600);
  t.Binary(Op::Sub, Type::Duration, Time(100), Time(250), -150);
  t.Binary(Op::Sub, Type::Time, Time(1000), Duration(1), 999);
  t.Binary(Op::Mul, Type::Duration, Duration(60), Int(3), 180);
  t.Binary(Op::Div, Type::Duration, Duration(180), Int(0), 0);
  t.Binary(Op::Div, Type::Duration, Duration(3600), Int(-1), -3600);
  t.Binary(Op::Div, Type::Duration, Duration(kMin), Int(-1), kMin);
  t.Unary(Op::Neg, Type::Duration, Duration(90), -90);
  t.Run();
}

TEST_CASE("jit: decimal arithmetic rounds toward zero", "[jit][ops]") {
  CaseTable t;
  t.Binary(Op::Add, Type::Decimal, Decimal(1'500'000), Decimal(250'000),
           1'750'000);
  t.Binary(Op::Sub, Type::Decimal, Decimal(kMin), Decimal(1), kMax);
  t.Binary(Op::Mul, Type::Decimal, Decimal(1'500'000), Decimal(2'500'000),
           3'750'000);
  t.Binary(Op::Mul, Type::Decimal, Decimal(-1'500'000), Decimal(1), -1);
  t.Binary(Op::Mul, Type::Decimal, Decimal(-1), Decimal(500'000), 0);
  t.Binary(Op::Mul, Type::Decimal, Decimal(-2'500'000), Decimal(-2'500'000),
           6'250'000);
  t.Binary(Op::Mul, Type::Decimal, Decimal(kMax), Decimal(2 * kScale), -2);
  t.Binary(Op::Mul, Type::Decimal, Decimal(kMin), Decimal(kMin),
           7155565813168229910);
  t.Binary(Op::Div, Type::Decimal, Decimal(kScale), Decimal(3 * kScale),
           333'333);
  t.Binary(Op::Div, Type::Decimal, Decimal(-kScale), Decimal(3 * kScale),
           -333'333);
  t.Binary(Op::Div, Type::Decimal, Decimal(2 * kScale), Decimal(-3 * kScale),
           -666'666);
  t.Binary(Op::Div, Type::Decimal, Decimal(5 * kScale), Decimal(0), 0);
  t.Binary(Op::Div, Type::Decimal, Decimal(kMin), Decimal(1), 0);
  t.Binary(Op::Div, Type::Decimal, Decimal(kMin), Decimal(-kScale), kMin);
  t.Binary(Op::Div, Type::Decimal, Decimal(kMax), Decimal(kScale / 2), -2);
  t.Unary(Op::Neg, Type::Decimal, Decimal(1'250'000), -1'250'000);
  t.Unary(Op::IntToDecimal, Type::Decimal, Int(3), 3 * kScale);
  t.Unary(Op::IntToDecimal, Type::Decimal, Int(-7), -7 * kScale);
  t.Unary(Op::IntToDecimal, Type::Decimal, Int(kMax), -kScale);
  t.Unary(Op::IntToDecimal, Type::Decimal, Int(kMin), 0);
  t.Run();
}

TEST_CASE("jit: whole units round down, before the epoch too", "[jit][ops]") {
  struct WholeUnitsCase {
    int64_t seconds;
    int64_t unit;
    int64_t expected;
  };
  const WholeUnitsCase cases[] = {
      {0, 86400, 0},
      {86399, 86400, 0},
      {86400, 86400, 1},
      {-1, 86400, -1},
      {-86400, 86400, -1},
      {-86401, 86400, -2},
      {kMax, 1, kMax},
      {kMin, 1, kMin},
      {kMin, 86400, kMin / 86400 - 1},
      {kMax, 60, kMax / 60},
      {7199, 3600, 1},
      {-7199, 3600, -2},
  };
  CaseTable t;
  for (const WholeUnitsCase& c : cases) {
    int64_t unit = c.unit;
    t.Add(
        "whole_units " + std::to_string(c.seconds) + " / " +
            std::to_string(unit),
        {Duration(c.seconds)},
        [=](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.WholeUnits(v[0], unit);
        },
        c.expected);
  }
  t.Run();
}

TEST_CASE("jit: local dates and day starts follow the zone's rules",
          "[jit][ops]") {
  struct DayCase {
    int64_t time;
    const char* zone;
    int64_t expected;
  };
  // 1743289200 is 2025-03-29T23:00:00Z, midnight of 30 March in Paris
  // (date 20177); an empty or unknown zone is UTC.
  const DayCase days[] = {
      {1743289200, "Europe/Paris", 20177},
      {1743289199, "Europe/Paris", 20176},
      {1743289200, "", 20176},
      {1743289200, "Mars/Olympus", 20176},
      {1740805199, "America/New_York", 20147},
      {-1, "", -1},
      {kMax, "Europe/Paris", kMax / 86400},
      {kMin, "Europe/Paris", kMin / 86400 - 1},
  };
  CaseTable t;
  for (const DayCase& c : days) {
    t.Add(
        std::string("local_day ") + std::to_string(c.time) + " " + c.zone,
        {Time(c.time), Str(c.zone)},
        [](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.Binary(Op::LocalDay, Type::Int, v[0], v[1]);
        },
        c.expected);
  }
  // 30 March 2025 is 23 hours long in Paris; on 4 November 2018 São Paulo
  // skipped midnight, so that day began at 01:00 (03:00Z).
  const DayCase starts[] = {
      {20177, "Europe/Paris", 1743289200},
      {20178, "Europe/Paris", 1743372000},
      {17839, "America/Sao_Paulo", 1541300400},
      {20177, "", 20177 * 86400},
      {0, "Mars/Olympus", 0},
      {kMax, "", 10'000'000 * int64_t{86400}},
      {kMin, "", -10'000'000 * int64_t{86400}},
  };
  for (const DayCase& c : starts) {
    t.Add(
        std::string("day_start ") + std::to_string(c.time) + " " + c.zone,
        {Int(c.time), Str(c.zone)},
        [](FunctionBuilder& f, std::vector<int32_t> v) {
          return f.Binary(Op::DayStart, Type::Time, v[0], v[1]);
        },
        c.expected);
  }
  t.Run();
}

TEST_CASE("jit: calendar lengths move times in a zone and dates alone",
          "[jit][ops]") {
  using ir::CalendarUnit;
  struct ShiftCase {
    int64_t from;
    const char* zone;  // null: a date
    int64_t count;
    CalendarUnit unit;
    int64_t expected;
  };
  // 1711845000 is 2024-03-31T00:30:00Z, 01:30 CET on the night summer
  // time starts in Paris; 19753 is 2024-01-31, 19782 2024-02-29.
  const ShiftCase cases[] = {
      {1711845000, "Europe/Paris", 1, CalendarUnit::Month, 1714433400},
      {1711845000, "Europe/Paris", -1, CalendarUnit::Day, 1711758600},
      {1711845000, "", 1, CalendarUnit::Year, 1743381000},
      {1711845000, "Mars/Olympus", -2, CalendarUnit::Week, 1710635400},
      {kMax, "Europe/Paris", -1, CalendarUnit::Month, kMax},
      {19753, nullptr, 1, CalendarUnit::Month, 19782},
      {19782, nullptr, 1, CalendarUnit::Year, 20147},
      {19782, nullptr, -1, CalendarUnit::Day, 19781},
      {2932896, nullptr, 1, CalendarUnit::Day, 2932896},
  };
  CaseTable t;
  for (const ShiftCase& c : cases) {
    std::string label = std::string(c.zone ? "add_calendar " : "to_date ") +
                        std::to_string(c.from) + " " + std::to_string(c.count);
    std::vector<Operand> operands = {c.zone ? Time(c.from) : Int(c.from)};
    if (c.zone) operands.push_back(Str(c.zone));
    t.Add(
        label, operands,
        [c](FunctionBuilder& f, std::vector<int32_t> v) {
          int32_t zone = c.zone ? v[1] : -1;
          return f.AddCalendar(v[0], zone, c.count, c.unit);
        },
        c.expected);
  }
  t.Run();
}

TEST_CASE("jit: money keeps, combines or invalidates the currency",
          "[jit][ops]") {
  CaseTable t;
  t.MoneyBinary(Op::Add, Money(1'500'000, kEur), Money(2'250'000, kEur),
                3'750'000, kEur);
  t.MoneyBinary(Op::Sub, Money(1'500'000, kUsd), Money(2'000'000, kUsd),
                -500'000, kUsd);
  t.MoneyBinary(Op::Add, Money(1'500'000, kEur), Money(2'250'000, kUsd),
                3'750'000, ir::kMixedCurrency);
  // Money with no currency yet takes the other side's.
  t.MoneyBinary(Op::Sub, Money(1, kEur), Money(1, ir::kNoCurrency), 0, kEur);
  t.MoneyBinary(Op::Add, Money(1, ir::kNoCurrency), Money(1, ir::kNoCurrency),
                2, ir::kNoCurrency);
  // Mixed money stays mixed.
  t.MoneyBinary(Op::Add, Money(1, ir::kMixedCurrency), Money(1, kEur), 2,
                ir::kMixedCurrency);
  t.MoneyBinary(Op::Mul, Money(10 * kScale, kEur), Decimal(kScale / 2),
                5 * kScale, kEur);
  t.MoneyBinary(Op::Mul, Money(-1, kEur), Decimal(kScale / 2), 0, kEur);
  t.MoneyBinary(Op::Div, Money(10 * kScale, kUsd), Decimal(4 * kScale),
                2'500'000, kUsd);
  t.MoneyBinary(Op::Div, Money(10 * kScale, kUsd), Decimal(0), 0, kUsd);
  t.Add(
      "neg money keeps the currency", {Money(5 * kScale, kEur)},
      [](FunctionBuilder& f, std::vector<int32_t> v) {
        int32_t negated = f.Unary(Op::Neg, Type::Money, v[0]);
        int32_t expected = f.Money(-5 * kScale, kEur);
        return f.Compare(Op::Eq, Type::Money, negated, expected);
      },
      1);
  t.Run();
}

TEST_CASE("jit: money compares only within one currency", "[jit][ops]") {
  CaseTable t;
  t.Compare(Op::Lt, Money(1, kEur), Money(2, kEur), 1);
  t.Compare(Op::Ge, Money(2, kEur), Money(1, kEur), 1);
  t.Compare(Op::Ne, Money(1, kEur), Money(2, kEur), 1);
  t.Compare(Op::Ne, Money(1, kEur), Money(1, kEur), 0);
  t.Compare(Op::Eq, Money(1, kEur), Money(1, kEur), 1);
  t.Compare(Op::Le, Money(kMin, kEur), Money(kMax, kEur), 1);
  t.Compare(Op::Lt, Money(1, kEur), Money(2, kUsd), 0);
  t.Compare(Op::Ne, Money(1, kEur), Money(2, kUsd), 0);
  t.Compare(Op::Eq, Money(1, kEur), Money(1, kUsd), 0);
  t.Compare(Op::Eq, Money(0, ir::kNoCurrency), Money(0, ir::kNoCurrency), 1);
  t.Compare(Op::Lt, Money(0, ir::kNoCurrency), Money(2, kEur), 1);
  t.Compare(Op::Gt, Money(3, kUsd), Money(0, ir::kNoCurrency), 1);
  t.Compare(Op::Eq, Money(1, ir::kMixedCurrency), Money(1, kEur), 0);
  t.Compare(Op::Ne, Money(1, ir::kMixedCurrency), Money(2, kEur), 0);
  t.Compare(Op::Eq, Money(1, ir::kMixedCurrency), Money(1, ir::kMixedCurrency),
            0);
  t.Run();
}

TEST_CASE("jit: comparisons of one-word types are signed", "[jit][ops]") {
  CaseTable t;
  for (auto [a, b] : {std::pair<int64_t, int64_t>{1, 2},
                      {2, 2},
                      {2, 1},
                      {kMin, kMax},
                      {-1, 1},
                      {kMax, kMin}}) {
    int64_t lt = a < b ? 1 : 0;
    int64_t eq = a == b ? 1 : 0;
    int64_t gt = a > b ? 1 : 0;
    t.Compare(Op::Eq, Int(a), Int(b), eq);
    t.Compare(Op::Ne, Int(a), Int(b), 1 - eq);
    t.Compare(Op::Lt, Int(a), Int(b), lt);
    t.Compare(Op::Le, Int(a), Int(b), lt | eq);
    t.Compare(Op::Gt, Int(a), Int(b), gt);
    t.Compare(Op::Ge, Int(a), Int(b), gt | eq);
  }
  t.Compare(Op::Lt, Decimal(-1), Decimal(1), 1);
  t.Compare(Op::Ge, Duration(-60), Duration(60), 0);
  t.Compare(Op::Gt, Time(1'700'000'001), Time(1'700'000'000), 1);
  t.Compare(Op::Le, Time(kMin), Time(0), 1);
  t.Compare(Op::Eq, Bool(1), Bool(1), 1);
  t.Compare(Op::Lt, Bool(0), Bool(1), 1);
  t.Compare(Op::Ne, Bool(0), Bool(0), 0);
  t.Run();
}

TEST_CASE("jit: strings compare bytes as unsigned, then lengths",
          "[jit][ops]") {
  CaseTable t;
  t.Compare(Op::Lt, Str("abc"), Str("abd"), 1);
  t.Compare(Op::Lt, Str("ab"), Str("abc"), 1);
  t.Compare(Op::Eq, Str("ab"), Str("abc"), 0);
  t.Compare(Op::Gt, Str("abc"), Str("ab"), 1);
  t.Compare(Op::Eq, Str(""), Str(""), 1);
  t.Compare(Op::Lt, Str(""), Str("a"), 1);
  t.Compare(Op::Ge, Str("ab"), Str("abc"), 0);
  t.Compare(Op::Le, Str("abc"), Str("abc"), 1);
  t.Compare(Op::Ne, Str("abc"), Str("abd"), 1);
  t.Compare(Op::Eq, Str("caf\xc3\xa9"), Str("caf\xc3\xa9"), 1);
  t.Compare(Op::Gt, Str("\xc3\xa9"), Str("z"), 1);
  t.Compare(Op::Gt, Str("\x80"), Str("\x7f"), 1);
  t.Compare(Op::Lt, Str("\xff"), Str("\xff\x01"), 1);
  t.Compare(Op::Lt, Str(std::string("a\0b", 3)), Str(std::string("a\0c", 3)),
            1);
  t.Compare(Op::Gt, Str(std::string("a\0", 2)), Str("a"), 1);
  t.Compare(Op::Eq, Str(std::string("a\0", 2)), Str("a"), 0);
  t.Run();
}

// String `==` against a literal is inlined as a length test and at most
// two loads per side; every length up to past the inlined ones, with
// strings that differ at the first, a middle or the last byte.
TEST_CASE("jit: a loaded string equals a literal only byte for byte",
          "[jit][ops]") {
  ir::Program program = EmptyProgram();
  struct Case {
    int32_t function;
    std::string stored;
    int64_t expected;
  };
  std::vector<Case> cases;
  for (size_t length = 0; length <= 18; ++length) {
    std::string literal;
    for (size_t i = 0; i < length; ++i) literal += static_cast<char>('a' + i);
    std::vector<std::string> stored = {literal, literal + "x"};
    if (length > 0) stored.push_back(literal.substr(0, length - 1));
    for (size_t at : {size_t{0}, length / 2, length - 1}) {
      if (at >= length) continue;
      std::string changed = literal;
      changed[at] = static_cast<char>(changed[at] ^ 0x80);
      stored.push_back(changed);
    }
    for (Op op : {Op::Eq, Op::Ne}) {
      for (bool literal_first : {false, true}) {
        FunctionBuilder f(program);
        int32_t loaded = f.Load(Type::String, Base::Event, 0);
        int32_t text = f.String(literal);
        if (literal_first) std::swap(loaded, text);
        f.Compare(op, Type::String, loaded, text);
        int32_t function = f.Finish();
        for (const std::string& value : stored) {
          bool equal = value == literal;
          cases.push_back({function, value, (op == Op::Eq) == equal ? 1 : 0});
        }
      }
    }
  }

  Engines engines(program);
  for (const Case& c : cases) {
    // A copy of its own, so that a load past its end would read no other
    // case's bytes.
    std::string bytes = c.stored;
    std::vector<int64_t> event = {reinterpret_cast<int64_t>(bytes.data()),
                                  static_cast<int64_t>(bytes.size())};
    ir::Frame frame;
    frame.event = event.data();
    INFO("function " << c.function << " on \"" << c.stored << "\"");
    CHECK(engines.Run(c.function, frame) == c.expected);
  }
}

// Decimal products and quotients by a literal fold in LLVM (`x * 0.02` to
// `x / 50`) on the path where the scaled value fits in 64 bits; on either
// side of that limit both engines must give the helper's result.
TEST_CASE("jit: decimal products and quotients by literals", "[jit][ops]") {
  const std::vector<int64_t> literals = {20'000, 3 * kScale, -500'000, 1,   -1,
                                         7,      0,          kMin,     kMax};
  ir::Program program = EmptyProgram();
  std::vector<std::pair<Op, int64_t>> functions;
  for (int64_t literal : literals) {
    for (Op op : {Op::Mul, Op::Div}) {
      FunctionBuilder f(program);
      f.Binary(op, Type::Decimal, f.Load(Type::Decimal, Base::Event, 0),
               f.Const(Type::Decimal, literal));
      f.Finish();
      functions.push_back({op, literal});
    }
  }

  std::vector<int64_t> values = {0,    1,    -1,       kScale,  -7 * kScale,
                                 kMin, kMax, kMin + 1, kMax - 1};
  for (int64_t limit :
       {kMax / kScale, kMax / 20'000, kMax / (3 * kScale), kMax / 7}) {
    for (int64_t near : {limit - 1, limit, limit + 1}) {
      values.push_back(near);
      values.push_back(-near);
    }
  }

  Engines engines(program);
  for (size_t fn = 0; fn < functions.size(); ++fn) {
    auto [op, literal] = functions[fn];
    for (int64_t value : values) {
      std::vector<int64_t> event = {value};
      ir::Frame frame;
      frame.event = event.data();
      int64_t expected = op == Op::Mul ? parcours_decimal_mul(value, literal)
                                       : parcours_decimal_div(value, literal);
      INFO(ir::OpName(op) << " " << value << " by " << literal);
      CHECK(engines.Run(static_cast<int32_t>(fn), frame) == expected);
    }
  }
}

// A decimal or money divided by an int made a decimal (`sum / count`):
// on either side of the count whose scaled value fits in 64 bits, and at
// 0 and -1, both engines give the helper's result.
TEST_CASE("jit: division by an int made a decimal", "[jit][ops]") {
  ir::Program program = EmptyProgram();
  for (Type type : {Type::Decimal, Type::Money}) {
    FunctionBuilder f(program);
    int32_t count = f.Unary(Op::IntToDecimal, Type::Decimal,
                            f.Load(Type::Int, Base::Event, 2));
    int32_t quotient =
        f.Binary(Op::Div, type, f.Load(type, Base::Event, 0), count);
    // A money result is observed through its amount compared with the
    // expected one, at word 3 of the record.
    int32_t expected = f.Load(type, Base::Event, 3);
    f.Compare(Op::Eq, type, quotient, expected);
    f.Finish();
  }

  const int64_t limit = kMax / kScale;
  const std::vector<int64_t> counts = {
      0, 1, -1, 2, -3, 7, limit, limit + 1, -limit, -limit - 1, kMin, kMax};
  const std::vector<int64_t> amounts = {
      0, 1, -1, 75 * kScale, -7 * kScale, kMin, kMin + 1, kMax};
  Engines engines(program);
  for (int64_t count : counts) {
    for (int64_t amount : amounts) {
      int64_t want = parcours_decimal_div(amount, ir::WrapMul(count, kScale));
      // amount, its currency, the count, the expected value and currency.
      std::vector<int64_t> event = {amount, kEur, count, want, kEur};
      ir::Frame frame;
      frame.event = event.data();
      INFO(amount << " / " << count);
      CHECK(engines.Run(0, frame) == 1);
      CHECK(engines.Run(1, frame) == 1);
    }
  }
}

TEST_CASE("jit: boolean ops and guards", "[jit][ops]") {
  CaseTable t;
  for (int64_t a : {0, 1}) {
    for (int64_t b : {0, 1}) {
      t.Binary(Op::And, Type::Bool, Bool(a), Bool(b), a & b);
      t.Binary(Op::Or, Type::Bool, Bool(a), Bool(b), a | b);
      t.Binary(Op::Guard, Type::Bool, Bool(a), Bool(b), a & b);
    }
    t.Unary(Op::Not, Type::Bool, Bool(a), 1 - a);
  }
  t.Run();
}

TEST_CASE("jit: now is the frame's clock", "[jit][ops]") {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  f.Now();
  int32_t now = f.Finish();
  f.Binary(Op::Sub, Type::Duration, f.Now(), f.Const(Type::Time, 1'000));
  int32_t since = f.Finish();

  Engines engines(program);
  for (int64_t clock : {int64_t{0}, int64_t{1'700'000'000}, kMin, kMax}) {
    ir::Frame frame;
    frame.now = clock;
    CHECK(engines.Run(now, frame) == clock);
    CHECK(engines.Run(since, frame) ==
          static_cast<int64_t>(static_cast<uint64_t>(clock) - 1000));
  }
}

TEST_CASE("jit: loads read every base at word offsets", "[jit][ops]") {
  ir::Program program = EmptyProgram(8);
  FunctionBuilder f(program);
  f.Load(Type::Int, Base::Profile, 7);
  int32_t profile_int = f.Finish();
  f.Load(Type::Int, Base::Event, 0);
  int32_t event_int = f.Finish();
  f.Load(Type::Duration, Base::Local, 3);
  int32_t local_duration = f.Finish();

  // Two-word loads: money from the profile, a string from the locals.
  f.Compare(Op::Eq, Type::Money, f.Load(Type::Money, Base::Profile, 2),
            f.Money(42 * kScale, kUsd));
  int32_t profile_money = f.Finish();
  f.Compare(Op::Eq, Type::String, f.Load(Type::String, Base::Local, 0),
            f.String("gold"));
  int32_t local_string = f.Finish();

  std::string gold = "gold";
  std::vector<int64_t> profile = {0, 0, 42 * kScale, kUsd, 0, 0, 0, -9};
  std::vector<int64_t> event = {kMin};
  std::vector<int64_t> locals = {reinterpret_cast<int64_t>(gold.data()), 4, 0,
                                 3600};
  ir::Frame frame{profile.data(), event.data(), locals.data(), 0};

  Engines engines(program);
  CHECK(engines.Run(profile_int, frame) == -9);
  CHECK(engines.Run(event_int, frame) == kMin);
  CHECK(engines.Run(local_duration, frame) == 3600);
  CHECK(engines.Run(profile_money, frame) == 1);
  CHECK(engines.Run(local_string, frame) == 1);

  // A function only reads the bases it names; the others may be null.
  ir::Frame event_only{nullptr, event.data(), nullptr, 0};
  CHECK(engines.Run(event_int, event_only) == kMin);
}

TEST_CASE("jit: presence words and guards on absent optionals", "[jit][ops]") {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  f.IsPresent(Base::Event, 0);
  int32_t present = f.Finish();

  // `amount > 5` on an optional Int at word 1 whose presence is word 0.
  int32_t is_present = f.IsPresent(Base::Event, 0);
  int32_t greater =
      f.Compare(Op::Gt, Type::Int, f.Load(Type::Int, Base::Event, 1),
                f.Const(Type::Int, 5));
  f.Binary(Op::Guard, Type::Bool, is_present, greater);
  int32_t guarded = f.Finish();

  // `not (amount > 5)` stays false when absent, as the language requires.
  is_present = f.IsPresent(Base::Event, 0);
  greater = f.Compare(Op::Le, Type::Int, f.Load(Type::Int, Base::Event, 1),
                      f.Const(Type::Int, 5));
  f.Binary(Op::Guard, Type::Bool, is_present, greater);
  int32_t guarded_le = f.Finish();

  Engines engines(program);
  auto run = [&](int32_t function, std::vector<int64_t> event) {
    ir::Frame frame;
    frame.event = event.data();
    return engines.Run(function, frame);
  };
  CHECK(run(present, {0}) == 0);
  CHECK(run(present, {1}) == 1);
  CHECK(run(present, {7}) == 1);
  CHECK(run(present, {-1}) == 1);
  CHECK(run(present, {kMin}) == 1);
  CHECK(run(guarded, {0, 99}) == 0);
  CHECK(run(guarded, {1, 99}) == 1);
  CHECK(run(guarded, {1, 3}) == 0);
  CHECK(run(guarded_le, {0, 3}) == 0);
  CHECK(run(guarded_le, {1, 3}) == 1);
}

TEST_CASE("jit: a longer function mixing every kind of value", "[jit][ops]") {
  // (price * qty_as_decimal > 100.00 EUR) and name != "test" or vip
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  int32_t price = f.Load(Type::Money, Base::Event, 0);
  int32_t quantity = f.Unary(Op::IntToDecimal, Type::Decimal,
                             f.Load(Type::Int, Base::Event, 2));
  int32_t total = f.Binary(Op::Mul, Type::Money, price, quantity);
  int32_t big =
      f.Compare(Op::Gt, Type::Money, total, f.Money(100 * kScale, kEur));
  int32_t real =
      f.Compare(Op::Ne, Type::String, f.Load(Type::String, Base::Event, 3),
                f.String("test"));
  int32_t both = f.Binary(Op::And, Type::Bool, big, real);
  f.Binary(Op::Or, Type::Bool, both, f.Load(Type::Bool, Base::Profile, 0));
  int32_t function = f.Finish();

  std::string name = "alice";
  std::string test = "test";
  auto run = [&](int64_t amount, int64_t currency, int64_t quantity_value,
                 const std::string& who, int64_t vip) {
    std::vector<int64_t> event = {amount, currency, quantity_value,
                                  reinterpret_cast<int64_t>(who.data()),
                                  static_cast<int64_t>(who.size())};
    std::vector<int64_t> profile(16, 0);
    profile[0] = vip;
    Engines engines(program);
    return engines.Run(function, {profile.data(), event.data(), nullptr, 0});
  };
  CHECK(run(30 * kScale, kEur, 4, name, 0) == 1);
  CHECK(run(30 * kScale, kEur, 3, name, 0) == 0);
  CHECK(run(30 * kScale, kUsd, 4, name, 0) == 0);
  CHECK(run(30 * kScale, kEur, 4, test, 0) == 0);
  CHECK(run(30 * kScale, kEur, 4, test, 1) == 1);
}

}  // namespace
}  // namespace parcours::jit_test
