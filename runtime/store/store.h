// The SQLite state file of one partition.
//
// Schema (its version, `kSchemaVersion`, kept in `PRAGMA user_version`):
//   meta(key, value)           clock, next_seq, applied_line,
//                              outbox_delivered, and the runner's own
//                              keys (`State::run_meta`)
//   profiles(id, attrs, aggregates, segments, entries, recheck_at,
//            last_seq)         JSON objects keyed by attribute, aggregate
//                              (see `AggregateName`), segment name and
//                              journey (last entry time, schema 3); when
//                              its windows next move (schema 12); the
//                              number of its last instance (schema 16)
//   instances(profile, journey, seq, step, step_name, wake_at, entered_at,
//             locals, arrived, waits_since)
//                              journey by name, locals by field name, the
//                              event a `wait for ... as` received
//                              (schema 3), when the contact reached the
//                              `wait for` it waits at (schema 15)
//   history(profile, events)   the events windowed aggregates still read,
//                              by event name (schema 4)
//   contacts, deferrals, decisions, consent_ledger
//                              the pressure policy's and consent's tables
//                              (schema 5, runtime/store/policy_ledger.h;
//                              contacts.category from schema 6,
//                              decisions.late from schema 10)
//   processed_chunks(chunk, ids)
//                              keys of applied events
//                              (`DecodedEvent::key`), each save's as one
//                              JSON array of strings (schema 8)
//   processed(message_id)      a view: one row per key of those arrays
//   pending_rows(batch, rows)  profile, history and instance rows saved
//                              but not yet written to their tables, one
//                              blob per save (schema 9, pending_rows.h)
//   dead_letters(key)          content keys of lines in the dead-letter
//                              file (schema 2), so a rerun does not append
//                              them again
//   outbox(seq, id, line)      every action, keyed by its idempotency id
//   log(at, level, component, profile, journey, step, message)
//   steps(journey, step, heading)
//                              each step of the program that last saved,
//                              as written (schema 17, step_headings.h)
//
// The file runs in WAL mode with synchronous=NORMAL: a process crash loses
// nothing committed, a power cut at most the last commits.
//
// One run at a time: an open `Store` holds an exclusive lock on
// `<path>.lock` (see `FileLock`), so that two runs cannot both read the
// same state and each save its own continuation of it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "compiler/ir/ir.h"
#include "runtime/common/status.h"
#include "runtime/store/checkpointer.h"
#include "runtime/store/file_lock.h"
#include "runtime/store/loyalty_tables.h"
#include "runtime/store/pending_rows.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/state.h"
#include "runtime/store/step_headings.h"

namespace parcours::store {

// The newest schema this build reads and writes.
inline constexpr int64_t kSchemaVersion = 17;

// The `meta` key of the first `processed_chunks` row written by the save
// that last moved `applied_through` (engine/run.cpp); its absence, in a
// state of an older version, makes every processed id a candidate.
inline constexpr const char* kAppliedKeysFrom = "applied_keys_from";

// When a save writes the profile, history and instance rows that changed
// to their tables (see `Store::Save`).
enum class Fold : uint8_t {
  Always,   // now, with those of every save since the last fold
  WhenDue,  // only once enough saves have deferred theirs
  Later,    // not now, however many: the caller folds when it chooses
};

// Opens the state file at `path` read only, for a report: refuses a
// folder (the state of a run with `--partitions`), a file of a newer
// schema and an SQLite file that is not a Parcours state, each with a
// message that names the file.
common::Expected<Database> OpenStateForReading(const std::string& path);

// Reads a state file into a `State` and writes its changes back. A state
// of many profiles loads lazily: the timers and re-check times at once,
// each profile when it is first needed (`ProfileWarmer`).
class Store : public ProfileWarmer {
 public:
  // Opens the state file at `path`, creating it when missing and migrating
  // an older schema. A file of a newer schema, or an SQLite file that is
  // not a Parcours state, is refused before anything is written to it.
  // First takes the lock on `<path>.lock`, held until the store is
  // destroyed; while another store holds it, fails at once with "state
  // file `path` is in use by another run", having touched nothing.
  static common::Expected<std::unique_ptr<Store>> Open(const std::string& path);

  // Reads the whole state into `state`, which must be empty, laid out for
  // `state.program()`: attributes missing from a row take their defaults,
  // stored values the program no longer declares are dropped, and an
  // instance whose journey or step no longer exists is left in the file
  // and not loaded (each with a `warn` row in the log, and counted in
  // `state.unloaded_instances()`).
  common::Status Load(State& state);

  // Writes the changes recorded in `state` (dirty profiles and instances,
  // new processed ids, outbox and log rows, meta) in one transaction. On
  // success the changes are cleared and the outbox rows, now numbered, wait
  // in `state.undelivered()`; on failure nothing was written.
  //
  // With `Fold::WhenDue`, the profile, history and instance rows go to
  // `pending_rows` as one blob, until the blobs outnumber the state's own
  // rows a few times over; then, and with `Fold::Always`, every profile
  // changed since the last fold has its rows written to `profiles`,
  // `history` and `instances`, and the blobs are deleted. A run saves its
  // batches `WhenDue` and its end `Always`, so that the tables are up to
  // date once it stops; blobs left by a run that did not stop are
  // replayed into the tables by the next `Load`.
  common::Status Save(State& state, Fold fold = Fold::Always);

  // Whether a save `WhenDue` of `state` would fold now: for a caller that
  // folds several stores together (the partitions of a run, so that one
  // does not wait while another folds).
  bool FoldIsDue(const State& state) const;

  // The number the next save's row of `processed_chunks` will have, if it
  // writes one: the ids of a save are those of the rows from it on.
  int64_t NextProcessedChunk() const { return last_chunk_ + 1; }

  const std::string& path() const { return path_; }

  // `ProfileWarmer`: what a lazy load left in the file.
  common::Status Warm(State& state, Profile& profile) override;
  common::Expected<Profile*> Fetch(State& state, const std::string& id,
                                   uint64_t hash) override;
  common::Status WarmAll(State& state) override;

 private:
  Store(std::string path, FileLock lock, Database db);

  common::Status PrepareStatements();
  common::Status LoadMeta(State& state);
  // Refuses a `meta` that lacks a row every save writes (`keys` are the
  // rows it holds), unless no run saved anything to the file yet, and a
  // clock before the newest action in the outbox.
  common::Status CheckSavedCounters(const std::set<std::string>& keys,
                                    const State& state);
  // Compares the program's steps with those of the program that last
  // saved (step_headings.h): refuses a program that moved waiting
  // contacts to another step, and warns of steps edited under them.
  common::Status CheckSteps(State& state);
  // The profiles with their histories, and the waiting instances in
  // their profiles (the instances read on a second thread meanwhile).
  common::Status LoadProfilesAndInstances(State& state);
  // With `rechecks_saved`, each profile's saved re-check time is queued.
  common::Status LoadProfiles(State& state, bool rechecks_saved);
  // A lazy load's profiles: those with a re-check time, left cold.
  common::Status LoadRecheckedProfiles(State& state);
  common::Status PrepareWarmStatements();
  // `found`: whether `profiles` holds a row for the profile.
  common::Status WarmRecord(State& state, Profile& profile, bool& found);
  common::Status WarmHistory(State& state, Profile& profile);
  common::Status WarmLocals(State& state, Profile& profile);
  static void SetConsentWords(State& state, Profile& profile);
  common::Status LoadHistories(State& state);
  common::Status LoadProcessed(State& state);
  common::Status LoadDeadLettered(State& state);
  common::Status LoadUndelivered(State& state);
  common::Status WriteChanges(State& state, bool folding);
  // The rows of every profile changed since the last fold, to their
  // tables; or those of this save's changes, as one blob.
  common::Status WriteUnflushedRows(State& state);
  common::Status WritePendingRows(const State& state);
  // Writes the blobs of `pending_rows` to their tables and deletes them.
  common::Status ReplayPendingRows();
  common::Status ReplayBlob(int64_t batch, std::string_view blob);
  common::Status WriteProcessed(const State& state);
  common::Status WriteDeadLettered(const State& state);
  common::Status WriteOutbox(State& state);
  common::Status WriteLog(const State& state);
  static void BindLogRow(Statement& insert, int before, const LogRow& row,
                         std::string& at);
  // Each writes its rows to their tables, or with `defer` to its blob.
  common::Status WriteProfile(const State& state, const Profile& profile,
                              PendingRowWriter* defer);
  // Writes `row` to its table, or with `defer` to its blob.
  common::Status WriteRow(const PendingRow& row, PendingRowWriter* defer);
  common::Status RunRow(const PendingRow& row);
  // The instance rows of the journeys flagged in `journeys`.
  common::Status WriteInstances(const State& state, const Profile& profile,
                                const JourneyFlags& journeys,
                                PendingRowWriter* defer);
  common::Status WriteMeta(const State& state);

  // "state file `path`", the context of every message.
  std::string Context() const;

  std::string path_;
  // Declared before `db_`, so released only after the database is closed.
  FileLock lock_;
  Database db_;
  // Declared after `db_`, so stopped before the database is closed; none
  // when its connection could not be opened (SQLite then checkpoints on
  // the writer's thread, as it does by default).
  std::unique_ptr<Checkpointer> checkpointer_;
  int64_t last_outbox_seq_ = 0;

  Statement upsert_profile_;
  Statement upsert_history_;
  Statement upsert_instance_;
  Statement delete_instance_;
  Statement insert_processed_chunk_;
  Statement insert_pending_rows_;
  Statement insert_dead_lettered_;
  Statement insert_outbox_;
  Statement insert_log_;
  // The log's columns, and the rows one `insert_log_rows_` adds.
  static constexpr int kLogColumns = 7;
  static constexpr int kLogRowsPerInsert = 32;
  Statement insert_log_rows_;
  // The text of each row's time, alive until its insert runs.
  std::string log_at_text_[kLogRowsPerInsert];
  Statement upsert_meta_;
  // Scratch text of a row's JSON columns, reused from row to row.
  std::string column_text_[4];
  // Scratch text of the save's chunk of applied keys.
  std::string chunk_text_;
  // The number of the last `processed_chunks` row, read at load and
  // counted on by each save that writes one.
  int64_t last_chunk_ = 0;

  // The blob of the rows this save defers, and how many rows the blobs
  // of `pending_rows` hold since the last fold (none after a load, which
  // replays them).
  PendingRowWriter pending_writer_;
  int64_t pending_entries_ = 0;
  // Whether `pending_rows` may hold rows: unknown until a load or a fold.
  bool pending_rows_present_ = true;
  static constexpr int64_t kPendingRowsPerLiveRow = 4;
  static constexpr int64_t kPendingRowsAlwaysAllowed = 10'000;
  // The program's re-check fingerprint, worked out at load, and the one
  // the file's `meta` holds, if any.
  std::optional<int64_t> fingerprint_;
  std::optional<int64_t> stored_fingerprint_;
  // The file's `steps` table as loaded; the same with the program's
  // steps over it, and whether the table holds that already (else the
  // next save writes it).
  StepHeadings stored_steps_;
  StepHeadings steps_to_save_;
  bool steps_saved_ = false;
  // Whether the load left profiles cold, and how many rows of `profiles`
  // are not yet in memory (none left: a new id needs no lookup).
  bool lazy_ = false;
  int64_t unread_profiles_ = 0;
  // How many profiles in memory are cold: a lazy load makes them all so,
  // and each warming takes one off.
  int64_t cold_profiles_ = 0;
  // A lazy load's reads of one profile, prepared at its first warming.
  bool warm_prepared_ = false;
  Statement select_profile_;
  Statement select_history_;
  Statement select_locals_;
  Statement profile_exists_;
  Statement begin_read_;
  Statement end_read_;
  AccountReadersPtr account_readers_;

  // The log's length, in pages, that calls for a checkpoint.
  static constexpr int kCheckpointPages = 10'000;
};

}  // namespace parcours::store
