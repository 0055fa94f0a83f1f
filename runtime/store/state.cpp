#include "runtime/store/state.h"

#include <algorithm>
#include <utility>

#include "runtime/common/check.h"
#include "runtime/store/row_text.h"

namespace parcours::store {

namespace {

bool HasDefault(const ir::Field& field) {
  if (field.type == ir::Type::String) {
    return !field.default_string.empty() || !field.default_words.empty();
  }
  return !field.default_words.empty();
}

common::Record MakeDefaultRecord(const ir::Program& program) {
  common::Record record(program.profile_words);
  for (const ir::Field& field : program.profile) {
    if (!HasDefault(field)) continue;
    if (field.type == ir::Type::String) {
      record.SetString(field.offset, field.default_string);
    } else {
      PARCOURS_CHECK(field.default_words.size() ==
                         static_cast<size_t>(ir::WordCount(field.type)),
                     "attribute default has the wrong number of words");
      for (size_t i = 0; i < field.default_words.size(); ++i) {
        record.Set(field.offset + static_cast<int32_t>(i),
                   field.default_words[i]);
      }
    }
    if (field.presence_offset >= 0) record.Set(field.presence_offset, 1);
  }
  return record;
}

}  // namespace

State::State(const ir::Program& program)
    : program_(program),
      row_text_(std::make_unique<RowText>(program)),
      default_record_(MakeDefaultRecord(program)) {}

State::~State() = default;

Profile* State::FindProfile(const std::string& id) {
  return FindProfile(id, ProfileIndex::Hash(id));
}

Profile* State::FindProfile(const std::string& id, uint64_t hash) {
  Profile* profile = profiles_.Find(id, hash);
  if (profile == nullptr && warmer_ != nullptr) {
    common::Expected<Profile*> fetched = warmer_->Fetch(*this, id, hash);
    if (fetched.ok()) return *fetched;
    // Taken as new, the profile would lose what the file holds: the run
    // stops at its next save instead.
    if (warm_status_.ok()) warm_status_ = fetched.status();
    return nullptr;
  }
  if (profile != nullptr && profile->cold) Warm(*profile);
  return profile;
}

Profile& State::AdoptColdProfile(const std::string& id, uint64_t hash) {
  auto profile = std::make_unique<Profile>();
  profile->id = id;
  profile->cold = true;
  return profiles_.Add(std::move(profile), hash);
}

void State::Warm(Profile& profile) {
  PARCOURS_CHECK(warmer_ != nullptr, "a cold profile with nothing to read it");
  // First, so that nothing the reading does warms it a second time.
  profile.cold = false;
  common::Status status = warmer_->Warm(*this, profile);
  if (!status.ok() && warm_status_.ok()) warm_status_ = status;
}

void State::WarmAll() {
  if (warmer_ == nullptr || all_warm_) return;
  all_warm_ = true;
  common::Status status = warmer_->WarmAll(*this);
  if (!status.ok() && warm_status_.ok()) warm_status_ = status;

  // Profiles made for instances whose profile had no row.
  std::vector<Profile*> cold;
  for (const auto& profile : profiles_.all()) {
    if (profile->cold) cold.push_back(profile.get());
  }
  for (Profile* profile : cold) Warm(*profile);
}

Profile& State::FindOrCreateProfile(const std::string& id) {
  return FindOrCreateProfile(id, ProfileIndex::Hash(id));
}

Profile& State::FindOrCreateProfile(const std::string& id, uint64_t hash) {
  if (Profile* existing = FindProfile(id, hash)) return *existing;

  auto profile = std::make_unique<Profile>();
  profile->id = id;
  profile->record = default_record_;
  Profile& created = AdoptProfile(std::move(profile), hash);
  MarkRecordDirty(created);
  return created;
}

Profile& State::AdoptProfile(std::unique_ptr<Profile> profile) {
  uint64_t hash = ProfileIndex::Hash(profile->id);
  return AdoptProfile(std::move(profile), hash);
}

Profile& State::AdoptProfile(std::unique_ptr<Profile> profile, uint64_t hash) {
  PARCOURS_CHECK(profile->record.size() == program_.profile_words,
                 "profile record does not match the program's layout");
  return profiles_.Add(std::move(profile), hash);
}

void State::ReserveProfiles(size_t count) { profiles_.Reserve(count); }

void State::ScheduleRecheck(Profile& profile, std::optional<int64_t> at) {
  if (profile.recheck_at) rechecks_.erase({*profile.recheck_at, profile.id});
  // The time is saved with the record, for a lazy load to find.
  if (profile.recheck_at != at) MarkRecordDirty(profile);
  profile.recheck_at = at;
  if (at) rechecks_.emplace(std::make_pair(*at, profile.id), &profile);
}

std::optional<int64_t> State::FirstRecheck() const {
  if (rechecks_.empty()) return std::nullopt;
  return rechecks_.begin()->first.first;
}

Profile& State::PopFirstRecheck() {
  PARCOURS_CHECK(!rechecks_.empty(), "no profile re-check is pending");
  Profile& profile = *rechecks_.begin()->second;
  rechecks_.erase(rechecks_.begin());
  profile.recheck_at.reset();
  if (profile.cold) Warm(profile);
  return profile;
}

void State::MarkRecordDirty(Profile& profile) {
  profile.record_dirty = true;
  List(profile);
}

void State::List(Profile& profile) {
  if (profile.listed) return;
  profile.listed = true;
  dirty_profiles_.push_back(&profile);
}

void State::MarkInstanceDirty(Profile& profile, int32_t journey) {
  profile.instance_dirty.Grow(program_.journeys.size());
  profile.instance_dirty.Set(static_cast<size_t>(journey));
  List(profile);
}

Instance* State::FindInstance(Profile& profile, int32_t journey) {
  if (static_cast<size_t>(journey) >= profile.instances.size()) return nullptr;
  return profile.instances[journey].get();
}

Instance& State::AddInstance(Profile& profile,
                             std::unique_ptr<Instance> instance) {
  Instance& added = AdoptInstance(profile, std::move(instance));
  MarkInstanceDirty(profile, added.journey);
  return added;
}

Instance& State::AdoptInstance(Profile& profile,
                               std::unique_ptr<Instance> instance) {
  int32_t journey = instance->journey;
  PARCOURS_CHECK(
      journey >= 0 && static_cast<size_t>(journey) < program_.journeys.size(),
      "instance of an unknown journey");
  PARCOURS_CHECK(FindInstance(profile, journey) == nullptr,
                 "a profile can be in a journey only once at a time");
  if (profile.instances.size() < program_.journeys.size()) {
    profile.instances.resize(program_.journeys.size());
  }

  // A handle copied from elsewhere means nothing in this state's queue.
  instance->timer = TimerHandle{};
  instance->profile = &profile;
  if (instance->wake_at) timers_.Push(*instance->wake_at, *instance);
  profile.instances[journey] = std::move(instance);
  ++instance_count_;
  return *profile.instances[journey];
}

std::unique_ptr<Instance> State::NewInstance() {
  if (spare_instances_.empty()) return std::make_unique<Instance>();
  std::unique_ptr<Instance> instance = std::move(spare_instances_.back());
  spare_instances_.pop_back();
  return instance;
}

void State::RemoveInstance(Profile& profile, int32_t journey) {
  Instance* instance = FindInstance(profile, journey);
  PARCOURS_CHECK(instance != nullptr, "removing an instance that is not there");
  if (instance->wake_at) timers_.Erase(*instance);
  std::unique_ptr<Instance> removed = std::move(profile.instances[journey]);
  --instance_count_;
  MarkInstanceDirty(profile, journey);
  if (spare_instances_.size() >= kSpareInstances) return;

  // Back to a new instance's values; the locals keep their buffers.
  common::Record locals = std::move(removed->locals);
  *removed = Instance{};
  removed->locals = std::move(locals);
  spare_instances_.push_back(std::move(removed));
}

void State::Schedule(Profile& profile, int32_t journey, int32_t step,
                     int64_t wake_at) {
  Instance* instance = FindInstance(profile, journey);
  PARCOURS_CHECK(instance != nullptr, "scheduling a missing instance");
  if (instance->wake_at) timers_.Erase(*instance);
  instance->step = step;
  instance->wake_at = wake_at;
  timers_.Push(wake_at, *instance);
  MarkInstanceDirty(profile, journey);
}

void State::Unschedule(Profile& profile, int32_t journey) {
  Instance* instance = FindInstance(profile, journey);
  PARCOURS_CHECK(instance != nullptr, "unscheduling a missing instance");
  if (!instance->wake_at) return;
  timers_.Erase(*instance);
  instance->wake_at.reset();
  MarkInstanceDirty(profile, journey);
}

std::optional<TimerKey> State::FirstTimer() const {
  const TimerEntry* first = timers_.First();
  if (first == nullptr) return std::nullopt;
  const Instance& instance = *first->instance;
  return TimerKey{first->wake_at, instance.seq, instance.profile->id};
}

TimerTarget State::PopFirstTimer() {
  TimerEntry popped = timers_.PopFirst();
  TimerTarget target{popped.instance->profile, popped.instance->journey};
  if (target.profile->cold) Warm(*target.profile);

  Instance* instance = FindInstance(*target.profile, target.journey);
  PARCOURS_CHECK(instance == popped.instance, "a timer outlived its instance");
  instance->wake_at.reset();
  MarkInstanceDirty(*target.profile, target.journey);
  return target;
}

bool State::IsProcessed(const std::string& message_id) const {
  return processed_.Contains(message_id);
}

void State::AddProcessed(const std::string& message_id, bool is_new) {
  bool inserted = processed_.Insert(message_id);
  if (inserted && is_new) new_processed_.push_back(KeepPendingText(message_id));
}

bool State::IsDeadLettered(const std::string& key) const {
  return dead_lettered_.Contains(key);
}

void State::AddDeadLettered(const std::string& key, bool is_new) {
  bool inserted = dead_lettered_.Insert(key);
  if (inserted && is_new) new_dead_lettered_.push_back(KeepPendingText(key));
}

std::string_view State::KeepPendingText(std::string_view text) {
  if (text.empty()) return "";  // not null: bound as text, not as NULL

  // Most messages are a few dozen bytes: one allocation serves thousands.
  constexpr size_t kBlockBytes = 64 * 1024;
  if (pending_text_blocks_.empty() ||
      pending_text_capacity_ - pending_text_used_ < text.size()) {
    size_t capacity = std::max(kBlockBytes, text.size());
    pending_text_blocks_.emplace_back(new char[capacity]);
    pending_text_capacity_ = capacity;
    pending_text_used_ = 0;
  }
  char* copy = pending_text_blocks_.back().get() + pending_text_used_;
  std::copy(text.begin(), text.end(), copy);
  pending_text_used_ += text.size();
  return std::string_view(copy, text.size());
}

void State::Emit(std::string id, std::string line) {
  outbox_.push_back({0, std::move(id), std::move(line)});
}

void State::ForgetDirtiness() {
  for (Profile* profile : dirty_profiles_) {
    profile->record_dirty = false;
    profile->instance_dirty.ClearAll();
    profile->listed = false;
  }
  dirty_profiles_.clear();
}

void State::KeepUnflushed() {
  for (Profile* profile : dirty_profiles_) {
    profile->record_unflushed |= profile->record_dirty;
    profile->instance_unflushed.Merge(profile->instance_dirty);
    if (!profile->unflushed_listed) {
      profile->unflushed_listed = true;
      unflushed_profiles_.push_back(profile);
    }
  }
}

void State::ClearUnflushed() {
  for (Profile* profile : unflushed_profiles_) {
    profile->record_unflushed = false;
    profile->instance_unflushed.ClearAll();
    profile->unflushed_listed = false;
  }
  unflushed_profiles_.clear();
}

void State::ClearChanges() {
  ForgetDirtiness();
  new_processed_.clear();
  new_dead_lettered_.clear();
  log_.clear();
  pending_text_blocks_.clear();
  pending_text_used_ = 0;
  pending_text_capacity_ = 0;
  policy_ledger_.ClearChanges();
  for (OutboxRow& row : outbox_) undelivered_.push_back(std::move(row));
  outbox_.clear();
}

}  // namespace parcours::store
