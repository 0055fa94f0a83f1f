// The pressure-policy decision for one message at one instant: send it (on
// which channel), suppress it (why), or defer it (until when).
//
// Pure: the result depends on the arguments only, so both engines and
// every replay decide alike. docs/policy.md states the rules in order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "runtime/store/policy_ledger.h"

namespace parcours::policy {

enum class Verdict : uint8_t { Send, Suppress, Defer };

struct Decision {
  Verdict verdict = Verdict::Send;
  std::string channel;  // the channel sent on, or the one judged
  // Send: whether caps count it (exempt messages are not counted).
  bool counted = true;
  // Held back: consent, unreachable, cap, quiet, expired. On a send:
  // "override", "exempt" or empty.
  std::string reason;
  std::string detail;
  const ir::RuleSource* rule = nullptr;  // the rule that decided, if any
  int64_t until = 0;                     // Defer
};

struct Request {
  const ir::Step* step = nullptr;      // a Send step
  const ir::Policy* policy = nullptr;  // null: the journey has none
  const int64_t* profile = nullptr;    // the profile record
  std::string zone;                    // the recipient's zone; "" is UTC
  int64_t now = 0;
  // When the message was first deferred; none on its first try.
  std::optional<int64_t> deferred_since;
  const std::vector<store::Contact>* history = nullptr;  // time order
  // Consent: the ledger and whose records to read.
  const store::PolicyLedger* ledger = nullptr;
  std::string profile_id;
  // The customer's own channel (`prefer`), or empty.
  std::string preferred;
  // Channels the profile has no address for (no email, phone or token).
  std::vector<std::string> unreachable;
};

Decision Decide(const ir::Evaluator& evaluator, const Request& request);

// "cap 3 per week across email, push (campaign.journey:12)".
std::string DescribeRule(const ir::RuleSource& rule);

}  // namespace parcours::policy
