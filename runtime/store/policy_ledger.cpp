#include "runtime/store/policy_ledger.h"

#include <algorithm>
#include <iterator>

namespace parcours::store {

const std::vector<Contact>& PolicyLedger::Contacts(
    const std::string& profile) const {
  static const std::vector<Contact> kNone;
  auto found = contacts_.find(profile);
  return found == contacts_.end() ? kNone : found->second;
}

void PolicyLedger::AddContact(const std::string& profile, Contact contact,
                              bool is_new) {
  if (is_new) new_contacts_.emplace_back(profile, contact);
  contacts_[profile].push_back(std::move(contact));
}

void PolicyLedger::AddHeldOutContact(const std::string& profile,
                                     Contact contact, bool is_new) {
  if (is_new) new_held_out_contacts_.emplace_back(profile, contact);
  held_out_contacts_[profile].push_back(std::move(contact));
}

std::vector<Contact> PolicyLedger::ControlHistory(
    const std::string& profile) const {
  const std::vector<Contact>& sent = Contacts(profile);
  auto found = held_out_contacts_.find(profile);
  if (found == held_out_contacts_.end()) return sent;
  std::vector<Contact> merged;
  merged.reserve(sent.size() + found->second.size());
  // Stable: at one instant, what was sent comes first.
  std::merge(sent.begin(), sent.end(), found->second.begin(),
             found->second.end(), std::back_inserter(merged),
             [](const Contact& left, const Contact& right) {
               return left.at < right.at;
             });
  return merged;
}

std::optional<int64_t> PolicyLedger::DeferredSince(
    const std::string& profile, const std::string& journey) const {
  auto found = deferred_since_.find({profile, journey});
  if (found == deferred_since_.end()) return std::nullopt;
  return found->second;
}

void PolicyLedger::SetDeferredSince(const std::string& profile,
                                    const std::string& journey,
                                    std::optional<int64_t> since, bool is_new) {
  Key key{profile, journey};
  if (since) {
    deferred_since_[key] = *since;
  } else if (deferred_since_.erase(key) == 0) {
    return;  // nothing was deferred; nothing to forget
  }
  if (is_new) changed_deferrals_[key] = since;
}

const ConsentRecord* PolicyLedger::LatestConsent(
    const std::string& profile, const std::string& channel) const {
  auto found = latest_consent_.find({profile, channel});
  return found == latest_consent_.end() ? nullptr : &found->second;
}

bool PolicyLedger::AddConsent(const std::string& profile, ConsentRecord record,
                              bool is_new) {
  bool latest = false;
  if (record.purpose == "marketing") {
    auto [current, inserted] =
        latest_consent_.try_emplace({profile, record.channel}, record);
    latest = inserted || record.at >= current->second.at;
    if (latest) current->second = record;
  }
  if (is_new) new_consent_.emplace_back(profile, std::move(record));
  return latest;
}

void PolicyLedger::ClearChanges() {
  new_consent_.clear();
  new_contacts_.clear();
  new_held_out_contacts_.clear();
  changed_deferrals_.clear();
  decisions_.clear();
}

}  // namespace parcours::store
