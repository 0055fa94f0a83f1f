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
      Report(policy.decl->name.span, "pressure policies (`policy`)");
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
        TypeKind::String, TypeKind::Tz,       TypeKind::Enum};
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
      case ExprKind::In: return CheckIn(expr);
      case ExprKind::List: return Report(expr.span, "lists");
      case ExprKind::Record: return Report(expr.span, "record literals");
      case ExprKind::Name:
        if (info.ref == sema::RefKind::ChannelValue) {
          return Report(expr.span, "channel values");
        }
        return;
      case ExprKind::Field:
        if (info.ref != sema::RefKind::RecordField) return;
        if (!IsLastField(expr)) {
          return Report(expr.span,
                        "fields of records, lists and events "
                        "other than the trigger's and `last(E)`'s");
        }
        return CheckExpr(*expr.operands[0]);
      case ExprKind::Call: return CheckCall(expr, info);
      default: break;
    }
    for (const auto& operand : expr.operands) CheckExpr(*operand);
  }

  // `in` runs against a list written out in place, which lowers to one
  // comparison per item; other lists have no run-time form yet.
  void CheckIn(const Expr& expr) {
    const Expr& list = *expr.operands[1];
    if (list.kind != ExprKind::List) {
      return Report(list.span,
                    "`in` tests against a list that is not written out");
    }
    CheckExpr(*expr.operands[0]);
    for (const auto& element : list.operands) {
      if (program_.Info(*element).type.kind == TypeKind::None) {
        Report(element->span, "`none` items in an `in` list");
        continue;
      }
      CheckExpr(*element);
    }
  }

  // `days_since`, `hours_since` and `minutes_since` of a time or of
  // `last(E)`; dates would need the recipient's zone to know when a day
  // starts.
  void CheckSince(const Expr& expr) {
    bool since = expr.text == "days_since" || expr.text == "hours_since" ||
                 expr.text == "minutes_since";
    if (!since) {
      return Report(expr.span, "`consent`, `balance` and `distance_km` calls");
    }
    const Expr& argument = *expr.arguments[0].value;
    if (program_.Info(argument).type.kind == TypeKind::Date) {
      return Report(argument.span, "dates");
    }
    CheckExpr(argument);
  }

  // Windows of exact lengths run; calendar ones would need the
  // recipient's zone to know where a month of history starts.
  static bool ExactWindow(const syntax::Window& window) {
    return !window.near.calendar && !window.far.calendar;
  }

  // `last(E).field`, read from the copy of the event the profile keeps.
  bool IsLastField(const Expr& expr) const {
    const Expr& object = *expr.operands[0];
    const sema::ExprInfo& info = program_.Info(expr);
    const sema::ExprInfo& object_info = program_.Info(object);
    return info.index >= 0 && object.kind == ExprKind::Call &&
           object_info.ref == sema::RefKind::Aggregate &&
           program_.aggregates[object_info.index].kind ==
               sema::AggregateKind::Last;
  }

  void CheckCall(const Expr& expr, const sema::ExprInfo& info) {
    if (info.ref == sema::RefKind::Builtin) return CheckSince(expr);
    if (info.ref != sema::RefKind::Aggregate) return;
    const sema::AggregateInfo& aggregate = program_.aggregates[info.index];
    if (aggregate.kind == sema::AggregateKind::Values) {
      return Report(expr.span, "`values` lists");
    }
    if (!ExactWindow(aggregate.window)) {
      return Report(expr.span,
                    "windows in calendar units (`within 3 months`; "
                    "write `within 90d`)");
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
    if (journey.policy) Report(journey.policy->span, "journey policies");
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
        if (step.best_of) Report(step.span, "`send best of`");
        if (step.payload) Report(step.payload->span, "message payloads");
        if (step.priority) Report(step.priority->span, "message priorities");
        if (step.category) Report(step.category->span, "message categories");
        if (step.override_policy) Report(step.span, "`override`");
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
