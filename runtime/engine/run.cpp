#include "runtime/engine/run.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "compiler/ir/dates.h"
#include "compiler/ir/semantics.h"
#include "runtime/common/hash.h"
#include "runtime/common/near_names.h"
#include "runtime/common/time_text.h"
#include "runtime/common/visible_text.h"
#include "runtime/engine/dead_letters.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/decoder.h"
#include "runtime/ingest/follow_reader.h"
#include "runtime/ingest/json_value.h"
#include "runtime/ingest/line_reader.h"
#include "runtime/store/state.h"
#include "runtime/store/store.h"

namespace parcours::engine {

namespace {

using common::Status;

// Instance numbers (and so action ids) come from the input line that
// starts the instance, not from how many instances a partition started
// before: line L of a run after T lines of earlier runs numbers its
// entries from (T + L) * kSeqStride, in every partition, whatever their
// number (a profile's second entry on a line takes the next number, see
// `State::TakeSeq`). What time alone starts between two lines, or after
// the last, is numbered by the next line, whichever run reaches it: so
// the runs that only move the clock (a daily job with an empty input)
// count no lines, and their ids are those of one run to the same time.
constexpr int64_t kSeqStride = int64_t{1} << 16;

// The first instance number of line `line` of all runs on a state.
int64_t LineBase(int64_t line) { return line * kSeqStride; }

// How long live mode waits for input before it looks at the clock again.
constexpr int kFollowTickMs = 100;

// A line's mark in a batch's `duplicates`, set by its owner partition:
// none (0), a duplicate, or a duplicate that it applied in a batch a
// crash left committed by some partitions only (see `MarkDuplicates`).
constexpr char kDuplicate = 1;
constexpr char kReplayed = 2;

// The `meta` key of how far a state has applied, in the lines of all
// runs on it.
constexpr const char* kAppliedThrough = "applied_through";

// The `meta` key of the dead-letter file's size at the state's last
// commit: every letter before that byte has its key in the state of the
// partition that wrote it; a letter after it may not (the run was killed
// between writing it and its commit), and the next run reads those back
// rather than write them again (`DeadLetterFile::ReadBack`). While those
// are not all met again, commits keep recording where they start
// (`DeadLetterFile::RecordableEnd`), so that a second kill loses none.
constexpr const char* kDeadLetterEnd = "dead_letter_end";

// The `meta` keys of where the last live run stopped reading the file it
// followed, saved with the state those lines produced: the file
// (`st_dev` and `st_ino`, without their top bit, as `meta` holds no
// number below zero), the byte after the last line the state covers, the
// number of that line, and a fingerprint of the file's bytes before that
// byte (`ingest::ReadPlace`). A restart on the same file goes on from
// there (`Runner::ResumeReading`).
constexpr const char* kFollowDevice = "follow_device";
constexpr const char* kFollowInode = "follow_inode";
constexpr const char* kFollowOffset = "follow_offset";
constexpr const char* kFollowLine = "follow_line";
constexpr const char* kFollowFingerprint = "follow_fingerprint";

// `value` as `meta` can hold it: at or above zero.
int64_t WithoutTopBit(uint64_t value) {
  return static_cast<int64_t>(value & (UINT64_MAX >> 1));
}

// What `meta` keeps of the bytes before a place in a followed file.
int64_t TailFingerprint(std::string_view tail) {
  return static_cast<int64_t>(common::Fnv1a64(tail) >> 1);
}

// A dead letter a partition found, which the coordinator writes once
// every partition is done with the batch, in line order.
struct FoundLetter {
  int64_t line = 0;
  std::string letter;  // as `FormatDeadLetter` makes it
};

// Puts `rows` in the canonical order, keeping the relative order of rows
// with equal keys.
void SortCanonically(std::vector<store::OutboxRow>& rows) {
  // By time, then by profile id; a stable sort keeps each profile's
  // actions in the order they happened.
  std::vector<std::pair<ActionOrder, size_t>> keys;
  keys.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    keys.emplace_back(OrderOfLine(rows[i].line), i);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::vector<store::OutboxRow> sorted;
  sorted.reserve(rows.size());
  for (const auto& [key, index] : keys) {
    sorted.push_back(std::move(rows[index]));
  }
  rows = std::move(sorted);
}

// A size for messages: whole MiB when it is some, else bytes.
std::string DescribeBytes(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) {
    return std::to_string(bytes / kMiB) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

std::string PartitionFile(uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "p-%04u.db", index);
  return name;
}

// One partition of a run: owns everything it touches, so that each step
// below reads as one paragraph of the procedure in run.h. With a sink it
// runs alone and delivers its own actions; without one, a `Coordinator`
// drives several partitions and delivers their merged actions.
// Keeps the `kNearKeys` first keys in byte order: the same set whatever
// order or grouping the keys come in.
void AddNearKey(std::set<std::string>& keys, const std::string& key) {
  keys.insert(key);
  if (keys.size() > RunSummary::kNearKeys) keys.erase(std::prev(keys.end()));
}

// Adds what `part` counted of the optional fields left out to `total`.
void AddAbsentFields(const RunSummary& part, RunSummary& total) {
  if (part.events_by_type.empty()) return;
  if (total.events_by_type.empty()) {
    total.events_by_type.resize(part.events_by_type.size());
    total.absent_by_field.resize(part.events_by_type.size());
    total.near_keys.resize(part.events_by_type.size());
  }
  for (size_t type = 0; type < part.events_by_type.size(); ++type) {
    total.events_by_type[type] += part.events_by_type[type];
    const std::vector<int64_t>& absent = part.absent_by_field[type];
    if (absent.empty()) continue;
    if (total.absent_by_field[type].empty()) {
      total.absent_by_field[type].resize(absent.size());
      total.near_keys[type].resize(absent.size());
    }
    for (size_t field = 0; field < absent.size(); ++field) {
      total.absent_by_field[type][field] += absent[field];
      for (const std::string& key : part.near_keys[type][field]) {
        AddNearKey(total.near_keys[type][field], key);
      }
    }
  }
}

class Runner {
 public:
  Runner(const ir::Program& program, const ir::Evaluator& evaluator,
         sinks::ActionSink* sink, const RunOptions& options,
         std::string state_path, uint32_t partition, uint32_t partitions)
      : sink_(sink),
        options_(options),
        state_path_(std::move(state_path)),
        partition_(partition),
        partitions_(partitions),
        state_(program),
        engine_(program, evaluator, state_),
        decoder_(program),
        dead_letters_(DeadLetterPathOf(options)) {
    engine_.set_unsubscribe({options.unsubscribe_url, options.unsubscribe_key});
  }

  Status Start() {
    // A file named by `--dead-letter`; the default one, beside the state,
    // is as writable as the state's folder, which opening it checks.
    Status status = options_.dead_letter_path.empty()
                        ? Status::Ok()
                        : dead_letters_.CheckWritable();
    if (status.ok()) status = Open();
    if (status.ok()) status = Load();
    if (sink_ == nullptr) return status;
    if (status.ok()) status = ClaimPlace(std::nullopt, 0);
    if (status.ok()) status = ResumeDeadLetters();
    if (status.ok()) status = SkipAlreadyDelivered();
    if (status.ok()) status = Deliver(summary_.redelivered);
    return status;
  }

  // The two halves of `Start` for a partition, whose sink is the
  // coordinator's: opening the file (which may migrate it), then reading
  // the state from it.
  Status Open() {
    auto store = store::Store::Open(state_path_);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    return Status::Ok();
  }
  Status Load() { return store_->Load(state_); }

  // Checks that the loaded file belongs where it was found, then records
  // that place: partition `partition` of a folder of `partitions`, or,
  // without a partition, a state of one file (`partitions` 0 in `meta`).
  // A file copied or restored elsewhere would keep its profiles where the
  // events of none of them look: the run would start them afresh and
  // message them again. A file that recorded no place (new, or saved by
  // an older Parcours) takes this one.
  Status ClaimPlace(std::optional<uint32_t> partition, uint32_t partitions) {
    std::map<std::string, int64_t>& meta = state_.run_meta();
    auto made = meta.find("partitions");
    auto index = meta.find("partition");
    std::string file = "state file `" + state_path_ + "`";
    if (made != meta.end() && made->second > 0 && !partition) {
      return Status::Error(
          file + " is partition " +
          std::to_string(index == meta.end() ? 0 : index->second) +
          " of a state folder of " + std::to_string(made->second) +
          " partitions; run on its folder with --partitions " +
          std::to_string(made->second));
    }
    if (made != meta.end() && made->second == 0 && partition) {
      return Status::Error(
          file +
          " is a state of one file, made by a run without --partitions, "
          "not a partition of this folder; run on it with --state and no "
          "--partitions");
    }
    if (made != meta.end() && partition && made->second != partitions) {
      return Status::Error(
          file + " belongs to a state of " + std::to_string(made->second) +
          " partitions; run with --partitions " + std::to_string(made->second));
    }
    if (index != meta.end() && partition && index->second != *partition) {
      return Status::Error(
          file + " holds partition " + std::to_string(index->second) +
          ", not " + std::to_string(*partition) +
          ": it was copied or restored into the wrong place, and its "
          "profiles' events would not find them; put it back as `" +
          PartitionFile(static_cast<uint32_t>(index->second)) + "`");
    }

    // A file saved before places were recorded does not say where it
    // belongs, but its profiles do: one of them in another partition
    // means the file was put in the wrong place.
    if (index == meta.end() && partition) {
      const store::Profile* stranger = nullptr;
      state_.ForEachProfile([&](const store::Profile& profile) {
        if (stranger == nullptr &&
            PartitionOf(profile.id, partitions) != *partition) {
          stranger = &profile;
        }
      });
      if (stranger != nullptr) {
        return Status::Error(
            file + " holds profile `" + stranger->id + "`, which belongs in `" +
            PartitionFile(PartitionOf(stranger->id, partitions)) +
            "`: it was copied or restored into the wrong place, and its "
            "profiles' events would not find them; put each file back where "
            "its profiles belong");
      }
    }

    meta["partitions"] = partition ? partitions : 0;
    if (partition) meta["partition"] = *partition;
    return Status::Ok();
  }

  // Where the dead-letter file ended at this state's last commit; unknown
  // for a new state, or one saved before this was recorded.
  std::optional<int64_t> dead_letter_end() {
    auto found = state_.run_meta().find(kDeadLetterEnd);
    if (found == state_.run_meta().end()) return std::nullopt;
    return found->second;
  }

  // Records where the dead-letter file ends now, before any line is read,
  // for a state that has no record yet: a run killed before its first
  // commit then leaves the next one a place to read back from.
  Status RecordDeadLetterEnd(int64_t end) {
    state_.run_meta()[kDeadLetterEnd] = end;
    return store_->Save(state_);
  }

  // With a partition, where the coordinator's dead-letter file ends after
  // the letters this partition's next commit covers.
  void set_dead_letter_end(int64_t end) { dead_letter_end_ = end; }

  // Takes the dead letters this partition found since the last call, in
  // line order, for the coordinator to write.
  void TakeLetters(std::vector<FoundLetter>& letters) {
    letters.swap(found_letters_);
    found_letters_.clear();
  }

  // Lines of the earlier runs on this state, for numbering instances.
  int64_t lines_total() {
    auto found = state_.run_meta().find("lines_total");
    return found == state_.run_meta().end() ? 0 : found->second;
  }
  // Also numbers what time starts before this run's first line (a live
  // run's first ticks, a run of an empty input) by that line.
  void set_lines_before(int64_t lines) {
    lines_before_ = lines;
    state_.set_line_base(LineBase(lines + 1));
  }
  store::State& state() { return state_; }
  uint32_t partition() const { return partition_; }
  bool stopped_at_bad_line() const { return stopped_at_bad_line_; }
  int64_t lines_read() const { return summary_.lines_read; }
  // Actions decided so far: sends, and what policies held back.
  int64_t actions() const {
    return engine_.counters().sends + engine_.counters().held;
  }

  // A state of one file: reads back the dead letters an earlier run may
  // have written after its last commit, or records where the file ends.
  Status ResumeDeadLetters() {
    std::optional<int64_t> end = dead_letter_end();
    if (!end) return RecordDeadLetterEnd(dead_letters_.End());
    return dead_letters_.ReadBack(*end);
  }

  // An earlier run may have stopped after its sink got a batch and before
  // the next commit recorded that; what the sink already holds is not
  // sent again.
  Status SkipAlreadyDelivered() {
    std::vector<store::OutboxRow>& rows = state_.undelivered();
    if (rows.empty()) return Status::Ok();
    std::vector<std::string_view> lines;
    lines.reserve(rows.size());
    for (const store::OutboxRow& row : rows) lines.push_back(row.line);
    common::Expected<size_t> held = sink_->CountDelivered(lines);
    if (!held.ok()) return held.status();

    size_t skip = std::min(*held, rows.size());
    if (skip == 0) return Status::Ok();
    state_.set_delivered_through(rows[skip - 1].seq);
    rows.erase(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(skip));
    summary_.already_delivered = static_cast<int64_t>(skip);
    return Status::Ok();
  }

  // Reads every line, applying those of this partition.
  Status ReadAll(std::istream& events) {
    ingest::LineReader reader(events, options_.max_line_bytes);
    std::string line;
    bool too_long = false;
    while (reader.Next(line, too_long)) {
      Status status = HandleLine(line, too_long, reader.line_number());
      if (!status.ok()) return status;
    }
    if (reader.failed()) {
      // Keep what was applied before the stream broke.
      Status saved = Commit(store::Fold::Always);
      if (!saved.ok()) return saved;
      return ReadError(reader);
    }
    return Status::Ok();
  }

  Status ReadError(const ingest::LineReader& reader) const {
    if (reader.endless_line()) {
      return Status::Error(
          "line " + std::to_string(reader.line_number() + 1) + " of " +
          options_.events_name + " goes on for more than " +
          DescribeBytes(reader.endless_line_bytes()) +
          " without a line end, so the run stopped there: --events takes "
          "JSON lines, one event per line, and this looks like something "
          "else (a JSON array on one line, or a file that is not text)");
    }
    std::string message = "could not read " + options_.events_name +
                          " after line " + std::to_string(reader.line_number());
    if (!reader.error().empty()) message += ": " + reader.error();
    return Status::Error(message);
  }

  // Every partition sees every line: it applies its own profiles' lines,
  // and moves its clock with the others', so that its timers fire on time
  // even when none of its profiles has events.
  //
  // Every line counts toward the batch, blank and unusable ones too, so
  // that commits fall on the same lines for any number of partitions.
  //
  // `decoded`, when given, is the line already decoded (partitions share
  // one decoding of each line); `index` is its place in the batch.
  Status HandleLine(const std::string& line, bool too_long, int64_t number,
                    const ingest::DecodeResult* decoded = nullptr,
                    size_t index = 0) {
    ++summary_.lines_read;
    handled_through_ = number;
    state_.set_line_base(LineBase(lines_before_ + number));
    Status status = Dispatch(line, too_long, number, decoded, index);
    if (!status.ok()) return status;
    // Until the next line comes, what time starts is the next line's (a
    // live run's clock moves between lines).
    state_.set_line_base(LineBase(lines_before_ + number + 1));

    ++lines_in_batch_;
    if (sink_ != nullptr && lines_in_batch_ >= options_.batch_size) {
      return Commit();
    }
    return Status::Ok();
  }

  Status Dispatch(const std::string& line, bool too_long, int64_t number,
                  const ingest::DecodeResult* shared, size_t index) {
    if (too_long) {
      std::string reason = "line is longer than " +
                           std::to_string(options_.max_line_bytes) + " bytes";
      if (!Owns("")) {
        return options_.strict ? StopWithOwner(number, reason) : Status::Ok();
      }
      return DeadLetter(number, reason, line);
    }

    ingest::DecodeResult& own = decoded_line_;
    if (shared == nullptr) decoder_.Decode(line, number, own);
    // Live, a line arrives now, whatever its own time says: the clock is
    // the wall clock, and a future-dated line must not move it (its own
    // time still counts in windows).
    if (options_.now && shared == nullptr)
      own.event.received_at = options_.now();
    const ingest::DecodeResult& decoded = shared != nullptr ? *shared : own;
    const ingest::DecodedEvent& event = decoded.event;
    bool mine = Owns(event.user_id);
    switch (decoded.outcome) {
      case ingest::LineOutcome::Blank:
        ++summary_.blank_lines;
        return Status::Ok();
      case ingest::LineOutcome::DeadLetter:
        if (!mine) {
          // Its owner marked it if it applied it before (see
          // `MarkDuplicates`); else it is a dead letter there.
          if (!options_.strict || OthersDuplicate(index, number)) break;
          return StopWithOwner(number, decoded.reason);
        }
        // A line an earlier run applied stays applied, even if stricter
        // rules or a changed program would now refuse it.
        if (IsDuplicate(event)) break;
        return DeadLetter(number, decoded.reason, line);
      case ingest::LineOutcome::Ignored:
      case ingest::LineOutcome::Event: {
        bool declared = decoded.outcome == ingest::LineOutcome::Event;
        // A duplicate changes nothing, not even the clock. Whether another
        // partition's line is one, its owner said before this batch.
        if (declared &&
            (mine ? IsDuplicate(event) : OthersDuplicate(index, number))) {
          break;
        }
        std::string too_far = ClockJump(event);
        if (!too_far.empty()) {
          // Every partition's clock is the same, so each sees the jump.
          if (!mine) {
            if (!options_.strict) break;
            return StopWithOwner(number, too_far);
          }
          ++summary_.clock_jumps;
          return DeadLetter(number, too_far, line);
        }
        if (mine && declared) {
          Count(event, engine_.Apply(event));
        } else {
          // Undeclared events still carry the stream's time forward.
          if (mine) {
            ++summary_.ignored;
            ++summary_.ignored_events[event.wire_event];
          }
          engine_.AdvanceClock(event.ClockTime());
        }
        break;
      }
    }

    state_.set_applied_line(number);
    return Status::Ok();
  }

  // Before a batch, on the partitions' threads: marks in `duplicates`
  // (one entry per decoded line of the batch) this partition's lines that
  // are duplicates, so that the other partitions leave their clocks alone on
  // them, as one partition would.
  //
  // A line this partition applied in a batch that a crashed run did not
  // commit everywhere is marked `kReplayed` instead: the partitions that
  // did not commit it move their clocks on it, as they did before the
  // crash (see `set_replay_window`). `first_number` is the number of the
  // batch's first line; the lines of a batch are numbered in a row.
  void MarkDuplicates(const std::vector<ingest::DecodeResult>& lines,
                      int64_t first_number, std::vector<char>& duplicates) {
    std::unordered_set<std::string> seen;
    for (size_t i = 0; i < lines.size(); ++i) {
      const ingest::DecodeResult& decoded = lines[i];
      const ingest::DecodedEvent& event = decoded.event;
      if (!Owns(event.user_id)) continue;
      // An unusable line applied before is a duplicate, not a dead letter:
      // the others need to know it, so that under `--strict` they all
      // stop at the same line.
      if (decoded.outcome == ingest::LineOutcome::DeadLetter) {
        bool applied = !event.key.empty() && state_.IsProcessed(event.key);
        duplicates[i] = applied ? kDuplicate : 0;
        continue;
      }
      if (decoded.outcome != ingest::LineOutcome::Event) continue;
      bool again = !seen.insert(event.key).second;
      bool processed = state_.IsProcessed(event.key);
      char mark = processed || again ? kDuplicate : 0;
      int64_t position = lines_before_ + first_number + static_cast<int64_t>(i);
      // Only the key's first line in the window: a repeat of it was a
      // duplicate before the crash too, and moved no clock.
      // And only a key the interrupted batch applied: one applied in an
      // earlier batch was a duplicate before the crash too.
      if (processed && !again && replay_from_ >= 0 && position > replay_from_ &&
          position <= start_position_ && state_.MaybeAppliedLast(event.key) &&
          replayed_keys_.insert(event.key).second) {
        mark = kReplayed;
      }
      duplicates[i] = mark;
    }
  }

  // After a crash between the partitions' commits of a batch, the next
  // run finds some partitions a batch ahead of others. The lines after
  // `from` (the least far any partition got), up to where this partition
  // got, that it applied then are duplicates to it now, yet the
  // partitions behind moved their clocks on them before the crash: a
  // late event of theirs then entered at that clock. They move them
  // again, so that the rerun decides as the first run did.
  void set_replay_window(int64_t from) {
    replay_from_ = from;
    start_position_ = applied_through().value_or(from);
  }

  // How far, in the lines of all runs on this state, it has applied.
  // Unknown for a state written before this was recorded.
  std::optional<int64_t> applied_through() {
    auto found = state_.run_meta().find(kAppliedThrough);
    if (found == state_.run_meta().end()) return std::nullopt;
    return found->second;
  }

  void set_others_duplicates(const std::vector<char>* duplicates) {
    others_duplicates_ = duplicates;
  }

  // Whether another partition's line `index` of the batch, line `number`
  // of this run, leaves this partition's clock alone: a duplicate does,
  // unless this partition had not got as far as it before a crash.
  bool OthersDuplicate(size_t index, int64_t number) const {
    if (others_duplicates_ == nullptr) return false;
    char mark = (*others_duplicates_)[index];
    if (mark == kReplayed && replay_from_ >= 0) {
      return lines_before_ + number <= start_position_;
    }
    return mark != 0;
  }

  bool Owns(std::string_view profile) const {
    return PartitionOf(profile, partitions_) == partition_;
  }

  bool IsDuplicate(const ingest::DecodedEvent& event) {
    if (event.key.empty() || !state_.IsProcessed(event.key)) return false;
    ++summary_.duplicates;
    return true;
  }

  // Why `event` may not move the clock, or an empty string. The first
  // event of a new state sets the clock wherever it is.
  std::string ClockJump(const ingest::DecodedEvent& event) const {
    std::optional<int64_t> clock = state_.clock();
    if (!clock || options_.max_clock_jump <= 0) return "";
    // Live, a line arrives at the wall clock's time and cannot move the
    // clock; but its own time still counts in windows and in `last(E)`,
    // so a typo of its year (2111 for 2011) would hold its profile's
    // segments for a century. The same limit applies to it.
    bool live = static_cast<bool>(options_.now);
    int64_t time = live ? event.timestamp : event.ClockTime();
    if (time <= common::AddSeconds(*clock, options_.max_clock_jump)) {
      return "";
    }
    // Both times lie between the years 1900 and 9999, so the difference
    // cannot overflow.
    return std::string(event.received_at && !live ? "receivedAt "
                                                  : "timestamp ") +
           common::FormatTime(time) + " is " +
           common::DescribeSpan(time - *clock) +
           (live ? " ahead of the wall clock "
                 : " ahead of the stream's clock ") +
           common::FormatTime(*clock) + ", past the limit of " +
           ExactSpan(options_.max_clock_jump) +
           " (--max-clock-jump); check it, or raise the limit";
  }

  // Why `--until` at `until` may not move the clock from `clock`: the
  // limit it passed, and the value of the option that would admit it, so
  // that a user whose time is right need not guess one.
  std::string UntilTooFar(int64_t until, int64_t clock) const {
    // Both times lie between the years 1900 and 9999, so the difference
    // cannot overflow.
    int64_t ahead = until - clock;
    int64_t days_needed = (ahead + 86399) / 86400;
    return "--until " + common::FormatTime(until) + " is " +
           common::DescribeSpan(ahead) + " ahead of the stream's clock " +
           common::FormatTime(clock) +
           ", and --until may move the clock at most " +
           ExactSpan(options_.max_clock_jump) +
           " (--max-clock-jump); check the time, or if it is right, run "
           "again with --max-clock-jump " +
           std::to_string(days_needed) + "d (0 for no limit)";
  }

  // `seconds` in the largest unit that divides it, as a limit is said:
  // "90 days", "36 hours"; `DescribeSpan` would round it.
  static std::string ExactSpan(int64_t seconds) {
    struct Unit {
      int64_t seconds;
      const char* one;
      const char* many;
    };
    static const Unit kUnits[] = {{86400, "day", "days"},
                                  {3600, "hour", "hours"},
                                  {60, "minute", "minutes"},
                                  {1, "second", "seconds"}};
    for (const Unit& unit : kUnits) {
      if (seconds % unit.seconds != 0) continue;
      int64_t count = seconds / unit.seconds;
      return std::to_string(count) + " " + (count == 1 ? unit.one : unit.many);
    }
    return "";
  }

  void Count(const ingest::DecodedEvent& event, bool applied) {
    if (!applied) {
      ++summary_.duplicates;
    } else if (event.kind == ingest::EventKind::Identify) {
      ++summary_.identifies;
      for (const std::string& key : event.ignored_traits) {
        ++summary_.ignored_traits[key];
      }
    } else {
      ++summary_.events_applied;
      CountCurrencies(event);
      CountAbsentFields(event);
    }
  }

  // The optional fields an applied event left out, and the keys spelt
  // like them it carried instead, for the summary to point out a misspelt
  // one.
  void CountAbsentFields(const ingest::DecodedEvent& event) {
    if (event.event_type < 0) return;
    const ir::Program& program = state_.program();
    if (summary_.events_by_type.empty()) {
      summary_.events_by_type.resize(program.events.size());
      summary_.absent_by_field.resize(program.events.size());
      summary_.near_keys.resize(program.events.size());
    }
    auto type = static_cast<size_t>(event.event_type);
    ++summary_.events_by_type[type];
    if (event.absent_fields.empty()) return;

    const ir::EventType& definition = program.events[type];
    std::vector<int64_t>& absent = summary_.absent_by_field[type];
    if (absent.empty()) {
      absent.resize(definition.fields.size());
      summary_.near_keys[type].resize(definition.fields.size());
    }
    for (int32_t field : event.absent_fields) {
      ++absent[field];
      const std::string& name = definition.fields[field].wire_name;
      for (const std::string& key : event.undeclared_properties) {
        if (common::NearestName(name, {key}).empty()) continue;
        AddNearKey(summary_.near_keys[type][field], key);
      }
    }
  }

  // The currencies of an applied event's amounts, for the summary to
  // point out a stream whose money the program's amounts never match.
  void CountCurrencies(const ingest::DecodedEvent& event) {
    if (event.event_type < 0) return;
    const ir::EventType& type = state_.program().events[event.event_type];
    for (const ir::Field& field : type.fields) {
      if (field.type != ir::Type::Money) continue;
      if (field.presence_offset >= 0 &&
          event.record.Get(field.presence_offset) == 0) {
        continue;
      }
      int64_t currency = event.record.Get(field.offset + 1);
      if (currency != ir::kNoCurrency) ++summary_.event_currencies[currency];
    }
  }

  Status DeadLetter(int64_t number, const std::string& reason,
                    std::string_view text) {
    // The same bytes, dead-lettered before on this state, are in the file
    // already; a rerun of the same input must not append them again.
    std::string key = ingest::ContentKey(text);
    if (state_.IsDeadLettered(key)) {
      ++summary_.dead_letters_known;
    } else {
      std::string letter = FormatDeadLetter(number, reason, text);
      if (sink_ == nullptr) {
        // A partition: the coordinator writes the letters of all of them,
        // in line order, before this one commits the key.
        found_letters_.push_back({number, std::move(letter)});
      } else if (dead_letters_.TakeReadBack(letter)) {
        // Written by a run killed before it could commit the key.
        ++summary_.dead_letters_known;
      } else {
        // A line that could not be written is not counted as written: the
        // run stops, and the next run dead-letters it again.
        Status status = dead_letters_.Append(letter);
        if (!status.ok()) return status;
      }
      state_.AddDeadLettered(key, true);
    }
    ++summary_.dead_letters;
    summary_.dead_letter_path = dead_letters_.path();
    if (!options_.strict) return Status::Ok();

    // Strict mode stops here, keeping everything before this line. A
    // partition's coordinator commits it in the batch's turn.
    stopped_at_bad_line_ = true;
    // The reason quotes the line, which must not reach the terminal raw.
    Status stop = Status::Error("line " + std::to_string(number) + ": " +
                                common::VisibleText(reason));
    if (sink_ == nullptr) return stop;
    Status status = Commit(store::Fold::Always);
    // Record that the sink got the batch, as `Finish` does: a rerun would
    // send it again to an output it cannot read back (stdout, a webhook).
    if (status.ok()) status = store_->Save(state_);
    return status.ok() ? stop : status;
  }

  // Under `--strict`, a partition stops at another partition's dead
  // letter as its owner does, so that no partition applies a line after
  // it; the message is the owner's.
  Status StopWithOwner(int64_t number, const std::string& reason) {
    stopped_at_bad_line_ = true;
    return Status::Error("line " + std::to_string(number) + ": " +
                         common::VisibleText(reason));
  }

  Status Finish(int64_t lines_read) {
    dead_letters_.ForgetReadBack();
    // Timers due by the end of the input (a `wait 0` after the last event)
    // or by `until` fire now; later ones stay pending in the state.
    std::optional<int64_t> end = state_.clock();
    // `--until` moves the clock for good, like a line: a typo in it must
    // not run every wait to the far future.
    bool too_far =
        options_.until && end && options_.max_clock_jump > 0 &&
        *options_.until > common::AddSeconds(*end, options_.max_clock_jump);
    if (too_far) {
      Status status = Commit(store::Fold::Always);
      if (status.ok()) status = store_->Save(state_);
      if (!status.ok()) return status;
      return Status::Error(UntilTooFar(*options_.until, *end));
    }
    if (options_.until && (!end || *options_.until > *end)) {
      end = options_.until;
    }
    // What time alone starts from here on is numbered by the line after
    // the input's last, as the next run numbers its first line and what
    // time starts before it: a run to `--until` and the same run split
    // into its input and any number of empty inputs to `--until` times on
    // the way give the same ids. Each profile's numbers there follow the
    // ones it took there before (`Profile::last_seq`, saved with it).
    state_.set_line_base(LineBase(lines_before_ + lines_read + 1));
    if (end) engine_.AdvanceClock(*end);
    // The next run numbers its instances after every line of this one,
    // as if its lines followed them in one input; a run of no lines adds
    // none. (After a crash, a rerun numbers the same lines the same way,
    // so their actions keep their ids.)
    state_.run_meta()["lines_total"] = lines_before_ + lines_read;

    Status status = Commit(store::Fold::Always);
    if (!status.ok()) return status;

    // Record that the sink got the last batch, so that it is not sent
    // again by the next run.
    return store_->Save(state_);
  }

  // Saves what the lines since the last commit changed. A batch's commit
  // may defer its profile and instance rows (`store::Fold`); the last one
  // of a run writes them all, so that the tables are up to date when the
  // run stops.
  // Whether this state's deferred rows call for a fold (see
  // `store::Store::FoldIsDue`).
  bool FoldIsDue() const { return store_->FoldIsDue(state_); }

  Status Commit(store::Fold fold = store::Fold::WhenDue) {
    lines_in_batch_ = 0;
    // Where in the stream of all runs' lines this state has applied
    // through, for `set_replay_window` after a crash.
    if (handled_through_ > 0) {
      int64_t through = lines_before_ + handled_through_;
      auto& meta = state_.run_meta();
      auto old = meta.find(kAppliedThrough);
      if (old == meta.end() || old->second != through) {
        // The ids this save records, and only they, were applied in the
        // lines up to `through` since the last save (`MarkDuplicates`).
        meta[store::kAppliedKeysFrom] = store_->NextProcessedChunk();
      }
      meta[kAppliedThrough] = through;
    }
    if (records_place_) RecordReadPlace();
    // Saved in the canonical order, so that the outbox, the output and a
    // redelivery after a crash all follow it.
    SortCanonically(state_.pending_outbox());
    // Dead letters reach their file before their keys reach the state,
    // with where the file then ends: a crash in between leaves them for
    // the next run to read back (`ResumeDeadLetters`), not to write again.
    Status status = dead_letters_.Flush();
    state_.run_meta()[kDeadLetterEnd] =
        sink_ != nullptr ? dead_letters_.RecordableEnd() : dead_letter_end_;
    if (status.ok()) status = store_->Save(state_, fold);
    if (status.ok() && sink_ != nullptr) {
      status = Deliver(summary_.delivered);
      if (options_.progress) {
        options_.progress(summary_.lines_read, engine_.counters().sends);
      }
    }
    return status;
  }

  const std::string& dead_letter_path() const { return dead_letters_.path(); }

  // The live loop of `Follow`; see run.h.
  Status Follow(int fd) {
    bool state_was_saved = state_.clock().has_value();
    engine_.set_late_before(options_.now());
    engine_.AdvanceClock(options_.now());
    engine_.set_late_before(std::nullopt);
    Status status = Commit();
    if (!status.ok()) return status;

    follow_reader_ = std::make_unique<ingest::FollowReader>(
        fd, options_.max_line_bytes, options_.events_path);
    ingest::FollowReader& reader = *follow_reader_;
    if (options_.events_awaited) reader.AwaitPath();
    // A pipe named by a path has no place to go back to, and a file not
    // created yet has nothing to go back to yet.
    ingest::ReadPlace start;
    if (!options_.events_path.empty() && reader.Place(start)) {
      ResumeReading(fd, state_was_saved);
    }
    records_place_ = !options_.events_path.empty();
    std::string line;
    bool too_long = false;
    bool changed = false;
    int64_t by_time = TimeDriven();
    while (options_.stop == nullptr || *options_.stop == 0) {
      // Under `--strict`, a line the run stops at is saved as not read
      // (see `RecordReadPlace`).
      if (records_place_ && options_.strict) {
        line_start_.emplace();
        if (!reader.Place(*line_start_)) line_start_.reset();
      }
      // While lines keep coming, take them without waiting; commit in the
      // first pause.
      auto result = reader.Next(line, too_long, changed ? 0 : kFollowTickMs);
      engine_.AdvanceClock(options_.now());
      if (reader.TakeTruncation()) {
        NoteInputChange("warn",
                        options_.events_name +
                            " got shorter than what was read of it (cut "
                            "back by a log rotation's copytruncate?); "
                            "reading on from its start");
        changed = true;
      }
      if (reader.TakeRewrite()) {
        NoteInputChange("warn",
                        options_.events_name +
                            " was rewritten in place (other bytes before "
                            "where reading stood); reading it again from "
                            "its start, its lines applied before skipped "
                            "as duplicates");
        changed = true;
      }
      if (reader.TakeMissing()) {
        NoteInputChange("warn", options_.events_name +
                                    " is gone (moved away or deleted); "
                                    "reading on from the file it named, "
                                    "until a new file with lines appears "
                                    "there");
        changed = true;
      }
      if (reader.TakeAppeared()) {
        NoteInputChange("info", options_.events_name +
                                    " now exists; reading it from its start");
        changed = true;
      }
      if (reader.TakeReopened()) {
        NoteInputChange("info", options_.events_name +
                                    " names a new file (a log rotation?); "
                                    "the old one was read to its end, the "
                                    "new one is read from its start");
        changed = true;
      }
      if (result == ingest::FollowReader::Result::Line) {
        status = HandleLine(line, too_long, reader.line_number());
        if (!status.ok()) return status;
        changed = true;
        continue;
      }
      if (result == ingest::FollowReader::Result::Error) {
        status = Commit(store::Fold::Always);
        if (!status.ok()) return status;
        return Status::Error(
            "could not read " + options_.events_name + " after line " +
            std::to_string(reader.line_number()) + ": " + reader.error());
      }
      if (changed || TimeDriven() != by_time) {
        // The input is idle: the tables catch up with the blobs, so that
        // SQL over them sees a live run's state whenever no line waits.
        status = Commit(store::Fold::Always);
        if (!status.ok()) return status;
        changed = false;
        by_time = TimeDriven();
      }
      if (result == ingest::FollowReader::Result::End) {
        std::this_thread::sleep_for(std::chrono::milliseconds(kFollowTickMs));
      }
    }

    // Stopped. A last line still waiting for its newline is not applied;
    // the summary's count of lines leaves it out, so say it was seen.
    if (reader.unfinished_bytes() > 0) {
      std::string again = options_.events_path.empty()
                              ? "send it again to the next run"
                              : "a restart reads it again once its writer "
                                "ends it with a newline";
      NoteInputChange("warn", options_.events_name +
                                  " ends in an unfinished line (" +
                                  std::to_string(reader.unfinished_bytes()) +
                                  " bytes, no newline yet), which was not "
                                  "applied; " +
                                  again);
    }

    // Save the clock and what the sink got.
    status = Commit(store::Fold::Always);
    if (status.ok()) status = store_->Save(state_);
    return status;
  }

  // Live, on a file named by a path: reads on from where the last live
  // run's saved state stopped reading, when the file there is still the
  // one it read, with the same bytes before that place; lines are
  // numbered on from there, so dead letters and instance numbers are as
  // if the file had been read from its start. Otherwise the file is read
  // from its start, as when nothing was saved (its lines applied before
  // are duplicates), and a note says why; `state_was_saved` tells a new
  // state, which needs no note, from one an older version saved.
  void ResumeReading(int fd, bool state_was_saved) {
    ingest::ReadPlace saved;
    int64_t fingerprint = 0;
    std::string why = ReadSavedPlace(saved, fingerprint);
    if (why.empty()) why = WhyNotSameFile(fd, saved, fingerprint);
    if (why.empty() && !follow_reader_->ResumeAt(saved)) {
      why = " could not be read on from byte " + std::to_string(saved.offset) +
            ", where the last live run stopped reading it";
    }
    if (why.empty() || (why == kNoPlace && !state_was_saved)) return;
    NoteInputChange("info",
                    options_.events_name + why +
                        "; reading it from its start (the lines applied "
                        "before are skipped as duplicates)");
  }

  // Why a restart reads from the start a file the state holds no place
  // in; a fresh state says nothing.
  static constexpr const char* kNoPlace =
      ": the state holds no place where a live run stopped reading it "
      "(saved by an older Parcours, or by runs of other input)";

  // Reads the place the last live run saved into `saved` (its tail left
  // empty) and `fingerprint`; why it cannot be used, or an empty string.
  std::string ReadSavedPlace(ingest::ReadPlace& saved, int64_t& fingerprint) {
    const std::map<std::string, int64_t>& meta = state_.run_meta();
    const char* keys[] = {kFollowDevice, kFollowInode, kFollowOffset,
                          kFollowLine, kFollowFingerprint};
    std::vector<std::string> missing;
    for (const char* key : keys) {
      if (!meta.contains(key)) missing.push_back(key);
    }
    if (missing.size() == std::size(keys)) return kNoPlace;
    // The five are written together: a row lost is an edit by hand.
    if (!missing.empty()) {
      return ": the state's record of where the last live run stopped "
             "reading it lacks the `meta` row `" +
             missing.front() + "`";
    }

    saved.device = static_cast<uint64_t>(meta.at(kFollowDevice));
    saved.inode = static_cast<uint64_t>(meta.at(kFollowInode));
    saved.offset = meta.at(kFollowOffset);
    saved.line = meta.at(kFollowLine);
    fingerprint = meta.at(kFollowFingerprint);
    return "";
  }

  // Why the file under `fd` is not the one `saved` was taken in, with the
  // same bytes before it (whose fingerprint is `fingerprint`); an empty
  // string when it is, and then `saved.tail` holds those bytes.
  std::string WhyNotSameFile(int fd, ingest::ReadPlace& saved,
                             int64_t fingerprint) {
    struct stat info {};
    if (::fstat(fd, &info) != 0 ||
        WithoutTopBit(info.st_dev) != static_cast<int64_t>(saved.device) ||
        WithoutTopBit(info.st_ino) != static_cast<int64_t>(saved.inode)) {
      return " is another file than the one the last live run read "
             "(replaced, or moved away by a log rotation while no run was "
             "up)";
    }
    if (info.st_size < saved.offset) {
      return " is shorter than the " + std::to_string(saved.offset) +
             " bytes the last live run read of it (cut back since)";
    }

    // The bytes just before the place: a file cut back and written again
    // to past it, or rewritten, has others there.
    saved.tail.resize(static_cast<size_t>(
        std::min<int64_t>(saved.offset, ingest::ReadPlace::kTailBytes)));
    int64_t from = saved.offset - static_cast<int64_t>(saved.tail.size());
    ssize_t got = ::pread(fd, saved.tail.data(), saved.tail.size(), from);
    if (got != static_cast<ssize_t>(saved.tail.size()) ||
        TailFingerprint(saved.tail) != fingerprint) {
      return " holds other bytes before byte " + std::to_string(saved.offset) +
             ", where the last live run stopped reading it, than it did "
             "then (rewritten, or cut back and written again)";
    }
    return "";
  }

  // Records in `meta`, in the commit of the state those lines produced,
  // where reading the followed file stands: after the last line handed
  // to the engine. A line `--strict` stops at is left to be read again,
  // as a run that read the file from its start would.
  void RecordReadPlace() {
    ingest::ReadPlace place;
    if (stopped_at_bad_line_) {
      if (!line_start_) return;
      place = *line_start_;
    } else if (!follow_reader_->Place(place)) {
      return;
    }
    std::map<std::string, int64_t>& meta = state_.run_meta();
    meta[kFollowDevice] = WithoutTopBit(place.device);
    meta[kFollowInode] = WithoutTopBit(place.inode);
    meta[kFollowOffset] = place.offset;
    meta[kFollowLine] = place.line;
    meta[kFollowFingerprint] = TailFingerprint(place.tail);
  }

  // A count of what the engine has done that grows with what the clock
  // alone does: waits ended, journeys started, messages decided (a
  // points expiry notice starts no journey). A live run commits, and so
  // hands the messages out, when it grows while the input is idle: a
  // birthday must not wait for the next line.
  int64_t TimeDriven() const {
    const EngineCounters& counters = engine_.counters();
    return counters.timers_fired + counters.time_entries + counters.sends +
           counters.held;
  }

  // A `log` row, and a word to the command line, on a change of the input
  // file under a live run. `level` is a literal, which the row may borrow.
  void NoteInputChange(const char* level, const std::string& message) {
    store::LogRow row;
    row.at = *state_.clock();
    row.level = level;
    row.component = "input";
    row.message = state_.KeepPendingText(message);
    state_.Log(row);
    if (options_.input_notice) options_.input_notice(level, message);
  }

  // Records what was delivered since the last commit.
  Status SaveDelivery() { return store_->Save(state_); }

 private:
  // Hands the saved, undelivered actions to the sink; adds their number
  // to `delivered` once the sink has flushed them.
  Status Deliver(int64_t& delivered) {
    std::vector<store::OutboxRow>& rows = state_.undelivered();
    if (rows.empty()) return Status::Ok();
    for (const store::OutboxRow& row : rows) {
      Status status = sink_->Write(row.line);
      if (!status.ok()) return status;
    }
    Status status = sink_->Flush();
    if (!status.ok()) return status;

    delivered += static_cast<int64_t>(rows.size());
    state_.set_delivered_through(rows.back().seq);
    rows.clear();
    return Status::Ok();
  }

 public:
  RunSummary Summarize() {
    RunSummary summary = summary_;
    // Every line is an action: sends, and what policies held back.
    summary.sends = engine_.counters().sends + engine_.counters().held;
    summary.timers_fired = engine_.counters().timers_fired;
    summary.time_entries = engine_.counters().time_entries;
    summary.unknown_zones = engine_.counters().unknown_zones;
    summary.chains_stopped = engine_.counters().chains_stopped;
    summary.chains_limited = engine_.counters().chains_limited;
    summary.redemptions_refused = engine_.redemptions_refused();
    summary.instances_waiting = state_.CountInstances();
    summary.instances_unloaded = state_.unloaded_instances();
    for (const store::ChangedStep& step : state_.edited_steps()) {
      RunSummary::EditedStep& edited =
          summary.edited_steps[{step.journey, step.step}];
      edited.was = step.was;
      edited.now = step.now;
      edited.waiting += step.waiting;
    }
    summary.undelivered = static_cast<int64_t>(state_.undelivered().size());
    summary.unsaved = static_cast<int64_t>(state_.pending_outbox().size());
    summary.clock = state_.clock();
    return summary;
  }

 private:
  sinks::ActionSink* sink_;
  const RunOptions& options_;
  std::string state_path_;
  uint32_t partition_;
  uint32_t partitions_;
  int64_t lines_before_ = 0;
  const std::vector<char>* others_duplicates_ = nullptr;
  // The number of the last line handled in this run, 0 before the first.
  int64_t handled_through_ = 0;
  // See `set_replay_window`: -1 when no partition is behind another.
  int64_t replay_from_ = -1;
  int64_t start_position_ = -1;
  // The keys marked `kReplayed` so far.
  std::unordered_set<std::string> replayed_keys_;
  std::unique_ptr<store::Store> store_;
  store::State state_;
  Engine engine_;
  ingest::Decoder decoder_;
  // The line `Dispatch` decodes, one result reused line after line.
  ingest::DecodeResult decoded_line_;
  DeadLetterFile dead_letters_;
  // A partition's dead letters of the batch, and where the coordinator's
  // file ends after those its next commit covers.
  std::vector<FoundLetter> found_letters_;
  int64_t dead_letter_end_ = 0;
  RunSummary summary_;
  int64_t lines_in_batch_ = 0;
  bool stopped_at_bad_line_ = false;
  // Live: the input's reader; whether each commit records its place (it
  // reads a file named by a path); under `--strict`, its place before
  // the line being handled.
  std::unique_ptr<ingest::FollowReader> follow_reader_;
  bool records_place_ = false;
  std::optional<ingest::ReadPlace> line_start_;
};

// The index of a partition file name ("p-0007.db" -> 7), or -1.
int64_t PartitionIndex(const std::string& name) {
  bool shaped = name.size() == 9 && name.rfind("p-", 0) == 0 &&
                name.compare(6, 3, ".db") == 0;
  for (size_t i = 2; shaped && i < 6; ++i) {
    shaped = name[i] >= '0' && name[i] <= '9';
  }
  return shaped ? std::stoll(name.substr(2, 4)) : -1;
}

// The file in a state folder that records its number of partitions,
// written once every partition file exists.
constexpr const char* kPartitionsFile = "partitions";

// The dead-letter file of a state folder, unless `--dead-letter` names
// one: in the folder, which holds everything of its state.
constexpr const char* kDeadLetterFile = "deadletter.jsonl";

// Reads the folder's record of its number of partitions into `made`;
// leaves it empty when there is no record (a new folder). A record that
// does not hold a number is refused rather than taken for none.
Status ReadPartitionsRecord(const std::string& folder,
                            std::optional<int64_t>& made) {
  std::filesystem::path path = std::filesystem::path(folder) / kPartitionsFile;
  std::ifstream record(path);
  if (!record) return Status::Ok();
  int64_t number = 0;
  std::string rest;
  if (!(record >> number) || number < 1 || (record >> rest)) {
    return Status::Error("`" + path.string() +
                         "` should hold the number of partitions the "
                         "folder was made with (such as 4), alone");
  }
  made = number;
  return Status::Ok();
}

// A partition file lost from a folder whose record says it was made:
// refused by `run` (made anew, it would apply its profiles' events again)
// and by the reports (they would leave its profiles out).
std::string MissingPartitionFile(const std::string& folder, int64_t made,
                                 uint32_t index) {
  return "state folder `" + folder + "` was made with --partitions " +
         std::to_string(made) + ", but its file `" + PartitionFile(index) +
         "` is missing; restore it from a backup, or replay the events "
         "into a new folder";
}

std::string FolderMismatch(const std::string& folder, int64_t made,
                           uint32_t partitions) {
  return "state folder `" + folder + "` was made with --partitions " +
         std::to_string(made) + ", not " + std::to_string(partitions) +
         "; a state keeps the number of partitions it was made with: run "
         "with --partitions " +
         std::to_string(made) + ", or replay the events into a new folder";
}

// Creates the state folder when missing; refuses a folder made for
// another number of partitions, before anything in it is touched.
Status PrepareFolder(const std::string& folder, uint32_t partitions) {
  namespace fs = std::filesystem;
  std::error_code code;
  if (fs::exists(folder, code) && !fs::is_directory(folder, code)) {
    return Status::Error("state `" + folder +
                         "` is a file; with --partitions, --state names a "
                         "folder of state files");
  }
  fs::create_directories(folder, code);
  if (code) {
    return Status::Error("could not create the state folder `" + folder +
                         "`: " + code.message());
  }

  std::optional<int64_t> made;
  Status status = ReadPartitionsRecord(folder, made);
  if (!status.ok()) return status;
  if (made && *made != partitions) {
    return Status::Error(FolderMismatch(folder, *made, partitions));
  }
  // The record is written once every file exists, so a file missing now
  // was lost: made anew, it would apply its profiles' events again and
  // send their actions a second time.
  for (uint32_t i = 0; made && i < partitions; ++i) {
    if (!fs::exists(fs::path(folder) / PartitionFile(i), code)) {
      return Status::Error(MissingPartitionFile(folder, *made, i));
    }
  }
  // Without the record, the folder is new, or a run stopped while it
  // created the files, before it applied anything: a file of a partition
  // beyond the asked number is the only sign of another number.
  for (const auto& entry : fs::directory_iterator(folder, code)) {
    int64_t index = PartitionIndex(entry.path().filename().string());
    if (index >= static_cast<int64_t>(partitions)) {
      return Status::Error(FolderMismatch(folder, index + 1, partitions));
    }
  }
  if (code) {
    return Status::Error("could not read the state folder `" + folder +
                         "`: " + code.message());
  }
  return Status::Ok();
}

// Records the number of partitions, once all their files exist; written
// aside and renamed, so that it is whole or absent.
Status RecordPartitions(const std::string& folder, uint32_t partitions) {
  namespace fs = std::filesystem;
  fs::path path = fs::path(folder) / kPartitionsFile;
  std::error_code code;
  if (fs::exists(path, code)) return Status::Ok();
  fs::path aside = path;
  aside += ".new";
  {
    std::ofstream out(aside, std::ios::trunc);
    out << partitions << "\n";
    out.flush();
    if (!out) {
      return Status::Error("could not write `" + aside.string() + "`");
    }
  }
  fs::rename(aside, path, code);
  if (code) {
    return Status::Error("could not write `" + path.string() +
                         "`: " + code.message());
  }
  return Status::Ok();
}

// A run over N partitions: reads the input once, in batches; the
// partitions apply each batch on their own threads and commit it; then
// their actions are merged in the canonical order and delivered.
class Coordinator {
 public:
  Coordinator(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options)
      : program_(program),
        evaluator_(evaluator),
        events_(events),
        sink_(sink),
        options_(options),
        partitions_(static_cast<uint32_t>(options.partitions)),
        decoder_(program),
        dead_letters_(DeadLetterPathOf(options)) {}

  RunResult Go() {
    Status status = Start();
    if (status.ok()) status = ReadAll();
    // A run stopped by `--strict` ends at its bad line, as with one file:
    // no `--until`, and the next run counts its lines again.
    if (status.ok()) {
      status = Finish();
    } else if (stopped_at_bad_line_) {
      // Every batch up to the stop was delivered (`ReadAll`): record it,
      // so that a rerun does not send it again.
      for (const auto& runner : runners_) {
        Status saved = runner->SaveDelivery();
        if (!saved.ok()) {
          status = saved;
          break;
        }
      }
    }
    RunResult result{status, stopped_at_bad_line_, Summarize()};
    CloseInParallel();
    return result;
  }

 private:
  Status Start() {
    // A file named by `--dead-letter` is checked before anything else; the
    // default one, in the folder, is as writable as the partitions' files.
    if (!options_.dead_letter_path.empty()) {
      Status writable = dead_letters_.CheckWritable();
      if (!writable.ok()) return writable;
    }
    Status status = PrepareFolder(options_.state_path, partitions_);
    if (!status.ok()) return status;
    namespace fs = std::filesystem;

    // Every file is opened (and migrated) before any is read, one after
    // the other, so that a file refused (a newer version, another run's)
    // stops the run before the others are touched.
    std::vector<std::string> paths;
    for (uint32_t i = 0; i < partitions_; ++i) {
      paths.push_back(
          (fs::path(options_.state_path) / PartitionFile(i)).string());
      runners_.push_back(std::make_unique<Runner>(program_, evaluator_, nullptr,
                                                  options_, paths.back(), i,
                                                  partitions_));
      status = runners_.back()->Open();
      if (!status.ok()) return status;
    }

    // Reading a large state takes seconds per million profiles: the
    // partitions read theirs at the same time.
    status = InParallel([](Runner& runner) { return runner.Load(); });
    if (!status.ok()) return status;

    for (uint32_t i = 0; i < partitions_; ++i) {
      status = runners_[i]->ClaimPlace(i, partitions_);
      if (!status.ok()) return status;
    }
    status = RecordPartitions(options_.state_path, partitions_);
    if (!status.ok()) return status;

    status = Recover();
    if (status.ok()) status = ResumeDeadLetters();
    if (!status.ok()) return status;

    int64_t lines = 0;
    for (const auto& runner : runners_) {
      lines = std::max(lines, runner->lines_total());
    }
    for (const auto& runner : runners_) runner->set_lines_before(lines);

    // Partitions a crash left at different lines: see `set_replay_window`.
    // A partition that never recorded its place (a state of an older
    // version) leaves things as they were.
    std::optional<int64_t> least;
    bool known = true;
    for (const auto& runner : runners_) {
      std::optional<int64_t> through = runner->applied_through();
      known = known && through.has_value();
      if (through) least = std::min(least.value_or(*through), *through);
    }
    if (known && least && runners_.size() > 1) {
      for (const auto& runner : runners_) runner->set_replay_window(*least);
    }
    return Status::Ok();
  }

  // A crash may have come between the commits of the last batch. A
  // partition behind the newest merge saw its actions written (a merge is
  // written before any partition commits the next); the actions of those
  // at the newest merge were written fully, in part or not at all, so the
  // sink says how many it holds and the rest go out now.
  Status Recover() {
    for (const auto& runner : runners_) {
      merge_ = std::max(merge_, MergeOf(*runner));
    }
    std::vector<store::OutboxRow> pending;
    for (const auto& runner : runners_) {
      std::vector<store::OutboxRow>& rows = runner->state().undelivered();
      if (rows.empty()) continue;
      if (MergeOf(*runner) == merge_) {
        pending.insert(pending.end(), rows.begin(), rows.end());
      } else {
        MarkDelivered(*runner);
      }
    }
    if (pending.empty()) return Status::Ok();

    SortCanonically(pending);
    std::vector<std::string_view> lines;
    for (const store::OutboxRow& row : pending) lines.push_back(row.line);
    common::Expected<size_t> held = sink_.CountDelivered(lines);
    if (!held.ok()) return held.status();
    size_t skip = std::min(*held, pending.size());
    for (size_t i = skip; i < pending.size(); ++i) {
      Status status = sink_.Write(pending[i].line);
      if (!status.ok()) return status;
    }
    Status status = sink_.Flush();
    if (!status.ok()) return status;
    already_delivered_ = static_cast<int64_t>(skip);
    redelivered_ = static_cast<int64_t>(pending.size() - skip);
    for (const auto& runner : runners_) MarkDelivered(*runner);
    return Status::Ok();
  }

  // The letters after the least place any partition recorded at its last
  // commit may lack their keys in their owner's state (a run killed
  // between writing them and the owner's commit): read them back, so
  // that this run does not write them again. A partition with no record
  // (a new folder, or an older one) records where the file ends now.
  Status ResumeDeadLetters() {
    std::optional<int64_t> from;
    for (const auto& runner : runners_) {
      std::optional<int64_t> end = runner->dead_letter_end();
      if (!end) {
        end = dead_letters_.End();
        Status status = runner->RecordDeadLetterEnd(*end);
        if (!status.ok()) return status;
      }
      from = std::min(from.value_or(*end), *end);
    }
    Status status = dead_letters_.ReadBack(from.value_or(0));
    if (!status.ok()) return status;
    letters_end_ = dead_letters_.RecordableEnd();
    for (const auto& runner : runners_) {
      runner->set_dead_letter_end(letters_end_);
    }
    return Status::Ok();
  }

  static int64_t MergeOf(Runner& runner) {
    auto found = runner.state().run_meta().find("merge");
    return found == runner.state().run_meta().end() ? 0 : found->second;
  }

  static void MarkDelivered(Runner& runner) {
    std::vector<store::OutboxRow>& rows = runner.state().undelivered();
    if (rows.empty()) return;
    runner.state().set_delivered_through(rows.back().seq);
    rows.clear();
  }

  struct Line {
    std::string text;
    bool too_long = false;
    int64_t number = 0;
  };

  // A batch of input lines on its way through the pipeline: read and
  // decoded on the coordinator's thread, then applied by every partition.
  // A slot is filled again once every partition is done with it, so its
  // strings and vectors keep their capacity from batch to batch.
  struct Batch {
    std::vector<Line> lines;
    std::vector<ingest::DecodeResult> decoded;
    // Per line, 1 when its owner found it a duplicate; each partition
    // writes only the entries of its own lines (see `MarkDuplicates`).
    std::vector<char> duplicates;
    // Per partition, the dead letters it found in the batch.
    std::vector<std::vector<FoundLetter>> letters;
  };

  // How far each partition's thread has got, in batches; guarded by
  // `mutex_`, as is everything below it up to `wake_`.
  struct Progress {
    int64_t marked = 0;     // batches whose duplicates it has marked
    int64_t handled = 0;    // batches whose lines it has applied
    int64_t committed = 0;  // batches it has committed
    int64_t lines = 0;      // lines read, at its last commit
    int64_t actions = 0;    // actions decided, at its last commit
  };

  // Batches in flight: the coordinator reads ahead of the partitions by
  // up to this many, less one.
  static constexpr int64_t kPipelineDepth = 3;

  Batch& SlotOf(int64_t batch) {
    return slots_[static_cast<size_t>(batch % kPipelineDepth)];
  }

  // The batches go through a pipeline, each partition on its own thread
  // for the whole input and the coordinator on this one:
  //
  //   coordinator: read and decode batch k+1 .. | deliver batch k
  //   partition:   mark k+1's duplicates, apply k+1 | commit k+1
  //
  // so that reading, decoding and delivering overlap the partitions'
  // work, and a partition starts on the next batch while a slower one
  // still commits. Three waits keep the result that of the batches one
  // after the other:
  //
  // - A partition applies batch k once every partition has marked its
  //   own duplicates in k, from its state after batch k-1, since a
  //   duplicate must leave every clock alone.
  // - A partition commits batch k only once batch k-1 has been delivered:
  //   `Recover` counts on a merge being delivered before any partition
  //   commits the next.
  // - Batch k is delivered once every partition has committed it.
  //
  // Dead letters go to one file, in line order as with one state file:
  // once every partition has applied batch k, the coordinator writes the
  // letters they found in it, and a partition that found one commits k
  // only after that, so that no key reaches a state before its letter
  // reaches the file. A clean batch waits for nothing more.
  //
  // Under `--strict`, every partition stops at the batch's first dead
  // letter, whoever owns it: each sees it as its owner does (the decoding
  // is shared, the clocks are the same, and the owner marks a line it
  // applied before, see `MarkDuplicates`). The partitions then commit the
  // lines before it, its letter is written and the batch delivered, and
  // the run ends there.
  Status ReadAll() {
    merge_base_ = merge_;
    slots_.assign(kPipelineDepth, Batch());
    for (Batch& slot : slots_) slot.letters.resize(runners_.size());
    progress_.assign(runners_.size(), Progress());

    std::vector<std::thread> threads;
    threads.reserve(runners_.size());
    for (const auto& runner : runners_) {
      threads.emplace_back([this, &runner] { PartitionLoop(*runner); });
    }
    Status status = FeedAndDeliver();
    if (!status.ok()) Fail(status);
    for (std::thread& thread : threads) thread.join();

    merge_ = merge_base_ + batches_delivered_;
    if (!failure_.ok()) return failure_;
    // Every batch is delivered; the next commits record it.
    for (const auto& runner : runners_) MarkDelivered(*runner);
    if (strict_stop_batch_ >= 0) {
      stopped_at_bad_line_ = true;
      return strict_stop_;
    }
    return status;
  }

  // The coordinator's side of the pipeline: delivers each batch as soon
  // as every partition has committed it, and otherwise reads ahead.
  Status FeedAndDeliver() {
    ingest::LineReader reader(events_, options_.max_line_bytes);
    int64_t read = 0;
    int64_t written = 0;
    int64_t delivered = 0;
    bool ended = false;
    for (;;) {
      bool can_write = false;
      bool can_deliver = false;
      bool can_read = false;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          bool stopped = strict_stop_batch_ >= 0;
          can_write =
              written < read && AllReached(written + 1, &Progress::handled);
          can_deliver = delivered < written &&
                        AllReached(delivered + 1, &Progress::committed);
          // A slot is read into again once its letters are written.
          int64_t reused = read - kPipelineDepth + 1;
          can_read = !ended && !stopped && written >= reused &&
                     AllReached(reused, &Progress::handled);
          bool done = (ended && delivered == read) ||
                      (stopped && delivered > strict_stop_batch_);
          return stopping_ || can_write || can_deliver || can_read || done;
        });
        if (stopping_) return Status::Ok();
        if (!can_write && !can_deliver && !can_read) break;
      }

      // The partitions with dead letters wait for them before their
      // commit, and all wait for a delivery before their next one, so
      // these go first.
      if (can_write) {
        Status status = WriteLetters(SlotOf(written));
        if (!status.ok()) return status;
        int64_t end = dead_letters_.RecordableEnd();
        Publish([&] {
          letters_written_ = ++written;
          letters_end_ = end;
        });
        continue;
      }
      if (can_deliver) {
        Status status = DeliverMerged();
        if (!status.ok()) return status;
        ReportProgress();
        Publish([&] { batches_delivered_ = ++delivered; });
        continue;
      }

      ended = !ReadBatch(reader, SlotOf(read));
      bool any = !SlotOf(read).lines.empty();
      Publish([&] {
        if (any) batches_read_ = ++read;
        input_ended_ = ended;
      });
    }

    if (reader.failed()) {
      // Every batch read before the stream broke is saved and delivered.
      return runners_.front()->ReadError(reader);
    }
    return Status::Ok();
  }

  // Writes the dead letters the partitions found in `batch`, in line
  // order, but those a killed run wrote already (`ResumeDeadLetters`).
  Status WriteLetters(Batch& batch) {
    std::vector<FoundLetter> letters;
    for (std::vector<FoundLetter>& found : batch.letters) {
      for (FoundLetter& letter : found) letters.push_back(std::move(letter));
      found.clear();
    }
    std::stable_sort(letters.begin(), letters.end(),
                     [](const FoundLetter& a, const FoundLetter& b) {
                       return a.line < b.line;
                     });
    for (const FoundLetter& letter : letters) {
      if (dead_letters_.TakeReadBack(letter.letter)) {
        ++letters_read_back_;
        continue;
      }
      Status status = dead_letters_.Append(letter.letter);
      if (!status.ok()) return status;
    }
    return dead_letters_.Flush();
  }

  // Fills `batch` with the next lines, decoded; false at the end of the
  // input (the batch may still hold its last lines).
  bool ReadBatch(ingest::LineReader& reader, Batch& batch) {
    auto batch_size =
        static_cast<size_t>(std::max<int64_t>(1, options_.batch_size));
    batch.lines.resize(batch_size);
    size_t count = 0;
    bool more = true;
    while (count < batch_size) {
      Line& line = batch.lines[count];
      more = reader.Next(line.text, line.too_long);
      if (!more) break;
      line.number = reader.line_number();
      ++count;
    }
    batch.lines.resize(count);

    // Each line is decoded once for all partitions, in place, so that the
    // slot's results keep their strings' capacity; a line too long is not
    // decoded at all (its outcome stays a dead letter, which no partition
    // but its owner looks at).
    batch.decoded.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const Line& line = batch.lines[i];
      if (line.too_long) {
        batch.decoded[i] = ingest::DecodeResult();
      } else {
        decoder_.Decode(line.text, line.number, batch.decoded[i]);
      }
    }
    batch.duplicates.assign(count, 0);
    return more;
  }

  // A partition's side of the pipeline (see `ReadAll`), until the input
  // ends or something fails.
  void PartitionLoop(Runner& runner) {
    const uint32_t partition = runner.partition();
    for (int64_t k = 0;; ++k) {
      if (!Await([&] {
            return batches_read_ > k || input_ended_ || StoppedBefore(k);
          }) ||
          !Read(k) || Stopped(k)) {
        return;
      }
      // Usually marked already, right after the batch before was applied.
      if (!Reached(partition, k + 1, &Progress::marked)) {
        MarkBatch(runner, k);
      }
      if (!Await([&] {
            return AllReached(k + 1, &Progress::marked) || StoppedBefore(k);
          }) ||
          Stopped(k)) {
        return;
      }

      Batch& batch = SlotOf(k);
      runner.state().run_meta()["merge"] = merge_base_ + k + 1;
      runner.set_others_duplicates(&batch.duplicates);
      Status status = Status::Ok();
      for (size_t i = 0; i < batch.lines.size() && status.ok(); ++i) {
        const Line& line = batch.lines[i];
        status = runner.HandleLine(line.text, line.too_long, line.number,
                                   &batch.decoded[i], i);
      }
      runner.set_others_duplicates(nullptr);
      bool stopped = runner.stopped_at_bad_line();
      if (!status.ok() && !stopped) return Fail(status);
      std::vector<FoundLetter>& letters = batch.letters[partition];
      runner.TakeLetters(letters);
      bool has_letters = !letters.empty();
      Publish([&] {
        progress_[partition].handled = k + 1;
        if (stopped && strict_stop_batch_ < 0) {
          strict_stop_batch_ = k;
          strict_stop_ = status;
        }
      });

      // Marking the next batch now lets the other partitions apply it
      // while this one commits.
      if (!stopped && Read(k + 1)) MarkBatch(runner, k + 1);

      if (!Await([&] {
            return batches_delivered_ >= k &&
                   (!has_letters || letters_written_ > k);
          })) {
        return;
      }
      MarkDelivered(runner);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        runner.set_dead_letter_end(letters_end_);
      }
      // A stop is the run's last commit, which writes the tables up to
      // date, as `Finish` would.
      status = runner.Commit(stopped ? store::Fold::Always : FoldAt(runner, k));
      if (!status.ok()) return Fail(status);
      Publish([&] {
        Progress& progress = progress_[partition];
        progress.committed = k + 1;
        progress.lines = runner.lines_read();
        progress.actions = runner.actions();
      });
      if (stopped) return;
    }
  }

  // Whether a partition stopped under `--strict` in a batch before `k`,
  // so that none goes on to `k`; with `mutex_` held.
  bool StoppedBefore(int64_t k) const {
    return strict_stop_batch_ >= 0 && strict_stop_batch_ < k;
  }
  bool Stopped(int64_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    return StoppedBefore(k);
  }

  // How `runner` commits batch `k`. The partitions fold their deferred
  // rows at the same batch, the first after one of them found its fold
  // due: a fold is the longest of commits, and one partition folding
  // alone would hold the others up at the next delivery, one fold after
  // another. Every partition commits every batch, and none commits
  // batch k+1 before all have committed k, so none misses the batch set
  // here before its own commit of k.
  store::Fold FoldAt(Runner& runner, int64_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fold_at_ == k) return store::Fold::Always;
    if (runner.FoldIsDue()) fold_at_ = std::max(fold_at_, k + 1);
    return store::Fold::Later;
  }

  void MarkBatch(Runner& runner, int64_t k) {
    // Alone, a partition has no one to tell.
    if (runners_.size() > 1) {
      Batch& batch = SlotOf(k);
      int64_t first = batch.lines.empty() ? 0 : batch.lines.front().number;
      runner.MarkDuplicates(batch.decoded, first, batch.duplicates);
    }
    Publish([&] { progress_[runner.partition()].marked = k + 1; });
  }

  // Whether batch `k` has been read (and decoded).
  bool Read(int64_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    return batches_read_ > k;
  }

  // Whether `partition` has done `count` batches of the step `field`.
  bool Reached(uint32_t partition, int64_t count, int64_t Progress::*field) {
    std::lock_guard<std::mutex> lock(mutex_);
    return progress_[partition].*field >= count;
  }

  // Whether every partition has; with `mutex_` held.
  bool AllReached(int64_t count, int64_t Progress::*field) const {
    for (const Progress& progress : progress_) {
      if (progress.*field < count) return false;
    }
    return true;
  }

  // Changes the pipeline's shared state and wakes every thread waiting
  // on it.
  template <typename Change>
  void Publish(Change change) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      change();
    }
    wake_.notify_all();
  }

  // Waits until `ready` holds (read with `mutex_` held); false when the
  // run is stopping instead.
  template <typename Ready>
  bool Await(Ready ready) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || ready(); });
    return !stopping_;
  }

  // Stops the pipeline; the first failure is the run's.
  void Fail(const Status& status) {
    Publish([&] {
      if (stopping_) return;
      stopping_ = true;
      failure_ = status;
    });
  }

  Status Finish() {
    int64_t lines = runners_.front()->Summarize().lines_read;
    dead_letters_.ForgetReadBack();
    for (const auto& runner : runners_) {
      runner->set_dead_letter_end(dead_letters_.End());
    }
    Status status =
        InEachPartition([&](Runner& runner) { return runner.Finish(lines); });
    if (!status.ok()) return status;

    // Record that the last merge was delivered, so that the next run does
    // not look for it in the output again.
    for (const auto& runner : runners_) {
      status = runner->SaveDelivery();
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }

  // Runs `work` (which ends with a commit) in every partition, one thread
  // each, then delivers their merged actions.
  template <typename Work>
  Status InEachPartition(Work work) {
    ++merge_;
    Status status = InParallel([&](Runner& runner) {
      runner.state().run_meta()["merge"] = merge_;
      return work(runner);
    });
    if (!status.ok()) return status;
    status = DeliverMerged();
    if (!status.ok()) return status;
    progress_.resize(runners_.size());
    for (const auto& runner : runners_) {
      MarkDelivered(*runner);
      Progress& progress = progress_[runner->partition()];
      progress.lines = runner->lines_read();
      progress.actions = runner->actions();
    }
    ReportProgress();
    return status;
  }

  // Closing a state file copies its log back into it and frees its
  // tables: as much work per partition as a batch's commit, which one
  // thread would do for each file in turn.
  void CloseInParallel() {
    std::vector<std::thread> threads;
    for (size_t i = 1; i < runners_.size(); ++i) {
      threads.emplace_back([this, i] { runners_[i].reset(); });
    }
    if (!runners_.empty()) runners_.front().reset();
    for (std::thread& thread : threads) thread.join();
    runners_.clear();
  }

  // Runs `work` in every partition, one thread each; the first failure.
  template <typename Work>
  Status InParallel(Work work) {
    std::vector<Status> results(runners_.size(), Status::Ok());
    auto run = [&](size_t i) { results[i] = work(*runners_[i]); };
    std::vector<std::thread> threads;
    for (size_t i = 1; i < runners_.size(); ++i) threads.emplace_back(run, i);
    run(0);
    for (std::thread& thread : threads) thread.join();
    for (const Status& result : results) {
      if (!result.ok()) return result;
    }
    return Status::Ok();
  }

  Status DeliverMerged() {
    std::vector<store::OutboxRow> merged;
    for (const auto& runner : runners_) {
      const std::vector<store::OutboxRow>& rows = runner->state().undelivered();
      merged.insert(merged.end(), rows.begin(), rows.end());
    }
    if (merged.empty()) return Status::Ok();
    SortCanonically(merged);
    for (const store::OutboxRow& row : merged) {
      Status status = sink_.Write(row.line);
      if (!status.ok()) return status;
    }
    Status status = sink_.Flush();
    if (!status.ok()) return status;
    delivered_ += static_cast<int64_t>(merged.size());
    return Status::Ok();
  }

  // After a batch's delivery, from what each partition counted at its
  // commit (they may have gone on to the next batch since).
  void ReportProgress() {
    if (!options_.progress) return;
    int64_t lines = 0;
    int64_t actions = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      lines = progress_.front().lines;
      for (const Progress& progress : progress_) actions += progress.actions;
    }
    options_.progress(lines, actions);
  }

  RunSummary Summarize() {
    RunSummary total;
    for (const auto& runner : runners_) {
      RunSummary part = runner->Summarize();
      // Every partition reads every line.
      total.lines_read = part.lines_read;
      total.blank_lines = part.blank_lines;
      total.events_applied += part.events_applied;
      total.identifies += part.identifies;
      total.duplicates += part.duplicates;
      total.ignored += part.ignored;
      for (const auto& [name, count] : part.ignored_events) {
        total.ignored_events[name] += count;
      }
      for (const auto& [key, count] : part.ignored_traits) {
        total.ignored_traits[key] += count;
      }
      for (const auto& [currency, count] : part.event_currencies) {
        total.event_currencies[currency] += count;
      }
      AddAbsentFields(part, total);
      total.dead_letters += part.dead_letters;
      total.dead_letters_known += part.dead_letters_known;
      total.clock_jumps += part.clock_jumps;
      for (const auto& [zone, count] : part.unknown_zones) {
        total.unknown_zones[zone] += count;
      }
      total.sends += part.sends;
      total.timers_fired += part.timers_fired;
      total.time_entries += part.time_entries;
      total.instances_waiting += part.instances_waiting;
      total.instances_unloaded += part.instances_unloaded;
      for (const auto& [name, step] : part.edited_steps) {
        RunSummary::EditedStep& edited = total.edited_steps[name];
        edited.was = step.was;
        edited.now = step.now;
        edited.waiting += step.waiting;
      }
      total.undelivered += part.undelivered;
      total.unsaved += part.unsaved;
      total.chains_stopped += part.chains_stopped;
      total.chains_limited += part.chains_limited;
      total.redemptions_refused += part.redemptions_refused;
      if (part.clock && (!total.clock || *part.clock > *total.clock)) {
        total.clock = part.clock;
      }
    }
    // Letters a killed run had written are known, as with one file.
    total.dead_letters_known += letters_read_back_;
    if (total.dead_letters > 0) total.dead_letter_path = dead_letters_.path();
    total.delivered = delivered_;
    total.redelivered = redelivered_;
    total.already_delivered = already_delivered_;
    return total;
  }

  const ir::Program& program_;
  const ir::Evaluator& evaluator_;
  std::istream& events_;
  sinks::ActionSink& sink_;
  const RunOptions& options_;
  uint32_t partitions_;
  ingest::Decoder decoder_;
  std::vector<std::unique_ptr<Runner>> runners_;
  int64_t merge_ = 0;
  // The pipeline (see `ReadAll`): batch k commits as merge
  // `merge_base_ + k + 1`.
  int64_t merge_base_ = 0;
  std::vector<Batch> slots_;
  std::mutex mutex_;
  std::vector<Progress> progress_;
  int64_t batches_read_ = 0;
  bool input_ended_ = false;
  int64_t batches_delivered_ = 0;
  // The batch at which every partition folds next (see `FoldAt`).
  int64_t fold_at_ = -1;
  bool stopping_ = false;
  Status failure_ = Status::Ok();
  std::condition_variable wake_;
  int64_t delivered_ = 0;
  int64_t redelivered_ = 0;
  int64_t already_delivered_ = 0;
  // The run's one dead-letter file, written by this thread only.
  DeadLetterFile dead_letters_;
  int64_t letters_read_back_ = 0;
  // Guarded by `mutex_`: the batches whose letters are written, and what
  // a commit then records of the file (`DeadLetterFile::RecordableEnd`).
  int64_t letters_written_ = 0;
  int64_t letters_end_ = 0;
  // Guarded by `mutex_`: under `--strict`, the batch a partition stopped
  // in (-1: none) and its message.
  int64_t strict_stop_batch_ = -1;
  Status strict_stop_ = Status::Ok();
  bool stopped_at_bad_line_ = false;
};

RunResult RunPartitions(const ir::Program& program,
                        const ir::Evaluator& evaluator, std::istream& events,
                        sinks::ActionSink& sink, const RunOptions& options) {
  Coordinator coordinator(program, evaluator, events, sink, options);
  return coordinator.Go();
}

// A run stopped by a failed delivery: what the destination took of the
// batch all the same, so that the summary does not say it got nothing.
RunResult NoteTakenByFailedDelivery(RunResult result,
                                    const sinks::ActionSink& sink) {
  if (!result.status.ok()) {
    result.summary.taken_unrecorded =
        std::min(sink.TakenByFailedFlush(), result.summary.undelivered);
  }
  return result;
}

std::string Plural(int64_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

// Without --partitions, --state names one file. A folder there is most
// likely the state of a run with --partitions: say so, rather than
// SQLite's "unable to open database file".
Status CheckStateIsFile(const std::string& path) {
  std::error_code code;
  if (!std::filesystem::is_directory(path, code)) return Status::Ok();
  std::optional<int64_t> made;
  Status status = ReadPartitionsRecord(path, made);
  if (!status.ok()) return status;
  if (made) {
    return Status::Error(
        "`" + path + "` is a folder of " + std::to_string(*made) +
        " partitions; run with --partitions " + std::to_string(*made));
  }
  return Status::Error("state `" + path +
                       "` is a folder; --state names a state file (or, "
                       "with --partitions N, a folder of N state files)");
}

}  // namespace

RunResult Follow(const ir::Program& program, const ir::Evaluator& evaluator,
                 int fd, sinks::ActionSink& sink, const RunOptions& options) {
  Status checked = CheckStateIsFile(options.state_path);
  if (!checked.ok()) return {checked, false, RunSummary{}};
  Runner runner(program, evaluator, &sink, options, options.state_path, 0, 1);
  Status status = runner.Start();
  runner.set_lines_before(runner.lines_total());
  if (status.ok()) status = runner.Follow(fd);
  return NoteTakenByFailedDelivery(
      {status, runner.stopped_at_bad_line(), runner.Summarize()}, sink);
}

std::string DeadLetterPathOf(const RunOptions& options) {
  if (!options.dead_letter_path.empty()) return options.dead_letter_path;
  if (options.partitions > 0) {
    return (std::filesystem::path(options.state_path) / kDeadLetterFile)
        .string();
  }
  return options.state_path + ".deadletter.jsonl";
}

uint32_t PartitionOf(std::string_view profile, uint32_t partitions) {
  return partitions <= 1 ? 0 : common::Fnv1a32(profile) % partitions;
}

namespace {

// The folder's number of partitions, from its record; an error when it
// has none, since a folder without one was never a finished state.
common::Expected<uint32_t> RecordedPartitions(const std::string& folder) {
  std::optional<int64_t> made;
  Status status = ReadPartitionsRecord(folder, made);
  if (!status.ok()) return status;
  if (!made) {
    return Status::Error("`" + folder +
                         "` is a folder without the record of a run with "
                         "--partitions (its file `" +
                         kPartitionsFile + "`)");
  }
  return static_cast<uint32_t>(*made);
}

}  // namespace

common::Expected<std::string> PartitionFileOf(const std::string& folder,
                                              std::string_view profile) {
  common::Expected<uint32_t> made = RecordedPartitions(folder);
  if (!made.ok()) return made.status();
  uint32_t index = PartitionOf(profile, *made);
  return (std::filesystem::path(folder) / PartitionFile(index)).string();
}

common::Expected<std::vector<std::string>> PartitionFilesOf(
    const std::string& folder) {
  common::Expected<uint32_t> made = RecordedPartitions(folder);
  if (!made.ok()) return made.status();
  std::vector<std::string> files;
  for (uint32_t i = 0; i < *made; ++i) {
    std::filesystem::path file =
        std::filesystem::path(folder) / PartitionFile(i);
    std::error_code code;
    if (!std::filesystem::exists(file, code)) {
      return Status::Error(MissingPartitionFile(folder, *made, i));
    }
    files.push_back(file.string());
  }
  return files;
}

RunResult Run(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options) {
  if (options.partitions > 0) {
    return NoteTakenByFailedDelivery(
        RunPartitions(program, evaluator, events, sink, options), sink);
  }
  Status checked = CheckStateIsFile(options.state_path);
  if (!checked.ok()) return {checked, false, RunSummary{}};
  Runner runner(program, evaluator, &sink, options, options.state_path, 0, 1);
  Status status = runner.Start();
  runner.set_lines_before(runner.lines_total());
  if (status.ok()) status = runner.ReadAll(events);
  if (status.ok()) status = runner.Finish(runner.Summarize().lines_read);
  return NoteTakenByFailedDelivery(
      {status, runner.stopped_at_bad_line(), runner.Summarize()}, sink);
}

// The currencies the program writes amounts in: its money literals (in
// segments, conditions and values) and its loyalty programs' units.
static std::set<int64_t> ProgramCurrencies(const ir::Program& program) {
  std::set<int64_t> currencies;
  for (const ir::Function& function : program.functions) {
    for (const ir::Inst& inst : function.body) {
      if (inst.op == ir::Op::Const && inst.type == ir::Type::Money &&
          inst.imm2 != ir::kNoCurrency && inst.imm2 != ir::kMixedCurrency) {
        currencies.insert(inst.imm2);
      }
    }
  }
  for (const ir::LoyaltyProgram& loyalty : program.loyalty) {
    for (const ir::EarnPerAmount& earn : loyalty.earn_per_amount) {
      currencies.insert(earn.unit_currency);
    }
    if (loyalty.currency != ir::kNoCurrency) {
      currencies.insert(loyalty.currency);
    }
  }
  return currencies;
}

void NoteAbsentNearMisses(const ir::Program& program, RunSummary& summary) {
  summary.absent_near.clear();
  for (size_t type = 0; type < summary.near_keys.size(); ++type) {
    for (size_t field = 0; field < summary.near_keys[type].size(); ++field) {
      const std::set<std::string>& keys = summary.near_keys[type][field];
      if (keys.empty()) continue;
      const ir::EventType& event = program.events[type];
      std::vector<std::string_view> candidates(keys.begin(), keys.end());
      std::string_view nearest =
          common::NearestName(event.fields[field].wire_name, candidates);
      summary.absent_near.push_back(
          {event.wire_name, event.fields[field].wire_name, std::string(nearest),
           summary.absent_by_field[type][field], summary.events_by_type[type]});
    }
  }
}

void NoteNearMisses(const ir::Program& program, RunSummary& summary) {
  // Amounts in a currency the program never writes compare false with
  // every amount it does write: a GBP shop running thresholds copied in
  // EUR has segments that never hold, and no error says so.
  std::set<int64_t> written = ProgramCurrencies(program);
  if (!written.empty()) {
    for (const auto& [currency, count] : summary.event_currencies) {
      if (written.count(currency) != 0) continue;
      summary.foreign_currencies[ir::UnpackCurrency(currency)] = count;
    }
    for (int64_t currency : written) {
      summary.program_currencies.push_back(ir::UnpackCurrency(currency));
    }
  }

  std::vector<std::string_view> event_names;
  for (const ir::EventType& event : program.events) {
    event_names.push_back(event.wire_name);
  }
  for (const auto& [name, count] : summary.ignored_events) {
    std::string_view near = common::NearestName(name, event_names);
    if (!near.empty()) summary.ignored_near[name] = std::string(near);
  }
  // A trait the stream spells otherwise than the program (`timeZone`,
  // `phone_number`) leaves its attribute at its default for everyone.
  std::vector<std::string_view> attribute_names;
  for (const ir::Field& field : program.profile) {
    attribute_names.push_back(field.wire_name);
  }
  for (const auto& [key, count] : summary.ignored_traits) {
    std::string_view near = common::NearestName(key, attribute_names);
    if (!near.empty()) summary.ignored_traits_near[key] = std::string(near);
  }
  NoteAbsentNearMisses(program, summary);

  // A zone misspelt by the sender runs as UTC; name the one it meant.
  if (!summary.unknown_zones.empty()) {
    std::vector<std::string> zones = ir::TimeZoneNames();
    std::vector<std::string_view> zone_names(zones.begin(), zones.end());
    for (const auto& [zone, count] : summary.unknown_zones) {
      std::string_view near = common::NearestName(zone, zone_names);
      if (!near.empty()) summary.unknown_zones_near[zone] = std::string(near);
    }
  }
}

void NoteEmptyProgram(const ir::Program& program, RunSummary& summary) {
  summary.no_journeys = program.journeys.empty();
}

// " (did you mean `Europe/Paris`?)" for a zone spelt like a known one.
static std::string ZoneHint(const RunSummary& summary,
                            const std::string& zone) {
  auto near = summary.unknown_zones_near.find(zone);
  if (near == summary.unknown_zones_near.end()) return "";
  return " (did you mean `" + near->second + "`?)";
}

// Notes on input the program may have been meant to read: names close to
// the declared ones, amounts in another currency.
static void AppendInputNotes(const RunSummary& summary, std::string& text) {
  // A typo in an event's name, in the program or in the stream, makes a
  // run that does nothing; say which names were ignored, and what they
  // look like.
  for (const auto& [name, near] : summary.ignored_near) {
    text +=
        "note: " + Plural(summary.ignored_events.at(name), "line", "lines") +
        " of event `" + common::VisibleText(name) +
        (summary.ignored_events.at(name) == 1 ? "` was" : "` were") +
        " ignored: the program declares `" + near +
        "`; is one of them misspelt?\n";
  }
  for (const auto& [key, near] : summary.ignored_traits_near) {
    int64_t count = summary.ignored_traits.at(key);
    text += "note: the trait `" + common::VisibleText(key) +
            "` was ignored in " + Plural(count, "identify", "identifies") +
            ": the profile declares `" + near + "`; is one of them misspelt?\n";
  }
  for (const RunSummary::AbsentNearMiss& miss : summary.absent_near) {
    text += "note: `" + miss.event + "` events carry `" +
            common::VisibleText(miss.key) + "` where the program declares `" +
            miss.field + "` (absent from " + std::to_string(miss.absent) +
            " of " + std::to_string(miss.events) +
            " of them); is one of them misspelt?\n";
  }
  if (!summary.foreign_currencies.empty()) {
    std::string written;
    for (const std::string& currency : summary.program_currencies) {
      written += (written.empty() ? "" : ", ") + currency;
    }
    for (const auto& [currency, count] : summary.foreign_currencies) {
      text += "note: " + Plural(count, "event", "events") +
              " carried amounts in " + currency +
              ", but the program writes its amounts in " + written +
              ": money of two currencies never compares true, so a "
              "condition such as `>= 100 " +
              summary.program_currencies.front() +
              "` never holds for them; write the program's amounts in " +
              currency + " if that is the shop's currency\n";
    }
  }
}

// What became of the actions the run decided, and what stopped short.
static void AppendActionLines(const RunSummary& summary, std::string& text) {
  // "sent" only when it is true of every action the run decided. What a
  // receiver took of a batch whose delivery then failed is counted as
  // delivered, since an operator compares this with what it holds.
  if (summary.delivered == summary.sends && summary.taken_unrecorded == 0) {
    text += "sent " + Plural(summary.sends, "action", "actions");
  } else {
    text += "decided " + Plural(summary.sends, "action", "actions") +
            ", delivered " +
            std::to_string(summary.delivered + summary.taken_unrecorded);
    if (summary.taken_unrecorded > 0) {
      text += " (" + std::to_string(summary.taken_unrecorded) +
              " of them in a batch not recorded as delivered)";
    }
  }
  // Timers are the waits; what a schedule, a date or a segment flipping
  // with time starts is counted apart, since no timer and no line of the
  // input accounts for it.
  text +=
      ", " + Plural(summary.timers_fired, "timer", "timers") + " fired, " +
      Plural(summary.time_entries, "time-driven entry", "time-driven entries") +
      ", " + Plural(summary.instances_waiting, "instance", "instances") +
      " waiting\n";
  if (summary.no_journeys) {
    text +=
        "warning: the program has no journey, so no one can enter one and "
        "no message can go out; give `run` the files of the journeys too\n";
  }
  if (summary.redelivered > 0) {
    text += "re-sent " + Plural(summary.redelivered, "action", "actions") +
            " committed by an interrupted run\n";
  }
  if (summary.already_delivered > 0) {
    text += "skipped " +
            Plural(summary.already_delivered, "action", "actions") +
            " of an interrupted run already in the output\n";
  }
  if (summary.taken_unrecorded > 0) {
    // The receiver has some of the batch, but the state cannot mark part
    // of a batch delivered: the repeats are for its idempotency keys.
    text += "warning: " + Plural(summary.undelivered, "action", "actions") +
            " of the last batch " + (summary.undelivered == 1 ? "is" : "are") +
            " saved but not recorded as delivered; the receiver took the "
            "first " +
            std::to_string(summary.taken_unrecorded) +
            " of them before the delivery failed, and the next run posts "
            "the whole batch again first, with the same idempotency keys, "
            "so a receiver that keeps the keys drops the repeats\n";
  } else if (summary.undelivered > 0) {
    bool one = summary.undelivered == 1;
    text += "warning: " + Plural(summary.undelivered, "action", "actions") +
            (one ? " is" : " are") + " saved but " + (one ? "was" : "were") +
            " not delivered; the next run sends " + (one ? "it" : "them") +
            " first\n";
  }
  if (summary.unsaved > 0) {
    bool one = summary.unsaved == 1;
    text += "warning: " + Plural(summary.unsaved, "action", "actions") +
            (one ? " was" : " were") +
            " not saved; running the same events again decides " +
            (one ? "it" : "them") + " again\n";
  }
  if (summary.instances_unloaded > 0) {
    bool one = summary.instances_unloaded == 1;
    text += "warning: " +
            Plural(summary.instances_unloaded, "waiting contact",
                   "waiting contacts") +
            (one ? " matches" : " match") + " no step of the program and " +
            (one ? "was" : "were") + " left in the state; see the log table\n";
  }
  // A step edited under its waiting contacts: they go on after the new
  // one, which the author may not have meant (docs/runtime.md).
  for (const auto& [name, step] : summary.edited_steps) {
    bool one = step.waiting == 1;
    text += "warning: " +
            Plural(step.waiting, "waiting contact", "waiting contacts") +
            " of journey `" + name.first + "`" + (one ? " is" : " are") +
            " at step `" + name.second + "`, which was `" + step.was +
            "` when " + (one ? "it" : "they") + " got there and is `" +
            step.now + "` now; " + (one ? "it keeps" : "they keep") +
            " the time " + (one ? "it was" : "they were") + " due and " +
            (one ? "goes" : "go") + " on after it\n";
  }
  // Journeys that emit or set what starts each other loop until the
  // engine cuts the chain; the events it dropped change nothing, which
  // only the log table said.
  if (summary.chains_stopped > 0) {
    bool one = summary.chains_stopped == 1;
    text += "warning: " + Plural(summary.chains_stopped, "loop", "loops") +
            " of emitted events and segment changes, each set off by the "
            "one before, ran past " +
            std::to_string(kMaxChainDepth) + " links and " +
            (one ? "was" : "were") +
            " cut, the rest not applied; look for journeys that emit or set "
            "what starts each other (the log table names the profile, "
            "journey and step, level `warn`)\n";
  }
  // A fan-out no loop explains, but too large to play out whole.
  if (summary.chains_limited > 0) {
    bool one = summary.chains_limited == 1;
    text += "warning: " + Plural(summary.chains_limited, "input", "inputs") +
            " set off more than " + std::to_string(kMaxChainLinks) +
            " emitted events and segment changes, the limit for one; the "
            "rest " +
            (one ? "was" : "were") +
            " not applied (the log table names the profile, journey and "
            "step, level `warn`)\n";
  }

  // A till that gave a reward the member could not pay for is only in
  // the log table otherwise.
  if (summary.redemptions_refused > 0) {
    bool one = summary.redemptions_refused == 1;
    text += "warning: " +
            Plural(summary.redemptions_refused, "redemption", "redemptions") +
            (one ? " was" : " were") +
            " refused for asking more points than the member held, and "
            "changed nothing; the log table names " +
            (one ? "it" : "each") + " (level `warn`, component `loyalty`)\n";
  }
}

static void AppendZoneWarnings(const RunSummary& summary, std::string& text) {
  // A typo in a zone ("Europe/Pari") runs those profiles in UTC: their
  // quiet hours and `wait until 09:00 local` are hours off.
  // A stream that fills the field with junk names many zones: the first
  // few say what is wrong, and the log table holds the rest.
  constexpr size_t kZonesNamed = 5;
  size_t named = 0;
  int64_t others = 0;
  for (const auto& [zone, count] : summary.unknown_zones) {
    if (named++ >= kZonesNamed) {
      others += count;
      continue;
    }
    bool one = count == 1;
    text += "warning: " + Plural(count, "profile", "profiles") +
            (one ? " was" : " were") + " given the time zone `" +
            common::VisibleText(zone) +
            "`, which the tz database does not know" + ZoneHint(summary, zone) +
            "; " + (one ? "its" : "their") + " local times run in UTC\n";
  }
  if (others > 0) {
    text += "warning: and " + Plural(others, "profile", "profiles") + " of " +
            std::to_string(summary.unknown_zones.size() - kZonesNamed) +
            " other unknown time zones; the log table names them\n";
  }
}

// The clock the run reached and where its dead letters are.
static void AppendClockAndDeadLetters(const RunSummary& summary,
                                      std::string& text) {
  if (summary.clock) {
    text += "clock at " + common::FormatTime(*summary.clock) + "\n";
  }
  // The clock does not follow a refused line, so after a real gap in the
  // data every later line is refused too; say how to take them.
  if (summary.clock_jumps > 0) {
    text += "note: " + Plural(summary.clock_jumps, "line", "lines") +
            " went to the dead letters for being too far ahead of the "
            "clock; if the stream really skips ahead, run them again with "
            "a larger --max-clock-jump (0 for no limit)\n";
  }
  if (summary.dead_letters > summary.dead_letters_known) {
    text += "dead letters written to `" + summary.dead_letter_path + "`\n";
  } else if (summary.dead_letters > 0) {
    std::error_code error;
    if (std::filesystem::exists(summary.dead_letter_path, error)) {
      text += "dead letters written to `" + summary.dead_letter_path +
              "` by an earlier run\n";
    } else {
      // The state remembers the lines, so they are not written again.
      text +=
          "warning: the dead letters were written by an earlier run, "
          "but `" +
          summary.dead_letter_path +
          "` is not there; that run's dead-letter file has them\n";
    }
  }
}

std::string FormatSummary(const RunSummary& summary) {
  std::string dead_letters =
      Plural(summary.dead_letters, "dead letter", "dead letters");
  if (summary.dead_letters_known > 0) {
    dead_letters += " (" + std::to_string(summary.dead_letters_known) +
                    " already in the dead-letter file)";
  }
  std::string text =
      "read " + Plural(summary.lines_read, "line", "lines") + ": " +
      Plural(summary.events_applied, "event", "events") + " applied, " +
      Plural(summary.identifies, "identify", "identifies") + ", " +
      Plural(summary.duplicates, "duplicate", "duplicates") + " skipped, " +
      std::to_string(summary.ignored) + " ignored (undeclared event), " +
      dead_letters + ", " + std::to_string(summary.blank_lines) + " blank\n";

  AppendInputNotes(summary, text);
  AppendActionLines(summary, text);
  AppendZoneWarnings(summary, text);
  AppendClockAndDeadLetters(summary, text);
  return text;
}

}  // namespace parcours::engine
