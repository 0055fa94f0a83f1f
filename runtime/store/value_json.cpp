#include "runtime/store/value_json.h"

#include "compiler/ir/dates.h"
#include "compiler/ir/semantics.h"
#include "runtime/common/decimal_text.h"
#include "runtime/common/time_text.h"
#include "runtime/ingest/values.h"

namespace parcours::store {

namespace {

using ingest::JsonValue;

std::string FormatDecimal(int64_t units) {
  return common::FormatScaled(units, ingest::kDecimalDigits);
}

std::string DecodeMoney(const JsonValue& value, int32_t offset,
                        common::Record& record) {
  if (value.kind != JsonValue::Kind::Object) {
    return std::string("must be an object, got ") + KindName(value.kind);
  }
  const JsonValue* amount = value.Find("amount");
  if (amount == nullptr) return "has no `amount`";
  ingest::TypedValue typed;
  std::string problem = ingest::DecodeTyped(*amount, ir::Type::Money, typed);
  if (!problem.empty()) return "amount " + problem;

  // A currency of null is money with no currency yet; "mixed" is money
  // that mixed two (compiler/ir/semantics.h).
  int64_t currency = ir::kNoCurrency;
  const JsonValue* code = value.Find("currency");
  if (code != nullptr && code->kind == JsonValue::Kind::String) {
    currency = code->text == "mixed" ? ir::kMixedCurrency
                                     : ir::PackCurrency(code->text);
  }
  ingest::WriteTyped(record, ir::Type::Money, offset, typed, currency);
  return "";
}

}  // namespace

OrderedJson EncodeSlot(const common::Record& record, ir::Type type,
                       int32_t offset) {
  int64_t word = record.Get(offset);
  switch (type) {
    case ir::Type::Bool: return word != 0;
    case ir::Type::Int: return word;
    case ir::Type::Duration: return word;
    case ir::Type::Decimal: return FormatDecimal(word);
    case ir::Type::Time: return common::FormatTime(word);
    case ir::Type::String: return std::string(record.GetString(offset));
    case ir::Type::Money: {
      OrderedJson money = OrderedJson::object();
      money["amount"] = FormatDecimal(word);
      int64_t currency = record.Get(offset + 1);
      if (currency == ir::kNoCurrency) {
        money["currency"] = nullptr;
      } else if (currency == ir::kMixedCurrency) {
        money["currency"] = "mixed";
      } else {
        money["currency"] = ir::UnpackCurrency(currency);
      }
      return money;
    }
  }
  return nullptr;
}

OrderedJson EncodeField(const common::Record& record, const ir::Field& field) {
  if (field.presence_offset >= 0 && record.Get(field.presence_offset) == 0) {
    return nullptr;
  }
  int64_t index = record.Get(field.offset);
  if (field.date) return ir::FormatDate(index);
  if (!field.enum_values.empty() && index >= 0 &&
      static_cast<size_t>(index) < field.enum_values.size()) {
    return field.enum_values[index];
  }
  return EncodeSlot(record, field.type, field.offset);
}

std::string DecodeSlot(const JsonValue& value, ir::Type type, int32_t offset,
                       common::Record& record) {
  if (type == ir::Type::Money) return DecodeMoney(value, offset, record);

  // The state writes an int as a number. A string in its place was stored
  // while the field was a string (the program changed since), so it takes
  // its default with a warning even when it spells a number: only the
  // event stream takes "5" for an int.
  if (type == ir::Type::Int && value.kind == JsonValue::Kind::String) {
    return std::string("must be ") + ingest::ExpectedForm(type) + ", got " +
           KindName(value.kind);
  }

  ingest::TypedValue typed;
  std::string problem = ingest::DecodeTyped(value, type, typed);
  if (!problem.empty()) return problem;
  ingest::WriteTyped(record, type, offset, typed);
  return "";
}

std::string DecodeField(const JsonValue& value, const ir::Field& field,
                        common::Record& record) {
  if (value.kind == JsonValue::Kind::Null) {
    if (!field.optional) return "is null but not optional";
    ingest::ClearField(record, field);
    return "";
  }
  std::string problem;
  if (field.list) {
    // Saved as the text of the list, in a JSON string; read back, it is
    // checked as the input's list was, and gives its length again.
    if (value.kind != JsonValue::Kind::String) {
      return std::string("must be a list's text, got ") +
             ingest::KindName(value.kind);
    }
    JsonValue list;
    problem = ingest::ParseJson(value.text, list);
    ingest::TypedValue typed;
    if (problem.empty()) problem = ingest::DecodeFieldValue(list, field, typed);
    if (!problem.empty()) return problem;
    ingest::WriteField(record, field, typed);
    return "";
  }
  if (field.enum_values.empty() && !field.date) {
    problem = DecodeSlot(value, field.type, field.offset, record);
  } else {
    ingest::TypedValue typed;
    problem = ingest::DecodeFieldValue(value, field, typed);
    if (problem.empty())
      ingest::WriteTyped(record, field.type, field.offset, typed);
  }
  if (!problem.empty()) return problem;
  if (field.presence_offset >= 0) record.Set(field.presence_offset, 1);
  return "";
}

namespace {

// `field` of the event record that `last` keeps at `last_offset`.
ir::Field KeptField(const ir::Field& field, int32_t last_offset) {
  ir::Field kept = field;
  kept.offset += last_offset + 2;
  if (kept.presence_offset >= 0) kept.presence_offset += last_offset + 2;
  if (kept.count_offset >= 0) kept.count_offset += last_offset + 2;
  return kept;
}

}  // namespace

OrderedJson EncodeAggregate(const ir::Program& program,
                            const ir::Aggregate& aggregate,
                            const common::Record& record) {
  if (aggregate.kind != ir::AggregateKind::Last) {
    return EncodeSlot(record, aggregate.type, aggregate.offset);
  }
  if (record.Get(aggregate.offset) == 0) return nullptr;
  OrderedJson last = OrderedJson::object();
  last["at"] = common::FormatTime(record.Get(aggregate.offset + 1));
  for (const ir::Field& field : program.events[aggregate.event_type].fields) {
    last[field.name] = EncodeField(record, KeptField(field, aggregate.offset));
  }
  return last;
}

std::string DecodeAggregate(const JsonValue& value, const ir::Program& program,
                            const ir::Aggregate& aggregate,
                            common::Record& record) {
  if (aggregate.kind != ir::AggregateKind::Last) {
    return DecodeSlot(value, aggregate.type, aggregate.offset, record);
  }
  if (value.kind == JsonValue::Kind::Null) return "";
  if (value.kind != JsonValue::Kind::Object) {
    return std::string("must be an object, got ") + KindName(value.kind);
  }
  // Decoded into a copy first, so that a bad field leaves no half event.
  common::Record decoded = record;
  const JsonValue* at = value.Find("at");
  if (at == nullptr) return "has no `at`";
  std::string problem =
      DecodeSlot(*at, ir::Type::Time, aggregate.offset + 1, decoded);
  if (!problem.empty()) return "`at` " + problem;
  for (const ir::Field& field : program.events[aggregate.event_type].fields) {
    const JsonValue* field_value = value.Find(field.name);
    ir::Field kept = KeptField(field, aggregate.offset);
    if (field_value == nullptr) {
      if (!field.optional) return "has no `" + field.name + "`";
      continue;
    }
    problem = DecodeField(*field_value, kept, decoded);
    if (!problem.empty()) return "`" + field.name + "` " + problem;
  }
  decoded.Set(aggregate.offset, 1);
  record = std::move(decoded);
  return "";
}

std::string AggregateName(const ir::Program& program,
                          const ir::Aggregate& aggregate) {
  const ir::EventType& event = program.events[aggregate.event_type];
  // A bound in calendar units is named by its units, which its seconds
  // (a bound on their span) do not tell apart from an exact bound.
  auto bound = [](int64_t seconds, int64_t count, ir::CalendarUnit unit) {
    if (count == 0) return std::to_string(seconds) + "s";
    return std::to_string(count) + " " + ir::CalendarUnitName(unit);
  };
  std::string far =
      bound(aggregate.window_far, aggregate.far_calendar, aggregate.far_unit);
  std::string window;
  bool within = aggregate.window_near == 0 && aggregate.near_calendar == 0;
  if (aggregate.windowed && within) {
    window = " within " + far;
  } else if (aggregate.windowed) {
    window = " between " + far + " and " +
             bound(aggregate.window_near, aggregate.near_calendar,
                   aggregate.near_unit) +
             " ago";
  }
  switch (aggregate.kind) {
    case ir::AggregateKind::Last: return "last(" + event.name + ")";
    case ir::AggregateKind::Count: return "count(" + event.name + window + ")";
    case ir::AggregateKind::SeenBefore:
      return "seen_before(" + event.name + "." +
             event.fields[aggregate.field].name + " within " +
             std::to_string(aggregate.window_far) + "s)";
    case ir::AggregateKind::Sum:
      return "sum(" + event.name + "." + event.fields[aggregate.field].name +
             window + ")";
  }
  return "?";
}

}  // namespace parcours::store
