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
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "runtime/common/status.h"
#include "runtime/sinks/action_sink.h"

namespace parcours::engine {

struct RunOptions {
  std::string state_path;
  // Where unusable lines go; empty means `<state_path>.deadletter.jsonl`.
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
  int64_t dead_letters = 0;
  // Of `dead_letters`, those already in the file from an earlier run,
  // not appended again.
  int64_t dead_letters_known = 0;
  int64_t sends = 0;      // actions the engine decided in this run
  int64_t delivered = 0;  // of `sends`, those the sink took and flushed
  int64_t timers_fired = 0;
  int64_t instances_waiting = 0;  // live instances at the end
  // Waiting instances in the state file that match no journey or step of
  // the program: left in the file, not loaded, not counted as waiting.
  int64_t instances_unloaded = 0;
  // Actions of an earlier, interrupted run: delivered now, and found
  // already delivered by the sink (so not sent again).
  int64_t redelivered = 0;
  int64_t already_delivered = 0;
  // At the end: actions saved in the outbox but not delivered (the next
  // run sends them first), and actions decided but not saved (their events
  // are not marked processed, so a rerun decides them again).
  int64_t undelivered = 0;
  int64_t unsaved = 0;
  std::optional<int64_t> clock;  // the engine's clock at the end
  std::string dead_letter_path;  // set when there were dead letters
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

// `program` must have passed `ir::Verify` and `ir::AnalyzeDependencies`;
// `evaluator` must evaluate it. Never prints, never exits.
RunResult Run(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options);

// A few lines for people, e.g. for the command line's stderr. The action
// line says "sent N actions" only when all N were delivered; otherwise it
// says how many were decided and delivered, and warning lines follow.
std::string FormatSummary(const RunSummary& summary);

}  // namespace parcours::engine
