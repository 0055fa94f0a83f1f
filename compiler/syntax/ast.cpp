#include "compiler/syntax/ast.h"

#include <cstdio>
#include <sstream>

namespace parcours::syntax {

const char* BinaryOpSpelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "+";
    case BinaryOp::Subtract: return "-";
    case BinaryOp::Multiply: return "*";
    case BinaryOp::Divide: return "/";
    case BinaryOp::Equal: return "==";
    case BinaryOp::NotEqual: return "!=";
    case BinaryOp::Less: return "<";
    case BinaryOp::LessEqual: return "<=";
    case BinaryOp::Greater: return ">";
    case BinaryOp::GreaterEqual: return ">=";
    case BinaryOp::And: return "and";
    case BinaryOp::Or: return "or";
  }
  return "?";
}

const char* CalendarUnitName(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::Day: return "day";
    case CalendarUnit::Week: return "week";
    case CalendarUnit::Month: return "month";
    case CalendarUnit::Year: return "year";
  }
  return "?";
}

namespace {

std::string Clock(int64_t seconds, bool local) {
  char text[16];
  std::snprintf(text, sizeof text, "%02d:%02d",
                static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60));
  return std::string(text) + (local ? " local" : "");
}

std::string Scaled(int64_t units) {
  std::string sign = units < 0 ? "-" : "";
  uint64_t magnitude = units < 0 ? 0 - static_cast<uint64_t>(units)
                                 : static_cast<uint64_t>(units);
  std::string whole = std::to_string(magnitude / 1'000'000);
  std::string fraction = std::to_string(magnitude % 1'000'000);
  fraction = std::string(6 - fraction.size(), '0') + fraction;
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return sign + whole + (fraction.empty() ? "" : "." + fraction);
}

std::string LengthText(const Length& length) {
  if (!length.calendar) return std::to_string(length.count) + "s";
  return std::to_string(length.count) + " " +
         CalendarUnitName(*length.calendar);
}

class Dumper {
 public:
  explicit Dumper(bool spans) : spans_(spans) {}

  std::string Run(const Module& module) {
    Line(0, "module " + (module.name ? module.name->text : "<unnamed>"));
    for (const Name& import : module.imports) {
      Line(1, "import " + import.text + At(import.span));
    }
    for (const Declaration& declaration : module.declarations) {
      std::visit([&](const auto& node) { DumpDeclaration(node); }, declaration);
    }
    return out_.str();
  }

 private:
  std::string At(const Span& span) const {
    if (!spans_) return "";
    return " @" + std::to_string(span.line) + ":" + std::to_string(span.column);
  }

  void Line(int depth, const std::string& text) {
    out_ << std::string(static_cast<size_t>(depth) * 2, ' ') << text << "\n";
  }

  static std::string Names(const std::vector<Name>& names) {
    std::string text;
    for (const Name& name : names)
      text += (text.empty() ? "" : ", ") + name.text;
    return text;
  }

  static std::string TypeText(const TypeRef& type) {
    std::string text;
    switch (type.kind) {
      case TypeRef::Kind::Named: text = type.name.text; break;
      case TypeRef::Kind::List:
        text = "list<" + TypeText(*type.element) + ">";
        break;
      case TypeRef::Kind::InlineEnum:
        text = "enum { " + Names(type.values) + " }";
        break;
    }
    return text + (type.optional ? "?" : "");
  }

  void DumpAttribute(int depth, const Attribute& attribute) {
    std::string text = attribute.name.text;
    if (attribute.wire_name) text += " \"" + *attribute.wire_name + "\"";
    text += ": " + TypeText(attribute.type);
    Line(depth, "attribute " + text + At(attribute.span));
    if (attribute.default_value) {
      Line(depth + 1, "default");
      DumpExpr(depth + 2, *attribute.default_value);
    }
  }

  void DumpOptional(int depth, const char* label, const Expr* expr) {
    if (expr == nullptr) return;
    Line(depth, label);
    DumpExpr(depth + 1, *expr);
  }

  void DumpDeclaration(const ProfileDecl& profile) {
    Line(1, "profile" + At(profile.span));
    for (const Attribute& attribute : profile.attributes) {
      DumpAttribute(2, attribute);
    }
  }

  void DumpDeclaration(const EventDecl& event) {
    std::string wire = event.wire_name ? " \"" + *event.wire_name + "\"" : "";
    Line(1, "event " + event.name.text + wire + At(event.span));
    for (const Attribute& field : event.fields) DumpAttribute(2, field);
  }

  void DumpDeclaration(const RecordDecl& record) {
    Line(1, "record " + record.name.text + At(record.span));
    for (const Attribute& field : record.fields) DumpAttribute(2, field);
  }

  void DumpDeclaration(const EnumDecl& enumeration) {
    Line(1, "enum " + enumeration.name.text + " { " +
                Names(enumeration.values) + " }" + At(enumeration.span));
  }

  void DumpDeclaration(const SegmentDecl& segment) {
    Line(1, "segment " + segment.name.text + At(segment.span));
    DumpExpr(2, *segment.predicate);
  }

  static std::string TimeOfWeekText(const TimeOfWeek& time) {
    return (time.day ? time.day->text + " " : "") +
           Clock(time.seconds, time.local);
  }

  void DumpDeclaration(const PolicyDecl& policy) {
    Line(1, "policy " + policy.name.text + At(policy.span));
    for (const PolicyRule& rule : policy.rules) {
      std::string at = At(rule.span);
      switch (rule.kind) {
        case PolicyRule::Kind::Cap:
          Line(2, "cap per " + rule.period.text +
                      (rule.names.empty() ? ""
                       : rule.across      ? " across " + Names(rule.names)
                                          : " on " + Names(rule.names)) +
                      at);
          DumpExpr(3, *rule.value);
          DumpOptional(3, "when", rule.condition.get());
          if (rule.reserved) {
            Line(3, "reserve for " + rule.reserved_for.text);
            DumpExpr(4, *rule.reserved);
          }
          break;
        case PolicyRule::Kind::Priority:
          Line(2, "priority " + Names(rule.names) + at);
          break;
        case PolicyRule::Kind::Prefer:
          Line(2, "prefer" + at);
          DumpExpr(3, *rule.value);
          break;
        case PolicyRule::Kind::Quiet:
          Line(2, "quiet " + TimeOfWeekText(rule.from) + " .. " +
                      TimeOfWeekText(rule.to) +
                      (rule.names.empty() ? "" : " on " + Names(rule.names)) +
                      at);
          break;
        case PolicyRule::Kind::Exempt:
          Line(2, "exempt " + Names(rule.names) + at);
          break;
        case PolicyRule::Kind::Capped:
          Line(2, "when capped " + rule.action.text + at);
          DumpOptional(3, "within", rule.value.get());
          break;
      }
    }
  }

  void DumpDeclaration(const ProgramDecl& program) {
    static const char* const kKinds[] = {
        "earn per", "earn on", "multiply",  "burn",  "refund",  "expire",
        "notify",   "tier",    "keep tier", "value", "breakage"};
    Line(1, "program " + program.name.text + At(program.span));
    for (const ProgramRule& rule : program.rules) {
      std::string text = kKinds[static_cast<int>(rule.kind)];
      if (!rule.name.text.empty()) text += " " + rule.name.text;
      if (rule.kind == ProgramRule::Kind::Multiply) {
        text += " " + Scaled(rule.factor) + "x";
      }
      Line(2, text + At(rule.span));
      for (const Expr* expr :
           {rule.first.get(), rule.second.get(), rule.third.get()}) {
        if (expr != nullptr) DumpExpr(3, *expr);
      }
    }
  }

  void DumpDeclaration(const TestDecl& test) {
    Line(1, "test \"" + test.title + "\"" + At(test.span));
    static const char* const kKinds[] = {"given",          "event",
                                         "identify",       "expect send",
                                         "expect loyalty", "expect action"};
    for (const TestStatement& statement : test.statements) {
      std::string text = kKinds[static_cast<int>(statement.kind)];
      if (statement.negated) text += " no";
      if (statement.suppressed) text += " suppressed";
      if (statement.profile) text += " profile \"" + *statement.profile + "\"";
      if (statement.has_at) text += " at " + std::to_string(statement.at);
      if (!statement.event.text.empty()) text += " " + statement.event.text;
      if (statement.channel) text += " " + statement.channel->text;
      if (statement.template_name) {
        text += " \"" + *statement.template_name + "\"";
      }
      if (statement.reason) text += " reason " + statement.reason->text;
      if (!statement.what.text.empty()) text += " " + statement.what.text;
      if (!statement.action.text.empty()) text += " " + statement.action.text;
      Line(2, text + At(statement.span));
      if (statement.record) DumpExpr(3, *statement.record);
      if (statement.value) DumpExpr(3, *statement.value);
    }
  }

  void DumpDeclaration(const JourneyDecl& journey) {
    Line(1, "journey " + journey.name.text + At(journey.span));
    static const char* const kTriggers[] = {"on",      "on entered",
                                            "on left", "on date",
                                            "every",   "on points crossing"};
    for (const Trigger& trigger : journey.triggers) {
      std::string text = kTriggers[static_cast<int>(trigger.kind)];
      if (!trigger.event.text.empty()) text += " " + trigger.event.text;
      if (trigger.alias) text += " as " + trigger.alias->text;
      if (trigger.day) text += " " + trigger.day->text;
      if (trigger.kind == Trigger::Kind::Date ||
          trigger.kind == Trigger::Kind::Schedule) {
        text += " at " + Clock(trigger.clock, trigger.local);
      }
      Line(2, text + At(trigger.span));
      if (trigger.expr) DumpExpr(3, *trigger.expr);
      DumpOptional(3, "where", trigger.where.get());
    }
    for (const ExitRule& exit : journey.exits) {
      std::string alias = exit.alias ? " as " + exit.alias->text : "";
      Line(2, (exit.event.text.empty() ? "exit when"
                                       : "exit on " + exit.event.text + alias) +
                  At(exit.span));
      if (exit.condition) DumpExpr(3, *exit.condition);
    }
    if (journey.reentry_span) {
      Line(2, std::string("reentry") + (journey.reentry_never ? " never" : "") +
                  At(*journey.reentry_span));
      if (journey.reentry_after) DumpExpr(3, *journey.reentry_after);
    }
    DumpOptional(2, "holdout", journey.holdout.get());
    for (const auto& goal : journey.goals) {
      Line(2, "goal " + goal.event.text + At(goal.span));
      if (goal.within) DumpExpr(3, *goal.within);
    }
    if (journey.policy) Line(2, "policy " + journey.policy->text);
    DumpSteps(2, journey.steps);
  }

  void DumpSteps(int depth, const std::vector<Step>& steps) {
    for (const Step& step : steps) DumpStep(depth, step);
  }

  void DumpStep(int depth, const Step& step) {
    static const char* const kKinds[] = {"wait",
                                         "wait until",
                                         "wait for",
                                         "send",
                                         "if",
                                         "split",
                                         "task",
                                         "call webhook",
                                         "set",
                                         "emit",
                                         "award",
                                         "freeze account",
                                         "require second factor",
                                         "exit"};
    std::string text = (step.label ? step.label->text + ": " : "") +
                       kKinds[static_cast<int>(step.kind)];
    switch (step.kind) {
      case StepKind::WaitUntil:
        text += " " + Clock(step.clock, step.local);
        break;
      case StepKind::WaitFor:
      case StepKind::Emit:
        text += " " + step.event.text;
        if (step.alias) text += " as " + step.alias->text;
        break;
      case StepKind::Send:
        text += (step.best_of ? " best of [" + Names(step.channels) + "]"
                              : " " + Names(step.channels)) +
                " \"" + step.template_name + "\"";
        if (step.priority) text += " priority " + step.priority->text;
        if (step.category) text += " category " + step.category->text;
        if (step.override_policy) text += " override";
        break;
      case StepKind::Task:
        text += " " + step.system.text + " \"" + step.text + "\" to \"" +
                step.team + "\"";
        break;
      case StepKind::Webhook:
      case StepKind::Award:
      case StepKind::Freeze:
      case StepKind::SecondFactor:
        if (!step.text.empty()) text += " \"" + step.text + "\"";
        break;
      default: break;
    }
    Line(depth, text + At(step.span));
    if (step.target) DumpExpr(depth + 1, *step.target);
    if (step.expr) DumpExpr(depth + 1, *step.expr);
    DumpOptional(depth + 1, "where", step.condition.get());
    DumpOptional(depth + 1, "with", step.payload.get());
    if (step.record) DumpExpr(depth + 1, *step.record);
    if (!step.then_steps.empty() || step.kind == StepKind::If) {
      Line(depth, "then");
      DumpSteps(depth + 1, step.then_steps);
    }
    if (!step.else_steps.empty()) {
      Line(depth, "else");
      DumpSteps(depth + 1, step.else_steps);
    }
    for (const SplitArm& arm : step.arms) {
      Line(depth, "arm " + (arm.name ? arm.name->text + " " : "") +
                      Scaled(arm.percent) + "%" + At(arm.span));
      DumpSteps(depth + 1, arm.steps);
    }
  }

  void DumpExpr(int depth, const Expr& expr) {
    std::string at = At(expr.span);
    switch (expr.kind) {
      case ExprKind::Int:
        Line(depth, "int " + std::to_string(expr.int_value) + at);
        return;
      case ExprKind::Decimal:
        Line(depth, "decimal " + Scaled(expr.int_value) + at);
        return;
      case ExprKind::Money:
        Line(depth, "money " + Scaled(expr.int_value) + " " + expr.text + at);
        return;
      case ExprKind::Duration:
        Line(depth, "duration " + std::to_string(expr.int_value) + "s" + at);
        return;
      case ExprKind::Calendar:
        Line(depth, "calendar " + std::to_string(expr.int_value) + " " +
                        CalendarUnitName(expr.calendar_unit) + at);
        return;
      case ExprKind::Percent:
        Line(depth, "percent " + Scaled(expr.int_value) + "%" + at);
        return;
      case ExprKind::Clock:
        Line(depth, "clock " + Clock(expr.int_value, expr.local) + at);
        return;
      case ExprKind::Timestamp:
        Line(depth, "timestamp " + std::to_string(expr.int_value) + at);
        return;
      case ExprKind::String:
        Line(depth, "string \"" + expr.text + "\"" + at);
        return;
      case ExprKind::Bool:
        Line(depth,
             std::string("bool ") + (expr.int_value ? "true" : "false") + at);
        return;
      case ExprKind::None: Line(depth, "none" + at); return;
      case ExprKind::Name: Line(depth, "name " + expr.text + at); return;
      case ExprKind::Field:
        Line(depth, "field ." + expr.field.text + at);
        break;
      case ExprKind::Call:
        Line(depth, "call " + expr.text + at);
        for (const Argument& argument : expr.arguments) {
          std::string text = "argument";
          if (argument.key) text += " " + argument.key->text + ":";
          if (argument.window.kind == Window::Kind::Within) {
            text += " within " + LengthText(argument.window.near);
          } else if (argument.window.kind == Window::Kind::Between) {
            text += " between " + LengthText(argument.window.far) + " and " +
                    LengthText(argument.window.near) + " ago";
          }
          Line(depth + 1, text);
          DumpExpr(depth + 2, *argument.value);
        }
        return;
      case ExprKind::Unary:
        Line(depth, std::string("unary ") +
                        (expr.unary_op == UnaryOp::Not ? "not" : "-") + at);
        break;
      case ExprKind::Binary:
        Line(depth,
             std::string("binary ") + BinaryOpSpelling(expr.binary_op) + at);
        break;
      case ExprKind::In:
        Line(depth, std::string(expr.negated ? "not in" : "in") + at);
        break;
      case ExprKind::List: Line(depth, "list" + at); break;
      case ExprKind::Record:
        Line(depth, "record" + at);
        for (size_t i = 0; i < expr.fields.size(); ++i) {
          Line(depth + 1, expr.fields[i].text + ":");
          DumpExpr(depth + 2, *expr.operands[i]);
        }
        return;
    }
    for (const auto& operand : expr.operands) DumpExpr(depth + 1, *operand);
  }

  bool spans_;
  std::ostringstream out_;
};

}  // namespace

std::string Dump(const Module& module, bool spans) {
  return Dumper(spans).Run(module);
}

}  // namespace parcours::syntax
