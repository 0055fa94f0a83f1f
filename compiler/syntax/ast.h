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
  Int,        // int_value
  Decimal,    // int_value in ir::kDecimalScale units
  Money,      // int_value in kDecimalScale units, text = currency code
  Duration,   // int_value in seconds
  Calendar,   // int_value units of `calendar_unit`, counted in local time
  Percent,    // int_value in kDecimalScale units of one percent
  Clock,      // int_value = seconds after local midnight; `local` flag
  Timestamp,  // int_value = seconds since the epoch (UTC)
  String,     // text, unescaped
  Bool,       // int_value 0 or 1
  None,       // `none`
  Name,       // text
  Field,      // operands[0] . field
  Call,       // text = callee (dotted); `arguments`
  Unary,      // unary_op operands[0]
  Binary,     // operands[0] binary_op operands[1]
  In,         // operands[0] [not] in operands[1]; `negated`
  List,       // [operands...]
  Record,     // { fields[i]: operands[i] }
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

// Calendar units count in the recipient's zone: a `1 day` wait across a
// daylight-saving change lasts 23 or 25 hours; `1 month` from Jan 31 ends on
// the last day of February.
enum class CalendarUnit : uint8_t { Day, Week, Month, Year };

const char* CalendarUnitName(CalendarUnit unit);

// A span of history: `90d`, or `12 months`.
struct Length {
  int64_t count = 0;
  std::optional<CalendarUnit> calendar;  // none: `count` is seconds
  Span span;
};

// The history an aggregate reads: all of it, the last `near`, or from
// `far` ago to `near` ago.
struct Window {
  enum class Kind : uint8_t { All, Within, Between };
  Kind kind = Kind::All;
  Length far;   // Between
  Length near;  // Within, Between
};

struct Expr;

struct Argument {
  std::optional<Name> key;  // `recency: 90d`
  std::unique_ptr<Expr> value;
  Window window;
};

struct Expr {
  ExprKind kind = ExprKind::Int;
  Span span;
  int64_t int_value = 0;
  std::string text;
  Name field;
  UnaryOp unary_op = UnaryOp::Negate;
  BinaryOp binary_op = BinaryOp::Add;
  CalendarUnit calendar_unit = CalendarUnit::Day;
  bool local = false;    // Clock: written with `local`
  bool negated = false;  // In: `not in`
  // Parentheses written around this expression in the source.
  bool parenthesized = false;
  std::vector<std::unique_ptr<Expr>> operands;
  std::vector<Name> fields;         // Record: the field names
  std::vector<Argument> arguments;  // Call
};

// A type as written: `int`, `string?`, `list<LineItem>`,
// `enum { onboarding, active }`.
struct TypeRef {
  enum class Kind : uint8_t { Named, List, InlineEnum };
  Kind kind = Kind::Named;
  Name name;                         // Named
  std::unique_ptr<TypeRef> element;  // List
  std::vector<Name> values;          // InlineEnum
  bool optional = false;
  Span span;
};

// A profile attribute, an event field or a record field.
struct Attribute {
  Name name;
  std::optional<std::string> wire_name;
  TypeRef type;
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

struct RecordDecl {
  Name name;
  std::vector<Attribute> fields;
  Span span;
};

struct EnumDecl {
  Name name;
  std::vector<Name> values;
  Span span;
};

struct SegmentDecl {
  Name name;
  std::unique_ptr<Expr> predicate;
  Span span;
};

// A weekday (optional) and a time of day, in the recipient's zone.
struct TimeOfWeek {
  std::optional<Name> day;
  int64_t seconds = 0;  // after midnight
  bool local = false;
  Span span;
};

struct PolicyRule {
  enum class Kind : uint8_t { Cap, Priority, Prefer, Quiet, Exempt, Capped };
  Kind kind = Kind::Cap;
  Span span;
  std::unique_ptr<Expr> value;      // Cap: limit; Prefer; Capped: expiry
  Name period;                      // Cap: `week`, `day`, `month`, or ""
  int64_t period_seconds = 0;       // Cap with a rolling window
  bool across = true;               // Cap: `across` (true) or `on`
  std::vector<Name> names;          // channels, categories or priority order
  std::unique_ptr<Expr> condition;  // Cap: `when`
  std::unique_ptr<Expr> reserved;   // Cap: slots kept for `reserved_for`
  Name reserved_for;                // Cap: the lowest priority that may
                                    // use the reserved slots
  TimeOfWeek from;                  // Quiet
  TimeOfWeek to;                    // Quiet
  Name action;                      // Capped: drop, defer, fallback
};

struct PolicyDecl {
  Name name;
  std::vector<PolicyRule> rules;
  Span span;
};

struct ProgramRule {
  enum class Kind : uint8_t {
    EarnPer,
    EarnOn,
    Multiply,
    Burn,
    Refund,
    Expire,
    Notice,
    Tier,
    KeepTier,
    Value,
    Breakage,
  };
  Kind kind = Kind::EarnPer;
  Span span;
  // EarnPer: amount, unit, source; EarnOn: amount, limit (or null);
  // Multiply: condition; Burn: source; Refund: order, amount (or null);
  // Expire, Notice, KeepTier: length; Tier: threshold, window; Value:
  // value; Breakage: rate.
  std::unique_ptr<Expr> first;
  std::unique_ptr<Expr> second;
  std::unique_ptr<Expr> third;
  Name name;           // EarnOn: event; Tier: tier
  int64_t factor = 0;  // Multiply, in kDecimalScale units
  // EarnOn: `part of the sale`, points priced into a sale rather than
  // given for nothing (docs/loyalty.md, "Bonus points").
  bool part_of_sale = false;
};

struct ProgramDecl {
  Name name;
  std::vector<ProgramRule> rules;
  Span span;
};

enum class StepKind : uint8_t {
  Wait,
  WaitUntil,
  WaitFor,
  Send,
  If,
  Split,
  Task,
  Webhook,
  Set,
  Emit,
  Award,
  Freeze,
  SecondFactor,
  Exit,
};

struct Step;

struct SplitArm {
  std::optional<Name> name;
  int64_t percent = 0;  // kDecimalScale units of one percent
  std::vector<Step> steps;
  Span span;
};

struct Step {
  StepKind kind = StepKind::Exit;
  Span span;
  std::optional<Name> label;
  // The step as written, without its label and blocks (`wait 60d`).
  std::string heading;
  // Wait: the duration; If: the condition; WaitFor: the time limit;
  // Award: the points; Set: the value; Webhook: the payload.
  std::unique_ptr<Expr> expr;
  std::unique_ptr<Expr> target;     // Set
  std::unique_ptr<Expr> condition;  // WaitFor: `where`
  std::unique_ptr<Expr> record;     // Emit: the fields
  Name event;                       // WaitFor, Emit
  std::optional<Name> alias;        // WaitFor
  int64_t clock = 0;                // WaitUntil: seconds after midnight
  bool local = false;               // WaitUntil
  // Send: one channel, or several for `best of`.
  std::vector<Name> channels;
  bool best_of = false;
  std::string template_name;      // Send
  Span template_span;             // Send
  std::unique_ptr<Expr> payload;  // Send: `with`
  std::optional<Name> priority;   // Send
  std::optional<Name> category;   // Send
  bool override_policy = false;   // Send
  Name system;                    // Task
  std::string text;               // Task summary, Webhook name, reasons
  std::string team;               // Task
  std::vector<Step> then_steps;   // If, WaitFor (event came)
  std::vector<Step> else_steps;   // If, WaitFor (time ran out)
  std::vector<SplitArm> arms;     // Split
};

struct Trigger {
  enum class Kind : uint8_t {
    Event,
    Entered,
    Left,
    Date,
    Schedule,
    PointsCrossing,
  };
  Kind kind = Kind::Event;
  Name event;                 // Event; Entered/Left: the segment
  std::optional<Name> alias;  // Event
  std::unique_ptr<Expr> where;
  std::unique_ptr<Expr> expr;  // Date: the date; PointsCrossing: threshold
  std::optional<Name> day;     // Schedule: weekday or `day`
  int64_t clock = 0;           // Date, Schedule
  bool local = false;
  Span span;
};

struct ExitRule {
  Name event;                       // `exit on E`; empty for `exit when`
  std::unique_ptr<Expr> condition;  // `where` / `when`
  Span span;
  std::optional<Name> alias;  // `exit on E as x where ...`: the event
};

struct JourneyDecl {
  Name name;
  std::vector<Trigger> triggers;
  std::vector<ExitRule> exits;
  // `reentry after D` (`reentry_after`), `reentry never`; default: a
  // contact re-enters only once it has left.
  std::unique_ptr<Expr> reentry_after;
  bool reentry_never = false;
  std::optional<Span> reentry_span;
  std::unique_ptr<Expr> holdout;
  struct Goal {
    Name event;
    std::unique_ptr<Expr> within;
    Span span;
  };
  std::vector<Goal> goals;
  std::optional<Name> policy;
  // `policy`, `reentry` or `holdout` clauses given a second time, by
  // keyword: only one of each can hold.
  std::vector<std::pair<std::string, Span>> repeated_clauses;
  std::vector<Step> steps;
  Span span;
};

struct TestStatement {
  enum class Kind : uint8_t {
    Given,
    Event,
    Identify,
    ExpectSend,
    ExpectLoyalty,
    ExpectAction
  };
  Kind kind = Kind::Given;
  Span span;
  std::optional<std::string> profile;  // `given profile "p1"`, `for "p1"`
  int64_t at = 0;                      // Event, Identify and the expectations
  bool has_at = false;
  Name event;                    // Event
  std::unique_ptr<Expr> record;  // Given, Event, Identify
  bool negated = false;          // ExpectSend, ExpectAction: `expect no`
  bool suppressed = false;       // ExpectSend: `suppressed`
  std::optional<Name> channel;   // ExpectSend
  std::optional<std::string> template_name;
  std::optional<Name> reason;   // ExpectSend
  Name what;                    // ExpectLoyalty: `points` or `tier`
  std::unique_ptr<Expr> value;  // ExpectLoyalty
  // ExpectAction: the kind of its action line (`task`, `webhook`,
  // `freeze`, `second_factor`, `event`), spanning the words that name it;
  // a task's system is `channel` and its summary `template_name`, a
  // webhook's name is `template_name`, an emitted event is `event`.
  Name action;
};

struct TestDecl {
  std::string title;
  std::vector<TestStatement> statements;
  Span span;
};

using Declaration =
    std::variant<ProfileDecl, EventDecl, RecordDecl, EnumDecl, SegmentDecl,
                 PolicyDecl, ProgramDecl, JourneyDecl, TestDecl>;

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
