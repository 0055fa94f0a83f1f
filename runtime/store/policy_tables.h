// Loading and saving a `PolicyLedger` (the `contacts`, `deferrals` and
// `decisions` tables of the state file).
#pragma once

#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/state.h"

namespace parcours::store {

// Loads after the profiles: consent also sets their hidden words.
common::Status LoadPolicyLedger(Database& db, State& state);

// Sets the hidden profile word `consent(channel)` reads (ir::Program::
// consent_offset) from a marketing consent record.
void SetConsentWord(const ir::Program& program, Profile& profile,
                    const ConsentRecord& record);

// Writes the ledger's changes; the caller holds the transaction.
common::Status WritePolicyLedger(Database& db, const State& state);

}  // namespace parcours::store
