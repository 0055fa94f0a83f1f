// Running a program over an event stream: the runtime's entry point.
//
// `Run` reads JSON lines in input order, decodes them, applies them to the
// state file through the engine, and hands the resulting actions to a
// sink, batch by batch:
//
//   1. each batch of events changes the in-memory state and collects its
//      actions in the outbox;
//   2. the batch (state, processed ids, outbox rows) commits in one SQLite
//      transaction;
//   3. only then does the sink get the batch's actions.
//
// So a crash never sends an action whose cause is not saved, and a rerun of
// the same events sends nothing: their keys (message ids, or the content
// of lines without one) are known, their timers are gone. Actions
// committed but not yet recorded as delivered when a run stopped go out
// first in the next run, minus those the sink says it already has (see
// `ActionSink::CountDelivered`).
//
// Before a line is applied it must pass two checks that keep one bad line
// from spoiling the rest: its key must be new (else it is a duplicate,
// even if it would no longer decode), and its time must not run more than
// `max_clock_jump` ahead of the clock (else it is a dead letter). A line
// dead-lettered by an earlier run on the same state is counted but not
// appended to the dead-letter file again.
//
// Output order. Each commit's actions are put in the canonical order
// before they are saved and delivered: by time (`at`), then by profile id
// (bytewise), each profile's actions in the order they happened. Commits
// fall every `batch_size` lines, whatever the partitions, so the output is
// the same bytes for any number of them.
//
// Partitions. With `partitions` = N, a profile belongs to partition
// `PartitionOf(id, N)`, whose state file holds its state and its own
// applied position. Every partition reads every line, applies those of
// its profiles, and moves its clock with all the others, so timers fire
// on time in a partition that receives no events. The partitions work on
// a batch of lines in parallel; their dead letters go to the run's one
// file, in line order, before the partition that found one commits the
// batch (its state keeps the letter's key); each commits the batch, and
// only then are their actions merged in the canonical order and delivered.
// Under `strict`, every partition stops at the first dead letter, whoever
// owns it, so that none applies a line after it.
// The batches flow through a pipeline: while the partitions apply one,
// the next is read and decoded, and the one before delivered; a partition
// commits a batch only once the batch before it was delivered.
// A crash between commits of different partitions is repaired on the next
// start: actions some partitions committed in the last batch go out then,
// each once.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "runtime/common/status.h"
#include "runtime/sinks/action_sink.h"

namespace parcours::engine {

struct RunOptions {
  std::string state_path;
  // Where unusable lines go; empty means `DeadLetterPathOf`'s default.
  std::string dead_letter_path;
  // Stop at the first unusable line, with an error naming it.
  bool strict = false;
  // Input lines per transaction (values below 1 count as 1).
  int64_t batch_size = 10000;
  // After the input, move the clock to this time (when later) and fire
  // what falls due; seconds since the epoch.
  std::optional<int64_t> until;
  // A longer line is a dead letter, whatever it holds.
  size_t max_line_bytes = size_t{1} << 20;
  // A line whose time is further ahead of the clock than this is a dead
  // letter (a typo like year 9999 would otherwise move the clock there for
  // good); seconds, 0 for no limit. The first line of a new state sets the
  // clock unchecked.
  int64_t max_clock_jump = 90 * 86400;
  // How messages name the input: "events file `x`", "stdin".
  std::string events_name = "the events";
  // 0: `state_path` is one state file. N >= 1: `state_path` is a folder of
  // N state files, `p-0000.db` to `p-<N-1>.db`, one per partition, run on
  // N threads (see "Partitions" above).
  int partitions = 0;
  // Called after each commit with the lines read and the actions decided
  // so far (for a progress line); may be empty.
  std::function<void(int64_t lines, int64_t actions)> progress;
  // Live mode (`Follow`): the wall clock, in seconds since the epoch, and
  // a flag a signal handler sets to end the run cleanly.
  std::function<int64_t()> now;
  const volatile std::sig_atomic_t* stop = nullptr;
  // Live mode: the path the events file was opened by, watched for a log
  // rotation that replaces the file (see `Follow`); empty for stdin.
  std::string events_path;
  // Live mode: the descriptor given to `Follow` stands in for
  // `events_path`, which does not exist yet (`EventInput::StandIn`).
  bool events_awaited = false;
  // Live mode: called with a `log` row's level and message when the input
  // changes under the run (a file cut back, moved away, replaced), so that
  // the command line can say it at once; may be empty.
  std::function<void(const std::string& level, const std::string& message)>
      input_notice;
  // One-click unsubscribe headers on email sends (runtime/policy/
  // unsubscribe.h); an empty URL adds none.
  std::string unsubscribe_url;
  std::string unsubscribe_key;
};

struct RunSummary {
  int64_t lines_read = 0;
  int64_t blank_lines = 0;
  int64_t events_applied = 0;  // track events of declared types
  int64_t identifies = 0;
  int64_t duplicates = 0;  // skipped: key applied before
  int64_t ignored = 0;     // track events of undeclared types
  // Of `ignored`, the count by `event` name, and for a name close to a
  // declared one (a typo in the program or the stream), that name.
  std::map<std::string, int64_t> ignored_events;
  std::map<std::string, std::string> ignored_near;
  // Trait keys of applied identifies that the profile does not declare,
  // with the number of identifies that carried each, and for a key close
  // to a declared attribute's (`timeZone`, `e_mail`), that attribute's.
  std::map<std::string, int64_t> ignored_traits;
  std::map<std::string, std::string> ignored_traits_near;
  // Applied track events by event type; by type and optional field, how
  // many left the field out, and the keys spelt nearly like the field's
  // that such events carried (from the lines `SamplesProperties` picks;
  // the `kNearKeys` first in byte order, so that the same stream gives
  // the same keys for any number of partitions). And, by `NoteNearMisses`,
  // each such field with its first key: a misspelt key leaves the field
  // empty for everyone, in silence.
  static constexpr size_t kNearKeys = 8;
  std::vector<int64_t> events_by_type;
  std::vector<std::vector<int64_t>> absent_by_field;
  std::vector<std::vector<std::set<std::string>>> near_keys;
  struct AbsentNearMiss {
    std::string event;  // wire names
    std::string field;
    std::string key;
    int64_t absent = 0;
    int64_t events = 0;
  };
  std::vector<AbsentNearMiss> absent_near;
  // Applied events by the currency of each amount they carried (packed,
  // ir::PackCurrency); and, by `NoteNearMisses`, those of currencies the
  // program writes no amount in, with the currencies it does write.
  std::map<int64_t, int64_t> event_currencies;
  std::map<std::string, int64_t> foreign_currencies;
  std::vector<std::string> program_currencies;
  // Time zones the tz database does not know, by name, with the number of
  // profiles identified with each (they run in UTC).
  std::map<std::string, int64_t> unknown_zones;
  // Of those, by `NoteNearMisses`, the zone of the tz database spelt
  // nearly like each (`Europe/Paris` for `Europe/Pari`), where there is
  // one.
  std::map<std::string, std::string> unknown_zones_near;
  int64_t dead_letters = 0;
  // Of `dead_letters`, those already in the file from an earlier run,
  // not appended again.
  int64_t dead_letters_known = 0;
  // Of `dead_letters`, lines refused as too far ahead of the clock
  // (`RunOptions::max_clock_jump`).
  int64_t clock_jumps = 0;
  int64_t sends = 0;      // actions the engine decided in this run
  int64_t delivered = 0;  // of `sends`, those the sink took and flushed
  int64_t timers_fired = 0;
  // Entries that time alone started (`EngineCounters::time_entries`).
  int64_t time_entries = 0;
  int64_t instances_waiting = 0;  // live instances at the end
  // Waiting instances in the state file that match no journey or step of
  // the program: left in the file, not loaded, not counted as waiting.
  int64_t instances_unloaded = 0;
  // Steps the program edited under waiting contacts since the state was
  // last saved, by journey and step name: the heading they reached, the
  // one they go on after, and how many wait there.
  struct EditedStep {
    std::string was;
    std::string now;
    int64_t waiting = 0;
  };
  std::map<std::pair<std::string, std::string>, EditedStep> edited_steps;
  // Loops of emitted events and segment changes the engine cut, each
  // dropping the rest of its chain (`EngineCounters::chains_stopped`),
  // and chains cut at the limit of links one input may set off
  // (`EngineCounters::chains_limited`).
  int64_t chains_stopped = 0;
  int64_t chains_limited = 0;
  // Redemptions refused for asking more points than the member held;
  // each is a `warn` row of component `loyalty` in `log`.
  int64_t redemptions_refused = 0;
  // Actions of an earlier, interrupted run: delivered now, and found
  // already delivered by the sink (so not sent again).
  int64_t redelivered = 0;
  int64_t already_delivered = 0;
  // At the end: actions saved in the outbox but not delivered (the next
  // run sends them first), and actions decided but not saved (their events
  // are not marked processed, so a rerun decides them again).
  int64_t undelivered = 0;
  int64_t unsaved = 0;
  // Of `undelivered`, those at its front that the sink's destination took
  // in the delivery that failed (`ActionSink::TakenByFailedFlush`): a
  // webhook's receiver has them, but the batch is not recorded as
  // delivered, so the next run sends them again.
  int64_t taken_unrecorded = 0;
  std::optional<int64_t> clock;  // the engine's clock at the end
  std::string dead_letter_path;  // set when there were dead letters
  // The program has no journey, so no message could go out whatever the
  // events (set by `NoteEmptyProgram`).
  bool no_journeys = false;
};

struct RunResult {
  // An error of the environment (state file, sink, dead-letter file,
  // input stream), or in strict mode the first unusable line. Everything
  // applied before it is saved and its actions delivered.
  common::Status status;
  // True when the run stopped, under `strict`, at an unusable line, as
  // opposed to a failure of the environment.
  bool stopped_at_bad_line = false;
  RunSummary summary;
};

// The one file a run appends its dead letters to: `dead_letter_path`, else
// `<state_path>.deadletter.jsonl` for a state of one file, and
// `deadletter.jsonl` inside a `--partitions` folder.
std::string DeadLetterPathOf(const RunOptions& options);

// The partition of `profile` among `partitions`: the 32-bit FNV-1a hash of
// its id modulo `partitions`.
uint32_t PartitionOf(std::string_view profile, uint32_t partitions);

// The path of the file of a `--partitions` state folder that holds
// `profile`, by the folder's record of its number of partitions; an error
// when the folder has no such record.
common::Expected<std::string> PartitionFileOf(const std::string& folder,
                                              std::string_view profile);

// The paths of every file of a `--partitions` state folder, in partition
// order; an error when the folder has no record of its number of
// partitions or a file of it is missing, as the reports need them all.
common::Expected<std::vector<std::string>> PartitionFilesOf(
    const std::string& folder);

// `program` must have passed `ir::Verify` and `ir::AnalyzeDependencies`;
// `evaluator` must evaluate it. Never prints, never exits.
RunResult Run(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options);

// Live mode: reads `fd` (a file that grows, or a pipe) as lines arrive,
// on the wall clock `options.now` rather than the input's, until
// `*options.stop` is set; then saves everything and returns.
//
//   1. At the start, waits that fell due while no process ran fire at
//      once, each at its own due time and marked `"late":true`.
//   2. Each line is applied as it arrives, after the clock has moved to
//      the wall clock; when no line is waiting, what changed is committed
//      and its actions delivered.
//   3. With no input, the clock still follows the wall clock, so waits
//      fire when due (within a tenth of a second).
//
// A file named by `options.events_path` is read from where the state's
// last live run stopped reading it, when it is still that file with the
// same bytes before that place; else from its start, with a `log` row of
// component `input` saying why. Each commit records that place in `meta`,
// in the same transaction as the state those lines produced. Stdin is
// read as it comes.
//
// A file cut back under the run is read on from its start; one moved away
// and replaced by a new file at `options.events_path` is read to its end,
// then the new one from its start (`ingest::FollowReader`). Each such
// change is a `log` row of component `input` and goes to
// `options.input_notice`.
//
// The end of a pipe does not end the run: its timers still fire until it
// is stopped. `until` and `partitions` must be unset; `strict` stops at
// the first unusable line as in `Run`.
RunResult Follow(const ir::Program& program, const ir::Evaluator& evaluator,
                 int fd, sinks::ActionSink& sink, const RunOptions& options);

// A few lines for people, e.g. for the command line's stderr. The action
// line says "sent N actions" only when all N were delivered; otherwise it
// says how many were decided and delivered, and warning lines follow.
std::string FormatSummary(const RunSummary& summary);

// Fills `summary.ignored_near` with the declared event names close to the
// ignored ones (a few edits apart, case aside),
// `summary.ignored_traits_near` likewise with the profile's attributes,
// and `summary.foreign_currencies` with the currencies of the events'
// amounts that the program writes none of its amounts in.
void NoteNearMisses(const ir::Program& program, RunSummary& summary);

// Sets `summary.no_journeys` when `program` has no journey: a run given
// only the files of its events and profile does nothing, in silence.
void NoteEmptyProgram(const ir::Program& program, RunSummary& summary);

}  // namespace parcours::engine
