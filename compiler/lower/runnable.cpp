// Which checked constructs the engines can execute today.
//
// The language is checked in full, but the runtime grows construct by
// construct. Anything the engines cannot run is reported here, at compile
// time, with what it is and where, rather than ignored at run time.
#include "compiler/lower/lower.h"

namespace parcours::lower {
namespace {

using sema::TypeKind;
using syntax::Expr;
using syntax::ExprKind;

class RunnabilityCheck {
 public:
  RunnabilityCheck(const sema::CheckedProgram& program,
                   diag::DiagnosticEngine& diagnostics)
      : program_(program), diagnostics_(diagnostics) {}

  bool Run() {
    for (const sema::FieldDecl& field : program_.profile) {
      CheckType(field.type, field.decl->type.span, "a profile attribute");
    }
    for (const sema::EventInfo& event : program_.events) {
      for (const sema::FieldDecl& field : event.fields) {
        CheckType(field.type, field.decl->type.span, "an event field");
      }
    }
    for (const sema::SegmentInfo& segment : program_.segments) {
      CheckExpr(*segment.decl->predicate);
    }
    for (const sema::PolicyInfo& policy : program_.policies) {
      CheckPolicy(*policy.decl);
    }
    for (const sema::ProgramInfo& loyalty : program_.programs) {
      Report(loyalty.decl->name.span, "loyalty programs (`program`)");
    }
    for (const sema::TestInfo& test : program_.tests) {
      Report(test.decl->span, "`test` blocks");
    }
    for (const sema::JourneyInfo& journey : program_.journeys) {
      CheckJourney(*journey.decl);
    }
    return reported_ == 0;
  }

 private:
  void Report(const diag::Span& span, const std::string& what) {
    ++reported_;
    diagnostics_.Report(diag::Kind::NotRunnable, span,
                        what +
                            " are checked but cannot run yet; "
                            "docs/limitations.md lists what can");
  }

  void CheckType(const sema::Type& type, const diag::Span& span,
                 const char* where) {
    static const TypeKind kRunnable[] = {
        TypeKind::Bool,   TypeKind::Int,      TypeKind::Decimal,
        TypeKind::Money,  TypeKind::Duration, TypeKind::Time,
        TypeKind::String, TypeKind::Tz,       TypeKind::Channel};
    for (TypeKind kind : kRunnable) {
      if (type.kind == kind) return;
    }
    Report(span, std::string("values of type `") + sema::Spell(type, program_) +
                     "` in " + where);
  }

  void CheckExpr(const Expr& expr) {
    const sema::ExprInfo& info = program_.Info(expr);
    switch (expr.kind) {
      case ExprKind::Calendar:
        return Report(expr.span, "calendar lengths in expressions");
      case ExprKind::Clock:
        return Report(expr.span, "times of day in expressions");
      case ExprKind::Timestamp: return Report(expr.span, "timestamp literals");
      case ExprKind::In: return Report(expr.span, "`in` tests");
      case ExprKind::List: return Report(expr.span, "lists");
      case ExprKind::Record: return Report(expr.span, "record literals");
      case ExprKind::Name:
        if (info.ref == sema::RefKind::EnumValue) {
          return Report(expr.span, "enum values");
        }
        return;
      case ExprKind::Field:
        if (info.ref == sema::RefKind::RecordField) {
          return Report(expr.span,
                        "fields of records, lists and events "
                        "other than the trigger's");
        }
        return;
      case ExprKind::Call: return CheckCall(expr, info);
      default: break;
    }
    for (const auto& operand : expr.operands) CheckExpr(*operand);
  }

  void CheckCall(const Expr& expr, const sema::ExprInfo& info) {
    if (info.ref == sema::RefKind::Builtin && expr.text == "consent") {
      const sema::ExprInfo& argument = program_.Info(*expr.arguments[0].value);
      if (argument.ref != sema::RefKind::ChannelValue) {
        Report(expr.span, "`consent` of a channel other than a name");
      }
      return;
    }
    if (info.ref != sema::RefKind::Aggregate) {
      return Report(expr.span,
                    "built-in functions other than `count`, `sum` and "
                    "`consent`");
    }
    const sema::AggregateInfo& aggregate = program_.aggregates[info.index];
    if (aggregate.kind == sema::AggregateKind::Last ||
        aggregate.kind == sema::AggregateKind::Values) {
      return Report(expr.span, "`last` and `values`");
    }
    if (aggregate.window.kind != syntax::Window::Kind::All) {
      return Report(expr.span,
                    "aggregates over a window (`within`, "
                    "`between`)");
    }
  }

  void CheckPolicy(const syntax::PolicyDecl& policy) {
    using RuleKind = syntax::PolicyRule::Kind;
    for (const syntax::PolicyRule& rule : policy.rules) {
      if (rule.kind == RuleKind::Prefer &&
          program_.Info(*rule.value).ref != sema::RefKind::ProfileField) {
        Report(rule.span, "`prefer` of anything but a profile attribute");
      }
      if (rule.kind == RuleKind::Cap) {
        CheckExpr(*rule.value);
        if (rule.condition) CheckExpr(*rule.condition);
      }
      // A deferral limit is counted in exact seconds; `2 days` would need
      // the recipient's calendar.
      if (rule.kind == RuleKind::Capped && rule.value &&
          rule.value->kind != ExprKind::Duration) {
        Report(rule.value->span, "calendar lengths in `defer within`");
      }
    }
  }

  void CheckJourney(const syntax::JourneyDecl& journey) {
    for (const syntax::Trigger& trigger : journey.triggers) {
      bool runs = trigger.kind == syntax::Trigger::Kind::Event ||
                  trigger.kind == syntax::Trigger::Kind::Entered ||
                  trigger.kind == syntax::Trigger::Kind::Left;
      if (!runs) {
        Report(trigger.span,
               "triggers other than `on EVENT`, `on entered(...)` and "
               "`on left(...)`");
      }
      if (trigger.where) CheckExpr(*trigger.where);
    }
    for (const syntax::ExitRule& exit : journey.exits) {
      if (exit.condition) Report(exit.span, "conditional exits");
    }
    if (journey.reentry_span) Report(*journey.reentry_span, "`reentry` rules");
    if (journey.holdout) Report(journey.holdout->span, "holdouts");
    for (const auto& goal : journey.goals) Report(goal.span, "goals");
    CheckSteps(journey.steps);
  }

  void CheckSteps(const std::vector<syntax::Step>& steps) {
    for (const syntax::Step& step : steps) CheckStep(step);
  }

  void CheckStep(const syntax::Step& step) {
    switch (step.kind) {
      case syntax::StepKind::Wait:
      case syntax::StepKind::WaitUntil: return;
      case syntax::StepKind::If:
        CheckExpr(*step.expr);
        CheckSteps(step.then_steps);
        CheckSteps(step.else_steps);
        return;
      case syntax::StepKind::Send:
        if (step.payload) Report(step.payload->span, "message payloads");
        return;
      case syntax::StepKind::Exit: return;
      default:
        Report(step.span, "steps other than `wait`, `if`, `send` and `exit`");
        return;
    }
  }

  const sema::CheckedProgram& program_;
  diag::DiagnosticEngine& diagnostics_;
  int reported_ = 0;
};

}  // namespace

bool CheckRunnable(const sema::CheckedProgram& program,
                   diag::DiagnosticEngine& diagnostics) {
  return RunnabilityCheck(program, diagnostics).Run();
}

}  // namespace parcours::lower
