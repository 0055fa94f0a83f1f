#include "compiler/sema/sema.h"

#include <algorithm>
#include <map>

namespace parcours::sema {

using diag::Kind;
using syntax::BinaryOp;
using syntax::Expr;
using syntax::ExprKind;

std::string Spell(Type type) {
  std::string name;
  switch (type.kind) {
    case TypeKind::Bool: name = "bool"; break;
    case TypeKind::Int: name = "int"; break;
    case TypeKind::Decimal: name = "decimal"; break;
    case TypeKind::Money: name = "money"; break;
    case TypeKind::Duration: name = "duration"; break;
    case TypeKind::Time: name = "time"; break;
    case TypeKind::String: name = "string"; break;
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

namespace {

const Type kError{TypeKind::Error};
const Type kBool{TypeKind::Bool};

bool IsNumeric(TypeKind kind) {
  return kind == TypeKind::Int || kind == TypeKind::Decimal;
}

std::optional<TypeKind> TypeFromName(const std::string& name) {
  static const std::map<std::string, TypeKind> kTypes = {
      {"bool", TypeKind::Bool},         {"int", TypeKind::Int},
      {"decimal", TypeKind::Decimal},   {"money", TypeKind::Money},
      {"duration", TypeKind::Duration}, {"time", TypeKind::Time},
      {"string", TypeKind::String},
  };
  auto found = kTypes.find(name);
  if (found == kTypes.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> TypeNames() {
  return {"bool", "decimal", "duration", "int", "money", "string", "time"};
}

// The active ISO 4217 currency codes, sorted.
bool IsCurrencyCode(const std::string& code) {
  static const char* const kCodes[] = {
      "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
      "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL",
      "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY",
      "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP",
      "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD",
      "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
      "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
      "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
      "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
      "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
      "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
      "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
      "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
      "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
      "USD", "UYU", "UZS", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF",
      "XPF", "YER", "ZAR", "ZMW", "ZWL",
  };
  return std::binary_search(
      std::begin(kCodes), std::end(kCodes), code,
      [](const std::string& a, const std::string& b) { return a < b; });
}

std::string Quote(const std::string& code) { return "`" + code + "`"; }

// "; did you mean `x`?" when a candidate is close, otherwise "".
std::string Suggest(const std::string& name,
                    const std::vector<std::string>& candidates) {
  std::string closest = diag::ClosestName(name, candidates);
  if (closest.empty()) return "";
  return "; did you mean " + Quote(closest) + "?";
}

// What names an expression may use, which depends on where it stands.
struct Scope {
  // The trigger event's alias, if any, and which record it reads.
  std::string alias;
  int32_t alias_event = -1;
  RefKind alias_ref = RefKind::None;
  // Segment predicates may not read other segments yet: their order of
  // evaluation would matter.
  bool allow_segments = true;
};

class Checker {
 public:
  explicit Checker(diag::DiagnosticEngine& diagnostics)
      : diagnostics_(diagnostics) {}

  CheckedProgram Run(std::vector<syntax::Module> modules) {
    program_.modules = std::move(modules);
    for (const syntax::Module& module : program_.modules) {
      if (module.name && program_.module.empty()) {
        program_.module = module.name->text;
      }
    }
    CheckImports();

    // Declarations first, so that any expression may use any name.
    for (const syntax::Module& module : program_.modules) {
      for (const syntax::Declaration& declaration : module.declarations) {
        std::visit([&](const auto& node) { Declare(node); }, declaration);
      }
    }
    for (const syntax::Module& module : program_.modules) {
      for (const syntax::Declaration& declaration : module.declarations) {
        std::visit([&](const auto& node) { Define(node); }, declaration);
      }
    }
    return std::move(program_);
  }

 private:
  void Error(Kind kind, const diag::Span& span, std::string message,
             std::vector<diag::Note> notes = {}) {
    diagnostics_.Report(kind, span, std::move(message), std::move(notes));
  }

  void CheckImports() {
    std::vector<std::string> known;
    for (const syntax::Module& module : program_.modules) {
      if (module.name) known.push_back(module.name->text);
    }
    for (const syntax::Module& module : program_.modules) {
      for (const syntax::Name& import : module.imports) {
        if (std::find(known.begin(), known.end(), import.text) != known.end()) {
          continue;
        }
        Error(Kind::UnknownName, import.span,
              "module " + Quote(import.text) +
                  " is not among the files being compiled" +
                  Suggest(import.text, known));
      }
    }
  }

  // Records `name` in `table`; reports it when it was declared before.
  bool Claim(std::map<std::string, diag::Span>& table, const syntax::Name& name,
             const char* what) {
    auto [found, inserted] = table.emplace(name.text, name.span);
    if (inserted) return true;
    Error(Kind::DuplicateName, name.span,
          std::string(what) + " " + Quote(name.text) + " is declared twice",
          {{found->second, "first declared here"}});
    return false;
  }

  std::optional<Type> ResolveType(const syntax::Attribute& attribute) {
    auto kind = TypeFromName(attribute.type.text);
    if (!kind) {
      Error(Kind::UnknownType, attribute.type.span,
            "unknown type " + Quote(attribute.type.text) +
                Suggest(attribute.type.text, TypeNames()));
      return std::nullopt;
    }
    return Type{*kind, attribute.optional};
  }

  void Declare(const syntax::ProfileDecl& profile) {
    for (const syntax::Attribute& attribute : profile.attributes) {
      if (!Claim(profile_names_, attribute.name, "profile attribute")) continue;
      auto type = ResolveType(attribute);
      FieldDecl field{attribute.name.text,
                      attribute.wire_name.value_or(attribute.name.text),
                      type.value_or(kError), &attribute};
      program_.profile.push_back(field);
    }
  }

  void Declare(const syntax::EventDecl& event) {
    if (!Claim(event_names_, event.name, "event")) return;
    EventInfo info{
        event.name.text, event.wire_name.value_or(event.name.text), {}, &event};
    std::map<std::string, diag::Span> field_names;
    for (const syntax::Attribute& attribute : event.fields) {
      if (!Claim(field_names, attribute.name, "field")) continue;
      if (attribute.default_value) {
        Error(Kind::TypeMismatch, attribute.default_value->span,
              "an event field cannot have a default; make it optional with "
              "`?` instead");
      }
      auto type = ResolveType(attribute);
      info.fields.push_back({attribute.name.text,
                             attribute.wire_name.value_or(attribute.name.text),
                             type.value_or(kError), &attribute});
    }
    program_.events.push_back(std::move(info));
  }

  void Declare(const syntax::SegmentDecl& segment) {
    if (!Claim(global_names_, segment.name, "segment")) return;
    program_.segments.push_back({segment.name.text, &segment});
  }

  void Declare(const syntax::JourneyDecl& journey) {
    Claim(global_names_, journey.name, "journey");
  }

  void Define(const syntax::ProfileDecl& profile) {
    for (const syntax::Attribute& attribute : profile.attributes) {
      if (!attribute.default_value) continue;
      Scope scope;
      Type type = CheckExpr(*attribute.default_value, scope);
      const FieldDecl* field = FindProfileField(attribute.name.text);
      if (field == nullptr || field->type.kind == TypeKind::Error) continue;
      if (!IsLiteral(*attribute.default_value)) {
        Error(Kind::NotConstant, attribute.default_value->span,
              "a default must be a literal such as `0`, `\"EUR\"` or "
              "`10 EUR`");
        continue;
      }
      Type expected{field->type.kind, false};
      if (!Assignable(type, expected)) {
        Error(Kind::TypeMismatch, attribute.default_value->span,
              "default of " + Quote(attribute.name.text) + " is " +
                  Spell(type) + " but the attribute is " + Spell(field->type));
      }
    }
  }

  void Define(const syntax::EventDecl&) {}

  void Define(const syntax::SegmentDecl& segment) {
    Scope scope;
    scope.allow_segments = false;
    ExpectBool(*segment.predicate, CheckExpr(*segment.predicate, scope),
               "a segment");
  }

  void Define(const syntax::JourneyDecl& journey) {
    JourneyInfo info{journey.name.text, -1, nullptr, {}, &journey};
    Scope step_scope;

    if (journey.triggers.empty()) {
      Error(Kind::NoTrigger, journey.name.span,
            "journey " + Quote(journey.name.text) +
                " has no `on` trigger, so no one can ever enter it");
    }
    for (size_t i = 0; i < journey.triggers.size(); ++i) {
      const syntax::Trigger& trigger = journey.triggers[i];
      if (i > 0) {
        Error(Kind::WrongArguments, trigger.span,
              "a journey has one trigger; split this journey in two");
        continue;
      }
      info.trigger_event = ResolveEvent(trigger.event);
      info.where = trigger.where.get();
      if (trigger.alias && info.trigger_event >= 0) {
        step_scope.alias = trigger.alias->text;
        step_scope.alias_event = info.trigger_event;
        step_scope.alias_ref = RefKind::LocalField;
      }
      if (trigger.where) {
        Scope where_scope = step_scope;
        where_scope.alias_ref = RefKind::EventField;
        ExpectBool(*trigger.where, CheckExpr(*trigger.where, where_scope),
                   "a `where` filter");
      }
    }
    for (const syntax::Name& exit : journey.exit_events) {
      int32_t event = ResolveEvent(exit);
      if (event >= 0) info.exit_events.push_back(event);
    }

    std::map<std::string, diag::Span> labels;
    CheckSteps(journey.steps, step_scope, labels);
    program_.journeys.push_back(std::move(info));
  }

  void CheckSteps(const std::vector<syntax::Step>& steps, const Scope& scope,
                  std::map<std::string, diag::Span>& labels) {
    bool exited = false;
    for (const syntax::Step& step : steps) {
      if (exited) {
        Error(Kind::UnreachableStep, step.span,
              "this step comes after `exit` and can never run; remove it");
        exited = false;  // one warning per run of dead steps
      }
      if (step.label) Claim(labels, *step.label, "step label");
      CheckStep(step, scope, labels);
      exited = step.kind == syntax::StepKind::Exit;
    }
  }

  void CheckStep(const syntax::Step& step, const Scope& scope,
                 std::map<std::string, diag::Span>& labels) {
    switch (step.kind) {
      case syntax::StepKind::Wait: {
        Type type = CheckExpr(*step.expr, scope);
        if (type.kind == TypeKind::Error) return;
        if (type.kind != TypeKind::Duration || type.optional) {
          Error(Kind::TypeMismatch, step.expr->span,
                "`wait` needs a duration such as `1h` or `60d`, not " +
                    Spell(type));
        } else if (step.expr->kind != ExprKind::Duration) {
          Error(Kind::NotConstant, step.expr->span,
                "`wait` takes a duration literal such as `60d`");
        }
        return;
      }
      case syntax::StepKind::Send: {
        const auto& channels = KnownChannels();
        if (std::find(channels.begin(), channels.end(), step.channel.text) ==
            channels.end()) {
          std::string hint = Suggest(step.channel.text, channels);
          if (hint.empty())
            hint = "; the channels are email, inapp, push and sms";
          Error(Kind::UnknownChannel, step.channel.span,
                "unknown channel " + Quote(step.channel.text) + hint);
        }
        if (step.template_name.empty()) {
          Error(Kind::WrongArguments, step.template_span,
                "a `send` needs a template name");
        }
        return;
      }
      case syntax::StepKind::If:
        ExpectBool(*step.expr, CheckExpr(*step.expr, scope), "an `if`");
        CheckSteps(step.then_steps, scope, labels);
        CheckSteps(step.else_steps, scope, labels);
        return;
      case syntax::StepKind::Exit: return;
    }
  }

  void ExpectBool(const Expr& expr, Type type, const char* where) {
    if (type.kind == TypeKind::Error || type == kBool) return;
    Error(Kind::TypeMismatch, expr.span,
          std::string(where) + " must be a condition (bool), but this is " +
              Spell(type));
  }

  int32_t ResolveEvent(const syntax::Name& name) {
    for (size_t i = 0; i < program_.events.size(); ++i) {
      if (program_.events[i].name == name.text) return static_cast<int32_t>(i);
    }
    std::vector<std::string> candidates;
    for (const EventInfo& event : program_.events) {
      candidates.push_back(event.name);
    }
    Error(Kind::UnknownEvent, name.span,
          "unknown event " + Quote(name.text) + Suggest(name.text, candidates));
    return -1;
  }

  const FieldDecl* FindProfileField(const std::string& name) const {
    for (const FieldDecl& field : program_.profile) {
      if (field.name == name) return &field;
    }
    return nullptr;
  }

  static bool IsLiteral(const Expr& expr) {
    switch (expr.kind) {
      case ExprKind::Int:
      case ExprKind::Decimal:
      case ExprKind::Money:
      case ExprKind::Duration:
      case ExprKind::String:
      case ExprKind::Bool: return true;
      case ExprKind::Unary:
        return expr.unary_op == syntax::UnaryOp::Negate &&
               IsLiteral(*expr.operands[0]);
      default: return false;
    }
  }

  static bool Assignable(Type value, Type target) {
    if (value.kind == target.kind) return true;
    return value.kind == TypeKind::Int && target.kind == TypeKind::Decimal;
  }

  Type Record(const Expr& expr, Type type, RefKind ref = RefKind::None,
              int32_t index = -1) {
    program_.exprs[&expr] = {type, ref, index};
    return type;
  }

  Type CheckExpr(const Expr& expr, const Scope& scope) {
    switch (expr.kind) {
      case ExprKind::Int: return Record(expr, {TypeKind::Int});
      case ExprKind::Decimal: return Record(expr, {TypeKind::Decimal});
      case ExprKind::Money: return CheckMoneyLiteral(expr);
      case ExprKind::Duration: return Record(expr, {TypeKind::Duration});
      case ExprKind::String: return Record(expr, {TypeKind::String});
      case ExprKind::Bool: return Record(expr, kBool);
      case ExprKind::None: return Record(expr, {TypeKind::None});
      case ExprKind::Name: return CheckName(expr, scope);
      case ExprKind::Field: return CheckField(expr, scope);
      case ExprKind::Call: return CheckCall(expr, scope);
      case ExprKind::Unary: return CheckUnary(expr, scope);
      case ExprKind::Binary: return CheckBinary(expr, scope);
    }
    return Record(expr, kError);
  }

  Type CheckMoneyLiteral(const Expr& expr) {
    if (!IsCurrencyCode(expr.text)) {
      Error(Kind::UnknownCurrency, expr.span,
            Quote(expr.text) +
                " is not an ISO 4217 currency code; use one "
                "such as `EUR`, `GBP` or `USD`");
      return Record(expr, kError);
    }
    return Record(expr, {TypeKind::Money});
  }

  Type CheckName(const Expr& expr, const Scope& scope) {
    if (expr.text == "now") return Record(expr, {TypeKind::Time}, RefKind::Now);
    for (size_t i = 0; i < program_.segments.size(); ++i) {
      if (program_.segments[i].name != expr.text) continue;
      if (!scope.allow_segments) {
        Error(Kind::UnknownName, expr.span,
              "a segment cannot use another segment (" + Quote(expr.text) +
                  ") yet; repeat its condition instead");
        return Record(expr, kError);
      }
      return Record(expr, kBool, RefKind::Segment, static_cast<int32_t>(i));
    }
    if (expr.text == "profile" ||
        (!scope.alias.empty() && expr.text == scope.alias)) {
      Error(Kind::TypeMismatch, expr.span,
            Quote(expr.text) + " is a record; use one of its fields, as in " +
                Quote(expr.text + ".name"));
      return Record(expr, kError);
    }

    std::vector<std::string> candidates = {"now", "profile"};
    if (!scope.alias.empty()) candidates.push_back(scope.alias);
    for (const SegmentInfo& segment : program_.segments) {
      candidates.push_back(segment.name);
    }
    std::string hint = Suggest(expr.text, candidates);
    if (hint.empty() && FindProfileField(expr.text) != nullptr) {
      hint = "; did you mean " + Quote("profile." + expr.text) + "?";
    }
    Error(Kind::UnknownName, expr.span,
          "unknown name " + Quote(expr.text) + hint);
    return Record(expr, kError);
  }

  Type CheckField(const Expr& expr, const Scope& scope) {
    const Expr& object = *expr.operands[0];
    const std::string& field = expr.field.text;
    if (object.kind == ExprKind::Name && object.text == "profile") {
      std::vector<std::string> candidates;
      for (size_t i = 0; i < program_.profile.size(); ++i) {
        if (program_.profile[i].name == field) {
          return Record(expr, program_.profile[i].type, RefKind::ProfileField,
                        static_cast<int32_t>(i));
        }
        candidates.push_back(program_.profile[i].name);
      }
      Error(Kind::UnknownField, expr.field.span,
            "the profile has no attribute " + Quote(field) +
                Suggest(field, candidates));
      return Record(expr, kError);
    }
    if (object.kind == ExprKind::Name && !scope.alias.empty() &&
        object.text == scope.alias) {
      const EventInfo& event = program_.events[scope.alias_event];
      std::vector<std::string> candidates;
      for (size_t i = 0; i < event.fields.size(); ++i) {
        if (event.fields[i].name == field) {
          return Record(expr, event.fields[i].type, scope.alias_ref,
                        static_cast<int32_t>(i));
        }
        candidates.push_back(event.fields[i].name);
      }
      Error(Kind::UnknownField, expr.field.span,
            Quote(object.text + "." + field) + ": event " + Quote(event.name) +
                " has no field " + Quote(field) + Suggest(field, candidates));
      return Record(expr, kError);
    }

    Type object_type = CheckExpr(object, scope);
    if (object_type.kind != TypeKind::Error) {
      Error(Kind::TypeMismatch, expr.field.span,
            Spell(object_type) + " has no fields");
    }
    return Record(expr, kError);
  }

  Type CheckCall(const Expr& expr, const Scope& scope) {
    if (expr.text != "count" && expr.text != "sum") {
      std::string hint = Suggest(expr.text, {"count", "sum"});
      if (hint.empty()) hint = "; the functions are `count` and `sum`";
      Error(Kind::UnknownFunction, expr.field.span,
            "unknown function " + Quote(expr.text) + hint);
      return Record(expr, kError);
    }
    if (expr.operands.size() != 1) {
      Error(Kind::WrongArguments, expr.span,
            Quote(expr.text) + " takes one argument, as in " +
                Quote(expr.text == "count" ? "count(OrderPlaced)"
                                           : "sum(OrderPlaced.total)"));
      return Record(expr, kError);
    }
    const Expr& argument = *expr.operands[0];
    if (expr.text == "count") {
      if (argument.kind != ExprKind::Name) {
        Error(Kind::WrongArguments, argument.span,
              "`count` takes an event name, as in `count(OrderPlaced)`");
        return Record(expr, kError);
      }
      int32_t event = ResolveEvent({argument.text, argument.span});
      if (event < 0) return Record(expr, kError);
      return RecordAggregate(
          expr, {AggregateKind::Count, event, -1, {TypeKind::Int}});
    }
    return CheckSum(expr, argument);
  }

  Type CheckSum(const Expr& expr, const Expr& argument) {
    if (argument.kind != ExprKind::Field ||
        argument.operands[0]->kind != ExprKind::Name) {
      Error(Kind::WrongArguments, argument.span,
            "`sum` takes an event field, as in `sum(OrderPlaced.total)`");
      return Record(expr, kError);
    }
    const Expr& event_name = *argument.operands[0];
    int32_t event = ResolveEvent({event_name.text, event_name.span});
    if (event < 0) return Record(expr, kError);

    const EventInfo& info = program_.events[event];
    std::vector<std::string> candidates;
    for (size_t i = 0; i < info.fields.size(); ++i) {
      const FieldDecl& field = info.fields[i];
      candidates.push_back(field.name);
      if (field.name != argument.field.text) continue;
      TypeKind kind = field.type.kind;
      bool summable = kind == TypeKind::Int || kind == TypeKind::Decimal ||
                      kind == TypeKind::Money || kind == TypeKind::Duration;
      if (field.type.optional || !summable) {
        Error(Kind::TypeMismatch, argument.span,
              "`sum` needs a required number, money or duration field, but " +
                  Quote(field.name) + " is " + Spell(field.type));
        return Record(expr, kError);
      }
      return RecordAggregate(
          expr, {AggregateKind::Sum, event, static_cast<int32_t>(i), {kind}});
    }
    Error(Kind::UnknownField, argument.field.span,
          "event " + Quote(info.name) + " has no field " +
              Quote(argument.field.text) +
              Suggest(argument.field.text, candidates));
    return Record(expr, kError);
  }

  Type RecordAggregate(const Expr& expr, AggregateInfo aggregate) {
    auto& aggregates = program_.aggregates;
    auto found = std::find_if(
        aggregates.begin(), aggregates.end(), [&](const AggregateInfo& a) {
          return a.kind == aggregate.kind && a.event == aggregate.event &&
                 a.field == aggregate.field;
        });
    auto index = static_cast<int32_t>(found - aggregates.begin());
    if (found == aggregates.end()) aggregates.push_back(aggregate);
    return Record(expr, aggregate.type, RefKind::Aggregate, index);
  }

  Type CheckUnary(const Expr& expr, const Scope& scope) {
    Type operand = CheckExpr(*expr.operands[0], scope);
    if (operand.kind == TypeKind::Error) return Record(expr, kError);
    if (expr.unary_op == syntax::UnaryOp::Not) {
      if (operand == kBool) return Record(expr, kBool);
      Error(Kind::TypeMismatch, expr.operands[0]->span,
            "`not` needs a condition (bool), but this is " + Spell(operand));
      return Record(expr, kError);
    }
    bool negatable = IsNumeric(operand.kind) ||
                     operand.kind == TypeKind::Money ||
                     operand.kind == TypeKind::Duration;
    if (!negatable || operand.optional) {
      Error(Kind::TypeMismatch, expr.operands[0]->span,
            "cannot negate " + Spell(operand));
      return Record(expr, kError);
    }
    return Record(expr, operand);
  }

  Type CheckBinary(const Expr& expr, const Scope& scope) {
    Type left = CheckExpr(*expr.operands[0], scope);
    Type right = CheckExpr(*expr.operands[1], scope);
    if (left.kind == TypeKind::Error || right.kind == TypeKind::Error) {
      return Record(expr, kError);
    }
    switch (expr.binary_op) {
      case BinaryOp::And:
      case BinaryOp::Or: return CheckLogical(expr, left, right);
      case BinaryOp::Equal:
      case BinaryOp::NotEqual:
      case BinaryOp::Less:
      case BinaryOp::LessEqual:
      case BinaryOp::Greater:
      case BinaryOp::GreaterEqual: return CheckComparison(expr, left, right);
      case BinaryOp::Add:
      case BinaryOp::Subtract:
      case BinaryOp::Multiply:
      case BinaryOp::Divide: return CheckArithmetic(expr, left, right);
    }
    return Record(expr, kError);
  }

  Type CheckLogical(const Expr& expr, Type left, Type right) {
    const char* op = syntax::BinaryOpSpelling(expr.binary_op);
    for (size_t i = 0; i < 2; ++i) {
      Type side = i == 0 ? left : right;
      if (side == kBool) continue;
      Error(Kind::TypeMismatch, expr.operands[i]->span,
            Quote(op) + " needs conditions (bool) on both sides, but this is " +
                Spell(side));
      return Record(expr, kError);
    }
    return Record(expr, kBool);
  }

  Type CheckComparison(const Expr& expr, Type left, Type right) {
    bool equality = expr.binary_op == BinaryOp::Equal ||
                    expr.binary_op == BinaryOp::NotEqual;
    bool left_none = left.kind == TypeKind::None;
    bool right_none = right.kind == TypeKind::None;
    if (left_none || right_none) {
      Type other = left_none ? right : left;
      if (equality && other.optional) return Record(expr, kBool);
      Error(Kind::TypeMismatch, expr.span,
            "only an optional value can be compared with `none`, and only "
            "with `==` or `!=`; this is " +
                Spell(other));
      return Record(expr, kError);
    }

    TypeKind a = left.kind;
    TypeKind b = right.kind;
    bool same = a == b || (IsNumeric(a) && IsNumeric(b));
    bool ordered = a != TypeKind::Bool;
    if (!same || (!equality && !ordered)) {
      std::string hint;
      if ((a == TypeKind::Money && IsNumeric(b)) ||
          (b == TypeKind::Money && IsNumeric(a))) {
        hint = "; write the amount with its currency, as in `100 EUR`";
      }
      Error(Kind::TypeMismatch, expr.span,
            "cannot compare " + Spell(left) + " with " + Spell(right) + hint);
      return Record(expr, kError);
    }
    return Record(expr, kBool);
  }

  // The result of `left op right` for arithmetic, or Error when the pair is
  // not allowed (e.g. a duration added to money).
  static TypeKind ArithmeticResult(BinaryOp op, TypeKind a, TypeKind b) {
    using T = TypeKind;
    bool additive = op == BinaryOp::Add || op == BinaryOp::Subtract;
    if (IsNumeric(a) && IsNumeric(b)) {
      return a == T::Int && b == T::Int ? T::Int : T::Decimal;
    }
    if (additive) {
      if (a == T::Money && b == T::Money) return T::Money;
      if (a == T::Duration && b == T::Duration) return T::Duration;
      if (a == T::Time && b == T::Duration) return T::Time;
      if (op == BinaryOp::Add && a == T::Duration && b == T::Time) {
        return T::Time;
      }
      if (op == BinaryOp::Subtract && a == T::Time && b == T::Time) {
        return T::Duration;
      }
      return T::Error;
    }
    if (a == T::Money && IsNumeric(b)) return T::Money;
    if (op == BinaryOp::Multiply && IsNumeric(a) && b == T::Money) {
      return T::Money;
    }
    if (a == T::Duration && b == T::Int) return T::Duration;
    if (op == BinaryOp::Multiply && a == T::Int && b == T::Duration) {
      return T::Duration;
    }
    return T::Error;
  }

  Type CheckArithmetic(const Expr& expr, Type left, Type right) {
    const char* op = syntax::BinaryOpSpelling(expr.binary_op);
    if (left.optional || right.optional) {
      const Expr& side = left.optional ? *expr.operands[0] : *expr.operands[1];
      Error(Kind::OptionalMisuse, side.span,
            "this value may be absent (" + Spell(left.optional ? left : right) +
                "), so it cannot be used in `" + op +
                "`; give the attribute a default instead");
      return Record(expr, kError);
    }
    TypeKind result = ArithmeticResult(expr.binary_op, left.kind, right.kind);
    if (result == TypeKind::Error) {
      Error(Kind::TypeMismatch, expr.span,
            "cannot apply " + Quote(op) + " to " + Spell(left) + " and " +
                Spell(right));
      return Record(expr, kError);
    }
    return Record(expr, {result});
  }

  diag::DiagnosticEngine& diagnostics_;
  CheckedProgram program_;
  std::map<std::string, diag::Span> event_names_;
  std::map<std::string, diag::Span> profile_names_;
  std::map<std::string, diag::Span> global_names_;
};

}  // namespace

CheckedProgram Check(std::vector<syntax::Module> modules,
                     diag::DiagnosticEngine& diagnostics) {
  return Checker(diagnostics).Run(std::move(modules));
}

}  // namespace parcours::sema
