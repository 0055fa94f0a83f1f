#include "compiler/syntax/parser.h"

#include <antlr4-runtime.h>

#include <algorithm>
#include <limits>

#include "ParcoursLexer.h"
#include "ParcoursParser.h"
#include "compiler/syntax/ast_builder.h"
#include "compiler/syntax/source_check.h"

namespace parcours::syntax {
namespace {

using diag::Kind;
using G = parcoursgrammar::ParcoursParser;

class ErrorCollector final : public antlr4::BaseErrorListener {
 public:
  ErrorCollector(int32_t file, diag::DiagnosticEngine& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t line,
                   size_t column, const std::string& message,
                   std::exception_ptr) override {
    Span span{file_, static_cast<int32_t>(line),
              static_cast<int32_t>(column) + 1, static_cast<int32_t>(line),
              static_cast<int32_t>(column) + 2};
    if (offending != nullptr && offending->getType() != antlr4::Token::EOF) {
      span = TokenSpan(file_, offending);
    }
    ++count_;
    diagnostics_.Report(Kind::SyntaxError, span, Reword(message));
  }

  int Count() const { return count_; }

 private:
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
    if (message == "unexpected `&` here" || message == "unexpected `|` here") {
      message += "; conditions join with `and` and `or`";
    }
    return message;
  }

  int32_t file_;
  diag::DiagnosticEngine& diagnostics_;
  int count_ = 0;
};

bool IsOperator(const std::string& text) {
  static const char* const kOperators[] = {
      "+", "-",  "*",   "/",  "==",  "!=", "<", "<=",
      ">", ">=", "and", "or", "not", "in", "."};
  for (const char* op : kOperators) {
    if (text == op) return true;
  }
  return false;
}

bool IsOperand(const antlr4::Token* token) {
  using L = parcoursgrammar::ParcoursLexer;
  switch (token->getType()) {
    case L::IDENT:
    case L::INT:
    case L::DECIMAL:
    case L::MONEY:
    case L::DURATION:
    case L::CALENDAR:
    case L::PERCENT:
    case L::CLOCK:
    case L::TIMESTAMP:
    case L::STRING: return true;
    default: break;
  }
  std::string text = token->getText();
  return text == "(" || text == ")" || text == "true" || text == "false" ||
         text == "none" || text == "profile";
}

// The generated parser, the AST builder and the checker each recurse once
// per bracket, per operator of a chain and per `else if`. Refusing
// pathological shapes here, from the tokens alone, keeps every later phase
// within a bounded stack; the limits are far beyond any real campaign.
bool CheckShape(int32_t file, antlr4::CommonTokenStream& tokens,
                diag::DiagnosticEngine& diagnostics) {
  int depth = 0;
  int operators = 0;
  int else_ifs = 0;
  const antlr4::Token* previous = nullptr;
  const std::string split = "; split it into smaller segments or steps";

  for (antlr4::Token* token : tokens.getTokens()) {
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) continue;
    std::string text = token->getText();
    if (text == "(" || text == "{" || text == "[") ++depth;
    // A stray closing bracket must not buy extra depth for later ones.
    if ((text == ")" || text == "}" || text == "]") && depth > 0) --depth;
    if (depth > kMaxNesting) {
      diagnostics.Report(Kind::NestingTooDeep, TokenSpan(file, token),
                         "brackets are nested more than " +
                             std::to_string(kMaxNesting) + " deep" + split);
      return false;
    }

    if (IsOperator(text)) {
      if (++operators > kMaxOperators) {
        diagnostics.Report(Kind::TooManyOperators, TokenSpan(file, token),
                           "this expression has more than " +
                               std::to_string(kMaxOperators) + " operators" +
                               split);
        return false;
      }
    } else if (!IsOperand(token)) {
      operators = 0;
    }

    if (text == "if" && previous != nullptr && previous->getText() == "else") {
      if (++else_ifs > kMaxElseIfs) {
        diagnostics.Report(Kind::ElseIfChainTooLong, TokenSpan(file, token),
                           "this journey chains more than " +
                               std::to_string(kMaxElseIfs) + " `else if`" +
                               split);
        return false;
      }
    }
    if (depth == 0) else_ifs = 0;
    previous = token;
  }
  return true;
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
  if (!CheckShape(file, tokens, diagnostics)) return std::nullopt;

  G parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  G::FileContext* tree = parser.file();
  if (errors.Count() > 0) return std::nullopt;

  int before = diagnostics.ErrorCount();
  Module module = BuildModule(file, tree, diagnostics);
  if (diagnostics.ErrorCount() > before) return std::nullopt;
  return module;
}

}  // namespace parcours::syntax
