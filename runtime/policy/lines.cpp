#include "runtime/policy/lines.h"

#include <nlohmann/json.hpp>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"

namespace parcours::policy {

std::string FormatHeldLine(const HeldMessage& message,
                           const Decision& decision) {
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  bool deferred = decision.verdict == Verdict::Defer;
  line["kind"] = deferred ? "deferred" : "suppressed";
  line["id"] = message.id;
  line["at"] = common::FormatTime(message.at);
  line["profile"] = message.profile;
  line["channel"] = decision.channel;
  line["template"] = message.step->template_name;
  line["journey"] = message.journey;
  line["step"] = message.step->name;
  line["reason"] = decision.reason;
  if (deferred) line["until"] = common::FormatTime(decision.until);
  line["detail"] = decision.detail;
  if (message.late) line["late"] = true;
  return line.dump(-1, ' ', false,
                   nlohmann::ordered_json::error_handler_t::replace);
}

std::string HeldLineId(std::string_view send_id, const Decision& decision,
                       int64_t at) {
  std::string key(send_id);
  key += decision.verdict == Verdict::Defer ? "\x1f"
                                              "deferred\x1f"
                                            : "\x1f"
                                              "suppressed\x1f";
  key += std::to_string(at);
  return common::Hex64(common::Fnv1a64(key));
}

}  // namespace parcours::policy
