// The engine's journey rules (reentry, goals, conditional exits, `wait
// for`) and its action steps (`set`, `emit`, `task`, `call webhook`).
#include <memory>
#include <string>
#include <utility>

#include "compiler/ir/dates.h"
#include "runtime/common/check.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/actions.h"
#include "runtime/engine/assignment.h"
#include "runtime/engine/calendar.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/consent_events.h"
#include "runtime/policy/consent.h"
#include "runtime/policy/gate.h"
#include "runtime/policy/lines.h"
#include "runtime/store/value_json.h"

namespace parcours::engine {

namespace {

bool InstanceOf(store::Profile& profile, int32_t journey) {
  return static_cast<size_t>(journey) < profile.instances.size() &&
         profile.instances[journey] != nullptr;
}

std::string Duration(int64_t seconds) { return std::to_string(seconds) + "s"; }

}  // namespace

void Engine::IndexAttributeReaders() {
  segments_by_attribute_.assign(program_.profile.size(), {});
  for (size_t a = 0; a < program_.profile.size(); ++a) {
    const ir::Field& field = program_.profile[a];
    int32_t first = field.offset;
    int32_t last = field.offset + ir::WordCount(field.type) - 1;
    for (size_t s = 0; s < program_.segments.size(); ++s) {
      const ir::Function& predicate =
          program_.functions[program_.segments[s].predicate];
      for (const ir::Inst& inst : predicate.body) {
        bool reads =
            (inst.op == ir::Op::Load || inst.op == ir::Op::IsPresent) &&
            inst.base == ir::Base::Profile &&
            ((inst.imm >= first && inst.imm <= last) ||
             inst.imm == field.presence_offset);
        if (reads) {
          segments_by_attribute_[a].push_back(static_cast<int32_t>(s));
          break;
        }
      }
    }
  }
}

bool Engine::MayEnter(store::Profile& profile, int32_t journey,
                      int64_t happened_at) {
  const ir::Journey& definition = program_.journeys[journey];
  bool inside = InstanceOf(profile, journey);
  std::optional<int64_t> last;
  if (static_cast<size_t>(journey) < profile.last_entered.size()) {
    last = profile.last_entered[journey];
  }

  switch (definition.reentry) {
    case ir::Reentry::AfterLeaving: return !inside;
    case ir::Reentry::Never: return !inside && !last;
    case ir::Reentry::After: {
      // Measured from the previous entry, whether or not it has left; a
      // calendar length on the recipient's clock. Both are the triggers'
      // own times: two carts five minutes apart are five minutes apart
      // however late the second one's line came.
      if (!last) return true;
      int64_t at = std::min(Now(), happened_at);
      if (definition.reentry_calendar > 0) {
        return at >= AddCalendar(*last, definition.reentry_calendar,
                                 definition.reentry_unit, TimeZone(profile));
      }
      return at - *last >= definition.reentry_seconds;
    }
  }
  return false;
}

void Engine::EndInstance(store::Profile& profile, int32_t journey,
                         std::string_view message, const char* component) {
  const ir::Journey& definition = program_.journeys[journey];
  store::Instance* instance = state_.FindInstance(profile, journey);
  PARCOURS_CHECK(instance != nullptr, "ending a missing instance");

  // A message the policy deferred waits at its Send step: leaving drops it,
  // with a line that says why.
  if (instance->step >= 0 &&
      definition.steps[instance->step].kind == ir::StepKind::Send) {
    const ir::Step& waiting = definition.steps[instance->step];
    policy::Decision dropped = policy::DropDeferred(
        state_, profile, definition, waiting, Now(), std::string(message));
    std::string id = policy::HeldLineId(
        ActionId(program_.module, profile.id, definition.name, instance->seq,
                 StepKey(waiting)),
        dropped, Now());
    state_.Emit(
        id, policy::FormatHeldLine(
                {id, Now(), profile.id, definition.name, &waiting}, dropped));
    ++counters_.held;
  }

  store::LogRow row;
  row.at = Now();
  row.level = "info";
  row.component = component;
  row.profile = profile.id;
  row.journey = definition.name;
  if (instance->step >= 0) row.step = definition.steps[instance->step].name;
  row.message = state_.KeepPendingText(message);
  state_.Log(row);

  state_.RemoveInstance(profile, journey);
  ++counters_.exits;
}

void Engine::ReachGoals(store::Profile& profile, int32_t event_type,
                        int64_t happened_at) {
  for (size_t j = 0; j < program_.journeys.size(); ++j) {
    auto journey = static_cast<int32_t>(j);
    const ir::Journey& definition = program_.journeys[j];
    // Most journeys have no goal; their instances are not even read.
    if (definition.goals.empty() || !InstanceOf(profile, journey)) continue;
    // A conversion is judged by when it happened, not by when its line
    // arrived: an order placed before the contact entered (a late line)
    // converts nothing, and one placed in time but delivered late still
    // counts while the contact is in the journey.
    int64_t entered_at = profile.instances[j]->entered_at;
    if (happened_at < entered_at) continue;
    int64_t inside_for = happened_at - entered_at;
    for (const ir::Goal& goal : definition.goals) {
      if (goal.event != event_type) continue;
      if (goal.within_seconds >= 0 && inside_for > goal.within_seconds) {
        continue;
      }
      // A calendar limit ends with the last second of its length.
      bool too_late_on_calendar =
          goal.within_calendar > 0 &&
          happened_at > AddCalendar(entered_at, goal.within_calendar,
                                    goal.within_unit, TimeZone(profile));
      if (too_late_on_calendar) continue;
      ++counters_.goals;
      EndInstance(profile, journey,
                  "goal reached: `" + program_.events[goal.event].name +
                      "` after " + Duration(inside_for),
                  "goal");
      break;
    }
  }
}

std::string Engine::ExitWhenHolds(store::Profile& profile, int32_t journey,
                                  int64_t time) {
  const ir::Journey& definition = program_.journeys[journey];
  ir::Frame frame{profile.record.data(), nullptr, nullptr, time};
  for (size_t e = 0; e < definition.conditional_exits.size(); ++e) {
    const ir::ConditionalExit& exit = definition.conditional_exits[e];
    if (exit.event != -1) continue;
    if (evaluator_.Call(exit.condition, frame) != 0) {
      return "exited: its `exit when` condition held";
    }
  }
  return "";
}

void Engine::ExitOnConditions(store::Profile& profile, int32_t event_type,
                              int64_t happened_at,
                              const int64_t* event_record) {
  for (size_t j = 0; j < program_.journeys.size(); ++j) {
    auto journey = static_cast<int32_t>(j);
    const ir::Journey& definition = program_.journeys[j];
    if (definition.conditional_exits.empty()) continue;  // nothing to hold
    if (!InstanceOf(profile, journey)) continue;
    ir::Frame frame{profile.record.data(), event_record, nullptr, Now()};
    bool after_entry = happened_at >= profile.instances[j]->entered_at;
    std::string reason;
    for (const ir::ConditionalExit& exit : definition.conditional_exits) {
      if (exit.event == -1 || exit.event != event_type) continue;
      if (!after_entry) continue;
      if (evaluator_.Call(exit.condition, frame) != 0) {
        reason = "exited on `" + program_.events[exit.event].name +
                 "`: its `where` condition held";
        break;
      }
    }
    if (reason.empty()) reason = ExitWhenHolds(profile, journey, Now());
    if (!reason.empty()) EndInstance(profile, journey, reason, "engine");
  }
}

void Engine::ResumeWaitsFor(store::Profile& profile,
                            const ingest::DecodedEvent& event) {
  for (size_t j = 0; j < program_.journeys.size(); ++j) {
    auto journey = static_cast<int32_t>(j);
    if (!InstanceOf(profile, journey)) continue;
    store::Instance& instance = *profile.instances[j];
    // Only a wait still pending: its timeout has not fired.
    if (instance.step < 0 || !instance.wake_at) continue;
    const ir::Step& wait = program_.journeys[j].steps[instance.step];
    if (wait.kind != ir::StepKind::WaitFor) continue;
    if (wait.event_type != event.event_type) continue;
    // An event is judged by its own time, however late its line: one from
    // before the contact reached this step (so before the entry too)
    // answers nothing the step asks.
    if (event.timestamp < instance.waits_since) continue;
    if (wait.condition != -1) {
      ir::Frame frame{profile.record.data(), event.record.data(),
                      LocalsFor(instance, wait).data(), Now()};
      if (evaluator_.Call(wait.condition, frame) == 0) continue;
    }

    // The event cancels the timeout at once; the block that follows reads
    // the event through its alias (a nested block keeps the outer one's).
    state_.Unschedule(profile, journey);
    if (wait.arrived_event == -1) {
      instance.arrived = std::make_unique<store::ArrivedEvent>(
          store::ArrivedEvent{event.event_type, event.record});
    }
    // The block is reached when the event happened, as an entry is when
    // its trigger did: a `wait for` in it takes what came after.
    RunInstance(profile, journey, wait.next, Now(), std::nullopt,
                event.timestamp);
  }
}

const common::Record& Engine::LocalsFor(const store::Instance& instance,
                                        const ir::Step& step) const {
  if (step.arrived_event == -1) return instance.locals;
  // Loading refuses an instance whose received event does not fit.
  PARCOURS_CHECK(instance.arrived != nullptr &&
                     instance.arrived->type == step.arrived_event,
                 "a step reads a received event the instance lacks");
  return instance.arrived->record;
}

const common::Record* Engine::TriggerFor(const store::Instance& instance,
                                         const ir::Step& step) const {
  // The locals hold the received event there, and the trigger stays in
  // the instance's own record.
  return step.arrived_event == -1 ? nullptr : &instance.locals;
}

ir::Frame Engine::StepFrame(const store::Profile& profile,
                            const store::Instance& instance,
                            const ir::Step& step, int64_t time) const {
  const common::Record* trigger = TriggerFor(instance, step);
  return ir::Frame{profile.record.data(),
                   trigger == nullptr ? nullptr : trigger->data(),
                   LocalsFor(instance, step).data(), time};
}

bool Engine::WriteValue(const ir::StepValue& value,
                        const store::Profile& profile,
                        const store::Instance& instance, const ir::Step& step,
                        int64_t time, common::Record& out, int32_t offset,
                        int32_t presence, int32_t count) const {
  bool present = true;
  switch (value.source) {
    case ir::ValueSource::Function: {
      ir::Frame frame = StepFrame(profile, instance, step, time);
      out.Set(offset, evaluator_.Call(value.function, frame));
      if (value.currency_function >= 0) {
        out.Set(offset + 1, evaluator_.Call(value.currency_function, frame));
      }
      break;
    }
    case ir::ValueSource::Load: {
      const common::Record* trigger = TriggerFor(instance, step);
      PARCOURS_CHECK(value.base != ir::Base::Event || trigger != nullptr,
                     "a step reads the trigger outside a received block");
      const common::Record& source =
          value.base == ir::Base::Profile ? profile.record
          : value.base == ir::Base::Event ? *trigger
                                          : LocalsFor(instance, step);
      if (value.presence >= 0 && source.Get(value.presence) == 0) {
        present = false;
      } else if (value.type == ir::Type::String) {
        out.SetString(offset, source.GetString(value.offset));
        if (count >= 0 && value.count_offset >= 0) {
          out.Set(count, source.Get(value.count_offset));
        }
      } else {
        for (int w = 0; w < ir::WordCount(value.type); ++w) {
          out.Set(offset + w, source.Get(value.offset + w));
        }
      }
      break;
    }
    case ir::ValueSource::Constant:
      if (value.type == ir::Type::String) {
        out.SetString(offset, value.text);
      } else {
        out.Set(offset, value.imm);
        if (value.type == ir::Type::Money) out.Set(offset + 1, value.imm2);
      }
      break;
    case ir::ValueSource::Absent: present = false; break;
  }
  if (presence >= 0) out.Set(presence, present ? 1 : 0);
  return present;
}

nlohmann::ordered_json Engine::Payload(const store::Profile& profile,
                                       const store::Instance& instance,
                                       const ir::Step& step,
                                       int64_t time) const {
  nlohmann::ordered_json payload = nlohmann::ordered_json::object();
  for (const ir::StepValue& value : step.values) {
    common::Record scratch(2);
    if (WriteValue(value, profile, instance, step, time, scratch, 0, -1)) {
      int64_t index = scratch.Get(0);
      bool named = !value.enum_values.empty() && index >= 0 &&
                   index < static_cast<int64_t>(value.enum_values.size());
      if (value.date) {
        payload[value.name] = ir::FormatDate(index);
        continue;
      }
      if (value.list) {
        // The decoder wrote the text and checked it; numbers that are not
        // whole go through a double here (17 significant digits).
        payload[value.name] = nlohmann::ordered_json::parse(
            scratch.GetString(0), nullptr, /*allow_exceptions=*/false);
        continue;
      }
      payload[value.name] =
          named ? nlohmann::ordered_json(value.enum_values[index])
                : store::EncodeSlot(scratch, value.type, 0);
    } else {
      payload[value.name] = nullptr;
    }
  }
  return payload;
}

void Engine::RunAction(store::Profile& profile, int32_t journey,
                       store::Instance& instance, int32_t step, int64_t time) {
  const ir::Journey& definition = program_.journeys[journey];
  const ir::Step& current = definition.steps[step];
  if (current.kind == ir::StepKind::Set) {
    // A warning about a loop through the segments it flips names it.
    setting_journey_ = journey;
    setting_step_ = step;
    RunSet(profile, instance, current, time);
    setting_journey_ = -1;
    setting_step_ = -1;
    return;
  }
  if (current.kind == ir::StepKind::Emit) {
    return RunEmit(profile, journey, instance, step, time);
  }
  if (current.kind == ir::StepKind::Award) {
    // The lot's source is the step's action id: one award per instance.
    ir::Frame frame = StepFrame(profile, instance, current, time);
    int64_t points = evaluator_.Call(current.condition, frame);
    std::string source = ActionId(program_.module, profile.id, definition.name,
                                  instance.seq, StepKey(current));
    if (IsHeldOut(profile.id, definition)) {
      SendAction held =
          ActionOf(source, time, profile.id, definition.name, current);
      held.payload["program"] = program_.loyalty[current.attribute].name;
      held.payload["points"] = points;
      HoldOutAction(profile, definition, held);
      return;
    }
    LoyaltyEffects effects;
    loyalty_.Award(profile, current.attribute, points, time, TimeZone(profile),
                   source, effects);
    FollowLoyalty(profile, effects);
    return;
  }

  std::string id = ActionId(program_.module, profile.id, definition.name,
                            instance.seq, StepKey(current));
  SendAction action = ActionOf(id, time, profile.id, definition.name, current);

  bool reaches_customer = current.kind == ir::StepKind::Task ||
                          current.kind == ir::StepKind::Webhook;
  if (reaches_customer && IsHeldOut(profile.id, definition)) {
    return HoldOutAction(profile, definition, action);
  }

  if (current.kind == ir::StepKind::Task) {
    state_.Emit(id, FormatTaskLine(action));
  } else if (current.kind == ir::StepKind::Freeze ||
             current.kind == ir::StepKind::SecondFactor) {
    state_.Emit(id, FormatSecurityLine(action));
  } else {
    action.payload = Payload(profile, instance, current, time);
    state_.Emit(id, FormatWebhookLine(action));
  }
  ++counters_.sends;
}

// A task, a webhook or an award reaches the customer as a message does (a
// call from the care team, an ad audience, bonus points), so a holdout
// contact goes without it too, or the control group would not be one.
// `set` and `emit` only keep the contact's record and run for everyone.
void Engine::HoldOutAction(store::Profile& profile, const ir::Journey& journey,
                           const SendAction& action) {
  std::string detail = HoldoutDetail(journey);
  const ir::Step& step = *action.step;
  std::string name = step.kind == ir::StepKind::Award
                         ? action.payload["program"].get<std::string>()
                         : std::string(step.text);
  policy::HoldOut(state_, profile, journey, step, action.at, detail,
                  /*late=*/false, name);
  state_.Emit(std::string(action.id),
              FormatSuppressedActionLine(action, "holdout", detail));
  ++counters_.held;
}

void Engine::RunSet(store::Profile& profile, const store::Instance& instance,
                    const ir::Step& step, int64_t time) {
  const ir::Field& field = program_.profile[step.attribute];
  // Written through a copy, so that a value read from the profile itself
  // never reads half-written words.
  common::Record record = profile.record;
  (void)WriteValue(step.values[0], profile, instance, step, time, record,
                   field.offset, field.presence_offset,
                   field.list ? field.count_offset : -1);
  profile.record = std::move(record);
  state_.MarkRecordDirty(profile);
  // The journeys of the segments this flips start once the current run
  // has stopped (see `Settle`).
  RecomputeSegments(profile, segments_by_attribute_[step.attribute]);
}

void Engine::RunEmit(store::Profile& profile, int32_t journey,
                     const store::Instance& instance, int32_t step,
                     int64_t time) {
  const ir::Journey& definition = program_.journeys[journey];
  const ir::Step& current = definition.steps[step];
  const ir::EventType& type = program_.events[current.event_type];
  // An event its chain has no room for is neither applied nor written:
  // a consumer of the `event` lines sees only what the engine acted on.
  ChainPlace link = NextLink();
  if (!MayLink(profile, link, journey, step,
               "`emit " + program_.events[current.event_type].name + "`")) {
    return;
  }

  common::Record record(type.record_words);
  for (const ir::StepValue& value : current.values) {
    const ir::Field& field = type.fields[value.field];
    (void)WriteValue(value, profile, instance, current, time, record,
                     field.offset, field.presence_offset,
                     field.list ? field.count_offset : -1);
  }

  std::string id = ActionId(program_.module, profile.id, definition.name,
                            instance.seq, StepKey(current));
  SendAction action = ActionOf(id, time, profile.id, definition.name, current);
  for (const ir::Field& field : type.fields) {
    bool present =
        field.presence_offset < 0 || record.Get(field.presence_offset) != 0;
    // A list is written as the list it holds, as the input gave it.
    if (!field.list || !present) {
      action.payload[field.wire_name] = store::EncodeField(record, field);
      continue;
    }
    std::string_view list = record.GetString(field.offset);
    action.payload[field.wire_name] =
        list.empty() ? nlohmann::ordered_json::array()
                     : nlohmann::ordered_json::parse(list, nullptr, false);
  }
  state_.Emit(id, FormatEventLine(action, type.wire_name));
  ++counters_.sends;

  // An emitted consent event changes the ledger as the same line from
  // the input would: a sunset journey's revocation must hold back the
  // sends after it. Its properties are read as the input's are.
  std::vector<ingest::ConsentChange> consent;
  if (ingest::IsConsentEvent(type.wire_name)) {
    ingest::JsonValue properties;
    std::string problem = ingest::ParseJson(action.payload.dump(), properties);
    if (problem.empty()) {
      consent = ingest::ConsentFromTrack(type.wire_name, properties, &problem);
    }
    if (!problem.empty()) {
      Log(profile, journey, step,
          "emitted `" + type.wire_name + "` changes no consent: " + problem);
    }
  }
  emitted_.push_back({current.event_type, std::move(record), std::move(consent),
                      id, std::move(link)});
}

void Engine::Settle(store::Profile& profile) {
  for (;;) {
    // Segment changes and points crossings are links too: a flip whose
    // chain is too deep or too long starts nothing (its membership stays,
    // as the attribute that flipped it does).
    if (!flips_.empty()) {
      const SegmentFlip& first = flips_.front();
      ChainPlace link = first.place;
      // Flipped before the chain counted anything: the count is the
      // current one's, as `Settle` runs within the chain that flipped it.
      if (link.total == nullptr) link.total = SharedChain().total;
      if (!MayLink(profile, link, first.journey, first.step, DescribeFlips())) {
        flips_.clear();
        continue;
      }
      chain_ = std::move(link);
      TriggerSegmentJourneys(profile);
      continue;
    }
    if (!crossed_.empty()) {
      ChainPlace link = crossed_place_;
      if (!MayLink(profile, link, crossed_.front(), -1,
                   "the start of journey `" +
                       program_.journeys[crossed_.front()].name +
                       "` on a points crossing")) {
        crossed_.clear();
        continue;
      }
      chain_ = std::move(link);
      StartCrossed(profile);
      continue;
    }
    if (emitted_.empty()) return;

    // An emitted event had its place in the chain when it was emitted.
    ingest::DecodedEvent event;
    event.kind = ingest::EventKind::Track;
    event.user_id = profile.id;
    event.timestamp = Now();
    event.event_type = emitted_.front().event_type;
    event.record = std::move(emitted_.front().record);
    event.consent = std::move(emitted_.front().consent);
    event.message_id = std::move(emitted_.front().id);
    chain_ = std::move(emitted_.front().place);
    emitted_.pop_front();
    // As `Apply` does for an input line: consent first.
    if (!event.consent.empty()) {
      policy::RecordConsent(program_, state_, profile, event, Now());
      RecomputeSegmentSet(profile, segment_sets_.all);
    }
    ApplyTrack(profile, event);
  }
}

Engine::ChainPlace Engine::SharedChain() {
  // Allocated at the first link or wait, not at every input.
  if (chain_.total == nullptr) chain_.total = std::make_shared<ChainTotal>();
  return chain_;
}

Engine::ChainPlace Engine::NextLink() {
  ChainPlace link = SharedChain();
  ++link.depth;
  return link;
}

bool Engine::MayLink(const store::Profile& profile, const ChainPlace& link,
                     int32_t journey, int32_t step, std::string_view cause) {
  bool too_deep = link.depth > kMaxChainDepth;
  if (!too_deep && link.total->links < kMaxChainLinks) {
    ++link.total->links;
    return true;
  }
  // The rest of the chain is cut too, each refused link on its own; the
  // warning is written for the first.
  if (link.total->cut) return false;
  link.total->cut = true;
  WarnChainCut(profile, link, journey, step, cause);
  return false;
}

void Engine::WarnChainCut(const store::Profile& profile, const ChainPlace& link,
                          int32_t journey, int32_t step,
                          std::string_view cause) {
  bool too_deep = link.depth > kMaxChainDepth;
  std::string where;
  if (journey >= 0 && step >= 0) {
    const ir::Journey& definition = program_.journeys[journey];
    const ir::Step& at = definition.steps[step];
    where = " at step `" + at.name + "` of journey `" + definition.name +
            "` (line " + std::to_string(at.line) + ")";
  }
  std::string message;
  if (too_deep) {
    ++counters_.chains_stopped;
    message = "stopped a loop: " + std::string(cause) + where +
              " would be link " + std::to_string(link.depth) +
              " of a chain of emitted events and segment changes, each set "
              "off by the one before; it and the rest of the chain were not "
              "applied. Make the journeys that emit or set what starts each "
              "other stop";
    if (link.waited) {
      message +=
          "; the loop goes through a wait that ends at the instant it is "
          "reached (`wait 0s`, a `wait until` the clock time it is, a "
          "computed wait below zero)";
    }
  } else {
    ++counters_.chains_limited;
    message = "reached the limit of " + std::to_string(kMaxChainLinks) +
              " emitted events and segment changes set off by one input: " +
              std::string(cause) + where +
              " and the rest were not applied. Have fewer journeys emit or "
              "set on one event, or emit fewer events each";
  }

  store::LogRow row;
  row.at = Now();
  row.level = "warn";
  row.component = "engine";
  row.profile = profile.id;
  if (journey >= 0) {
    row.journey = program_.journeys[journey].name;
    if (step >= 0) row.step = program_.journeys[journey].steps[step].name;
  }
  row.message = state_.KeepPendingText(message);
  state_.Log(row);
  if (first_chain_cut_.empty()) first_chain_cut_ = message;
}

std::string Engine::DescribeFlips() const {
  std::string text;
  for (const SegmentFlip& flip : flips_) {
    if (!text.empty()) text += ", ";
    text += std::string(flip.entered ? "entering" : "leaving") + " segment `" +
            program_.segments[flip.segment].name + "`";
  }
  // Followed by the step that set the attribute, when one did.
  return text + (flips_.front().step >= 0 ? ", set" : "");
}

void Engine::ScheduleWait(store::Profile& profile,
                          const store::Instance& instance, int32_t journey,
                          int32_t step, int64_t wake_at) {
  state_.Schedule(profile, journey, step, wake_at);
  if (wake_at > Now()) return;
  // Ends at once: it is the same chain, one instant, when it fires.
  if (zero_waits_at_ != Now()) {
    zero_waits_.clear();
    zero_waits_at_ = Now();
  }
  zero_waits_[{profile.id, instance.seq}] = SharedChain();
}

void Engine::ContinueChain(const store::Profile& profile,
                           const store::Instance& instance) {
  StartChain();
  if (zero_waits_.empty() || zero_waits_at_ != Now()) return;
  auto found = zero_waits_.find({profile.id, instance.seq});
  if (found == zero_waits_.end()) return;
  chain_ = std::move(found->second);
  chain_.waited = true;
  zero_waits_.erase(found);
}

void Engine::StartCrossed(store::Profile& profile) {
  std::vector<int32_t> crossed = std::move(crossed_);
  crossed_.clear();
  for (int32_t journey : crossed) {
    if (!MayEnter(profile, journey)) continue;
    const ir::Journey& definition = program_.journeys[journey];
    if (definition.trigger_filter != -1) {
      ir::Frame frame{profile.record.data(), nullptr, nullptr, Now()};
      if (evaluator_.Call(definition.trigger_filter, frame) == 0) continue;
    }
    Enter(profile, journey, common::Record(0));
  }
}

}  // namespace parcours::engine
