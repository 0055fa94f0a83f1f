#include "runtime/store/row_text.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "compiler/ir/dates.h"
#include "compiler/ir/semantics.h"
#include "runtime/common/decimal_text.h"
#include "runtime/common/time_text.h"
#include "runtime/ingest/values.h"
#include "runtime/store/value_json.h"

namespace parcours::store {

namespace {

// A JSON string as the dump writes it, for text of printable ASCII: only
// `"` and `\` are escaped. Anything else is left to the dump.
bool AppendString(std::string_view text, std::string& out) {
  bool plain = true;
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
    plain = plain && c != '"' && c != '\\';
  }

  // Most texts (ids, times, amounts, names) need no escape: one copy.
  out.push_back('"');
  if (plain) {
    out.append(text);
  } else {
    for (char c : text) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  out.push_back('"');
  return true;
}

// A time as a JSON string. The text is formatted into a buffer each
// thread keeps, rather than a new string per value (a profile's row may
// hold several, and every touched profile's row is written per save).
bool AppendTime(int64_t seconds, std::string& out) {
  thread_local std::string text;
  common::AssignTime(seconds, text);
  return AppendString(text, out);
}

// The text of `EncodeSlot`.
bool AppendSlot(const common::Record& record, ir::Type type, int32_t offset,
                std::string& out) {
  int64_t word = record.Get(offset);
  switch (type) {
    case ir::Type::Bool: out += word != 0 ? "true" : "false"; return true;
    case ir::Type::Int:
    case ir::Type::Duration: out += std::to_string(word); return true;
    case ir::Type::Decimal:
      return AppendString(common::FormatScaled(word, ingest::kDecimalDigits),
                          out);
    case ir::Type::Time: return AppendTime(word, out);
    case ir::Type::String: return AppendString(record.GetString(offset), out);
    case ir::Type::Money: {
      out += "{\"amount\":";
      if (!AppendString(common::FormatScaled(word, ingest::kDecimalDigits),
                        out)) {
        return false;
      }
      out += ",\"currency\":";
      int64_t currency = record.Get(offset + 1);
      if (currency == ir::kNoCurrency) {
        out += "null";
      } else if (currency == ir::kMixedCurrency) {
        out += "\"mixed\"";
      } else if (!AppendString(ir::UnpackCurrency(currency), out)) {
        return false;
      }
      out.push_back('}');
      return true;
    }
  }
  return false;
}

// The text of `EncodeField`, for a field `shift` words further on than
// its own offsets say (the event fields of a `last` aggregate).
bool AppendField(const common::Record& record, const ir::Field& field,
                 int32_t shift, std::string& out) {
  if (field.presence_offset >= 0 &&
      record.Get(field.presence_offset + shift) == 0) {
    out += "null";
    return true;
  }
  int32_t offset = field.offset + shift;
  int64_t index = record.Get(offset);
  if (field.date) return AppendString(ir::FormatDate(index), out);
  if (!field.enum_values.empty() && index >= 0 &&
      static_cast<size_t>(index) < field.enum_values.size()) {
    return AppendString(field.enum_values[index], out);
  }
  return AppendSlot(record, field.type, offset, out);
}

// `"key":` as the dump writes it, or empty when the dump might write it
// otherwise.
std::string KeyText(std::string_view key) {
  std::string text;
  if (!AppendString(key, text)) return "";
  text.push_back(':');
  return text;
}

}  // namespace

RowText::Keys RowText::MakeKeys(const std::vector<std::string_view>& names) {
  Keys keys;
  for (std::string_view name : names) {
    keys.texts.push_back(KeyText(name));
    keys.ok = keys.ok && !keys.texts.back().empty();
  }
  // Two keys of one name would be one key of the tree.
  std::vector<std::string_view> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    keys.ok = false;
  }
  return keys;
}

RowText::Keys RowText::MakeFieldKeys(const std::vector<ir::Field>& fields) {
  std::vector<std::string_view> names;
  for (const ir::Field& field : fields) names.push_back(field.name);
  return MakeKeys(names);
}

RowText::RowText(const ir::Program& program) : program_(program) {
  attributes_ = MakeFieldKeys(program.profile);

  std::vector<std::string> aggregate_names;
  for (const ir::Aggregate& aggregate : program.aggregates) {
    aggregate_names.push_back(AggregateName(program, aggregate));
  }
  aggregates_ = MakeKeys({aggregate_names.begin(), aggregate_names.end()});

  std::vector<std::string_view> names;
  for (const ir::Segment& segment : program.segments) {
    names.push_back(segment.name);
  }
  segments_ = MakeKeys(names);

  names.clear();
  for (const ir::Journey& journey : program.journeys) {
    names.push_back(journey.name);
  }
  journeys_ = MakeKeys(names);

  for (const ir::EventType& event : program.events) {
    event_fields_.push_back(MakeFieldKeys(event.fields));
  }
}

bool RowText::AppendFields(const std::vector<ir::Field>& fields,
                           const Keys& keys, const common::Record& record,
                           int32_t shift, bool first, std::string& out) {
  if (!keys.ok) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!first) out.push_back(',');
    first = false;
    out += keys.texts[i];
    if (!AppendField(record, fields[i], shift, out)) return false;
  }
  return true;
}

const RowText::Keys& RowText::EventKeys(const ir::EventType& event,
                                        Keys& scratch) const {
  const ir::EventType* first = program_.events.data();
  if (&event >= first && &event < first + program_.events.size()) {
    return event_fields_[&event - first];
  }
  // An event type from elsewhere, as in a test: its keys made afresh.
  scratch = MakeFieldKeys(event.fields);
  return scratch;
}

// The text of `EncodeAggregate`.
bool RowText::AppendAggregate(const ir::Aggregate& aggregate,
                              const common::Record& record,
                              std::string& out) const {
  if (aggregate.kind != ir::AggregateKind::Last) {
    return AppendSlot(record, aggregate.type, aggregate.offset, out);
  }
  if (record.Get(aggregate.offset) == 0) {
    out += "null";
    return true;
  }
  out += "{\"at\":";
  if (!AppendTime(record.Get(aggregate.offset + 1), out)) {
    return false;
  }
  // The event's fields follow the presence word and the time; a field
  // named `at` would be one key with the time in the tree.
  const ir::EventType& event = program_.events[aggregate.event_type];
  for (const ir::Field& field : event.fields) {
    if (field.name == "at") return false;
  }
  if (!AppendFields(event.fields, event_fields_[aggregate.event_type], record,
                    aggregate.offset + 2, false, out)) {
    return false;
  }
  out.push_back('}');
  return true;
}

bool RowText::AppendAttributes(const common::Record& record,
                               std::string& out) const {
  out.push_back('{');
  if (!AppendFields(program_.profile, attributes_, record, 0, true, out)) {
    return false;
  }
  out.push_back('}');
  return true;
}

bool RowText::AppendAggregates(const common::Record& record,
                               std::string& out) const {
  if (!aggregates_.ok) return false;
  out.push_back('{');
  for (size_t i = 0; i < program_.aggregates.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += aggregates_.texts[i];
    if (!AppendAggregate(program_.aggregates[i], record, out)) return false;
  }
  out.push_back('}');
  return true;
}

bool RowText::AppendSegments(const common::Record& record,
                             std::string& out) const {
  if (!segments_.ok) return false;
  out.push_back('{');
  for (size_t i = 0; i < program_.segments.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += segments_.texts[i];
    out += record.Get(program_.segments[i].offset) != 0 ? "true" : "false";
  }
  out.push_back('}');
  return true;
}

bool RowText::AppendEntries(const Profile& profile, std::string& out) const {
  if (!journeys_.ok) return false;
  out.push_back('{');
  bool first = true;
  for (size_t j = 0; j < profile.last_entered.size(); ++j) {
    if (!profile.last_entered[j]) continue;
    if (!first) out.push_back(',');
    first = false;
    out += journeys_.texts[j];
    if (!AppendTime(*profile.last_entered[j], out)) {
      return false;
    }
  }
  out.push_back('}');
  return true;
}

bool RowText::AppendLocals(const ir::EventType& event,
                           const common::Record& locals,
                           std::string& out) const {
  Keys scratch;
  out.push_back('{');
  if (!AppendFields(event.fields, EventKeys(event, scratch), locals, 0, true,
                    out)) {
    return false;
  }
  out.push_back('}');
  return true;
}

}  // namespace parcours::store
