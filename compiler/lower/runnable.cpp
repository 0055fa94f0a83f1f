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
                   diag::DiagnosticEngine& diagnostics, bool with_tests)
      : program_(program), diagnostics_(diagnostics), with_tests_(with_tests) {}

  bool Run() {
    for (const sema::FieldDecl& field : program_.profile) {
      if (field.type.kind == TypeKind::List) {
        CheckListAttribute(field);
        continue;
      }
      CheckType(field.type, field.decl->type.span, "a profile attribute");
    }
    for (const sema::EventInfo& event : program_.events) {
      for (const sema::FieldDecl& field : event.fields) {
        // Fields the compiler declares itself (loyalty events) run.
        if (field.decl == nullptr) continue;
        if (field.type.kind == TypeKind::List) {
          CheckListField(field);
          continue;
        }
        CheckType(field.type, field.decl->type.span, "an event field");
      }
    }
    in_segment_ = true;
    for (const sema::SegmentInfo& segment : program_.segments) {
      CheckExpr(*segment.decl->predicate);
    }
    in_segment_ = false;
    for (const sema::PolicyInfo& policy : program_.policies) {
      CheckPolicy(*policy.decl);
    }
    for (const sema::ProgramInfo& loyalty : program_.programs) {
      CheckLoyaltyProgram(*loyalty.decl);
    }
    // `run` and `build` leave test blocks alone; `parcours test` runs them.
    if (with_tests_) {
      for (const sema::TestInfo& test : program_.tests) CheckTest(*test.decl);
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

  // The runtime reads a program's numbers as written; a computed
  // threshold or amount would need an evaluation the rules do not have.
  void CheckLoyaltyProgram(const syntax::ProgramDecl& loyalty) {
    using RuleKind = syntax::ProgramRule::Kind;
    auto literal = [&](const Expr& value, ExprKind kind, const char* what) {
      if (value.kind != kind) Report(value.span, what);
    };
    for (const syntax::ProgramRule& rule : loyalty.rules) {
      switch (rule.kind) {
        case RuleKind::EarnPer:
          literal(*rule.second, ExprKind::Money,
                  "computed amounts in `earn ... per` (write `1 EUR`)");
          [[fallthrough]];
        case RuleKind::EarnOn:
        case RuleKind::Tier:
          literal(*rule.first, ExprKind::Int,
                  "computed points in loyalty rules (write `200`)");
          break;
        case RuleKind::Multiply: CheckExpr(*rule.first); break;
        case RuleKind::Expire:
        case RuleKind::Notice:
        case RuleKind::KeepTier: LoyaltyLength(*rule.first); break;
        case RuleKind::Value:
          literal(*rule.first, ExprKind::Money,
                  "computed values of a point (write `0.005 EUR`)");
          break;
        default: break;
      }
      if (rule.kind == RuleKind::Tier) LoyaltyLength(*rule.second);
      if (rule.kind == RuleKind::EarnOn && rule.second) {
        LoyaltyLength(*rule.second);
      }
    }
  }

  void LoyaltyLength(const Expr& length) {
    if (length.kind == ExprKind::Duration) return;
    if (length.kind == ExprKind::Calendar) return;
    Report(length.span,
           "computed lengths in loyalty rules (write `30d` or `24 months`)");
  }

  void CheckType(const sema::Type& type, const diag::Span& span,
                 const char* where) {
    static const TypeKind kRunnable[] = {
        TypeKind::Bool,    TypeKind::Int,      TypeKind::Decimal,
        TypeKind::Money,   TypeKind::Duration, TypeKind::Time,
        TypeKind::String,  TypeKind::Tz,       TypeKind::Enum,
        TypeKind::Channel, TypeKind::Date};
    for (TypeKind kind : kRunnable) {
      if (type.kind == kind) return;
    }
    Report(span, std::string("values of type `") + sema::Spell(type, program_) +
                     "` in " + where);
  }

  // An event's `list<T>` field runs when T is a value type that runs, or
  // a record of such values: the engines keep the list's text and its
  // length.
  void CheckListField(const sema::FieldDecl& field) {
    const diag::Span& span = field.decl->type.span;
    const sema::Type& item = *field.type.element;
    if (item.kind != TypeKind::Record) {
      return CheckType(item, span, "a list field's items");
    }
    for (const sema::FieldDecl& member : program_.records[item.id].fields) {
      CheckType(member.type, span, "a list field's records");
    }
  }

  // A profile's `list<T>` attribute runs when T is a value type that
  // runs: identify traits fill it, and it is read as an event's list is.
  // It starts empty (the checker allows no list default).
  void CheckListAttribute(const sema::FieldDecl& field) {
    const diag::Span& span = field.decl->type.span;
    const sema::Type& item = *field.type.element;
    if (item.kind == TypeKind::Record) {
      return Report(span, "lists of records in a profile attribute");
    }
    CheckType(item, span, "a list attribute's items");
  }

  // `x.items.count`, where `x.items` is a stored list (`IsStoredList`).
  bool IsListCount(const Expr& expr) const {
    const sema::ExprInfo& info = program_.Info(expr);
    if (info.ref != sema::RefKind::RecordField || info.index != -1) {
      return false;
    }
    return IsStoredList(*expr.operands[0]);
  }

  // A `list<T>` field of a trigger's or received event's alias, or a
  // list attribute of the profile: the engines hold its text and length.
  bool IsStoredList(const Expr& expr) const {
    const sema::ExprInfo& info = program_.Info(expr);
    return expr.kind == ExprKind::Field && info.type.kind == TypeKind::List &&
           (info.ref == sema::RefKind::EventField ||
            info.ref == sema::RefKind::LocalField ||
            info.ref == sema::RefKind::ProfileField);
  }

  void CheckExpr(const Expr& expr) {
    const sema::ExprInfo& info = program_.Info(expr);
    if (info.type.kind == TypeKind::List && expr.kind == ExprKind::Field) {
      return Report(expr.span,
                    "lists other than a list field of the trigger or of a "
                    "received event or a list attribute, read by `.count` "
                    "or `in`, or put in a message or webhook payload");
    }
    switch (expr.kind) {
      case ExprKind::Calendar:
        return Report(expr.span, "calendar lengths in expressions");
      case ExprKind::Clock:
        return Report(expr.span, "times of day in expressions");
      case ExprKind::In: return CheckIn(expr);
      case ExprKind::List: return Report(expr.span, "lists");
      case ExprKind::Record: return Report(expr.span, "record literals");
      case ExprKind::Name: return;  // enum and channel values run too
      case ExprKind::Field:
        if (info.ref != sema::RefKind::RecordField) return;
        if (IsListCount(expr)) return;
        if (info.index == -1) {
          return Report(expr.span,
                        "`.count` of lists other than a list field of the "
                        "trigger or a received event or a list attribute");
        }
        if (!IsLastField(expr)) {
          return Report(expr.span,
                        "fields of records, lists and events "
                        "other than the trigger's and `last(E)`'s");
        }
        return CheckExpr(*expr.operands[0]);
      case ExprKind::Call: return CheckCall(expr, info);
      case ExprKind::Binary:
        if (IsCalendarShift(expr)) return CheckCalendarShift(expr);
        break;
      default: break;
    }
    for (const auto& operand : expr.operands) CheckExpr(*operand);
  }

  // `t + 1 month`, `1 month + t`, `d - 1 year`: a calendar length written
  // as a literal, added to or taken from a time or a date.
  bool IsCalendarShift(const Expr& expr) const {
    bool additive = expr.binary_op == syntax::BinaryOp::Add ||
                    expr.binary_op == syntax::BinaryOp::Subtract;
    return additive && (expr.operands[0]->kind == ExprKind::Calendar ||
                        expr.operands[1]->kind == ExprKind::Calendar);
  }

  // A segment flips with no event at the instants its comparisons with
  // the clock cross (compiler/ir/crossings.h); `now - 3 months` moves
  // by whole months, in jumps at month ends, which those instants do not
  // follow.
  void CheckCalendarShift(const Expr& expr) {
    bool length_first = expr.operands[0]->kind == ExprKind::Calendar;
    const Expr& value = *expr.operands[length_first ? 1 : 0];
    if (in_segment_ && ReadsNow(value)) {
      return Report(expr.span,
                    "calendar lengths added to or taken from `now` in a "
                    "segment (compare `x + 3 months < now`, which flips at "
                    "its exact instant, or write `90d`)");
    }
    CheckExpr(value);
  }

  // `now` is a reserved name (not every part of an expression has its
  // own checked information: `profile` of `profile.x` has none).
  bool ReadsNow(const Expr& expr) const {
    if (expr.kind == ExprKind::Name && expr.text == "now") return true;
    for (const auto& operand : expr.operands) {
      if (ReadsNow(*operand)) return true;
    }
    for (const syntax::Argument& argument : expr.arguments) {
      if (ReadsNow(*argument.value)) return true;
    }
    return false;
  }

  // `in` runs against a list written out in place, which lowers to one
  // comparison per item, and against a list field of strings or ints of
  // the trigger or a received event, looked up in its text.
  void CheckIn(const Expr& expr) {
    const Expr& list = *expr.operands[1];
    if (list.kind != ExprKind::List) {
      if (!IsStoredList(list)) {
        return Report(list.span,
                      "`in` tests against a list that is neither written "
                      "out nor a list field of the trigger or of a "
                      "received event nor a list attribute");
      }
      const sema::Type& element = *program_.Info(list).type.element;
      TypeKind item = program_.Info(*expr.operands[0]).type.kind;
      if (element.kind != TypeKind::String && element.kind != TypeKind::Int) {
        return Report(list.span,
                      "`in` tests against a list field of items other than "
                      "strings and ints");
      }
      if (item != element.kind) {
        return Report(expr.span,
                      "`in` tests of a number against a list field of "
                      "another number type");
      }
      return CheckExpr(*expr.operands[0]);
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
  // `last(E)`, and `days_since` of a date (counted in local days); hours
  // of a date would need to say which hour of it counts. `distance_km` and
  // `travel_kmh` run on whatever their arguments are.
  void CheckSince(const Expr& expr) {
    bool since = expr.text == "days_since" || expr.text == "hours_since" ||
                 expr.text == "minutes_since";
    if (expr.text == "distance_km" || expr.text == "travel_kmh") {
      for (const syntax::Argument& argument : expr.arguments) {
        CheckExpr(*argument.value);
      }
      return;
    }
    if (!since) return Report(expr.span, "`" + expr.text + "` calls");
    const Expr& argument = *expr.arguments[0].value;
    bool date = program_.Info(argument).type.kind == TypeKind::Date;
    if (date && expr.text != "days_since") {
      return Report(expr.span, "`hours_since` and `minutes_since` of a date");
    }
    CheckExpr(argument);
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
    // `consent(sms)`, or of a channel held in a value
    // (`consent(profile.preferred)`), which the lowering compares with
    // each channel in turn.
    if (info.ref == sema::RefKind::Builtin && expr.text == "consent") {
      return CheckExpr(*expr.arguments[0].value);
    }
    bool loyalty = expr.text == "balance" || expr.text == "tier" ||
                   expr.text == "redeemed_share";
    if (info.ref == sema::RefKind::Builtin && loyalty) return;
    if (info.ref == sema::RefKind::Builtin) return CheckSince(expr);
    if (info.ref != sema::RefKind::Aggregate) return;
    const sema::AggregateInfo& aggregate = program_.aggregates[info.index];
    if (aggregate.kind == sema::AggregateKind::Values) {
      return Report(expr.span, "`values` lists");
    }
  }

  void CheckPolicy(const syntax::PolicyDecl& policy) {
    using RuleKind = syntax::PolicyRule::Kind;
    for (const syntax::PolicyRule& rule : policy.rules) {
      sema::RefKind preferred = rule.kind == RuleKind::Prefer
                                    ? program_.Info(*rule.value).ref
                                    : sema::RefKind::ProfileField;
      if (preferred != sema::RefKind::ProfileField &&
          preferred != sema::RefKind::ChannelValue) {
        Report(rule.span,
               "`prefer` rules that name neither a profile attribute nor a "
               "channel");
      }
      if (rule.kind == RuleKind::Cap) {
        CheckExpr(*rule.value);
        if (rule.condition) CheckExpr(*rule.condition);
        if (rule.reserved) CheckExpr(*rule.reserved);
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
                  trigger.kind == syntax::Trigger::Kind::Left ||
                  trigger.kind == syntax::Trigger::Kind::Schedule ||
                  trigger.kind == syntax::Trigger::Kind::Date ||
                  trigger.kind == syntax::Trigger::Kind::PointsCrossing;
      if (!runs) {
        Report(trigger.span,
               "triggers other than `on EVENT`, `on entered(...)`, `on "
               "left(...)`, `on date ...`, `every ...` and `on points "
               "crossing N`");
      }
      if (trigger.kind == syntax::Trigger::Kind::Date) {
        CheckExpr(*trigger.expr);
      }
      bool crossing = trigger.kind == syntax::Trigger::Kind::PointsCrossing;
      if (crossing && trigger.expr->kind != ExprKind::Int) {
        Report(trigger.expr->span,
               "computed thresholds in `on points crossing` (write `1000`)");
      }
      if (crossing && program_.programs.size() > 1) {
        Report(trigger.span,
               "`on points crossing` triggers in a program with more than "
               "one loyalty program");
      }
      if (trigger.where) CheckExpr(*trigger.where);
    }
    for (const syntax::ExitRule& exit : journey.exits) {
      if (exit.condition) CheckExpr(*exit.condition);
    }
    if (journey.reentry_after) CheckLength(*journey.reentry_after);
    if (journey.holdout && journey.holdout->kind != ExprKind::Percent) {
      Report(journey.holdout->span, "holdouts other than a percentage");
    }
    for (const auto& goal : journey.goals) {
      if (goal.within) CheckLength(*goal.within);
    }
    CheckSteps(journey.steps);
  }

  // Lengths written as a literal: a duration (`3d`), or a calendar length
  // (`1 month`) that the engine counts on the recipient's calendar.
  void CheckLength(const Expr& length) {
    bool literal =
        length.kind == ExprKind::Duration || length.kind == ExprKind::Calendar;
    if (!literal) {
      Report(length.span, "lengths other than a literal such as `3d`");
    }
  }

  // A value written to a payload, the profile or an emitted event. Text
  // takes two words, which a computed value cannot return yet; computed
  // money runs as two functions, its amount and its currency.
  void CheckValue(const Expr& value, bool lists_whole) {
    // A stored list goes whole into a message or webhook payload, or into
    // an emitted event's list field, as it came.
    if (lists_whole && IsStoredList(value)) return;
    CheckExpr(value);
    TypeKind kind = program_.Info(value).type.kind;
    bool two_words = kind == TypeKind::String || kind == TypeKind::Tz ||
                     kind == TypeKind::Channel;
    sema::RefKind ref = program_.Info(value).ref;
    // A channel written by name (`sms`) is a literal.
    bool literal = value.kind == ExprKind::String ||
                   value.kind == ExprKind::Money ||
                   ref == sema::RefKind::ChannelValue;
    if (!two_words || literal) return;
    bool stored = ref == sema::RefKind::ProfileField ||
                  ref == sema::RefKind::EventField ||
                  ref == sema::RefKind::LocalField ||
                  ref == sema::RefKind::Aggregate;
    if (!stored) {
      Report(value.span,
             "computed text and channel values in payloads, `set` and "
             "`emit` (use a literal or a stored value)");
    }
  }

  void CheckRecordValues(const Expr& record, const char* what,
                         bool lists_whole) {
    if (record.kind != ExprKind::Record) {
      return Report(record.span, what);
    }
    for (const auto& value : record.operands) CheckValue(*value, lists_whole);
  }

  void CheckSteps(const std::vector<syntax::Step>& steps) {
    for (const syntax::Step& step : steps) CheckStep(step);
  }

  void CheckStep(const syntax::Step& step) {
    switch (step.kind) {
      case syntax::StepKind::Wait:
        // A computed length runs as a function, with a function's limits.
        if (step.expr->kind != ExprKind::Duration &&
            step.expr->kind != ExprKind::Calendar) {
          CheckExpr(*step.expr);
        }
        return;
      case syntax::StepKind::WaitUntil: return;
      case syntax::StepKind::If:
        CheckExpr(*step.expr);
        CheckSteps(step.then_steps);
        CheckSteps(step.else_steps);
        return;
      case syntax::StepKind::WaitFor: return CheckWaitFor(step);
      case syntax::StepKind::Split:
        for (const syntax::SplitArm& arm : step.arms) CheckSteps(arm.steps);
        return;
      case syntax::StepKind::Send:
        if (step.payload) {
          CheckRecordValues(*step.payload,
                            "message payloads other than a record literal",
                            true);
        }
        return;
      case syntax::StepKind::Webhook:
        if (step.payload) {
          CheckRecordValues(*step.payload,
                            "webhook payloads other than a record literal",
                            true);
        }
        return;
      case syntax::StepKind::Set:
        // A list attribute takes a stored list whole, text and length.
        if (IsStoredList(*step.expr)) return;
        CheckValue(*step.expr, false);
        return;
      case syntax::StepKind::Emit:
        if (step.record) {
          CheckRecordValues(*step.record, "emitted events", true);
        }
        return;
      case syntax::StepKind::Task:
      case syntax::StepKind::Freeze:
      case syntax::StepKind::SecondFactor:
      case syntax::StepKind::Exit: return;
      case syntax::StepKind::Award:
        CheckExpr(*step.expr);
        if (program_.programs.size() > 1) {
          Report(step.span,
                 "`award` steps in a program with more than one loyalty "
                 "program");
        }
        return;
    }
  }

  void CheckWaitFor(const syntax::Step& step) {
    CheckLength(*step.expr);
    if (step.condition) CheckExpr(*step.condition);
    // An instance keeps one received event; a `wait for ... as` inside the
    // block of another would need two.
    bool nested = step.alias && inside_arrived_block_;
    if (nested) {
      Report(step.span,
             "`wait for ... as` steps inside the block of another `wait for "
             "... as`");
    }
    bool saved = inside_arrived_block_;
    if (step.alias) inside_arrived_block_ = true;
    CheckSteps(step.then_steps);
    inside_arrived_block_ = saved;
    CheckSteps(step.else_steps);
  }

  bool inside_arrived_block_ = false;
  void CheckTest(const syntax::TestDecl& test) {
    using StatementKind = syntax::TestStatement::Kind;
    for (const syntax::TestStatement& statement : test.statements) {
      if (statement.kind == StatementKind::ExpectLoyalty) {
        CheckExpectLoyalty(statement);
      }
      if (statement.record) CheckTestRecord(*statement.record);
    }
  }

  // `expect points 120`, `expect tier Gold`: about the only program (the
  // checker refuses them without exactly one, as E0293).
  void CheckExpectLoyalty(const syntax::TestStatement& statement) {
    const Expr& value = *statement.value;
    bool points = statement.what.text == "points";
    bool literal = points ? IsTestLiteral(value) : value.kind == ExprKind::Name;
    if (!literal) Report(value.span, "computed values in `expect`");
  }

  // Test records become input lines, so each value must be written out.
  void CheckTestRecord(const Expr& record) {
    for (size_t i = 0; i < record.fields.size(); ++i) {
      const Expr& value = *record.operands[i];
      if (record.fields[i].text == "consent") continue;
      if (!IsTestLiteral(value)) {
        Report(value.span, "computed values in test records");
      }
    }
  }

  bool IsTestLiteral(const Expr& value) const {
    switch (value.kind) {
      case ExprKind::Name: {
        // An enum value or a channel, written by name (`Gold`, `email`).
        sema::RefKind ref = program_.Info(value).ref;
        return ref == sema::RefKind::EnumValue ||
               ref == sema::RefKind::ChannelValue;
      }
      case ExprKind::Int:
      case ExprKind::Decimal:
      case ExprKind::Money:
      case ExprKind::Duration:
      case ExprKind::Timestamp:
      case ExprKind::String:
      case ExprKind::Bool:
      case ExprKind::None: return true;
      // A list or record in a test event (`items: [{ sku: "a" }]`) is
      // written out into the input line.
      case ExprKind::List:
      case ExprKind::Record:
        for (const auto& operand : value.operands) {
          if (!IsTestLiteral(*operand)) return false;
        }
        return true;
      case ExprKind::Unary: {
        const Expr& operand = *value.operands[0];
        bool number = operand.kind == ExprKind::Int ||
                      operand.kind == ExprKind::Decimal ||
                      operand.kind == ExprKind::Money ||
                      operand.kind == ExprKind::Duration;
        return value.unary_op == syntax::UnaryOp::Negate && number;
      }
      default: return false;
    }
  }

  const sema::CheckedProgram& program_;
  diag::DiagnosticEngine& diagnostics_;
  bool with_tests_;
  int reported_ = 0;
  // Whether the expression being checked is a segment's condition.
  bool in_segment_ = false;
};

}  // namespace

bool CheckRunnable(const sema::CheckedProgram& program,
                   diag::DiagnosticEngine& diagnostics, bool with_tests) {
  return RunnabilityCheck(program, diagnostics, with_tests).Run();
}

}  // namespace parcours::lower
