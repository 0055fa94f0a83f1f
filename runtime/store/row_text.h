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
#include <string_view>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/common/record.h"
#include "runtime/store/state.h"

namespace parcours::store {

// The writers of one program's columns. A save writes many rows of the
// same shape, so each key's `"name":` text is escaped once, here, rather
// than once per row.
class RowText {
 public:
  // `program` must outlive this.
  explicit RowText(const ir::Program& program);

  // Each appends one JSON object to `out`, as `Dump` of the matching
  // `Encode...` tree would; false when the text could differ.
  bool AppendAttributes(const common::Record& record, std::string& out) const;
  bool AppendAggregates(const common::Record& record, std::string& out) const;
  bool AppendSegments(const common::Record& record, std::string& out) const;
  bool AppendEntries(const Profile& profile, std::string& out) const;
  bool AppendLocals(const ir::EventType& event, const common::Record& locals,
                    std::string& out) const;

 private:
  // The `"name":` text of each key of an object, in order; not `ok` when
  // a name is outside printable ASCII or two names are one key.
  struct Keys {
    std::vector<std::string> texts;
    bool ok = true;
  };
  static Keys MakeKeys(const std::vector<std::string_view>& names);
  static Keys MakeFieldKeys(const std::vector<ir::Field>& fields);

  static bool AppendFields(const std::vector<ir::Field>& fields,
                           const Keys& keys, const common::Record& record,
                           int32_t shift, bool first, std::string& out);
  bool AppendAggregate(const ir::Aggregate& aggregate,
                       const common::Record& record, std::string& out) const;
  // The keys of `event`'s fields: the program's own, or `scratch` made
  // for an event type of another program.
  const Keys& EventKeys(const ir::EventType& event, Keys& scratch) const;

  const ir::Program& program_;
  Keys attributes_;
  Keys aggregates_;
  Keys segments_;
  Keys journeys_;
  std::vector<Keys> event_fields_;  // by index in `program.events`
};

}  // namespace parcours::store
