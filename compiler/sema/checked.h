// The output of semantic analysis: the modules' declarations with every
// name resolved and every expression typed.
//
// The checked program owns the ASTs it was built from; expressions are
// annotated through `ExprInfo`, looked up by node, so the AST itself stays
// as the parser made it.
#pragma once

#include <cstdint>
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
  Duration,
  Time,
  String,
  None,   // the literal `none`
  Error,  // an expression that failed to type; silences follow-on errors
};

struct Type {
  TypeKind kind = TypeKind::Error;
  bool optional = false;

  bool operator==(const Type&) const = default;
};

// How the language spells a type in messages ("money", "string?").
std::string Spell(Type type);

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

enum class AggregateKind : uint8_t { Count, Sum };

struct AggregateInfo {
  AggregateKind kind = AggregateKind::Count;
  int32_t event = 0;
  int32_t field = -1;
  Type type;
};

struct SegmentInfo {
  std::string name;
  const syntax::SegmentDecl* decl = nullptr;
};

struct JourneyInfo {
  std::string name;
  int32_t trigger_event = -1;
  const syntax::Expr* where = nullptr;
  std::vector<int32_t> exit_events;
  const syntax::JourneyDecl* decl = nullptr;
};

// What a name or field expression refers to.
enum class RefKind : uint8_t {
  None,          // not a reference (literal, operator, ...)
  ProfileField,  // `profile.x`; index into `CheckedProgram::profile`
  EventField,    // a trigger's alias in its `where`; index into its fields
  LocalField,    // a trigger's alias inside the journey's steps
  Aggregate,     // `count(E)`, `sum(E.f)`; index into `aggregates`
  Segment,       // a segment's name; index into `segments`
  Now,           // `now`
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
  std::vector<FieldDecl> profile;
  std::vector<AggregateInfo> aggregates;
  std::vector<SegmentInfo> segments;
  std::vector<JourneyInfo> journeys;
  // Keyed by node; only looked up, never iterated, so order cannot leak
  // into any output.
  std::unordered_map<const syntax::Expr*, ExprInfo> exprs;

  const ExprInfo& Info(const syntax::Expr& expr) const {
    return exprs.at(&expr);
  }
};

// The channels a `send` may name.
const std::vector<std::string>& KnownChannels();

}  // namespace parcours::sema
