// Pressure policies, loyalty programs and test blocks.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <variant>

#include "compiler/ir/dates.h"
#include "compiler/sema/checker.h"

namespace parcours::sema {

using diag::Kind;
using syntax::Expr;

namespace {

const Type kInt = MakeType(TypeKind::Int);
const Type kMoney = MakeType(TypeKind::Money);

// The first character of a test's title that would break or garble the
// one line `parcours test` prints for it, named as a reader knows it
// ("a line break (`\n`)", "the control character U+001B"); "" when the
// title has none. Controls are C0, DEL and C1, and the Unicode line and
// paragraph separators.
std::string LineBreakerIn(std::string_view title) {
  for (size_t i = 0; i < title.size(); ++i) {
    auto byte = static_cast<unsigned char>(title[i]);
    auto next =
        i + 1 < title.size() ? static_cast<unsigned char>(title[i + 1]) : 0;
    uint32_t code = 0;
    if (byte < 0x20 || byte == 0x7F) {
      code = byte;
    } else if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {
      code = next;
    } else if (title.substr(i).starts_with("\xe2\x80\xa8")) {
      return "a line separator (U+2028)";
    } else if (title.substr(i).starts_with("\xe2\x80\xa9")) {
      return "a paragraph separator (U+2029)";
    } else {
      continue;
    }
    if (code == '\n') return "a line break (`\\n`)";
    if (code == '\r') return "a carriage return (`\\r`)";
    if (code == '\t') return "a tab (`\\t`)";
    char text[48];
    std::snprintf(text, sizeof text, "the control character U+%04X",
                  static_cast<unsigned>(code));
    return text;
  }
  return "";
}

}  // namespace

std::optional<int64_t> Checker::ConstantInt(const Expr& expr) const {
  if (expr.kind == syntax::ExprKind::Int) return expr.int_value;
  if (expr.kind == syntax::ExprKind::Unary &&
      expr.unary_op == syntax::UnaryOp::Negate &&
      expr.operands[0]->kind == syntax::ExprKind::Int) {
    return -expr.operands[0]->int_value;
  }
  return std::nullopt;
}

// ---- Policies -------------------------------------------------------------

void Checker::CheckPolicy(const syntax::PolicyDecl& policy) {
  Scope scope;
  scope.allow_aggregates = false;
  int capped_rules = 0;
  for (const syntax::PolicyRule& rule : policy.rules) {
    using RuleKind = syntax::PolicyRule::Kind;
    switch (rule.kind) {
      case RuleKind::Cap: CheckCap(rule, scope); break;
      case RuleKind::Priority:
        for (const syntax::Name& channel : rule.names) {
          CheckChannelName(channel);
        }
        break;
      case RuleKind::Prefer: {
        Type channel = MakeType(TypeKind::Channel, true);
        Type type = CheckExpr(*rule.value, scope, &channel);
        Expect(*rule.value, type, channel, "`prefer`");
        break;
      }
      case RuleKind::Quiet: CheckQuiet(rule); break;
      case RuleKind::Exempt:
        for (const syntax::Name& category : rule.names) {
          CheckCategoryName(category);
        }
        break;
      case RuleKind::Capped: {
        static const std::vector<std::string> kActions = {"defer", "drop",
                                                          "fallback"};
        if (!Contains(kActions, rule.action.text)) {
          Error(Kind::UnknownCappedAction, rule.action.span,
                "`when capped` takes drop, defer or fallback, not " +
                    Quote(rule.action.text) +
                    Suggest(rule.action.text, kActions));
        }
        if (rule.value) {
          if (rule.action.text != "defer") {
            Error(Kind::WithinNotDefer, rule.value->span,
                  "only `defer` takes a `within` limit");
          } else {
            ExpectLength(*rule.value, scope, "`defer within`");
          }
        }
        if (++capped_rules == 2) {
          Error(Kind::DuplicateCappedRule, rule.span,
                "a policy has one `when capped` rule");
        }
        break;
      }
    }
  }
  LintDeferredAtMidnight(policy);
}

namespace {

// Whether quiet hours hold back a message released at the local midnight
// that opens a calendar `period` (`day`, `week` or `month`): a daily
// range must contain 00:00 (its start is inside, its end is not); a
// weekly range holds only on some days, so it covers the opening of a
// week when it contains Monday 00:00, and never every day or month.
bool QuietAtOpening(const syntax::PolicyRule& quiet,
                    const std::string& period) {
  constexpr int64_t kDay = 24 * 3600;
  if (!quiet.from.day || !quiet.to.day) {
    int64_t from = quiet.from.seconds;
    int64_t to = quiet.to.seconds;
    return from == 0 || from == to || (from > to && to > 0);
  }
  if (period != "week") return false;
  auto in_week = [&](const syntax::TimeOfWeek& time) {
    const auto& days = Weekdays();
    auto day = std::find(days.begin(), days.end(), time.day->text);
    return (day - days.begin()) * kDay + time.seconds;
  };
  int64_t from = in_week(quiet.from);
  int64_t to = in_week(quiet.to);
  return from == 0 || from == to || (from > to && to > 0);
}

}  // namespace

// A calendar cap frees its next slot at 00:00 local, and `defer` releases
// what it held back at the next opening: at midnight in the recipient's
// zone, unless quiet hours on all of the cap's channels hold then.
void Checker::LintDeferredAtMidnight(const syntax::PolicyDecl& policy) {
  using RuleKind = syntax::PolicyRule::Kind;
  bool defers = std::any_of(policy.rules.begin(), policy.rules.end(),
                            [](const syntax::PolicyRule& rule) {
                              return rule.kind == RuleKind::Capped &&
                                     rule.action.text == "defer";
                            });
  if (!defers) return;

  for (const syntax::PolicyRule& rule : policy.rules) {
    bool calendar = rule.period.text == "day" || rule.period.text == "week" ||
                    rule.period.text == "month";
    if (rule.kind != RuleKind::Cap || !calendar) continue;

    // The channels the cap counts whose midnight no quiet rule holds.
    std::vector<std::string> open;
    if (rule.names.empty()) {
      open = KnownChannels();
    } else {
      for (const syntax::Name& channel : rule.names) {
        open.push_back(channel.text);
      }
    }
    bool any_quiet = false;
    for (const syntax::PolicyRule& quiet : policy.rules) {
      if (quiet.kind != RuleKind::Quiet) continue;
      any_quiet = true;
      if (!QuietAtOpening(quiet, rule.period.text)) continue;
      std::erase_if(open, [&](const std::string& channel) {
        return quiet.names.empty() ||
               std::any_of(quiet.names.begin(), quiet.names.end(),
                           [&](const syntax::Name& quiet_channel) {
                             return quiet_channel.text == channel;
                           });
      });
    }
    if (open.empty()) continue;

    std::string why;
    if (!any_quiet) {
      why = " has no quiet hours to move it to the morning; add them";
    } else {
      std::string channels;
      for (size_t i = 0; i < open.size(); ++i) {
        if (i > 0) channels += i + 1 == open.size() ? " or " : ", ";
        channels += open[i];
      }
      why = "'s quiet hours do not hold at that midnight on " + channels +
            ", so they do not move it to the morning; add quiet hours that "
            "do";
    }
    Error(Kind::DeferredAtMidnight, rule.span,
          "a message this cap holds back is deferred to the start of the "
          "next " +
              rule.period.text +
              ", 00:00 in the recipient's zone, and policy " +
              Quote(policy.name.text) + why +
              ", e.g. `quiet 21:00 .. 08:00 local`");
    return;
  }
}

// A cap's limit and its reserved slots are whole numbers of messages.
Type Checker::ExpectMessageCount(const Expr& expr, const Scope& scope,
                                 const std::string& what) {
  Type type = CheckExpr(expr, scope);
  if (type.kind != TypeKind::Error && type.kind != TypeKind::Int) {
    Error(Kind::CapNotCount, expr.span,
          what + " a number of messages, not " + SpellType(type));
  }
  return type;
}

void Checker::CheckCap(const syntax::PolicyRule& rule, const Scope& scope) {
  Type limit = ExpectMessageCount(*rule.value, scope, "a cap is");
  // An optional limit is fine only when the rule says what to do without it.
  if (limit.optional && !rule.condition) {
    Error(Kind::OptionalCap, rule.value->span,
          "this limit may be absent; add `when " +
              std::string("... != none` to apply the cap only when it is set"));
  }
  auto constant = ConstantInt(*rule.value);
  if (constant && *constant <= 0) {
    Error(Kind::CapNeverAllows, rule.value->span,
          "a cap of " + std::to_string(*constant) +
              " never lets a message through; remove the channels from the "
              "journeys instead, or raise the cap");
  }
  static const std::vector<std::string> kPeriods = {"day", "month", "week"};
  if (rule.period_seconds == 0 && !Contains(kPeriods, rule.period.text)) {
    Error(Kind::UnknownCapPeriod, rule.period.span,
          "a cap counts per `day`, `week` or `month` (calendar, in the "
          "recipient's zone) or per a rolling window such as `7d`, not " +
              Quote(rule.period.text) + Suggest(rule.period.text, kPeriods));
  }
  // A cap per day, week or month counts from midnight, Monday or the 1st
  // in the recipient's zone.
  if (rule.period_seconds == 0 && Contains(kPeriods, rule.period.text)) {
    CheckLocalTime(true, rule.span,
                   rule.period.text == "day"    ? "a cap `per day`"
                   : rule.period.text == "week" ? "a cap `per week`"
                                                : "a cap `per month`");
  }
  for (const syntax::Name& channel : rule.names) CheckChannelName(channel);
  if (rule.condition) {
    ExpectBool(*rule.condition, CheckExpr(*rule.condition, scope),
               "a cap's `when`");
  }
  if (rule.reserved) CheckReserve(rule, scope, constant);
}

// `reserve 1 for high`: the slots only messages of that priority or a
// higher one may use.
void Checker::CheckReserve(const syntax::PolicyRule& rule, const Scope& scope,
                           std::optional<int64_t> limit) {
  ExpectMessageCount(*rule.reserved, scope, "reserved slots are");
  CheckPriorityName(rule.reserved_for);
  auto reserved = ConstantInt(*rule.reserved);
  if (limit && *limit > 0 && reserved && *reserved >= *limit) {
    Error(Kind::ReserveEveryCapSlot, rule.reserved->span,
          "reserving " + std::to_string(*reserved) + " of " +
              std::to_string(*limit) +
              " slots leaves none for messages below " +
              Quote(rule.reserved_for.text) +
              ", so they never pass this cap; reserve fewer slots");
  }
}

void Checker::CheckQuiet(const syntax::PolicyRule& rule) {
  for (const syntax::TimeOfWeek* time : {&rule.from, &rule.to}) {
    if (time->day && !Contains(Weekdays(), time->day->text)) {
      Error(Kind::UnknownWeekday, time->day->span,
            "unknown weekday " + Quote(time->day->text) +
                Suggest(time->day->text, Weekdays()));
    }
  }
  if (rule.from.day.has_value() != rule.to.day.has_value()) {
    Error(Kind::QuietHalfWeekday, rule.span,
          "give a weekday on both ends of quiet hours, or on neither");
  }
  // `quiet 21:00 .. 08:00 local`: one `local` covers both ends.
  CheckLocalTime(rule.from.local || rule.to.local, rule.span, "`quiet`");
  for (const syntax::Name& channel : rule.names) CheckChannelName(channel);

  bool same_day = !rule.from.day || rule.from.day->text == rule.to.day->text;
  if (same_day && rule.from.seconds == rule.to.seconds) {
    Error(Kind::QuietAllDay, rule.span,
          "these quiet hours start and end at the same time, so they cover "
          "the whole " +
              std::string(rule.from.day ? "week" : "day") +
              " and nothing is ever sent; shorten them");
  }
}

// ---- Loyalty programs -----------------------------------------------------

void Checker::CheckRepeatedProgramRules(const syntax::ProgramDecl& program) {
  using RuleKind = syntax::ProgramRule::Kind;
  // The rules a program holds one of. Lowering keeps the last of each,
  // so a second `refund on` would leave the first one's events refunding
  // nothing, without a word in the log.
  auto keyword = [](RuleKind kind) -> const char* {
    switch (kind) {
      case RuleKind::Burn: return "burn on";
      case RuleKind::Refund: return "refund";
      case RuleKind::Expire: return "expire";
      case RuleKind::Notice: return "notify expiring";
      case RuleKind::KeepTier: return "keep tier";
      case RuleKind::Value: return "value";
      case RuleKind::Breakage: return "breakage";
      default: return nullptr;
    }
  };

  std::vector<RuleKind> seen;
  for (const syntax::ProgramRule& rule : program.rules) {
    const char* word = keyword(rule.kind);
    if (word == nullptr) continue;
    if (std::find(seen.begin(), seen.end(), rule.kind) == seen.end()) {
      seen.push_back(rule.kind);
      continue;
    }
    Error(Kind::RepeatedProgramRule, rule.span,
          "program " + Quote(program.name.text) + " gives `" + word +
              "` twice, and only one can hold: this one would silently "
              "replace the first; keep the one you mean");
  }
}

void Checker::CheckProgram(const syntax::ProgramDecl& program) {
  ProgramInfo* info = nullptr;
  for (ProgramInfo& candidate : program_.programs) {
    if (candidate.decl == &program) info = &candidate;
  }
  if (info == nullptr) return;  // a duplicate, already reported
  std::vector<std::pair<int64_t, diag::Span>> tiers;
  for (const syntax::ProgramRule& rule : program.rules) {
    CheckProgramRule(rule, *info, tiers);
  }
  CheckRepeatedProgramRules(program);
  for (size_t i = 1; i < tiers.size(); ++i) {
    if (tiers[i].first > tiers[i - 1].first) continue;
    Error(Kind::TiersNotIncreasing, tiers[i].second,
          "each tier needs more qualifying points than the one before it");
  }

  // `tier(loyalty) >= Gold` compares by the enum's order, so the tiers,
  // listed from the lowest up, must follow it.
  if (info->tier_enum < 0) return;
  const std::vector<std::string>& ranks =
      program_.enums[info->tier_enum].values;
  const syntax::ProgramRule* previous = nullptr;
  int64_t previous_rank = -1;
  for (const syntax::ProgramRule& rule : program.rules) {
    if (rule.kind != syntax::ProgramRule::Kind::Tier) continue;
    auto found = std::find(ranks.begin(), ranks.end(), rule.name.text);
    if (found == ranks.end()) continue;  // reported above
    int64_t rank = found - ranks.begin();
    if (previous != nullptr && rank < previous_rank) {
      Error(Kind::TiersOutOfEnumOrder, rule.name.span,
            "tier " + Quote(rule.name.text) + " needs more points than " +
                Quote(previous->name.text) + " but comes before it in `enum " +
                program_.enums[info->tier_enum].name +
                "`, and `tier(...) >=` compares by the enum's order; list "
                "its values from the lowest tier up");
    }
    previous = &rule;
    previous_rank = rank;
  }
}

// Whether `expr` is a literal of `kind` at or below zero: `0`, `-5`,
// `-0.01 EUR`.
static bool NotAboveZero(const Expr& expr, syntax::ExprKind kind) {
  if (expr.kind == kind) return expr.int_value <= 0;
  return expr.kind == syntax::ExprKind::Unary &&
         expr.unary_op == syntax::UnaryOp::Negate &&
         expr.operands[0]->kind == kind;
}

void Checker::CheckProgramRule(
    const syntax::ProgramRule& rule, ProgramInfo& info,
    std::vector<std::pair<int64_t, diag::Span>>& tiers) {
  Scope scope;
  scope.allow_aggregates = false;
  using RuleKind = syntax::ProgramRule::Kind;
  auto points = [&](const Expr& expr, const char* what) {
    Expect(expr, CheckExpr(expr, scope), kInt, what);
    // A rule that earns nothing (or would take points) is a typo: the
    // engines would earn nothing on every order without a word.
    if (NotAboveZero(expr, syntax::ExprKind::Int)) {
      Error(Kind::PointsNotPositive, expr.span,
            std::string(what) +
                " must be at least 1; to stop earning, remove the rule");
    }
  };
  // `OrderPlaced.total`: a field of an event, typed as `expected`.
  // `text_too`: a string field will do as well (an order id);
  // `optional_too`: the field may be absent (a refund's amount).
  // Returns whether it names a declared event, so that what is said of
  // the event next is not said of a name already reported unknown.
  auto event_field = [&](const Expr& expr, const Type& expected,
                         const char* what, bool text_too = false,
                         bool optional_too = false) {
    bool shape = expr.kind == syntax::ExprKind::Field &&
                 expr.operands[0]->kind == syntax::ExprKind::Name;
    if (!shape) {
      Error(Kind::NotEventField, expr.span,
            std::string(what) + " names an event field, as in " +
                "`OrderPlaced.total`");
      return false;
    }
    int32_t event =
        ResolveEvent({expr.operands[0]->text, expr.operands[0]->span});
    if (event < 0) return false;
    Scope field_scope;
    field_scope.alias = expr.operands[0]->text;
    field_scope.alias_event = event;
    field_scope.alias_ref = RefKind::EventField;
    Type type = CheckExpr(expr, field_scope);
    if (optional_too) type.optional = false;
    if (text_too && type.kind == TypeKind::String && !type.optional) {
      return true;
    }
    Expect(expr, type, expected, what);
    return true;
  };

  switch (rule.kind) {
    case RuleKind::EarnPer:
      points(*rule.first, "points earned");
      Expect(*rule.second, CheckExpr(*rule.second, scope), kMoney,
             "the amount that earns them");
      event_field(*rule.third, kMoney, "`of`");
      return;
    case RuleKind::EarnOn:
      points(*rule.first, "points earned");
      ResolveEvent(rule.name);
      if (!rule.second) return;
      ExpectLength(*rule.second, scope, "`at most once per`");
      CheckCalendarLength(*rule.second, "`at most once per` in calendar units");
      return;
    case RuleKind::Multiply: {
      Scope profile_scope;
      ExpectBool(*rule.first, CheckExpr(*rule.first, profile_scope),
                 "a multiplier's `when`");
      if (rule.factor <= 0) {
        Error(Kind::MultiplierNotPositive, rule.span,
              "a multiplier must be above 0x");
      }
      return;
    }
    case RuleKind::Burn: event_field(*rule.first, kInt, "`burn on`"); return;
    case RuleKind::Refund: {
      bool order_known = event_field(*rule.first, kInt, "`refund on`", true);
      if (!rule.second) return;
      // An absent amount refunds the whole order.
      bool amount_known =
          event_field(*rule.second, kMoney, "the refunded amount", false, true);
      // The amount and the order id are read from one refund event; an
      // unknown event is reported once, as unknown.
      const Expr& order = *rule.first;
      const Expr& amount = *rule.second;
      bool both_known = order_known && amount_known;
      if (both_known && order.operands[0]->text != amount.operands[0]->text) {
        Error(Kind::RefundAmountOtherEvent, amount.span,
              "the refunded amount must come from the refund event itself, "
              "as in `refund " +
                  order.operands[0]->text + ".amount on " +
                  order.operands[0]->text + "." + order.field.text + "`");
      }
      return;
    }
    case RuleKind::Expire:
      if (ExpectLength(*rule.first, scope, "`expire`") &&
          rule.first->int_value <= 0) {
        Error(Kind::ExpireAtOnce, rule.first->span,
              "points that expire after no time could never be spent; "
              "write how long they last, as in `expire 24 months after "
              "earning`, or leave out `expire` for points that never "
              "expire");
      }
      CheckCalendarLength(*rule.first, "`expire` in calendar units");
      return;
    case RuleKind::Notice:
    case RuleKind::KeepTier:
      ExpectLength(
          *rule.first, scope,
          rule.kind == RuleKind::Notice ? "`notify expiring`" : "`keep tier`");
      CheckCalendarLength(*rule.first,
                          rule.kind == RuleKind::Notice
                              ? "`notify expiring` in calendar units"
                              : "`keep tier` in calendar units");
      return;
    case RuleKind::Tier: {
      std::vector<int32_t> owners;
      for (size_t e = 0; e < program_.enums.size(); ++e) {
        if (Contains(program_.enums[e].values, rule.name.text)) {
          owners.push_back(static_cast<int32_t>(e));
        }
      }
      if (owners.empty()) {
        Error(Kind::UnknownTier, rule.name.span,
              "tier " + Quote(rule.name.text) +
                  " is not a value of any enum; declare one, as in `enum "
                  "Tier { Member, Silver, Gold }`");
      } else if (info.tier_enum < 0) {
        info.tier_enum = owners.front();
      } else if (!Contains(program_.enums[info.tier_enum].values,
                           rule.name.text)) {
        Error(Kind::MixedTiers, rule.name.span,
              "tiers must all be values of " +
                  Quote(program_.enums[info.tier_enum].name));
      }
      points(*rule.first, "a tier threshold");
      ExpectLength(*rule.second, scope, "a tier's `within`");
      CheckCalendarLength(*rule.second, "a tier's `within` in calendar units");
      if (auto threshold = ConstantInt(*rule.first)) {
        tiers.emplace_back(*threshold, rule.span);
      }
      return;
    }
    case RuleKind::Value:
      Expect(*rule.first, CheckExpr(*rule.first, scope), kMoney,
             "the value of a point");
      if (NotAboveZero(*rule.first, syntax::ExprKind::Money)) {
        Error(Kind::PointValueNotPositive, rule.first->span,
              "the value of a point is what a customer pays for it, above "
              "zero, as in `value 0.005 EUR per point`; without a value, "
              "leave out the rule");
      }
      return;
    case RuleKind::Breakage:
      if (ExpectPercent(*rule.first, scope, "`breakage`") &&
          rule.first->int_value > 100'000'000) {
        Error(Kind::BreakageTooHigh, rule.first->span,
              "breakage is a share of points, at most 100%");
      }
      return;
  }
}

// ---- Tests ----------------------------------------------------------------

void Checker::CheckTest(const syntax::TestDecl& test) {
  // `parcours test` reports each test by its title: two of one title
  // would leave a failure without a place, a blank one a `FAIL` line
  // that names nothing, and a line break in one a `FAIL` line in two
  // pieces, which a CI step that reads the lines miscounts.
  bool blank = std::all_of(test.title.begin(), test.title.end(),
                           [](char c) { return c == ' ' || c == '\t'; });
  std::string breaker = blank ? "" : LineBreakerIn(test.title);
  if (blank || !breaker.empty()) {
    Error(Kind::BlankTestTitle, test.span,
          blank ? "this test has no title, so its PASS or FAIL line names "
                  "nothing; say what it proves, as in `test \"welcome "
                  "after the first order\"`"
                : "this test's title holds " + breaker +
                      "; `parcours test` prints each test on one line "
                      "named by its title, so a title holds no line "
                      "break or control character: remove it");
  } else {
    Claim(test_titles_, syntax::Name{test.title, test.span}, "test");
  }
  program_.tests.push_back({test.title, &test});
  using StatementKind = syntax::TestStatement::Kind;
  bool expects = false;
  std::optional<int64_t> previous_at;
  std::vector<const syntax::TestStatement*> standings;
  for (const syntax::TestStatement& statement : test.statements) {
    CheckTestStatement(statement);
    expects = expects || statement.kind == StatementKind::ExpectSend ||
              statement.kind == StatementKind::ExpectAction ||
              statement.kind == StatementKind::ExpectLoyalty;
    // One with its own `at` reads the standing at that instant, wherever
    // it is written.
    if (statement.kind == StatementKind::ExpectLoyalty && !statement.has_at) {
      standings.push_back(&statement);
    }

    // Statements happen in the order written; one dated before the one
    // above it is almost always a typo in the date, and would make the
    // event late rather than next.
    bool input = statement.kind == StatementKind::Event ||
                 statement.kind == StatementKind::Identify;
    if (!input) continue;

    // `expect points` reads the standing once every statement has run:
    // written above an event, it checks what comes after that event.
    for (const syntax::TestStatement* standing : standings) {
      Error(Kind::StandingReadAtEnd, standing->span,
            "`expect " + standing->what.text +
                "` reads the standing at the end of the test, after the "
                "events below it, not here; move it to the end, give it "
                "the instant to read with `at`, or end the test here and "
                "start another for what follows");
    }
    standings.clear();
    if (!statement.has_at) continue;
    if (previous_at && statement.at < *previous_at) {
      Error(Kind::TestTimeGoesBack, statement.span,
            "this happens before the statement above it; the test runs "
            "statements in the order written, so this event arrives late");
    }
    previous_at = statement.at;
  }
  LintTestNames(test);
  LintTestInputs(test);
  if (!expects) {
    Error(Kind::TestChecksNothing, test.span,
          "this test has no `expect`, so it passes whatever the journeys "
          "do; add what it should prove, as in `expect send email "
          "\"welcome\"`");
  }
}

void Checker::LintTestInputs(const syntax::TestDecl& test) {
  using StatementKind = syntax::TestStatement::Kind;
  auto is_input = [](const syntax::TestStatement& statement) {
    return statement.kind == StatementKind::Given ||
           statement.kind == StatementKind::Identify ||
           statement.kind == StatementKind::Event;
  };
  std::optional<int64_t> first_at;
  for (const syntax::TestStatement& statement : test.statements) {
    if (!is_input(statement) || !statement.has_at) continue;
    first_at = statement.at;
    break;
  }
  // Statements without `for` are about the first profile given.
  std::optional<std::string> main_profile;
  for (const syntax::TestStatement& statement : test.statements) {
    if (statement.kind != StatementKind::Given) continue;
    main_profile = statement.profile;
    break;
  }

  std::optional<int64_t> last_at;
  // By profile, the channels the test granted so far.
  std::map<std::string, std::vector<std::string>> granted;
  for (const syntax::TestStatement& statement : test.statements) {
    if (!is_input(statement)) continue;

    // A `given` is an identify line played where it is written, at the
    // test's first time: below an `at`, the events above it ran without
    // it, and a grant it makes is older than what it was meant to allow.
    if (statement.kind == StatementKind::Given && last_at) {
      Error(Kind::TestGivenAfterAt, statement.span,
            "this `given` comes after an `at`, and the test plays its "
            "statements in the order written, so the events above it do "
            "not see it; move it to the top of the test, or write a "
            "change at a later time as `at TIME identify { ... }`");
    }
    if (statement.has_at) last_at = statement.at;

    std::optional<std::string> other_profile;
    if (statement.profile != main_profile) other_profile = statement.profile;
    std::vector<std::string>& channels =
        granted[statement.profile.value_or(main_profile.value_or(""))];
    LintEmptyConsent(statement, channels, last_at ? last_at : first_at,
                     other_profile);
    if (!statement.record || statement.kind == StatementKind::Event) continue;
    for (size_t i = 0; i < statement.record->fields.size(); ++i) {
      const Expr& value = *statement.record->operands[i];
      bool list = value.kind == syntax::ExprKind::List;
      if (statement.record->fields[i].text != "consent" || !list) continue;
      for (const auto& channel : value.operands) {
        if (!Contains(channels, channel->text)) {
          channels.push_back(channel->text);
        }
      }
    }
  }
}

void Checker::LintEmptyConsent(const syntax::TestStatement& statement,
                               const std::vector<std::string>& granted,
                               std::optional<int64_t> when,
                               const std::optional<std::string>& profile) {
  if (!statement.record ||
      statement.kind == syntax::TestStatement::Kind::Event) {
    return;
  }
  const Expr& record = *statement.record;
  const Expr* empty = nullptr;
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Expr& value = *record.operands[i];
    bool empty_list =
        value.kind == syntax::ExprKind::List && value.operands.empty();
    if (record.fields[i].text == "consent" && empty_list) empty = &value;
  }
  if (empty == nullptr) return;

  // The stream revokes with a `Consent Revoked` track line (policy.md),
  // which a test plays as an event of the program's: its own name for
  // it, when it declares one.
  const EventInfo* revoked = nullptr;
  for (const EventInfo& event : program_.events) {
    if (event.wire_name == "Consent Revoked") revoked = &event;
  }
  std::string channel = granted.empty() ? "email" : granted.front();
  std::string field = "channel";
  bool quoted = true;
  if (revoked) {
    for (const FieldDecl& candidate : revoked->fields) {
      if (candidate.wire_name != "channel") continue;
      field = candidate.name;
      quoted = candidate.type.kind != TypeKind::Channel;
    }
  }
  std::string value = quoted ? "\"" + channel + "\"" : channel;
  std::string play = "`at " +
                     (when ? ir::FormatTimestamp(*when) : std::string("TIME")) +
                     " " + (revoked ? revoked->name : "ConsentRevoked") +
                     (profile ? " for \"" + *profile + "\"" : "") + " { " +
                     field + ": " + value + " }`";
  std::string declare =
      revoked ? ""
              : ", once the program declares `event ConsentRevoked "
                "\"Consent Revoked\" { channel: string }`";
  Error(Kind::TestEmptyConsent, empty->span,
        "`consent: []` grants nothing and revokes nothing: a consent list "
        "only grants the channels it names; to revoke, play the "
        "revocation as the stream does, as in " +
            play + declare);
}

void Checker::CollectDoneAction(const syntax::Step& step) {
  switch (step.kind) {
    case syntax::StepKind::Task:
      done_actions_["task"].push_back(step.text);
      return;
    case syntax::StepKind::Webhook:
      done_actions_["webhook"].push_back(step.text);
      return;
    case syntax::StepKind::Freeze: done_actions_["freeze"]; return;
    case syntax::StepKind::SecondFactor: done_actions_["second_factor"]; return;
    case syntax::StepKind::Emit:
      done_actions_["event"].push_back(step.event.text);
      return;
    default: return;
  }
}

void Checker::CollectSentTemplates(
    const std::vector<syntax::Step>& steps,
    const std::vector<std::string>& fallback_channels) {
  for (const syntax::Step& step : steps) {
    if (step.kind == syntax::StepKind::Send) {
      std::vector<std::string>& channels =
          (*sent_templates_)[step.template_name];
      for (const syntax::Name& channel : step.channels) {
        channels.push_back(channel.text);
      }
      channels.insert(channels.end(), fallback_channels.begin(),
                      fallback_channels.end());
    }
    CollectDoneAction(step);
    CollectSentTemplates(step.then_steps, fallback_channels);
    CollectSentTemplates(step.else_steps, fallback_channels);
    for (const syntax::SplitArm& arm : step.arms) {
      CollectSentTemplates(arm.steps, fallback_channels);
    }
  }
}

// The channels other than its own that a journey's sends may go out on:
// under `when capped: fallback`, a held message moves on to the
// customer's channel (any of them, when `prefer` reads the profile) and
// then the policy's `priority` channels.
std::vector<std::string> Checker::FallbackChannels(
    const syntax::JourneyDecl& journey) const {
  std::vector<std::string> channels;
  if (!journey.policy) return channels;
  const syntax::PolicyDecl* policy = nullptr;
  for (const syntax::Module& module : program_.modules) {
    for (const syntax::Declaration& declaration : module.declarations) {
      const auto* candidate = std::get_if<syntax::PolicyDecl>(&declaration);
      if (candidate && candidate->name.text == journey.policy->text) {
        policy = candidate;
        break;
      }
    }
    if (policy) break;
  }
  if (!policy) return channels;

  using RuleKind = syntax::PolicyRule::Kind;
  bool falls_back = std::any_of(policy->rules.begin(), policy->rules.end(),
                                [](const syntax::PolicyRule& rule) {
                                  return rule.kind == RuleKind::Capped &&
                                         rule.action.text == "fallback";
                                });
  if (!falls_back) return channels;

  for (const syntax::PolicyRule& rule : policy->rules) {
    if (rule.kind == RuleKind::Priority) {
      for (const syntax::Name& channel : rule.names) {
        channels.push_back(channel.text);
      }
    }
    if (rule.kind != RuleKind::Prefer || !rule.value) continue;
    if (rule.value->kind == syntax::ExprKind::Name) {
      channels.push_back(rule.value->text);
    } else {
      const auto& known = KnownChannels();
      channels.insert(channels.end(), known.begin(), known.end());
    }
  }
  return channels;
}

void Checker::LintTestNames(const syntax::TestDecl& test) {
  if (!sent_templates_) {
    sent_templates_.emplace();
    for (const syntax::Module& module : program_.modules) {
      for (const syntax::Declaration& declaration : module.declarations) {
        if (const auto* journey =
                std::get_if<syntax::JourneyDecl>(&declaration)) {
          CollectSentTemplates(journey->steps, FallbackChannels(*journey));
        }
      }
    }
  }

  using StatementKind = syntax::TestStatement::Kind;
  std::vector<std::string> given;
  for (const syntax::TestStatement& statement : test.statements) {
    bool input = statement.kind == StatementKind::Given ||
                 statement.kind == StatementKind::Event ||
                 statement.kind == StatementKind::Identify;
    if (input && statement.profile && !Contains(given, *statement.profile)) {
      given.push_back(*statement.profile);
    }
  }

  for (const syntax::TestStatement& statement : test.statements) {
    bool expect = statement.kind == StatementKind::ExpectSend ||
                  statement.kind == StatementKind::ExpectAction ||
                  statement.kind == StatementKind::ExpectLoyalty;
    if (expect && statement.profile && !given.empty() &&
        !Contains(given, *statement.profile)) {
      Error(Kind::TestUnknownProfile, statement.span,
            "this test never gives profile " + Quote(*statement.profile) +
                ", so what it expects of it holds or fails by default" +
                Suggest(*statement.profile, given));
    }
    if (statement.kind == StatementKind::ExpectAction) {
      LintExpectedAction(statement);
    }
    if (statement.kind != StatementKind::ExpectSend ||
        !statement.template_name) {
      continue;
    }
    const std::string& name = *statement.template_name;
    auto sent = sent_templates_->find(name);
    bool on_channel =
        sent != sent_templates_->end() &&
        (!statement.channel || Contains(sent->second, statement.channel->text));
    if (on_channel) continue;
    std::string hint;
    if (sent != sent_templates_->end()) {
      hint = "; it goes by " + Quote(sent->second.front());
    } else {
      std::vector<std::string> names;
      for (const auto& [known, channels] : *sent_templates_) {
        names.push_back(known);
      }
      hint = Suggest(name, names);
    }
    Error(Kind::TestUnsentTemplate, statement.span,
          "no journey sends " + Quote(name) +
              (statement.channel ? " by " + statement.channel->text : "") +
              ", so this `expect` holds or fails whatever the journeys do" +
              hint);
  }
}

void Checker::LintExpectedAction(const syntax::TestStatement& statement) {
  const std::string& action = statement.action.text;
  std::string step = action == "second_factor" ? "require second factor"
                     : action == "event"       ? "emit"
                     : action == "freeze"      ? "freeze account"
                     : action == "webhook"     ? "call webhook"
                                               : action;

  // What names the action: a task's summary, a webhook's name, an
  // emitted event's name.
  std::optional<std::string> name = statement.template_name;
  if (action == "event") name = statement.event.text;

  auto done = done_actions_.find(action);
  std::string missing = "no journey has " +
                        std::string(step[0] == 'e' ? "an" : "a") + " `" + step +
                        "` step";
  if (done != done_actions_.end() && name && !Contains(done->second, *name)) {
    missing += " for " + Quote(*name);
  } else if (done != done_actions_.end()) {
    return;
  }
  Error(Kind::TestUndoneAction, statement.action.span,
        missing + ", so this `expect` holds or fails whatever the journeys do" +
            (done == done_actions_.end() || !name
                 ? ""
                 : Suggest(*name, done->second)));
}

void Checker::CheckTestStatement(const syntax::TestStatement& statement) {
  Scope scope;
  scope.allow_aggregates = false;
  scope.allow_segments = false;
  using StatementKind = syntax::TestStatement::Kind;
  switch (statement.kind) {
    case StatementKind::Given:
    case StatementKind::Identify:
      if (statement.record) {
        Type consent = ListOf(MakeType(TypeKind::Channel));
        // `consent: [email, push]` grants those channels.
        for (size_t i = 0; i < statement.record->fields.size(); ++i) {
          if (statement.record->fields[i].text != "consent") continue;
          const Expr& value = *statement.record->operands[i];
          Expect(value, CheckExpr(value, scope, &consent), consent,
                 "`consent`");
        }
        CheckRecordFields(*statement.record, program_.profile, "the profile",
                          scope, false, {"consent"});
      }
      return;
    case StatementKind::Event: {
      int32_t event = ResolveEvent(statement.event);
      if (event < 0) return;
      if (statement.record) {
        CheckRecordFields(*statement.record, program_.events[event].fields,
                          "event " + Quote(statement.event.text), scope, true);
      } else if (std::any_of(program_.events[event].fields.begin(),
                             program_.events[event].fields.end(),
                             [](const FieldDecl& field) {
                               return !field.type.optional;
                             })) {
        Error(Kind::EventNeedsFields, statement.span,
              "event " + Quote(statement.event.text) +
                  " has required fields; give them in `{ ... }`");
      }
      return;
    }
    case StatementKind::ExpectSend:
      if (statement.channel) CheckChannelName(*statement.channel);
      if (statement.reason &&
          !Contains(SuppressionReasons(), statement.reason->text)) {
        Error(Kind::UnknownReason, statement.reason->span,
              "unknown reason " + Quote(statement.reason->text) +
                  Suggest(statement.reason->text, SuppressionReasons()) +
                  " (cap, consent, exit, expired, holdout, quiet, "
                  "unreachable)");
      }
      if (statement.reason && !statement.suppressed) {
        Error(Kind::ReasonNotSuppressed, statement.reason->span,
              "only `expect suppressed` takes a reason");
      }
      return;
    case StatementKind::ExpectAction:
      if (statement.channel) CheckTaskSystem(*statement.channel);
      if (statement.action.text == "event") ResolveEvent(statement.event);
      return;
    case StatementKind::ExpectLoyalty: {
      CheckExpectedProgram(statement);
      if (statement.what.text == "points") {
        Expect(*statement.value, CheckExpr(*statement.value, scope), kInt,
               "`expect points`");
        return;
      }
      Type tier = CheckExpr(*statement.value, scope);
      if (tier.kind != TypeKind::Error && tier.kind != TypeKind::Enum) {
        Error(Kind::NotTier, statement.value->span,
              "`expect tier` takes a tier such as `Gold`, not " +
                  SpellType(tier));
      }
      return;
    }
  }
}

// `expect points` and `expect tier` name no program: they read the only
// one, so there must be exactly one.
void Checker::CheckExpectedProgram(const syntax::TestStatement& statement) {
  size_t count = program_.programs.size();
  if (count == 1) return;
  const std::string what = Quote("expect " + statement.what.text);
  std::string message;
  if (count == 0) {
    message = what + " reads a member's " + statement.what.text +
              " in a loyalty `program`, but none is declared; declare "
              "one, or remove this line";
  } else {
    std::string list;
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) list += i + 1 == count ? " and " : ", ";
      list += Quote(program_.programs[i].name);
    }
    message = what + " names no program, and there are " +
              std::to_string(count) + " (" + list +
              "), so it cannot tell which to read; test files with one "
              "loyalty `program` only, or remove this line";
  }
  Error(Kind::ExpectLoyaltyWithoutProgram, statement.span, message);
}

}  // namespace parcours::sema
