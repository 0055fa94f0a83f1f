#include "runtime/policy/consent.h"

#include "runtime/store/policy_tables.h"

namespace parcours::policy {

void RecordConsent(const ir::Program& program, store::State& state,
                   store::Profile& profile, const ingest::DecodedEvent& event,
                   int64_t /*now*/) {
  // The message id names the line for good; without one, its content key
  // does. A line number counts from the start of the run that read it,
  // so the same events cut into two runs would name one record twice.
  std::string source = event.message_id ? *event.message_id : event.key;
  for (const ingest::ConsentChange& change : event.consent) {
    // Consent takes effect from when the customer gave or withdrew it,
    // which a late line may report after a newer change.
    store::ConsentRecord record;
    record.at = event.timestamp;
    record.channel = change.channel;
    record.purpose = change.purpose;
    record.granted = change.granted;
    record.source = source;
    record.context = change.context;
    if (!change.source.empty()) record.context += " via " + change.source;
    if (state.policy_ledger().AddConsent(profile.id, record, true)) {
      store::SetConsentWord(program, profile, record);
    }
  }
  state.MarkRecordDirty(profile);
}

}  // namespace parcours::policy
