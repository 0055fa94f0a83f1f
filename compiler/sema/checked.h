// The output of semantic analysis: the modules' declarations with every
// name resolved and every expression typed.
//
// The checked program owns the ASTs it was built from; expressions are
// annotated through `ExprInfo`, looked up by node, so the AST itself stays
// as the parser made it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/syntax/ast.h"

namespace parcours::sema {

enum class TypeKind : uint8_t {
  Bool,
  Int,
  Decimal,
  Money,
  Duration,  // exact seconds
  Calendar,  // days, weeks, months or years in the recipient's zone
  Percent,
  Clock,  // a time of day in the recipient's zone
  Time,   // an instant
  Date,   // a calendar date
  String,
  Tz,       // an IANA time zone name
  Channel,  // email, push, sms, inapp
  Enum,     // `id` indexes CheckedProgram::enums
  Record,   // `id` indexes CheckedProgram::records; -1 for a literal
  Event,    // an event's record; `id` indexes CheckedProgram::events
  List,     // of `element`
  None,     // the literal `none`
  Error,    // an expression that failed to type; silences follow-on errors
};

struct Type {
  TypeKind kind = TypeKind::Error;
  bool optional = false;
  int32_t id = -1;
  std::shared_ptr<const Type> element;  // List

  // Equal kinds, ids and elements; `optional` is compared too.
  bool operator==(const Type& other) const;
  bool SameShape(const Type& other) const;  // ignoring `optional`
};

Type MakeType(TypeKind kind, bool optional = false, int32_t id = -1);
Type ListOf(Type element, bool optional = false);

struct FieldDecl {
  std::string name;
  std::string wire_name;
  Type type;
  const syntax::Attribute* decl = nullptr;
};

struct EventInfo {
  std::string name;
  std::string wire_name;
  std::vector<FieldDecl> fields;
  const syntax::EventDecl* decl = nullptr;
};

struct RecordInfo {
  std::string name;
  std::vector<FieldDecl> fields;
  const syntax::RecordDecl* decl = nullptr;
};

struct EnumInfo {
  std::string name;  // for an inline enum, the attribute's name
  std::vector<std::string> values;
  diag::Span span;
};

enum class AggregateKind : uint8_t { Count, Sum, Last, Values, SeenBefore };

// An aggregate over a profile's events, with the window of history it
// reads. The same aggregate used twice is recorded once.
struct AggregateInfo {
  AggregateKind kind = AggregateKind::Count;
  int32_t event = 0;
  int32_t field = -1;
  syntax::Window window;
  Type type;
};

struct SegmentInfo {
  std::string name;
  const syntax::SegmentDecl* decl = nullptr;
};

struct PolicyInfo {
  std::string name;
  const syntax::PolicyDecl* decl = nullptr;
};

struct ProgramInfo {
  std::string name;
  int32_t tier_enum = -1;  // the enum whose values the tiers are
  const syntax::ProgramDecl* decl = nullptr;
};

struct JourneyInfo {
  std::string name;
  int32_t trigger_event = -1;  // for an event trigger
  const syntax::Expr* where = nullptr;
  std::vector<int32_t> exit_events;
  int32_t policy = -1;
  const syntax::JourneyDecl* decl = nullptr;
};

struct TestInfo {
  std::string title;
  const syntax::TestDecl* decl = nullptr;
};

// What a name or field expression refers to.
enum class RefKind : uint8_t {
  None,          // not a reference (literal, operator, ...)
  ProfileField,  // `profile.x`; index into `CheckedProgram::profile`
  EventField,    // a trigger's alias in its `where`; index into its fields
  LocalField,    // a trigger's alias inside the journey's steps
  Aggregate,     // `count(E)`, `sum(E.f)`...; index into `aggregates`
  Segment,       // a segment's name; index into `segments`
  Now,           // `now`
  EnumValue,     // index = the value's position; the type names the enum
  ChannelValue,  // `email`...; index into KnownChannels()
  RecordField,   // a field of a record or list value
  Builtin,       // a built-in function; index into `Builtins()`
};

struct ExprInfo {
  Type type;
  RefKind ref = RefKind::None;
  int32_t index = -1;
};

struct CheckedProgram {
  std::string module;
  std::vector<syntax::Module> modules;
  std::vector<EventInfo> events;
  std::vector<RecordInfo> records;
  std::vector<EnumInfo> enums;
  std::vector<FieldDecl> profile;
  std::vector<AggregateInfo> aggregates;
  std::vector<SegmentInfo> segments;
  std::vector<PolicyInfo> policies;
  std::vector<ProgramInfo> programs;
  std::vector<JourneyInfo> journeys;
  std::vector<TestInfo> tests;
  // Keyed by node; only looked up, never iterated, so order cannot leak
  // into any output.
  std::unordered_map<const syntax::Expr*, ExprInfo> exprs;

  const ExprInfo& Info(const syntax::Expr& expr) const {
    return exprs.at(&expr);
  }
};

// How the language spells a type in messages ("money", "list<LineItem>?").
std::string Spell(const Type& type, const CheckedProgram& program);

// The channels a `send` may name, sorted.
const std::vector<std::string>& KnownChannels();

// Message categories; `transactional`, `security` and `service` can be
// exempted from pressure caps.
const std::vector<std::string>& KnownCategories();

// Message priorities, lowest first.
const std::vector<std::string>& KnownPriorities();

// The closed set of suppression reasons.
const std::vector<std::string>& SuppressionReasons();

// `monday` ... `sunday`.
const std::vector<std::string>& Weekdays();

}  // namespace parcours::sema
