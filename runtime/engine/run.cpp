#include "runtime/engine/run.h"

#include <memory>
#include <string_view>
#include <utility>

#include "runtime/common/time_text.h"
#include "runtime/engine/dead_letters.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/decoder.h"
#include "runtime/ingest/line_reader.h"
#include "runtime/store/state.h"
#include "runtime/store/store.h"

namespace parcours::engine {

namespace {

using common::Status;

std::string DeadLetterPath(const RunOptions& options) {
  if (!options.dead_letter_path.empty()) return options.dead_letter_path;
  return options.state_path + ".deadletter.jsonl";
}

// One run: owns everything a run touches, so that each step below reads
// as one paragraph of the procedure in run.h.
class Runner {
 public:
  Runner(const ir::Program& program, const ir::Evaluator& evaluator,
         std::istream& events, sinks::ActionSink& sink,
         const RunOptions& options)
      : events_(events),
        sink_(sink),
        options_(options),
        state_(program),
        engine_(program, evaluator, state_),
        decoder_(program),
        dead_letters_(DeadLetterPath(options)) {}

  RunResult Go() {
    Status status = Start();
    if (status.ok()) status = ReadAll();
    if (status.ok()) status = Finish();
    return {status, Summarize()};
  }

 private:
  Status Start() {
    auto store = store::Store::Open(options_.state_path);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    Status status = store_->Load(state_);
    if (!status.ok()) return status;

    summary_.redelivered = static_cast<int64_t>(state_.undelivered().size());
    return Deliver();
  }

  Status ReadAll() {
    ingest::LineReader reader(events_, options_.max_line_bytes);
    std::string line;
    bool too_long = false;
    while (reader.Next(line, too_long)) {
      ++summary_.lines_read;
      Status status = HandleLine(line, too_long, reader.line_number());
      if (!status.ok()) return status;
    }
    if (reader.failed()) {
      // Keep what was applied before the stream broke.
      Status saved = Commit();
      if (!saved.ok()) return saved;
      return Status::Error("could not read the events after line " +
                           std::to_string(reader.line_number()));
    }
    return Status::Ok();
  }

  Status HandleLine(const std::string& line, bool too_long, int64_t number) {
    if (too_long) {
      return DeadLetter(number,
                        "line is longer than " +
                            std::to_string(options_.max_line_bytes) + " bytes",
                        line);
    }

    ingest::DecodeResult decoded = decoder_.Decode(line, number);
    switch (decoded.outcome) {
      case ingest::LineOutcome::Blank:
        ++summary_.blank_lines;
        return Status::Ok();
      case ingest::LineOutcome::DeadLetter:
        return DeadLetter(number, decoded.reason, line);
      case ingest::LineOutcome::Ignored:
        // Undeclared events still carry the stream's time forward.
        ++summary_.ignored;
        engine_.AdvanceClock(decoded.event.ClockTime());
        break;
      case ingest::LineOutcome::Event:
        Count(decoded.event, engine_.Apply(decoded.event));
        break;
    }

    state_.set_applied_line(number);
    if (++lines_in_batch_ >= options_.batch_size) return Commit();
    return Status::Ok();
  }

  void Count(const ingest::DecodedEvent& event, bool applied) {
    if (!applied) {
      ++summary_.duplicates;
    } else if (event.kind == ingest::EventKind::Identify) {
      ++summary_.identifies;
    } else {
      ++summary_.events_applied;
    }
  }

  Status DeadLetter(int64_t number, const std::string& reason,
                    std::string_view text) {
    ++summary_.dead_letters;
    summary_.dead_letter_path = dead_letters_.path();
    Status status = dead_letters_.Write(number, reason, text);
    if (!status.ok()) return status;
    if (!options_.strict) return Status::Ok();

    // Strict mode stops here, keeping everything before this line.
    status = Commit();
    if (!status.ok()) return status;
    return Status::Error("line " + std::to_string(number) + ": " + reason);
  }

  Status Finish() {
    // Timers due by the end of the input (a `wait 0` after the last event)
    // or by `until` fire now; later ones stay pending in the state.
    std::optional<int64_t> end = state_.clock();
    if (options_.until && (!end || *options_.until > *end)) {
      end = options_.until;
    }
    if (end) engine_.AdvanceClock(*end);

    Status status = Commit();
    if (!status.ok()) return status;

    // Record that the sink got the last batch, so that it is not sent
    // again by the next run.
    return store_->Save(state_);
  }

  Status Commit() {
    lines_in_batch_ = 0;
    Status status = store_->Save(state_);
    if (status.ok()) status = Deliver();
    if (status.ok()) status = dead_letters_.Flush();
    return status;
  }

  Status Deliver() {
    std::vector<store::OutboxRow>& rows = state_.undelivered();
    if (rows.empty()) return Status::Ok();
    for (const store::OutboxRow& row : rows) {
      Status status = sink_.Write(row.line);
      if (!status.ok()) return status;
    }
    Status status = sink_.Flush();
    if (!status.ok()) return status;

    state_.set_delivered_through(rows.back().seq);
    rows.clear();
    return Status::Ok();
  }

  RunSummary Summarize() {
    RunSummary summary = summary_;
    summary.sends = engine_.counters().sends;
    summary.timers_fired = engine_.counters().timers_fired;
    summary.instances_waiting = state_.CountInstances();
    summary.clock = state_.clock();
    return summary;
  }

  std::istream& events_;
  sinks::ActionSink& sink_;
  const RunOptions& options_;
  std::unique_ptr<store::Store> store_;
  store::State state_;
  Engine engine_;
  ingest::Decoder decoder_;
  DeadLetterFile dead_letters_;
  RunSummary summary_;
  int64_t lines_in_batch_ = 0;
};

std::string Plural(int64_t count, std::string_view one, std::string_view many) {
  return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

}  // namespace

RunResult Run(const ir::Program& program, const ir::Evaluator& evaluator,
              std::istream& events, sinks::ActionSink& sink,
              const RunOptions& options) {
  Runner runner(program, evaluator, events, sink, options);
  return runner.Go();
}

std::string FormatSummary(const RunSummary& summary) {
  std::string text =
      "read " + Plural(summary.lines_read, "line", "lines") + ": " +
      Plural(summary.events_applied, "event", "events") + " applied, " +
      Plural(summary.identifies, "identify", "identifies") + ", " +
      Plural(summary.duplicates, "duplicate", "duplicates") + " skipped, " +
      std::to_string(summary.ignored) + " ignored (undeclared event), " +
      Plural(summary.dead_letters, "dead letter", "dead letters") + ", " +
      std::to_string(summary.blank_lines) + " blank\n";

  text += "sent " + Plural(summary.sends, "action", "actions") + ", " +
          Plural(summary.timers_fired, "timer", "timers") + " fired, " +
          Plural(summary.instances_waiting, "instance", "instances") +
          " waiting\n";
  if (summary.redelivered > 0) {
    text += "re-sent " + Plural(summary.redelivered, "action", "actions") +
            " committed by an interrupted run\n";
  }
  if (summary.clock) {
    text += "clock at " + common::FormatTime(*summary.clock) + "\n";
  }
  if (summary.dead_letters > 0) {
    text += "dead letters written to `" + summary.dead_letter_path + "`\n";
  }
  return text;
}

}  // namespace parcours::engine
