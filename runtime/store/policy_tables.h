// Loading and saving a `PolicyLedger` (the `contacts`, `deferrals` and
// `decisions` tables of the state file).
#pragma once

#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/state.h"

namespace parcours::store {

common::Status LoadPolicyLedger(Database& db, State& state);

// Writes the ledger's changes; the caller holds the transaction.
common::Status WritePolicyLedger(Database& db, const State& state);

}  // namespace parcours::store
