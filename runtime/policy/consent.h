// Writes an input line's consent changes to the consent ledger.
#pragma once

#include "compiler/ir/ir.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/state.h"

namespace parcours::policy {

// Appends `event.consent` to the ledger at the engine's clock `now`, with
// the line as source, and updates the profile's hidden consent words.
void RecordConsent(const ir::Program& program, store::State& state,
                   store::Profile& profile, const ingest::DecodedEvent& event,
                   int64_t now);

}  // namespace parcours::policy
