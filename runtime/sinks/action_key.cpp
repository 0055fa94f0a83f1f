#include "runtime/sinks/action_key.h"

#include <nlohmann/json.hpp>

#include "runtime/common/hash.h"

namespace parcours::sinks {

std::string IdempotencyKey(std::string_view line) {
  nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  if (parsed.is_object()) {
    auto id = parsed.find("id");
    if (id != parsed.end() && id->is_string()) return id->get<std::string>();
  }
  return "line:" + common::Hex64(common::Fnv1a64(line));
}

}  // namespace parcours::sinks
