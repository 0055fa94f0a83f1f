#include "compiler/syntax/ast.h"

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

namespace {

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

  void DumpAttribute(int depth, const Attribute& attribute) {
    std::string text = attribute.name.text;
    if (attribute.wire_name) text += " \"" + *attribute.wire_name + "\"";
    text += ": " + attribute.type.text + (attribute.optional ? "?" : "");
    Line(depth, "attribute " + text + At(attribute.span));
    if (attribute.default_value) {
      Line(depth + 1, "default");
      DumpExpr(depth + 2, *attribute.default_value);
    }
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

  void DumpDeclaration(const SegmentDecl& segment) {
    Line(1, "segment " + segment.name.text + At(segment.span));
    DumpExpr(2, *segment.predicate);
  }

  void DumpDeclaration(const JourneyDecl& journey) {
    Line(1, "journey " + journey.name.text + At(journey.span));
    for (const Trigger& trigger : journey.triggers) {
      std::string alias = trigger.alias ? " as " + trigger.alias->text : "";
      Line(2, "on " + trigger.event.text + alias + At(trigger.span));
      if (trigger.where) {
        Line(3, "where");
        DumpExpr(4, *trigger.where);
      }
    }
    for (const Name& exit : journey.exit_events) {
      Line(2, "exit on " + exit.text + At(exit.span));
    }
    DumpSteps(2, journey.steps);
  }

  void DumpSteps(int depth, const std::vector<Step>& steps) {
    for (const Step& step : steps) DumpStep(depth, step);
  }

  void DumpStep(int depth, const Step& step) {
    std::string label = step.label ? step.label->text + ": " : "";
    switch (step.kind) {
      case StepKind::Wait:
        Line(depth, label + "wait" + At(step.span));
        DumpExpr(depth + 1, *step.expr);
        return;
      case StepKind::Send:
        Line(depth, label + "send " + step.channel.text + " \"" +
                        step.template_name + "\"" + At(step.span));
        return;
      case StepKind::If:
        Line(depth, label + "if" + At(step.span));
        DumpExpr(depth + 1, *step.expr);
        Line(depth, "then");
        DumpSteps(depth + 1, step.then_steps);
        if (!step.else_steps.empty()) {
          Line(depth, "else");
          DumpSteps(depth + 1, step.else_steps);
        }
        return;
      case StepKind::Exit: Line(depth, label + "exit" + At(step.span)); return;
    }
  }

  void DumpExpr(int depth, const Expr& expr) {
    std::string at = At(expr.span);
    switch (expr.kind) {
      case ExprKind::Int:
        Line(depth, "int " + std::to_string(expr.int_value) + at);
        return;
      case ExprKind::Decimal:
        Line(depth, "decimal " + std::to_string(expr.int_value) + "e-6" + at);
        return;
      case ExprKind::Money:
        Line(depth, "money " + std::to_string(expr.int_value) + "e-6 " +
                        expr.text + at);
        return;
      case ExprKind::Duration:
        Line(depth, "duration " + std::to_string(expr.int_value) + "s" + at);
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
        DumpExpr(depth + 1, *expr.operands[0]);
        return;
      case ExprKind::Call: Line(depth, "call " + expr.text + at); break;
      case ExprKind::Unary:
        Line(depth, std::string("unary ") +
                        (expr.unary_op == UnaryOp::Not ? "not" : "-") + at);
        break;
      case ExprKind::Binary:
        Line(depth,
             std::string("binary ") + BinaryOpSpelling(expr.binary_op) + at);
        break;
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
