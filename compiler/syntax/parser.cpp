#include "compiler/syntax/parser.h"

#include <antlr4-runtime.h>

#include <limits>

#include "ParcoursLexer.h"
#include "ParcoursParser.h"
#include "compiler/syntax/source_check.h"

namespace parcours::syntax {
namespace {

using diag::Kind;
using G = parcoursgrammar::ParcoursParser;

// Spans come from ANTLR tokens: lines from 1, columns from 0 in code points.
Span TokenSpan(int32_t file, const antlr4::Token* token) {
  if (token == nullptr) return {};
  int32_t line = static_cast<int32_t>(token->getLine());
  int32_t column = static_cast<int32_t>(token->getCharPositionInLine()) + 1;
  auto length =
      static_cast<int32_t>(token->getStopIndex() - token->getStartIndex() + 1);
  if (token->getType() == antlr4::Token::EOF) length = 1;
  return {file, line, column, line, column + std::max(length, 1)};
}

Span ContextSpan(int32_t file, antlr4::ParserRuleContext* context) {
  if (context == nullptr) return {};
  Span begin = TokenSpan(file, context->getStart());
  Span end = TokenSpan(file, context->getStop());
  if (!end.Valid() || end.line < begin.line ||
      (end.line == begin.line && end.end_column < begin.column)) {
    return begin;
  }
  return {file, begin.line, begin.column, end.line, end.end_column};
}

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

// Builds AST nodes from a parse tree that had no syntax error, so every
// child the grammar requires is present.
class AstBuilder {
 public:
  AstBuilder(int32_t file, diag::DiagnosticEngine& diagnostics)
      : file_(file), diagnostics_(diagnostics) {}

  Module Build(G::FileContext* tree) {
    Module module;
    module.file = file_;
    if (auto* declared = tree->moduleDecl()) {
      module.name = QualifiedName(declared->qualifiedName());
    }
    for (auto* import : tree->importDecl()) {
      module.imports.push_back(QualifiedName(import->qualifiedName()));
    }
    for (auto* declaration : tree->declaration()) {
      module.declarations.push_back(BuildDeclaration(declaration));
    }
    return module;
  }

 private:
  Span SpanOf(antlr4::ParserRuleContext* context) const {
    return ContextSpan(file_, context);
  }

  Name NameOf(G::NameContext* context) const {
    return {context->getText(), SpanOf(context)};
  }

  Name QualifiedName(G::QualifiedNameContext* context) const {
    return {context->getText(), SpanOf(context)};
  }

  Declaration BuildDeclaration(G::DeclarationContext* context) {
    if (auto* profile = context->profileDecl()) {
      ProfileDecl declaration;
      declaration.span = SpanOf(profile);
      for (auto* attribute : profile->attribute()) {
        declaration.attributes.push_back(BuildAttribute(attribute));
      }
      return declaration;
    }
    if (auto* event = context->eventDecl()) {
      EventDecl declaration;
      declaration.name = NameOf(event->name());
      declaration.span = SpanOf(event);
      if (event->wire != nullptr) {
        declaration.wire_name = Unquote(event->wire->getText());
      }
      for (auto* field : event->attribute()) {
        declaration.fields.push_back(BuildAttribute(field));
      }
      return declaration;
    }
    if (auto* segment = context->segmentDecl()) {
      SegmentDecl declaration;
      declaration.name = NameOf(segment->name());
      declaration.predicate = BuildExpr(segment->expr());
      declaration.span = SpanOf(segment);
      return declaration;
    }
    return BuildJourney(context->journeyDecl());
  }

  Attribute BuildAttribute(G::AttributeContext* context) {
    Attribute attribute;
    attribute.name = NameOf(context->name());
    if (context->wire != nullptr) {
      attribute.wire_name = Unquote(context->wire->getText());
    }
    attribute.type = NameOf(context->typeRef()->name());
    attribute.optional = context->typeRef()->optional != nullptr;
    if (context->expr() != nullptr) {
      attribute.default_value = BuildExpr(context->expr());
    }
    attribute.span = SpanOf(context);
    return attribute;
  }

  JourneyDecl BuildJourney(G::JourneyDeclContext* context) {
    JourneyDecl journey;
    journey.name = NameOf(context->name());
    journey.span = SpanOf(context);
    for (auto* clause : context->journeyClause()) {
      if (auto* trigger = dynamic_cast<G::TriggerClauseContext*>(clause)) {
        Trigger built;
        built.event = NameOf(trigger->event);
        if (trigger->alias != nullptr) built.alias = NameOf(trigger->alias);
        if (trigger->expr() != nullptr)
          built.where = BuildExpr(trigger->expr());
        built.span = SpanOf(trigger);
        journey.triggers.push_back(std::move(built));
      } else if (auto* exit = dynamic_cast<G::ExitClauseContext*>(clause)) {
        journey.exit_events.push_back(NameOf(exit->event));
      }
    }
    journey.steps = BuildSteps(context->step());
    return journey;
  }

  std::vector<Step> BuildSteps(const std::vector<G::StepContext*>& contexts) {
    std::vector<Step> steps;
    for (auto* context : contexts) {
      Step step = BuildStepBody(context->stepBody());
      if (context->label != nullptr) step.label = NameOf(context->label);
      step.span = SpanOf(context);
      steps.push_back(std::move(step));
    }
    return steps;
  }

  Step BuildStepBody(G::StepBodyContext* context) {
    Step step;
    step.span = SpanOf(context);
    if (auto* wait = dynamic_cast<G::WaitStepContext*>(context)) {
      step.kind = StepKind::Wait;
      step.expr = BuildExpr(wait->expr());
    } else if (auto* send = dynamic_cast<G::SendStepContext*>(context)) {
      step.kind = StepKind::Send;
      step.channel = NameOf(send->channel);
      step.template_name = Unquote(send->templ->getText());
      step.template_span = TokenSpan(file_, send->templ);
    } else if (auto* branch = dynamic_cast<G::IfStepContext*>(context)) {
      step.kind = StepKind::If;
      step.expr = BuildExpr(branch->expr());
      step.then_steps = BuildSteps(branch->block()->step());
      if (auto* otherwise = branch->elseBranch()) {
        step.else_steps = BuildElse(otherwise);
      }
    } else {
      step.kind = StepKind::Exit;
    }
    return step;
  }

  std::vector<Step> BuildElse(G::ElseBranchContext* context) {
    if (context->block() != nullptr)
      return BuildSteps(context->block()->step());
    std::vector<Step> steps;
    if (dynamic_cast<G::IfStepContext*>(context->ifElse) == nullptr) {
      diagnostics_.Report(Kind::SyntaxError, SpanOf(context->ifElse),
                          "`else` must be followed by `{` or by `if`");
      return steps;
    }
    steps.push_back(BuildStepBody(context->ifElse));
    return steps;
  }

  std::unique_ptr<Expr> Make(ExprKind kind, antlr4::ParserRuleContext* from) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->span = SpanOf(from);
    return expr;
  }

  std::unique_ptr<Expr> BuildExpr(G::ExprContext* context) {
    if (auto* paren = dynamic_cast<G::ParenExprContext*>(context)) {
      auto inner = BuildExpr(paren->expr());
      inner->parenthesized = true;
      return inner;
    }
    if (auto* call = dynamic_cast<G::CallExprContext*>(context)) {
      auto expr = Make(ExprKind::Call, call);
      expr->text = call->callee->getText();
      expr->field = NameOf(call->callee);
      for (auto* argument : call->expr()) {
        expr->operands.push_back(BuildExpr(argument));
      }
      return expr;
    }
    if (auto* field = dynamic_cast<G::FieldExprContext*>(context)) {
      auto expr = Make(ExprKind::Field, field);
      expr->field = NameOf(field->name());
      expr->operands.push_back(BuildExpr(field->expr()));
      return expr;
    }
    if (auto* negate = dynamic_cast<G::NegateExprContext*>(context)) {
      return Unary(UnaryOp::Negate, negate, negate->expr());
    }
    if (auto* negation = dynamic_cast<G::NotExprContext*>(context)) {
      return Unary(UnaryOp::Not, negation, negation->expr());
    }
    if (auto* literal = dynamic_cast<G::LiteralExprContext*>(context)) {
      return BuildLiteral(literal->literal());
    }
    if (auto* name = dynamic_cast<G::NameExprContext*>(context)) {
      auto expr = Make(ExprKind::Name, name);
      expr->text = name->getText();
      return expr;
    }
    return BuildBinary(context);
  }

  std::unique_ptr<Expr> Unary(UnaryOp op, G::ExprContext* context,
                              G::ExprContext* operand) {
    auto expr = Make(ExprKind::Unary, context);
    expr->unary_op = op;
    expr->operands.push_back(BuildExpr(operand));
    return expr;
  }

  std::unique_ptr<Expr> BuildBinary(G::ExprContext* context) {
    antlr4::Token* op = nullptr;
    std::vector<G::ExprContext*> sides;
    if (auto* multiply = dynamic_cast<G::MultiplyExprContext*>(context)) {
      op = multiply->op;
      sides = multiply->expr();
    } else if (auto* add = dynamic_cast<G::AddExprContext*>(context)) {
      op = add->op;
      sides = add->expr();
    } else if (auto* compare = dynamic_cast<G::CompareExprContext*>(context)) {
      op = compare->op;
      sides = compare->expr();
    } else if (auto* conjunction = dynamic_cast<G::AndExprContext*>(context)) {
      op = conjunction->op;
      sides = conjunction->expr();
    } else if (auto* disjunction = dynamic_cast<G::OrExprContext*>(context)) {
      op = disjunction->op;
      sides = disjunction->expr();
    }
    assert(op != nullptr && sides.size() == 2 && "unhandled expression form");

    auto expr = Make(ExprKind::Binary, context);
    expr->binary_op = BinaryOpFromSpelling(op->getText());
    expr->operands.push_back(BuildExpr(sides[0]));
    expr->operands.push_back(BuildExpr(sides[1]));
    return expr;
  }

  static BinaryOp BinaryOpFromSpelling(const std::string& spelling) {
    static const std::pair<const char*, BinaryOp> kOps[] = {
        {"+", BinaryOp::Add},      {"-", BinaryOp::Subtract},
        {"*", BinaryOp::Multiply}, {"/", BinaryOp::Divide},
        {"==", BinaryOp::Equal},   {"!=", BinaryOp::NotEqual},
        {"<", BinaryOp::Less},     {"<=", BinaryOp::LessEqual},
        {">", BinaryOp::Greater},  {">=", BinaryOp::GreaterEqual},
        {"and", BinaryOp::And},    {"or", BinaryOp::Or},
    };
    for (const auto& [text, op] : kOps) {
      if (spelling == text) return op;
    }
    assert(false && "operator missing from the table");
    return BinaryOp::Add;
  }

  std::unique_ptr<Expr> BuildLiteral(G::LiteralContext* context) {
    std::string text = context->getText();
    if (dynamic_cast<G::IntLiteralContext*>(context) != nullptr) {
      auto expr = Make(ExprKind::Int, context);
      expr->int_value = ParseInteger(text, expr->span);
      return expr;
    }
    if (dynamic_cast<G::DecimalLiteralContext*>(context) != nullptr) {
      auto expr = Make(ExprKind::Decimal, context);
      expr->int_value = ParseDecimal(text, expr->span);
      return expr;
    }
    if (dynamic_cast<G::MoneyLiteralContext*>(context) != nullptr) {
      auto expr = Make(ExprKind::Money, context);
      expr->text = text.substr(text.size() - 3);
      std::string amount = text.substr(0, text.size() - 3);
      if (!amount.empty() && amount.back() == ' ') amount.pop_back();
      expr->int_value = ParseDecimal(amount, expr->span);
      return expr;
    }
    if (dynamic_cast<G::DurationLiteralContext*>(context) != nullptr) {
      return BuildDuration(context, text);
    }
    if (dynamic_cast<G::StringLiteralContext*>(context) != nullptr) {
      auto expr = Make(ExprKind::String, context);
      expr->text = Unquote(text);
      return expr;
    }
    if (dynamic_cast<G::BoolLiteralContext*>(context) != nullptr) {
      auto expr = Make(ExprKind::Bool, context);
      expr->int_value = text == "true" ? 1 : 0;
      return expr;
    }
    return Make(ExprKind::None, context);
  }

  std::unique_ptr<Expr> BuildDuration(G::LiteralContext* context,
                                      const std::string& text) {
    auto expr = Make(ExprKind::Duration, context);
    int64_t unit = 1;
    switch (text.back()) {
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 1; break;
    }
    int64_t count = ParseInteger(text.substr(0, text.size() - 1), expr->span);
    if (count > std::numeric_limits<int64_t>::max() / unit) {
      diagnostics_.Report(Kind::BadLiteral, expr->span,
                          "duration `" + text + "` is too long");
      count = 0;
    }
    expr->int_value = count * unit;
    return expr;
  }

  int64_t ParseInteger(const std::string& text, const Span& span) {
    int64_t value = 0;
    for (char c : text) {
      if (c == '_') continue;
      int digit = c - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        diagnostics_.Report(
            Kind::BadLiteral, span,
            "`" + text +
                "` does not fit in a 64-bit integer; the largest "
                "is 9223372036854775807");
        return 0;
      }
      value = value * 10 + digit;
    }
    return value;
  }

  // Decimal text to fixed point with six places, exactly.
  int64_t ParseDecimal(const std::string& text, const Span& span) {
    size_t dot = text.find('.');
    std::string whole = text.substr(0, dot);
    std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
    std::erase(fraction, '_');
    if (fraction.size() > 6) {
      diagnostics_.Report(Kind::BadLiteral, span,
                          "`" + text + "` has more than 6 decimal places");
      return 0;
    }
    fraction.append(6 - fraction.size(), '0');
    int64_t units = ParseInteger(whole, span);
    constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 1'000'000;
    if (units > kLimit) {
      diagnostics_.Report(Kind::BadLiteral, span,
                          "`" + text + "` is too large for a decimal");
      return 0;
    }
    return units * 1'000'000 + ParseInteger(fraction, span);
  }

  // Removes the quotes of a string literal and resolves its escapes.
  static std::string Unquote(const std::string& quoted) {
    std::string text;
    for (size_t i = 1; i + 1 < quoted.size(); ++i) {
      char c = quoted[i];
      if (c != '\\' || i + 2 >= quoted.size()) {
        text += c;
        continue;
      }
      char escaped = quoted[++i];
      switch (escaped) {
        case 'n': text += '\n'; break;
        case 't': text += '\t'; break;
        default: text += escaped; break;
      }
    }
    return text;
  }

  int32_t file_;
  diag::DiagnosticEngine& diagnostics_;
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
  Module module = AstBuilder(file, diagnostics).Build(tree);
  if (diagnostics.ErrorCount() > before) return std::nullopt;
  return module;
}

}  // namespace parcours::syntax
