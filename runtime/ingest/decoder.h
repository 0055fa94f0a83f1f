// Decodes one input line of the "track / identify" shape into typed slots.
//
// The decoder knows the program's schemas, so a track event's properties
// land directly in the record layout the compiler chose for that event
// type, and identify traits in the profile layout. A line that cannot be
// used is data, not an error: its outcome says why, in words meant for the
// dead-letter file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/ingest/consent_events.h"
#include "runtime/ingest/json_value.h"

namespace parcours::ingest {

enum class EventKind : uint8_t { Track, Identify };

struct DecodedEvent {
  EventKind kind = EventKind::Track;
  int64_t line = 0;  // 1-based line number in the input
  std::string user_id;
  std::optional<std::string> message_id;
  // What makes the event idempotent: its message id, or without one the
  // line's content (`ContentKey`). Set whenever the line is JSON, even
  // when it is unusable, so that a line applied by an earlier run is known
  // as a duplicate before it could become a dead letter.
  std::string key;
  int64_t timestamp = 0;  // seconds since the epoch, UTC
  std::optional<int64_t> received_at;

  // Track: index into `Program::events`, or -1 for an event type the
  // program does not declare (the line is then ignored).
  int32_t event_type = -1;
  // An ignored track's `event` name, for the run's summary.
  std::string wire_event;
  // Track: the event's record, `EventType::record_words` long.
  common::Record record;
  // Track: the optional fields the line leaves out (indices into the
  // type's `fields`); and, on sampled lines that leave one out
  // (`SamplesProperties`), the property keys the type does not declare.
  // For the run's summary to point out a misspelt key (`coupn`).
  std::vector<int32_t> absent_fields;
  std::vector<std::string> undeclared_properties;

  // Identify: a profile-layout record in which only the attributes listed
  // in `trait_attributes` (indices into `Program::profile`, each once, in
  // input order) hold decoded values.
  common::Record traits;
  std::vector<int32_t> trait_attributes;
  // Identify: the keys of `traits` the program does not declare (but
  // `consent`), for the run's summary to point out a misspelt one.
  std::vector<std::string> ignored_traits;

  // Consent changes the line makes (runtime/ingest/consent_events.h). A
  // consent event the program does not declare still counts as an event,
  // with `event_type` -1.
  std::vector<ConsentChange> consent;
  // The time the engine's clock follows: arrival when known, else the
  // event's own time.
  int64_t ClockTime() const { return received_at.value_or(timestamp); }
};

enum class LineOutcome : uint8_t {
  Event,       // `event` is ready to apply
  Blank,       // empty or only white space; skipped
  Ignored,     // a track event of an undeclared type; `event` has its
               // envelope (user, ids, times) but no record
  DeadLetter,  // unusable; `reason` says why
};

// Whether the decoder lists a line's undeclared property keys: the first
// thousand lines and one in 1,024 after. A key misspelt by a sender shows
// in nearly every line of its events, so a sample finds it, without
// copying the keys of every line that leaves an optional field out.
inline bool SamplesProperties(int64_t line) {
  return line <= 1000 || line % 1024 == 0;
}

struct DecodeResult {
  LineOutcome outcome = LineOutcome::DeadLetter;
  DecodedEvent event;
  std::string reason;
};

// "line:" and 16 hex digits of the FNV-1a hash of `line`'s bytes (without
// its line end): the identity of a line that has no message id, so that
// two byte-identical lines count as one event.
std::string ContentKey(std::string_view line);

class Decoder {
 public:
  // `program` must outlive the decoder.
  explicit Decoder(const ir::Program& program);

  DecodeResult Decode(std::string_view line, int64_t line_number) const;

  // The same into `result`, whatever it held, reusing its strings and
  // records: a caller decoding line after line into one result allocates
  // little once they have grown.
  void Decode(std::string_view line, int64_t line_number,
              DecodeResult& result) const;

 private:
  // Fills the envelope; returns the reason when it is unusable.
  std::string DecodeEnvelope(const JsonValue& root, DecodedEvent& event) const;
  std::string DecodeTrack(const JsonValue& root, DecodeResult& result) const;
  std::string DecodeIdentify(const JsonValue& root, DecodedEvent& event) const;

  const ir::Program& program_;
  std::unordered_map<std::string, int32_t> events_by_wire_name_;
  std::unordered_map<std::string, int32_t> attributes_by_wire_name_;
};

}  // namespace parcours::ingest
