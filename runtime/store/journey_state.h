// What the state file keeps for journey rules, as JSON keyed by name: when
// a profile last entered each journey (`profiles.entries`, for `reentry`)
// and the event a `wait for ... as x` received (`instances.arrived`, read
// by the block that follows).
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/ingest/json_value.h"
#include "runtime/store/state.h"
#include "runtime/store/value_json.h"

namespace parcours::store {

// {"journey": "2025-01-01T10:00:00Z", ...} in journey order.
OrderedJson EncodeEntries(const ir::Program& program, const Profile& profile);

// Fills `profile.last_entered`. Journeys the program no longer has are
// dropped; a journey with no stored entry was never entered. Returns the
// journeys whose stored value is not a time (they count as never entered).
std::vector<std::string> DecodeEntries(const ir::Program& program,
                                       const ingest::JsonValue& entries,
                                       Profile& profile);

// {"event": "Name", "fields": {...}}: the type travels with the record,
// so that a changed program can tell whether it still fits.
OrderedJson EncodeArrived(const ir::Program& program, const Instance& instance);

// A stored field that no longer decodes, with what is wrong with it.
struct FieldProblem {
  std::string field;
  std::string problem;  // as `DecodeField` says it
};

// Fills the instance's received event. A field that does not decode (the
// program changed its type since the save) keeps its default, zero or
// absent, and is added to `bad_fields`, in the event's field order. A
// record that names no event of the program (one removed since the save)
// leaves the instance without one: the loader then leaves it in the file
// if its step reads that event, with a warning, as for a removed step.
void DecodeArrived(const ir::Program& program, const ingest::JsonValue& arrived,
                   Instance& instance, std::vector<FieldProblem>& bad_fields);

}  // namespace parcours::store
