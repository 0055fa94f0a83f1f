#include "runtime/store/history.h"

#include <algorithm>

#include "compiler/ir/semantics.h"
#include "runtime/common/time_text.h"

namespace parcours::store {

namespace {

// When an event from `at` enters a window of `aggregate`.
int64_t Enters(const ir::Aggregate& aggregate, int64_t at,
               const AddCalendarUnits& calendar) {
  if (aggregate.near_calendar > 0) {
    return calendar(at, aggregate.near_calendar, aggregate.near_unit);
  }
  return common::AddSeconds(at, aggregate.window_near);
}

// When it leaves it.
int64_t Leaves(const ir::Aggregate& aggregate, int64_t at,
               const AddCalendarUnits& calendar) {
  if (aggregate.far_calendar > 0) {
    return calendar(at, aggregate.far_calendar, aggregate.far_unit);
  }
  return common::AddSeconds(at, aggregate.window_far);
}

// Whether a window of `aggregate` reads an event from `at` at `now`.
bool InWindow(const ir::Aggregate& aggregate, int64_t at, int64_t now,
              const AddCalendarUnits& calendar) {
  return Enters(aggregate, at, calendar) <= now &&
         now < Leaves(aggregate, at, calendar);
}

// The value of `aggregate` at `now`, written at its offset in `record`.
void ComputeWindow(const ir::Aggregate& aggregate, const ir::EventType& type,
                   const std::vector<KeptEvent>& kept, int64_t now,
                   const AddCalendarUnits& calendar, common::Record& record) {
  int32_t offset = aggregate.offset;
  for (int i = 0; i < ir::WordCount(aggregate.type); ++i) {
    record.Set(offset + i, 0);
  }
  for (const KeptEvent& event : kept) {
    if (!InWindow(aggregate, event.at, now, calendar)) continue;
    if (aggregate.kind == ir::AggregateKind::Count) {
      record.Set(offset, ir::WrapAdd(record.Get(offset), 1));
      continue;
    }
    // Sums are of required fields (the checker sees to it), so every kept
    // event has a value; money combines currencies as the IR adds them.
    const ir::Field& field = type.fields[aggregate.field];
    record.Set(offset,
               ir::WrapAdd(record.Get(offset), event.record.Get(field.offset)));
    if (aggregate.type == ir::Type::Money) {
      record.Set(offset + 1,
                 ir::CombineCurrency(record.Get(offset + 1),
                                     event.record.Get(field.offset + 1)));
    }
  }
}

// Whether `field` has a value in `record` (a required one always does).
bool HasValue(const ir::Field& field, const common::Record& record) {
  return field.presence_offset < 0 || record.Get(field.presence_offset) != 0;
}

bool SameValue(const ir::Field& field, const common::Record& a,
               const common::Record& b) {
  if (field.type == ir::Type::String) {
    return a.GetString(field.offset) == b.GetString(field.offset);
  }
  for (int i = 0; i < ir::WordCount(field.type); ++i) {
    if (a.Get(field.offset + i) != b.Get(field.offset + i)) return false;
  }
  return true;
}

// The words of a kept event's record: those up to the last word of a
// kept field or of its presence. The words past them are never read, and
// a window that only counts keeps none; millions of kept events then
// hold no unread zeros (docs/performance.md, "Memory per profile").
int32_t KeptWords(const ir::EventType& type) {
  int32_t words = 0;
  for (int32_t index : type.history_fields) {
    const ir::Field& field = type.fields[index];
    words = std::max(words, field.offset + ir::WordCount(field.type));
    words = std::max(words, field.presence_offset + 1);
  }
  return words;
}

}  // namespace

void UpdateSeenBefore(const ir::Program& program, Profile& profile,
                      const ir::Aggregate& aggregate, int64_t at,
                      const common::Record& event, int64_t now) {
  const ir::EventType& type = program.events[aggregate.event_type];
  if (common::AddSeconds(at, type.history_seconds) <= now) return;
  static const std::vector<KeptEvent> kNone;
  size_t index = static_cast<size_t>(aggregate.event_type);
  const auto& kept =
      index < profile.history.size() ? profile.history[index] : kNone;
  if (!kept.empty() && kept.back().at > at) return;

  const ir::Field& field = type.fields[aggregate.field];
  bool seen = false;
  if (HasValue(field, event)) {
    for (const KeptEvent& earlier : kept) {
      bool in_window =
          common::AddSeconds(earlier.at, aggregate.window_far) > at;
      if (in_window && HasValue(field, earlier.record) &&
          SameValue(field, earlier.record, event)) {
        seen = true;
        break;
      }
    }
  }
  profile.record.Set(aggregate.offset, seen ? 1 : 0);
}

bool KeepEvent(const ir::Program& program, Profile& profile, int32_t event_type,
               int64_t at, const common::Record& event, int64_t now) {
  const ir::EventType& type = program.events[event_type];
  if (type.history_seconds <= 0) return false;
  if (common::AddSeconds(at, type.history_seconds) <= now) return false;

  KeptEvent kept{at, common::Record(KeptWords(type))};
  for (int32_t index : type.history_fields) {
    const ir::Field& field = type.fields[index];
    if (field.type == ir::Type::String) {
      // The kept record owns its copy of the bytes.
      kept.record.SetString(field.offset, event.GetString(field.offset));
    } else {
      for (int i = 0; i < ir::WordCount(field.type); ++i) {
        kept.record.Set(field.offset + i, event.Get(field.offset + i));
      }
    }
    if (field.presence_offset >= 0) {
      kept.record.Set(field.presence_offset, event.Get(field.presence_offset));
    }
  }
  if (profile.history.size() < program.events.size()) {
    profile.history.resize(program.events.size());
  }
  std::vector<KeptEvent>& events = profile.history[event_type];
  auto after = std::upper_bound(
      events.begin(), events.end(), at,
      [](int64_t time, const KeptEvent& other) { return time < other.at; });
  events.insert(after, std::move(kept));
  return true;
}

void RefreshWindows(const ir::Program& program, Profile& profile, int64_t now,
                    const AddCalendarUnits& calendar) {
  for (size_t e = 0; e < profile.history.size(); ++e) {
    int64_t keep = program.events[e].history_seconds;
    std::vector<KeptEvent>& events = profile.history[e];
    auto readable =
        std::find_if(events.begin(), events.end(), [&](const KeptEvent& event) {
          return common::AddSeconds(event.at, keep) > now;
        });
    events.erase(events.begin(), readable);
  }

  static const std::vector<KeptEvent> kNone;
  for (const ir::Aggregate& aggregate : program.aggregates) {
    if (!aggregate.windowed) continue;
    size_t type = static_cast<size_t>(aggregate.event_type);
    const auto& kept =
        type < profile.history.size() ? profile.history[type] : kNone;
    ComputeWindow(aggregate, program.events[type], kept, now, calendar,
                  profile.record);
  }
}

std::optional<int64_t> NextWindowChange(const ir::Program& program,
                                        const Profile& profile, int64_t now,
                                        const AddCalendarUnits& calendar) {
  std::optional<int64_t> next;
  auto consider = [&](int64_t instant) {
    if (instant > now && (!next || instant < *next)) next = instant;
  };
  for (const ir::Aggregate& aggregate : program.aggregates) {
    size_t type = static_cast<size_t>(aggregate.event_type);
    if (!aggregate.windowed || type >= profile.history.size()) continue;
    for (const KeptEvent& event : profile.history[type]) {
      consider(Enters(aggregate, event.at, calendar));
      consider(Leaves(aggregate, event.at, calendar));
    }
  }
  return next;
}

}  // namespace parcours::store
