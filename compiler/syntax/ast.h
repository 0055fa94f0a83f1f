// The abstract syntax tree of one `.journey` file.
//
// Every node carries the span it came from. The tree is produced by
// `ParseFile` and holds no ANTLR types; sema reads it and never changes it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace parcours::syntax {

using diag::Span;

struct Name {
  std::string text;
  Span span;
};

enum class ExprKind : uint8_t {
  Int,       // int_value
  Decimal,   // int_value in ir::kDecimalScale units
  Money,     // int_value in kDecimalScale units, text = currency code
  Duration,  // int_value in seconds
  String,    // text, unescaped
  Bool,      // int_value 0 or 1
  None,      // `none`
  Name,      // text
  Field,     // operands[0].text; `field` is the name after the dot
  Call,      // text = callee; operands = arguments
  Unary,     // unary_op operands[0]
  Binary,    // operands[0] binary_op operands[1]
};

enum class UnaryOp : uint8_t { Negate, Not };

enum class BinaryOp : uint8_t {
  Add,
  Subtract,
  Multiply,
  Divide,
  Equal,
  NotEqual,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  And,
  Or,
};

const char* BinaryOpSpelling(BinaryOp op);

struct Expr {
  ExprKind kind = ExprKind::Int;
  Span span;
  int64_t int_value = 0;
  std::string text;
  Name field;
  UnaryOp unary_op = UnaryOp::Negate;
  BinaryOp binary_op = BinaryOp::Add;
  // Parentheses written around this expression in the source.
  bool parenthesized = false;
  std::vector<std::unique_ptr<Expr>> operands;
};

// A profile attribute or an event field.
struct Attribute {
  Name name;
  std::optional<std::string> wire_name;
  Name type;
  bool optional = false;
  std::unique_ptr<Expr> default_value;
  Span span;
};

struct ProfileDecl {
  Span span;
  std::vector<Attribute> attributes;
};

struct EventDecl {
  Name name;
  std::optional<std::string> wire_name;
  std::vector<Attribute> fields;
  Span span;
};

struct SegmentDecl {
  Name name;
  std::unique_ptr<Expr> predicate;
  Span span;
};

enum class StepKind : uint8_t { Wait, Send, If, Exit };

struct Step {
  StepKind kind = StepKind::Exit;
  Span span;
  std::optional<Name> label;
  std::unique_ptr<Expr> expr;  // Wait: the duration; If: the condition
  Name channel;                // Send
  std::string template_name;   // Send
  Span template_span;          // Send
  std::vector<Step> then_steps;
  std::vector<Step> else_steps;
};

struct Trigger {
  Name event;
  std::optional<Name> alias;
  std::unique_ptr<Expr> where;
  Span span;
};

struct JourneyDecl {
  Name name;
  std::vector<Trigger> triggers;
  std::vector<Name> exit_events;
  std::vector<Step> steps;
  Span span;
};

using Declaration =
    std::variant<ProfileDecl, EventDecl, SegmentDecl, JourneyDecl>;

struct Module {
  int32_t file = -1;
  std::optional<Name> name;  // dotted, e.g. `shop.retail`
  std::vector<Name> imports;
  std::vector<Declaration> declarations;  // in source order
};

// A deterministic indented text form of `module`, for `--emit ast` and
// golden tests. With `spans`, each node shows its `@line:column`; without,
// two modules that differ only in layout dump alike (the formatter's test).
std::string Dump(const Module& module, bool spans = true);

}  // namespace parcours::syntax
