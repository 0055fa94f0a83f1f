// The JSON text of a profile's and an instance's columns, written straight
// into a string.
//
// The columns were built as `nlohmann::ordered_json` trees and dumped;
// with group commit every batch rewrites each profile it touched, and the
// trees were a fifth of the replay's time (docs/performance.md). These
// writers give the very same bytes for the values a state holds. Where
// they could differ from the dump, a string with a byte outside printable
// ASCII (which the dump escapes or checks as UTF-8) or two keys with one
// name (which the dump merges), they return false, and the caller dumps
// the tree as before. A test compares the two on random records.
#pragma once

#include <string>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/store/state.h"

namespace parcours::store {

// Each appends one JSON object to `out`, as `Dump` of the matching
// `Encode...` tree would; false when the text could differ.
bool AppendAttributesText(const ir::Program& program,
                          const common::Record& record, std::string& out);
bool AppendAggregatesText(const ir::Program& program,
                          const common::Record& record, std::string& out);
bool AppendSegmentsText(const ir::Program& program,
                        const common::Record& record, std::string& out);
bool AppendEntriesText(const ir::Program& program, const Profile& profile,
                       std::string& out);
bool AppendLocalsText(const ir::EventType& event, const common::Record& locals,
                      std::string& out);

}  // namespace parcours::store
