#include "compiler/syntax/ast_builder.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <limits>

#include "ParcoursBaseVisitor.h"

namespace parcours::syntax {

Span TokenSpan(int32_t file, const antlr4::Token* token) {
  if (token == nullptr) return {};
  int32_t line = static_cast<int32_t>(token->getLine());
  int32_t column = static_cast<int32_t>(token->getCharPositionInLine()) + 1;
  auto length =
      static_cast<int32_t>(token->getStopIndex() - token->getStartIndex() + 1);
  if (token->getType() == antlr4::Token::EOF) length = 1;
  return {file, line, column, line, column + std::max(length, 1)};
}

Span ContextSpan(int32_t file, antlr4::ParserRuleContext* context) {
  if (context == nullptr) return {};
  Span begin = TokenSpan(file, context->getStart());
  Span end = TokenSpan(file, context->getStop());
  if (!end.Valid() || end.line < begin.line ||
      (end.line == begin.line && end.end_column < begin.column)) {
    return begin;
  }
  return {file, begin.line, begin.column, end.line, end.end_column};
}

namespace {

using diag::Kind;
using G = parcoursgrammar::ParcoursParser;

constexpr int64_t kScale = 1'000'000;

// The labelled alternatives the builder tells apart on hot paths (every
// expression, literal and step). One virtual call through the generated
// visitor names the alternative, where a chain of `dynamic_cast`s costs
// several comparisons of type names for every alternative it passes.
// clang-format off
#define PARCOURS_ALTERNATIVES(X)                                             \
  X(ParenExpr) X(ListExpr) X(RecordExpr) X(CallExpr) X(FieldExpr)            \
  X(NegateExpr) X(MultiplyExpr) X(AddExpr) X(CompareExpr) X(InExpr)          \
  X(NotExpr) X(AndExpr) X(OrExpr) X(LiteralExpr) X(NameExpr)                 \
  X(IntLiteral) X(DecimalLiteral) X(MoneyLiteral) X(DurationLiteral)         \
  X(CalendarLiteral) X(PercentLiteral) X(ClockLiteral) X(TimestampLiteral)   \
  X(StringLiteral) X(BoolLiteral) X(NoneLiteral)                             \
  X(WaitUntilStep) X(WaitForStep) X(WaitStep) X(SendStep) X(IfStep)          \
  X(SplitStep) X(TaskStep) X(WebhookStep) X(SetStep) X(EmitStep)             \
  X(AwardStep) X(FreezeStep) X(SecondFactorStep) X(ExitStep)
// clang-format on

enum class Alternative : uint8_t {
  Other,  // a context not in the list
#define PARCOURS_ENUMERATOR(name) name,
  PARCOURS_ALTERNATIVES(PARCOURS_ENUMERATOR)
#undef PARCOURS_ENUMERATOR
};

class AlternativeFinder final : public parcoursgrammar::ParcoursBaseVisitor {
 public:
  Alternative Of(antlr4::tree::ParseTree* context) {
    found_ = Alternative::Other;
    context->accept(this);
    return found_;
  }

  // Any other context: do not descend, it stays `Other`.
  antlrcpp::Any visitChildren(antlr4::tree::ParseTree*) override { return {}; }

#define PARCOURS_VISIT(name)                              \
  antlrcpp::Any visit##name(G::name##Context*) override { \
    found_ = Alternative::name;                           \
    return {};                                            \
  }
  PARCOURS_ALTERNATIVES(PARCOURS_VISIT)
#undef PARCOURS_VISIT

 private:
  Alternative found_ = Alternative::Other;
};

#undef PARCOURS_ALTERNATIVES

class AstBuilder {
 public:
  AstBuilder(int32_t file, const std::string& source,
             diag::DiagnosticEngine& diagnostics)
      : file_(file), source_(source), diagnostics_(diagnostics) {
    IndexCodePoints();
  }

  Module Build(G::FileContext* tree) {
    Module module;
    module.file = file_;
    if (auto* declared = tree->moduleDecl()) {
      module.name = NameOf(declared->qualifiedName());
    }
    for (auto* import : tree->importDecl()) {
      module.imports.push_back(NameOf(import->qualifiedName()));
    }
    for (auto* declaration : tree->declaration()) {
      module.declarations.push_back(BuildDeclaration(declaration));
    }
    return module;
  }

 private:
  // ---- Helpers ------------------------------------------------------------

  Span SpanOf(antlr4::ParserRuleContext* context) const {
    return ContextSpan(file_, context);
  }

  Span SpanOf(antlr4::tree::TerminalNode* node) const {
    return TokenSpan(file_, node->getSymbol());
  }

  // Token indices count code points from after the byte-order mark, which
  // ANTLR's input stream drops; the source is UTF-8 and may start with
  // the mark. A source of plain ASCII needs no table (the common case); any
  // other gets the byte offset of every code point, and of the end.
  void IndexCodePoints() {
    static const std::string kByteOrderMark = "\xEF\xBB\xBF";
    size_t start = source_.rfind(kByteOrderMark, 0) == 0 ? 3 : 0;
    bool ascii = std::all_of(source_.begin(), source_.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0x80) == 0;
    });
    if (ascii) return;
    for (size_t at = start; at < source_.size(); ++at) {
      if ((static_cast<unsigned char>(source_[at]) & 0xC0) != 0x80) {
        byte_offsets_.push_back(static_cast<uint32_t>(at));
      }
    }
    byte_offsets_.push_back(static_cast<uint32_t>(source_.size()));
  }

  size_t ByteOffset(size_t code_point) const {
    return byte_offsets_.empty() ? code_point : byte_offsets_[code_point];
  }

  // The text of a token, cut from the source: the same as
  // `Token::getText()` without its conversion through UTF-32.
  std::string TextOf(const antlr4::Token* token) const {
    size_t begin = ByteOffset(token->getStartIndex());
    size_t end = ByteOffset(token->getStopIndex() + 1);
    return source_.substr(begin, end - begin);
  }

  // The text of a rule's tokens without what lies between them, as
  // `getText()` has it; most rules here are one token, cut directly.
  std::string TextOf(antlr4::ParserRuleContext* context) const {
    if (context->getStart() == context->getStop()) {
      return TextOf(context->getStart());
    }
    return context->getText();
  }

  std::string TextOf(antlr4::tree::TerminalNode* node) const {
    return TextOf(node->getSymbol());
  }

  Name NameOf(antlr4::ParserRuleContext* context) const {
    return {TextOf(context), SpanOf(context)};
  }

  std::vector<Name> NamesOf(const std::vector<G::NameContext*>& contexts) {
    std::vector<Name> names;
    for (auto* context : contexts) names.push_back(NameOf(context));
    return names;
  }

  std::optional<Name> OptionalName(G::NameContext* context) const {
    if (context == nullptr) return std::nullopt;
    return NameOf(context);
  }

  std::unique_ptr<Expr> OptionalExpr(G::ExprContext* context) {
    if (context == nullptr) return nullptr;
    return BuildExpr(context);
  }

  // Removes the quotes of a string literal and resolves its escapes.
  static std::string Unquote(const std::string& quoted) {
    std::string text;
    for (size_t i = 1; i + 1 < quoted.size(); ++i) {
      char c = quoted[i];
      if (c != '\\' || i + 2 >= quoted.size()) {
        text += c;
        continue;
      }
      char escaped = quoted[++i];
      switch (escaped) {
        case 'n': text += '\n'; break;
        case 't': text += '\t'; break;
        default: text += escaped; break;
      }
    }
    return text;
  }

  std::string UnquoteToken(antlr4::Token* token) const {
    return token == nullptr ? "" : Unquote(TextOf(token));
  }

  int64_t ParseInteger(const std::string& text, const Span& span) {
    int64_t value = 0;
    for (char c : text) {
      if (c == '_') continue;
      int digit = c - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) {
        diagnostics_.Report(Kind::BadLiteral, span,
                            "`" + text +
                                "` does not fit in a 64-bit integer; the "
                                "largest is 9223372036854775807");
        return 0;
      }
      value = value * 10 + digit;
    }
    return value;
  }

  // Decimal text to fixed point with six places, exactly.
  int64_t ParseDecimal(const std::string& text, const Span& span) {
    size_t dot = text.find('.');
    std::string whole = text.substr(0, dot);
    std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
    std::erase(fraction, '_');
    if (fraction.size() > 6) {
      diagnostics_.Report(Kind::TooManyDecimals, span,
                          "`" + text + "` has more than 6 decimal places");
      return 0;
    }
    fraction.append(6 - fraction.size(), '0');
    __int128 units = ParseInteger(whole, span);
    __int128 scaled = units * kScale + ParseInteger(fraction, span);
    if (scaled > std::numeric_limits<int64_t>::max()) {
      diagnostics_.Report(Kind::DecimalTooLarge, span,
                          "`" + text +
                              "` is too large; decimals and amounts go up "
                              "to 9223372036854.775807");
      return 0;
    }
    return static_cast<int64_t>(scaled);
  }

  // `09:30` to seconds after midnight.
  int64_t ParseClock(const std::string& text, const Span& span) {
    size_t colon = text.find(':');
    int64_t hours = ParseInteger(text.substr(0, colon), span);
    int64_t minutes = ParseInteger(text.substr(colon + 1), span);
    if (hours > 23 || minutes > 59) {
      diagnostics_.Report(
          Kind::BadClock, span,
          "`" + text + "` is not a time of day; use 00:00 to 23:59");
      return 0;
    }
    return hours * 3600 + minutes * 60;
  }

  // `2025-03-01T10:00:00Z` (or with an offset) to seconds since the epoch,
  // by the proleptic Gregorian calendar. A day alone (`2025-03-01`) is
  // refused.
  int64_t ParseTimestamp(const std::string& text, const Span& span) {
    auto number = [&](size_t at, size_t length) {
      return ParseInteger(text.substr(at, length), span);
    };
    int64_t year = number(0, 4);
    int64_t month = number(5, 2);
    int64_t day = number(8, 2);
    int64_t seconds = 0;
    if (text.size() > 10) {
      int64_t hour = number(11, 2);
      int64_t minute = number(14, 2);
      size_t rest = 16;
      int64_t second = 0;
      if (text[rest] == ':') {
        second = number(rest + 1, 2);
        rest += 3;
      }
      if (hour > 23 || minute > 59 || second > 59)
        return BadTimestamp(text, span);
      seconds = hour * 3600 + minute * 60 + second;
      if (text[rest] != 'Z') {
        int64_t offset = number(rest + 1, 2) * 3600 + number(rest + 4, 2) * 60;
        seconds -= text[rest] == '+' ? offset : -offset;
      }
    }
    if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
      return BadTimestamp(text, span);
    }

    // A day starts at another instant in each zone: read as midnight UTC,
    // `now >= 2025-03-01` would open a sale on the 28th in Los Angeles.
    if (text.size() == 10) {
      diagnostics_.Report(
          Kind::DateWithoutTime, span,
          "`" + text +
              "` is a day, and a day starts at another instant in each "
              "zone; write the instant meant, as in `" +
              text + "T00:00:00Z` (midnight UTC) or `" + text +
              "T00:00:00-08:00` (midnight in California in winter)");
      return 0;
    }
    return DaysFromCivil(year, month, day) * 86400 + seconds;
  }

  int64_t BadTimestamp(const std::string& text, const Span& span) {
    diagnostics_.Report(Kind::BadTimestamp, span,
                        "`" + text + "` is not a valid date and time");
    return 0;
  }

  static int64_t DaysInMonth(int64_t year, int64_t month) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
  }

  // Days from 1970-01-01 to the given civil date.
  static int64_t DaysFromCivil(int64_t year, int64_t month, int64_t day) {
    year -= month <= 2 ? 1 : 0;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year =
        (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
  }

  // `30m` to seconds.
  int64_t ParseDuration(const std::string& text, const Span& span) {
    int64_t unit = 1;
    switch (text.back()) {
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: unit = 1; break;
    }
    int64_t count = ParseInteger(text.substr(0, text.size() - 1), span);
    // Past a thousand years a wait or window means a typo, and the engine's
    // clock would overflow adding it.
    constexpr int64_t kMaxSeconds = int64_t{1000} * 366 * 86400;
    if (count > kMaxSeconds / unit) {
      diagnostics_.Report(
          Kind::DurationTooLong, span,
          "duration `" + text + "` is longer than a thousand years");
      return 0;
    }
    return count * unit;
  }

  // `12 months` to a count and a unit.
  Length ParseCalendar(const std::string& text, const Span& span) {
    size_t space = text.find(' ');
    std::string word = text.substr(text.find_last_of(' ') + 1);
    if (word.back() == 's') word.pop_back();
    Length length;
    length.count = ParseInteger(text.substr(0, space), span);
    length.span = span;
    // Past a thousand years the length means a typo, whatever the unit.
    int64_t days_per_unit = word == "year"    ? 366
                            : word == "month" ? 31
                            : word == "week"  ? 7
                                              : 1;
    if (length.count > 1000 * 366 / days_per_unit) {
      diagnostics_.Report(Kind::CalendarTooLong, span,
                          "`" + text + "` is longer than a thousand years");
      length.count = 0;
    }
    if (word == "day") length.calendar = CalendarUnit::Day;
    if (word == "week") length.calendar = CalendarUnit::Week;
    if (word == "month") length.calendar = CalendarUnit::Month;
    if (word == "year") length.calendar = CalendarUnit::Year;
    return length;
  }

  Length ParseWindowSpan(G::WindowSpanContext* context) {
    Span span = SpanOf(context);
    if (context->CALENDAR() != nullptr) {
      return ParseCalendar(TextOf(context), span);
    }
    return {ParseDuration(TextOf(context), span), std::nullopt, span};
  }

  // ---- Declarations -------------------------------------------------------

  Declaration BuildDeclaration(G::DeclarationContext* context) {
    if (auto* profile = context->profileDecl()) {
      ProfileDecl declaration;
      declaration.span = SpanOf(profile);
      for (auto* attribute : profile->attribute()) {
        declaration.attributes.push_back(BuildAttribute(attribute));
      }
      return declaration;
    }
    if (auto* event = context->eventDecl()) {
      EventDecl declaration;
      declaration.name = NameOf(event->name());
      declaration.span = SpanOf(event);
      if (event->wire != nullptr) {
        declaration.wire_name = UnquoteToken(event->wire);
      }
      for (auto* field : event->attribute()) {
        declaration.fields.push_back(BuildAttribute(field));
      }
      return declaration;
    }
    if (auto* record = context->recordDecl()) {
      RecordDecl declaration;
      declaration.name = NameOf(record->name());
      declaration.span = SpanOf(record);
      for (auto* field : record->attribute()) {
        declaration.fields.push_back(BuildAttribute(field));
      }
      return declaration;
    }
    if (auto* enumeration = context->enumDecl()) {
      EnumDecl declaration;
      std::vector<Name> names = NamesOf(enumeration->name());
      declaration.name = names.front();
      declaration.values.assign(names.begin() + 1, names.end());
      declaration.span = SpanOf(enumeration);
      return declaration;
    }
    if (auto* segment = context->segmentDecl()) {
      SegmentDecl declaration;
      declaration.name = NameOf(segment->id);
      declaration.predicate = BuildExpr(segment->predicate);
      declaration.span = SpanOf(segment);
      return declaration;
    }
    if (auto* policy = context->policyDecl()) return BuildPolicy(policy);
    if (auto* program = context->programDecl()) return BuildProgram(program);
    if (auto* test = context->testDecl()) return BuildTest(test);
    return BuildJourney(context->journeyDecl());
  }

  Attribute BuildAttribute(G::AttributeContext* context) {
    Attribute attribute;
    attribute.name = NameOf(context->name());
    if (context->wire != nullptr) {
      attribute.wire_name = UnquoteToken(context->wire);
    }
    attribute.type = BuildType(context->typeRef());
    if (context->value != nullptr) {
      attribute.default_value = BuildExpr(context->value);
    }
    attribute.span = SpanOf(context);
    return attribute;
  }

  TypeRef BuildType(G::TypeRefContext* context) {
    TypeRef type;
    type.span = SpanOf(context);
    if (auto* list = dynamic_cast<G::ListTypeContext*>(context)) {
      type.kind = TypeRef::Kind::List;
      type.element = std::make_unique<TypeRef>(BuildType(list->typeRef()));
      type.optional = list->optional != nullptr;
      type.name = {"list", type.span};
    } else if (auto* inline_enum =
                   dynamic_cast<G::InlineEnumTypeContext*>(context)) {
      type.kind = TypeRef::Kind::InlineEnum;
      type.values = NamesOf(inline_enum->name());
      type.optional = inline_enum->optional != nullptr;
      type.name = {"enum", type.span};
    } else {
      auto* named = dynamic_cast<G::NamedTypeContext*>(context);
      type.name = NameOf(named->name());
      type.optional = named->optional != nullptr;
    }
    return type;
  }

  TimeOfWeek BuildTimeOfWeek(G::TimeOfWeekContext* context) {
    TimeOfWeek time;
    time.span = SpanOf(context);
    time.day = OptionalName(context->day);
    time.seconds = ParseClock(TextOf(context->CLOCK()), time.span);
    time.local = TextOf(context->getStop()) == "local";
    return time;
  }

  PolicyDecl BuildPolicy(G::PolicyDeclContext* context) {
    PolicyDecl policy;
    policy.name = NameOf(context->name());
    policy.span = SpanOf(context);
    for (auto* rule : context->policyRule()) {
      policy.rules.push_back(BuildPolicyRule(rule));
    }
    return policy;
  }

  PolicyRule BuildPolicyRule(G::PolicyRuleContext* context) {
    PolicyRule rule;
    rule.span = SpanOf(context);
    using Kind = PolicyRule::Kind;
    if (auto* cap = dynamic_cast<G::CapRuleContext*>(context)) {
      rule.kind = Kind::Cap;
      rule.value = BuildExpr(cap->limit);
      G::PeriodContext* period = cap->period();
      if (period->DURATION() != nullptr) {
        rule.period_seconds = ParseDuration(TextOf(period), SpanOf(period));
      }
      rule.period = NameOf(period);
      rule.across = cap->scope == nullptr || TextOf(cap->scope) == "across";
      // The channels are every name but the reserved slots' priority.
      std::vector<G::NameContext*> channels = cap->name();
      std::erase(channels, cap->reserved_for);
      rule.names = NamesOf(channels);
      rule.condition = OptionalExpr(cap->condition);
      rule.reserved = OptionalExpr(cap->reserved);
      if (cap->reserved_for != nullptr) {
        rule.reserved_for = NameOf(cap->reserved_for);
      }
    } else if (auto* priority =
                   dynamic_cast<G::PriorityRuleContext*>(context)) {
      rule.kind = Kind::Priority;
      rule.names = NamesOf(priority->name());
    } else if (auto* prefer = dynamic_cast<G::PreferRuleContext*>(context)) {
      rule.kind = Kind::Prefer;
      rule.value = BuildExpr(prefer->expr());
    } else if (auto* quiet = dynamic_cast<G::QuietRuleContext*>(context)) {
      rule.kind = Kind::Quiet;
      rule.from = BuildTimeOfWeek(quiet->from);
      rule.to = BuildTimeOfWeek(quiet->to);
      rule.names = NamesOf(quiet->name());
    } else if (auto* exempt = dynamic_cast<G::ExemptRuleContext*>(context)) {
      rule.kind = Kind::Exempt;
      rule.names = NamesOf(exempt->name());
    } else {
      auto* capped = dynamic_cast<G::CappedRuleContext*>(context);
      rule.kind = Kind::Capped;
      rule.action = NameOf(capped->action);
      rule.value = OptionalExpr(capped->expr());
    }
    return rule;
  }

  ProgramDecl BuildProgram(G::ProgramDeclContext* context) {
    ProgramDecl program;
    program.name = NameOf(context->name());
    program.span = SpanOf(context);
    for (auto* rule : context->programRule()) {
      program.rules.push_back(BuildProgramRule(rule));
    }
    return program;
  }

  ProgramRule BuildProgramRule(G::ProgramRuleContext* context) {
    ProgramRule rule;
    rule.span = SpanOf(context);
    using Kind = ProgramRule::Kind;
    if (auto* earn = dynamic_cast<G::EarnPerRuleContext*>(context)) {
      rule.kind = Kind::EarnPer;
      rule.first = BuildExpr(earn->amount);
      rule.second = BuildExpr(earn->unit);
      rule.third = BuildExpr(earn->source);
    } else if (auto* earn_on = dynamic_cast<G::EarnOnRuleContext*>(context)) {
      rule.kind = Kind::EarnOn;
      rule.first = BuildExpr(earn_on->amount);
      rule.second = OptionalExpr(earn_on->limit);
      rule.name = NameOf(earn_on->event);
      rule.part_of_sale = earn_on->sale != nullptr;
    } else if (auto* multiply =
                   dynamic_cast<G::MultiplyRuleContext*>(context)) {
      rule.kind = Kind::Multiply;
      std::string factor = TextOf(multiply->factor);
      factor.pop_back();
      rule.factor = ParseDecimal(factor, rule.span);
      rule.first = BuildExpr(multiply->expr());
    } else if (auto* burn = dynamic_cast<G::BurnRuleContext*>(context)) {
      rule.kind = Kind::Burn;
      rule.first = BuildExpr(burn->expr());
    } else if (auto* refund = dynamic_cast<G::RefundRuleContext*>(context)) {
      rule.kind = Kind::Refund;
      rule.first = BuildExpr(refund->order);
      if (refund->amount != nullptr) rule.second = BuildExpr(refund->amount);
    } else if (auto* expire = dynamic_cast<G::ExpireRuleContext*>(context)) {
      rule.kind = Kind::Expire;
      rule.first = BuildExpr(expire->expr());
    } else if (auto* notice = dynamic_cast<G::NoticeRuleContext*>(context)) {
      rule.kind = Kind::Notice;
      rule.first = BuildExpr(notice->expr());
    } else if (auto* tier = dynamic_cast<G::TierRuleContext*>(context)) {
      rule.kind = Kind::Tier;
      rule.name = NameOf(tier->tierName);
      rule.first = BuildExpr(tier->threshold);
      rule.second = BuildExpr(tier->span);
    } else if (auto* keep = dynamic_cast<G::KeepTierRuleContext*>(context)) {
      rule.kind = Kind::KeepTier;
      rule.first = BuildExpr(keep->expr());
    } else if (auto* value = dynamic_cast<G::ValueRuleContext*>(context)) {
      rule.kind = Kind::Value;
      rule.first = BuildExpr(value->expr());
    } else {
      auto* breakage = dynamic_cast<G::BreakageRuleContext*>(context);
      rule.kind = Kind::Breakage;
      rule.first = BuildExpr(breakage->expr());
    }
    return rule;
  }

  TestDecl BuildTest(G::TestDeclContext* context) {
    TestDecl test;
    test.title = UnquoteToken(context->title);
    test.span = SpanOf(context);
    for (auto* statement : context->testStatement()) {
      test.statements.push_back(BuildTestStatement(statement));
    }
    return test;
  }

  std::unique_ptr<Expr> OptionalRecord(G::RecordLiteralContext* context) {
    if (context == nullptr) return nullptr;
    return BuildRecord(context);
  }

  TestStatement BuildTestStatement(G::TestStatementContext* context) {
    TestStatement statement;
    statement.span = SpanOf(context);
    using Kind = TestStatement::Kind;
    auto profile_id = [&](antlr4::Token* id) -> std::optional<std::string> {
      if (id == nullptr) return std::nullopt;
      return UnquoteToken(id);
    };
    auto timestamp = [&](antlr4::tree::TerminalNode* node) {
      statement.has_at = node != nullptr;
      if (node != nullptr) {
        statement.at = ParseTimestamp(TextOf(node), SpanOf(node));
      }
    };
    if (auto* given = dynamic_cast<G::GivenStatementContext*>(context)) {
      statement.kind = Kind::Given;
      statement.profile = profile_id(given->id);
      statement.record = OptionalRecord(given->recordLiteral());
    } else if (auto* event = dynamic_cast<G::EventStatementContext*>(context)) {
      statement.kind = Kind::Event;
      timestamp(event->TIMESTAMP());
      statement.event = NameOf(event->event);
      statement.profile = profile_id(event->id);
      statement.record = OptionalRecord(event->recordLiteral());
    } else if (auto* identify =
                   dynamic_cast<G::IdentifyStatementContext*>(context)) {
      statement.kind = Kind::Identify;
      timestamp(identify->TIMESTAMP());
      statement.profile = profile_id(identify->id);
      statement.record = OptionalRecord(identify->recordLiteral());
    } else if (auto* expect =
                   dynamic_cast<G::ExpectSendStatementContext*>(context)) {
      statement.kind = Kind::ExpectSend;
      statement.negated = expect->negated != nullptr;
      statement.suppressed = TextOf(expect->kind) == "suppressed";
      statement.channel = OptionalName(expect->channel);
      if (expect->templ != nullptr) {
        statement.template_name = UnquoteToken(expect->templ);
      }
      statement.profile = profile_id(expect->id);
      timestamp(expect->TIMESTAMP());
      if (expect->reason != nullptr) statement.reason = NameOf(expect->reason);
    } else if (auto* action =
                   dynamic_cast<G::ExpectActionStatementContext*>(context)) {
      statement.kind = Kind::ExpectAction;
      statement.negated = action->negated != nullptr;
      BuildExpectedAction(action->expectedAction(), statement);
      statement.profile = profile_id(action->id);
      timestamp(action->TIMESTAMP());
    } else {
      auto* loyalty = dynamic_cast<G::ExpectLoyaltyStatementContext*>(context);
      statement.kind = Kind::ExpectLoyalty;
      antlr4::Token* what = loyalty->getStart();
      what =
          loyalty->children.size() > 1
              ? dynamic_cast<antlr4::tree::TerminalNode*>(loyalty->children[1])
                    ->getSymbol()
              : what;
      statement.what = {TextOf(what), TokenSpan(file_, what)};
      statement.value = BuildExpr(loyalty->expr());
      statement.profile = profile_id(loyalty->id);
      timestamp(loyalty->TIMESTAMP());
    }
    return statement;
  }

  // `expect task crm "call back"`, `expect webhook "erp"`, ...: the kind
  // of action line each asks for, and what names it.
  void BuildExpectedAction(G::ExpectedActionContext* context,
                           TestStatement& statement) {
    Span span = SpanOf(context);
    if (auto* task = dynamic_cast<G::ExpectedTaskContext*>(context)) {
      statement.action = {"task", span};
      statement.channel = OptionalName(task->system);
      if (task->summary != nullptr) {
        statement.template_name = UnquoteToken(task->summary);
      }
    } else if (auto* webhook =
                   dynamic_cast<G::ExpectedWebhookContext*>(context)) {
      statement.action = {"webhook", span};
      if (webhook->hook != nullptr) {
        statement.template_name = UnquoteToken(webhook->hook);
      }
    } else if (dynamic_cast<G::ExpectedFreezeContext*>(context) != nullptr) {
      statement.action = {"freeze", span};
    } else if (dynamic_cast<G::ExpectedSecondFactorContext*>(context) !=
               nullptr) {
      statement.action = {"second_factor", span};
    } else {
      auto* emit = dynamic_cast<G::ExpectedEmitContext*>(context);
      statement.action = {"event", span};
      statement.event = NameOf(emit->event);
    }
  }

  // ---- Journeys -----------------------------------------------------------

  JourneyDecl BuildJourney(G::JourneyDeclContext* context) {
    JourneyDecl journey;
    journey.name = NameOf(context->name());
    journey.span = SpanOf(context);
    for (auto* clause : context->clauses) {
      BuildClause(clause, journey);
    }
    journey.steps = BuildSteps(context->steps);
    return journey;
  }

  void BuildClause(G::JourneyClauseContext* clause, JourneyDecl& journey) {
    Span span = SpanOf(clause);
    if (auto* trigger = dynamic_cast<G::TriggerClauseContext*>(clause)) {
      Trigger built = BuildTrigger(trigger->trigger());
      built.where = OptionalExpr(trigger->expr());
      built.span = span;
      journey.triggers.push_back(std::move(built));
    } else if (auto* every = dynamic_cast<G::ScheduleClauseContext*>(clause)) {
      Trigger built;
      built.kind = Trigger::Kind::Schedule;
      built.day = NameOf(every->day);
      built.clock = ParseClock(TextOf(every->CLOCK()), span);
      built.local = every->local != nullptr;
      built.where = OptionalExpr(every->expr());
      built.span = span;
      journey.triggers.push_back(std::move(built));
    } else if (auto* exit_on = dynamic_cast<G::ExitOnClauseContext*>(clause)) {
      journey.exits.push_back({NameOf(exit_on->event),
                               OptionalExpr(exit_on->expr()), span,
                               OptionalName(exit_on->alias)});
    } else if (auto* exit_when =
                   dynamic_cast<G::ExitWhenClauseContext*>(clause)) {
      journey.exits.push_back(
          {{}, BuildExpr(exit_when->expr()), span, std::nullopt});
    } else if (auto* reentry = dynamic_cast<G::ReentryClauseContext*>(clause)) {
      if (journey.reentry_span) {
        journey.repeated_clauses.emplace_back("reentry", span);
      }
      journey.reentry_never = reentry->never != nullptr;
      journey.reentry_after = OptionalExpr(reentry->expr());
      journey.reentry_span = span;
    } else if (auto* holdout = dynamic_cast<G::HoldoutClauseContext*>(clause)) {
      if (journey.holdout)
        journey.repeated_clauses.emplace_back("holdout", span);
      journey.holdout = BuildExpr(holdout->expr());
    } else if (auto* goal = dynamic_cast<G::GoalClauseContext*>(clause)) {
      journey.goals.push_back(
          {NameOf(goal->event), OptionalExpr(goal->expr()), span});
    } else if (auto* policy = dynamic_cast<G::PolicyClauseContext*>(clause)) {
      if (journey.policy) journey.repeated_clauses.emplace_back("policy", span);
      journey.policy = NameOf(policy->name());
    }
  }

  Trigger BuildTrigger(G::TriggerContext* context) {
    Trigger trigger;
    if (auto* event = dynamic_cast<G::EventTriggerContext*>(context)) {
      trigger.kind = Trigger::Kind::Event;
      trigger.event = NameOf(event->event);
      trigger.alias = OptionalName(event->alias);
    } else if (auto* segment =
                   dynamic_cast<G::SegmentTriggerContext*>(context)) {
      trigger.kind = TextOf(segment->change) == "entered"
                         ? Trigger::Kind::Entered
                         : Trigger::Kind::Left;
      trigger.event = NameOf(segment->name());
    } else if (auto* date = dynamic_cast<G::DateTriggerContext*>(context)) {
      trigger.kind = Trigger::Kind::Date;
      trigger.expr = BuildExpr(date->expr());
      trigger.clock = ParseClock(TextOf(date->CLOCK()), SpanOf(date));
      trigger.local = TextOf(date->getStop()) == "local";
    } else {
      auto* points = dynamic_cast<G::PointsTriggerContext*>(context);
      trigger.kind = Trigger::Kind::PointsCrossing;
      trigger.expr = BuildExpr(points->expr());
    }
    return trigger;
  }

  std::vector<Step> BuildSteps(const std::vector<G::StepContext*>& contexts) {
    std::vector<Step> steps;
    for (auto* context : contexts) {
      Step step = BuildStepBody(context->body);
      if (context->label != nullptr) step.label = NameOf(context->label);
      step.span = SpanOf(context);
      steps.push_back(std::move(step));
    }
    return steps;
  }

  std::vector<Step> BuildBlock(G::BlockContext* block) {
    if (block == nullptr) return {};
    return BuildSteps(block->steps);
  }

  // A step as written up to its first block, its tokens joined by one
  // space where the source has any gap (white space, a line break, a
  // comment) and by none where it has none: `wait for CartUpdated within
  // 2d`. The state keeps it beside each step's name, to see a program
  // change move waiting contacts to a different step.
  std::string HeadingOf(G::StepBodyContext* context) const {
    std::string heading;
    size_t previous_stop = 0;
    bool first = true;
    std::function<bool(antlr4::tree::ParseTree*)> append =
        [&](antlr4::tree::ParseTree* node) {
          if (dynamic_cast<G::BlockContext*>(node) != nullptr ||
              dynamic_cast<G::ElseBranchContext*>(node) != nullptr ||
              dynamic_cast<G::SplitArmContext*>(node) != nullptr) {
            return false;
          }
          auto* terminal = dynamic_cast<antlr4::tree::TerminalNode*>(node);
          if (terminal == nullptr) {
            for (antlr4::tree::ParseTree* child : node->children) {
              if (!append(child)) return false;
            }
            return true;
          }
          const antlr4::Token* token = terminal->getSymbol();
          if (token->getType() == antlr4::Token::EOF) return true;
          if (!first && token->getStartIndex() != previous_stop + 1) {
            heading += ' ';
          }
          heading += TextOf(token);
          previous_stop = token->getStopIndex();
          first = false;
          return true;
        };
    append(context);
    return heading;
  }

  Step BuildStepBody(G::StepBodyContext* context) {
    Step step;
    step.span = SpanOf(context);
    step.heading = HeadingOf(context);
    Alternative alternative = alternatives_.Of(context);
    if (alternative == Alternative::WaitStep) {
      auto* wait = static_cast<G::WaitStepContext*>(context);
      step.kind = StepKind::Wait;
      step.expr = BuildExpr(wait->expr());
    } else if (alternative == Alternative::WaitUntilStep) {
      auto* until = static_cast<G::WaitUntilStepContext*>(context);
      step.kind = StepKind::WaitUntil;
      step.clock = ParseClock(TextOf(until->CLOCK()), step.span);
      step.local = TextOf(until->getStop()) == "local";
    } else if (alternative == Alternative::WaitForStep) {
      auto* wait_for = static_cast<G::WaitForStepContext*>(context);
      step.kind = StepKind::WaitFor;
      step.event = NameOf(wait_for->event);
      step.alias = OptionalName(wait_for->alias);
      step.condition = OptionalExpr(wait_for->condition);
      step.expr = BuildExpr(wait_for->limit);
      step.then_steps = BuildBlock(wait_for->block(0));
      step.else_steps = BuildBlock(wait_for->otherwise);
    } else if (alternative == Alternative::SendStep) {
      auto* send = static_cast<G::SendStepContext*>(context);
      BuildSend(send, step);
    } else if (alternative == Alternative::IfStep) {
      auto* branch = static_cast<G::IfStepContext*>(context);
      step.kind = StepKind::If;
      step.expr = BuildExpr(branch->condition);
      step.then_steps = BuildBlock(branch->then);
      if (auto* otherwise = branch->otherwise) {
        step.else_steps = BuildElse(otherwise);
      }
    } else if (alternative == Alternative::SplitStep) {
      auto* split = static_cast<G::SplitStepContext*>(context);
      step.kind = StepKind::Split;
      for (auto* arm : split->splitArm()) step.arms.push_back(BuildArm(arm));
    } else {
      BuildActionStep(context, alternative, step);
    }
    return step;
  }

  void BuildSend(G::SendStepContext* send, Step& step) {
    step.kind = StepKind::Send;
    G::SendTargetContext* target = send->target;
    step.best_of = target->channel == nullptr;
    step.channels = step.best_of ? NamesOf(target->name())
                                 : std::vector<Name>{NameOf(target->channel)};
    step.template_name = UnquoteToken(send->templ);
    step.template_span = TokenSpan(file_, send->templ);
    for (auto* option : send->options) {
      if (auto* payload = dynamic_cast<G::PayloadOptionContext*>(option)) {
        step.payload = BuildExpr(payload->expr());
      } else if (auto* priority =
                     dynamic_cast<G::PriorityOptionContext*>(option)) {
        step.priority = NameOf(priority->level);
      } else if (auto* category =
                     dynamic_cast<G::CategoryOptionContext*>(option)) {
        step.category = NameOf(category->kind);
      } else {
        step.override_policy = true;
      }
    }
  }

  void BuildActionStep(G::StepBodyContext* context, Alternative alternative,
                       Step& step) {
    if (alternative == Alternative::TaskStep) {
      auto* task = static_cast<G::TaskStepContext*>(context);
      step.kind = StepKind::Task;
      step.system = NameOf(task->system);
      step.text = UnquoteToken(task->summary);
      step.team = UnquoteToken(task->team);
    } else if (alternative == Alternative::WebhookStep) {
      auto* hook = static_cast<G::WebhookStepContext*>(context);
      step.kind = StepKind::Webhook;
      step.text = UnquoteToken(hook->hook);
      step.payload = OptionalExpr(hook->expr());
    } else if (alternative == Alternative::SetStep) {
      auto* set = static_cast<G::SetStepContext*>(context);
      step.kind = StepKind::Set;
      step.target = BuildExpr(set->target);
      step.expr = BuildExpr(set->value);
    } else if (alternative == Alternative::EmitStep) {
      auto* emit = static_cast<G::EmitStepContext*>(context);
      step.kind = StepKind::Emit;
      step.event = NameOf(emit->event);
      step.record = OptionalRecord(emit->recordLiteral());
    } else if (alternative == Alternative::AwardStep) {
      auto* award = static_cast<G::AwardStepContext*>(context);
      step.kind = StepKind::Award;
      step.expr = BuildExpr(award->expr());
      step.text = UnquoteToken(award->reason);
    } else if (alternative == Alternative::FreezeStep) {
      auto* freeze = static_cast<G::FreezeStepContext*>(context);
      step.kind = StepKind::Freeze;
      step.text = UnquoteToken(freeze->reason);
    } else if (alternative == Alternative::SecondFactorStep) {
      auto* factor = static_cast<G::SecondFactorStepContext*>(context);
      step.kind = StepKind::SecondFactor;
      step.text = UnquoteToken(factor->reason);
    } else {
      step.kind = StepKind::Exit;
    }
  }

  SplitArm BuildArm(G::SplitArmContext* context) {
    SplitArm arm;
    arm.span = SpanOf(context);
    arm.name = OptionalName(context->arm);
    std::string percent = TextOf(context->PERCENT());
    percent.pop_back();
    arm.percent = ParseDecimal(percent, arm.span);
    arm.steps = BuildBlock(context->block());
    return arm;
  }

  std::vector<Step> BuildElse(G::ElseBranchContext* context) {
    if (context->body != nullptr) return BuildBlock(context->body);
    std::vector<Step> steps;
    if (alternatives_.Of(context->ifElse) != Alternative::IfStep) {
      diagnostics_.Report(Kind::ElseWithoutBlock, SpanOf(context->ifElse),
                          "`else` must be followed by `{` or by `if`");
      return steps;
    }
    steps.push_back(BuildStepBody(context->ifElse));
    return steps;
  }

  // ---- Expressions --------------------------------------------------------

  std::unique_ptr<Expr> Make(ExprKind kind, antlr4::ParserRuleContext* from) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->span = SpanOf(from);
    return expr;
  }

  std::unique_ptr<Expr> BuildRecord(G::RecordLiteralContext* context) {
    auto expr = Make(ExprKind::Record, context);
    for (auto* field : context->recordField()) {
      expr->fields.push_back(NameOf(field->name()));
      expr->operands.push_back(BuildExpr(field->expr()));
    }
    return expr;
  }

  std::unique_ptr<Expr> BuildExpr(G::ExprContext* context) {
    switch (alternatives_.Of(context)) {
      case Alternative::ParenExpr: {
        auto inner =
            BuildExpr(static_cast<G::ParenExprContext*>(context)->inner);
        inner->parenthesized = true;
        return inner;
      }
      case Alternative::ListExpr: {
        auto expr = Make(ExprKind::List, context);
        for (auto* item : static_cast<G::ListExprContext*>(context)->expr()) {
          expr->operands.push_back(BuildExpr(item));
        }
        return expr;
      }
      case Alternative::RecordExpr:
        return BuildRecord(
            static_cast<G::RecordExprContext*>(context)->recordLiteral());
      case Alternative::CallExpr:
        return BuildCall(static_cast<G::CallExprContext*>(context));
      case Alternative::FieldExpr: {
        auto* field = static_cast<G::FieldExprContext*>(context);
        auto expr = Make(ExprKind::Field, field);
        expr->field = NameOf(field->field);
        expr->operands.push_back(BuildExpr(field->object));
        return expr;
      }
      case Alternative::NegateExpr:
        return Unary(UnaryOp::Negate, context,
                     static_cast<G::NegateExprContext*>(context)->operand);
      case Alternative::NotExpr:
        return Unary(UnaryOp::Not, context,
                     static_cast<G::NotExprContext*>(context)->operand);
      case Alternative::InExpr: {
        auto* in = static_cast<G::InExprContext*>(context);
        auto expr = Make(ExprKind::In, in);
        expr->negated = in->negated != nullptr;
        expr->operands.push_back(BuildExpr(in->left));
        expr->operands.push_back(BuildExpr(in->right));
        return expr;
      }
      case Alternative::LiteralExpr:
        return BuildLiteral(
            static_cast<G::LiteralExprContext*>(context)->value);
      case Alternative::NameExpr: {
        auto expr = Make(ExprKind::Name, context);
        expr->text = TextOf(context);
        return expr;
      }
      case Alternative::MultiplyExpr: {
        auto* multiply = static_cast<G::MultiplyExprContext*>(context);
        return Binary(context, multiply->op, multiply->left, multiply->right);
      }
      case Alternative::AddExpr: {
        auto* add = static_cast<G::AddExprContext*>(context);
        return Binary(context, add->op, add->left, add->right);
      }
      case Alternative::CompareExpr: {
        auto* compare = static_cast<G::CompareExprContext*>(context);
        return Binary(context, compare->op, compare->left, compare->right);
      }
      case Alternative::AndExpr: {
        auto* conjunction = static_cast<G::AndExprContext*>(context);
        return Binary(context, conjunction->op, conjunction->left,
                      conjunction->right);
      }
      case Alternative::OrExpr: {
        auto* disjunction = static_cast<G::OrExprContext*>(context);
        return Binary(context, disjunction->op, disjunction->left,
                      disjunction->right);
      }
      default: break;
    }
    assert(false && "unhandled expression form");
    return Make(ExprKind::None, context);
  }

  std::unique_ptr<Expr> BuildCall(G::CallExprContext* call) {
    auto expr = Make(ExprKind::Call, call);
    expr->text = TextOf(call->callee);
    expr->field = NameOf(call->callee);
    for (auto* argument : call->arguments) {
      Argument built;
      built.key = OptionalName(argument->key);
      built.value = BuildExpr(argument->value);
      if (auto* within =
              dynamic_cast<G::WithinWindowContext*>(argument->span)) {
        built.window.kind = Window::Kind::Within;
        built.window.near = ParseWindowSpan(within->span);
      } else if (auto* between =
                     dynamic_cast<G::BetweenWindowContext*>(argument->span)) {
        built.window.kind = Window::Kind::Between;
        built.window.far = ParseWindowSpan(between->far);
        built.window.near = ParseWindowSpan(between->near);
      }
      expr->arguments.push_back(std::move(built));
    }
    return expr;
  }

  std::unique_ptr<Expr> Unary(UnaryOp op, G::ExprContext* context,
                              G::ExprContext* operand) {
    auto expr = Make(ExprKind::Unary, context);
    expr->unary_op = op;
    expr->operands.push_back(BuildExpr(operand));
    return expr;
  }

  std::unique_ptr<Expr> Binary(G::ExprContext* context, antlr4::Token* op,
                               G::ExprContext* left, G::ExprContext* right) {
    auto expr = Make(ExprKind::Binary, context);
    expr->binary_op = BinaryOpFromSpelling(TextOf(op));
    expr->operands.push_back(BuildExpr(left));
    expr->operands.push_back(BuildExpr(right));
    return expr;
  }

  static BinaryOp BinaryOpFromSpelling(const std::string& spelling) {
    static const std::pair<const char*, BinaryOp> kOps[] = {
        {"+", BinaryOp::Add},      {"-", BinaryOp::Subtract},
        {"*", BinaryOp::Multiply}, {"/", BinaryOp::Divide},
        {"==", BinaryOp::Equal},   {"!=", BinaryOp::NotEqual},
        {"<", BinaryOp::Less},     {"<=", BinaryOp::LessEqual},
        {">", BinaryOp::Greater},  {">=", BinaryOp::GreaterEqual},
        {"and", BinaryOp::And},    {"or", BinaryOp::Or},
    };
    for (const auto& [text, op] : kOps) {
      if (spelling == text) return op;
    }
    assert(false && "operator missing from the table");
    return BinaryOp::Add;
  }

  std::unique_ptr<Expr> BuildLiteral(G::LiteralContext* context) {
    std::string text = TextOf(context);
    Alternative alternative = alternatives_.Of(context);
    if (alternative == Alternative::IntLiteral) {
      auto expr = Make(ExprKind::Int, context);
      expr->int_value = ParseInteger(text, expr->span);
      return expr;
    }
    if (alternative == Alternative::DecimalLiteral) {
      auto expr = Make(ExprKind::Decimal, context);
      expr->int_value = ParseDecimal(text, expr->span);
      return expr;
    }
    if (alternative == Alternative::MoneyLiteral) {
      auto expr = Make(ExprKind::Money, context);
      expr->text = text.substr(text.size() - 3);
      std::string amount = text.substr(0, text.size() - 3);
      if (!amount.empty() && amount.back() == ' ') amount.pop_back();
      expr->int_value = ParseDecimal(amount, expr->span);
      return expr;
    }
    if (alternative == Alternative::DurationLiteral) {
      auto expr = Make(ExprKind::Duration, context);
      expr->int_value = ParseDuration(text, expr->span);
      return expr;
    }
    if (alternative == Alternative::CalendarLiteral) {
      auto expr = Make(ExprKind::Calendar, context);
      Length length = ParseCalendar(text, expr->span);
      expr->int_value = length.count;
      expr->calendar_unit = length.calendar.value_or(CalendarUnit::Day);
      return expr;
    }
    if (alternative == Alternative::PercentLiteral) {
      auto expr = Make(ExprKind::Percent, context);
      expr->int_value =
          ParseDecimal(text.substr(0, text.size() - 1), expr->span);
      return expr;
    }
    if (alternative == Alternative::ClockLiteral) {
      auto* clock = static_cast<G::ClockLiteralContext*>(context);
      auto expr = Make(ExprKind::Clock, context);
      expr->int_value = ParseClock(TextOf(clock->CLOCK()), expr->span);
      expr->local = clock->children.size() > 1;
      return expr;
    }
    if (alternative == Alternative::TimestampLiteral) {
      auto expr = Make(ExprKind::Timestamp, context);
      expr->int_value = ParseTimestamp(text, expr->span);
      return expr;
    }
    if (alternative == Alternative::StringLiteral) {
      auto expr = Make(ExprKind::String, context);
      expr->text = Unquote(text);
      return expr;
    }
    if (alternative == Alternative::BoolLiteral) {
      auto expr = Make(ExprKind::Bool, context);
      expr->int_value = text == "true" ? 1 : 0;
      return expr;
    }
    return Make(ExprKind::None, context);
  }

  int32_t file_;
  AlternativeFinder alternatives_;
  const std::string& source_;
  std::vector<uint32_t> byte_offsets_;
  diag::DiagnosticEngine& diagnostics_;
};

}  // namespace

Module BuildModule(int32_t file, const std::string& source,
                   G::FileContext* tree, diag::DiagnosticEngine& diagnostics) {
  return AstBuilder(file, source, diagnostics).Build(tree);
}

}  // namespace parcours::syntax
