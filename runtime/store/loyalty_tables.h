// Loading and saving the members' loyalty accounts (the `loyalty_*`
// tables of the state file; docs/runtime.md lists their columns).
//
// Ledger rows are only ever appended. On load, each member's ledger is
// checked against the balance saved with it (`loyalty::Ledger::Verify`);
// a file whose rows disagree is refused, naming the member.
#pragma once

#include <memory>

#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/state.h"

namespace parcours::store {

// Loads after the profiles, and sets the hidden words `balance(p)` and
// `tier(p)` read.
// Profiles a lazy load left cold are skipped: `LoadLoyaltyOf` reads
// theirs when they warm.
common::Status LoadLoyalty(Database& db, State& state);

// The statements `LoadLoyaltyOf` reads one profile's accounts with,
// prepared at its first call and kept by the caller for the next.
struct AccountReaders;
struct AccountReadersDeleter {
  void operator()(AccountReaders* readers) const;
};
using AccountReadersPtr =
    std::unique_ptr<AccountReaders, AccountReadersDeleter>;

common::Status LoadLoyaltyOf(Database& db, State& state, Profile& profile,
                             AccountReadersPtr& readers);

// Writes the changed accounts of the dirty profiles and the programs'
// terms; the caller holds the transaction.
common::Status WriteLoyalty(Database& db, const State& state);

// After a commit: the rows written are saved.
void MarkLoyaltySaved(State& state);

}  // namespace parcours::store
