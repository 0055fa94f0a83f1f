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
// the same events sends nothing: their message ids are known, their timers
// are gone. Actions committed but not yet handed to the sink when a run
// stopped go out first in the next run.
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
};

struct RunSummary {
  int64_t lines_read = 0;
  int64_t blank_lines = 0;
  int64_t events_applied = 0;  // track events of declared types
  int64_t identifies = 0;
  int64_t duplicates = 0;  // skipped: message id applied before
  int64_t ignored = 0;     // track events of undeclared types
  int64_t dead_letters = 0;
  int64_t sends = 0;
  int64_t timers_fired = 0;
  int64_t instances_waiting = 0;  // live instances at the end
  int64_t redelivered = 0;        // actions of an earlier, interrupted run
  std::optional<int64_t> clock;   // the engine's clock at the end
  std::string dead_letter_path;   // set when there were dead letters
};

struct RunResult {
  // An error of the environment (state file, sink, dead-letter file,
  // input stream), or in strict mode the first unusable line. Everything
  // applied before it is saved and its actions delivered.
  common::Status status;
  RunSummary summary;
};

// `program` must have passed `ir::Verify` and `ir::AnalyzeDependencies`;
// `evaluator` must evaluate it. Never prints, never exits.
RunResult Run(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options);

// A few lines for people, e.g. for the command line's stderr.
std::string FormatSummary(const RunSummary& summary);

}  // namespace parcours::engine
