#include "compiler/syntax/parser.h"

#include <antlr4-runtime.h>

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
    return message;
  }

  int32_t file_;
  diag::DiagnosticEngine& diagnostics_;
  int count_ = 0;
};

// Reports the first bracket nested deeper than `kMaxNesting`. Returns false
// when one was found.
bool CheckNesting(int32_t file, antlr4::CommonTokenStream& tokens,
                  diag::DiagnosticEngine& diagnostics) {
  int depth = 0;
  for (antlr4::Token* token : tokens.getTokens()) {
    std::string text = token->getText();
    if (text == "(" || text == "{") ++depth;
    if (text == ")" || text == "}") --depth;
    if (depth > kMaxNesting) {
      diagnostics.Report(Kind::NestingTooDeep, TokenSpan(file, token),
                         "brackets are nested more than " +
                             std::to_string(kMaxNesting) +
                             " deep; split the expression into segments");
      return false;
    }
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
  if (!CheckNesting(file, tokens, diagnostics)) return std::nullopt;

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
