// Pressure policies as the runtime applies them: caps, channel order,
// quiet hours, exemptions and what to do with a capped message.
//
// docs/policy.md states every rule; runtime/policy/ decides with these
// tables. Conditions and non-constant limits are expression functions of
// the program, evaluated on the profile alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parcours::ir {

// Where a rule was written, for `parcours explain` and the action lines'
// `detail`: "file:line" and the rule's own text, filled in by
// `lower::DescribePolicyRules` when the sources are at hand.
struct RuleSource {
  int32_t file = -1;
  int32_t line = 0;
  std::string where;  // "campaign.journey:12", or "line 12"
  std::string text;   // "cap 3 per week across email, push, sms"
};

// Calendar periods start at local midnight, Monday 00:00 or the 1st of
// the month in the recipient's zone; a rolling window is the last
// `rolling_seconds` before the decision.
enum class CapPeriod : uint8_t { Rolling, Day, Week, Month };

struct Cap {
  int32_t limit = -1;      // Function index, an Int
  int32_t condition = -1;  // Function index, a Bool; -1: always
  CapPeriod period = CapPeriod::Week;
  int64_t rolling_seconds = 0;
  // The channels counted; empty: every channel. `across` counts them
  // together; `on` gives each named channel its own count.
  std::vector<std::string> channels;
  bool across = true;
  // `reserve N for high`: the last `reserved` slots (Function index, an
  // Int; -1: none) take only messages ranked `reserved_rank` or higher in
  // sema::KnownPriorities(); the others see `limit - reserved`.
  int32_t reserved = -1;
  int32_t reserved_rank = 0;
  RuleSource source;
};

// Quiet hours from `from` to `to`, in seconds after local midnight, or
// after Monday 00:00 local when `weekly`. `to` before `from` runs across
// midnight (or across the end of the week).
struct Quiet {
  bool weekly = false;
  int64_t from = 0;
  int64_t to = 0;
  std::vector<std::string> channels;  // empty: every channel
  RuleSource source;
};

enum class CappedAction : uint8_t { Drop, Defer, Fallback };

struct Policy {
  std::string name;
  std::vector<Cap> caps;
  std::vector<std::string> priority;  // channel order, first preferred
  RuleSource priority_source;
  // The profile attribute (a channel) naming the customer's own choice,
  // tried first (`prefer`); -1: none.
  int32_t prefer_attribute = -1;
  std::vector<Quiet> quiet;
  std::vector<std::string> exempt;  // message categories
  CappedAction when_capped = CappedAction::Drop;
  int64_t defer_within = 0;  // seconds; 0: a deferral never expires
  RuleSource capped_source;
};

// The channels of the consent ledger, in the order of their hidden words.
const std::vector<std::string>& ConsentChannels();

const char* CapPeriodName(CapPeriod period);
const char* CappedActionName(CappedAction action);

// The text form `ir::Dump` prints for a policy.
std::string DumpPolicy(const Policy& policy);

}  // namespace parcours::ir
