#include "runtime/ingest/values.h"

#include <algorithm>
#include <optional>

#include "compiler/ir/dates.h"
#include "runtime/common/decimal_text.h"
#include "runtime/common/time_text.h"

namespace parcours::ingest {

namespace {

using common::NumberProblem;

std::string WrongKind(ir::Type type, const JsonValue& value) {
  return std::string("must be ") + ExpectedForm(type) + ", got " +
         KindName(value.kind);
}

std::string Describe(NumberProblem problem, ir::Type type,
                     const JsonValue& value) {
  switch (problem) {
    case NumberProblem::None: return "";
    case NumberProblem::NotANumber:
      // Integers, decimals and amounts may come as text ("5", "20.00"),
      // but this text is no number.
      if (value.kind == JsonValue::Kind::String) {
        const char* example = type == ir::Type::Int ? "\"5\"" : "\"20.00\"";
        return std::string("must be ") + ExpectedForm(type) +
               ", or one written as text such as " + example + ", got `" +
               value.text.substr(0, 40) +
               (value.text.size() > 40 ? "...`" : "`");
      }
      return WrongKind(type, value);
    case NumberProblem::TooPrecise:
      if (type == ir::Type::Decimal || type == ir::Type::Money) {
        return "has more than " + std::to_string(kDecimalDigits) +
               " decimal places";
      }
      return std::string("must be ") + ExpectedForm(type) + ", got a fraction";
    case NumberProblem::OutOfRange: return "is out of range";
  }
  return "";
}

std::string DecodeScaled(const JsonValue& value, ir::Type type, int scale,
                         bool allow_string, TypedValue& out) {
  bool number = value.kind == JsonValue::Kind::Number;
  bool text = allow_string && value.kind == JsonValue::Kind::String;
  if (!number && !text) return WrongKind(type, value);
  return Describe(common::ParseScaled(value.text, scale, out.word), type,
                  value);
}

}  // namespace

std::string DecodeDate(const JsonValue& value, TypedValue& out) {
  out = TypedValue{};
  if (value.kind != JsonValue::Kind::String) {
    return std::string("must be a date such as \"1990-03-29\", got ") +
           KindName(value.kind);
  }
  std::optional<int64_t> days = ir::ParseDate(value.text);
  if (!days) {
    std::string quoted = "`" + value.text.substr(0, 40) +
                         (value.text.size() > 40 ? "...`" : "`");
    // `2023-02-29` has the form; saying it has not would send the reader
    // looking for a typo in the layout rather than in the day.
    const std::string& text = value.text;
    bool has_form = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                    std::all_of(text.begin(), text.end(), [](char c) {
                      return c == '-' || (c >= '0' && c <= '9');
                    });
    if (has_form) {
      return "is not a day of the calendar (years 0001 to 9999): " + quoted;
    }
    return "is not a date of the form YYYY-MM-DD: " + quoted;
  }
  out.word = *days;
  return "";
}

bool HasTimeLayout(const std::string& text) {
  auto digits = [&text](size_t at, size_t count) {
    if (at + count > text.size()) return false;
    for (size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  bool layout = digits(0, 4) && text.size() >= 19 && text[4] == '-' &&
                digits(5, 2) && text[7] == '-' && digits(8, 2) &&
                (text[10] == 'T' || text[10] == 't') && digits(11, 2) &&
                text[13] == ':' && digits(14, 2) && text[16] == ':' &&
                digits(17, 2);
  if (!layout) return false;
  size_t at = 19;
  if (at < text.size() && text[at] == '.') {
    ++at;
    while (digits(at, 1)) ++at;
  }
  std::string zone = text.substr(at);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') &&
         digits(at + 1, 2) && zone[3] == ':' && digits(at + 4, 2);
}

std::string BadTimeReason(const std::string& text) {
  // `+25:00` would pass for a real time's zone: blaming the day or the
  // hour would send the reader to the wrong part of the time.
  std::string zone = common::OutOfRangeOffset(text);
  if (!zone.empty()) {
    return "has a zone offset out of range (`" + zone +
           "`; offsets run from -23:59 to +23:59)";
  }
  std::string iso = common::IsoFormOfSpacedTime(text);
  if (!iso.empty()) {
    return "has a space between the date and the time, where ISO 8601 "
           "puts a `T` (write it `" +
           iso + "`)";
  }
  if (HasTimeLayout(text)) {
    return "is not a real time (no such day, or an hour past 23, or a "
           "minute or second past 59)";
  }
  return "is not an ISO 8601 time with a zone";
}

const char* ExpectedForm(ir::Type type) {
  switch (type) {
    case ir::Type::Bool: return "a boolean";
    case ir::Type::Int: return "an integer";
    case ir::Type::Decimal: return "a number";
    case ir::Type::Money: return "a number";
    case ir::Type::Duration: return "a whole number of seconds";
    case ir::Type::Time: return "an ISO 8601 time";
    case ir::Type::String: return "a string";
  }
  return "?";
}

std::string DecodeTyped(const JsonValue& value, ir::Type type,
                        TypedValue& out) {
  out = TypedValue{};
  switch (type) {
    // Exports that quote every number quote integers too: an int takes
    // "5" as a decimal takes "20.00", with the same checks.
    case ir::Type::Int: return DecodeScaled(value, type, 0, true, out);
    case ir::Type::Duration: {
      std::string problem = DecodeScaled(value, type, 0, false, out);
      // The language caps a written length at a thousand years (E0107); a
      // longer one on the stream is a unit mix-up (milliseconds), and a
      // wait computed from it would wrap past the 64-bit range and end at
      // once instead of never.
      constexpr int64_t kMaxSeconds = int64_t{1000} * 366 * 86400;
      if (problem.empty() &&
          (out.word > kMaxSeconds || out.word < -kMaxSeconds)) {
        return "is more than a thousand years of seconds, which is no "
               "length (milliseconds?)";
      }
      return problem;
    }
    case ir::Type::Decimal:
    case ir::Type::Money:
      return DecodeScaled(value, type, kDecimalDigits, true, out);
    case ir::Type::Bool:
      if (value.kind != JsonValue::Kind::Bool) return WrongKind(type, value);
      out.word = value.boolean ? 1 : 0;
      return "";
    case ir::Type::String:
      if (value.kind != JsonValue::Kind::String) return WrongKind(type, value);
      out.text = value.text;
      return "";
    case ir::Type::Time: {
      if (value.kind != JsonValue::Kind::String) return WrongKind(type, value);
      auto seconds = common::ParseTime(value.text);
      if (!seconds) {
        return BadTimeReason(value.text) + ": `" + value.text.substr(0, 40) +
               "`";
      }
      out.word = *seconds;
      return "";
    }
  }
  return "has an unknown type";
}

namespace {

// A value inside a list item: what `DecodeFieldValue` checks, and that a
// channel is one.
std::string CheckItemValue(const JsonValue& value, const ir::Field& field) {
  TypedValue scratch;
  std::string problem = DecodeFieldValue(value, field, scratch);
  if (!problem.empty() || !field.channel) return problem;
  const auto& channels = ir::ConsentChannels();
  if (std::find(channels.begin(), channels.end(), value.text) !=
      channels.end()) {
    return "";
  }
  return "must be a channel (email, inapp, push or sms), got `" +
         value.text.substr(0, 40) + "`";
}

// One item of a list field: a value of the item type, or an object with
// the record's fields (others are kept as they came, for templates).
std::string CheckListItem(const JsonValue& item, const ir::Field& field) {
  if (!field.list_of_records) {
    if (item.kind == JsonValue::Kind::Null) return "is null";
    // The list is kept as its text, and `in` matches an int only against
    // numbers there (parcours_list_contains): a quoted "42" would be kept
    // and never found, so the items of a list<int> stay numbers.
    ir::Type item_type = field.list_items.front().type;
    if (item_type == ir::Type::Int && item.kind == JsonValue::Kind::String) {
      return WrongKind(item_type, item);
    }
    return CheckItemValue(item, field.list_items.front());
  }
  if (item.kind != JsonValue::Kind::Object) {
    return std::string("must be an object, got ") + KindName(item.kind);
  }
  for (const ir::Field& member : field.list_items) {
    const JsonValue* value = item.Find(member.wire_name);
    if (value == nullptr || value->kind == JsonValue::Kind::Null) {
      if (member.optional) continue;
      return "lacks `" + member.wire_name + "`";
    }
    std::string problem = CheckItemValue(*value, member);
    if (!problem.empty())
      return "has `" + member.wire_name + "` that " + problem;
  }
  // A money amount's currency, when the item gives one, must be real.
  const JsonValue* currency = item.Find("currency");
  if (currency != nullptr && currency->kind != JsonValue::Kind::Null &&
      (currency->kind != JsonValue::Kind::String ||
       !ir::IsIsoCurrency(currency->text))) {
    return "has a `currency` that is not a three-letter ISO 4217 code";
  }
  return "";
}

// A list: a JSON array whose items fit the field's item type; its text is
// kept, compact, with its length.
std::string DecodeList(const JsonValue& value, const ir::Field& field,
                       TypedValue& out) {
  out = TypedValue{};
  if (value.kind != JsonValue::Kind::Array) {
    return std::string("must be a list (a JSON array), got ") +
           KindName(value.kind);
  }
  for (size_t i = 0; i < value.items.size(); ++i) {
    std::string problem = CheckListItem(value.items[i], field);
    if (!problem.empty()) {
      return "has item " + std::to_string(i + 1) + " that " + problem;
    }
  }
  out.word = static_cast<int64_t>(value.items.size());
  AppendJson(value, out.text);
  return "";
}

}  // namespace

std::string DecodeFieldValue(const JsonValue& value, const ir::Field& field,
                             TypedValue& out) {
  if (field.list) return DecodeList(value, field, out);
  if (field.date) return DecodeDate(value, out);
  if (field.enum_values.empty()) return DecodeTyped(value, field.type, out);

  out = TypedValue{};
  const std::vector<std::string>& names = field.enum_values;
  std::string allowed;
  for (size_t i = 0; i < names.size(); ++i) {
    allowed += (i == 0                  ? "`"
                : i + 1 == names.size() ? " or `"
                                        : ", `") +
               names[i] + "`";
  }
  if (value.kind != JsonValue::Kind::String) {
    return "must be one of " + allowed + ", got " + KindName(value.kind);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] != value.text) continue;
    out.word = static_cast<int64_t>(i);
    return "";
  }
  return "must be one of " + allowed + ", got `" + value.text.substr(0, 40) +
         (value.text.size() > 40 ? "...`" : "`");
}

void WriteTyped(common::Record& record, ir::Type type, int32_t offset,
                const TypedValue& value, int64_t currency) {
  switch (type) {
    case ir::Type::String: record.SetString(offset, value.text); return;
    case ir::Type::Money:
      record.Set(offset, value.word);
      record.Set(offset + 1, currency);
      return;
    case ir::Type::Bool:
    case ir::Type::Int:
    case ir::Type::Decimal:
    case ir::Type::Duration:
    case ir::Type::Time: record.Set(offset, value.word); return;
  }
}

void WriteField(common::Record& record, const ir::Field& field,
                const TypedValue& value, int64_t currency) {
  WriteTyped(record, field.type, field.offset, value, currency);
  if (field.list) record.Set(field.count_offset, value.word);
  if (field.presence_offset >= 0) record.Set(field.presence_offset, 1);
}

void ClearField(common::Record& record, const ir::Field& field) {
  for (int i = 0; i < ir::WordCount(field.type); ++i) {
    record.Set(field.offset + i, 0);
  }
  if (field.list) record.Set(field.count_offset, 0);
  if (field.presence_offset >= 0) record.Set(field.presence_offset, 0);
}

}  // namespace parcours::ingest
