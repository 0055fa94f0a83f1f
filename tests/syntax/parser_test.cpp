// Parser and AST builder: literals, precedence, spans and refusals.
#include "compiler/syntax/parser.h"

#include <catch2/catch.hpp>

#include "tests/support/files.h"

namespace parcours::syntax {
namespace {

struct Parsed {
  diag::SourceManager sources;
  diag::DiagnosticEngine diagnostics;
  std::optional<Module> module;
};

std::unique_ptr<Parsed> Parse(const std::string& text) {
  auto parsed = std::make_unique<Parsed>();
  int32_t file = parsed->sources.Add("test.journey", text);
  parsed->module = ParseFile(parsed->sources, file, parsed->diagnostics);
  return parsed;
}

const Expr& SegmentExpr(const Parsed& parsed, size_t index = 0) {
  return *std::get<SegmentDecl>(parsed.module->declarations.at(index))
              .predicate;
}

TEST_CASE("literals keep their exact values") {
  auto parsed = Parse(
      "segment a = 129.90 EUR > 1_000\n"
      "segment b = 4h > 30m\n"
      "segment c = 2w > 7d\n");
  REQUIRE(parsed->module);

  const Expr& money = *SegmentExpr(*parsed, 0).operands[0];
  CHECK(money.kind == ExprKind::Money);
  CHECK(money.int_value == 129'900'000);
  CHECK(money.text == "EUR");
  CHECK(SegmentExpr(*parsed, 0).operands[1]->int_value == 1000);

  CHECK(SegmentExpr(*parsed, 1).operands[0]->int_value == 4 * 3600);
  CHECK(SegmentExpr(*parsed, 1).operands[1]->int_value == 30 * 60);
  CHECK(SegmentExpr(*parsed, 2).operands[0]->int_value == 14 * 86400);
}

// The builder cuts token text from the UTF-8 source by code-point index;
// a byte-order mark (which the lexer skips) and letters of several bytes
// must not shift what it cuts.
TEST_CASE("text after a byte-order mark and accented letters is exact") {
  auto parsed = Parse(
      "\xEF\xBB\xBFprofile {\n"
      "  city \"ville_\xC3\xA9t\xC3\xA9\": string = \"Z\xC3\xBCrich "
      "\xE2\x82\xAC\"\n"
      "}\n"
      "segment near = profile.city == \"M\xC3\xBCnchen\" and 2.50 EUR > 1\n");
  REQUIRE(parsed->module);

  const auto& profile = std::get<ProfileDecl>(parsed->module->declarations[0]);
  const Attribute& city = profile.attributes.at(0);
  CHECK(city.name.text == "city");
  CHECK(city.wire_name == "ville_\xC3\xA9t\xC3\xA9");
  CHECK(city.default_value->text == "Z\xC3\xBCrich \xE2\x82\xAC");

  const auto& segment = std::get<SegmentDecl>(parsed->module->declarations[1]);
  CHECK(segment.name.text == "near");
  const Expr& equal = *segment.predicate->operands[0];
  CHECK(equal.operands[0]->field.text == "city");
  CHECK(equal.operands[0]->operands[0]->text == "profile");
  CHECK(equal.operands[1]->text == "M\xC3\xBCnchen");
  const Expr& money = *segment.predicate->operands[1]->operands[0];
  CHECK(money.text == "EUR");
  CHECK(money.int_value == 2'500'000);
}

TEST_CASE("operators bind as documented") {
  auto parsed = Parse("segment s = not 1 + 2 * 3 > 4 and true or false\n");
  REQUIRE(parsed->module);

  const Expr& root = SegmentExpr(*parsed);
  REQUIRE(root.binary_op == BinaryOp::Or);
  const Expr& conjunction = *root.operands[0];
  REQUIRE(conjunction.binary_op == BinaryOp::And);
  const Expr& negation = *conjunction.operands[0];
  REQUIRE(negation.kind == ExprKind::Unary);
  const Expr& comparison = *negation.operands[0];
  REQUIRE(comparison.binary_op == BinaryOp::Greater);
  const Expr& sum = *comparison.operands[0];
  REQUIRE(sum.binary_op == BinaryOp::Add);
  CHECK(sum.operands[1]->binary_op == BinaryOp::Multiply);
}

TEST_CASE("spans point at the source") {
  auto parsed = Parse("module m\n\nsegment s =\n  count(E) >= 2\n");
  REQUIRE(parsed->module);
  const Expr& expr = SegmentExpr(*parsed);
  CHECK(expr.span.line == 4);
  CHECK(expr.span.column == 3);
  CHECK(expr.span.end_column == 16);
}

TEST_CASE("a syntax error gives a located diagnostic and no module") {
  auto parsed = Parse("journey j {\n  send email\n}\n");
  CHECK_FALSE(parsed->module);
  auto diagnostics = parsed->diagnostics.Sorted();
  REQUIRE(diagnostics.size() == 1);
  CHECK(diag::Info(diagnostics[0].kind).code == std::string("E0100"));
  CHECK(diagnostics[0].span.line == 3);
}

// The one diagnostic of a file that must not parse.
diag::Diagnostic OnlyDiagnostic(const std::string& text) {
  auto parsed = Parse(text);
  CHECK_FALSE(parsed->module);
  auto diagnostics = parsed->diagnostics.Sorted();
  REQUIRE(diagnostics.size() == 1);
  return diagnostics[0];
}

const char* kHead =
    "module w\n"
    "event O \"O\" { id: string }\n";

TEST_CASE("a cap whose per is misspelt is told so, not about units") {
  diag::Diagnostic slip =
      OnlyDiagnostic("module m\npolicy p {\n  cap 3 pre week\n}\n");
  CHECK(diag::Info(slip.kind).code == std::string("E0110"));
  CHECK(slip.span.line == 3);
  CHECK(slip.span.column == 9);
  CHECK(slip.message ==
        "`pre` is not a word of the language here; did you mean `per`, as "
        "in `cap 3 per week`?");
}

TEST_CASE("a wait in an unknown unit names the units there are") {
  diag::Diagnostic unknown = OnlyDiagnostic(
      std::string(kHead) +
      "journey j {\n  on O\n  wait 1 fortnight\n  send email \"x\"\n}\n");
  CHECK(diag::Info(unknown.kind).code == std::string("E0110"));
  // At the unit, not at `send` on the next line.
  CHECK(unknown.span.line == 5);
  CHECK(unknown.span.column == 10);
  CHECK(unknown.message ==
        "`fortnight` is not a unit of time; write a duration as a number "
        "with `s`, `m`, `h`, `d` or `w` (`30s`, `15m`, `4h`, `7d`, `2w`), "
        "or count calendar `days`, `weeks`, `months` or `years` "
        "(`1 month`); for `1 fortnight` write `2w`");

  diag::Diagnostic hours = OnlyDiagnostic(
      std::string(kHead) + "segment s = count(O within 3 hours) > 0\n");
  CHECK(diag::Info(hours.kind).code == std::string("E0110"));
  CHECK_THAT(hours.message, Catch::EndsWith("for `3 hours` write `3h`"));
}

// The lexer reads `30d` of `30days`, or `3 month` of `3 monthz`, as a
// length and the rest as a name, which the parser took for the label of
// the next step: the error was "missing `:` at `send`", a line further.
TEST_CASE("a unit run on into a word is named at the length") {
  diag::Diagnostic glued = OnlyDiagnostic(
      std::string(kHead) +
      "journey j {\n  on O\n  wait 30days\n  send email \"x\"\n}\n");
  CHECK(diag::Info(glued.kind).code == std::string("E0110"));
  CHECK(glued.span.line == 5);
  CHECK(glued.span.column == 8);
  CHECK(glued.message ==
        "`30days` needs a space before its unit: write `30 days` (calendar, "
        "in the recipient's zone) or `30d` (exact time)");

  // The last step of a journey: ANTLR's error was at the `}`.
  diag::Diagnostic last = OnlyDiagnostic(
      std::string(kHead) + "journey j {\n  on O\n  wait 3 monthz\n}\n");
  CHECK(diag::Info(last.kind).code == std::string("E0110"));
  CHECK(last.span.line == 5);
  CHECK_THAT(last.message,
             Catch::StartsWith("`monthz` is not a unit of time; write a "
                               "duration as a number with"));

  diag::Diagnostic hours = OnlyDiagnostic(
      std::string(kHead) +
      "journey j {\n  on O\n  wait 5hours\n  send email \"x\"\n}\n");
  CHECK(diag::Info(hours.kind).code == std::string("E0110"));
  CHECK_THAT(hours.message, Catch::EndsWith("for `5 hours` write `5h`"));
}

// `10 eur` read as a number and a word: the likelier mistake is the
// currency's case, not a unit of time.
TEST_CASE("an amount with its currency in lower case is told to use capitals") {
  diag::Diagnostic eur = OnlyDiagnostic(
      "module w\nevent O \"O\" { total: money }\n"
      "segment big = sum(O.total) > 10 eur\n");
  CHECK(diag::Info(eur.kind).code == std::string("E0110"));
  CHECK_THAT(eur.message,
             Catch::EndsWith("; for an amount of money write its ISO 4217 "
                             "currency in capitals, as in `10 EUR`"));
}

TEST_CASE("a time with am or pm is shown on the 24-hour clock") {
  auto parsed =
      Parse(std::string(kHead) + "policy p { quiet 9pm .. 8am local }\n");
  CHECK_FALSE(parsed->module);
  auto diagnostics = parsed->diagnostics.Sorted();
  // One error for each time, none for what ANTLR trips over after them.
  REQUIRE(diagnostics.size() == 2);
  CHECK(diag::Info(diagnostics[0].kind).code == std::string("E0111"));
  CHECK(diagnostics[0].span.column == 18);
  CHECK(diagnostics[0].span.end_column == 21);
  CHECK(diagnostics[0].message ==
        "`9pm` is not a time of day in Parcours; write it on the 24-hour "
        "clock as `21:00`, as in `quiet 21:00 .. 08:00 local`");
  CHECK_THAT(diagnostics[1].message,
             Catch::StartsWith("`8am` is not a time of day in Parcours; "
                               "write it on the 24-hour clock as `08:00`"));

  diag::Diagnostic half_past = OnlyDiagnostic(
      std::string(kHead) +
      "journey j {\n  on O\n  wait until 12:30am\n  send email \"x\"\n}\n");
  CHECK_THAT(half_past.message,
             Catch::Contains("`12:30am` is not a time of day") &&
                 Catch::Contains("as `00:30`"));
}

TEST_CASE("a missing time of day is named in words") {
  diag::Diagnostic missing = OnlyDiagnostic(
      std::string(kHead) +
      "journey j {\n  on O\n  wait until local\n  send email \"x\"\n}\n");
  CHECK(diag::Info(missing.kind).code == std::string("E0100"));
  CHECK_THAT(missing.message, Catch::Contains("a time of day such as `21:00`"));
  CHECK_THAT(missing.message, !Catch::Contains("CLOCK"));
}

TEST_CASE("a negative split arm says that a share cannot be negative") {
  diag::Diagnostic arm =
      OnlyDiagnostic(std::string(kHead) +
                     "journey j { on O\n split a: -10% { send email \"a\" } "
                     "b: 110% { send email \"b\" } }\n");
  CHECK(diag::Info(arm.kind).code == std::string("E0112"));
  CHECK(arm.message ==
        "a split arm cannot have a negative share: write a share from `0%` "
        "to `100%`, such as `10%`");
  CHECK(arm.span.column == 11);
  CHECK(arm.span.end_column == 15);

  // An unnamed arm after another arm, too (ANTLR then trips further on,
  // at the last `}`).
  auto unnamed = Parse(std::string(kHead) +
                       "journey j { on O\n split 50% { send email \"a\" } "
                       "-50% { send email \"b\" } }\n");
  CHECK_FALSE(unnamed->module);
  auto diagnostics = unnamed->diagnostics.Sorted();
  REQUIRE_FALSE(diagnostics.empty());
  CHECK(diag::Info(diagnostics[0].kind).code == std::string("E0112"));
  CHECK(diagnostics[0].span.column == 31);

  // A negative percentage compared in a condition is no share, and a
  // negative holdout parses (the checker refuses it).
  for (const char* body : {" if 1% > -5% { send email \"x\" } }\n",
                           " holdout -5%\n send email \"x\" }\n"}) {
    INFO(body);
    auto parsed =
        Parse(std::string(kHead) + "journey j { on O\n" + std::string(body));
    CHECK(parsed->module);
    CHECK(parsed->diagnostics.Sorted().empty());
  }
}

// The state compares each step's heading across deploys of a program, so
// it must not move with the layout: a comment or a line break is one
// space, a token stuck to the next stays so, and blocks are left out.
TEST_CASE("a step's heading is its text up to its block") {
  auto parsed = Parse(
      "event E \"E\" { total: money }\n"
      "journey j {\n"
      "  on E as e\n"
      "  later: wait   60d  // two months\n"
      "  wait for E as x where x.total > count(E within 7d) * 10 EUR\n"
      "      within /* days */ 2d {\n"
      "    send email \"a\"\n"
      "  } else {\n"
      "    wait until 09:00 local\n"
      "  }\n"
      "  if e.total > 5 EUR { exit } else { exit }\n"
      "}\n");
  REQUIRE(parsed->module);

  const auto& journey = std::get<JourneyDecl>(parsed->module->declarations[1]);
  REQUIRE(journey.steps.size() == 3);
  CHECK(journey.steps[0].heading == "wait 60d");
  CHECK(journey.steps[1].heading ==
        "wait for E as x where x.total > count(E within 7d) * 10 EUR within "
        "2d");
  CHECK(journey.steps[1].then_steps.at(0).heading == "send email \"a\"");
  CHECK(journey.steps[1].else_steps.at(0).heading == "wait until 09:00 local");
  CHECK(journey.steps[2].heading == "if e.total > 5 EUR");
}

TEST_CASE("hostile input gives diagnostics, not crashes") {
  SECTION("100,000 nested parentheses") {
    std::string text = "segment s = " + std::string(100000, '(') + "true" +
                       std::string(100000, ')') + "\n";
    auto parsed = Parse(text);
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind ==
          diag::Kind::NestingTooDeep);
  }
  SECTION("invalid UTF-8") {
    auto parsed = Parse("segment s = \"\xC3\x28\" == \"x\"\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind == diag::Kind::InvalidUtf8);
  }
  SECTION("a NUL byte") {
    auto parsed = Parse(std::string("segment s = true\0", 17));
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind == diag::Kind::NulByte);
  }
  SECTION("a file saved as UTF-16 or compressed says so") {
    struct Case {
      std::string text;
      diag::Kind kind;
      const char* hint;
    };
    const Case cases[] = {
        {std::string("\xFF\xFEm\0o\0", 6), diag::Kind::InvalidUtf8, "UTF-16"},
        {std::string("m\0o\0d\0", 6), diag::Kind::NulByte, "UTF-16"},
        {std::string("\x1F\x8B\x08\0", 4), diag::Kind::InvalidUtf8, "gunzip"},
    };
    for (const Case& c : cases) {
      auto parsed = Parse(c.text);
      CHECK_FALSE(parsed->module);
      diag::Diagnostic first = parsed->diagnostics.Sorted().at(0);
      CHECK(first.kind == c.kind);
      CHECK_THAT(first.message, Catch::Contains(c.hint));
    }
  }
  SECTION("an oversized file") {
    auto parsed = Parse(std::string(kMaxSourceBytes + 1, ' '));
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind == diag::Kind::FileTooLarge);
  }
  SECTION("a long chain of operators") {
    std::string chain = "1";
    for (int i = 0; i < 20000; ++i) chain += " + 1";
    auto parsed = Parse("segment s = " + chain + " > 0\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind ==
          diag::Kind::TooManyOperators);
  }
  SECTION("100,000 prefix operators") {
    std::string text = "segment s = ";
    for (int i = 0; i < 100000; ++i) text += "not ";
    auto parsed = Parse(text + "true\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind ==
          diag::Kind::TooManyOperators);
  }
  SECTION("stray closing brackets do not buy depth") {
    auto parsed = Parse("segment s = " + std::string(100000, '}') +
                        std::string(100000, '(') + "true" +
                        std::string(100000, ')') + "\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.ErrorCount() > 0);
  }
  SECTION("a long chain of else if") {
    std::string text = "event E { x: int }\njourney j {\n  on E\n";
    text += "  if true { exit }";
    for (int i = 0; i < 100000; ++i) text += " else if true { exit }";
    auto parsed = Parse(text + "\n}\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).kind ==
          diag::Kind::ElseIfChainTooLong);
  }
  SECTION("an operator chain within the limit parses") {
    std::string chain = "1";
    for (int i = 0; i < kMaxOperators - 2; ++i) chain += " + 1";
    auto parsed = Parse("segment s = " + chain + " > 0\n");
    CHECK(parsed->module);
  }
  SECTION("stray characters") {
    auto parsed = Parse("segment s = 1 $ 2\n");
    CHECK_FALSE(parsed->module);
    CHECK(parsed->diagnostics.Sorted().at(0).span.column == 15);
  }
}

TEST_CASE("`reserve` is a keyword in a cap and a name elsewhere") {
  auto parsed = Parse(
      "profile { reserve: int = 1 }\n"
      "policy p {\n"
      "  cap 3 per week across email, push reserve profile.reserve for high\n"
      "}\n");
  INFO(parsed->diagnostics.ErrorCount());
  REQUIRE(parsed->module);
  const auto& profile = std::get<ProfileDecl>(parsed->module->declarations[0]);
  CHECK(profile.attributes.at(0).name.text == "reserve");

  const auto& policy = std::get<PolicyDecl>(parsed->module->declarations[1]);
  const PolicyRule& cap = policy.rules.at(0);
  // The priority is not taken for a channel of the cap.
  REQUIRE(cap.names.size() == 2);
  CHECK(cap.names[1].text == "push");
  REQUIRE(cap.reserved);
  CHECK(cap.reserved->kind == ExprKind::Field);
  CHECK(cap.reserved_for.text == "high");
}

TEST_CASE("the AST dump of every construct is stable") {
  // The language tour uses every construct of the language.
  auto path =
      testing::SourceDir() / "tests/sema/golden/ok_language_tour.journey";
  auto parsed = Parse(testing::ReadText(path));
  INFO(parsed->diagnostics.ErrorCount());
  REQUIRE(parsed->module);
  std::string dump = Dump(*parsed->module);

  auto golden = testing::SourceDir() / "tests/syntax/language_tour.ast";
  if (testing::UpdatingGoldens()) testing::WriteText(golden, dump);
  CHECK(dump == testing::ReadText(golden));
}

TEST_CASE("the AST dump of the example is stable") {
  auto path = testing::SourceDir() /
              "examples/uci-online-retail/campaign/retail.journey";
  auto parsed = Parse(testing::ReadText(path));
  REQUIRE(parsed->module);
  std::string dump = Dump(*parsed->module);
  CHECK(dump == Dump(*Parse(testing::ReadText(path))->module));

  auto golden = testing::SourceDir() / "tests/syntax/retail.ast";
  if (testing::UpdatingGoldens()) testing::WriteText(golden, dump);
  CHECK(dump == testing::ReadText(golden));
}

}  // namespace
}  // namespace parcours::syntax
