// Expressions with their documented results, shared by the tests of both
// engines so that each engine is held to the same table.
#pragma once

#include <string>
#include <vector>

namespace parcours::testing {

struct ExpressionCase {
  const char* expression;  // a condition over the profile below
  bool expected;
};

// Every case is evaluated as `segment s = <expression>` against a profile
// with these attributes at their defaults.
inline const char* kCaseProfile =
    "profile {\n"
    "  name: string = \"Zoë\"\n"
    "  email: string?\n"
    "  score: int = 7\n"
    "  rate: decimal = 0.25\n"
    "  spent: money = 129.90 EUR\n"
    "  credit: money\n"
    "  since: duration = 36h\n"
    "  tier: enum { bronze, silver, gold } = silver\n"
    "  zone: tz = \"Europe/Paris\"\n"
    "  joined: time?\n"
    "}\n";

inline const std::vector<ExpressionCase>& ExpressionCases() {
  static const std::vector<ExpressionCase> cases = {
      // Integers wrap on overflow; division by zero gives 0.
      {"9223372036854775807 + 1 < 0", true},
      {"7 / 0 == 0", true},
      {"-7 / 2 == -3", true},
      {"profile.score * 3 - 1 == 20", true},
      // Decimals are exact and round toward zero.
      {"0.1 + 0.2 == 0.3", true},
      {"1 / 3.0 == 0.333333", true},
      {"-1 / 3.0 == -0.333333", true},
      {"profile.rate * 4 == 1", true},
      {"2.5 > 2", true},
      // Money keeps its currency; mixed currencies compare false.
      {"profile.spent == 129.9 EUR", true},
      {"profile.spent + 0.10 EUR == 130 EUR", true},
      {"profile.spent * 2 == 259.80 EUR", true},
      {"profile.spent / 3 == 43.30 EUR", true},
      {"profile.spent > 1 GBP", false},
      {"profile.spent < 1 GBP", false},
      {"profile.spent != 1 GBP", false},
      {"profile.spent + 1 GBP > 0 EUR", false},
      {"-profile.spent < 0 EUR", true},
      {"profile.spent + 1 GBP != 0 GBP", false},
      // Money with no currency yet (no default, or a sum of nothing) is a
      // zero that takes the other side's currency.
      {"profile.credit == 0 EUR", true},
      {"profile.credit < 5 GBP", true},
      {"profile.credit + 5 EUR == 5 EUR", true},
      {"profile.credit + profile.spent == 129.90 EUR", true},
      // Durations.
      {"profile.since == 1d + 12h", true},
      {"profile.since * 2 == 3d", true},
      {"profile.since > 2d", false},
      // Strings compare by bytes.
      {"profile.name == \"Zoë\"", true},
      {"profile.name > \"Zoe\"", true},
      {"\"ab\" < \"abc\"", true},
      {"\"\" < \"a\"", true},
      // Absent optional values: comparisons are false, `none` tests work.
      {"profile.email == none", true},
      {"profile.email != none", false},
      {"profile.email == \"x\"", false},
      {"profile.email != \"x\"", false},
      {"not (profile.email == \"x\")", true},
      // Enums compare by their declaration order.
      {"profile.tier == silver", true},
      {"profile.tier != gold", true},
      {"profile.tier > bronze and profile.tier < gold", true},
      {"profile.tier >= gold", false},
      // `in` is one comparison per item; `not in` is false when absent.
      {"profile.tier in [gold, silver]", true},
      {"profile.tier not in [gold, silver]", false},
      {"profile.tier in []", false},
      {"profile.tier not in []", true},
      {"profile.score in [1.5, 7.0]", true},
      {"profile.rate in [1, 2]", false},
      {"profile.name in [\"Zoe\", \"Zoë\"]", true},
      {"profile.email in [\"x\"]", false},
      {"profile.email not in [\"x\"]", false},
      // A time zone compares with a string as a string.
      {"profile.zone == \"Europe/Paris\"", true},
      {"profile.zone != \"Europe/Paris\"", false},
      // Timestamp literals are instants, exact to the second.
      {"2025-01-01T00:00:00Z + 1d == 2025-01-02T00:00:00Z", true},
      {"2025-03-30T01:00:00+01:00 == 2025-03-30T00:00:00Z", true},
      {"2025-01-01T00:00:01Z - 2025-01-01T00:00:00Z == 1s", true},
      {"profile.joined < 2025-01-01T00:00:00Z", false},
      // Logic.
      {"true and not false", true},
      {"false or profile.score > 6", true},
  };
  return cases;
}

}  // namespace parcours::testing
