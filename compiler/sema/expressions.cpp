// Expressions: names, fields, calls, operators and literals, typed bottom
// up. A subexpression that failed to type has the error type, and nothing
// above it reports again, so one mistake gives one diagnostic.
#include <algorithm>
#include <cstdio>

#include "compiler/ir/ir.h"
#include "compiler/sema/checker.h"

namespace parcours::sema {

using diag::Kind;
using syntax::BinaryOp;
using syntax::Expr;
using syntax::ExprKind;

namespace {

const Type kError = MakeType(TypeKind::Error);
const Type kBool = MakeType(TypeKind::Bool);
const Type kInt = MakeType(TypeKind::Int);

// Numbers mix freely: an int widens to a decimal, a percentage counts as
// the decimal it stands for (10% is 0.1).
bool IsNumeric(TypeKind kind) {
  return kind == TypeKind::Int || kind == TypeKind::Decimal ||
         kind == TypeKind::Percent;
}

// `profile.tier == "gold"`, `preferred: "email"`: a value of an enum or a
// channel written in quotes, as a string. Says to drop the quotes when
// the text is one of the values meant; empty otherwise.
std::string QuotedValueHint(const Expr& value, const Type& wanted,
                            const std::vector<EnumInfo>& enums) {
  if (value.kind != ExprKind::String) return "";
  if (wanted.kind == TypeKind::Enum && wanted.id >= 0 &&
      static_cast<size_t>(wanted.id) < enums.size() &&
      Contains(enums[wanted.id].values, value.text)) {
    return "; a value of an enum is written without quotes: `" + value.text +
           "`";
  }
  if (wanted.kind == TypeKind::Channel &&
      Contains(KnownChannels(), value.text)) {
    return "; a channel is written without quotes: `" + value.text + "`";
  }
  if (wanted.kind == TypeKind::Date) {
    return "; a date is written as on the stream, year, month and day: "
           "`\"1990-03-30\"`";
  }
  return "";
}

bool IsLength(TypeKind kind) {
  return kind == TypeKind::Duration || kind == TypeKind::Calendar;
}

// The built-in functions other than the aggregates.
const std::vector<std::string>& BuiltinNames() {
  static const std::vector<std::string> names = {
      "balance",        "consent",     "count", "days_since",
      "distance_km",    "hours_since", "last",  "minutes_since",
      "redeemed_share", "seen_before", "sum",   "tier",
      "travel_kmh",     "values"};
  return names;
}

}  // namespace

Type Checker::Record(const Expr& expr, Type type, RefKind ref, int32_t index) {
  program_.exprs[&expr] = {type, ref, index};
  return type;
}

Type Checker::CheckExpr(const Expr& expr, const Scope& scope,
                        const Type* expected) {
  switch (expr.kind) {
    case ExprKind::Int: return Record(expr, kInt);
    case ExprKind::Decimal: return Record(expr, MakeType(TypeKind::Decimal));
    case ExprKind::Money: return CheckMoneyLiteral(expr);
    case ExprKind::Duration: return Record(expr, MakeType(TypeKind::Duration));
    case ExprKind::Calendar: return Record(expr, MakeType(TypeKind::Calendar));
    case ExprKind::Percent: return Record(expr, MakeType(TypeKind::Percent));
    case ExprKind::Clock:
      if (!expr.local) {
        char clock[8];
        std::snprintf(clock, sizeof clock, "%02d:%02d",
                      static_cast<int>(expr.int_value / 3600),
                      static_cast<int>(expr.int_value / 60 % 60));
        Error(Kind::ClockWithoutLocal, expr.span,
              "a time of day is in the recipient's zone; write `" +
                  std::string(clock) + " local` to say so");
      }
      return Record(expr, MakeType(TypeKind::Clock));
    case ExprKind::Timestamp: return Record(expr, MakeType(TypeKind::Time));
    case ExprKind::String: return Record(expr, MakeType(TypeKind::String));
    case ExprKind::Bool: return Record(expr, kBool);
    case ExprKind::None: return Record(expr, MakeType(TypeKind::None));
    case ExprKind::Name: return CheckName(expr, scope, expected);
    case ExprKind::Field: return CheckField(expr, scope);
    case ExprKind::Call: return CheckCall(expr, scope);
    case ExprKind::Unary: return CheckUnary(expr, scope);
    case ExprKind::Binary: return CheckBinary(expr, scope);
    case ExprKind::In: return CheckIn(expr, scope);
    case ExprKind::List: return CheckList(expr, scope, expected);
    case ExprKind::Record: return CheckRecordLiteral(expr, scope);
  }
  return Record(expr, kError);
}

Type Checker::CheckMoneyLiteral(const Expr& expr) {
  if (!ir::IsIsoCurrency(expr.text)) {
    Error(Kind::UnknownCurrency, expr.span,
          Quote(expr.text) +
              " is not an ISO 4217 currency code; use one such as `EUR`, "
              "`GBP` or `USD`");
    return Record(expr, kError);
  }
  return Record(expr, MakeType(TypeKind::Money));
}

std::optional<Type> Checker::ResolveBareValue(const Expr& expr,
                                              const Type* expected) {
  const std::string& name = expr.text;
  if (expected != nullptr && expected->kind == TypeKind::Enum &&
      expected->id >= 0) {
    const auto& values = program_.enums[expected->id].values;
    auto found = std::find(values.begin(), values.end(), name);
    if (found != values.end()) {
      return Record(expr, MakeType(TypeKind::Enum, false, expected->id),
                    RefKind::EnumValue,
                    static_cast<int32_t>(found - values.begin()));
    }
  }
  const auto& channels = KnownChannels();
  auto channel = std::find(channels.begin(), channels.end(), name);
  bool wants_channel =
      expected != nullptr &&
      (expected->kind == TypeKind::Channel ||
       (expected->kind == TypeKind::List && expected->element &&
        expected->element->kind == TypeKind::Channel));
  if (channel != channels.end() && wants_channel) {
    return Record(expr, MakeType(TypeKind::Channel), RefKind::ChannelValue,
                  static_cast<int32_t>(channel - channels.begin()));
  }

  // Without a hint, a value is found when exactly one enum has it.
  std::vector<std::pair<int32_t, int32_t>> matches;
  for (size_t e = 0; e < program_.enums.size(); ++e) {
    const auto& values = program_.enums[e].values;
    auto found = std::find(values.begin(), values.end(), name);
    if (found != values.end()) {
      matches.emplace_back(static_cast<int32_t>(e),
                           static_cast<int32_t>(found - values.begin()));
    }
  }
  if (matches.size() == 1) {
    return Record(expr, MakeType(TypeKind::Enum, false, matches[0].first),
                  RefKind::EnumValue, matches[0].second);
  }
  if (matches.size() > 1) {
    Error(Kind::AmbiguousValue, expr.span,
          Quote(name) + " is a value of both " +
              Quote(program_.enums[matches[0].first].name) + " and " +
              Quote(program_.enums[matches[1].first].name) +
              "; compare it with an attribute of the type you mean");
    return Record(expr, kError);
  }
  if (channel != channels.end()) {
    return Record(expr, MakeType(TypeKind::Channel), RefKind::ChannelValue,
                  static_cast<int32_t>(channel - channels.begin()));
  }
  return std::nullopt;
}

Type Checker::CheckName(const Expr& expr, const Scope& scope,
                        const Type* expected) {
  if (expr.text == "now") {
    return Record(expr, MakeType(TypeKind::Time), RefKind::Now);
  }
  int32_t segment = FindSegment(expr.text);
  if (segment >= 0) {
    if (!scope.allow_segments) {
      Error(Kind::SegmentInSegment, expr.span,
            "a segment cannot use another segment (" + Quote(expr.text) +
                ") here; repeat its condition instead");
      return Record(expr, kError);
    }
    return Record(expr, kBool, RefKind::Segment, segment);
  }
  bool alias = (!scope.alias.empty() && expr.text == scope.alias) ||
               (!scope.second_alias.empty() && expr.text == scope.second_alias);
  if (expr.text == "profile" || alias) {
    Error(Kind::RecordAsValue, expr.span,
          Quote(expr.text) + " is a record; use one of its fields, as in " +
              Quote(expr.text + ".name"));
    return Record(expr, kError);
  }
  if (auto value = ResolveBareValue(expr, expected)) return *value;
  if (Contains(scope.dead_aliases, expr.text)) return Record(expr, kError);
  bool wants_enum = expected != nullptr && expected->kind == TypeKind::Enum &&
                    expected->id >= 0;
  if (wants_enum && expr.text != scope.unreadable_alias) {
    return NotEnumValue(expr, program_.enums[expected->id]);
  }

  std::vector<std::string> candidates = {"now", "profile"};
  if (!scope.alias.empty()) candidates.push_back(scope.alias);
  if (!scope.second_alias.empty()) candidates.push_back(scope.second_alias);
  for (const SegmentInfo& info : program_.segments) {
    candidates.push_back(info.name);
  }
  for (const EnumInfo& info : program_.enums) {
    candidates.insert(candidates.end(), info.values.begin(), info.values.end());
  }
  std::string hint = Suggest(expr.text, candidates);
  if (hint.empty() && FindProfileField(expr.text) != nullptr) {
    hint = "; did you mean " + Quote("profile." + expr.text) + "?";
  }
  // A member's points and tier are read through their program.
  bool loyalty_word =
      expr.text == "tier" || expr.text == "balance" || expr.text == "points";
  if (hint.empty() && loyalty_word && !program_.programs.empty()) {
    const std::string& program = program_.programs.front().name;
    std::string call = expr.text == "tier" ? "tier" : "balance";
    hint = "; read a member's " +
           std::string(expr.text == "tier" ? "tier" : "points") + " as " +
           Quote(call + "(" + program + ")");
  }
  // Other languages' word for an absent value.
  static const char* const kNulls[] = {"null", "NULL", "nil", "None",
                                       "undefined"};
  if (hint.empty() && std::find(std::begin(kNulls), std::end(kNulls),
                                expr.text) != std::end(kNulls)) {
    hint = "; an absent value is written `none`, as in `profile.email == none`";
  }
  // `OrderPlaced.total`: an event's name where one of its records is
  // meant.
  std::string what = "unknown name " + Quote(expr.text);
  int32_t event = FindEvent(expr.text);
  if (hint.empty() && event >= 0) {
    bool aliased = !scope.alias.empty() && scope.alias_event == event;
    what = Quote(expr.text) + " is an event, not a value";
    hint = aliased ? "; read this one's fields through its alias, as in " +
                         Quote(scope.alias + ".field")
                   : "; read the trigger's fields through its alias (`on " +
                         expr.text +
                         " as e`, then `e.field`), or the latest one's "
                         "with " +
                         Quote("last(" + expr.text + ").field");
    if (scope.unaliased_exit_event == event) {
      hint = "; name the event that came to read its fields: `exit on " +
             expr.text + " as e where e.field ...` (`last(" + expr.text +
             ").field` is the latest by time, which a late line is not)";
    }
  }
  if (block_aliases_.count(expr.text) > 0) {
    hint = "; " + Quote(expr.text) +
           " names the event a `wait for` received, and is read only in "
           "the block that runs when it comes; keep what later steps need "
           "in the profile with `set`";
  }
  if (!scope.unreadable_alias.empty() && expr.text == scope.unreadable_alias) {
    hint = !scope.unreadable_why.empty()
               ? scope.unreadable_why
               : "; the trigger's alias cannot be read in the filter of a "
                 "`wait for` inside the block of another (the filter reads "
                 "the event it waits for); keep what it needs in the "
                 "profile with `set`";
  }
  Error(Kind::UnknownName, expr.span, what + hint);
  return Record(expr, kError);
}

// Where a value of one enum goes (a profile's `tier: Gold` in a test, a
// `set`, a comparison with an attribute), a name that is none of its
// values is a misspelt or missing value far more often than a name from
// elsewhere: list the values rather than call the name unknown.
Type Checker::NotEnumValue(const Expr& expr, const EnumInfo& info) {
  constexpr size_t kListed = 10;
  const std::vector<std::string>& values = info.values;
  std::string listed;
  size_t shown = std::min(values.size(), kListed);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) listed += i + 1 == values.size() ? " and " : ", ";
    listed += Quote(values[i]);
  }
  if (values.size() > shown) {
    listed += " and " + std::to_string(values.size() - shown) + " more";
  }
  std::string hint = Suggest(expr.text, values);
  if (hint.empty()) hint = "; use one of them, or add it to the enum";
  Error(Kind::NotEnumValue, expr.span,
        Quote(expr.text) + " is not one of the values of " + Quote(info.name) +
            (values.size() == 1 ? ", whose only value is " : ", which are ") +
            listed + hint);
  return Record(expr, kError);
}

Type Checker::CheckField(const Expr& expr, const Scope& scope) {
  const Expr& object = *expr.operands[0];
  const std::string& field = expr.field.text;
  if (object.kind == ExprKind::Name && object.text == "profile") {
    int32_t index = FindProfileIndex(field);
    if (index >= 0) {
      return Record(expr, program_.profile[index].type, RefKind::ProfileField,
                    index);
    }
    std::vector<std::string> candidates;
    for (const FieldDecl& attribute : program_.profile) {
      candidates.push_back(attribute.name);
    }
    Error(Kind::UnknownAttribute, expr.field.span,
          "the profile has no attribute " + Quote(field) +
              Suggest(field, candidates));
    return Record(expr, kError);
  }
  if (object.kind == ExprKind::Name && !scope.alias.empty() &&
      object.text == scope.alias) {
    return CheckAliasField(expr, scope.alias_event, scope.alias_ref);
  }
  if (object.kind == ExprKind::Name && !scope.second_alias.empty() &&
      object.text == scope.second_alias) {
    return CheckAliasField(expr, scope.second_alias_event,
                           scope.second_alias_ref);
  }

  Type object_type = CheckExpr(object, scope);
  if (object_type.kind == TypeKind::Error) return Record(expr, kError);
  return FieldOf(expr, object_type);
}

Type Checker::CheckAliasField(const Expr& expr, int32_t event_index,
                              RefKind ref) {
  const std::string& field = expr.field.text;
  const EventInfo& event = program_.events[event_index];
  std::vector<std::string> candidates;
  for (size_t i = 0; i < event.fields.size(); ++i) {
    if (event.fields[i].name == field) {
      return Record(expr, event.fields[i].type, ref, static_cast<int32_t>(i));
    }
    candidates.push_back(event.fields[i].name);
  }
  Error(Kind::UnknownField, expr.field.span,
        Quote(expr.operands[0]->text + "." + field) + ": event " +
            Quote(event.name) + " has no field " + Quote(field) +
            Suggest(field, candidates));
  return Record(expr, kError);
}

Type Checker::FieldOf(const Expr& expr, const Type& object) {
  const std::string& field = expr.field.text;
  const std::vector<FieldDecl>* fields = nullptr;
  std::string owner;
  if (object.kind == TypeKind::Event) {
    fields = &program_.events[object.id].fields;
    owner = "event " + Quote(program_.events[object.id].name);
  } else if (object.kind == TypeKind::Record && object.id >= 0) {
    fields = &program_.records[object.id].fields;
    owner = "record " + Quote(program_.records[object.id].name);
  } else if (object.kind == TypeKind::List) {
    if (field == "count") {
      return Record(expr, MakeType(TypeKind::Int, object.optional),
                    RefKind::RecordField, -1);
    }
    Error(Kind::UnknownListField, expr.field.span,
          "a list has one field, `count`; " + Quote(field) + " is not it");
    return Record(expr, kError);
  }
  if (fields == nullptr) {
    Error(Kind::NoFields, expr.field.span,
          SpellType(object) + " has no fields");
    return Record(expr, kError);
  }

  std::vector<std::string> candidates;
  for (size_t i = 0; i < fields->size(); ++i) {
    if ((*fields)[i].name != field) {
      candidates.push_back((*fields)[i].name);
      continue;
    }
    Type type = (*fields)[i].type;
    // A field of a value that may be absent may be absent too.
    type.optional = type.optional || object.optional;
    return Record(expr, type, RefKind::RecordField, static_cast<int32_t>(i));
  }
  Error(Kind::UnknownValueField, expr.field.span,
        owner + " has no field " + Quote(field) + Suggest(field, candidates));
  return Record(expr, kError);
}

Type Checker::CheckCall(const Expr& expr, const Scope& scope) {
  const std::string& callee = expr.text;
  if (!Contains(BuiltinNames(), callee)) {
    std::string hint = Suggest(callee, BuiltinNames());
    if (hint.empty()) {
      hint =
          "; the functions are balance, consent, count, days_since, "
          "distance_km, hours_since, last, minutes_since, redeemed_share, "
          "seen_before, sum, tier, travel_kmh and values";
    }
    Error(Kind::UnknownFunction, expr.field.span,
          "unknown function " + Quote(callee) + hint);
    return Record(expr, kError);
  }
  for (const syntax::Argument& argument : expr.arguments) {
    if (argument.key) {
      Error(Kind::NamedArgument, argument.key->span,
            Quote(callee) + " takes no named arguments");
      return Record(expr, kError);
    }
  }
  bool aggregate = callee == "count" || callee == "sum" || callee == "last" ||
                   callee == "values" || callee == "seen_before";
  if (aggregate) return CheckAggregate(expr, scope);
  for (const syntax::Argument& argument : expr.arguments) {
    if (argument.window.kind != syntax::Window::Kind::All) {
      Error(Kind::WindowNotAllowed, argument.value->span,
            Quote(callee) + " reads no history, so it takes no window");
      return Record(expr, kError);
    }
  }
  return CheckBuiltin(expr, scope);
}

void Checker::CheckWindow(const syntax::Window& window) {
  LintWindow(window);
  using WindowKind = syntax::Window::Kind;
  if (window.kind == WindowKind::All) return;
  // A window in calendar units ends at local midnight, on the recipient's
  // calendar.
  const syntax::Length& calendar =
      window.near.calendar ? window.near : window.far;
  if (calendar.calendar) {
    CheckLocalTime(true, calendar.span, "a window in calendar units");
  }

  // Compare both bounds in days; a month counts as at least 28 days.
  auto days = [](const syntax::Length& length) -> int64_t {
    if (!length.calendar) return length.count / 86400;
    switch (*length.calendar) {
      case syntax::CalendarUnit::Day: return length.count;
      case syntax::CalendarUnit::Week: return length.count * 7;
      case syntax::CalendarUnit::Month: return length.count * 28;
      case syntax::CalendarUnit::Year: return length.count * 365;
    }
    return 0;
  };
  bool same_units = window.far.calendar == window.near.calendar;
  bool empty = window.kind == WindowKind::Within
                   ? window.near.count <= 0
                   : (same_units ? window.far.count <= window.near.count
                                 : days(window.far) <= days(window.near));
  if (!empty) return;
  Error(Kind::EmptyWindow,
        window.kind == WindowKind::Within ? window.near.span : window.far.span,
        window.kind == WindowKind::Within
            ? "`within` needs a length, as in `within 30d`: a window of no "
              "time holds no event"
            : "`between A and B ago` needs A further back than B, as in "
              "`between 180d and 90d ago`");
}

Type Checker::CheckAggregate(const Expr& expr, const Scope& scope) {
  const std::string& callee = expr.text;
  const char* example = callee == "count"    ? "count(OrderPlaced)"
                        : callee == "last"   ? "last(OrderPlaced)"
                        : callee == "values" ? "values(Login.device)"
                        : callee == "seen_before"
                            ? "seen_before(Login.device within 90d)"
                            : "sum(OrderPlaced.total)";
  if (expr.arguments.size() != 1) {
    Error(Kind::AggregateArity, expr.span,
          Quote(callee) + " takes one argument, as in " + Quote(example));
    return Record(expr, kError);
  }
  if (!scope.allow_aggregates) {
    Error(Kind::NoHistoryHere, expr.span,
          Quote(callee) +
              " reads a profile's history, which is not "
              "available here");
    return Record(expr, kError);
  }
  const syntax::Argument& argument = expr.arguments[0];
  const Expr& value = *argument.value;
  CheckWindow(argument.window);
  if (callee == "last" && argument.window.kind != syntax::Window::Kind::All) {
    Error(Kind::LastWithWindow, value.span,
          "`last` takes no window: it is the most recent event");
    return Record(expr, kError);
  }

  // How far back a device counts as seen has no sensible default: keeping
  // every login for ever is what a window avoids.
  if (callee == "seen_before" &&
      argument.window.kind != syntax::Window::Kind::Within) {
    Error(Kind::SeenBeforeNeedsWindow, value.span,
          "`seen_before` needs how far back to look, as in "
          "`seen_before(Login.device within 90d)`");
    return Record(expr, kError);
  }

  bool wants_field =
      callee == "sum" || callee == "values" || callee == "seen_before";
  const Expr* event_name = &value;
  if (wants_field) {
    if (value.kind != ExprKind::Field ||
        value.operands[0]->kind != ExprKind::Name) {
      Error(Kind::AggregateNeedsField, value.span,
            Quote(callee) + " takes an event field, as in " + Quote(example));
      return Record(expr, kError);
    }
    event_name = value.operands[0].get();
  } else if (value.kind != ExprKind::Name) {
    Error(Kind::AggregateNeedsEvent, value.span,
          Quote(callee) + " takes an event name, as in " + Quote(example));
    return Record(expr, kError);
  }
  int32_t event = ResolveEvent({event_name->text, event_name->span});
  if (event < 0) return Record(expr, kError);

  AggregateInfo aggregate;
  aggregate.event = event;
  aggregate.window = argument.window;
  if (callee == "count") {
    aggregate.kind = AggregateKind::Count;
    aggregate.type = kInt;
    return RecordAggregate(expr, aggregate);
  }
  if (callee == "last") {
    aggregate.kind = AggregateKind::Last;
    aggregate.type = MakeType(TypeKind::Event, true, event);
    return RecordAggregate(expr, aggregate);
  }

  const EventInfo& info = program_.events[event];
  std::vector<std::string> candidates;
  for (size_t i = 0; i < info.fields.size(); ++i) {
    const FieldDecl& field = info.fields[i];
    candidates.push_back(field.name);
    if (field.name != value.field.text) continue;
    aggregate.field = static_cast<int32_t>(i);
    if (callee == "seen_before") {
      aggregate.kind = AggregateKind::SeenBefore;
      aggregate.type = kBool;
      return RecordAggregate(expr, aggregate);
    }
    if (callee == "values") {
      aggregate.kind = AggregateKind::Values;
      Type element = field.type;
      element.optional = false;
      aggregate.type = ListOf(element);
      return RecordAggregate(expr, aggregate);
    }
    TypeKind kind = field.type.kind;
    bool summable = kind == TypeKind::Int || kind == TypeKind::Decimal ||
                    kind == TypeKind::Money || kind == TypeKind::Duration;
    if (field.type.optional || !summable) {
      Error(Kind::NotSummable, value.span,
            "`sum` needs a required number, money or duration field, but " +
                Quote(field.name) + " is " + SpellType(field.type));
      return Record(expr, kError);
    }
    aggregate.kind = AggregateKind::Sum;
    aggregate.type = MakeType(kind);
    return RecordAggregate(expr, aggregate);
  }
  Error(Kind::UnknownAggregateField, value.field.span,
        "event " + Quote(info.name) + " has no field " +
            Quote(value.field.text) + Suggest(value.field.text, candidates));
  return Record(expr, kError);
}

Type Checker::RecordAggregate(const Expr& expr, AggregateInfo aggregate) {
  const syntax::Window& window = aggregate.window;
  AggregateKey key{aggregate.kind,    aggregate.event,     aggregate.field,
                   window.kind,       window.far.count,    window.far.calendar,
                   window.near.count, window.near.calendar};
  auto [entry, added] = aggregate_index_.emplace(
      key, static_cast<int32_t>(program_.aggregates.size()));
  if (added) program_.aggregates.push_back(aggregate);
  return Record(expr, aggregate.type, RefKind::Aggregate, entry->second);
}

Type Checker::CheckBuiltin(const Expr& expr, const Scope& scope) {
  const std::string& callee = expr.text;
  auto arity = [&](size_t count, const char* example) {
    if (expr.arguments.size() == count) return true;
    Error(Kind::WrongArguments, expr.span,
          Quote(callee) + " takes " + std::to_string(count) +
              (count == 1 ? " argument" : " arguments") + ", as in " +
              Quote(example));
    return false;
  };
  auto builtin = [&](Type type) {
    auto index = static_cast<int32_t>(
        std::find(BuiltinNames().begin(), BuiltinNames().end(), callee) -
        BuiltinNames().begin());
    return Record(expr, type, RefKind::Builtin, index);
  };

  if (callee == "consent") {
    if (!arity(1, "consent(sms)")) return Record(expr, kError);
    Type channel = MakeType(TypeKind::Channel);
    const Expr& argument = *expr.arguments[0].value;
    Type type = CheckExpr(argument, scope, &channel);
    if (!Expect(argument, type, channel, "the argument of `consent`")) {
      return Record(expr, kError);
    }
    return builtin(kBool);
  }
  // `balance(loyalty)`, `tier(loyalty)`, `redeemed_share(loyalty)`: read
  // from hidden profile words the runtime keeps for each program.
  bool loyalty_call =
      callee == "balance" || callee == "tier" || callee == "redeemed_share";
  if (loyalty_call) {
    std::string example = callee + "(loyalty)";
    if (!arity(1, example.c_str())) return Record(expr, kError);
    const Expr& argument = *expr.arguments[0].value;
    const ProgramInfo* program = nullptr;
    for (const ProgramInfo& info : program_.programs) {
      if (argument.kind == ExprKind::Name && info.name == argument.text) {
        program = &info;
      }
    }
    // `tier(p)` of a program without tiers has no enum to return.
    std::string problem;
    if (program == nullptr) {
      std::vector<std::string> names;
      for (const ProgramInfo& info : program_.programs) {
        names.push_back(info.name);
      }
      problem = Quote(callee) + " takes the name of a loyalty program" +
                Suggest(argument.text, names);
    } else if (callee == "tier" && program->tier_enum < 0) {
      problem = "program " + Quote(argument.text) +
                " has no tiers; add one, as in `tier Gold at 5000 "
                "qualifying points within 12 months`";
    }
    if (!problem.empty()) {
      Error(Kind::UnknownProgram, argument.span, problem);
      return Record(expr, kError);
    }
    Record(argument, kInt);
    if (callee == "redeemed_share") return builtin(MakeType(TypeKind::Decimal));
    if (callee == "balance") return builtin(kInt);
    int32_t tier_enum = program->tier_enum;
    return builtin(MakeType(TypeKind::Enum, false, tier_enum));
  }
  // A latitude or longitude in degrees: any number but a percentage.
  bool optional = false;
  auto coordinate = [&](const Expr& argument) {
    Type type = CheckExpr(argument, scope);
    if (type.kind == TypeKind::Error) return false;
    if (!IsNumeric(type.kind) || type.kind == TypeKind::Percent) {
      Error(Kind::NotCoordinate, argument.span,
            Quote(callee) +
                " takes latitudes and longitudes in degrees, but this is " +
                SpellType(type));
      return false;
    }
    optional = optional || type.optional;
    return true;
  };
  if (callee == "distance_km") {
    if (!arity(4, "distance_km(lat1, lon1, lat2, lon2)")) {
      return Record(expr, kError);
    }
    for (const syntax::Argument& argument : expr.arguments) {
      if (!coordinate(*argument.value)) return Record(expr, kError);
    }
    return builtin(MakeType(TypeKind::Decimal, optional));
  }
  if (callee == "travel_kmh") {
    const char* example =
        "travel_kmh(profile.last_lat, profile.last_lon, profile.last_login, "
        "l.lat, l.lon, now)";
    if (!arity(6, example)) return Record(expr, kError);
    for (size_t i = 0; i < expr.arguments.size(); ++i) {
      const Expr& argument = *expr.arguments[i].value;
      bool time = i == 2 || i == 5;
      if (!time) {
        if (!coordinate(argument)) return Record(expr, kError);
        continue;
      }
      Type type = CheckExpr(argument, scope);
      if (type.kind == TypeKind::Error) return Record(expr, kError);
      if (type.kind != TypeKind::Time && type.kind != TypeKind::Event) {
        Error(Kind::TravelNeedsTimes, argument.span,
              "`travel_kmh` takes each place's latitude, longitude and the "
              "time it was seen there (a time or an event such as "
              "`last(Login)`), but this is " +
                  SpellType(type) + "; write it as in " + Quote(example));
        return Record(expr, kError);
      }
      optional = optional || type.optional;
    }
    return builtin(MakeType(TypeKind::Decimal, optional));
  }

  // days_since, hours_since, minutes_since: whole units since an instant,
  // a date or an event.
  if (!arity(1, (callee + "(last(OrderPlaced))").c_str())) {
    return Record(expr, kError);
  }
  const Expr& argument = *expr.arguments[0].value;
  Type type = CheckExpr(argument, scope);
  if (type.kind == TypeKind::Error) return Record(expr, kError);
  bool instant = type.kind == TypeKind::Time || type.kind == TypeKind::Date ||
                 type.kind == TypeKind::Event;
  if (!instant) {
    Error(Kind::NotInstant, argument.span,
          Quote(callee) + " needs a time, a date or an event, but this is " +
              SpellType(type));
    return Record(expr, kError);
  }
  // Days since a date are counted in the recipient's local days.
  if (type.kind == TypeKind::Date && callee == "days_since") {
    CheckLocalTime(true, expr.span, "`days_since` of a date");
  }
  return builtin(MakeType(TypeKind::Int, type.optional));
}

Type Checker::CheckUnary(const Expr& expr, const Scope& scope) {
  Type operand = CheckExpr(*expr.operands[0], scope);
  if (operand.kind == TypeKind::Error) return Record(expr, kError);
  if (expr.unary_op == syntax::UnaryOp::Not) {
    if (operand == kBool) return Record(expr, kBool);
    Error(Kind::NotOperand, expr.operands[0]->span,
          "`not` needs a condition (bool), but this is " + SpellType(operand));
    return Record(expr, kError);
  }
  bool negatable = IsNumeric(operand.kind) || operand.kind == TypeKind::Money ||
                   operand.kind == TypeKind::Duration;
  if (!negatable || operand.optional) {
    Error(Kind::CannotNegate, expr.operands[0]->span,
          "cannot negate " + SpellType(operand));
    return Record(expr, kError);
  }
  return Record(expr, operand);
}

Type Checker::CheckBinary(const Expr& expr, const Scope& scope) {
  Type left = CheckExpr(*expr.operands[0], scope);
  Type hint = left;
  hint.optional = false;
  Type right = CheckExpr(*expr.operands[1], scope, &hint);
  // A bare enum value on the left takes its meaning from the right.
  if (left.kind == TypeKind::Error &&
      expr.operands[0]->kind == ExprKind::Name &&
      right.kind == TypeKind::Enum) {
    return Record(expr, kError);
  }
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

Type Checker::CheckLogical(const Expr& expr, const Type& left,
                           const Type& right) {
  const char* op = syntax::BinaryOpSpelling(expr.binary_op);
  for (size_t i = 0; i < 2; ++i) {
    const Type& side = i == 0 ? left : right;
    if (side == kBool) continue;
    Error(Kind::LogicNeedsConditions, expr.operands[i]->span,
          Quote(op) + " needs conditions (bool) on both sides, but this is " +
              SpellType(side));
    return Record(expr, kError);
  }
  return Record(expr, kBool);
}

namespace {

// For `2025-3-1`, which reads as a subtraction of three whole numbers
// (the first of four digits, then a month and a day), the text written
// and the instant meant at midnight UTC; empty for anything else.
std::pair<std::string, std::string> DayAsSubtraction(const Expr& expr) {
  auto is_int = [](const Expr& e) { return e.kind == ExprKind::Int; };
  bool shape =
      expr.kind == ExprKind::Binary && expr.binary_op == BinaryOp::Subtract &&
      is_int(*expr.operands[1]) && expr.operands[0]->kind == ExprKind::Binary &&
      expr.operands[0]->binary_op == BinaryOp::Subtract &&
      is_int(*expr.operands[0]->operands[0]) &&
      is_int(*expr.operands[0]->operands[1]);
  if (!shape) return {};
  int64_t year = expr.operands[0]->operands[0]->int_value;
  int64_t month = expr.operands[0]->operands[1]->int_value;
  int64_t day = expr.operands[1]->int_value;
  bool calendar = year >= 1000 && year <= 9999 && month >= 1 && month <= 12 &&
                  day >= 1 && day <= 31;
  if (!calendar) return {};
  char meant[32];
  std::snprintf(meant, sizeof meant, "%04d-%02d-%02dT00:00:00Z",
                static_cast<int>(year), static_cast<int>(month),
                static_cast<int>(day));
  return {std::to_string(year) + "-" + std::to_string(month) + "-" +
              std::to_string(day),
          meant};
}

}  // namespace

Type Checker::CheckComparison(const Expr& expr, const Type& left,
                              const Type& right) {
  bool equality =
      expr.binary_op == BinaryOp::Equal || expr.binary_op == BinaryOp::NotEqual;
  bool left_none = left.kind == TypeKind::None;
  bool right_none = right.kind == TypeKind::None;
  if (left_none || right_none) {
    const Type& other = left_none ? right : left;
    if (equality && other.optional) return Record(expr, kBool);
    Error(Kind::NoneComparison, expr.span,
          "only an optional value can be compared with `none`, and only "
          "with `==` or `!=`; this is " +
              SpellType(other));
    return Record(expr, kError);
  }

  TypeKind a = left.kind;
  TypeKind b = right.kind;
  bool same = left.SameShape(right) || (IsNumeric(a) && IsNumeric(b)) ||
              (a == TypeKind::Tz && b == TypeKind::String) ||
              (a == TypeKind::String && b == TypeKind::Tz);
  static const TypeKind kUnordered[] = {
      TypeKind::Bool,   TypeKind::Channel, TypeKind::Tz,      TypeKind::List,
      TypeKind::Record, TypeKind::Event,   TypeKind::Calendar};
  bool ordered = std::find(std::begin(kUnordered), std::end(kUnordered), a) ==
                 std::end(kUnordered);
  bool comparable =
      a != TypeKind::List && a != TypeKind::Record && a != TypeKind::Event;
  if (!same || !comparable || (!equality && !ordered)) {
    std::string hint;
    if ((a == TypeKind::Money && IsNumeric(b)) ||
        (b == TypeKind::Money && IsNumeric(a))) {
      hint = "; write the amount with its currency, as in `100 EUR`";
    } else if (same && !equality) {
      hint = "; " + SpellType(left) + " values have no order";
    } else if (auto [written, meant] = DayAsSubtraction(
                   *expr.operands[a == TypeKind::Time ? 1 : 0]);
               (a == TypeKind::Time || b == TypeKind::Time) &&
               !written.empty()) {
      hint = "; `" + written +
             "` is read as a subtraction of whole numbers: write the instant "
             "with a two-digit month and day, its time of day and zone, as "
             "in `" +
             meant + "`";
    } else {
      hint = QuotedValueHint(*expr.operands[1], left, program_.enums);
      if (hint.empty()) {
        hint = QuotedValueHint(*expr.operands[0], right, program_.enums);
      }
    }
    Error(Kind::TypeMismatch, expr.span,
          "cannot compare " + SpellType(left) + " with " + SpellType(right) +
              hint);
    return Record(expr, kError);
  }
  return Record(expr, kBool);
}

namespace {

// The result of `left op right` for arithmetic, or Error when the pair is
// not allowed (e.g. a duration added to money).
TypeKind ArithmeticResult(BinaryOp op, TypeKind a, TypeKind b) {
  using T = TypeKind;
  bool additive = op == BinaryOp::Add || op == BinaryOp::Subtract;
  if (IsNumeric(a) && IsNumeric(b)) {
    return a == T::Int && b == T::Int ? T::Int : T::Decimal;
  }
  if (additive) {
    if (a == T::Money && b == T::Money) return T::Money;
    if (a == T::Duration && b == T::Duration) return T::Duration;
    if (a == T::Time && IsLength(b)) return T::Time;
    if (a == T::Date && b == T::Calendar) return T::Date;
    if (op == BinaryOp::Add && IsLength(a) && b == T::Time) return T::Time;
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

}  // namespace

Type Checker::CheckArithmetic(const Expr& expr, const Type& left,
                              const Type& right) {
  const char* op = syntax::BinaryOpSpelling(expr.binary_op);
  if (left.optional || right.optional) {
    const Expr& side = left.optional ? *expr.operands[0] : *expr.operands[1];
    Error(Kind::OptionalMisuse, side.span,
          "this value may be absent (" +
              SpellType(left.optional ? left : right) +
              "), so it cannot be used in `" + op +
              "`; give the attribute a default instead");
    return Record(expr, kError);
  }
  TypeKind result = ArithmeticResult(expr.binary_op, left.kind, right.kind);
  if (result == TypeKind::Error) {
    Error(Kind::BadArithmetic, expr.span,
          "cannot apply " + Quote(op) + " to " + SpellType(left) + " and " +
              SpellType(right));
    return Record(expr, kError);
  }
  return Record(expr, MakeType(result));
}

Type Checker::CheckIn(const Expr& expr, const Scope& scope) {
  Type item = CheckExpr(*expr.operands[0], scope);
  Type hint = ListOf(item);
  Type list = CheckExpr(*expr.operands[1], scope, &hint);
  if (item.kind == TypeKind::Error || list.kind == TypeKind::Error) {
    return Record(expr, kError);
  }
  if (list.kind != TypeKind::List) {
    Error(Kind::InNeedsList, expr.operands[1]->span,
          "`in` needs a list on its right, but this is " + SpellType(list));
    return Record(expr, kError);
  }
  if (list.element) {
    Type element = *list.element;
    Type bare = item;
    bare.optional = false;
    bool same = bare.SameShape(element) ||
                (IsNumeric(bare.kind) && IsNumeric(element.kind));
    if (!same) {
      Error(Kind::InWrongElement, expr.span,
            "cannot look for " + SpellType(item) + " in " + SpellType(list));
      return Record(expr, kError);
    }
  }
  return Record(expr, kBool);
}

Type Checker::CheckList(const Expr& expr, const Scope& scope,
                        const Type* expected) {
  const Type* element_hint = nullptr;
  if (expected != nullptr && expected->kind == TypeKind::List &&
      expected->element) {
    element_hint = expected->element.get();
  }
  std::optional<Type> element;
  for (const auto& item : expr.operands) {
    Type type = CheckExpr(*item, scope, element_hint);
    if (type.kind == TypeKind::Error) return Record(expr, kError);
    if (!element) {
      element = type;
      continue;
    }
    if (!type.SameShape(*element)) {
      Error(Kind::MixedList, item->span,
            "a list holds values of one type; this is " + SpellType(type) +
                " after " + SpellType(*element));
      return Record(expr, kError);
    }
  }
  if (!element) {
    // `[]` fits any list.
    Type type = MakeType(TypeKind::List);
    if (element_hint != nullptr) type = ListOf(*element_hint);
    return Record(expr, type);
  }
  return Record(expr, ListOf(*element));
}

Type Checker::CheckRecordLiteral(const Expr& expr, const Scope& scope) {
  std::map<std::string, diag::Span> names;
  for (size_t i = 0; i < expr.fields.size(); ++i) {
    Claim(names, expr.fields[i], "field");
    CheckExpr(*expr.operands[i], scope);
  }
  return Record(expr, MakeType(TypeKind::Record));
}

void Checker::CheckRecordFields(const Expr& record,
                                const std::vector<FieldDecl>& fields,
                                const std::string& owner, const Scope& scope,
                                bool require_all,
                                const std::vector<std::string>& extra) {
  std::map<std::string, diag::Span> names;
  std::vector<std::string> candidates = extra;
  for (const FieldDecl& field : fields) candidates.push_back(field.name);

  for (size_t i = 0; i < record.fields.size(); ++i) {
    const syntax::Name& name = record.fields[i];
    const Expr& value = *record.operands[i];
    Claim(names, name, "field");
    auto field =
        std::find_if(fields.begin(), fields.end(),
                     [&](const FieldDecl& f) { return f.name == name.text; });
    if (field == fields.end()) {
      if (Contains(extra, name.text)) continue;
      CheckExpr(value, scope);
      Error(Kind::UnknownRecordField, name.span,
            owner + " has no field " + Quote(name.text) +
                Suggest(name.text, candidates));
      continue;
    }
    CheckValue(value, field->type, scope, "field " + Quote(name.text));
  }
  if (!require_all) return;
  for (const FieldDecl& field : fields) {
    if (field.type.optional || names.count(field.name)) continue;
    Error(Kind::MissingField, record.span,
          owner + " needs its field " + Quote(field.name) + " (" +
              SpellType(field.type) + ")");
  }
}

void Checker::CheckValue(const Expr& value, const Type& expected,
                         const Scope& scope, const std::string& what) {
  // A record literal for a declared record is checked field by field, and
  // a list literal element by element, against what the slot declares.
  if (expected.kind == TypeKind::Record && expected.id >= 0 &&
      value.kind == ExprKind::Record) {
    const RecordInfo& record = program_.records[expected.id];
    CheckRecordFields(value, record.fields, "record " + Quote(record.name),
                      scope, true);
    Record(value, MakeType(TypeKind::Record, false, expected.id));
    return;
  }
  if (expected.kind == TypeKind::List && expected.element &&
      value.kind == ExprKind::List) {
    for (const auto& item : value.operands) {
      CheckValue(*item, *expected.element, scope, what + "'s items");
    }
    Type type = expected;
    type.optional = false;
    Record(value, type);
    return;
  }

  Type type = CheckExpr(value, scope, &expected);
  // A time zone is written as a string: "Europe/Paris".
  if (expected.kind == TypeKind::Tz && type.kind == TypeKind::String) {
    CheckZoneName(value);
    return;
  }
  // So is a date, as it comes on the stream: "1990-03-29".
  bool date_text = expected.kind == TypeKind::Date && CheckDateText(value);
  if (date_text) {
    Record(value, MakeType(TypeKind::Date));
    return;
  }
  Expect(value, type, expected, what);
}

bool Checker::Assignable(const Type& value, const Type& target) const {
  if (value.kind == TypeKind::Error || target.kind == TypeKind::Error) {
    return true;
  }
  if (value.kind == TypeKind::None) return target.optional;
  if (value.optional && !target.optional) return false;
  if (value.SameShape(target)) return true;
  if (value.kind == TypeKind::Int && target.kind == TypeKind::Decimal) {
    return true;
  }
  if (value.kind == TypeKind::List && target.kind == TypeKind::List) {
    return !value.element;  // `[]`
  }
  // A record literal fits only a slot that takes any record (a payload);
  // one for a declared record is checked by `CheckValue`.
  return value.kind == TypeKind::Record && value.id < 0 &&
         target.kind == TypeKind::Record && target.id < 0;
}

bool Checker::Expect(const Expr& expr, const Type& type, const Type& expected,
                     const std::string& what) {
  if (Assignable(type, expected)) return true;
  std::string hint;
  if (type.optional && !expected.optional) {
    hint = "; it may be absent, and here a value is needed";
  } else if (expected.kind == TypeKind::Money && IsNumeric(type.kind)) {
    hint = "; write the amount with its currency, as in `100 EUR`";
  } else {
    hint = QuotedValueHint(expr, expected, program_.enums);
  }
  Error(Kind::WrongType, expr.span,
        what + " must be " + SpellType(expected) + ", but this is " +
            SpellType(type) + hint);
  return false;
}

bool Checker::ExpectBool(const Expr& expr, const Type& type,
                         const std::string& what) {
  if (type.kind == TypeKind::Error || type == kBool) return true;
  Error(Kind::NotCondition, expr.span,
        what + " must be a condition (bool), but this is " + SpellType(type));
  return false;
}

bool Checker::ExpectLength(const Expr& expr, const Scope& scope,
                           const std::string& what, bool allow_calendar,
                           bool allow_computed) {
  Type type = CheckExpr(expr, scope);
  if (type.kind == TypeKind::Error) return false;
  bool length = type.kind == TypeKind::Duration ||
                (allow_calendar && type.kind == TypeKind::Calendar);
  if (!length) {
    Error(Kind::NotDuration, expr.span,
          what + " needs a duration such as " +
              std::string(allow_calendar ? "`1h`, `60d` or `1 month`"
                                         : "`1h` or `60d`") +
              ", not " + SpellType(type));
    return false;
  }
  if (allow_computed && type.kind == TypeKind::Duration) return true;
  if (expr.kind != ExprKind::Duration && expr.kind != ExprKind::Calendar) {
    Error(Kind::NotConstant, expr.span,
          what + " takes a literal such as `60d`");
    return false;
  }
  return true;
}

bool Checker::ExpectPercent(const Expr& expr, const Scope& scope,
                            const std::string& what) {
  Type type = CheckExpr(expr, scope);
  if (type.kind == TypeKind::Error) return false;
  bool negative = expr.kind == ExprKind::Unary &&
                  expr.unary_op == syntax::UnaryOp::Negate &&
                  expr.operands[0]->kind == ExprKind::Percent;
  if (negative) {
    Error(Kind::NegativePercent, expr.span,
          what + " cannot be negative: write a share from `0%` to `100%`");
    return false;
  }
  if (expr.kind != ExprKind::Percent) {
    // A sum of percentages is a percentage too, but not one written out.
    std::string given = type.kind == TypeKind::Percent
                            ? std::string("a computed one")
                            : SpellType(type);
    Error(
        Kind::NotPercent, expr.span,
        what + " needs a percentage written out, such as `10%`, not " + given);
    return false;
  }
  return true;
}

}  // namespace parcours::sema
