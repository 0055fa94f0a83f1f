// Internal to compiler/sema: the checker shared by its source files, one
// file per kind of declaration.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/sema/checked.h"

namespace parcours::sema {

std::string Quote(const std::string& code);

// A share in units of a millionth of a percent, exactly: "33.333334%".
std::string SpellPercent(int64_t millionths);

// "; did you mean `x`?" when a candidate is close, otherwise "".
std::string Suggest(const std::string& name,
                    const std::vector<std::string>& candidates);

bool Contains(const std::vector<std::string>& names, const std::string& name);

// What names an expression may use, which depends on where it stands.
struct Scope {
  // The trigger event's alias, if any, and which record it reads.
  std::string alias;
  int32_t alias_event = -1;
  RefKind alias_ref = RefKind::None;
  // A second record readable under its own alias next to the first:
  // - in a `wait for` filter, the record the instance's locals hold (the
  //   trigger's, or the event a surrounding block received), next to the
  //   awaited event's own: a view of the same product as the cart reads
  //   `v.sku == cart.sku` (`LocalField`);
  // - in the block run when an aliased `wait for` event came, whose
  //   locals then hold that event, the trigger's record, which the engine
  //   hands in as the event being handled (`EventField`): a thank-you for
  //   the order reads what was in the cart.
  std::string second_alias;
  int32_t second_alias_event = -1;
  RefKind second_alias_ref = RefKind::None;
  // The trigger's alias where it cannot be read (the filter of a `wait
  // for` inside a received block, an exit condition), named by the
  // unknown-name error, and why it cannot be read there.
  std::string unreadable_alias;
  std::string unreadable_why;
  // In the filter of an `exit on E` without an alias, E: its name read as
  // a value is told how to read the event that came.
  int32_t unaliased_exit_event = -1;
  // Aliases of events that are unknown (a misspelt `on OrderPlacd as o`):
  // the event's own error says what is wrong, so their uses are not
  // reported again as unknown names.
  std::vector<std::string> dead_aliases;
  // Segment predicates may not read other segments: their order of
  // evaluation would matter.
  bool allow_segments = true;
  // Aggregates need a profile's history; policy and test values have none.
  bool allow_aggregates = true;
};

class Checker {
 public:
  explicit Checker(diag::DiagnosticEngine& diagnostics)
      : diagnostics_(diagnostics) {}

  CheckedProgram Run(std::vector<syntax::Module> modules);

 private:
  // ---- declarations.cpp ---------------------------------------------------
  void CheckImports();
  bool Claim(std::map<std::string, diag::Span>& table, const syntax::Name& name,
             const char* what);
  void DeclareTypes(const syntax::Declaration& declaration);
  void Declare(const syntax::Declaration& declaration);
  // The events a loyalty program emits, unless the program declares them
  // itself (docs/loyalty.md, "Events").
  void DeclareLoyaltyEvents();
  void DeclareFields(const std::vector<syntax::Attribute>& attributes,
                     std::vector<FieldDecl>& fields, const char* what,
                     bool allow_defaults);
  std::optional<Type> ResolveType(const syntax::TypeRef& type,
                                  const std::string& owner);
  void Define(const syntax::Declaration& declaration);
  void CheckDefault(const syntax::Attribute& attribute, const FieldDecl& field);
  int32_t ResolveEvent(const syntax::Name& name);
  // Declared events, segments and profile attributes go through these, so
  // that the Find functions below look them up by name in constant time
  // (a linear search made checking quadratic in the size of a program).
  void AddEvent(EventInfo event);
  void AddSegment(SegmentInfo segment);
  void AddProfileField(FieldDecl field);
  int32_t FindEvent(const std::string& name) const;
  int32_t FindSegment(const std::string& name) const;
  int32_t FindProfileIndex(const std::string& name) const;
  const FieldDecl* FindProfileField(const std::string& name) const;
  bool ProfileHasTimeZone() const;
  // A string literal given where a time zone goes must name a zone of the
  // tz database: a typo would otherwise run every local time in UTC.
  void CheckZoneName(const syntax::Expr& value);
  // Whether `value` is a string written as a date, "YYYY-MM-DD", and so
  // stands for one where a date goes; one of that shape that is no day of
  // the calendar ("1990-02-30") is reported here and still counts, so that
  // it is not also called a string.
  bool CheckDateText(const syntax::Expr& value);

  // ---- expressions.cpp ----------------------------------------------------
  Type CheckExpr(const syntax::Expr& expr, const Scope& scope,
                 const Type* expected = nullptr);
  Type Record(const syntax::Expr& expr, Type type, RefKind ref = RefKind::None,
              int32_t index = -1);
  Type CheckMoneyLiteral(const syntax::Expr& expr);
  Type CheckName(const syntax::Expr& expr, const Scope& scope,
                 const Type* expected);
  std::optional<Type> ResolveBareValue(const syntax::Expr& expr,
                                       const Type* expected);
  // Reports `expr`, a name where a value of `info` goes, as none of its
  // values, listing them; gives the error type.
  Type NotEnumValue(const syntax::Expr& expr, const EnumInfo& info);
  Type CheckField(const syntax::Expr& expr, const Scope& scope);
  // `alias.field`, where the alias names a record of event `event_index`.
  Type CheckAliasField(const syntax::Expr& expr, int32_t event_index,
                       RefKind ref);
  Type FieldOf(const syntax::Expr& expr, const Type& object);
  Type CheckCall(const syntax::Expr& expr, const Scope& scope);
  Type CheckAggregate(const syntax::Expr& expr, const Scope& scope);
  Type CheckBuiltin(const syntax::Expr& expr, const Scope& scope);
  Type RecordAggregate(const syntax::Expr& expr, AggregateInfo aggregate);
  Type CheckUnary(const syntax::Expr& expr, const Scope& scope);
  Type CheckBinary(const syntax::Expr& expr, const Scope& scope);
  Type CheckLogical(const syntax::Expr& expr, const Type& left,
                    const Type& right);
  Type CheckComparison(const syntax::Expr& expr, const Type& left,
                       const Type& right);
  Type CheckArithmetic(const syntax::Expr& expr, const Type& left,
                       const Type& right);
  Type CheckIn(const syntax::Expr& expr, const Scope& scope);
  Type CheckList(const syntax::Expr& expr, const Scope& scope,
                 const Type* expected);
  Type CheckRecordLiteral(const syntax::Expr& expr, const Scope& scope);
  void CheckRecordFields(const syntax::Expr& record,
                         const std::vector<FieldDecl>& fields,
                         const std::string& owner, const Scope& scope,
                         bool require_all,
                         const std::vector<std::string>& extra = {});
  void CheckWindow(const syntax::Window& window);
  // Checks `value` for a slot of type `expected`, looking into record and
  // list literals.
  void CheckValue(const syntax::Expr& value, const Type& expected,
                  const Scope& scope, const std::string& what);

  // Reports unless `type` is `expected` (an int is accepted for a decimal).
  // Returns whether it is.
  bool Expect(const syntax::Expr& expr, const Type& type, const Type& expected,
              const std::string& what);
  bool ExpectBool(const syntax::Expr& expr, const Type& type,
                  const std::string& what);
  // A duration literal or a calendar length; reports otherwise. With
  // `allow_computed`, any expression of type duration too.
  bool ExpectLength(const syntax::Expr& expr, const Scope& scope,
                    const std::string& what, bool allow_calendar = true,
                    bool allow_computed = false);
  bool ExpectPercent(const syntax::Expr& expr, const Scope& scope,
                     const std::string& what);
  bool Assignable(const Type& value, const Type& target) const;
  std::string SpellType(const Type& type) const {
    return Spell(type, program_);
  }

  // ---- journeys.cpp -------------------------------------------------------
  void CheckJourney(const syntax::JourneyDecl& journey);
  void CheckTrigger(const syntax::Trigger& trigger, JourneyInfo& info,
                    Scope& step_scope);
  void CheckExits(const syntax::JourneyDecl& journey, JourneyInfo& info);
  void CheckJourneyRules(const syntax::JourneyDecl& journey, JourneyInfo& info);
  void CheckSteps(const std::vector<syntax::Step>& steps, const Scope& scope,
                  std::map<std::string, diag::Span>& labels);
  void CheckStep(const syntax::Step& step, const Scope& scope,
                 std::map<std::string, diag::Span>& labels);
  void CheckSend(const syntax::Step& step, const Scope& scope);
  // E0271 for a name of blanks only, W0324 for invisible or control
  // characters in it.
  void CheckTemplateName(const syntax::Step& step);
  void CheckSplit(const syntax::Step& step, const Scope& scope,
                  std::map<std::string, diag::Span>& labels);
  void CheckActionStep(const syntax::Step& step, const Scope& scope);
  void CheckChannelName(const syntax::Name& channel);
  void CheckCategoryName(const syntax::Name& category);
  void CheckPriorityName(const syntax::Name& priority);
  void CheckLocalTime(bool local, const diag::Span& span, const char* what);
  // A length in calendar units (`1 month`) counts on the recipient's
  // calendar, so it needs a time zone as a local time does.
  void CheckCalendarLength(const syntax::Expr& length, const char* what);

  // ---- rules.cpp ----------------------------------------------------------
  void CheckPolicy(const syntax::PolicyDecl& policy);
  void CheckCap(const syntax::PolicyRule& rule, const Scope& scope);
  void CheckReserve(const syntax::PolicyRule& rule, const Scope& scope,
                    std::optional<int64_t> limit);
  Type ExpectMessageCount(const syntax::Expr& expr, const Scope& scope,
                          const std::string& what);
  void CheckQuiet(const syntax::PolicyRule& rule);
  void LintDeferredAtMidnight(const syntax::PolicyDecl& policy);
  void CheckProgram(const syntax::ProgramDecl& program);
  // E0296: a rule a program holds once (`refund`, `expire`, ...) twice.
  void CheckRepeatedProgramRules(const syntax::ProgramDecl& program);
  void CheckProgramRule(const syntax::ProgramRule& rule, ProgramInfo& info,
                        std::vector<std::pair<int64_t, diag::Span>>& tiers);
  void CheckTest(const syntax::TestDecl& test);
  void CheckTestStatement(const syntax::TestStatement& statement);
  // W0326 and W0327: a `given` below an `at`, and a `consent: []`, which
  // both do less than their author expects.
  void LintTestInputs(const syntax::TestDecl& test);
  // W0327 for `statement`'s `consent: []`, if it has one; the advice
  // revokes one of `granted` at `when`, the test's time near it, for
  // `profile` when the statement is about another than the first given.
  void LintEmptyConsent(const syntax::TestStatement& statement,
                        const std::vector<std::string>& granted,
                        std::optional<int64_t> when,
                        const std::optional<std::string>& profile);
  void CheckExpectedProgram(const syntax::TestStatement& statement);
  std::optional<int64_t> ConstantInt(const syntax::Expr& expr) const;

  // ---- lints.cpp ----------------------------------------------------------
  void LintJourney(const syntax::JourneyDecl& journey, const JourneyInfo& info);
  void LintWindow(const syntax::Window& window);
  // The channels a contact gave consent for when it enters `journey`: its
  // trigger's filter, or the segment `on entered(s)` enters, holds
  // `consent(c)` (alone or joined by `and`).
  std::vector<std::string> TriggerConsent(
      const syntax::JourneyDecl& journey) const;
  void LintConsent(const std::vector<syntax::Step>& steps,
                   std::vector<std::string>& consented);
  void LintNegativeWaits(const std::vector<syntax::Step>& steps);
  // W0323 for `length`, a literal duration of zero; `effect` says what it
  // does.
  void WarnZeroLength(const syntax::Expr* length, const std::string& effect);
  std::optional<int64_t> LintPreemptedWaits(
      const std::vector<syntax::Step>& steps,
      const syntax::JourneyDecl& journey, bool sends_wait,
      std::optional<int64_t> reached);
  void LintTemplates(const std::vector<syntax::Step>& steps,
                     std::map<std::string, diag::Span>& seen);
  std::optional<bool> ConstantBool(const syntax::Expr& expr) const;

  void Error(diag::Kind kind, const diag::Span& span, std::string message,
             std::vector<diag::Note> notes = {}) {
    diagnostics_.Report(kind, span, std::move(message), std::move(notes));
  }

  diag::DiagnosticEngine& diagnostics_;
  CheckedProgram program_;
  // The aliases of the current journey's `wait for ... as x`, which name
  // the received event inside the first block only: read elsewhere, the
  // unknown-name error says where they can be read.
  std::set<std::string> block_aliases_;
  std::map<std::string, diag::Span> type_names_;
  std::map<std::string, diag::Span> event_names_;
  std::map<std::string, diag::Span> profile_names_;
  std::map<std::string, diag::Span> event_wire_names_;
  std::map<std::string, diag::Span> profile_wire_names_;
  std::map<std::string, diag::Span> test_titles_;
  // By template name, the channels some journey sends it on; filled on the
  // first test, once every module's journeys are parsed.
  std::optional<std::map<std::string, std::vector<std::string>>>
      sent_templates_;
  void CollectSentTemplates(const std::vector<syntax::Step>& steps,
                            const std::vector<std::string>& fallback_channels);
  std::vector<std::string> FallbackChannels(
      const syntax::JourneyDecl& journey) const;
  // `expect` naming a profile the test never gives, or a template no
  // journey sends on that channel: such a test passes on a typo.
  void LintTestNames(const syntax::TestDecl& test);
  // `expect task`, `webhook`, ... naming what no journey does.
  void LintExpectedAction(const syntax::TestStatement& statement);
  // Of every journey step that is an action other than a message: by its
  // action line's kind, the names that tell one from another (a task's
  // summary, a webhook's name, an event's name); filled with
  // `sent_templates_`.
  std::map<std::string, std::vector<std::string>> done_actions_;
  void CollectDoneAction(const syntax::Step& step);
  void CheckTaskSystem(const syntax::Name& system);
  std::map<std::string, diag::Span> global_names_;
  // Indexes into `program_`'s events, segments and profile by name (the
  // first declared, when a name is declared twice).
  std::unordered_map<std::string, int32_t> event_index_;
  std::unordered_map<std::string, int32_t> segment_index_;
  std::unordered_map<std::string, int32_t> profile_index_;
  // Index into `program_.aggregates` of each distinct aggregate: its kind,
  // event, field and window (kind, then far and near lengths).
  using AggregateKey =
      std::tuple<AggregateKind, int32_t, int32_t, syntax::Window::Kind, int64_t,
                 std::optional<syntax::CalendarUnit>, int64_t,
                 std::optional<syntax::CalendarUnit>>;
  std::map<AggregateKey, int32_t> aggregate_index_;
};

}  // namespace parcours::sema
