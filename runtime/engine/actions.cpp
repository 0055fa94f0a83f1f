#include "runtime/engine/actions.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/common/time_text.h"

namespace parcours::engine {

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string ActionId(std::string_view profile, std::string_view journey,
                     int64_t instance_seq, int32_t step_index) {
  std::string key;
  key.reserve(profile.size() + journey.size() + 32);
  key.append(profile);
  key.push_back('\x1f');
  key.append(journey);
  key.push_back('\x1f');
  key.append(std::to_string(instance_seq));
  key.push_back('\x1f');
  key.append(std::to_string(step_index));

  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(Fnv1a64(key)));
  return hex;
}

std::string FormatSendLine(const SendAction& send) {
  // `ordered_json` keeps keys in insertion order, which is the contract's
  // order; its number and string output does not depend on the locale.
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["kind"] = "send";
  line["id"] = send.id;
  line["at"] = common::FormatTime(send.at);
  line["profile"] = send.profile;
  line["channel"] = send.step->channel;
  line["template"] = send.step->template_name;
  line["journey"] = send.journey;
  line["step"] = send.step->name;
  // TODO: the IR has no message category or payload yet; every send is
  // "marketing" with an empty payload until `ir::Step` carries both.
  line["category"] = "marketing";
  line["payload"] = nlohmann::ordered_json::object();
  return line.dump(-1, ' ', false,
                   nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace parcours::engine
