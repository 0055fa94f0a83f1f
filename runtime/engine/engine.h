// The per-profile step loop of one partition: timers, aggregates,
// segments, exits, triggers and journey steps.
//
// The engine changes a `store::State` and appends action lines to its
// outbox; it does no I/O, so the caller decides when state is saved and
// when actions leave (see `Run`).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/segment_sets.h"
#include "runtime/engine/actions.h"
#include "runtime/engine/loyalty.h"
#include "runtime/ingest/decoder.h"
#include "runtime/policy/unsubscribe.h"
#include "runtime/store/state.h"

namespace parcours::engine {

// How many emitted events and segment changes may follow one another, each
// set off by the one before, before the engine calls the chain a loop and
// cuts it (docs/language.md, "Action steps").
inline constexpr int32_t kMaxChainDepth = 100;
// How many one input may set off in all, side by side or in a row (a wait
// that ends at once goes on with the chain that reached it).
inline constexpr int64_t kMaxChainLinks = 10000;

struct EngineCounters {
  int64_t sends = 0;         // send lines
  int64_t held = 0;          // suppressed and deferred lines
  int64_t timers_fired = 0;  // waits ended, deferred messages tried again
  int64_t entries = 0;
  // Of `entries`, those made at a profile's re-check, when no event or
  // wait brought the instant: schedules, date triggers, segments that
  // flipped as time passed, and what those entries led to.
  int64_t time_entries = 0;
  int64_t exits = 0;
  int64_t goals = 0;
  // Chains of emitted events and segment changes cut for running more
  // than `kMaxChainDepth` links deep (a loop of journeys, each setting off
  // the next): what they dropped was not applied.
  int64_t chains_stopped = 0;
  // Inputs (or wait ends, or re-checks) cut for setting off more than
  // `kMaxChainLinks` emitted events and segment changes in all, however
  // shallow (a fan-out that keeps growing): the rest was not applied.
  int64_t chains_limited = 0;
  // Time zones the tz database does not know, by name: how many profiles
  // an identify gave one to (their local times run in UTC).
  std::map<std::string, int64_t> unknown_zones;
};

class Engine {
 public:
  // All three must outlive the engine; `state` must be laid out for
  // `program`, and `evaluator` must evaluate `program`.
  Engine(const ir::Program& program, const ir::Evaluator& evaluator,
         store::State& state);

  // Moves the clock to max(clock, `time`). First, every timer due at or
  // before that instant fires, in order of (wake time, instance seq,
  // profile id), each at its own wake time; a timer set while firing fires
  // too if it falls due by then. Profile re-checks (instants at which a
  // window moves) fire the same way, before the steps due at their
  // instant, in profile id order.
  void AdvanceClock(int64_t time);

  // Applies a decoded identify, or a track of a declared event type: skips
  // it, changing nothing, when its key (message id or content) was applied
  // before (returns false); otherwise advances the clock to its time and
  // applies it.
  bool Apply(const ingest::DecodedEvent& event);

  const EngineCounters& counters() const { return counters_; }
  // The `warn` message of the first chain the engine cut, naming the
  // journey and step; empty when none was cut.
  const std::string& first_chain_cut() const { return first_chain_cut_; }
  // Redemptions the loyalty rules refused for want of points.
  int64_t redemptions_refused() const { return loyalty_.redemptions_refused(); }

  // Timers due before `time` that fire from now on fell due while no
  // process ran (live mode, at a restart; `time` is that moment): their
  // actions say `"late":true`, and pressure policies judge their messages
  // as of `time`, when they really go out.
  void set_late_before(std::optional<int64_t> time) {
    late_before_ = time;
    loyalty_.set_late_before(time);
  }
  // Email sends carry one-click unsubscribe headers built from `links`.
  void set_unsubscribe(policy::UnsubscribeLinks links) {
    unsubscribe_ = std::move(links);
  }

 private:
  void ApplyIdentify(store::Profile& profile,
                     const ingest::DecodedEvent& event);
  void ApplyTrack(store::Profile& profile, const ingest::DecodedEvent& event);
  // After `profile`'s zone changed from `old_zone`: the waits that end at
  // a local time (`wait until`, calendar lengths) end at the same wall
  // clock time in the new zone, or at once when that has passed.
  void FollowZoneChange(store::Profile& profile, const std::string& old_zone);
  // At an instant a window of `profile` moves: recomputes its windows and
  // time-dependent segments, starts the journeys of any flips, and
  // schedules the next re-check.
  void Recheck(store::Profile& profile);

  // Schedules `profile`'s re-check at the next instant its windows move or
  // the clock crosses a bound of a time-dependent segment, if any.
  void ScheduleNextChange(store::Profile& profile);

  // Before the first step, schedules the re-checks of the profiles loaded
  // from the state, unless the state's were saved by this program.
  void ScheduleLoadedProfiles();
  // At that first step, for a state another program saved: works out
  // every segment of `profile` again, and starts what its flips start.
  void ReviseSegments(store::Profile& profile);
  bool resumed_ = false;
  // Whether any segment or window can change with time alone.
  bool tracks_time_ = false;
  // The journeys started by a schedule (`every monday 10:00 local`) or a
  // date (`on date profile.birthday at 09:00 local`).
  std::vector<int32_t> scheduled_;
  // The journeys with an `exit when`, checked again at each re-check.
  std::vector<int32_t> exit_when_journeys_;
  // The first instant at or after `time` when scheduled journey `journey`
  // starts for `profile`, on its local clock.
  int64_t NextScheduled(const store::Profile& profile, int32_t journey,
                        int64_t time) const;
  // The next yearly start at or after `time` of a journey with `on date`
  // (runtime/engine/date_trigger.cpp); kNever when the date is absent.
  int64_t NextDateTrigger(const store::Profile& profile,
                          const ir::Journey& journey, int64_t time) const;
  // Starts the scheduled journeys due at the clock.
  void TriggerScheduledJourneys(store::Profile& profile);
  void UpdateAggregates(store::Profile& profile,
                        const ingest::DecodedEvent& event);
  // Recomputes the segments `which` lists (indices into the program's
  // segments): only those the change at hand can affect.
  void RecomputeSegments(store::Profile& profile,
                         const std::vector<int32_t>& which);
  // The same for set `set` of `segment_sets_`, in one evaluator call.
  void RecomputeSegmentSet(store::Profile& profile, int32_t set);
  // Writes segment `index`'s new membership, noting a flip.
  void SetMembership(store::Profile& profile, int32_t index, int64_t member);
  ir::SegmentSets segment_sets_;
  std::vector<int64_t> members_;  // scratch for RecomputeSegmentSet

  // Starts the journeys of the segments the last recomputation flipped.
  void TriggerSegmentJourneys(store::Profile& profile);

  // Creates `profile`'s instance of `journey` and runs it to its first wait.
  // `locals` is copied into the instance. `happened_at` is the trigger
  // event's own time: the entry that goals and exits are judged against,
  // when it is before the clock (a late line).
  void Enter(store::Profile& profile, int32_t journey,
             const common::Record& locals, int64_t happened_at = INT64_MAX);

  // Where a link stands in the chain of what one input (or the end of a
  // wait, or a re-check) set off at its instant: how many links lie before
  // it, one setting off the next, and the count of the whole chain,
  // shared by its links and by the waits that end at the same instant.
  struct ChainTotal {
    int64_t links = 0;
    bool cut = false;  // its `warn` row is written
  };
  struct ChainPlace {
    int32_t depth = 0;
    // Whether the chain went through a wait that ended at the instant it
    // was reached, which the warning names as the likely cause.
    bool waited = false;
    std::shared_ptr<ChainTotal> total;
  };
  // The link being run; reset by `StartChain` at each input, wait end
  // and re-check that no earlier link at the instant set off.
  ChainPlace chain_;
  void StartChain() { chain_ = ChainPlace{}; }
  // The place of a link the current one sets off.
  ChainPlace NextLink();
  // The current place, its count made shareable.
  ChainPlace SharedChain();
  // Whether `link` may join its chain, counting it; when not, writes the
  // chain's `warn` row once. `cause` says what the link was ("`emit
  // Ping`"), at `journey`'s `step` (-1: none known).
  bool MayLink(const store::Profile& profile, const ChainPlace& link,
               int32_t journey, int32_t step, std::string_view cause);
  // The `warn` row of a chain cut at `link`, counted as a loop when it is
  // too deep, else as an input that reached the limit.
  void WarnChainCut(const store::Profile& profile, const ChainPlace& link,
                    int32_t journey, int32_t step, std::string_view cause);
  // Waits that end at the instant they were reached, by (profile id,
  // instance seq): the chain that reached them goes on when they end.
  // Only those of instant `zero_waits_at_`; the others have fired.
  // TODO: a run that stops after saving such a wait and before it fires
  // counts its chain afresh at the restart; saving the place with the
  // waiting contact (a column of `instances`) would carry it over.
  std::map<std::pair<std::string, int64_t>, ChainPlace> zero_waits_;
  int64_t zero_waits_at_ = 0;
  // Schedules `instance`'s wait at `step` to end at `wake_at`, noting the
  // chain when that is now.
  void ScheduleWait(store::Profile& profile, const store::Instance& instance,
                    int32_t journey, int32_t step, int64_t wake_at);
  // The chain a woken instance goes on with: the one that reached its
  // wait, if that ended at once, or a new one.
  void ContinueChain(const store::Profile& profile,
                     const store::Instance& instance);
  std::string first_chain_cut_;

  struct SegmentFlip {
    int32_t segment;
    bool entered;
    // The `set` step that flipped it (-1 for none: an event, a re-check),
    // and its place as a link (used when the flip waits for `Settle`).
    int32_t journey;
    int32_t step;
    ChainPlace place;
  };
  // The `set` step running, for the flips it makes.
  int32_t setting_journey_ = -1;
  int32_t setting_step_ = -1;
  // Flips seen since the last TriggerSegmentJourneys, in segment order.
  std::vector<SegmentFlip> flips_;
  // `exit on E` for an `event_type` that happened at `happened_at`: as
  // for goals, an event dated before the contact entered ends nothing.
  void ExitJourneys(store::Profile& profile, int32_t event_type,
                    int64_t happened_at);
  void TriggerJourneys(store::Profile& profile,
                       const ingest::DecodedEvent& event);

  // Runs the instance of `journey` from `step` at `time` until it waits or
  // ends. Its waits count from `waits_from` when given: the restart, once
  // a late message has gone out then. `happened_at` is the own time of
  // the event that set the run off (an entry's trigger, the event a `wait
  // for` received): before `time` when its line came late, the steps
  // count as reached then, for the events a `wait for` among them takes.
  void RunInstance(store::Profile& profile, int32_t journey, int32_t step,
                   int64_t time,
                   std::optional<int64_t> waits_from = std::nullopt,
                   int64_t happened_at = INT64_MAX);
  // Sends, suppresses or defers the message of a Send step as the
  // journey's pressure policy decides (runtime/policy/). Returns the
  // instant the message was decided at: `time`, or the restart for a late
  // one, which went out then; nothing when deferred, the instance then
  // waiting at the step.
  std::optional<int64_t> EmitSend(store::Profile& profile, int32_t journey,
                                  const store::Instance& instance, int32_t step,
                                  int64_t time);
  // Logs an info row of the engine; `message` is copied.
  void Log(const store::Profile& profile, int32_t journey, int32_t step,
           std::string_view message);

  // Messages under a policy reached at one instant compete for its slots:
  // they wait here until the instant's work is done, then are decided in
  // order of priority, journey and step (docs/policy.md, "Arbitration").
  struct PendingSend {
    store::Profile* profile;
    int32_t journey;
    int32_t step;
    int64_t time;
    int64_t reached_at;  // as events are judged (`RunInstance`)
    ChainPlace place;    // of the run that reached it
  };
  std::vector<PendingSend> pending_sends_;
  void DecidePendingSends();

  int64_t Now() const;

  // --- Journey rules and action steps (journey_steps.cpp) ---

  // Whether `journey`'s trigger may start it for `profile` now, under its
  // reentry rule; `happened_at` is the trigger event's own time (an entry
  // by a segment or a schedule happens now).
  bool MayEnter(store::Profile& profile, int32_t journey,
                int64_t happened_at = INT64_MAX);
  // Ends the live instance: its timer dies with it; logs `message`.
  void EndInstance(store::Profile& profile, int32_t journey,
                   std::string_view message, const char* component);
  // `happened_at` is the event's own timestamp.
  void ReachGoals(store::Profile& profile, int32_t event_type,
                  int64_t happened_at);
  // `exit on E where ...` for `event_type` (-1: none) that happened at
  // `happened_at` (only its instances entered by then), whose filter may
  // read `event_record`, and `exit when`.
  void ExitOnConditions(store::Profile& profile, int32_t event_type,
                        int64_t happened_at = INT64_MAX,
                        const int64_t* event_record = nullptr);
  // The reason the first holding `exit when` gives, or empty.
  std::string ExitWhenHolds(store::Profile& profile, int32_t journey,
                            int64_t time);
  // Moves on the instances that wait for this event.
  void ResumeWaitsFor(store::Profile& profile,
                      const ingest::DecodedEvent& event);
  // The record a step's functions read as their locals.
  const common::Record& LocalsFor(const store::Instance& instance,
                                  const ir::Step& step) const;
  // The record they read as the event being handled: in the block a
  // `wait for E as x` runs when E came, the trigger's (read through the
  // trigger's alias); elsewhere none.
  const common::Record* TriggerFor(const store::Instance& instance,
                                   const ir::Step& step) const;
  // The frame a step's functions run in, with both of the above.
  ir::Frame StepFrame(const store::Profile& profile,
                      const store::Instance& instance, const ir::Step& step,
                      int64_t time) const;
  // Writes the `suppressed` line and decision of a task, webhook or
  // award that `action` describes, for a holdout contact.
  void HoldOutAction(store::Profile& profile, const ir::Journey& journey,
                     const SendAction& action);
  void RunAction(store::Profile& profile, int32_t journey,
                 store::Instance& instance, int32_t step, int64_t time);
  void RunSet(store::Profile& profile, const store::Instance& instance,
              const ir::Step& step, int64_t time);
  void RunEmit(store::Profile& profile, int32_t journey,
               const store::Instance& instance, int32_t step, int64_t time);
  nlohmann::ordered_json Payload(const store::Profile& profile,
                                 const store::Instance& instance,
                                 const ir::Step& step, int64_t time) const;
  // Writes `value` into `out` at `offset` (and its presence word, when
  // `presence` >= 0, and a list's length at `count`, when >= 0); returns
  // whether it is present.
  bool WriteValue(const ir::StepValue& value, const store::Profile& profile,
                  const store::Instance& instance, const ir::Step& step,
                  int64_t time, common::Record& out, int32_t offset,
                  int32_t presence, int32_t count = -1) const;
  // Starts the journeys of segment flips and applies emitted events until
  // none is left; a flip whose chain is too deep or too long starts none.
  void Settle(store::Profile& profile);
  // What refused flips would have started, for the warning.
  std::string DescribeFlips() const;
  void IndexAttributeReaders();

  struct EmittedEvent {
    int32_t event_type;
    common::Record record;
    // A consent event's changes (`emit ConsentRevoked {...}` in a sunset
    // journey), and the id of its line, which the ledger names as source.
    std::vector<ingest::ConsentChange> consent;
    std::string id;
    ChainPlace place;
  };
  std::deque<EmittedEvent> emitted_;
  // By profile attribute: the segments whose predicate reads it.
  std::vector<std::vector<int32_t>> segments_by_attribute_;

  // The IANA zone of `profile`, from the program's `tz` attribute; empty
  // (UTC) when there is none.
  std::string TimeZone(const store::Profile& profile) const;

  const ir::Program& program_;
  const ir::Evaluator& evaluator_;
  store::State& state_;
  EngineCounters counters_;
  // (zone, profile) pairs counted in `counters_.unknown_zones`, so that a
  // profile identified twice with the same unknown zone counts once.
  std::set<std::pair<std::string, std::string>> unknown_zone_profiles_;
  // Loyalty programs (runtime/engine/loyalty.h); what they leave to do is
  // done by `FollowLoyalty`: their events are applied like emitted ones.
  LoyaltyRules loyalty_;
  void FollowLoyalty(store::Profile& profile, LoyaltyEffects& effects);
  // Journeys `on points crossing N`, and those a balance crossed, to start
  // once the current run has stopped (see `Settle`).
  std::vector<int32_t> crossing_journeys_;
  std::vector<int32_t> crossed_;
  ChainPlace crossed_place_;  // of the first of `crossed_`
  void StartCrossed(store::Profile& profile);
  std::optional<int64_t> late_before_;
  // Whether work at `time` is late: it fell due while no process ran, and
  // is done only now, at the restart. Everything the engine does at such
  // an instant (a timer, a re-check, or what they start, emit or flip) is.
  bool IsLate(int64_t time) const {
    return late_before_ && time < *late_before_;
  }
  policy::UnsubscribeLinks unsubscribe_;

  // By event type: the journeys it starts and the journeys it ends, each
  // in declaration order.
  std::vector<std::vector<int32_t>> triggered_by_;
  std::vector<std::vector<int32_t>> exited_by_;
  // By event type: what an instance it ends logs ("exited on `E`"), built
  // once rather than for every exit.
  std::vector<std::string> exit_messages_;
  // By segment: the journeys entering or leaving it starts.
  std::vector<std::vector<int32_t>> entered_by_;
  std::vector<std::vector<int32_t>> left_by_;
};

}  // namespace parcours::engine
