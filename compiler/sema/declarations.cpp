// Declarations: imports, enums, records, the profile, events, segments,
// and the dispatch to the other kinds.
#include <algorithm>
#include <cctype>
#include <string>

#include "compiler/ir/dates.h"
#include "compiler/sema/checker.h"

namespace parcours::sema {

using diag::Kind;

namespace {

struct BuiltinType {
  const char* name;
  TypeKind kind;
};

const BuiltinType kBuiltinTypes[] = {
    {"bool", TypeKind::Bool},         {"channel", TypeKind::Channel},
    {"date", TypeKind::Date},         {"decimal", TypeKind::Decimal},
    {"duration", TypeKind::Duration}, {"int", TypeKind::Int},
    {"money", TypeKind::Money},       {"string", TypeKind::String},
    {"time", TypeKind::Time},         {"tz", TypeKind::Tz},
};

}  // namespace

void Checker::CheckImports() {
  std::vector<std::string> known;
  for (const syntax::Module& module : program_.modules) {
    if (module.name) known.push_back(module.name->text);
  }
  for (const syntax::Module& module : program_.modules) {
    // A file does not import its own module: that one is no suggestion.
    std::vector<std::string> others;
    for (const std::string& name : known) {
      if (!module.name || name != module.name->text) others.push_back(name);
    }
    for (const syntax::Name& import : module.imports) {
      if (Contains(known, import.text)) continue;
      Error(Kind::UnknownModule, import.span,
            "module " + Quote(import.text) +
                " is not among the files being compiled" +
                Suggest(import.text, others));
    }
  }
}

bool Checker::Claim(std::map<std::string, diag::Span>& table,
                    const syntax::Name& name, const char* what) {
  auto [found, inserted] = table.emplace(name.text, name.span);
  if (inserted) return true;
  Error(Kind::DuplicateName, name.span,
        std::string(what) + " " + Quote(name.text) + " is declared twice",
        {{found->second, "first declared here"}});
  return false;
}

void Checker::DeclareTypes(const syntax::Declaration& declaration) {
  if (const auto* enumeration = std::get_if<syntax::EnumDecl>(&declaration)) {
    if (!Claim(type_names_, enumeration->name, "type")) return;
    EnumInfo info{enumeration->name.text, {}, enumeration->name.span};
    std::map<std::string, diag::Span> values;
    for (const syntax::Name& value : enumeration->values) {
      if (Claim(values, value, "enum value")) info.values.push_back(value.text);
    }
    program_.enums.push_back(std::move(info));
  }
  if (const auto* record = std::get_if<syntax::RecordDecl>(&declaration)) {
    if (!Claim(type_names_, record->name, "type")) return;
    program_.records.push_back({record->name.text, {}, record});
  }
}

std::optional<Type> Checker::ResolveType(const syntax::TypeRef& type,
                                         const std::string& owner) {
  switch (type.kind) {
    case syntax::TypeRef::Kind::List: {
      auto element = ResolveType(*type.element, owner);
      if (!element) return std::nullopt;
      return ListOf(*element, type.optional);
    }
    case syntax::TypeRef::Kind::InlineEnum: {
      EnumInfo info{owner, {}, type.span};
      std::map<std::string, diag::Span> values;
      for (const syntax::Name& value : type.values) {
        if (Claim(values, value, "enum value")) {
          info.values.push_back(value.text);
        }
      }
      program_.enums.push_back(std::move(info));
      return MakeType(TypeKind::Enum, type.optional,
                      static_cast<int32_t>(program_.enums.size() - 1));
    }
    case syntax::TypeRef::Kind::Named: break;
  }

  const std::string& name = type.name.text;
  for (const BuiltinType& builtin : kBuiltinTypes) {
    if (name == builtin.name) return MakeType(builtin.kind, type.optional);
  }
  for (size_t i = 0; i < program_.enums.size(); ++i) {
    if (program_.enums[i].name == name) {
      return MakeType(TypeKind::Enum, type.optional, static_cast<int32_t>(i));
    }
  }
  for (size_t i = 0; i < program_.records.size(); ++i) {
    if (program_.records[i].name == name) {
      return MakeType(TypeKind::Record, type.optional, static_cast<int32_t>(i));
    }
  }

  std::vector<std::string> candidates;
  for (const BuiltinType& builtin : kBuiltinTypes) {
    candidates.push_back(builtin.name);
  }
  for (const auto& [declared, span] : type_names_)
    candidates.push_back(declared);
  Error(Kind::UnknownType, type.name.span,
        "unknown type " + Quote(name) + Suggest(name, candidates));
  return std::nullopt;
}

void Checker::DeclareFields(const std::vector<syntax::Attribute>& attributes,
                            std::vector<FieldDecl>& fields, const char* what,
                            bool allow_defaults) {
  std::map<std::string, diag::Span> names;
  std::map<std::string, diag::Span> wire_names;
  for (const syntax::Attribute& attribute : attributes) {
    if (!Claim(names, attribute.name, what)) continue;
    syntax::Name wire{attribute.wire_name.value_or(attribute.name.text),
                      attribute.name.span};
    Claim(wire_names, wire, "property name");
    if (attribute.default_value && !allow_defaults) {
      Error(Kind::DefaultNotAllowed, attribute.default_value->span,
            "a field here cannot have a default; make it optional with `?` "
            "instead");
    }
    auto type = ResolveType(attribute.type, attribute.name.text);
    fields.push_back({attribute.name.text,
                      attribute.wire_name.value_or(attribute.name.text),
                      type.value_or(MakeType(TypeKind::Error)), &attribute});
  }
}

void Checker::Declare(const syntax::Declaration& declaration) {
  if (const auto* profile = std::get_if<syntax::ProfileDecl>(&declaration)) {
    for (const syntax::Attribute& attribute : profile->attributes) {
      if (!Claim(profile_names_, attribute.name, "profile attribute")) continue;
      syntax::Name wire{attribute.wire_name.value_or(attribute.name.text),
                        attribute.name.span};
      Claim(profile_wire_names_, wire, "trait name");
      auto type = ResolveType(attribute.type, attribute.name.text);
      AddProfileField({attribute.name.text,
                       attribute.wire_name.value_or(attribute.name.text),
                       type.value_or(MakeType(TypeKind::Error)), &attribute});
    }
  } else if (const auto* event = std::get_if<syntax::EventDecl>(&declaration)) {
    if (!Claim(event_names_, event->name, "event")) return;
    // Two events with one wire name: the second would never be decoded.
    syntax::Name wire{event->wire_name.value_or(event->name.text),
                      event->name.span};
    Claim(event_wire_names_, wire, "wire name");
    EventInfo info{event->name.text,
                   event->wire_name.value_or(event->name.text),
                   {},
                   event};
    DeclareFields(event->fields, info.fields, "field", false);
    AddEvent(std::move(info));
  } else if (const auto* record =
                 std::get_if<syntax::RecordDecl>(&declaration)) {
    for (RecordInfo& info : program_.records) {
      if (info.decl == record && info.fields.empty()) {
        DeclareFields(record->fields, info.fields, "field", false);
      }
    }
  } else if (const auto* segment =
                 std::get_if<syntax::SegmentDecl>(&declaration)) {
    if (!Claim(global_names_, segment->name, "segment")) return;
    AddSegment({segment->name.text, segment});
  } else if (const auto* policy =
                 std::get_if<syntax::PolicyDecl>(&declaration)) {
    if (!Claim(global_names_, policy->name, "policy")) return;
    program_.policies.push_back({policy->name.text, policy});
  } else if (const auto* loyalty =
                 std::get_if<syntax::ProgramDecl>(&declaration)) {
    if (!Claim(global_names_, loyalty->name, "program")) return;
    program_.programs.push_back({loyalty->name.text, -1, loyalty});
    // Known before any expression is checked, so that `tier(loyalty)`
    // has its enum type wherever it is written.
    for (const syntax::ProgramRule& rule : loyalty->rules) {
      if (rule.kind != syntax::ProgramRule::Kind::Tier) continue;
      for (size_t e = 0; e < program_.enums.size(); ++e) {
        if (!Contains(program_.enums[e].values, rule.name.text)) continue;
        program_.programs.back().tier_enum = static_cast<int32_t>(e);
        break;
      }
      break;
    }
  } else if (const auto* journey =
                 std::get_if<syntax::JourneyDecl>(&declaration)) {
    Claim(global_names_, journey->name, "journey");
  }
}

void Checker::DeclareLoyaltyEvents() {
  if (program_.programs.empty()) return;
  // With several programs the tiers may differ; the first one's enum.
  int32_t tiers = program_.programs.front().tier_enum;
  Type text = MakeType(TypeKind::String);
  Type number = MakeType(TypeKind::Int);
  Type instant = MakeType(TypeKind::Time, true);
  Type tier = tiers >= 0 ? MakeType(TypeKind::Enum, true, tiers)
                         : MakeType(TypeKind::String, true);
  struct Declared {
    const char* name;
    std::vector<FieldDecl> fields;
  };
  std::vector<Declared> events = {
      {"PointsEarned",
       {{"program", "program", text, nullptr},
        {"points", "points", number, nullptr},
        {"balance", "balance", number, nullptr},
        {"expires_at", "expires_at", instant, nullptr}}},
      {"PointsBurned",
       {{"program", "program", text, nullptr},
        {"points", "points", number, nullptr},
        {"balance", "balance", number, nullptr}}},
      {"PointsExpired",
       {{"program", "program", text, nullptr},
        {"points", "points", number, nullptr},
        {"balance", "balance", number, nullptr},
        {"expires_at", "expires_at", instant, nullptr}}},
      {"PointsExpiring",
       {{"program", "program", text, nullptr},
        {"points", "points", number, nullptr},
        {"balance", "balance", number, nullptr},
        {"expires_at", "expires_at", instant, nullptr}}},
      {"TierChanged",
       {{"program", "program", text, nullptr},
        {"tier", "tier", tier, nullptr},
        {"previous", "previous", tier, nullptr},
        {"balance", "balance", number, nullptr}}},
  };
  for (Declared& event : events) {
    if (FindEvent(event.name) >= 0) continue;
    AddEvent({event.name, event.name, std::move(event.fields), nullptr});
  }
}

void Checker::Define(const syntax::Declaration& declaration) {
  if (const auto* profile = std::get_if<syntax::ProfileDecl>(&declaration)) {
    for (const syntax::Attribute& attribute : profile->attributes) {
      const FieldDecl* field = FindProfileField(attribute.name.text);
      if (field != nullptr && field->decl == &attribute) {
        CheckDefault(attribute, *field);
      }
    }
  } else if (const auto* segment =
                 std::get_if<syntax::SegmentDecl>(&declaration)) {
    Scope scope;
    scope.allow_segments = false;
    ExpectBool(*segment->predicate, CheckExpr(*segment->predicate, scope),
               "a segment");
  } else if (const auto* policy =
                 std::get_if<syntax::PolicyDecl>(&declaration)) {
    CheckPolicy(*policy);
  } else if (const auto* loyalty =
                 std::get_if<syntax::ProgramDecl>(&declaration)) {
    CheckProgram(*loyalty);
  } else if (const auto* journey =
                 std::get_if<syntax::JourneyDecl>(&declaration)) {
    CheckJourney(*journey);
  } else if (const auto* test = std::get_if<syntax::TestDecl>(&declaration)) {
    CheckTest(*test);
  }
}

namespace {

bool IsLiteral(const syntax::Expr& expr) {
  switch (expr.kind) {
    case syntax::ExprKind::Int:
    case syntax::ExprKind::Decimal:
    case syntax::ExprKind::Money:
    case syntax::ExprKind::Duration:
    case syntax::ExprKind::Calendar:
    case syntax::ExprKind::Percent:
    case syntax::ExprKind::Clock:
    case syntax::ExprKind::Timestamp:
    case syntax::ExprKind::String:
    case syntax::ExprKind::Bool:
    case syntax::ExprKind::Name:  // an enum value or a channel
      return true;
    case syntax::ExprKind::Unary:
      return expr.unary_op == syntax::UnaryOp::Negate &&
             IsLiteral(*expr.operands[0]);
    default: return false;
  }
}

}  // namespace

void Checker::CheckDefault(const syntax::Attribute& attribute,
                           const FieldDecl& field) {
  if (!attribute.default_value) return;
  if (field.type.kind == TypeKind::Error) return;
  const syntax::Expr& value = *attribute.default_value;
  if (!IsLiteral(value)) {
    Error(Kind::DefaultNotLiteral, value.span,
          "a default must be a literal such as `0`, `\"EUR\"` or `10 EUR`");
    return;
  }
  Scope scope;
  scope.allow_aggregates = false;
  scope.allow_segments = false;
  Type expected = field.type;
  expected.optional = false;
  Type type = CheckExpr(value, scope, &expected);
  if (type.kind == TypeKind::Error) return;
  if (field.type.kind == TypeKind::Tz && type.kind == TypeKind::String) {
    CheckZoneName(value);
    return;
  }
  // A date is written as on the stream: "2020-01-31".
  bool date_text = field.type.kind == TypeKind::Date && CheckDateText(value);
  if (date_text) return;
  if (!Expect(value, type, expected, "the default of " + Quote(field.name))) {
    return;
  }
  // A whole number widened to a decimal must stay within the decimal range.
  constexpr int64_t kLargestWhole = 9'223'372'036'854;
  bool widened =
      type.kind == TypeKind::Int && expected.kind == TypeKind::Decimal;
  int64_t whole = value.kind == syntax::ExprKind::Unary
                      ? value.operands[0]->int_value
                      : value.int_value;
  if (widened && whole > kLargestWhole) {
    Error(Kind::DefaultTooLarge, value.span,
          "`" + std::to_string(whole) +
              "` is too large for a decimal; decimals go up to "
              "9223372036854.775807");
  }
}

void Checker::AddEvent(EventInfo event) {
  event_index_.emplace(event.name,
                       static_cast<int32_t>(program_.events.size()));
  program_.events.push_back(std::move(event));
}

void Checker::AddSegment(SegmentInfo segment) {
  segment_index_.emplace(segment.name,
                         static_cast<int32_t>(program_.segments.size()));
  program_.segments.push_back(std::move(segment));
}

void Checker::AddProfileField(FieldDecl field) {
  profile_index_.emplace(field.name,
                         static_cast<int32_t>(program_.profile.size()));
  program_.profile.push_back(std::move(field));
}

int32_t Checker::FindEvent(const std::string& name) const {
  auto found = event_index_.find(name);
  return found == event_index_.end() ? -1 : found->second;
}

int32_t Checker::ResolveEvent(const syntax::Name& name) {
  int32_t found = FindEvent(name.text);
  if (found >= 0) return found;
  std::vector<std::string> candidates;
  for (const EventInfo& event : program_.events) {
    candidates.push_back(event.name);
  }
  Error(Kind::UnknownEvent, name.span,
        "unknown event " + Quote(name.text) + Suggest(name.text, candidates));
  return -1;
}

int32_t Checker::FindSegment(const std::string& name) const {
  auto found = segment_index_.find(name);
  return found == segment_index_.end() ? -1 : found->second;
}

int32_t Checker::FindProfileIndex(const std::string& name) const {
  auto found = profile_index_.find(name);
  return found == profile_index_.end() ? -1 : found->second;
}

const FieldDecl* Checker::FindProfileField(const std::string& name) const {
  int32_t index = FindProfileIndex(name);
  return index < 0 ? nullptr : &program_.profile[index];
}

bool Checker::ProfileHasTimeZone() const {
  return std::any_of(
      program_.profile.begin(), program_.profile.end(),
      [](const FieldDecl& field) { return field.type.kind == TypeKind::Tz; });
}

void Checker::CheckZoneName(const syntax::Expr& value) {
  // An empty zone is documented as UTC; only a named one can be wrong.
  if (value.kind != syntax::ExprKind::String || value.text.empty()) return;
  if (ir::FindTimeZone(value.text) != nullptr) return;
  std::string hint = Suggest(value.text, ir::TimeZoneNames());
  if (hint.empty()) hint = "; write a zone such as `Europe/London`";
  Error(Kind::UnknownTimeZone, value.span,
        Quote(value.text) +
            " is not a time zone of the tz database, so this profile's "
            "local times would run in UTC" +
            hint);
}

namespace {

const char* const kMonthNames[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// Why the date `year`-`month`-`day` is no day of the calendar; "" when it
// is one.
std::string WhyNotADay(int year, int month, int day) {
  if (year < 1) return "years start at 0001";
  if (month < 1 || month > 12) return "a month is 01 to 12";
  int days = ir::DaysInMonth(year, month);
  if (day >= 1 && day <= days) return "";
  return std::string(kMonthNames[month - 1]) + " " + std::to_string(year) +
         " has " + std::to_string(days) + " days";
}

}  // namespace

bool Checker::CheckDateText(const syntax::Expr& value) {
  if (value.kind != syntax::ExprKind::String) return false;
  const std::string& text = value.text;
  bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  for (size_t i = 0; shaped && i < text.size(); ++i) {
    shaped =
        i == 4 || i == 7 || std::isdigit(static_cast<unsigned char>(text[i]));
  }
  if (!shaped) return false;
  if (ir::ParseDate(text)) return true;

  std::string why =
      WhyNotADay(std::stoi(text.substr(0, 4)), std::stoi(text.substr(5, 2)),
                 std::stoi(text.substr(8, 2)));
  Error(Kind::NotCalendarDay, value.span,
        "`" + text + "` is not a day of the calendar: " + why);
  return true;
}

}  // namespace parcours::sema
