#include "runtime/sinks/json_lines_sink.h"

#include <cerrno>
#include <system_error>
#include <utility>

namespace parcours::sinks {

JsonLinesSink::JsonLinesSink(std::ostream& out, std::string name)
    : out_(out), name_(std::move(name)) {}

common::Status JsonLinesSink::Write(std::string_view line) {
  // A failed write leaves its reason in errno; clear what an earlier,
  // unrelated call left there so that it is not blamed.
  errno = 0;
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.put('\n');
  return Check();
}

common::Status JsonLinesSink::Flush() {
  errno = 0;
  out_.flush();
  return Check();
}

common::Status JsonLinesSink::Check() {
  if (out_.good()) return common::Status::Ok();

  // A failed stream writes nothing more, so later calls leave errno alone;
  // the first failure's reason is the one to repeat ("No space left on
  // device", "Permission denied").
  // A write is interrupted only by a stop signal (a live run catches them
  // without restarting calls), and it was waiting only because the
  // reader had stopped taking lines: "Interrupted system call" says
  // neither.
  if (failure_reason_.empty() && errno == EINTR) {
    failure_reason_ = ": the run was stopped while " + name_ +
                      " was not being read (whatever reads it had stopped "
                      "taking lines); the actions not written are saved, and "
                      "the next run writes them first, with the ones "
                      "before them in their batch again";
  }
  if (failure_reason_.empty() && errno != 0) {
    failure_reason_ = ": " + std::generic_category().message(errno);
  }
  return common::Status::Error("could not write actions to " + name_ +
                               failure_reason_);
}

}  // namespace parcours::sinks
