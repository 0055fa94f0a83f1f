// Lowers `test` blocks into input lines and expectations (see
// compiler/ir/test_plan.h). `CheckRunnable` with tests has already
// refused what cannot be lowered, so every value here is a literal.
#include <algorithm>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/dates.h"
#include "compiler/lower/lower.h"

namespace parcours::lower {
namespace {

using syntax::Expr;
using syntax::ExprKind;
using syntax::TestStatement;

// The exact decimal text of `units` at scale 10^-6: 80000000 is "80",
// -1500000 is "-1.5".
std::string ScaledText(int64_t units) {
  bool negative = units < 0;
  // Through unsigned arithmetic, so that the most negative value negates.
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(units)
                                : static_cast<uint64_t>(units);
  std::string fraction = std::to_string(magnitude % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  std::string text =
      (negative ? "-" : "") + std::to_string(magnitude / 1'000'000);
  if (!fraction.empty()) text += "." + fraction;
  return text;
}

ir::TestValue LiteralValue(const std::string& key, const Expr& value) {
  ir::TestValue out;
  out.key = key;
  bool negate = value.kind == ExprKind::Unary;
  const Expr& literal = negate ? *value.operands[0] : value;
  std::string sign = negate ? "-" : "";
  switch (literal.kind) {
    case ExprKind::Int:
    case ExprKind::Duration:
      out.kind = ir::TestValue::Kind::Number;
      out.text = sign + std::to_string(literal.int_value);
      break;
    case ExprKind::Decimal:
    case ExprKind::Money:
      out.kind = ir::TestValue::Kind::Number;
      out.text = sign + ScaledText(literal.int_value);
      if (literal.kind == ExprKind::Money) out.currency = literal.text;
      break;
    case ExprKind::Timestamp:
      out.kind = ir::TestValue::Kind::Time;
      out.time = literal.int_value;
      break;
    case ExprKind::String:
    case ExprKind::Name:  // an enum value or a channel: read by its name
      out.kind = ir::TestValue::Kind::String;
      out.text = literal.text;
      break;
    case ExprKind::Bool:
      out.kind = ir::TestValue::Kind::Bool;
      out.text = literal.int_value != 0 ? "true" : "false";
      break;
    default: out.kind = ir::TestValue::Kind::Null; break;
  }
  if (out.text == "-0") out.text = "0";
  return out;
}

void AppendQuoted(const std::string& text, std::string& out) {
  out += '"' + diag::JsonEscape(text) + '"';
}

std::string WireName(const std::vector<ir::Field>& fields,
                     const std::string& name);

// The JSON text of a literal in a list field of a test event: a list, a
// record whose fields `items` names (their wire names), or a value. A
// record with money and no `currency` gets the money's, as an event's
// properties do.
void AppendJsonLiteral(const Expr& value, const std::vector<ir::Field>& items,
                       std::string& out) {
  if (value.kind == ExprKind::List) {
    out.push_back('[');
    for (size_t i = 0; i < value.operands.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonLiteral(*value.operands[i], items, out);
    }
    out.push_back(']');
    return;
  }
  if (value.kind == ExprKind::Record) {
    out.push_back('{');
    std::string currency;
    bool has_currency = false;
    for (size_t i = 0; i < value.fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      std::string key = WireName(items, value.fields[i].text);
      has_currency = has_currency || key == "currency";
      AppendQuoted(key, out);
      out.push_back(':');
      const Expr& member = *value.operands[i];
      const Expr& literal =
          member.kind == ExprKind::Unary ? *member.operands[0] : member;
      if (literal.kind == ExprKind::Money) currency = literal.text;
      AppendJsonLiteral(member, items, out);
    }
    if (!currency.empty() && !has_currency) {
      if (!value.fields.empty()) out.push_back(',');
      out += "\"currency\":";
      AppendQuoted(currency, out);
    }
    out.push_back('}');
    return;
  }
  ir::TestValue scalar = LiteralValue("", value);
  switch (scalar.kind) {
    case ir::TestValue::Kind::Number:
    case ir::TestValue::Kind::Bool: out += scalar.text; return;
    case ir::TestValue::Kind::String: AppendQuoted(scalar.text, out); return;
    case ir::TestValue::Kind::Time:
      AppendQuoted(ir::FormatTimestamp(scalar.time), out);
      return;
    default: out += "null"; return;
  }
}

// The wire name of the field `name` among `fields`, or `name` itself.
std::string WireName(const std::vector<ir::Field>& fields,
                     const std::string& name) {
  for (const ir::Field& field : fields) {
    if (field.name == name) return field.wire_name;
  }
  return name;
}

class TestLowering {
 public:
  TestLowering(const ir::Program& program, const diag::SourceManager& sources)
      : program_(program), sources_(sources) {}

  ir::TestCase Lower(const syntax::TestDecl& test) {
    ir::TestCase out;
    out.title = test.title;
    out.where = Where(test.span);

    // Statements without `for` are about the first profile the test
    // gives.
    std::optional<std::string> main_profile;
    for (const TestStatement& statement : test.statements) {
      if (statement.kind == TestStatement::Kind::Given && statement.profile) {
        main_profile = statement.profile;
        break;
      }
    }

    for (const TestStatement& statement : test.statements) {
      switch (statement.kind) {
        case TestStatement::Kind::Given:
        case TestStatement::Kind::Identify:
        case TestStatement::Kind::Event: {
          std::optional<std::string> profile =
              statement.profile ? statement.profile : main_profile;
          if (!profile) {
            if (out.problem.empty()) {
              out.problem = Where(statement.span) +
                            ": which profile is this for? Add `for \"id\"` "
                            "or a `given profile \"id\"` to the test";
            }
            continue;
          }
          out.inputs.push_back(Input(statement, *profile));
          break;
        }
        case TestStatement::Kind::ExpectSend:
          out.expectations.push_back(Expectation(statement));
          break;
        case TestStatement::Kind::ExpectAction:
          out.expectations.push_back(ActionExpectation(statement));
          break;
        case TestStatement::Kind::ExpectLoyalty: {
          ir::TestExpectation expectation;
          expectation.where = Where(statement.span);
          expectation.profile =
              statement.profile ? statement.profile : main_profile;
          if (!expectation.profile && out.problem.empty()) {
            out.problem = expectation.where +
                          ": which profile is this for? Add `for \"id\"` "
                          "or a `given profile \"id\"` to the test";
          }
          const syntax::Expr& value = *statement.value;
          if (statement.what.text == "points") {
            expectation.kind = ir::TestExpectation::Kind::Points;
            bool negative = value.kind == syntax::ExprKind::Unary;
            expectation.points =
                negative ? -value.operands[0]->int_value : value.int_value;
          } else {
            expectation.kind = ir::TestExpectation::Kind::Tier;
            expectation.tier = value.text;
          }
          if (statement.has_at) expectation.at = statement.at;
          out.expectations.push_back(std::move(expectation));
          break;
        }
      }
    }
    return out;
  }

 private:
  ir::TestInput Input(const TestStatement& statement,
                      const std::string& profile) {
    ir::TestInput input;
    input.identify = statement.kind != TestStatement::Kind::Event;
    if (statement.has_at) input.at = statement.at;
    input.profile = profile;
    input.where = Where(statement.span);

    const std::vector<ir::Field>* fields = &program_.profile;
    if (!input.identify) {
      for (const ir::EventType& event : program_.events) {
        if (event.name == statement.event.text) {
          input.event = event.wire_name;
          fields = &event.fields;
        }
      }
    }
    if (!statement.record) return input;

    const Expr& record = *statement.record;
    for (size_t i = 0; i < record.fields.size(); ++i) {
      const std::string& name = record.fields[i].text;
      const Expr& value = *record.operands[i];
      if (input.identify && name == "consent") {
        ir::TestValue consent;
        consent.key = "consent";
        consent.kind = ir::TestValue::Kind::Channels;
        for (const auto& channel : value.operands) {
          consent.channels.push_back(channel->text);
        }
        input.values.push_back(std::move(consent));
        continue;
      }
      std::string key = WireName(*fields, name);
      if (value.kind == ExprKind::List || value.kind == ExprKind::Record) {
        ir::TestValue json;
        json.key = key;
        json.kind = ir::TestValue::Kind::Json;
        std::vector<ir::Field> items;
        for (const ir::Field& field : *fields) {
          if (field.name == name) items = field.list_items;
        }
        AppendJsonLiteral(value, items, json.text);
        input.values.push_back(std::move(json));
        continue;
      }
      input.values.push_back(LiteralValue(key, value));
    }
    return input;
  }

  ir::TestExpectation Expectation(const TestStatement& statement) {
    ir::TestExpectation expectation;
    expectation.negated = statement.negated;
    expectation.suppressed = statement.suppressed;
    if (statement.reason) expectation.reason = statement.reason->text;
    if (statement.channel) expectation.channel = statement.channel->text;
    expectation.template_name = statement.template_name;
    expectation.profile = statement.profile;
    if (statement.has_at) expectation.at = statement.at;
    expectation.where = Where(statement.span);
    return expectation;
  }

  // As a message's, with what names the action: an emitted event is
  // matched by the name it has on the wire, as its action line gives it.
  ir::TestExpectation ActionExpectation(const TestStatement& statement) {
    ir::TestExpectation expectation = Expectation(statement);
    expectation.kind = ir::TestExpectation::Kind::Action;
    expectation.action = statement.action.text;
    for (const ir::EventType& event : program_.events) {
      if (statement.action.text == "event" &&
          event.name == statement.event.text) {
        expectation.channel = event.wire_name;
      }
    }
    return expectation;
  }

  std::string Where(const diag::Span& span) const {
    if (!span.Valid()) return "<unknown>";
    return sources_.Path(span.file) + ":" + std::to_string(span.line) + ":" +
           std::to_string(span.column);
  }

  const ir::Program& program_;
  const diag::SourceManager& sources_;
};

}  // namespace

std::vector<ir::TestCase> LowerTests(const sema::CheckedProgram& program,
                                     const ir::Program& lowered,
                                     const diag::SourceManager& sources) {
  std::vector<ir::TestCase> tests;
  TestLowering lowering(lowered, sources);
  for (const sema::TestInfo& test : program.tests) {
    tests.push_back(lowering.Lower(*test.decl));
  }
  return tests;
}

}  // namespace parcours::lower
