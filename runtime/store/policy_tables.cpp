#include "runtime/store/policy_tables.h"

#include <algorithm>
#include <cstdint>

namespace parcours::store {

using common::Expected;
using common::Status;

void SetConsentWord(const ir::Program& program, Profile& profile,
                    const ConsentRecord& record) {
  if (program.consent_offset < 0 || record.purpose != "marketing") return;
  const auto& channels = ir::ConsentChannels();
  for (size_t i = 0; i < channels.size(); ++i) {
    if (channels[i] != record.channel) continue;
    profile.record.Set(program.consent_offset + static_cast<int32_t>(i),
                       record.granted ? 1 : 0);
  }
}

namespace {

// How far back from the clock any cap of `program` can look: a calendar
// day, week or month is at most 25 hours, 8 days or 32 days long, with
// daylight saving. Older contacts stay in the file but are not loaded.
int64_t HistoryHorizon(const ir::Program& program) {
  int64_t horizon = 0;
  for (const ir::Policy& policy : program.policies) {
    for (const ir::Cap& cap : policy.caps) {
      switch (cap.period) {
        case ir::CapPeriod::Rolling:
          horizon = std::max(horizon, cap.rolling_seconds);
          break;
        case ir::CapPeriod::Day:
          horizon = std::max<int64_t>(horizon, 2 * 86400);
          break;
        case ir::CapPeriod::Week:
          horizon = std::max<int64_t>(horizon, 8 * 86400);
          break;
        case ir::CapPeriod::Month:
          horizon = std::max<int64_t>(horizon, 32 * 86400);
          break;
      }
    }
  }
  return horizon;
}

}  // namespace

Status LoadPolicyLedger(Database& db, State& state) {
  PolicyLedger& ledger = state.policy_ledger();
  int64_t horizon = HistoryHorizon(state.program());
  int64_t since =
      horizon == 0 ? INT64_MAX : state.clock().value_or(0) - horizon;
  for (bool held_out : {false, true}) {
    // In time order per profile, as caps expect the history.
    Expected<Statement> contacts =
        db.Prepare(std::string("SELECT profile, at, channel, category FROM ") +
                   (held_out ? "held_out_contacts" : "contacts") +
                   " WHERE at >= ?1 ORDER BY profile, at, rowid");
    if (!contacts.ok()) return contacts.status();
    contacts->BindInt(1, since);
    for (;;) {
      Expected<bool> row = contacts->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Contact contact{contacts->Int(1), contacts->Text(2), contacts->Text(3)};
      if (held_out) {
        ledger.AddHeldOutContact(contacts->Text(0), std::move(contact), false);
      } else {
        ledger.AddContact(contacts->Text(0), std::move(contact), false);
      }
    }
  }

  // In the order written; the latest of each channel by its own time
  // wins, as when it arrived.
  Expected<Statement> consent = db.Prepare(
      "SELECT profile, at, channel, purpose, granted, source, context "
      "FROM consent_ledger ORDER BY seq");
  if (!consent.ok()) return consent.status();
  for (;;) {
    Expected<bool> row = consent->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ConsentRecord record{consent->Int(1),  consent->Text(2),
                         consent->Text(3), consent->Int(4) != 0,
                         consent->Text(5), consent->Text(6)};
    std::string profile = consent->Text(0);
    bool latest = ledger.AddConsent(profile, record, false);
    // A profile a lazy load left cold takes its consent when it warms.
    Profile* loaded = state.profile_index().Find(profile);
    if (latest && loaded != nullptr && !loaded->cold) {
      SetConsentWord(state.program(), *loaded, record);
    }
  }

  Expected<Statement> deferrals =
      db.Prepare("SELECT profile, journey, since FROM deferrals");
  if (!deferrals.ok()) return deferrals.status();
  for (;;) {
    Expected<bool> row = deferrals->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ledger.SetDeferredSince(deferrals->Text(0), deferrals->Text(1),
                            deferrals->Int(2), false);
  }
  return Status::Ok();
}

namespace {

// The rows below live in the ledger until the save ends, so their text is
// bound without a copy.

// `contacts` into `table`: `contacts` or `held_out_contacts`.
Status WriteContacts(
    Database& db, const std::string& table,
    const std::vector<std::pair<std::string, Contact>>& contacts) {
  if (contacts.empty()) return Status::Ok();
  Expected<Statement> insert =
      db.Prepare("INSERT INTO " + table +
                 "(profile, at, channel, category) VALUES(?1, ?2, ?3, ?4)");
  if (!insert.ok()) return insert.status();
  for (const auto& [profile, contact] : contacts) {
    insert->BindBorrowedText(1, profile);
    insert->BindInt(2, contact.at);
    insert->BindBorrowedText(3, contact.channel);
    insert->BindBorrowedText(4, contact.category);
    Status status = insert->Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status WriteDeferrals(Database& db, const PolicyLedger& ledger) {
  if (ledger.changed_deferrals().empty()) return Status::Ok();
  Expected<Statement> upsert = db.Prepare(
      "INSERT OR REPLACE INTO deferrals(profile, journey, since) "
      "VALUES(?1, ?2, ?3)");
  if (!upsert.ok()) return upsert.status();
  Expected<Statement> remove =
      db.Prepare("DELETE FROM deferrals WHERE profile = ?1 AND journey = ?2");
  if (!remove.ok()) return remove.status();
  for (const auto& [key, since] : ledger.changed_deferrals()) {
    Statement& statement = since ? *upsert : *remove;
    statement.BindBorrowedText(1, key.first);
    statement.BindBorrowedText(2, key.second);
    if (since) statement.BindInt(3, *since);
    Status status = statement.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status WriteConsent(Database& db, const PolicyLedger& ledger) {
  if (ledger.new_consent().empty()) return Status::Ok();
  Expected<Statement> insert = db.Prepare(
      "INSERT INTO consent_ledger(profile, at, channel, purpose, granted, "
      "source, context) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!insert.ok()) return insert.status();
  for (const auto& [profile, record] : ledger.new_consent()) {
    insert->BindBorrowedText(1, profile);
    insert->BindInt(2, record.at);
    insert->BindBorrowedText(3, record.channel);
    insert->BindBorrowedText(4, record.purpose);
    insert->BindInt(5, record.granted ? 1 : 0);
    insert->BindBorrowedText(6, record.source);
    insert->BindBorrowedText(7, record.context);
    Status status = insert->Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status WriteDecisions(Database& db, const PolicyLedger& ledger) {
  if (ledger.pending_decisions().empty()) return Status::Ok();
  Expected<Statement> insert = db.Prepare(
      "INSERT INTO decisions(at, profile, journey, step, channel, template, "
      "kind, reason, detail, rule, rule_text, until, late) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  if (!insert.ok()) return insert.status();
  for (const DecisionRow& row : ledger.pending_decisions()) {
    insert->BindInt(1, row.at);
    insert->BindBorrowedText(2, row.profile);
    insert->BindBorrowedText(3, row.journey);
    insert->BindBorrowedText(4, row.step);
    insert->BindBorrowedText(5, row.channel);
    insert->BindBorrowedText(6, row.template_name);
    insert->BindBorrowedText(7, row.kind);
    insert->BindBorrowedText(8, row.reason);
    insert->BindBorrowedText(9, row.detail);
    insert->BindBorrowedText(10, row.rule_where);
    insert->BindBorrowedText(11, row.rule_text);
    insert->BindOptional(12, row.until);
    insert->BindInt(13, row.late ? 1 : 0);
    Status status = insert->Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status WritePolicyLedger(Database& db, const State& state) {
  const PolicyLedger& ledger = state.policy_ledger();
  Status status = WriteConsent(db, ledger);
  if (status.ok())
    status = WriteContacts(db, "contacts", ledger.new_contacts());
  if (status.ok()) {
    status =
        WriteContacts(db, "held_out_contacts", ledger.new_held_out_contacts());
  }
  if (status.ok()) status = WriteDeferrals(db, ledger);
  if (status.ok()) status = WriteDecisions(db, ledger);
  return status;
}

}  // namespace parcours::store
