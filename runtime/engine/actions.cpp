#include "runtime/engine/actions.h"

#include <nlohmann/json.hpp>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"

namespace parcours::engine {

std::string ActionId(std::string_view profile, std::string_view journey,
                     int64_t instance_seq, std::string_view step) {
  std::string key;
  key.reserve(profile.size() + journey.size() + step.size() + 24);
  key.append(profile);
  key.push_back('\x1f');
  key.append(journey);
  key.push_back('\x1f');
  key.append(std::to_string(instance_seq));
  key.push_back('\x1f');
  key.append(step);

  return common::Hex64(Fnv1a64(key));
}

std::string FormatSendLine(const SendAction& send) {
  // `ordered_json` keeps keys in insertion order, which is the contract's
  // order; its number and string output does not depend on the locale.
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["kind"] = "send";
  line["id"] = send.id;
  line["at"] = common::FormatTime(send.at);
  line["profile"] = send.profile;
  line["channel"] = send.channel.empty() ? std::string_view(send.step->channel)
                                         : send.channel;
  line["template"] = send.step->template_name;
  line["journey"] = send.journey;
  line["step"] = send.step->name;
  // TODO: the IR has no message payload yet; every send has an empty one
  // until `ir::Step` carries it.
  line["category"] = send.step->category;
  line["payload"] = nlohmann::ordered_json::object();
  if (!send.unsubscribe_url.empty()) {
    // RFC 8058 one-click unsubscribe.
    line["payload"]["headers"] = {
        {"List-Unsubscribe", "<" + std::string(send.unsubscribe_url) + ">"},
        {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  }
  return line.dump(-1, ' ', false,
                   nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace parcours::engine
