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
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
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

bool AppendKey(std::string_view key, bool first, std::string& out) {
  if (!first) out.push_back(',');
  if (!AppendString(key, out)) return false;
  out.push_back(':');
  return true;
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

// The text of `EncodeField`.
bool AppendField(const common::Record& record, const ir::Field& field,
                 std::string& out) {
  if (field.presence_offset >= 0 && record.Get(field.presence_offset) == 0) {
    out += "null";
    return true;
  }
  int64_t index = record.Get(field.offset);
  if (field.date) return AppendString(ir::FormatDate(index), out);
  if (!field.enum_values.empty() && index >= 0 &&
      static_cast<size_t>(index) < field.enum_values.size()) {
    return AppendString(field.enum_values[index], out);
  }
  return AppendSlot(record, field.type, field.offset, out);
}

// The object of `fields` by name, as in the locals and `last(E)`.
bool AppendFields(const std::vector<ir::Field>& fields,
                  const common::Record& record, int32_t shift, bool first,
                  std::string& out) {
  for (const ir::Field& field : fields) {
    if (!AppendKey(field.name, first, out)) return false;
    first = false;
    if (shift == 0) {
      if (!AppendField(record, field, out)) return false;
      continue;
    }
    ir::Field kept = field;
    kept.offset += shift;
    if (kept.presence_offset >= 0) kept.presence_offset += shift;
    if (!AppendField(record, kept, out)) return false;
  }
  return true;
}

// The text of `EncodeAggregate`.
bool AppendAggregate(const ir::Program& program, const ir::Aggregate& aggregate,
                     const common::Record& record, std::string& out) {
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
  const ir::EventType& event = program.events[aggregate.event_type];
  for (const ir::Field& field : event.fields) {
    if (field.name == "at") return false;
  }
  if (!AppendFields(event.fields, record, aggregate.offset + 2, false, out)) {
    return false;
  }
  out.push_back('}');
  return true;
}

}  // namespace

bool AppendAttributesText(const ir::Program& program,
                          const common::Record& record, std::string& out) {
  out.push_back('{');
  if (!AppendFields(program.profile, record, 0, true, out)) return false;
  out.push_back('}');
  return true;
}

bool AppendAggregatesText(const ir::Program& program,
                          const common::Record& record, std::string& out) {
  std::vector<std::string> names;
  names.reserve(program.aggregates.size());
  for (const ir::Aggregate& aggregate : program.aggregates) {
    names.push_back(AggregateName(program, aggregate));
  }
  // Two aggregates of one name would be one key of the tree.
  std::vector<std::string_view> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return false;
  }

  out.push_back('{');
  for (size_t i = 0; i < names.size(); ++i) {
    if (!AppendKey(names[i], i == 0, out)) return false;
    if (!AppendAggregate(program, program.aggregates[i], record, out)) {
      return false;
    }
  }
  out.push_back('}');
  return true;
}

bool AppendSegmentsText(const ir::Program& program,
                        const common::Record& record, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const ir::Segment& segment : program.segments) {
    if (!AppendKey(segment.name, first, out)) return false;
    first = false;
    out += record.Get(segment.offset) != 0 ? "true" : "false";
  }
  out.push_back('}');
  return true;
}

bool AppendEntriesText(const ir::Program& program, const Profile& profile,
                       std::string& out) {
  out.push_back('{');
  bool first = true;
  for (size_t j = 0; j < profile.last_entered.size(); ++j) {
    if (!profile.last_entered[j]) continue;
    if (!AppendKey(program.journeys[j].name, first, out)) return false;
    first = false;
    if (!AppendTime(*profile.last_entered[j], out)) {
      return false;
    }
  }
  out.push_back('}');
  return true;
}

bool AppendLocalsText(const ir::EventType& event, const common::Record& locals,
                      std::string& out) {
  out.push_back('{');
  if (!AppendFields(event.fields, locals, 0, true, out)) return false;
  out.push_back('}');
  return true;
}

}  // namespace parcours::store
