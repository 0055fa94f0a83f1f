// Actions appended to a JSON-lines file, exactly once across crashes.
//
// A run writes a batch's actions, flushes them, and records that in the
// state file only with the next commit; a crash in between leaves actions
// in the file that the state still calls undelivered. This sink reads the
// end of its file back when the next run starts (`CountDelivered`), so
// those actions are not appended twice, and removes a last line the crash
// cut short, so that a whole copy replaces it.
#pragma once

#include <fstream>
#include <memory>
#include <string>

#include "runtime/common/status.h"
#include "runtime/sinks/action_sink.h"
#include "runtime/sinks/json_lines_sink.h"

namespace parcours::sinks {

class JsonLinesFileSink final : public ActionSink {
 public:
  // Opens `path` for appending, creating it when missing; a directory or
  // an unwritable path is refused with "cannot write actions file `x`: "
  // and the reason (a missing folder, the OS's word for the rest).
  static common::Expected<std::unique_ptr<JsonLinesFileSink>> Open(
      const std::string& path);

  common::Status Write(std::string_view line) override;
  common::Status Flush() override;

  // Finds the longest front part of `pending` that the file ends with,
  // line for line, possibly followed by a cut-short copy of the next
  // pending line, which is then truncated away. Anything else at the end
  // of the file (someone else's line, a file rotated away) counts as
  // nothing delivered, and the file is left as it is.
  common::Expected<size_t> CountDelivered(
      const std::vector<std::string_view>& pending) override;

 private:
  explicit JsonLinesFileSink(std::string path);

  std::string path_;
  std::ofstream out_;
  JsonLinesSink lines_;
  bool end_checked_ = false;  // whether the file's last byte was looked at
};

// The part of `CountDelivered` that needs no file: `tail` is the end of
// the file (or all of it when `whole`). Returns how many pending lines it
// holds and sets `cut` to the length of a cut-short pending line at its
// very end (0 when there is none), to be truncated.
size_t MatchDeliveredTail(std::string_view tail, bool whole,
                          const std::vector<std::string_view>& pending,
                          size_t& cut);

}  // namespace parcours::sinks
