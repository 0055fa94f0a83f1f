// `in_set`, the lookup of a long `in [...]` list of literals in a sorted
// constant set (compiler/ir/lists.h): the interpreter, the JIT (optimised
// and not) and the constant folder agree with each other and with a plain
// search of the items, over random sets and probes; and a long list
// written in the language means what the chain of comparisons it replaces
// means, absent values and duplicates included.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/lists.h"
#include "compiler/ir/passes.h"
#include "compiler/ir/semantics.h"
#include "compiler/lower/lower.h"
#include "jit_test_support.h"
#include "tests/support/compile.h"
#include "tests/support/random_program.h"

namespace parcours::jit_test {
namespace {

using testing::Random;

bool Holds(const std::vector<int64_t>& items, int64_t value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

bool Holds(const std::vector<std::string>& items, const std::string& value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

// Whether function `function` of `program` folds to the constant `value`.
bool FoldsTo(const ir::Program& program, int32_t function, int64_t value) {
  ir::Program folded = program;
  ir::RunPasses(folded);
  const std::vector<ir::Inst>& body = folded.functions[function].body;
  return body.size() == 1 && body[0].op == Op::Const && body[0].imm == value;
}

// Random items of one-word `type`, repeats likely; bools are 0 or 1.
std::vector<int64_t> RandomWords(Random& random, Type type) {
  std::vector<int64_t> items;
  for (int64_t n = random.Below(40); n > 0; --n) {
    if (type == Type::Bool) {
      items.push_back(random.Below(2));
    } else if (!items.empty() && random.Chance(20)) {
      items.push_back(random.Pick(items));
    } else {
      items.push_back(random.Word());
    }
  }
  return items;
}

// Each item, its neighbours (wrapping), and random words.
std::vector<int64_t> WordProbes(Random& random,
                                const std::vector<int64_t>& items, Type type) {
  if (type == Type::Bool) return {0, 1};
  std::vector<int64_t> probes;
  for (int64_t item : items) {
    probes.push_back(item);
    probes.push_back(ir::WrapSub(item, 1));
    probes.push_back(ir::WrapSub(item, -1));
  }
  for (int i = 0; i < 8; ++i) probes.push_back(random.Word());
  return probes;
}

TEST_CASE("in_set: random word sets agree in every engine and when folded",
          "[jit][in_set]") {
  constexpr uint64_t kSeed = 20261206;
  constexpr Type kWordTypes[] = {Type::Bool, Type::Int, Type::Decimal,
                                 Type::Duration, Type::Time};
  Random random(kSeed);
  int64_t hits = 0;
  int64_t misses = 0;
  for (int trial = 0; trial < 40; ++trial) {
    Type type = kWordTypes[trial % 5];
    std::vector<int64_t> items = RandomWords(random, type);
    std::vector<int64_t> probes = WordProbes(random, items, type);

    // One function reads the probe from the event record; one per probe
    // looks its constant up, for the folder.
    ir::Program program = EmptyProgram();
    FunctionBuilder f(program);
    int64_t set = f.AddSet(ir::MakeWordSet(type, items));
    f.InSet(f.Load(type, Base::Event, 0), set);
    int32_t loaded = f.Finish();
    for (int64_t probe : probes) {
      f.InSet(f.Const(type, probe), set);
      f.Finish();
    }
    Engines engines(program);

    for (size_t p = 0; p < probes.size(); ++p) {
      int64_t expected = Holds(items, probes[p]) ? 1 : 0;
      (expected != 0 ? hits : misses) += 1;
      std::vector<int64_t> record(16, 0);
      record[0] = probes[p];
      ir::Frame frame{record.data(), record.data(), record.data(), 0};
      INFO("trial " << trial << ", probe " << probes[p]);
      CHECK(engines.Run(loaded, frame) == expected);
      auto constant = static_cast<int32_t>(loaded + 1 + p);
      CHECK(engines.Run(constant) == expected);
      CHECK(FoldsTo(program, constant, expected));
    }
  }
  CHECK(hits > 100);
  CHECK(misses > 100);
}

// A random string over bytes that order differently as signed and as
// unsigned chars, with NULs and prefixes of one another likely.
std::string RandomText(Random& random) {
  static const std::vector<std::string> kPieces = {
      "a", "b", "ab", "A", std::string(1, '\0'), "\xc3\xa9", "\xff", " "};
  std::string text;
  for (int64_t n = random.Below(4); n > 0; --n) text += random.Pick(kPieces);
  return text;
}

TEST_CASE("in_set: random string sets agree in every engine and when folded",
          "[jit][in_set]") {
  constexpr uint64_t kSeed = 20261207;
  Random random(kSeed);
  int64_t hits = 0;
  int64_t misses = 0;
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<std::string> items;
    for (int64_t n = random.Below(40); n > 0; --n) {
      items.push_back(random.Chance(20) && !items.empty() ? random.Pick(items)
                                                          : RandomText(random));
    }
    std::vector<std::string> probes;
    for (const std::string& item : items) {
      probes.push_back(item);
      probes.push_back(item + "a");
      if (!item.empty()) probes.push_back(item.substr(1));
    }
    for (int i = 0; i < 8; ++i) probes.push_back(RandomText(random));

    ir::Program program = EmptyProgram();
    FunctionBuilder f(program);
    int64_t set = f.AddSet(ir::MakeStringSet(items));
    f.InSet(f.Load(Type::String, Base::Event, 0), set);
    int32_t loaded = f.Finish();
    for (const std::string& probe : probes) {
      f.InSet(f.String(probe), set);
      f.Finish();
    }
    Engines engines(program);

    for (size_t p = 0; p < probes.size(); ++p) {
      int64_t expected = Holds(items, probes[p]) ? 1 : 0;
      (expected != 0 ? hits : misses) += 1;
      std::vector<int64_t> record(16, 0);
      record[0] = reinterpret_cast<int64_t>(probes[p].data());
      record[1] = static_cast<int64_t>(probes[p].size());
      ir::Frame frame{record.data(), record.data(), record.data(), 0};
      INFO("trial " << trial << ", probe " << p << " of " << ir::Dump(program));
      CHECK(engines.Run(loaded, frame) == expected);
      auto constant = static_cast<int32_t>(loaded + 1 + p);
      CHECK(engines.Run(constant) == expected);
      CHECK(FoldsTo(program, constant, expected));
    }
  }
  CHECK(hits > 100);
  CHECK(misses > 100);
}

TEST_CASE("in_set: the verifier refuses a set out of order or of money",
          "[jit][in_set]") {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);
  int64_t set = f.AddSet(ir::MakeWordSet(Type::Int, {1, 2, 3}));
  f.InSet(f.Load(Type::Int, Base::Event, 0), set);
  f.Finish();
  REQUIRE(ir::Verify(program).empty());

  ir::Program repeated = program;
  repeated.const_sets[0].words = {1, 2, 2};
  CHECK_FALSE(ir::Verify(repeated).empty());

  ir::Program unsorted_strings = program;
  unsorted_strings.const_sets[0] = ir::MakeStringSet({"a", "b"});
  unsorted_strings.const_sets[0].bytes = "ba";
  CHECK_FALSE(ir::Verify(unsorted_strings).empty());

  ir::Program money = program;
  money.const_sets[0].type = Type::Money;
  CHECK_FALSE(ir::Verify(money).empty());

  ir::Program wrong_operand = program;
  wrong_operand.functions[0].body[1].operand_type = Type::String;
  CHECK_FALSE(ir::Verify(wrong_operand).empty());
}

// --- Long lists written in the language ------------------------------------

const char kSchema[] =
    "profile {\n"
    "  tier: enum { t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 } = t0\n"
    "  score: int = 0\n"
    "  rate: decimal = 0\n"
    "  code: string?\n"
    "}\n";

// `item == a or item == b ...`, or with `!=` and `and` for `not in`.
std::string Chain(const std::string& item, bool negated,
                  const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& one : items) {
    if (!text.empty()) text += negated ? " and " : " or ";
    text += item + (negated ? " != " : " == ") + one;
  }
  return "(" + text + ")";
}

std::string List(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& one : items) {
    text += (text.empty() ? "" : ", ") + one;
  }
  return "[" + text + "]";
}

// The strings the `code` attribute takes: the list's items and near misses.
const std::vector<std::string>& Codes() {
  static const std::vector<std::string> codes = {
      "a", "b", "", "\xc3\xa9", "ab", "abc", "A", "z", "c", "ba", "e", "zz"};
  return codes;
}

// A profile of `kSchema` with values the lists below hold or nearly hold.
std::vector<int64_t> RandomProfile(Random& random, const ir::Program& program) {
  std::vector<int64_t> words(program.profile_words, 0);
  for (const ir::Field& field : program.profile) {
    int64_t* word = &words[field.offset];
    if (field.name == "tier") {
      word[0] = random.Below(10);
    } else if (field.name == "score") {
      word[0] = random.Chance(80) ? random.Below(16) - 4 : random.Word();
    } else if (field.name == "rate") {
      int64_t whole = (random.Below(12) - 2) * ir::kDecimalScale;
      word[0] = random.Chance(70) ? whole : whole + ir::kDecimalScale / 2;
    } else if (field.name == "code") {
      const std::string& code = random.Pick(Codes());
      word[0] = reinterpret_cast<int64_t>(code.data());
      word[1] = static_cast<int64_t>(code.size());
      words[field.presence_offset] = random.Below(2);
    }
  }
  return words;
}

bool UsesInSet(const ir::Program& program, int32_t function) {
  for (const ir::Inst& inst : program.functions[function].body) {
    if (inst.op == Op::InSet) return true;
  }
  return false;
}

struct ListCase {
  std::string item;
  std::vector<std::string> items;
};

// `items`, then `pad(k)` for k = 0, 1, ... until the list is long enough
// to become a set.
std::vector<std::string> Padded(std::vector<std::string> items,
                                std::string (*pad)(size_t)) {
  for (size_t k = 0; items.size() < lower::kInSetMinItems; ++k) {
    items.push_back(pad(k));
  }
  return items;
}

std::string PadString(size_t k) { return "\"pad" + std::to_string(k) + "\""; }
std::string PadNumber(size_t k) { return std::to_string(100 + k); }
std::string PadDecimal(size_t k) { return std::to_string(100 + k) + ".5"; }
std::string PadTier(size_t k) { return k % 2 == 0 ? "t3" : "t9"; }

TEST_CASE("in: a long list of literals means the chain of comparisons",
          "[jit][in_set]") {
  const std::vector<ListCase> cases = {
      {"profile.code", Padded({"\"a\"", "\"b\"", "\"\"", "\"\xc3\xa9\"",
                               "\"ab\"", "\"abc\"", "\"b\"", "\"A\"", "\"z\""},
                              PadString)},
      {"profile.score",
       Padded({"-3", "0", "2", "2", "5", "7", "9", "11", "1000000"},
              PadNumber)},
      {"profile.rate",
       Padded({"1", "2", "3", "4", "5", "-1", "8", "8"}, PadNumber)},
      {"profile.score",
       Padded({"1.5", "2.0", "3.0", "4.25", "5.0", "6.0", "7.0", "-2.0"},
              PadDecimal)},
      {"profile.tier",
       Padded({"t1", "t3", "t3", "t5", "t7", "t2", "t2"}, PadTier)},
  };
  std::string text = kSchema;
  for (size_t c = 0; c < cases.size(); ++c) {
    REQUIRE(cases[c].items.size() >= lower::kInSetMinItems);
    for (bool negated : {false, true}) {
      std::string name = "c" + std::to_string(c) + (negated ? "not" : "in");
      text += "segment " + name + "_set = " + cases[c].item +
              (negated ? " not in " : " in ") + List(cases[c].items) + "\n";
      text += "segment " + name +
              "_chain = " + Chain(cases[c].item, negated, cases[c].items) +
              "\n";
    }
  }
  auto compiled = testing::CompileText(text);
  INFO(text << compiled.diagnostics);
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;
  for (size_t s = 0; s < program.segments.size(); s += 2) {
    CHECK(UsesInSet(program, program.segments[s].predicate));
    CHECK_FALSE(UsesInSet(program, program.segments[s + 1].predicate));
  }

  // Unoptimised and optimised, before and after the passes.
  ir::Program passed = program;
  ir::RunPasses(passed);
  Engines before(program);
  Engines after(passed);
  Random random(20261208);
  int64_t held = 0;
  for (int f = 0; f < 300; ++f) {
    std::vector<int64_t> profile = RandomProfile(random, program);
    ir::Frame frame{profile.data(), nullptr, nullptr, 0};
    for (size_t s = 0; s < program.segments.size(); s += 2) {
      int32_t set = program.segments[s].predicate;
      int32_t chain = program.segments[s + 1].predicate;
      INFO("segment " << program.segments[s].name << ", frame " << f);
      int64_t expected = before.Run(chain, frame);
      CHECK(before.Run(set, frame) == expected);
      CHECK(after.Run(set, frame) == expected);
      held += expected;
    }
  }
  CHECK(held > 300);
}

// The value of segment `name` of `program` in both engines on `profile`.
int64_t Segment(const Engines& engines, const ir::Program& program,
                const std::string& name, std::vector<int64_t>& profile) {
  ir::Frame frame{profile.data(), nullptr, nullptr, 0};
  for (const ir::Segment& segment : program.segments) {
    if (segment.name == name) return engines.Run(segment.predicate, frame);
  }
  FAIL("no segment " << name);
  return -1;
}

TEST_CASE("in: an absent value is neither in nor not in a long list",
          "[jit][in_set]") {
  std::vector<std::string> items =
      Padded({"\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""}, PadString);
  std::string text = std::string(kSchema) +
                     "segment in_long = profile.code in " + List(items) +
                     "\nsegment not_in_long = profile.code not in " +
                     List(items) + "\nsegment in_empty = profile.code in []" +
                     "\nsegment not_in_empty = profile.code not in []\n";
  auto compiled = testing::CompileText(text);
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;
  CHECK(UsesInSet(program, program.segments[0].predicate));
  CHECK(UsesInSet(program, program.segments[1].predicate));
  Engines engines(program);

  const ir::Field& code = program.profile[3];
  REQUIRE(code.name == "code");
  std::vector<int64_t> profile(program.profile_words, 0);
  std::string held = "e";
  std::string other = "x";
  profile[code.offset] = reinterpret_cast<int64_t>(held.data());
  profile[code.offset + 1] = 1;

  // Absent: false for `in` and `not in` of a long list.
  profile[code.presence_offset] = 0;
  CHECK(Segment(engines, program, "in_long", profile) == 0);
  CHECK(Segment(engines, program, "not_in_long", profile) == 0);

  profile[code.presence_offset] = 1;
  CHECK(Segment(engines, program, "in_long", profile) == 1);
  CHECK(Segment(engines, program, "not_in_long", profile) == 0);
  CHECK(Segment(engines, program, "in_empty", profile) == 0);
  CHECK(Segment(engines, program, "not_in_empty", profile) == 1);
  profile[code.offset] = reinterpret_cast<int64_t>(other.data());
  CHECK(Segment(engines, program, "in_long", profile) == 0);
  CHECK(Segment(engines, program, "not_in_long", profile) == 1);
}

TEST_CASE("in: a long list against the clock keeps its crossing instants",
          "[jit][in_set]") {
  // `days_since` flips at instants the runtime must wake at; the
  // comparisons give them, a set lookup would not.
  std::vector<std::string> days = Padded({"1", "2", "3", "5", "8"}, PadNumber);
  auto compiled = testing::CompileText(
      "profile { joined: time? }\n"
      "segment fresh = days_since(profile.joined) in " +
      List(days) + "\n");
  INFO(compiled.diagnostics);
  REQUIRE(compiled.program);
  const ir::Program& program = *compiled.program;
  CHECK_FALSE(UsesInSet(program, program.segments[0].predicate));
  CHECK_FALSE(program.segments[0].crossings.empty());
}

}  // namespace
}  // namespace parcours::jit_test
