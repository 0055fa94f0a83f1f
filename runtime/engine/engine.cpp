#include "runtime/engine/engine.h"

#include <algorithm>
#include <string>
#include <utility>

#include "compiler/ir/semantics.h"
#include "runtime/common/check.h"
#include "runtime/common/decimal_text.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/actions.h"
#include "runtime/engine/assignment.h"
#include "runtime/engine/calendar.h"
#include "runtime/policy/consent.h"
#include "runtime/policy/gate.h"
#include "runtime/policy/lines.h"
#include "runtime/store/history.h"

namespace parcours::engine {

namespace {

// Adds one money value to a money sum, as the IR adds money: an empty sum
// has no currency yet and takes the first value's; a value in another
// currency makes the sum mixed for good (ir::CombineCurrency).
void AddMoney(common::Record& sum, int32_t offset, int64_t amount,
              int64_t currency) {
  sum.Set(offset, ir::WrapAdd(sum.Get(offset), amount));
  sum.Set(offset + 1, ir::CombineCurrency(sum.Get(offset + 1), currency));
}

// Makes `event` the `last` of its type when it is the latest by its own
// time; on a tie the later arrival wins, so replays agree.
void KeepIfLatest(common::Record& profile, const ir::Aggregate& aggregate,
                  const ir::EventType& type,
                  const ingest::DecodedEvent& event) {
  int32_t offset = aggregate.offset;
  bool have = profile.Get(offset) != 0;
  if (have && event.timestamp < profile.Get(offset + 1)) return;

  profile.Set(offset, 1);
  profile.Set(offset + 1, event.timestamp);
  int32_t record = offset + 2;
  for (const ir::Field& field : type.fields) {
    if (field.type == ir::Type::String) {
      profile.SetString(record + field.offset,
                        event.record.GetString(field.offset));
    } else {
      for (int i = 0; i < ir::WordCount(field.type); ++i) {
        profile.Set(record + field.offset + i,
                    event.record.Get(field.offset + i));
      }
    }
    if (field.list) {
      profile.Set(record + field.count_offset,
                  event.record.Get(field.count_offset));
    }
    if (field.presence_offset >= 0) {
      profile.Set(record + field.presence_offset,
                  event.record.Get(field.presence_offset));
    }
  }
}

// Calendar units added on the wall clock of `zone`, for windows such as
// `within 3 months`.
store::AddCalendarUnits InZone(std::string zone) {
  return [zone = std::move(zone)](int64_t time, int64_t count,
                                  ir::CalendarUnit unit) {
    return AddCalendar(time, count, unit, zone);
  };
}

}  // namespace

Engine::Engine(const ir::Program& program, const ir::Evaluator& evaluator,
               store::State& state)
    : program_(program),
      evaluator_(evaluator),
      state_(state),
      loyalty_(program, evaluator, state),
      triggered_by_(program.events.size()),
      exited_by_(program.events.size()),
      entered_by_(program.segments.size()),
      left_by_(program.segments.size()) {
  PARCOURS_CHECK(program.aggregates_by_event.size() == program.events.size() &&
                     program.segments_by_event.size() == program.events.size(),
                 "AnalyzeDependencies has not run on the program");
  segment_sets_ = ir::GroupSegments(program);
  // Windows move with time even when only a journey's condition reads
  // them, and the re-check keeps their slots exact.
  tracks_time_ = !program.time_dependent_segments.empty();
  for (const ir::Aggregate& aggregate : program.aggregates) {
    tracks_time_ = tracks_time_ || aggregate.windowed;
  }
  for (size_t j = 0; j < program.journeys.size(); ++j) {
    const ir::Journey& journey = program.journeys[j];
    auto index = static_cast<int32_t>(j);
    switch (journey.trigger_kind) {
      case ir::TriggerKind::Event:
        triggered_by_[journey.trigger_event].push_back(index);
        break;
      case ir::TriggerKind::Entered:
        entered_by_[journey.trigger_segment].push_back(index);
        break;
      case ir::TriggerKind::Left:
        left_by_[journey.trigger_segment].push_back(index);
        break;
      case ir::TriggerKind::Schedule:
      case ir::TriggerKind::Date: scheduled_.push_back(index); break;
      case ir::TriggerKind::PointsCrossing:
        crossing_journeys_.push_back(index);
        break;
    }
    for (int32_t event_type : journey.exit_events) {
      exited_by_[event_type].push_back(static_cast<int32_t>(j));
    }
  }
  // A schedule wakes each profile at its next occurrence; points expire
  // and tiers are reviewed with no event.
  tracks_time_ = tracks_time_ || !scheduled_.empty() || loyalty_.active();
  for (size_t j = 0; j < program.journeys.size(); ++j) {
    bool exits_when = false;
    for (const ir::ConditionalExit& exit :
         program.journeys[j].conditional_exits) {
      exits_when = exits_when || exit.event == -1;
      tracks_time_ = tracks_time_ || !exit.crossings.empty();
    }
    if (exits_when) exit_when_journeys_.push_back(static_cast<int32_t>(j));
  }
  for (const ir::EventType& event : program.events) {
    exit_messages_.push_back("exited on `" + event.name + "`");
  }
  IndexAttributeReaders();
}

int64_t Engine::Now() const {
  PARCOURS_CHECK(state_.clock().has_value(), "the clock has not started");
  return *state_.clock();
}

void Engine::AdvanceClock(int64_t time) {
  if (!resumed_) ScheduleLoadedProfiles();
  int64_t target = std::max(state_.clock().value_or(time), time);
  for (;;) {
    // A profile re-check due at the same instant as a step goes first, so
    // that the step reads windows as they are at its wake time.
    std::optional<int64_t> recheck = state_.FirstRecheck();
    std::optional<store::TimerKey> due = state_.FirstTimer();

    // Messages reached at one instant (by its re-checks and timers) are
    // decided together once the instant's work is done.
    std::optional<int64_t> upcoming;
    if (recheck && *recheck <= target) upcoming = *recheck;
    if (due && due->wake_at <= target &&
        (!upcoming || due->wake_at < *upcoming)) {
      upcoming = due->wake_at;
    }
    if (!pending_sends_.empty() &&
        (!upcoming || *upcoming != pending_sends_.front().time)) {
      DecidePendingSends();
      continue;  // deciding may have set new timers
    }

    if (recheck && *recheck <= target && (!due || *recheck <= due->wake_at)) {
      state_.set_clock(std::max(state_.clock().value_or(*recheck), *recheck));
      // What a re-check starts (a schedule, a date) while no process ran
      // is late, as a timer is (`IsLate`).
      Recheck(state_.PopFirstRecheck());
      continue;
    }
    if (!due || due->wake_at > target) break;

    // The clock follows each timer, so that what the woken step sees as
    // "now" is its own wake time.
    state_.set_clock(
        std::max(state_.clock().value_or(due->wake_at), due->wake_at));
    store::TimerTarget woken = state_.PopFirstTimer();
    store::Instance* instance =
        state_.FindInstance(*woken.profile, woken.journey);
    const ir::Step& wait =
        program_.journeys[woken.journey].steps[instance->step];
    ++counters_.timers_fired;
    ContinueChain(*woken.profile, *instance);
    std::string exit_reason =
        ExitWhenHolds(*woken.profile, woken.journey, due->wake_at);
    if (!exit_reason.empty()) {
      EndInstance(*woken.profile, woken.journey, exit_reason, "engine");
      continue;
    }
    // A `wait for` whose time ran out goes on with its `else` block; a
    // deferred message waits at its own Send step, which is tried again.
    int32_t next = wait.kind == ir::StepKind::WaitFor ? wait.else_next
                   : wait.kind == ir::StepKind::Send  ? instance->step
                                                      : wait.next;
    RunInstance(*woken.profile, woken.journey, next, due->wake_at);
    Settle(*woken.profile);
    // What the step did with no event (an award, an emitted event) may
    // bring its own wake-up: a lot's expiry and notice, a window move.
    ScheduleNextChange(*woken.profile);
  }
  state_.set_clock(target);
}

void Engine::Recheck(store::Profile& profile) {
  // No timer counts these starts, and no event explains them; the
  // summary counts them apart so that a schedule's sends add up.
  int64_t entries_before = counters_.entries;
  StartChain();
  if (loyalty_.active()) {
    LoyaltyEffects effects;
    loyalty_.OnTime(profile, Now(), TimeZone(profile), effects);
    FollowLoyalty(profile, effects);
  }
  store::RefreshWindows(program_, profile, Now(), InZone(TimeZone(profile)));
  RecomputeSegmentSet(profile, segment_sets_.time_dependent);
  state_.MarkRecordDirty(profile);
  // A contact whose `exit when` time alone made true (its own crossing, or
  // a segment it reads that flipped) leaves at this instant, before what
  // the flips start.
  for (int32_t journey : exit_when_journeys_) {
    if (state_.FindInstance(profile, journey) == nullptr) continue;
    std::string reason = ExitWhenHolds(profile, journey, Now());
    if (!reason.empty()) EndInstance(profile, journey, reason, "engine");
  }
  TriggerSegmentJourneys(profile);
  TriggerScheduledJourneys(profile);
  Settle(profile);
  counters_.time_entries += counters_.entries - entries_before;
  // After the journeys it started: an award of theirs opens a lot whose
  // expiry and notice are wake-ups too.
  ScheduleNextChange(profile);
}

int64_t Engine::NextScheduled(const store::Profile& profile, int32_t journey,
                              int64_t time) const {
  const ir::Journey& definition = program_.journeys[journey];
  if (definition.trigger_kind == ir::TriggerKind::Date) {
    return NextDateTrigger(profile, definition, time);
  }
  if (definition.schedule_weekday < 0) {
    return NextLocalTime(time, definition.schedule_clock, TimeZone(profile));
  }
  return NextLocalWeekTime(
      time, definition.schedule_weekday * 86400 + definition.schedule_clock,
      TimeZone(profile));
}

void Engine::TriggerScheduledJourneys(store::Profile& profile) {
  // Due now: the first occurrence at or after this instant is this one.
  for (int32_t journey : scheduled_) {
    if (NextScheduled(profile, journey, Now()) != Now()) continue;
    if (!MayEnter(profile, journey)) continue;
    const ir::Journey& definition = program_.journeys[journey];
    if (definition.trigger_filter != -1) {
      ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
      if (evaluator_.Call(definition.trigger_filter, frame) == 0) continue;
    }
    Enter(profile, journey, common::Record(0));
  }
}

void Engine::ScheduleNextChange(store::Profile& profile) {
  if (!tracks_time_) return;
  std::optional<int64_t> next = store::NextWindowChange(
      program_, profile, Now(), InZone(TimeZone(profile)));
  ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
  for (int32_t segment : program_.time_dependent_segments) {
    for (int32_t crossing : program_.segments[segment].crossings) {
      int64_t instant = evaluator_.Call(crossing, frame);
      if (instant > Now() && (!next || instant < *next)) next = instant;
    }
  }
  // The next instant an `exit when` of a contact inside can start to hold.
  for (int32_t journey : exit_when_journeys_) {
    if (state_.FindInstance(profile, journey) == nullptr) continue;
    for (const ir::ConditionalExit& exit :
         program_.journeys[journey].conditional_exits) {
      for (int32_t crossing : exit.crossings) {
        int64_t instant = evaluator_.Call(crossing, frame);
        if (instant > Now() && (!next || instant < *next)) next = instant;
      }
    }
  }
  // The next time a schedule starts a journey for this profile.
  for (int32_t journey : scheduled_) {
    int64_t instant = NextScheduled(profile, journey, Now() + 1);
    if (instant != kNever && (!next || instant < *next)) next = instant;
  }
  // The next expiry, expiring notice or tier review.
  std::optional<int64_t> loyalty =
      loyalty_.NextWake(profile, Now(), TimeZone(profile));
  if (loyalty && (!next || *loyalty < *next)) next = loyalty;
  state_.ScheduleRecheck(profile, next);
}

void Engine::ScheduleLoadedProfiles() {
  resumed_ = true;
  // Read with the profiles, from a file saved by this same program.
  if (state_.rechecks_current()) return;
  bool schedules = tracks_time_ && state_.clock().has_value();
  // The segments were stored by another program, whose definitions may
  // differ (`>= 90` days became `>= 60`): they are worked out again at
  // the restart instant. Left stale, a bound already crossed would never
  // flip, since the instant it flips at has passed.
  bool revise = state_.clock().has_value() && !program_.segments.empty();
  std::vector<store::Profile*> profiles;
  state_.ForEachProfile(
      [&](store::Profile& profile) { profiles.push_back(&profile); });
  // What flips starts journeys: in the order of the ids, which the
  // layout of the index in memory does not set.
  if (revise) {
    std::sort(profiles.begin(), profiles.end(),
              [](const store::Profile* a, const store::Profile* b) {
                return a->id < b->id;
              });
  }
  for (store::Profile* profile : profiles) {
    if (revise) ReviseSegments(*profile);
    // A time saved by another program is worked out again, or dropped.
    if (schedules) {
      ScheduleNextChange(*profile);
    } else {
      state_.ScheduleRecheck(*profile, std::nullopt);
    }
  }
  state_.set_rechecks_current(true);
}

void Engine::ReviseSegments(store::Profile& profile) {
  int64_t entries_before = counters_.entries;
  StartChain();
  // A window the program changed (`within 45d` became `within 30d`) is
  // counted again from the events the state kept for the old one.
  std::vector<int64_t> stored = profile.record.words();
  store::RefreshWindows(program_, profile, Now(), InZone(TimeZone(profile)));
  RecomputeSegmentSet(profile, segment_sets_.all);
  // A profile whose windows and segments stand as stored is not written
  // again: a large state is not rewritten whole at every deploy.
  if (flips_.empty() && profile.record.words() == stored) return;
  state_.MarkRecordDirty(profile);
  // As an event's flips do: the `on entered` and `on left` journeys
  // start, and no event explains them (a time-driven entry).
  Settle(profile);
  counters_.time_entries += counters_.entries - entries_before;
}

bool Engine::Apply(const ingest::DecodedEvent& event) {
  PARCOURS_CHECK(!event.key.empty(), "applying an event without a key");
  if (state_.IsProcessed(event.key)) return false;

  AdvanceClock(event.ClockTime());
  StartChain();
  store::Profile* found = state_.FindProfile(event.user_id);
  bool is_new = found == nullptr;
  store::Profile& profile =
      is_new ? state_.FindOrCreateProfile(event.user_id) : *found;
  // A new profile starts with every segment computed from its defaults;
  // afterwards an event recomputes only the segments it can change.
  if (is_new) RecomputeSegmentSet(profile, segment_sets_.all);
  // Consent first: a message the same line leads to is judged by it.
  if (!event.consent.empty()) {
    policy::RecordConsent(program_, state_, profile, event, Now());
    RecomputeSegmentSet(profile, segment_sets_.all);
  }
  if (event.kind == ingest::EventKind::Identify) {
    ApplyIdentify(profile, event);
  } else if (event.event_type >= 0) {
    ApplyTrack(profile, event);
  } else {
    TriggerSegmentJourneys(profile);  // a consent event only
  }
  DecidePendingSends();
  Settle(profile);
  DecidePendingSends();

  ScheduleNextChange(profile);
  state_.AddProcessed(event.key, true);
  return true;
}

void Engine::ApplyIdentify(store::Profile& profile,
                           const ingest::DecodedEvent& event) {
  int32_t zone_attribute = program_.timezone_attribute;
  bool names_zone =
      zone_attribute >= 0 &&
      std::find(event.trait_attributes.begin(), event.trait_attributes.end(),
                zone_attribute) != event.trait_attributes.end();
  std::string old_zone = names_zone ? TimeZone(profile) : "";

  // Traits merge key by key: only the attributes the event names change.
  for (int32_t attribute : event.trait_attributes) {
    const ir::Field& field = program_.profile[attribute];
    if (field.type == ir::Type::String) {
      profile.record.SetString(field.offset,
                               event.traits.GetString(field.offset));
    } else {
      for (int i = 0; i < ir::WordCount(field.type); ++i) {
        profile.record.Set(field.offset + i,
                           event.traits.Get(field.offset + i));
      }
    }
    if (field.list) {
      profile.record.Set(field.count_offset,
                         event.traits.Get(field.count_offset));
    }
    if (field.presence_offset >= 0) {
      profile.record.Set(field.presence_offset,
                         event.traits.Get(field.presence_offset));
    }
  }

  // A zone the tz database does not know runs as UTC; say so once, when
  // it arrives, so that a typo ("Europe/Pari") does not go unnoticed.
  if (names_zone) {
    std::string zone = TimeZone(profile);
    if (zone != old_zone) FollowZoneChange(profile, old_zone);
    if (!zone.empty() && !IsKnownZone(zone)) {
      store::LogRow row;
      row.at = Now();
      row.level = "warn";
      row.component = "engine";
      row.profile = profile.id;
      row.message = state_.KeepPendingText(
          "time zone `" + zone +
          "` is not in the tz database; this profile's local times run in "
          "UTC");
      state_.Log(row);
      if (unknown_zone_profiles_.emplace(zone, profile.id).second) {
        ++counters_.unknown_zones[zone];
      }
    }
  }

  // Segments read attributes too, so a changed trait can change them.
  RecomputeSegmentSet(profile, segment_sets_.on_identify);
  state_.MarkRecordDirty(profile);
  ExitOnConditions(profile, -1);
  TriggerSegmentJourneys(profile);
}

void Engine::FollowZoneChange(store::Profile& profile,
                              const std::string& old_zone) {
  const std::string new_zone = TimeZone(profile);
  for (const auto& owned : profile.instances) {
    store::Instance* instance = owned.get();
    if (instance == nullptr || !instance->wake_at) continue;
    const ir::Journey& definition = program_.journeys[instance->journey];
    const ir::Step& step = definition.steps[instance->step];
    bool local_end =
        step.kind == ir::StepKind::WaitUntil ||
        step.kind == ir::StepKind::WaitCalendar ||
        (step.kind == ir::StepKind::WaitFor && step.wait_count > 0);
    if (!local_end) continue;

    // A wait that has passed in the new zone ends now rather than on the
    // next such day: the customer would have had it already.
    int64_t old_end = *instance->wake_at;
    int64_t new_end =
        std::max(Now(), SameWallClock(old_end, old_zone, new_zone));
    if (new_end == old_end) continue;
    state_.Schedule(profile, instance->journey, instance->step, new_end);
    Log(profile, instance->journey, instance->step,
        "time zone changed from `" + (old_zone.empty() ? "UTC" : old_zone) +
            "` to `" + (new_zone.empty() ? "UTC" : new_zone) +
            "`: the wait now ends at " + common::FormatTime(new_end) +
            " instead of " + common::FormatTime(old_end));
  }
}

void Engine::ApplyTrack(store::Profile& profile,
                        const ingest::DecodedEvent& event) {
  PARCOURS_CHECK(
      event.event_type >= 0 &&
          static_cast<size_t>(event.event_type) < program_.events.size(),
      "applying a track event of no declared type");
  // Points move first, so that conditions read the balance after them.
  if (loyalty_.active()) {
    LoyaltyEffects effects;
    loyalty_.OnEvent(profile, event, Now(), TimeZone(profile), effects);
    FollowLoyalty(profile, effects);
  }
  UpdateAggregates(profile, event);
  // Windows count the event as of its own time: a late one as if it had
  // come in time (unless every window has already let it go), a
  // future-dated one only once its time comes.
  if (store::KeepEvent(program_, profile, event.event_type, event.timestamp,
                       event.record, Now())) {
    store::RefreshWindows(program_, profile, Now(), InZone(TimeZone(profile)));
  }
  RecomputeSegmentSet(profile, segment_sets_.by_event[event.event_type]);
  state_.MarkRecordDirty(profile);

  // Goals, then exits, before triggers: an event that ends a journey and
  // starts one (possibly the same) leaves first, then enters afresh. An
  // instance still live after them may be waiting for this event.
  ReachGoals(profile, event.event_type, event.timestamp);
  ExitJourneys(profile, event.event_type, event.timestamp);
  ExitOnConditions(profile, event.event_type, event.timestamp,
                   event.record.data());
  ResumeWaitsFor(profile, event);
  TriggerJourneys(profile, event);
  TriggerSegmentJourneys(profile);
}

void Engine::FollowLoyalty(store::Profile& profile, LoyaltyEffects& effects) {
  counters_.sends += effects.lines;
  for (LoyaltyEffects::Event& event : effects.events) {
    ChainPlace link = NextLink();
    std::string cause = "the loyalty program's `" +
                        program_.events[event.event_type].name + "`";
    if (!MayLink(profile, link, -1, -1, cause)) continue;
    emitted_.push_back(
        {event.event_type, std::move(event.record), {}, "", std::move(link)});
  }
  // The hidden words may be read by segments.
  if (!effects.moves.empty()) RecomputeSegmentSet(profile, segment_sets_.all);
  for (const LoyaltyEffects::Move& move : effects.moves) {
    for (int32_t journey : crossing_journeys_) {
      const ir::Journey& definition = program_.journeys[journey];
      bool crossed = definition.crossing_program == move.program &&
                     move.before < definition.crossing_points &&
                     move.after >= definition.crossing_points;
      if (!crossed) continue;
      if (crossed_.empty()) crossed_place_ = NextLink();
      crossed_.push_back(journey);
    }
  }
}

void Engine::TriggerSegmentJourneys(store::Profile& profile) {
  // Segments flip in declaration order; each flip starts its journeys in
  // declaration order, after the event's own triggers.
  std::vector<SegmentFlip> flips = std::move(flips_);
  flips_.clear();
  for (const SegmentFlip& flip : flips) {
    const auto& journeys =
        flip.entered ? entered_by_[flip.segment] : left_by_[flip.segment];
    for (int32_t journey : journeys) {
      if (!MayEnter(profile, journey)) continue;
      const ir::Journey& definition = program_.journeys[journey];
      if (definition.trigger_filter != -1) {
        ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
        if (evaluator_.Call(definition.trigger_filter, frame) == 0) continue;
      }
      Enter(profile, journey, common::Record(0));
    }
  }
}

void Engine::Enter(store::Profile& profile, int32_t journey,
                   const common::Record& locals, int64_t happened_at) {
  const ir::Journey& definition = program_.journeys[journey];

  // A contact for whom an `exit when` holds would leave at once, but only
  // after its first steps had run (a `send` before the first wait): it
  // does not enter, and a contact still inside from before leaves.
  std::string exit_reason = ExitWhenHolds(profile, journey, Now());
  if (!exit_reason.empty()) {
    if (state_.FindInstance(profile, journey) != nullptr) {
      EndInstance(profile, journey, exit_reason, "engine");
    }
    Log(profile, journey, -1, "not entered: its `exit when` condition holds");
    return;
  }

  // Under `reentry after`, a contact still inside starts over: the old
  // instance and its timer end first, so one schedule stays live.
  if (state_.FindInstance(profile, journey) != nullptr) {
    EndInstance(profile, journey, "left to enter again (`reentry after`)",
                "engine");
  }
  // A cart whose line came late, after another event had moved the
  // clock, was still put together at its own time: an order placed after
  // it, however late its line, is after the entry, and `reentry after`
  // counts from it.
  int64_t entered_at = std::min(Now(), happened_at);
  profile.last_entered.resize(program_.journeys.size());
  profile.last_entered[journey] = entered_at;
  state_.MarkRecordDirty(profile);
  std::unique_ptr<store::Instance> instance = state_.NewInstance();
  instance->journey = journey;
  instance->seq = state_.TakeSeq(profile);
  instance->entered_at = entered_at;
  instance->locals = locals;
  state_.AddInstance(profile, std::move(instance));
  ++counters_.entries;
  Log(profile, journey, -1,
      IsHeldOut(profile.id, definition) ? "entered (holdout)" : "entered");
  RunInstance(profile, journey, definition.entry, Now(), std::nullopt,
              happened_at);
}

void Engine::UpdateAggregates(store::Profile& profile,
                              const ingest::DecodedEvent& event) {
  const ir::EventType& type = program_.events[event.event_type];
  for (int32_t index : program_.aggregates_by_event[event.event_type]) {
    const ir::Aggregate& aggregate = program_.aggregates[index];
    int32_t offset = aggregate.offset;
    if (aggregate.windowed) continue;  // store::RefreshWindows computes it
    if (aggregate.kind == ir::AggregateKind::SeenBefore) {
      // Before the event is kept, so that it does not see itself.
      store::UpdateSeenBefore(program_, profile, aggregate, event.timestamp,
                              event.record, Now());
      continue;
    }
    if (aggregate.kind == ir::AggregateKind::Last) {
      KeepIfLatest(profile.record, aggregate, type, event);
      continue;
    }
    if (aggregate.kind == ir::AggregateKind::Count) {
      profile.record.Set(offset, ir::WrapAdd(profile.record.Get(offset), 1));
      continue;
    }

    // An absent optional value adds nothing to a sum.
    const ir::Field& field = type.fields[aggregate.field];
    if (field.presence_offset >= 0 &&
        event.record.Get(field.presence_offset) == 0) {
      continue;
    }
    int64_t value = event.record.Get(field.offset);
    if (aggregate.type == ir::Type::Money) {
      AddMoney(profile.record, offset, value,
               event.record.Get(field.offset + 1));
    } else {
      profile.record.Set(offset,
                         ir::WrapAdd(profile.record.Get(offset), value));
    }
  }
}

void Engine::RecomputeSegments(store::Profile& profile,
                               const std::vector<int32_t>& which) {
  for (int32_t index : which) {
    const ir::Segment& segment = program_.segments[index];
    ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
    int64_t member = evaluator_.Call(segment.predicate, frame) != 0 ? 1 : 0;
    SetMembership(profile, index, member);
  }
}

void Engine::RecomputeSegmentSet(store::Profile& profile, int32_t set) {
  const std::vector<int32_t>& which = segment_sets_.sets[set];
  if (which.empty()) return;

  // Every member is computed before any is written. No predicate reads a
  // segment's word (the checker refuses a segment inside another), so this
  // gives what evaluating and writing them one by one would.
  members_.resize(which.size());
  ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
  evaluator_.EvaluateSegments(set, frame, members_.data());

  for (size_t k = 0; k < which.size(); ++k) {
    SetMembership(profile, which[k], members_[k]);
  }
}

void Engine::SetMembership(store::Profile& profile, int32_t index,
                           int64_t member) {
  const ir::Segment& segment = program_.segments[index];
  if (member != profile.record.Get(segment.offset)) {
    // Its chain's count is shared once `Settle` takes it as a link.
    ChainPlace place{chain_.depth + 1, chain_.waited, chain_.total};
    flips_.push_back({index, member == 1, setting_journey_, setting_step_,
                      std::move(place)});
  }
  profile.record.Set(segment.offset, member);
}

void Engine::ExitJourneys(store::Profile& profile, int32_t event_type,
                          int64_t happened_at) {
  for (int32_t journey : exited_by_[event_type]) {
    store::Instance* instance = state_.FindInstance(profile, journey);
    // An order placed before the cart, its line late, says nothing of
    // the cart: the contact stays, as no goal is reached either.
    if (instance == nullptr || happened_at < instance->entered_at) continue;
    EndInstance(profile, journey, exit_messages_[event_type], "engine");
  }
}

void Engine::TriggerJourneys(store::Profile& profile,
                             const ingest::DecodedEvent& event) {
  for (int32_t journey : triggered_by_[event.event_type]) {
    const ir::Journey& definition = program_.journeys[journey];

    // One instance per profile and journey: while one is live, the
    // trigger is ignored, unless `reentry after` lets it start over.
    if (!MayEnter(profile, journey, event.timestamp)) continue;
    if (definition.trigger_filter != -1) {
      ir::Frame frame{profile.record.data(), event.record.data(), nullptr,
                      Now()};
      if (evaluator_.Call(definition.trigger_filter, frame) == 0) continue;
    }

    PARCOURS_CHECK(definition.locals_event == event.event_type,
                   "a journey's locals must be its trigger event's record");
    Enter(profile, journey, event.record, event.timestamp);
  }
}

void Engine::RunInstance(store::Profile& profile, int32_t journey, int32_t step,
                         int64_t time, std::optional<int64_t> waits_from,
                         int64_t happened_at) {
  const ir::Journey& definition = program_.journeys[journey];

  // The steps of one run belong to one instant, `time`, a late one's too:
  // a message right after a late one is as late. But a wait counts from
  // when the customer got the message before it, which for a late one is
  // the restart, or a long downtime would bring a series out at once.
  // When the contact reaches the steps, on the events' own clock: the
  // run's instant (a late one's due time, not the restart, for an event
  // placed meanwhile came after the step), or the earlier time of the
  // event whose late line set the run off.
  int64_t reached_at = std::min(time, happened_at);
  // A wait before any message counts from there too: a cart whose line
  // came late is reminded of an hour after it was put together, as the
  // `wait for` after it takes answers from then. One that ended before
  // the line came ends at once (`not_before`), not in the past.
  int64_t wait_start = waits_from.value_or(reached_at);
  auto not_before = [time](int64_t wake_at) { return std::max(wake_at, time); };
  store::Instance* instance = state_.FindInstance(profile, journey);
  PARCOURS_CHECK(instance != nullptr, "running a missing instance");

  // The compiler emits each journey as a DAG, so no run can visit more
  // steps than the journey has.
  size_t budget = definition.steps.size() + 1;
  for (;;) {
    PARCOURS_CHECK(budget-- > 0, "a journey run exceeded its step count");
    if (step == -1) break;
    const ir::Step& current = definition.steps[step];
    switch (current.kind) {
      case ir::StepKind::Send:
        if (definition.policy >= 0) {
          // Waits at the step for the instant's other messages.
          instance->step = step;
          // (After a late message, this one is late too, and its
          // decision moves the waits after it to the restart again.)
          pending_sends_.push_back(
              {&profile, journey, step, time, reached_at, SharedChain()});
          return;
        }
        // Without a policy nothing defers a message.
        wait_start = std::max(
            wait_start,
            EmitSend(profile, journey, *instance, step, time).value_or(time));
        step = current.next;
        continue;
      case ir::StepKind::If: {
        ir::Frame frame = StepFrame(profile, *instance, current, time);
        bool holds = evaluator_.Call(current.condition, frame) != 0;
        step = holds ? current.next : current.else_next;
        continue;
      }
      case ir::StepKind::Wait: {
        // A computed length is worked out now, from the profile as it
        // stands; one below zero (an interval not known yet) waits none.
        int64_t seconds = current.wait_seconds;
        if (current.wait_function >= 0) {
          ir::Frame frame = StepFrame(profile, *instance, current, time);
          seconds = std::max<int64_t>(
              0, evaluator_.Call(current.wait_function, frame));
        }
        // Saturating: a wait too long to represent lands at the end of
        // time, which no clock reaches (inputs stop at year 9999), instead
        // of wrapping into the past and firing at once.
        ScheduleWait(profile, *instance, journey, step,
                     not_before(common::AddSeconds(wait_start, seconds)));
        return;
      }
      case ir::StepKind::WaitCalendar:
        ScheduleWait(
            profile, *instance, journey, step,
            not_before(AddCalendar(wait_start, current.wait_count,
                                   current.calendar_unit, TimeZone(profile))));
        return;
      case ir::StepKind::WaitUntil:
        // The next such local time from now: a late cart is not reminded
        // at a morning already gone.
        ScheduleWait(profile, *instance, journey, step,
                     NextLocalTime(std::max(wait_start, time),
                                   current.clock_seconds, TimeZone(profile)));
        return;
      case ir::StepKind::WaitFor: {
        // Its timeout, in exact time or in calendar units.
        int64_t timeout =
            current.wait_count > 0
                ? AddCalendar(wait_start, current.wait_count,
                              current.calendar_unit, TimeZone(profile))
                : common::AddSeconds(wait_start, current.wait_seconds);
        instance->waits_since = reached_at;
        ScheduleWait(profile, *instance, journey, step, not_before(timeout));
        return;
      }
      case ir::StepKind::Split: {
        const ir::SplitArm& arm =
            current.arms[ChooseArm(profile.id, definition.name, current.arms)];
        // The arm each contact took is what `report backtest` compares
        // the arms' goals by.
        Log(profile, journey, step, "took arm `" + arm.name + "`");
        step = arm.entry;
        continue;
      }
      case ir::StepKind::Set:
      case ir::StepKind::Emit:
      case ir::StepKind::Task:
      case ir::StepKind::Freeze:
      case ir::StepKind::SecondFactor:
      case ir::StepKind::Webhook:
      case ir::StepKind::Award:
        RunAction(profile, journey, *instance, step, time);
        // What a `set` or an `award` changed may be what the journey
        // exits on: the contact leaves before the steps after it.
        if ((current.kind == ir::StepKind::Set ||
             current.kind == ir::StepKind::Award) &&
            !definition.conditional_exits.empty()) {
          std::string reason = ExitWhenHolds(profile, journey, time);
          if (!reason.empty()) {
            instance->step = step;
            EndInstance(profile, journey, reason, "engine");
            return;
          }
        }
        step = current.next;
        continue;
      case ir::StepKind::Exit: break;
    }
    break;
  }
  state_.RemoveInstance(profile, journey);
}

void Engine::DecidePendingSends() {
  // Deciding a message may run its journey on to another send at the same
  // instant, which joins the next round.
  while (!pending_sends_.empty()) {
    std::vector<PendingSend> round = std::move(pending_sends_);
    pending_sends_.clear();
    // Profiles keep the order they reached their sends in; within one,
    // higher priority first, then journey and step in source order.
    std::vector<const store::Profile*> profiles;
    auto rank = [&](const PendingSend& pending) {
      auto found = std::find(profiles.begin(), profiles.end(), pending.profile);
      if (found == profiles.end()) {
        profiles.push_back(pending.profile);
        return profiles.size() - 1;
      }
      return static_cast<size_t>(found - profiles.begin());
    };
    std::vector<std::pair<size_t, PendingSend>> ranked;
    for (const PendingSend& pending : round) {
      ranked.emplace_back(rank(pending), pending);
    }
    auto priority = [&](const PendingSend& pending) {
      return program_.journeys[pending.journey]
          .steps[pending.step]
          .priority_rank;
    };
    std::stable_sort(ranked.begin(), ranked.end(),
                     [&](const auto& a, const auto& b) {
                       if (a.first != b.first) return a.first < b.first;
                       if (priority(a.second) != priority(b.second)) {
                         return priority(a.second) > priority(b.second);
                       }
                       if (a.second.journey != b.second.journey) {
                         return a.second.journey < b.second.journey;
                       }
                       return a.second.step < b.second.step;
                     });
    round.clear();
    for (const auto& [profile_rank, pending] : ranked) round.push_back(pending);
    for (const PendingSend& pending : round) {
      store::Instance* instance =
          state_.FindInstance(*pending.profile, pending.journey);
      if (instance == nullptr || instance->step != pending.step) continue;
      std::optional<int64_t> goes_on_at =
          EmitSend(*pending.profile, pending.journey, *instance, pending.step,
                   pending.time);
      if (!goes_on_at) continue;  // deferred: its timer brings it back
      const ir::Step& sent =
          program_.journeys[pending.journey].steps[pending.step];
      chain_ = pending.place;
      RunInstance(*pending.profile, pending.journey, sent.next, pending.time,
                  *goes_on_at, pending.reached_at);
      // What the rest of the run emitted or flipped is this profile's, and
      // so is the wake-up of any points it gave.
      Settle(*pending.profile);
      ScheduleNextChange(*pending.profile);
    }
  }
}

std::string Engine::TimeZone(const store::Profile& profile) const {
  // No `tz` attribute, or none set for this profile: UTC.
  if (program_.timezone_attribute < 0) return "";
  const ir::Field& field = program_.profile[program_.timezone_attribute];
  if (field.presence_offset >= 0 &&
      profile.record.Get(field.presence_offset) == 0) {
    return "";
  }
  return std::string(profile.record.GetString(field.offset));
}

std::optional<int64_t> Engine::EmitSend(store::Profile& profile,
                                        int32_t journey,
                                        const store::Instance& instance,
                                        int32_t step, int64_t time) {
  const ir::Journey& definition = program_.journeys[journey];

  // A late message reaches the customer now, at the restart, not at the
  // time it fell due: quiet hours and caps judge it as of now, and the
  // waits after it count from now (see `RunInstance`).
  bool late = IsLate(time);
  int64_t goes_out_at = late ? *late_before_ : time;
  std::string id = ActionId(program_.module, profile.id, definition.name,
                            instance.seq, StepKey(definition.steps[step]));
  // A holdout contact goes through the journey but hears nothing, and
  // takes no slot under any cap.
  if (IsHeldOut(profile.id, definition)) {
    // A message the policy would hold back for a while holds the control
    // contact as long, or its next waits would end, and it would leave,
    // before the treated contacts do: a goal reached in between would
    // count for them alone, as a lift the message did not make.
    std::optional<int64_t> deferred_until = policy::HoldoutDeferral(
        program_, evaluator_, state_, profile, definition,
        definition.steps[step], goes_out_at, TimeZone(profile));
    if (deferred_until) {
      state_.Schedule(profile, journey, step, *deferred_until);
      return std::nullopt;
    }
    SendAction held =
        ActionOf(id, time, profile.id, definition.name, definition.steps[step]);
    held.late = late;
    std::string detail = HoldoutDetail(definition);
    // Its `decisions` row, like any other suppression's, is what `explain`
    // and `report caps` read.
    policy::HoldOut(state_, profile, definition, definition.steps[step], time,
                    detail, late);
    state_.Emit(id, FormatSuppressedLine(held, "holdout", detail));
    ++counters_.held;
    // The control group's journeys keep the pace of the treated ones'.
    return goes_out_at;
  }

  policy::Decision decision = policy::DecideAndRecord(
      program_, evaluator_, state_, profile, definition, definition.steps[step],
      time, goes_out_at, TimeZone(profile));
  if (decision.verdict != policy::Verdict::Send) {
    std::string held_id = policy::HeldLineId(id, decision, time);
    policy::HeldMessage held{
        held_id, time, profile.id, definition.name, &definition.steps[step],
        late};
    state_.Emit(held_id, policy::FormatHeldLine(held, decision));
    ++counters_.held;
    if (decision.verdict == policy::Verdict::Suppress) return goes_out_at;
    state_.Schedule(profile, journey, step, decision.until);
    return std::nullopt;
  }

  SendAction send =
      ActionOf(id, time, profile.id, definition.name, definition.steps[step]);
  send.channel = decision.channel;
  std::string unsubscribe_url;
  if (decision.channel == "email" && !unsubscribe_.base_url.empty()) {
    unsubscribe_url = policy::UnsubscribeUrl(unsubscribe_, profile.id);
    send.unsubscribe_url = unsubscribe_url;
  }
  send.payload = Payload(profile, instance, definition.steps[step], time);
  send.late = late;
  state_.Emit(id, FormatSendLine(send));
  ++counters_.sends;
  return goes_out_at;
}

void Engine::Log(const store::Profile& profile, int32_t journey, int32_t step,
                 std::string_view message) {
  const ir::Journey& definition = program_.journeys[journey];
  store::LogRow row;
  row.at = Now();
  row.level = "info";
  row.component = "engine";
  row.profile = profile.id;
  row.journey = definition.name;
  if (step >= 0) row.step = definition.steps[step].name;
  row.message = state_.KeepPendingText(message);
  state_.Log(row);
}

}  // namespace parcours::engine
