#include "runtime/engine/run.h"

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

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
        dead_letters_(DeadLetterPath(options)) {
    engine_.set_unsubscribe({options.unsubscribe_url, options.unsubscribe_key});
  }

  RunResult Go() {
    Status status = Start();
    if (status.ok()) status = ReadAll();
    if (status.ok()) status = Finish();
    return {status, stopped_at_bad_line_, Summarize()};
  }

 private:
  Status Start() {
    auto store = store::Store::Open(options_.state_path);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    Status status = store_->Load(state_);
    if (status.ok()) status = SkipAlreadyDelivered();
    if (status.ok()) status = Deliver(summary_.redelivered);
    return status;
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
    common::Expected<size_t> held = sink_.CountDelivered(lines);
    if (!held.ok()) return held.status();

    size_t skip = std::min(*held, rows.size());
    if (skip == 0) return Status::Ok();
    state_.set_delivered_through(rows[skip - 1].seq);
    rows.erase(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(skip));
    summary_.already_delivered = static_cast<int64_t>(skip);
    return Status::Ok();
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
      std::string message = "could not read " + options_.events_name +
                            " after line " +
                            std::to_string(reader.line_number());
      if (!reader.error().empty()) message += ": " + reader.error();
      return Status::Error(message);
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
    const ingest::DecodedEvent& event = decoded.event;
    switch (decoded.outcome) {
      case ingest::LineOutcome::Blank:
        ++summary_.blank_lines;
        return Status::Ok();
      case ingest::LineOutcome::DeadLetter:
        // A line an earlier run applied stays applied, even if stricter
        // rules or a changed program would now refuse it.
        if (IsDuplicate(event)) break;
        return DeadLetter(number, decoded.reason, line);
      case ingest::LineOutcome::Ignored:
      case ingest::LineOutcome::Event: {
        bool declared = decoded.outcome == ingest::LineOutcome::Event;
        if (declared && IsDuplicate(event)) break;
        std::string too_far = ClockJump(event);
        if (!too_far.empty()) return DeadLetter(number, too_far, line);
        if (declared) {
          Count(event, engine_.Apply(event));
        } else {
          // Undeclared events still carry the stream's time forward.
          ++summary_.ignored;
          engine_.AdvanceClock(event.ClockTime());
        }
        break;
      }
    }

    state_.set_applied_line(number);
    if (++lines_in_batch_ >= options_.batch_size) return Commit();
    return Status::Ok();
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
    int64_t time = event.ClockTime();
    if (time <= common::AddSeconds(*clock, options_.max_clock_jump)) {
      return "";
    }
    // Both times lie between the years 1900 and 9999, so the difference
    // cannot overflow.
    return std::string(event.received_at ? "receivedAt " : "timestamp ") +
           common::FormatTime(time) + " is " +
           common::DescribeSpan(time - *clock) +
           " ahead of the stream's clock " + common::FormatTime(*clock) +
           "; check it, or raise --max-clock-jump";
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

    // The same bytes, dead-lettered before on this state, are in the file
    // already; a rerun of the same input must not append them again.
    std::string key = ingest::ContentKey(text);
    if (state_.IsDeadLettered(key)) {
      ++summary_.dead_letters_known;
    } else {
      Status status = dead_letters_.Write(number, reason, text);
      if (!status.ok()) return status;
      state_.AddDeadLettered(key, true);
    }
    if (!options_.strict) return Status::Ok();

    // Strict mode stops here, keeping everything before this line.
    Status status = Commit();
    if (!status.ok()) return status;
    stopped_at_bad_line_ = true;
    return Status::Error("line " + std::to_string(number) + ": " + reason);
  }

  Status Finish() {
    // Timers due by the end of the input (a `wait 0` after the last event)
    // or by `until` fire now; later ones stay pending in the state.
    std::optional<int64_t> end = state_.clock();
    // `--until` moves the clock for good, like a line: a typo in it must
    // not run every wait to the far future.
    bool too_far =
        options_.until && end && options_.max_clock_jump > 0 &&
        *options_.until > common::AddSeconds(*end, options_.max_clock_jump);
    if (too_far) {
      Status status = Commit();
      if (status.ok()) status = store_->Save(state_);
      if (!status.ok()) return status;
      return Status::Error(
          "--until " + common::FormatTime(*options_.until) + " is " +
          common::DescribeSpan(*options_.until - *end) +
          " ahead of the stream's clock " + common::FormatTime(*end) +
          "; check it, or raise --max-clock-jump");
    }
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
    // Dead letters reach their file before their keys reach the state: a
    // crash in between appends them again rather than losing them.
    Status status = dead_letters_.Flush();
    if (status.ok()) status = store_->Save(state_);
    if (status.ok()) status = Deliver(summary_.delivered);
    return status;
  }

  // Hands the saved, undelivered actions to the sink; adds their number
  // to `delivered` once the sink has flushed them.
  Status Deliver(int64_t& delivered) {
    std::vector<store::OutboxRow>& rows = state_.undelivered();
    if (rows.empty()) return Status::Ok();
    for (const store::OutboxRow& row : rows) {
      Status status = sink_.Write(row.line);
      if (!status.ok()) return status;
    }
    Status status = sink_.Flush();
    if (!status.ok()) return status;

    delivered += static_cast<int64_t>(rows.size());
    state_.set_delivered_through(rows.back().seq);
    rows.clear();
    return Status::Ok();
  }

  RunSummary Summarize() {
    RunSummary summary = summary_;
    // Every line is an action: sends, and what policies held back.
    summary.sends = engine_.counters().sends + engine_.counters().held;
    summary.timers_fired = engine_.counters().timers_fired;
    summary.instances_waiting = state_.CountInstances();
    summary.instances_unloaded = state_.unloaded_instances();
    summary.undelivered = static_cast<int64_t>(state_.undelivered().size());
    summary.unsaved = static_cast<int64_t>(state_.pending_outbox().size());
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
  bool stopped_at_bad_line_ = false;
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

  // "sent" only when it is true of every action the run decided.
  if (summary.delivered == summary.sends) {
    text += "sent " + Plural(summary.sends, "action", "actions");
  } else {
    text += "decided " + Plural(summary.sends, "action", "actions") +
            ", delivered " + std::to_string(summary.delivered);
  }
  text += ", " + Plural(summary.timers_fired, "timer", "timers") + " fired, " +
          Plural(summary.instances_waiting, "instance", "instances") +
          " waiting\n";
  if (summary.redelivered > 0) {
    text += "re-sent " + Plural(summary.redelivered, "action", "actions") +
            " committed by an interrupted run\n";
  }
  if (summary.already_delivered > 0) {
    text += "skipped " +
            Plural(summary.already_delivered, "action", "actions") +
            " of an interrupted run already in the output\n";
  }
  if (summary.undelivered > 0) {
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
  if (summary.clock) {
    text += "clock at " + common::FormatTime(*summary.clock) + "\n";
  }
  if (summary.dead_letters > summary.dead_letters_known) {
    text += "dead letters written to `" + summary.dead_letter_path + "`\n";
  } else if (summary.dead_letters > 0) {
    text += "dead letters written to `" + summary.dead_letter_path +
            "` by an earlier run\n";
  }
  return text;
}

}  // namespace parcours::engine
