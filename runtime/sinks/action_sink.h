// Where actions go once their batch is safely in the state file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/status.h"

namespace parcours::sinks {

class ActionSink {
 public:
  virtual ~ActionSink() = default;

  // Receives one action as a JSON line, without the newline. Lines arrive
  // in the order the actions happened, only after the batch that produced
  // them has committed.
  virtual common::Status Write(std::string_view line) = 0;

  // Called at the end of each batch: the lines written so far must now be
  // durable at the destination (flushed, sent).
  virtual common::Status Flush() = 0;

  // Called once, before anything is written, with the actions an earlier
  // run committed but did not record as delivered (it stopped between
  // flushing them and saving that it had), in order. Returns how many of
  // them, from the front, the destination already holds; those are not
  // written again. A sink may repair its destination's end here (a line a
  // crash cut short). The default cannot look, says 0, and so those
  // actions are sent again: at-least-once.
  virtual common::Expected<size_t> CountDelivered(
      const std::vector<std::string_view>& pending) {
    (void)pending;
    return size_t{0};
  }

  // After a `Flush` that failed: how many of its lines, from the front,
  // the destination took all the same (a webhook's receiver answered 2xx
  // to them before it refused one). The run does not record them as
  // delivered, so the next run sends them again; this count is for the
  // summary only. 0 after a `Flush` that succeeded, and from a sink that
  // cannot tell.
  virtual int64_t TakenByFailedFlush() const { return 0; }
};

// Keeps the lines in memory; for tests and for `parcours test`.
class MemorySink final : public ActionSink {
 public:
  common::Status Write(std::string_view line) override {
    lines_.emplace_back(line);
    return common::Status::Ok();
  }

  common::Status Flush() override {
    ++flushes_;
    return common::Status::Ok();
  }

  const std::vector<std::string>& lines() const { return lines_; }
  int flushes() const { return flushes_; }

 private:
  std::vector<std::string> lines_;
  int flushes_ = 0;
};

}  // namespace parcours::sinks
