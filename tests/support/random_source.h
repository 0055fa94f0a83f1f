// A seeded generator of random segment conditions written in the
// language, over a fixed profile, for the differential tests of the forms
// that lower to existing IR: enum values and enum attributes, `in` lists,
// timestamp literals, windowed aggregates, `days_since` and comparisons
// with the clock (whose crossing functions are compared too). The IR-level
// generator (random_program.h) covers the ops themselves; this one covers what
// the lowering makes of the source.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "tests/support/random_program.h"

namespace parcours::testing {

inline const char* kRandomSourceSchema =
    "profile {\n"
    "  tier: enum { bronze, silver, gold } = bronze\n"
    "  score: int = 0\n"
    "  rate: decimal = 0\n"
    "  joined: time?\n"
    "  zone: tz = \"UTC\"\n"
    "  name: string?\n"
    "}\n"
    "event Order { total: money  status: enum { placed, shipped } }\n";

class SourceGenerator {
 public:
  explicit SourceGenerator(Random& random) : random_(random) {}

  // A condition of at most `depth` levels of `and`, `or` and `not`.
  std::string Condition(int depth) {
    if (depth > 0 && random_.Chance(55)) {
      switch (random_.Below(3)) {
        case 0:
          return "(" + Condition(depth - 1) + " and " + Condition(depth - 1) +
                 ")";
        case 1:
          return "(" + Condition(depth - 1) + " or " + Condition(depth - 1) +
                 ")";
        default: return "not (" + Condition(depth - 1) + ")";
      }
    }
    return Atom();
  }

 private:
  std::string Atom() {
    static const std::vector<std::string> comparisons = {"==", "!=", "<",
                                                         "<=", ">",  ">="};
    const std::string& op = random_.Pick(comparisons);
    switch (random_.Below(10)) {
      case 8:
        return std::string(random_.Chance(50) ? "days_since" : "hours_since") +
               "(profile.joined) " + op + " " +
               std::to_string(random_.Below(7) - 3);
      case 9:
        return "profile.joined " + op + " now - " + Days() + " + " +
               std::to_string(random_.Below(100)) + "s";
      case 0: return "profile.tier " + op + " " + Tier();
      case 1: return "profile.tier " + In() + " [" + Tiers() + "]";
      case 2: {
        std::string items;
        for (int i = random_.Below(4); i > 0; --i) {
          items += (items.empty() ? "" : ", ") +
                   std::to_string(random_.Below(7) - 3);
        }
        return "profile.score " + In() + " [" + items + "]";
      }
      case 3:
        return "profile.name " + In() + " [\"gold\", \"\", \"caf\xc3\xa9\"]";
      case 4: return "profile.joined " + op + " " + Timestamp();
      case 5: return "now - " + Timestamp() + " " + op + " " + Days();
      case 6:
        return "count(Order within " + Days() + ") " + op + " " +
               std::to_string(random_.Below(4));
      default:
        return "sum(Order.total between " + std::to_string(40 + Below(9)) +
               "d and " + Days() + " ago) " + op + " " +
               std::to_string(random_.Below(5)) + " EUR";
    }
  }

  int64_t Below(int64_t n) { return random_.Below(n); }

  std::string In() { return random_.Chance(50) ? "in" : "not in"; }

  std::string Tier() {
    static const std::vector<std::string> tiers = {"bronze", "silver", "gold"};
    return random_.Pick(tiers);
  }

  std::string Tiers() {
    std::string items;
    for (int i = random_.Below(4); i > 0; --i) {
      items += (items.empty() ? "" : ", ") + Tier();
    }
    return items;
  }

  std::string Days() { return std::to_string(1 + random_.Below(39)) + "d"; }

  std::string Timestamp() {
    static const std::vector<std::string> times = {
        "1970-01-01T00:00:00Z", "2025-01-01T00:00:00Z",
        "2025-06-30T23:59:59+02:00", "1900-01-01T00:00:00Z"};
    return random_.Pick(times);
  }

  Random& random_;
};

// Random contents for the profile record of a program compiled from
// `kRandomSourceSchema`: every slot filled with a value of its type (enum
// slots with a declared value, optional ones present or not), and every
// aggregate slot with a random value.
inline std::vector<int64_t> RandomSourceProfile(Random& random,
                                                const ir::Program& program) {
  std::vector<int64_t> words(program.profile_words, 0);
  for (const ir::Field& field : program.profile) {
    int64_t* word = &words[field.offset];
    if (!field.enum_values.empty()) {
      word[0] = random.Below(static_cast<int64_t>(field.enum_values.size()));
    } else if (field.type == Type::String) {
      const std::string& text = random.Pick(StringPool());
      word[0] = reinterpret_cast<int64_t>(text.data());
      word[1] = static_cast<int64_t>(text.size());
    } else if (field.type == Type::Time) {
      word[0] =
          random.Chance(50) ? 1735689600 + random.Below(5) - 2 : random.Word();
    } else {
      word[0] = random.Word();
    }
    if (field.presence_offset >= 0) {
      words[field.presence_offset] = random.Below(2);
    }
  }
  for (const ir::Aggregate& aggregate : program.aggregates) {
    words[aggregate.offset] = aggregate.type == Type::Money
                                  ? random.Below(6) * ir::kDecimalScale
                                  : random.Below(5);
    if (aggregate.type == Type::Money) {
      words[aggregate.offset + 1] = random.Currency();
    }
  }
  return words;
}

}  // namespace parcours::testing
