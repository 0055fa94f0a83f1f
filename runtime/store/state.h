// One partition's state in memory: profiles, journey instances, timers,
// processed message ids, and the changes not yet saved.
//
// The engine mutates a `State`; the `Store` loads it from and saves it to
// SQLite. Nothing here is shared between partitions, so N partitions are N
// independent `State`s.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/common/status.h"
#include "runtime/loyalty/account.h"
#include "runtime/store/journey_flags.h"
#include "runtime/store/key_set.h"
#include "runtime/store/policy_ledger.h"
#include "runtime/store/profile_index.h"
#include "runtime/store/timer_queue.h"

namespace parcours::store {

class RowText;
class State;

struct Profile;

// The event a `wait for E as x` received, read by the block it runs.
struct ArrivedEvent {
  int32_t type = -1;  // index into `Program::events`
  common::Record record;
};

// One profile's place in one journey. Millions may wait at once, so the
// fields are ordered to leave no padding, and what few instances use lives
// behind a pointer.
struct Instance {
  int32_t journey = 0;  // index into `Program::journeys`
  int32_t step = -1;    // the `Wait` step it waits at
  // Where its pending timer sits in `State`'s queue, and the profile it
  // belongs to; both kept by the state.
  TimerHandle timer;
  Profile* profile = nullptr;
  int64_t seq = 0;  // unique, increasing in order of entry
  std::optional<int64_t> wake_at;
  int64_t entered_at = 0;
  // At a `wait for`: when the contact reached it, on the events' own clock
  // (an event that happened before answers nothing). Read at no other step.
  int64_t waits_since = 0;
  common::Record locals;  // a copy of the trigger event's record
  // The event a `wait for E as x` received; null while there is none. Its
  // type lives behind the pointer too, so that the instance stays 120
  // bytes (bench/timers.cpp).
  std::unique_ptr<ArrivedEvent> arrived;
};

// An event kept for the windows that read its type: its own time, and a
// record of its type's layout holding only `EventType::history_fields`,
// cut after the last word of those (runtime/store/history.cpp).
struct KeptEvent {
  int64_t at = 0;
  common::Record record;
};

struct Profile {
  std::string id;
  common::Record record;  // `Program::profile_words` long

  // Kept events by event type, oldest first (runtime/store/history.h);
  // empty until the first kept event. Saved with the record.
  std::vector<std::vector<KeptEvent>> history;
  // When the profile's windows next move, if ever (`State::ScheduleRecheck`).
  std::optional<int64_t> recheck_at;

  // The live instance per journey index, or null. Empty until the profile
  // first enters a journey.
  std::vector<std::unique_ptr<Instance>> instances;

  // By journey index: when the profile last entered it, for `reentry`
  // rules; empty until it first enters any. Saved with the record.
  std::vector<std::optional<int64_t>> last_entered;

  // By loyalty program index: the member's account, or empty until the
  // profile first meets a program (runtime/engine/loyalty.h).
  std::vector<loyalty::Account> loyalty;

  // The number of the last instance the profile started, if any
  // (`State::TakeSeq`). Saved with the record: a run that only moves the
  // clock numbers from the line base of the next input line, which the
  // runs after it share, and the profile's next number must follow the
  // ones it took there.
  std::optional<int64_t> last_seq;

  // What changed since the last save (maintained by `State`), and since
  // the store last wrote this profile's rows to `profiles` and
  // `instances`: saves in between append the changes to `pending_rows`
  // instead (runtime/store/store.h). The instances' flags are by journey
  // index. The five flags come last, side by side: among the fields
  // above, each took a word of padding, in a struct held per customer.
  JourneyFlags instance_dirty;
  JourneyFlags instance_unflushed;
  bool record_dirty = false;
  bool listed = false;  // in `State::dirty_profiles()`
  bool record_unflushed = false;
  bool unflushed_listed = false;  // in `State::unflushed_profiles()`

  // Left unread by a lazy load (`Store::Load`): only `id`, `recheck_at`
  // and the instances' timers are known, and an instance's `locals` are
  // empty. The state reads the rest through its `ProfileWarmer` before
  // handing the profile out.
  bool cold = false;
};

// Timers fire in order of wake time, then of instance number, then of
// profile id: instance numbers are unique per profile, not per state (see
// `State::TakeSeq`).
struct TimerKey {
  int64_t wake_at = 0;
  int64_t seq = 0;
  std::string_view profile;  // the id held by the instance's `Profile`
  auto operator<=>(const TimerKey&) const = default;
};

struct TimerTarget {
  Profile* profile = nullptr;
  int32_t journey = 0;
};

// A step with waiting contacts whose heading the program changed since
// the last save (step_headings.h).
struct ChangedStep {
  std::string journey;
  std::string step;
  std::string was;  // the heading when the contacts reached it
  std::string now;
  int64_t waiting = 0;
  // A moved step: the name is now another unlabelled step's, and the
  // heading the contacts reached is that of these steps (by name).
  std::vector<std::string> moved_to;

  bool moved() const { return !moved_to.empty(); }
};

// A row of the `log` table. Its texts are borrowed, so that logging a row
// copies no string: each must stay valid until the rows are saved and
// cleared (`State::ClearChanges`). Literals, names in the program and the
// ids of the state's own profiles (never removed) do; any other text is
// first copied with `State::KeepPendingText`.
struct LogRow {
  int64_t at = 0;
  std::string_view level;      // "info" or "warn"
  std::string_view component;  // "engine", "store", ...
  std::string_view profile;
  std::string_view journey;
  std::string_view step;
  std::string_view message;
};

// A row of the `outbox` table; `seq` is assigned when it is saved.
struct OutboxRow {
  int64_t seq = 0;
  std::string id;
  std::string line;
};

// Reads on demand what a lazy load left in the file: a restart with
// millions of waiting contacts reads only their timers, and each profile
// when its first event or timer comes (docs/runtime.md).
class ProfileWarmer {
 public:
  virtual ~ProfileWarmer() = default;

  // Reads the rest of the cold `profile`: record, history, journey
  // entries, loyalty accounts, consent and its instances' locals. On an
  // error the profile holds defaults, usable but not to be saved.
  virtual common::Status Warm(State& state, Profile& profile) = 0;

  // The profile `id`, read from the file and added to the state, when the
  // file holds it and the state does not; otherwise null.
  virtual common::Expected<Profile*> Fetch(State& state, const std::string& id,
                                           uint64_t hash) = 0;

  // Reads every profile of the file the state does not hold warm.
  virtual common::Status WarmAll(State& state) = 0;
};

class State {
 public:
  // `program` must outlive the state; records are laid out for it.
  explicit State(const ir::Program& program);
  ~State();

  const ir::Program& program() const { return program_; }

  // The writers of this program's row text, made once for every save.
  const RowText& row_text() const { return *row_text_; }

  // The engine's clock; empty until the first event.
  std::optional<int64_t> clock() const { return clock_; }
  void set_clock(int64_t clock) { clock_ = clock; }

  // Returns the number of a new instance of `profile`: the line base (set
  // by `set_line_base`), or one past the profile's last number when that
  // is higher, as it is for the second instance a profile starts on one
  // line. A profile's numbers only grow, so they are unique per profile;
  // they do not depend on what other profiles do, so a profile gets the
  // same numbers (and its actions the same ids) whichever partition
  // holds it.
  int64_t TakeSeq(Profile& profile) {
    int64_t seq = line_base_;
    if (profile.last_seq && *profile.last_seq >= seq) {
      seq = *profile.last_seq + 1;
    }
    profile.last_seq = seq;
    MarkRecordDirty(profile);
    next_seq_ = std::max(next_seq_, seq + 1);
    return seq;
  }
  // Where the numbers of the instances started from now on begin; the
  // runner sets it for each input line (engine/run.cpp).
  void set_line_base(int64_t base) { line_base_ = base; }
  // One past the highest number taken, kept in `meta`: a file of schema
  // 12 or older, which kept no `last_seq`, gives it to its profiles as
  // their last number (store.cpp, the migration to schema 16).
  int64_t next_seq() const { return next_seq_; }
  void set_next_seq(int64_t seq) { next_seq_ = seq; }

  // The last input line applied, for the `meta` table.
  int64_t applied_line() const { return applied_line_; }
  void set_applied_line(int64_t line) { applied_line_ = line; }

  // Other whole numbers the runner keeps in the `meta` table under their
  // own keys (`partitions`, `merge`); loaded and saved as they are.
  std::map<std::string, int64_t>& run_meta() { return run_meta_; }
  const std::map<std::string, int64_t>& run_meta() const { return run_meta_; }

  // --- Profiles ---

  // The profile `id`, read from the file first if a lazy load left it
  // there (see `ProfileWarmer`); null if there is none.
  Profile* FindProfile(const std::string& id);
  Profile* FindProfile(const std::string& id, uint64_t hash);

  // Takes a profile a lazy load leaves unread (`Profile::cold`); its id
  // must be new. Not marked for saving: nothing in it changed.
  Profile& AdoptColdProfile(const std::string& id, uint64_t hash);

  // Where cold profiles are read from; null while loading, and for a
  // state with none.
  void set_warmer(ProfileWarmer* warmer) { warmer_ = warmer; }

  // The first failure to read a cold profile: the run must stop without
  // saving, since that profile now holds defaults (`Store::Save` refuses).
  const common::Status& warm_status() const { return warm_status_; }

  // Whether every profile's `recheck_at` is the one this program would
  // work out now: read from a file saved by the same program over the
  // same time zone rules, or worked out since the load. Until then the
  // engine works each out again (`Engine::ScheduleLoadedProfiles`) and
  // the store records no fingerprint for them.
  bool rechecks_current() const { return rechecks_current_; }
  void set_rechecks_current(bool current) { rechecks_current_ = current; }

  // The profile `id`; a new one starts from the attribute defaults and is
  // marked for saving.
  Profile& FindOrCreateProfile(const std::string& id);

  // A profile record holding only the attribute defaults.
  const common::Record& DefaultRecord() const { return default_record_; }

  // Takes a profile read from the store; its id must be new.
  Profile& AdoptProfile(std::unique_ptr<Profile> profile);

  // The same with the index's hash of the id worked out beforehand, for
  // loads that fetch the index's memory ahead (`ProfileIndex::Hash`).
  Profile& FindOrCreateProfile(const std::string& id, uint64_t hash);
  Profile& AdoptProfile(std::unique_ptr<Profile> profile, uint64_t hash);
  const ProfileIndex& profile_index() const { return profiles_; }

  // Makes room for `count` profiles in all, before a load adopts them.
  void ReserveProfiles(size_t count);

  void MarkRecordDirty(Profile& profile);

  // --- Instances and timers ---

  Instance* FindInstance(Profile& profile, int32_t journey);

  // A fresh instance for `AddInstance`: every field as a new `Instance`
  // has it, except `locals`, whose content is left over and must be
  // assigned. It is one a removal gave back when there is one, so that a
  // contact leaving and entering again (often on the same event) costs no
  // allocation, and assigning the locals reuses their buffers.
  std::unique_ptr<Instance> NewInstance();

  // Adds `instance` to `profile`, which must not have one in the same
  // journey; schedules its timer when it has a wake time.
  Instance& AddInstance(Profile& profile, std::unique_ptr<Instance> instance);

  // The same for an instance read from the store, which is no change to
  // save: a load of millions would list every profile only to forget
  // them (`ForgetDirtiness`).
  Instance& AdoptInstance(Profile& profile, std::unique_ptr<Instance> instance);

  // Removes the instance and its pending timer, if any; a few removed
  // instances are kept for `NewInstance`.
  void RemoveInstance(Profile& profile, int32_t journey);

  // Makes the instance wait at `step` until `wake_at`.
  void Schedule(Profile& profile, int32_t journey, int32_t step,
                int64_t wake_at);

  // Cancels the instance's pending timer, if any; it stays at its step.
  void Unschedule(Profile& profile, int32_t journey);

  // The earliest pending timer, if any.
  std::optional<TimerKey> FirstTimer() const;

  // Removes the earliest timer and returns its instance, which stays at
  // its step with no wake time until the engine moves it on.
  TimerTarget PopFirstTimer();

  int64_t CountInstances() const { return instance_count_; }

  // --- Profile re-checks: instants at which a window moves ---

  // Replaces `profile`'s pending re-check with one at `at`, or none.
  void ScheduleRecheck(Profile& profile, std::optional<int64_t> at);

  // The earliest pending re-check; re-checks due at one instant come in
  // order of profile id.
  std::optional<int64_t> FirstRecheck() const;

  // Removes the earliest re-check and returns its profile.
  Profile& PopFirstRecheck();

  // --- Processed message ids ---

  bool IsProcessed(const std::string& message_id) const;

  // Records an id; `is_new` ids are also saved with the next batch.
  void AddProcessed(const std::string& message_id, bool is_new);

  // Every id applied, for measuring their memory (bench/memory.cpp).
  const KeySet& processed() const { return processed_; }

  // The ids the save that last moved `applied_through` recorded, when the
  // state says which those were (meta `applied_keys_from`): after a crash
  // between the partitions' commits, they tell a line applied in the
  // interrupted batch from a resend of an id applied long before.
  void AddLastAppliedKey(const std::string& key) {
    last_applied_keys_.Insert(key);
  }
  void set_knows_last_applied_keys() { knows_last_applied_keys_ = true; }
  // Unknown (a state of an older version): every processed id may be.
  bool MaybeAppliedLast(const std::string& key) const {
    return !knows_last_applied_keys_ || last_applied_keys_.Contains(key);
  }

  // --- Lines already written to the dead-letter file ---

  // `key` is the line's `ingest::ContentKey`.
  bool IsDeadLettered(const std::string& key) const;

  // Records a key; `is_new` keys are also saved with the next batch.
  void AddDeadLettered(const std::string& key, bool is_new);

  // --- What loading left behind ---

  // Instances in the file whose journey or step the program lacks; they
  // stay in the file, unloaded.
  int64_t unloaded_instances() const { return unloaded_instances_; }
  void CountUnloadedInstance() { ++unloaded_instances_; }

  // Steps the program edited under waiting contacts (`FindChangedSteps`).
  const std::vector<ChangedStep>& edited_steps() const { return edited_steps_; }
  void AddEditedStep(ChangedStep step) {
    edited_steps_.push_back(std::move(step));
  }

  // --- Log and outbox ---

  // `row`'s texts must live as long as the pending log (see `LogRow`).
  void Log(const LogRow& row) { log_.push_back(row); }

  // A copy of `text` that stays valid until the changes are cleared, as
  // log rows need (`ClearChanges`); copies share large blocks.
  std::string_view KeepPendingText(std::string_view text);

  void Emit(std::string id, std::string line);

  // Outbox rows saved but not yet handed to the sink, in order.
  std::vector<OutboxRow>& undelivered() { return undelivered_; }

  // Highest outbox `seq` the sink has received.
  int64_t delivered_through() const { return delivered_through_; }
  void set_delivered_through(int64_t seq) { delivered_through_ = seq; }

  // Contact history, deferrals and decisions of pressure policies.
  PolicyLedger& policy_ledger() { return policy_ledger_; }
  const PolicyLedger& policy_ledger() const { return policy_ledger_; }

  // --- Changes since the last save, for the store ---

  const std::vector<Profile*>& dirty_profiles() const {
    return dirty_profiles_;
  }
  // Texts kept until the changes are cleared (`KeepPendingText`).
  const std::vector<std::string_view>& new_processed() const {
    return new_processed_;
  }
  const std::vector<std::string_view>& new_dead_lettered() const {
    return new_dead_lettered_;
  }
  const std::deque<LogRow>& pending_log() const { return log_; }
  std::vector<OutboxRow>& pending_outbox() { return outbox_; }

  // Forgets the changes after a successful save; saved outbox rows move
  // to `undelivered()`.
  void ClearChanges();

  // The profiles whose rows changed since the store last wrote them to
  // their tables, with what changed in `Profile::record_unflushed` and
  // `instance_unflushed`.
  const std::vector<Profile*>& unflushed_profiles() const {
    return unflushed_profiles_;
  }
  // Adds what changed since the last save to what is unflushed.
  void KeepUnflushed();
  // Forgets what is unflushed, once the store has written it.
  void ClearUnflushed();

  int64_t CountProfiles() const {
    return static_cast<int64_t>(profiles_.all().size());
  }

  // Marks every profile and instance as saved, keeping log and outbox
  // rows; used after loading, when nothing read is a change.
  void ForgetDirtiness();

  // Visits each profile, in no particular order, after reading every
  // profile a lazy load left in the file.
  template <typename Visit>
  void ForEachProfile(Visit visit) {
    WarmAll();
    for (const auto& profile : profiles_.all()) visit(*profile);
  }

 private:
  void Warm(Profile& profile);
  void WarmAll();
  void MarkInstanceDirty(Profile& profile, int32_t journey);
  void List(Profile& profile);

  const ir::Program& program_;
  std::unique_ptr<const RowText> row_text_;
  common::Record default_record_;

  std::optional<int64_t> clock_;
  int64_t next_seq_ = 1;
  int64_t line_base_ = 1;
  int64_t applied_line_ = 0;
  std::map<std::string, int64_t> run_meta_;

  ProfileIndex profiles_;
  ProfileWarmer* warmer_ = nullptr;
  common::Status warm_status_;
  bool all_warm_ = false;
  bool rechecks_current_ = false;
  // Mutable because finding the first timer may reorder the queue's
  // buckets, which changes nothing observable.
  mutable TimerQueue timers_;
  std::map<std::pair<int64_t, std::string>, Profile*> rechecks_;
  int64_t instance_count_ = 0;
  // Removed instances kept for `NewInstance`, at most `kSpareInstances`.
  static constexpr size_t kSpareInstances = 64;
  std::vector<std::unique_ptr<Instance>> spare_instances_;
  KeySet processed_;
  KeySet last_applied_keys_;
  bool knows_last_applied_keys_ = false;
  KeySet dead_lettered_;
  int64_t unloaded_instances_ = 0;
  std::vector<ChangedStep> edited_steps_;

  std::vector<Profile*> dirty_profiles_;
  std::vector<Profile*> unflushed_profiles_;
  std::vector<std::string_view> new_processed_;
  std::vector<std::string_view> new_dead_lettered_;
  // A deque: a long batch logs millions of rows, which a vector would
  // copy each time it grows.
  std::deque<LogRow> log_;
  // The bytes of `KeepPendingText`'s copies, in blocks that never move;
  // the last one is filled up to `pending_text_used_`.
  std::vector<std::unique_ptr<char[]>> pending_text_blocks_;
  size_t pending_text_used_ = 0;
  size_t pending_text_capacity_ = 0;
  std::vector<OutboxRow> outbox_;
  std::vector<OutboxRow> undelivered_;
  PolicyLedger policy_ledger_;
  int64_t delivered_through_ = 0;
};

}  // namespace parcours::store
