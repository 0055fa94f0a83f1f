#include "compiler/ir/policy.h"

#include <sstream>

namespace parcours::ir {

const std::vector<std::string>& ConsentChannels() {
  static const std::vector<std::string> channels = {"email", "inapp", "push",
                                                    "sms"};
  return channels;
}

const char* CapPeriodName(CapPeriod period) {
  switch (period) {
    case CapPeriod::Rolling: return "rolling";
    case CapPeriod::Day: return "day";
    case CapPeriod::Week: return "week";
    case CapPeriod::Month: return "month";
  }
  return "?";
}

const char* CappedActionName(CappedAction action) {
  switch (action) {
    case CappedAction::Drop: return "drop";
    case CappedAction::Defer: return "defer";
    case CappedAction::Fallback: return "fallback";
  }
  return "?";
}

namespace {

std::string Channels(const std::vector<std::string>& channels) {
  if (channels.empty()) return " all";
  std::string text;
  for (const std::string& channel : channels) text += " " + channel;
  return text;
}

}  // namespace

std::string DumpPolicy(const Policy& policy) {
  std::ostringstream out;
  out << "policy " << policy.name << " when-capped "
      << CappedActionName(policy.when_capped);
  if (policy.defer_within > 0) out << " within " << policy.defer_within << "s";
  out << " {\n";
  for (const Cap& cap : policy.caps) {
    out << "    cap fn" << cap.limit << " per " << CapPeriodName(cap.period);
    if (cap.period == CapPeriod::Rolling) out << " " << cap.rolling_seconds;
    out << (cap.across ? " across" : " on") << Channels(cap.channels);
    if (cap.condition >= 0) out << " when fn" << cap.condition;
    if (cap.reserved >= 0) {
      out << " reserve fn" << cap.reserved << " for rank " << cap.reserved_rank;
    }
    out << " line " << cap.source.line << "\n";
  }
  if (!policy.priority.empty()) {
    out << "    priority" << Channels(policy.priority) << "\n";
  }
  if (policy.prefer_attribute >= 0) {
    out << "    prefer attribute " << policy.prefer_attribute << "\n";
  }
  for (const Quiet& quiet : policy.quiet) {
    out << "    quiet " << (quiet.weekly ? "weekly " : "daily ") << quiet.from
        << "s .. " << quiet.to << "s on" << Channels(quiet.channels) << " line "
        << quiet.source.line << "\n";
  }
  if (!policy.exempt.empty()) {
    out << "    exempt" << Channels(policy.exempt) << "\n";
  }
  out << "  }\n";
  return out.str();
}

}  // namespace parcours::ir
