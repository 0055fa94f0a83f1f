// The `test` blocks of a program, lowered for `parcours test`.
//
// A test is a little event stream and a list of expectations. The stream
// is JSON lines of the same "track / identify" shape as a real input, so
// that a test goes through the real decoder and the real engine; the
// expectations are checked against the action lines the engine writes.
// Nothing here refers to the AST.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parcours::ir {

// A value written in a test record, by the key it takes on the wire.
struct TestValue {
  enum class Kind : uint8_t {
    Number,
    String,
    Bool,
    Null,
    Time,
    Channels,
    Json,  // a list or record literal: `text` is its JSON text
  };
  std::string key;
  Kind kind = Kind::Null;
  // Number: exact decimal text ("80", "-1.5"); String: the bytes; Bool:
  // "true" or "false"; Channels: unused.
  std::string text;
  std::string currency;               // Number of a money value
  int64_t time = 0;                   // Time: seconds since the epoch
  std::vector<std::string> channels;  // Channels: `consent: [push]`
};

// One input line of a test, in the order the test gives it: an identify
// (`given profile`, `at T identify`) or a track of a declared event.
struct TestInput {
  bool identify = false;
  // When it happens; a `given profile` has no time of its own and takes
  // the test's first time.
  std::optional<int64_t> at;
  std::string profile;
  std::string event;  // track: the event's wire name
  std::vector<TestValue> values;
  std::string where;  // "file:line:column" of the statement
};

// `expect [no] send CHANNEL "template" to "id" at TIME`, or `expect [no]
// suppressed ... [reason R]`; the parts left out match any send (or any
// suppression). `expect [no] task SYSTEM "summary"`, `webhook "name"`,
// `freeze account`, `second factor` and `emit EVENT` are the same about
// the other action lines. `expect points N` and `expect tier T` are about
// the profile's standing in the (only) loyalty program at the end of the
// test.
struct TestExpectation {
  enum class Kind : uint8_t { Send, Action, Points, Tier };
  Kind kind = Kind::Send;
  // Action: the `kind` of the action line (`task`, `webhook`, `freeze`,
  // `second_factor`, `event`); `channel` then holds a task's system or an
  // event's wire name, and `template_name` a task's summary or a
  // webhook's name.
  std::string action;
  int64_t points = 0;  // Points
  std::string tier;    // Tier: the tier's name
  bool negated = false;
  bool suppressed = false;            // about `suppressed` lines
  std::optional<std::string> reason;  // `reason cap`: suppressions only
  std::optional<std::string> channel;
  std::optional<std::string> template_name;
  std::optional<std::string> profile;
  std::optional<int64_t> at;  // seconds since the epoch, UTC
  std::string where;
};

struct TestCase {
  std::string title;
  std::string where;  // of the `test` keyword
  std::vector<TestInput> inputs;
  std::vector<TestExpectation> expectations;
  // Set when the test cannot be turned into input (no profile to send an
  // event to, ...); the test then fails with this located message.
  std::string problem;
};

}  // namespace parcours::ir
