// What a reader of a state file sees of the rows still in `pending_rows`
// (runtime/store/pending_rows.h): a report may read a state while a run
// goes on, or one a killed run left, and its `profiles` and `instances`
// tables are then behind the blobs.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"

namespace parcours::store {

// Whether the state holds profile `id`, in its table or in a blob.
common::Expected<bool> HasProfile(Database& db, const std::string& id);

// How many contacts wait in each journey, by journey name: the rows of
// `instances` as the blobs, newest last, change them.
common::Expected<std::map<std::string, int64_t>> CountWaitingByJourney(
    Database& db);

}  // namespace parcours::store
