#include "runtime/sinks/json_lines_sink.h"

#include <utility>

namespace parcours::sinks {

JsonLinesSink::JsonLinesSink(std::ostream& out, std::string name)
    : out_(out), name_(std::move(name)) {}

common::Status JsonLinesSink::Write(std::string_view line) {
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.put('\n');
  return Check();
}

common::Status JsonLinesSink::Flush() {
  out_.flush();
  return Check();
}

common::Status JsonLinesSink::Check() const {
  if (out_.good()) return common::Status::Ok();
  return common::Status::Error("could not write actions to " + name_);
}

}  // namespace parcours::sinks
