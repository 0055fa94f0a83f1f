// Record slots as JSON in the state file, keyed by name.
//
// The state file stores values by attribute, aggregate, segment and field
// NAME, never by offset, so that a new version of a program with another
// layout reads an old file. Values are written exactly: decimals and money
// amounts as decimal strings ("129.9"), times as ISO 8601 text.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/ingest/json_value.h"

namespace parcours::store {

using OrderedJson = nlohmann::ordered_json;

// The value of `type` at `offset` of `record`:
//   Bool true/false, Int and Duration a number, Decimal "129.9",
//   Money {"amount":"129.9","currency":"EUR"} (currency null when invalid),
//   Time "2011-01-02T10:00:00Z", String a string.
OrderedJson EncodeSlot(const common::Record& record, ir::Type type,
                       int32_t offset);

// A field's value, or null when it is optional and absent.
OrderedJson EncodeField(const common::Record& record, const ir::Field& field);

// The inverse of `EncodeSlot`. Returns an empty string on success,
// otherwise what is wrong with `value`.
std::string DecodeSlot(const ingest::JsonValue& value, ir::Type type,
                       int32_t offset, common::Record& record);

// The inverse of `EncodeField`: null makes an optional field absent.
std::string DecodeField(const ingest::JsonValue& value, const ir::Field& field,
                        common::Record& record);

// The name an aggregate is stored under: "count(OrderPlaced)" or
// "sum(OrderPlaced.total)". The IR gives aggregates no names of their own.
// An aggregate's slot in `record`: `last(E)` as null or its event's time
// and fields ({"at": ..., "field": ...}), the others as `EncodeSlot`.
OrderedJson EncodeAggregate(const ir::Program& program,
                            const ir::Aggregate& aggregate,
                            const common::Record& record);

// Reads what `EncodeAggregate` wrote; returns a problem, or "".
std::string DecodeAggregate(const ingest::JsonValue& value,
                            const ir::Program& program,
                            const ir::Aggregate& aggregate,
                            common::Record& record);

std::string AggregateName(const ir::Program& program,
                          const ir::Aggregate& aggregate);

}  // namespace parcours::store
