#include "compiler/syntax/parser.h"

#include <antlr4-runtime.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <set>
#include <vector>

#include "ParcoursLexer.h"
#include "ParcoursParser.h"
#include "compiler/syntax/ast_builder.h"
#include "compiler/syntax/source_check.h"

namespace parcours::syntax {
namespace {

using diag::Kind;
using G = parcoursgrammar::ParcoursParser;

// E0100, from ANTLR's errors and from the checks made before parsing.
void ReportSyntaxError(diag::DiagnosticEngine& diagnostics, const Span& span,
                       const std::string& message) {
  diagnostics.Report(Kind::SyntaxError, span, message);
}

// For `character`, one code point that no token of the language takes,
// why it cannot stand in a name when it is a letter of another alphabet
// or with an accent: `prix_payé`, or a Cyrillic `х` pasted for an `x`.
// "" for any other character.
std::string ExplainNameLetter(const std::string& character) {
  auto code_points = antlrcpp::utf8_to_utf32(
      character.data(), character.data() + character.size());
  if (code_points.size() != 1) return "";
  char32_t code = code_points[0];
  const std::string names =
      "names use the letters a-z and A-Z without accents, the digits and "
      "`_`";

  // Greek and Cyrillic letters that look like Latin ones: the name reads
  // right but is another name.
  static const std::pair<char32_t, char> kLookAlikes[] = {
      {U'\u0430', 'a'}, {U'\u0435', 'e'}, {U'\u043E', 'o'}, {U'\u0440', 'p'},
      {U'\u0441', 'c'}, {U'\u0443', 'y'}, {U'\u0445', 'x'}, {U'\u0455', 's'},
      {U'\u0456', 'i'}, {U'\u0458', 'j'}, {U'\u0410', 'A'}, {U'\u0412', 'B'},
      {U'\u0415', 'E'}, {U'\u041A', 'K'}, {U'\u041C', 'M'}, {U'\u041D', 'H'},
      {U'\u041E', 'O'}, {U'\u0420', 'P'}, {U'\u0421', 'C'}, {U'\u0422', 'T'},
      {U'\u0425', 'X'}, {U'\u03BF', 'o'}, {U'\u03BD', 'v'}, {U'\u0391', 'A'},
      {U'\u0392', 'B'}, {U'\u0395', 'E'}, {U'\u0397', 'H'}, {U'\u0399', 'I'},
      {U'\u039A', 'K'}, {U'\u039C', 'M'}, {U'\u039D', 'N'}, {U'\u039F', 'O'},
      {U'\u03A1', 'P'}, {U'\u03A4', 'T'}, {U'\u03A7', 'X'}, {U'\u0396', 'Z'},
  };
  bool cyrillic = code >= 0x0400 && code <= 0x04FF;
  bool greek = code >= 0x0370 && code <= 0x03FF;
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(code));
  if (cyrillic || greek) {
    std::string script = cyrillic ? "Cyrillic" : "Greek";
    for (const auto& [look_alike, latin] : kLookAlikes) {
      if (look_alike != code) continue;
      return "`" + character + "` is the " + script + " letter " + hex +
             ", not the Latin `" + std::string(1, latin) + "` it looks like; " +
             names + ", so type it again as `" + std::string(1, latin) + "`";
    }
    return "`" + character + "` is a " + script + " letter (" + hex +
           ") and cannot be in a name; " + names;
  }

  // Latin letters with accents and the like (Latin-1 and Latin Extended-A
  // and B), but the signs `×` and `÷` among them.
  bool latin =
      code >= 0x00C0 && code <= 0x024F && code != 0x00D7 && code != 0x00F7;
  if (!latin) return "";
  return "`" + character + "` cannot be in a name; " + names +
         " (`prix_paye`, not `prix_payé`)";
}

class ErrorCollector final : public antlr4::BaseErrorListener {
 public:
  ErrorCollector(int32_t file, diag::DiagnosticEngine& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                   size_t line, size_t column, const std::string& message,
                   std::exception_ptr) override {
    Span span{file_, static_cast<int32_t>(line),
              static_cast<int32_t>(column) + 1, static_cast<int32_t>(line),
              static_cast<int32_t>(column) + 2};
    if (offending != nullptr && offending->getType() != antlr4::Token::EOF) {
      span = TokenSpan(file_, offending);
    }
    ++count_;

    // ANTLR's own words for these ("missing `:` at `send`" two lines on)
    // name what the grammar wanted, not what the author got wrong.
    auto* tokens =
        recognizer == nullptr
            ? nullptr
            : dynamic_cast<antlr4::TokenStream*>(recognizer->getInputStream());
    if (offending != nullptr && tokens != nullptr) {
      if (explained_.count(offending->getTokenIndex())) return;
      if (ExplainForeignLetter(offending)) return;
      if (ExplainNumberAndWord(*tokens, offending)) return;
      if (ExplainGluedUnit(*tokens, offending)) return;
      if (ExplainCurrency(*tokens, offending)) return;
      // What ANTLR trips on a few words after a mistake already said in
      // plain words (`wait until 9am local` then `send`) follows from it.
      if (FollowsExplained(*tokens, offending)) return;
      if (ExplainKeywordCase(recognizer, *tokens, offending)) return;
      if (ExplainMisspeltKeyword(recognizer, *tokens, offending, message)) {
        return;
      }
      if (ExplainWhenInPolicy(*tokens, offending, message)) return;
    }
    // A mistake ANTLR could not explain leaves its recovery off the rails
    // for the rest of the line, and the next line often opens with what it
    // wants inserted (`points expire after 30d` gives three errors, the
    // last "expecting `after`" at the `}` below): only the first is the
    // author's.
    int64_t at_line = static_cast<int64_t>(line);
    bool wants = message.rfind("missing ", 0) == 0 ||
                 message.find(" expecting ") != std::string::npos;
    if (at_line == last_reported_line_ ||
        (at_line == last_reported_line_ + 1 && wants)) {
      return;
    }
    last_reported_line_ = at_line;

    // "no viable alternative at input `expect email`" quotes the words
    // from where the parser last had a choice; the span already shows
    // them, and the word it could not take is the one to name.
    std::string said = message;
    if (said.rfind("no viable alternative", 0) == 0 && offending != nullptr &&
        offending->getType() != antlr4::Token::EOF) {
      said = "unexpected '" + offending->getText() + "' here";
      antlr4::Token* before =
          tokens == nullptr ? nullptr
                            : Visible(*tokens, offending->getTokenIndex(), -1);
      if (before != nullptr && before->getText() == "expect") {
        said +=
            "; an expectation is `expect [no] send`, `expect [no] "
            "suppressed`, `expect [no] task`, `webhook`, `freeze account`, "
            "`second factor` or `emit`, `expect points` or `expect tier`";
      }
    }
    // `} elif x {`: the word of another language.
    antlr4::Token* previous =
        offending == nullptr || tokens == nullptr
            ? nullptr
            : Visible(*tokens, offending->getTokenIndex(), -1);
    if (previous != nullptr &&
        (previous->getText() == "elif" || previous->getText() == "elsif" ||
         previous->getText() == "elseif")) {
      span = TokenSpan(file_, previous);
      said = "unexpected '" + previous->getText() + "' here; write `else if`";
      explained_.insert(previous->getTokenIndex());
    }
    std::string reworded = Reword(said);
    // Mistakes of habit, said in plain words: what follows from them on
    // the line is dropped (see `FollowsExplained`).
    bool habit =
        reworded.find("; conditions join with") != std::string::npos ||
        reworded.find("; a condition is negated") != std::string::npos ||
        reworded.find("; write `else if`") != std::string::npos;
    if (habit && offending != nullptr) {
      explained_.insert(offending->getTokenIndex());
    }
    ReportSyntaxError(diagnostics_, span,
                      reworded + KeywordHint(recognizer, offending));
  }

  int Count() const { return count_; }

  // Tokens whose problem was already reported in plainer words; ANTLR's
  // error at one of them is dropped.
  void MarkExplained(size_t token_index) { explained_.insert(token_index); }

 private:
  // The visible token `steps` places after (or, negative, before) token
  // `index`; null past either end.
  static antlr4::Token* Visible(antlr4::TokenStream& tokens, size_t index,
                                int steps) {
    int step = steps < 0 ? -1 : 1;
    int64_t at = static_cast<int64_t>(index);
    for (int left = steps < 0 ? -steps : steps; left > 0;) {
      at += step;
      if (at < 0 || at >= static_cast<int64_t>(tokens.size())) return nullptr;
      antlr4::Token* token = tokens.get(static_cast<size_t>(at));
      if (token->getChannel() == antlr4::Token::DEFAULT_CHANNEL) --left;
    }
    antlr4::Token* token = tokens.get(static_cast<size_t>(at));
    return token->getType() == antlr4::Token::EOF ? nullptr : token;
  }

  // A letter no name may hold, which ANTLR calls an unexpected token with
  // no word on what a name may hold. Reports it once, and drops ANTLR's
  // errors further on the line, which follow from it.
  bool ExplainForeignLetter(antlr4::Token* offending) {
    using L = parcoursgrammar::ParcoursLexer;
    if (offending->getType() != L::UNEXPECTED) return false;
    std::string explanation = ExplainNameLetter(offending->getText());
    if (explanation.empty()) return false;
    explained_.insert(offending->getTokenIndex());
    ReportSyntaxError(diagnostics_, TokenSpan(file_, offending), explanation);
    return true;
  }

  // Whether `word` follows `number` on the same line with nothing but
  // spaces between: `1 fortnight`, `9pm`.
  static bool NumberThenWord(const antlr4::Token* number,
                             const antlr4::Token* word) {
    using L = parcoursgrammar::ParcoursLexer;
    if (number == nullptr || word == nullptr) return false;
    bool numeric =
        number->getType() == L::INT || number->getType() == L::CLOCK ||
        (number->getType() == L::DECIMAL && word->getType() == L::IDENT &&
         UnitSeconds(word->getText()) > 0);
    return numeric && word->getType() == L::IDENT &&
           word->getLine() == number->getLine() &&
           word->getTokenIndex() <= number->getTokenIndex() + 2;
  }

  // A number followed by a word the language does not know there is
  // almost always a unit or a 12-hour time: `wait 1 fortnight`, `quiet
  // 9pm .. 8am`. Reports it, once per number, when ANTLR's error is at
  // the number, the word or the token after them; the errors ANTLR raises
  // further on from the same two tokens are then dropped.
  bool ExplainNumberAndWord(antlr4::TokenStream& tokens,
                            antlr4::Token* offending) {
    size_t at = offending->getTokenIndex();
    antlr4::Token* number = nullptr;
    antlr4::Token* word = nullptr;
    for (int back = 0; back <= 2 && number == nullptr; ++back) {
      antlr4::Token* first = back == 0 ? offending : Visible(tokens, at, -back);
      antlr4::Token* second =
          Visible(tokens, first ? first->getTokenIndex() : at, 1);
      if (first != nullptr && NumberThenWord(first, second)) {
        number = first;
        word = second;
      }
    }
    if (number == nullptr) return false;
    if (!explained_.insert(number->getTokenIndex()).second) return true;
    explained_.insert(word->getTokenIndex());

    Span span = TokenSpan(file_, number);
    Span word_span = TokenSpan(file_, word);
    span.end_line = word_span.end_line;
    span.end_column = word_span.end_column;
    std::string lower = word->getText();
    for (char& c : lower) c = std::tolower(static_cast<unsigned char>(c));
    if (lower == "am" || lower == "pm") {
      diagnostics_.Report(Kind::TwelveHourClock, span,
                          TwelveHourMessage(number->getText(), lower));
      return true;
    }
    if (number->getType() == parcoursgrammar::ParcoursLexer::DECIMAL) {
      ReportUnit(span, FractionMessage(number->getText(), word->getText()));
      return true;
    }
    if (number->getType() != parcoursgrammar::ParcoursLexer::INT) {
      explained_.erase(number->getTokenIndex());
      explained_.erase(word->getTokenIndex());
      return false;
    }
    std::string message = UnitMessage(number->getText(), word->getText());
    if (!CurrencyCodeOf(word->getText()).empty()) {
      ReportCurrency(word_span, message);
    } else {
      ReportUnit(word_span, message);
    }
    return true;
  }

  // Whether `offending` follows a mistake already reported in plain
  // words: one of the three visible tokens before it was part of it, or
  // it is later on the same line, or it is a `}` on the next line (what
  // ANTLR trips on as it recovers from the same mistake).
  bool FollowsExplained(antlr4::TokenStream& tokens, antlr4::Token* offending) {
    size_t at = offending->getTokenIndex();
    for (int back = 1; back <= 3; ++back) {
      antlr4::Token* token = Visible(tokens, at, -back);
      if (token == nullptr) break;
      if (explained_.count(token->getTokenIndex())) return true;
    }
    size_t line = offending->getLine();
    bool closing = offending->getText() == "}";
    for (size_t index : explained_) {
      if (index >= at || index >= tokens.size()) continue;
      size_t explained_line = tokens.get(index)->getLine();
      if (explained_line == line) return true;
      if (closing && explained_line + 1 == line) return true;
    }
    return false;
  }

  // The words of the language, in lower case letters only (`send`,
  // `within`), from the grammar's vocabulary.
  static const std::set<std::string>& Keywords(antlr4::Recognizer* recognizer) {
    static const std::set<std::string> kKeywords = [recognizer] {
      std::set<std::string> words;
      const antlr4::dfa::Vocabulary& vocabulary = recognizer->getVocabulary();
      for (size_t type = 0; type <= vocabulary.getMaxTokenType(); ++type) {
        std::string literal = vocabulary.getLiteralName(type);
        if (literal.size() < 3 || literal.front() != '\'') continue;
        std::string word = literal.substr(1, literal.size() - 2);
        bool letters = std::all_of(word.begin(), word.end(), [](char c) {
          return std::islower(static_cast<unsigned char>(c)) != 0;
        });
        if (letters) words.insert(word);
      }
      return words;
    }();
    return kKeywords;
  }

  // The word of the language one slip from `text` (a letter added,
  // dropped or changed, or two neighbours swapped: `afer`, `wiat`), or ""
  // when there is none. Only one slip: a parse error's place is a guess,
  // and a name two letters from a word (`Ping`, `in`) is a name.
  static std::string OneSlipFrom(const std::string& text,
                                 const std::set<std::string>& keywords) {
    if (text.size() < 3) return "";
    for (const std::string& keyword : keywords) {
      bool swapped = false;
      if (keyword.size() == text.size()) {
        std::vector<size_t> differ;
        for (size_t i = 0; i < text.size(); ++i) {
          if (text[i] != keyword[i]) differ.push_back(i);
        }
        swapped = differ.size() == 2 && differ[1] == differ[0] + 1 &&
                  text[differ[0]] == keyword[differ[1]] &&
                  text[differ[1]] == keyword[differ[0]];
      }
      if (swapped || diag::EditDistance(text, keyword) == 1) return keyword;
    }
    return "";
  }

  // `reentry afer 2d`, `quiet 21:00 .. 08:00 locl`, `wiat 3d`: a word of
  // the language misspelt is a name to the lexer, which the parser
  // stumbles on, or takes for a step's label and then stumbles on the
  // word after it. Says which word was meant, once; the errors that
  // follow from it are dropped.
  bool ExplainMisspeltKeyword(antlr4::Recognizer* recognizer,
                              antlr4::TokenStream& tokens,
                              antlr4::Token* offending,
                              const std::string& message) {
    using L = parcoursgrammar::ParcoursLexer;
    const std::set<std::string>& kKeywords = Keywords(recognizer);
    std::vector<antlr4::Token*> words;
    // Taken for a label: the word before the one the parser wanted a `:`
    // after.
    if (message.find("expecting ':'") != std::string::npos) {
      words.push_back(Visible(tokens, offending->getTokenIndex(), -1));
    }
    words.push_back(offending);
    // The words the parser could take next come first: `withn` is
    // `within` there, not `with`.
    std::set<std::string> expected;
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
      const antlr4::dfa::Vocabulary& vocabulary = parser->getVocabulary();
      for (ssize_t type : parser->getExpectedTokens().toList()) {
        if (type < 0) continue;
        std::string literal =
            vocabulary.getLiteralName(static_cast<size_t>(type));
        if (literal.size() < 3) continue;
        std::string word = literal.substr(1, literal.size() - 2);
        if (kKeywords.count(word)) expected.insert(word);
      }
    }
    for (antlr4::Token* word : words) {
      if (word == nullptr || word->getType() != L::IDENT) continue;
      std::string meant = OneSlipFrom(word->getText(), expected);
      if (meant.empty()) meant = OneSlipFrom(word->getText(), kKeywords);
      if (meant.empty()) continue;
      explained_.insert(word->getTokenIndex());
      explained_.insert(offending->getTokenIndex());
      ReportSyntaxError(diagnostics_, TokenSpan(file_, word),
                        "`" + word->getText() +
                            "` is not a word of the language; did you mean `" +
                            meant + "`?");
      return true;
    }
    return false;
  }

  // `Send email "x"`, `On OrderPlaced`: a word of the language with a
  // capital is a name to the lexer, which the parser reads as a label
  // and then complains about the next word. Says to write it in lower
  // case, once; the errors that follow from it are dropped.
  bool ExplainKeywordCase(antlr4::Recognizer* recognizer,
                          antlr4::TokenStream& tokens,
                          antlr4::Token* offending) {
    using L = parcoursgrammar::ParcoursLexer;
    const std::set<std::string>& kKeywords = Keywords(recognizer);
    for (int back = 0; back <= 2; ++back) {
      antlr4::Token* word =
          back == 0 ? offending
                    : Visible(tokens, offending->getTokenIndex(), -back);
      if (word == nullptr || word->getType() != L::IDENT) continue;
      std::string text = word->getText();
      std::string lower = text;
      for (char& c : lower) c = std::tolower(static_cast<unsigned char>(c));
      if (lower == text || kKeywords.count(lower) == 0) continue;
      explained_.insert(word->getTokenIndex());
      ReportSyntaxError(diagnostics_, TokenSpan(file_, word),
                        "`" + text +
                            "` is not a word of the language, which writes "
                            "its words in lower case: `" +
                            lower + "`");
      return true;
    }
    return false;
  }

  // `when quiet: defer`, `when full: drop`: a policy's `when` takes only
  // `capped`, and quiet hours have no `when` of their own, because the
  // one rule decides for every message held back, by a cap or by quiet
  // hours alike (policy.md). ANTLR only says it expected `capped`, and
  // calls a word of the language no name. Says so once, with the line
  // to write; what ANTLR trips on after it on the line is dropped.
  bool ExplainWhenInPolicy(antlr4::TokenStream& tokens,
                           antlr4::Token* offending,
                           const std::string& message) {
    antlr4::Token* before = Visible(tokens, offending->getTokenIndex(), -1);
    bool after_when = before != nullptr && before->getText() == "when";
    if (!after_when ||
        message.find("expecting 'capped'") == std::string::npos) {
      return false;
    }
    explained_.insert(offending->getTokenIndex());

    // The action written after the `:`, when there is one.
    antlr4::Token* colon = Visible(tokens, offending->getTokenIndex(), 1);
    antlr4::Token* action = colon != nullptr && colon->getText() == ":"
                                ? Visible(tokens, colon->getTokenIndex(), 1)
                                : nullptr;
    bool known = action != nullptr &&
                 (action->getText() == "defer" || action->getText() == "drop" ||
                  action->getText() == "fallback");
    std::string write =
        "`when capped: " + (known ? action->getText() : std::string("defer")) +
        "`";
    ReportSyntaxError(
        diagnostics_, TokenSpan(file_, offending),
        "`when` in a policy takes only `capped:`, and it decides for every "
        "message held back, by a cap or by quiet hours alike: under `when "
        "capped: defer` a message held by quiet hours goes out when they "
        "end, under `drop` (the default) it is suppressed as `quiet`; "
        "write " +
            write);
    return true;
  }

  // The one place E0110 is reported, for a word after a number and for a
  // unit run on into a word alike.
  void ReportUnit(const Span& span, const std::string& message) {
    diagnostics_.Report(Kind::UnknownTimeUnit, span, message);
  }

  void ReportCurrency(const Span& span, const std::string& message) {
    diagnostics_.Report(Kind::CurrencyNotCode, span, message);
  }

  // A length whose unit runs on into a word: `wait 30days`, `3 monthz`,
  // `3dz`. The lexer takes `30d` or `3 month` as a length and the rest as
  // a name, which the parser reads as the label of the next step, and
  // ANTLR's error ("missing `:` at `send`") lands on the line after. Says
  // what is wrong with the length instead, once, as for `1 fortnight`.
  bool ExplainGluedUnit(antlr4::TokenStream& tokens, antlr4::Token* offending) {
    using L = parcoursgrammar::ParcoursLexer;
    size_t at = offending->getTokenIndex();
    for (int back = 0; back <= 2; ++back) {
      antlr4::Token* length =
          back == 0 ? offending : Visible(tokens, at, -back);
      if (length == nullptr || (length->getType() != L::DURATION &&
                                length->getType() != L::CALENDAR)) {
        continue;
      }
      antlr4::Token* rest = Visible(tokens, length->getTokenIndex(), 1);
      if (rest == nullptr || rest->getType() != L::IDENT ||
          rest->getStartIndex() != length->getStopIndex() + 1) {
        continue;
      }
      if (!explained_.insert(length->getTokenIndex()).second) return true;
      explained_.insert(rest->getTokenIndex());

      std::string text = length->getText();
      size_t digits = text.find_first_not_of("0123456789_");
      std::string number = text.substr(0, digits);
      size_t unit = text.find_first_not_of(' ', digits);
      std::string word = text.substr(unit) + rest->getText();
      std::string lower = word;
      for (char& c : lower) c = std::tolower(static_cast<unsigned char>(c));

      Span span = TokenSpan(file_, length);
      Span rest_span = TokenSpan(file_, rest);
      span.end_line = rest_span.end_line;
      span.end_column = rest_span.end_column;
      static const char* const kCalendar[] = {
          "day", "days", "week", "weeks", "month", "months", "year", "years"};
      bool calendar = std::find(std::begin(kCalendar), std::end(kCalendar),
                                lower) != std::end(kCalendar);
      std::string message =
          calendar
              ? "`" + text + rest->getText() +
                    "` needs a space before its unit: write `" + number + " " +
                    lower + "` (calendar, in the recipient's zone) or `" +
                    number + std::string(1, lower[0]) + "` (exact time)"
              : UnitMessage(number, word);
      ReportUnit(span, message);
      return true;
    }
    return false;
  }

  // The seconds of one unit of a length, by its word (`d`, `days`,
  // `month`); 0 for a word that is no unit. Months and years count their
  // shortest, only to tell them from other words.
  static int64_t UnitSeconds(const std::string& word) {
    static const std::pair<const char*, int64_t> kUnits[] = {
        {"s", 1},
        {"m", 60},
        {"h", 3600},
        {"d", 86400},
        {"w", 604800},
        {"day", 86400},
        {"days", 86400},
        {"week", 604800},
        {"weeks", 604800},
        {"month", 2419200},
        {"months", 2419200},
        {"year", 31536000},
        {"years", 31536000},
    };
    for (const auto& [unit, seconds] : kUnits) {
      if (word == unit) return seconds;
    }
    return 0;
  }

  // `wait 1.5d`: the lexer reads a decimal and a name, which the parser
  // takes for the label of the next step ("missing `:` at `send`" on the
  // line after). A length is a whole number of units; give the same
  // length in a smaller one when there is such.
  static std::string FractionMessage(const std::string& number,
                                     const std::string& word) {
    std::string written = number + (word.size() == 1 ? "" : " ") + word;
    std::string message = "`" + written +
                          "` is not a whole number of units; a length "
                          "counts whole seconds, minutes, hours, days, "
                          "weeks, months or years";
    bool calendar = word.size() > 1;
    bool varies = word.rfind("month", 0) == 0 || word.rfind("year", 0) == 0;
    // The number in millionths, as the lexer allows at most 6 places.
    std::string digits;
    int places = -1;
    for (char c : number) {
      if (c == '_') continue;
      if (c == '.') {
        places = 0;
        continue;
      }
      digits += c;
      if (places >= 0) ++places;
    }
    if (varies || places < 0 || places > 6 || digits.size() > 15) {
      return message;
    }
    int64_t scale = 1;
    for (int i = 0; i < places; ++i) scale *= 10;
    int64_t value = std::atoll(digits.c_str());
    int64_t total = value * UnitSeconds(word);
    if (total % scale != 0) return message;
    int64_t seconds = total / scale;
    static const std::pair<const char*, int64_t> kExact[] = {
        {"w", 604800}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    for (const auto& [unit, size] : kExact) {
      if (seconds % size != 0) continue;
      message += "; for `" + written + "` write `" +
                 std::to_string(seconds / size) + unit + "`";
      if (calendar) message += " (exact time)";
      break;
    }
    return message;
  }

  // "`9pm` is not ...; write it ... as `21:00`", with the hour on the
  // 24-hour clock.
  static std::string TwelveHourMessage(const std::string& number,
                                       const std::string& half) {
    std::string written = number + half;
    size_t colon = number.find(':');
    std::string minutes =
        colon == std::string::npos ? "00" : number.substr(colon + 1);
    int hour = std::atoi(number.substr(0, colon).c_str());
    std::string clock = "`HH:MM`";
    if (hour >= 1 && hour <= 12 && number.size() <= 5) {
      int hour24 = hour % 12 + (half == "pm" ? 12 : 0);
      clock = std::string("`") + (hour24 < 10 ? "0" : "") +
              std::to_string(hour24) + ":" + minutes + "`";
    }
    return "`" + written +
           "` is not a time of day in Parcours; write it on the 24-hour "
           "clock as " +
           clock + ", as in `quiet 21:00 .. 08:00 local`";
  }

  // The ISO 4217 code of a currency's name or sign (`euro`, `€`), or
  // empty. Only the common ones: the rest get the general advice.
  static std::string CurrencyCodeOf(const std::string& word) {
    std::string lower = word;
    for (char& c : lower) c = std::tolower(static_cast<unsigned char>(c));
    static const std::pair<const char*, const char*> kNames[] = {
        {"euro", "EUR"},   {"euros", "EUR"},  {"\u20ac", "EUR"},
        {"pound", "GBP"},  {"pounds", "GBP"}, {"sterling", "GBP"},
        {"\u00a3", "GBP"}, {"dollar", "USD"}, {"dollars", "USD"},
        {"$", "USD"},      {"yen", "JPY"},    {"\u00a5", "JPY"},
        {"franc", "CHF"},  {"francs", "CHF"}, {"yuan", "CNY"},
        {"rupee", "INR"},  {"rupees", "INR"}, {"zloty", "PLN"},
        {"krona", "SEK"},  {"kronor", "SEK"}, {"krone", "NOK"},
        {"kroner", "NOK"}, {"real", "BRL"},   {"reais", "BRL"},
    };
    for (const auto& [name, code] : kNames) {
      if (lower == name) return code;
    }
    return "";
  }

  static std::string CurrencyMessage(const std::string& written,
                                     const std::string& number,
                                     const std::string& code) {
    return "`" + written +
           "` is not an ISO 4217 currency code; write an amount as a "
           "number and the three capitals of its currency, as in `" +
           (number.empty() ? "100" : number) + " " + code + "`";
  }

  // `100 EURO`, `100 €`, `£5`: a currency written otherwise than by its
  // code after the amount. The lexer reads `100 EUR` and a name `O`, or
  // a sign it has no token for, and ANTLR names that token alone.
  bool ExplainCurrency(antlr4::TokenStream& tokens, antlr4::Token* offending) {
    using L = parcoursgrammar::ParcoursLexer;
    if (offending->getType() == antlr4::Token::EOF) return false;
    size_t at = offending->getTokenIndex();
    antlr4::Token* before = Visible(tokens, at, -1);
    antlr4::Token* after = Visible(tokens, at, 1);
    std::string text = offending->getText();

    // A sign before or after a number.
    std::string code = CurrencyCodeOf(text);
    if (!code.empty() && offending->getType() != L::IDENT) {
      std::string number;
      for (antlr4::Token* near : {before, after}) {
        if (near != nullptr && near->getLine() == offending->getLine() &&
            (near->getType() == L::INT || near->getType() == L::DECIMAL)) {
          number = near->getText();
          explained_.insert(near->getTokenIndex());
          break;
        }
      }
      explained_.insert(at);
      ReportCurrency(TokenSpan(file_, offending),
                     CurrencyMessage(text, number, code));
      return true;
    }

    // Letters glued to an amount: `100 EURO` is `100 EUR` and `O`.
    if (offending->getType() != L::IDENT || before == nullptr ||
        before->getType() != L::MONEY ||
        before->getStopIndex() + 1 != offending->getStartIndex()) {
      return false;
    }
    std::string money = before->getText();
    size_t space = money.find_last_of(" \t");
    if (space == std::string::npos) return false;
    std::string number = money.substr(0, space);
    std::string written = money.substr(space + 1) + text;
    std::string known = CurrencyCodeOf(written);
    Span span = TokenSpan(file_, before);
    Span end = TokenSpan(file_, offending);
    span.end_line = end.end_line;
    span.end_column = end.end_column;
    explained_.insert(before->getTokenIndex());
    explained_.insert(at);
    ReportCurrency(
        span, CurrencyMessage(written, number,
                              known.empty() ? money.substr(space + 1) : known));
    return true;
  }

  // Names the units the language has, and the spelling of a common word
  // for one when that was it: `1 hour` is `1h`.
  static std::string UnitMessage(const std::string& number,
                                 const std::string& word) {
    std::string lower = word;
    for (char& c : lower) c = std::tolower(static_cast<unsigned char>(c));
    // `100 euros`: a currency's name, not a unit.
    std::string currency = CurrencyCodeOf(word);
    if (!currency.empty()) return CurrencyMessage(word, number, currency);
    // `cap 3 pre week`: the slip is in the cap's `per`, not in a unit.
    static const char* const kPerSlips[] = {"pre",  "epr",  "pr",  "pe", "perr",
                                            "peer", "prer", "pet", "oer"};
    for (const char* slip : kPerSlips) {
      if (lower != slip) continue;
      return "`" + word + "` is not a word of the language here; did you " +
             "mean `per`, as in `cap " + number + " per week`?";
    }
    static const std::pair<const char*, const char*> kSpellings[] = {
        {"sec", "s"},       {"secs", "s"},       {"second", "s"},
        {"seconds", "s"},   {"min", "m"},        {"mins", "m"},
        {"minute", "m"},    {"minutes", "m"},    {"hr", "h"},
        {"hrs", "h"},       {"hour", "h"},       {"hours", "h"},
        {"fortnight", "w"}, {"fortnights", "w"},
    };
    std::string instead;
    for (const auto& [spelled, unit] : kSpellings) {
      if (lower != spelled) continue;
      // A fortnight is two weeks.
      bool fortnight = lower.rfind("fortnight", 0) == 0;
      long long count = std::atoll(number.c_str());
      std::string amount =
          fortnight && count <= 1'000'000 ? std::to_string(count * 2) : number;
      instead =
          "; for `" + number + " " + word + "` write `" + amount + unit + "`";
    }
    // `10 eur`: an amount whose currency is not in capitals, which the
    // lexer reads as a number and a name.
    bool letters = lower.size() == 3 &&
                   std::all_of(lower.begin(), lower.end(),
                               [](unsigned char c) { return std::isalpha(c); });
    if (instead.empty() && letters) {
      std::string upper = word;
      for (char& c : upper) c = std::toupper(static_cast<unsigned char>(c));
      instead =
          "; for an amount of money write its ISO 4217 currency in "
          "capitals, as in `" +
          number + " " + upper + "`";
    }
    return "`" + word +
           "` is not a unit of time; write a duration as a number with "
           "`s`, `m`, `h`, `d` or `w` (`30s`, `15m`, `4h`, `7d`, `2w`), or "
           "count calendar `days`, `weeks`, `months` or `years` "
           "(`1 month`)" +
           instead;
  }

  static bool IsWord(const std::string& text) {
    bool word = !text.empty() &&
                !std::isdigit(static_cast<unsigned char>(text.front()));
    for (char c : text) {
      word = word && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    }
    return word;
  }

  // Whether the visible token before `at` is a word of the language (not
  // a name) that starts a line, as a step's label does.
  static bool IsKeywordBefore(antlr4::TokenStream& tokens, size_t at) {
    antlr4::Token* before = nullptr;
    for (size_t i = at; i-- > 0;) {
      antlr4::Token* token = tokens.get(i);
      if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
      before = token;
      break;
    }
    if (before == nullptr ||
        before->getType() == parcoursgrammar::ParcoursLexer::IDENT ||
        !IsWord(before->getText())) {
      return false;
    }
    // Nothing visible between the start of its line and the word.
    for (size_t i = before->getTokenIndex(); i-- > 0;) {
      antlr4::Token* token = tokens.get(i);
      if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
      return token->getLine() < before->getLine();
    }
    return true;
  }

  // `when: string` reads as a field to its author, and `journey when` as
  // a name; say why neither is one. Only where a name was clearly meant:
  // a word before `:`, or after `event`, `journey`, `segment`, ...
  static std::string KeywordHint(antlr4::Recognizer* recognizer,
                                 antlr4::Token* offending) {
    if (offending == nullptr || offending->getType() == antlr4::Token::EOF ||
        offending->getType() == parcoursgrammar::ParcoursLexer::IDENT) {
      return "";
    }
    std::string text = offending->getText();
    auto* tokens =
        dynamic_cast<antlr4::TokenStream*>(recognizer->getInputStream());
    if (tokens == nullptr || !(IsWord(text) || text == ":")) return "";

    // The visible tokens just before and after the offending one.
    auto visible = [&](size_t index, int step) -> std::string {
      for (size_t i = index; i < tokens->size(); i += step) {
        antlr4::Token* token = tokens->get(i);
        if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
        return token->getType() == antlr4::Token::EOF ? "" : token->getText();
      }
      return "";
    };
    size_t at = offending->getTokenIndex();
    std::string next = visible(at + 1, 1);
    std::string previous = at == 0 ? "" : visible(at - 1, -1);

    // `call: task ...`: the parser took the label for the start of its
    // step (`call webhook`) and stumbles on the `:` after it.
    if (text == ":" && IsKeywordBefore(*tokens, at)) {
      return "; `" + previous +
             "` is a word of the language, so it cannot label a step "
             "(write `" +
             previous + "_step` or another name)";
    }
    static const char* const kDeclarations[] = {
        "event", "journey", "segment", "policy", "program", "enum", "record"};
    bool named = next == ":" ||
                 std::find(std::begin(kDeclarations), std::end(kDeclarations),
                           previous) != std::end(kDeclarations);
    if (!named) return "";
    return "; `" + text +
           "` is a word of the language, so it cannot be a name (write `" +
           text + "_at` or another name)";
  }

  // ANTLR speaks of "input" and quotes with '...'; we quote code with
  // backticks and name the end of the file plainly.
  static std::string Reword(std::string message) {
    for (char& c : message) {
      if (c == '\'') c = '`';
    }
    if (message.rfind("extraneous input", 0) == 0) {
      message.replace(0, 16, "unexpected");
    }
    if (message.rfind("mismatched input", 0) == 0) {
      message.replace(0, 16, "unexpected");
    }
    // A list of every keyword that could follow helps nobody; a short one
    // says what is missing.
    size_t expecting = message.find(" expecting {");
    if (expecting != std::string::npos &&
        std::count(message.begin() + expecting, message.end(), ',') >= 6) {
      message.erase(expecting);
      message += " here";
    }
    static const std::pair<const char*, const char*> kPlainWords[] = {
        {"`<EOF>`", "the end of the file"},
        {"<EOF>", "the end of the file"},
        {"STRING", "a string in double quotes"},
        {"IDENT", "a name"},
        {"INT", "a whole number"},
        {"DECIMAL", "a decimal number"},
        {"DURATION", "a duration such as `1h`"},
        {"MONEY", "an amount such as `10 EUR`"},
        {"UNEXPECTED", "an unexpected character"},
        {"CLOCK", "a time of day such as `21:00`"},
        {"PERCENT", "a percentage such as `10%`"},
    };
    for (const auto& [token, plain] : kPlainWords) {
      for (size_t at = message.find(token); at != std::string::npos;
           at = message.find(token, at + std::string(plain).size())) {
        message.replace(at, std::string(token).size(), plain);
      }
    }
    if (message.rfind("unexpected the end of the file", 0) == 0) {
      message = "the file ends too early; a `}` or `)` may be missing";
    }
    if (message.rfind("unexpected `&`", 0) == 0 ||
        message.rfind("unexpected `|`", 0) == 0) {
      message += "; conditions join with `and` and `or`";
    }
    if (message.rfind("unexpected `!`", 0) == 0) {
      message +=
          "; a condition is negated with `not`, as in `not consent(sms)`";
    }
    if (message.rfind("unexpected `;`", 0) == 0) {
      message += "; a step or a rule ends with its line, with no `;`";
    }
    return message;
  }

  int32_t file_;
  diag::DiagnosticEngine& diagnostics_;
  int count_ = 0;
  // The line of the last error reported in ANTLR's words, so that those
  // close after it, which follow from it, are dropped.
  int64_t last_reported_line_ = -2;
  std::set<size_t> explained_;
};

// ANTLR's error strategy checks, before every optional part and every turn
// of a loop, that the next token is one the parser can accept there; the
// default strategy copies the set of such tokens each time (an allocation
// and a free, a few percent of the parse). This one reads the set in
// place. When the token fits it returns, as the default does; otherwise
// the default strategy runs unchanged, so syntax errors are reported and
// recovered from exactly as before.
class InPlaceSyncStrategy final : public antlr4::DefaultErrorStrategy {
 public:
  void sync(antlr4::Parser* recognizer) override {
    if (!inErrorRecoveryMode(recognizer)) {
      const antlr4::atn::ATN& atn = recognizer->getATN();
      antlr4::atn::ATNState* state = atn.states[recognizer->getState()];
      const antlr4::misc::IntervalSet& expected = atn.nextTokens(state);
      size_t next = recognizer->getTokenStream()->LA(1);
      if (expected.contains(antlr4::Token::EPSILON) ||
          expected.contains(next)) {
        return;
      }
    }
    DefaultErrorStrategy::sync(recognizer);
  }
};

// A `"` that no `"` closes on its line, or a `/*` that no `*/` closes,
// leaves the lexer a lone character where a string or a comment was
// meant: the parser then reads the rest as code and complains about
// something else, often on a later line ("unexpected `}` expecting
// `:`"). Said plainly here, before parsing, whose errors would only
// follow from it.
bool CheckUnclosed(int32_t file, const antlr4::Lexer& lexer,
                   antlr4::CommonTokenStream& tokens,
                   diag::DiagnosticEngine& diagnostics) {
  using L = parcoursgrammar::ParcoursLexer;
  // By type, as `CheckShape` reads tokens: copying every token's text
  // would cost every file's parse, for a mistake few of them hold.
  static const std::pair<size_t, size_t> kSlashStar = [&lexer] {
    const antlr4::dfa::Vocabulary& vocabulary = lexer.getVocabulary();
    std::pair<size_t, size_t> types{0, 0};
    for (size_t type = 0; type <= vocabulary.getMaxTokenType(); ++type) {
      std::string literal = vocabulary.getLiteralName(type);
      if (literal == "'/'") types.first = type;
      if (literal == "'*'") types.second = type;
    }
    return types;
  }();
  const std::vector<antlr4::Token*>& all = tokens.getTokens();
  for (size_t i = 0; i < all.size(); ++i) {
    antlr4::Token* token = all[i];
    if (token->getType() == L::UNEXPECTED && token->getText() == "\"") {
      // Underlined to the end of its line, where the string runs.
      Span span = TokenSpan(file, token);
      for (size_t j = i + 1; j < all.size(); ++j) {
        antlr4::Token* next = all[j];
        if (next->getLine() != token->getLine()) break;
        if (next->getType() == antlr4::Token::EOF || next->getType() == L::WS) {
          continue;
        }
        span.end_column = TokenSpan(file, next).end_column;
      }
      diagnostics.Report(Kind::UnclosedString, span,
                         "this string has no closing `\"` on its line; a "
                         "string ends on the line it starts, as in `send "
                         "email \"welcome\"`");
      return false;
    }

    // `2025-03-01T10:00:00` with no zone: the lexer takes the date alone
    // and the parser stumbles on the `:` of the time.
    antlr4::Token* after = i + 1 < all.size() ? all[i + 1] : nullptr;
    if (token->getType() == L::TIMESTAMP && token->getText().size() == 10 &&
        after != nullptr && after->getType() == L::IDENT &&
        after->getStartIndex() == token->getStopIndex() + 1 &&
        after->getText().size() > 1 && after->getText()[0] == 'T' &&
        std::isdigit(static_cast<unsigned char>(after->getText()[1]))) {
      std::string written = token->getText();
      Span span = TokenSpan(file, token);
      for (size_t j = i + 1; j < all.size(); ++j) {
        antlr4::Token* glued = all[j];
        if (glued->getType() == antlr4::Token::EOF ||
            glued->getType() == L::WS ||
            glued->getStartIndex() != all[j - 1]->getStopIndex() + 1) {
          break;
        }
        written += glued->getText();
        span.end_line = TokenSpan(file, glued).end_line;
        span.end_column = TokenSpan(file, glued).end_column;
      }
      std::string day = token->getText();
      ReportSyntaxError(diagnostics, span,
                        "`" + written +
                            "` is not a time Parcours reads: write it with "
                            "whole seconds and a zone, as in `" +
                            day + "T10:00:00Z` (UTC) or `" + day +
                            "T10:00:00+01:00`");
      return false;
    }

    if (token->getType() == L::UNEXPECTED && token->getText() == "'") {
      // What the quotes hold, when a second `'` closes them on the line.
      std::string inside;
      bool closed = false;
      Span span = TokenSpan(file, token);
      for (size_t j = i + 1; j < all.size() && !closed; ++j) {
        antlr4::Token* next = all[j];
        if (next->getLine() != token->getLine() ||
            next->getType() == antlr4::Token::EOF) {
          break;
        }
        closed = next->getType() == L::UNEXPECTED && next->getText() == "'";
        if (closed) span.end_column = TokenSpan(file, next).end_column;
        if (!closed) inside += next->getText();
      }
      std::string message =
          "a string is written in double quotes, not single ones";
      if (closed && inside.find('"') == std::string::npos &&
          inside.find('\\') == std::string::npos) {
        message += ": write `\"" + inside + "\"`";
      }
      ReportSyntaxError(diagnostics, span, message);
      return false;
    }

    // `/` and `*` side by side are a comment's start that no `*/` ends:
    // a closed one is a single hidden token.
    antlr4::Token* next = i + 1 < all.size() ? all[i + 1] : nullptr;
    if (token->getType() == kSlashStar.first && next != nullptr &&
        next->getType() == kSlashStar.second &&
        next->getStartIndex() == token->getStopIndex() + 1) {
      Span span = TokenSpan(file, token);
      span.end_column = TokenSpan(file, next).end_column;
      diagnostics.Report(Kind::UnclosedComment, span,
                         "this comment is never closed; end it with `*/`, or "
                         "start each of its lines with `//`");
      return false;
    }
  }
  return true;
}

// What a token means to `CheckShape`, decided once per token type from
// the lexer's vocabulary so that checking a file never copies token text.
enum class ShapeRole : uint8_t {
  Other,
  OpenParen,   // `(`, also an operand: it keeps an expression going
  CloseParen,  // `)`, the same
  Open,        // `{`, `[`
  Close,       // `}`, `]`
  Operator,    // continues an expression: `+`, `and`, `.`, ...
  Operand,     // a literal, a name, `true`
  If,
  Else,
};

ShapeRole RoleOfLiteral(const std::string& quoted) {
  static const std::pair<const char*, ShapeRole> kRoles[] = {
      {"'('", ShapeRole::OpenParen},     {"'{'", ShapeRole::Open},
      {"'['", ShapeRole::Open},          {"')'", ShapeRole::CloseParen},
      {"'}'", ShapeRole::Close},         {"']'", ShapeRole::Close},
      {"'+'", ShapeRole::Operator},      {"'-'", ShapeRole::Operator},
      {"'*'", ShapeRole::Operator},      {"'/'", ShapeRole::Operator},
      {"'=='", ShapeRole::Operator},     {"'!='", ShapeRole::Operator},
      {"'<'", ShapeRole::Operator},      {"'<='", ShapeRole::Operator},
      {"'>'", ShapeRole::Operator},      {"'>='", ShapeRole::Operator},
      {"'and'", ShapeRole::Operator},    {"'or'", ShapeRole::Operator},
      {"'not'", ShapeRole::Operator},    {"'in'", ShapeRole::Operator},
      {"'.'", ShapeRole::Operator},      {"'true'", ShapeRole::Operand},
      {"'false'", ShapeRole::Operand},   {"'none'", ShapeRole::Operand},
      {"'profile'", ShapeRole::Operand}, {"'if'", ShapeRole::If},
      {"'else'", ShapeRole::Else},
  };
  for (const auto& [literal, role] : kRoles) {
    if (quoted == literal) return role;
  }
  return ShapeRole::Other;
}

// The role of every token type, indexed by type.
const std::vector<ShapeRole>& ShapeRoles(const antlr4::Lexer& lexer) {
  using L = parcoursgrammar::ParcoursLexer;
  static const std::vector<ShapeRole> roles = [&lexer] {
    const antlr4::dfa::Vocabulary& vocabulary = lexer.getVocabulary();
    std::vector<ShapeRole> table(vocabulary.getMaxTokenType() + 1);
    for (size_t type = 0; type < table.size(); ++type) {
      table[type] = RoleOfLiteral(vocabulary.getLiteralName(type));
    }
    for (size_t operand :
         {L::IDENT, L::INT, L::DECIMAL, L::MONEY, L::DURATION, L::CALENDAR,
          L::PERCENT, L::CLOCK, L::TIMESTAMP, L::STRING}) {
      table[operand] = ShapeRole::Operand;
    }
    return table;
  }();
  return roles;
}

// For `tokens` [`begin`, `end`) that are a chain `x == a or x == b or ...`
// comparing one operand `x`, the same test as a list, `x in [a, b, c,
// ...]`; "" for any other expression. The last comparison may be cut
// short: the chain is judged where the operator limit stops it.
std::string AsMembershipTest(const std::vector<antlr4::Token*>& tokens,
                             size_t begin, size_t end) {
  std::string operand;
  std::string left;
  std::string value;
  std::vector<std::string> values;
  bool after_equal = false;
  size_t value_tokens = 0;
  for (size_t i = begin; i < end; ++i) {
    const antlr4::Token* token = tokens[i];
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    std::string text = token->getText();
    if (text == "or") {
      bool whole = after_equal && value_tokens == 1 && !left.empty();
      if (!whole || (!operand.empty() && left != operand)) return "";
      operand = left;
      values.push_back(value);
      left.clear();
      value_tokens = 0;
      after_equal = false;
    } else if (text == "==") {
      if (after_equal) return "";
      after_equal = true;
    } else if (after_equal) {
      value = text;
      ++value_tokens;
    } else {
      left += text;
    }
  }
  if (values.size() < 3) return "";
  return operand + " in [" + values[0] + ", " + values[1] + ", " + values[2] +
         ", ...]";
}

// The generated parser, the AST builder and the checker each recurse once
// per bracket, per operator of a chain and per `else if`. Refusing
// pathological shapes here, from the tokens alone, keeps every later phase
// within a bounded stack; the limits are far beyond any real campaign.
bool CheckShape(int32_t file, const antlr4::Lexer& lexer,
                antlr4::CommonTokenStream& tokens,
                diag::DiagnosticEngine& diagnostics) {
  int depth = 0;
  int operators = 0;
  int else_ifs = 0;
  const std::string split = "; split it into smaller segments or steps";

  const std::vector<ShapeRole>& roles = ShapeRoles(lexer);
  ShapeRole previous = ShapeRole::Other;
  const std::vector<antlr4::Token*> all = tokens.getTokens();
  // The first token of the expression the operators are counted in.
  size_t expression_start = 0;
  for (size_t index = 0; index < all.size(); ++index) {
    antlr4::Token* token = all[index];
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    size_t type = token->getType();
    ShapeRole role = type < roles.size() ? roles[type] : ShapeRole::Other;
    bool opens = role == ShapeRole::Open || role == ShapeRole::OpenParen;
    bool closes = role == ShapeRole::Close || role == ShapeRole::CloseParen;
    if (opens) ++depth;
    // A stray closing bracket must not buy extra depth for later ones.
    if (closes && depth > 0) --depth;
    if (depth > kMaxNesting) {
      diagnostics.Report(Kind::NestingTooDeep, TokenSpan(file, token),
                         "brackets are nested more than " +
                             std::to_string(kMaxNesting) + " deep" + split);
      return false;
    }

    if (role == ShapeRole::Operator) {
      if (++operators > kMaxOperators) {
        // A list pasted from a spreadsheet, `x == 1 or x == 2 or ...`, is
        // one test of membership; split into steps it would still be
        // long, and a segment cannot read the trigger's alias.
        std::string membership = AsMembershipTest(all, expression_start, index);
        std::string advice =
            membership.empty()
                ? split
                : "; to compare one value with many, list them once: `" +
                      membership + "`";
        diagnostics.Report(Kind::TooManyOperators, TokenSpan(file, token),
                           "this expression has more than " +
                               std::to_string(kMaxOperators) + " operators" +
                               advice);
        return false;
      }
    } else if (role != ShapeRole::Operand && role != ShapeRole::OpenParen &&
               role != ShapeRole::CloseParen) {
      operators = 0;
      expression_start = index + 1;
    }

    if (role == ShapeRole::If && previous == ShapeRole::Else) {
      if (++else_ifs > kMaxElseIfs) {
        diagnostics.Report(Kind::ElseIfChainTooLong, TokenSpan(file, token),
                           "this journey chains more than " +
                               std::to_string(kMaxElseIfs) + " `else if`" +
                               split);
        return false;
      }
    }
    if (depth == 0) else_ifs = 0;
    previous = role;
  }
  return true;
}

// A split arm written negative, `a: -10% {`: the grammar refuses it at
// the `-` ("expecting PERCENT"), which does not say that a share cannot
// be below 0%. (`holdout -5%` parses as an expression; the checker
// refuses it with E0291.) Reports each and marks its `-` as explained;
// returns whether any was.
bool CheckSplitShares(int32_t file, antlr4::CommonTokenStream& tokens,
                      ErrorCollector& errors,
                      diag::DiagnosticEngine& diagnostics) {
  using L = parcoursgrammar::ParcoursLexer;
  const std::vector<antlr4::Token*>& all = tokens.getTokens();
  auto visible = [&all](size_t index, int step) -> antlr4::Token* {
    for (int64_t at = static_cast<int64_t>(index) + step;
         at >= 0 && at < static_cast<int64_t>(all.size()); at += step) {
      antlr4::Token* token = all[static_cast<size_t>(at)];
      if (token->getChannel() == antlr4::Token::DEFAULT_CHANNEL) return token;
    }
    return nullptr;
  };

  bool found = false;
  for (antlr4::Token* percent : all) {
    if (percent->getType() != L::PERCENT) continue;
    antlr4::Token* minus = visible(percent->getTokenIndex(), -1);
    if (minus == nullptr || minus->getText() != "-") continue;
    antlr4::Token* before = visible(minus->getTokenIndex(), -1);
    antlr4::Token* after = visible(percent->getTokenIndex(), 1);
    // An arm is `name: N% {` or, unnamed, `N% {` after `split` or the
    // arm before; `if x > -5% {` is a comparison, not an arm.
    bool arm_start = before != nullptr &&
                     (before->getText() == ":" ||
                      before->getText() == "split" || before->getText() == "}");
    bool split_arm = arm_start && after != nullptr && after->getText() == "{";
    if (!split_arm) continue;

    Span span = TokenSpan(file, minus);
    Span percent_span = TokenSpan(file, percent);
    span.end_line = percent_span.end_line;
    span.end_column = percent_span.end_column;
    diagnostics.Report(Kind::NegativeShare, span,
                       "a split arm cannot have a negative share: write a "
                       "share from `0%` to `100%`, such as `10%`");
    errors.MarkExplained(minus->getTokenIndex());
    found = true;
  }
  return found;
}

}  // namespace

std::optional<Module> ParseFile(const diag::SourceManager& sources,
                                int32_t file,
                                diag::DiagnosticEngine& diagnostics) {
  const std::string& text = sources.Text(file);
  if (!CheckSourceBytes(sources, file, diagnostics)) return std::nullopt;

  antlr4::ANTLRInputStream input(text);
  parcoursgrammar::ParcoursLexer lexer(&input);
  ErrorCollector errors(file, diagnostics);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (!CheckUnclosed(file, lexer, tokens, diagnostics)) return std::nullopt;
  if (!CheckShape(file, lexer, tokens, diagnostics)) return std::nullopt;

  G parser(&tokens);
  parser.setErrorHandler(std::make_shared<InPlaceSyncStrategy>());
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  bool negative_shares = CheckSplitShares(file, tokens, errors, diagnostics);
  G::FileContext* tree = parser.file();
  if (errors.Count() > 0 || negative_shares) return std::nullopt;

  int before = diagnostics.ErrorCount();
  Module module = BuildModule(file, text, tree, diagnostics);
  if (diagnostics.ErrorCount() > before) return std::nullopt;
  return module;
}

}  // namespace parcours::syntax
