#include "runtime/store/journey_state.h"

#include <memory>

#include "runtime/common/time_text.h"

namespace parcours::store {

using ingest::JsonValue;

OrderedJson EncodeEntries(const ir::Program& program, const Profile& profile) {
  OrderedJson entries = OrderedJson::object();
  for (size_t j = 0; j < profile.last_entered.size(); ++j) {
    if (!profile.last_entered[j]) continue;
    entries[program.journeys[j].name] =
        common::FormatTime(*profile.last_entered[j]);
  }
  return entries;
}

std::vector<std::string> DecodeEntries(const ir::Program& program,
                                       const JsonValue& entries,
                                       Profile& profile) {
  std::vector<std::string> not_times;
  profile.last_entered.assign(program.journeys.size(), std::nullopt);
  for (size_t j = 0; j < program.journeys.size(); ++j) {
    const std::string& name = program.journeys[j].name;
    const JsonValue* value = entries.Find(name);
    if (value == nullptr) continue;
    std::optional<int64_t> at = value->kind == JsonValue::Kind::String
                                    ? common::ParseTime(value->text)
                                    : std::nullopt;
    if (!at) {
      not_times.push_back(name);
      continue;
    }
    profile.last_entered[j] = at;
  }
  return not_times;
}

OrderedJson EncodeArrived(const ir::Program& program,
                          const Instance& instance) {
  const ir::EventType& event = program.events[instance.arrived->type];
  OrderedJson fields = OrderedJson::object();
  for (const ir::Field& field : event.fields) {
    fields[field.name] = EncodeField(instance.arrived->record, field);
  }
  OrderedJson arrived = OrderedJson::object();
  arrived["event"] = event.name;
  arrived["fields"] = std::move(fields);
  return arrived;
}

void DecodeArrived(const ir::Program& program, const JsonValue& arrived,
                   Instance& instance, std::vector<FieldProblem>& bad_fields) {
  const JsonValue* name = arrived.Find("event");
  const JsonValue* fields = arrived.Find("fields");
  for (size_t e = 0; e < program.events.size(); ++e) {
    const ir::EventType& event = program.events[e];
    if (name == nullptr || name->text != event.name) continue;
    instance.arrived = std::make_unique<ArrivedEvent>(ArrivedEvent{
        static_cast<int32_t>(e), common::Record(event.record_words)});
    if (fields == nullptr) return;
    // A field the file lacks or cannot read stays zero, as for locals.
    for (const ir::Field& field : event.fields) {
      const JsonValue* value = fields->Find(field.name);
      if (value == nullptr) continue;
      std::string problem =
          DecodeField(*value, field, instance.arrived->record);
      if (!problem.empty()) bad_fields.push_back({field.name, problem});
    }
    return;
  }
}

}  // namespace parcours::store
