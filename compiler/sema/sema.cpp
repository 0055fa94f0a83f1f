#include "compiler/sema/sema.h"

#include <algorithm>

#include "compiler/ir/text.h"
#include "compiler/sema/checker.h"

namespace parcours::sema {

bool Type::SameShape(const Type& other) const {
  if (kind != other.kind || id != other.id) return false;
  if (kind != TypeKind::List) return true;
  if (!element || !other.element) return element == other.element;
  return element->SameShape(*other.element) &&
         element->optional == other.element->optional;
}

bool Type::operator==(const Type& other) const {
  return optional == other.optional && SameShape(other);
}

Type MakeType(TypeKind kind, bool optional, int32_t id) {
  Type type;
  type.kind = kind;
  type.optional = optional;
  type.id = id;
  return type;
}

Type ListOf(Type element, bool optional) {
  Type type = MakeType(TypeKind::List, optional);
  type.element = std::make_shared<const Type>(std::move(element));
  return type;
}

std::string Spell(const Type& type, const CheckedProgram& program) {
  std::string name;
  switch (type.kind) {
    case TypeKind::Bool: name = "bool"; break;
    case TypeKind::Int: name = "int"; break;
    case TypeKind::Decimal: name = "decimal"; break;
    case TypeKind::Money: name = "money"; break;
    case TypeKind::Duration: name = "duration"; break;
    case TypeKind::Calendar: name = "calendar length"; break;
    case TypeKind::Percent: name = "percentage"; break;
    case TypeKind::Clock: name = "time of day"; break;
    case TypeKind::Time: name = "time"; break;
    case TypeKind::Date: name = "date"; break;
    case TypeKind::String: name = "string"; break;
    case TypeKind::Tz: name = "tz"; break;
    case TypeKind::Channel: name = "channel"; break;
    case TypeKind::Enum:
      name = type.id >= 0 ? program.enums[type.id].name : "enum";
      break;
    case TypeKind::Record:
      name = type.id >= 0 ? program.records[type.id].name : "record";
      break;
    case TypeKind::Event:
      name = type.id >= 0 ? "event " + program.events[type.id].name : "event";
      break;
    case TypeKind::List:
      name =
          "list<" + (type.element ? Spell(*type.element, program) : "?") + ">";
      break;
    case TypeKind::None: name = "none"; break;
    case TypeKind::Error: name = "<error>"; break;
  }
  return type.optional ? name + "?" : name;
}

const std::vector<std::string>& KnownChannels() {
  static const std::vector<std::string> channels = {"email", "inapp", "push",
                                                    "sms"};
  return channels;
}

const std::vector<std::string>& KnownCategories() {
  static const std::vector<std::string> categories = {
      "marketing", "security", "service", "transactional"};
  return categories;
}

const std::vector<std::string>& KnownPriorities() {
  static const std::vector<std::string> priorities = {"low", "normal", "high",
                                                      "critical"};
  return priorities;
}

const std::vector<std::string>& SuppressionReasons() {
  static const std::vector<std::string> reasons = {
      "cap", "consent", "exit", "expired", "holdout", "quiet", "unreachable"};
  return reasons;
}

const std::vector<std::string>& Weekdays() {
  static const std::vector<std::string> days = {
      "monday", "tuesday",  "wednesday", "thursday",
      "friday", "saturday", "sunday"};
  return days;
}

std::string Quote(const std::string& code) { return "`" + code + "`"; }

std::string SpellPercent(int64_t millionths) {
  return ir::FormatScaled(millionths, 6) + "%";
}

std::string Suggest(const std::string& name,
                    const std::vector<std::string>& candidates) {
  std::string closest = diag::ClosestName(name, candidates);
  if (closest.empty()) return "";
  return "; did you mean " + Quote(closest) + "?";
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

CheckedProgram Checker::Run(std::vector<syntax::Module> modules) {
  program_.modules = std::move(modules);
  for (const syntax::Module& module : program_.modules) {
    if (module.name && program_.module.empty()) {
      program_.module = module.name->text;
    }
  }
  CheckImports();

  // Types first (enums, records), then every other name, so that any
  // declaration may use any name whatever the order of the files.
  for (const syntax::Module& module : program_.modules) {
    for (const syntax::Declaration& declaration : module.declarations) {
      DeclareTypes(declaration);
    }
  }
  for (const syntax::Module& module : program_.modules) {
    for (const syntax::Declaration& declaration : module.declarations) {
      Declare(declaration);
    }
  }
  DeclareLoyaltyEvents();
  for (const syntax::Module& module : program_.modules) {
    for (const syntax::Declaration& declaration : module.declarations) {
      Define(declaration);
    }
  }
  return std::move(program_);
}

CheckedProgram Check(std::vector<syntax::Module> modules,
                     diag::DiagnosticEngine& diagnostics) {
  return Checker(diagnostics).Run(std::move(modules));
}

}  // namespace parcours::sema
