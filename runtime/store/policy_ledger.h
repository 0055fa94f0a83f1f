// What pressure policies remember per profile: the messages handed to a
// channel (the contact history caps count), the messages waiting in a
// deferral, and the decisions taken, for `parcours explain` and `parcours
// report caps`.
//
// The history and the deferrals are loaded with the state; decisions are
// only appended. docs/policy.md states the rules that use them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parcours::store {

// One message handed to a channel and counted by caps.
struct Contact {
  int64_t at = 0;
  std::string channel;
  // The message's category: a cap skips the contacts its policy exempts,
  // whichever journey sent them.
  std::string category = "marketing";
};

// A row of the `decisions` table.
struct DecisionRow {
  int64_t at = 0;
  std::string profile;
  std::string journey;
  std::string step;
  std::string channel;
  std::string template_name;
  std::string kind;    // send, suppressed, deferred
  std::string reason;  // empty for a plain send
  std::string detail;
  std::string rule_where;  // "file:line" of the rule that decided, or ""
  std::string rule_text;
  std::optional<int64_t> until;  // deferred
  bool late = false;             // decided at a restart, after it fell due
};

// One grant or revocation in the consent ledger; rows are only appended.
struct ConsentRecord {
  int64_t at = 0;  // when it was given or withdrawn: the event's own time
  std::string channel;
  std::string purpose;  // "marketing" unless the event said otherwise
  bool granted = false;
  std::string source;   // the input line: its message id, or "line N"
  std::string context;  // what it was, e.g. "inbound SMS \"stop\""
};

class PolicyLedger {
 public:
  // The latest marketing consent record of `profile` on `channel`.
  const ConsentRecord* LatestConsent(const std::string& profile,
                                     const std::string& channel) const;

  // Appends a record; `is_new` ones are also saved with the next batch.
  // Returns whether it is now the latest marketing record of its channel:
  // the latest by the time the customer gave or withdrew consent (`at`),
  // not by arrival, so a grant that arrives after a newer revocation is
  // kept in the history but changes nothing. On a tie, the later arrival.
  bool AddConsent(const std::string& profile, ConsentRecord record,
                  bool is_new);
  const std::vector<std::pair<std::string, ConsentRecord>>& new_consent()
      const {
    return new_consent_;
  }

  // The profile's counted contacts in time order; empty when it has none.
  const std::vector<Contact>& Contacts(const std::string& profile) const;

  // Appends a contact; `is_new` ones are also saved with the next batch.
  // Contacts of one profile arrive in time order (the clock never goes
  // back), so the history stays sorted.
  void AddContact(const std::string& profile, Contact contact, bool is_new);

  // A message a holdout held back that its policy would have let out:
  // counted by the control contact's own caps, so that its pace keeps
  // that of a messaged contact, and by nothing else (nobody got it).
  void AddHeldOutContact(const std::string& profile, Contact contact,
                         bool is_new);

  // What the control contacts of `profile` would have had: its contacts
  // and its held-out ones, in time order.
  std::vector<Contact> ControlHistory(const std::string& profile) const;

  // When the message the instance of `journey` waits to send was first
  // deferred, if it was.
  std::optional<int64_t> DeferredSince(const std::string& profile,
                                       const std::string& journey) const;
  void SetDeferredSince(const std::string& profile, const std::string& journey,
                        std::optional<int64_t> since, bool is_new = true);

  void AddDecision(DecisionRow row) { decisions_.push_back(std::move(row)); }

  // --- Changes since the last save, for the store ---
  using Key = std::pair<std::string, std::string>;  // profile, journey
  const std::vector<std::pair<std::string, Contact>>& new_contacts() const {
    return new_contacts_;
  }
  const std::vector<std::pair<std::string, Contact>>& new_held_out_contacts()
      const {
    return new_held_out_contacts_;
  }
  const std::map<Key, std::optional<int64_t>>& changed_deferrals() const {
    return changed_deferrals_;
  }
  const std::vector<DecisionRow>& pending_decisions() const {
    return decisions_;
  }
  void ClearChanges();

 private:
  std::unordered_map<std::string, std::vector<Contact>> contacts_;
  std::map<Key, int64_t> deferred_since_;
  std::vector<std::pair<std::string, Contact>> new_contacts_;
  std::unordered_map<std::string, std::vector<Contact>> held_out_contacts_;
  std::vector<std::pair<std::string, Contact>> new_held_out_contacts_;
  std::map<Key, std::optional<int64_t>> changed_deferrals_;
  std::vector<DecisionRow> decisions_;
  std::map<Key, ConsentRecord> latest_consent_;  // (profile, channel)
  std::vector<std::pair<std::string, ConsentRecord>> new_consent_;
};

}  // namespace parcours::store
