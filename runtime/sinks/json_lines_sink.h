// Actions as JSON lines on a stream: a file, or stdout.
#pragma once

#include <ostream>
#include <string>

#include "runtime/sinks/action_sink.h"

namespace parcours::sinks {

class JsonLinesSink final : public ActionSink {
 public:
  // `out` must outlive the sink; `name` says what it is in messages
  // ("stdout", "file `actions.jsonl`").
  JsonLinesSink(std::ostream& out, std::string name);

  common::Status Write(std::string_view line) override;

  // Flushes the stream, so that a reader of the file sees whole batches.
  common::Status Flush() override;

 private:
  common::Status Check();

  std::ostream& out_;
  std::string name_;
  std::string failure_reason_;  // ": " and the OS's reason, once known
};

}  // namespace parcours::sinks
