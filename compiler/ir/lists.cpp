#include "compiler/ir/lists.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>

namespace {

bool HoldsInt(const nlohmann::json& item, int64_t wanted) {
  if (item.is_number_integer()) return item.get<int64_t>() == wanted;
  if (item.is_number_unsigned()) {
    return wanted >= 0 && item.get<uint64_t>() == static_cast<uint64_t>(wanted);
  }
  if (!item.is_number_float()) return false;
  // A whole number written with a fraction (`2.0`); beyond 2^53 a double
  // names no single int, so nothing that large matches.
  double number = item.get<double>();
  constexpr double kExact = 9007199254740992.0;  // 2^53
  return std::fabs(number) <= kExact && std::trunc(number) == number &&
         static_cast<int64_t>(number) == wanted;
}

}  // namespace

int64_t parcours_list_contains(const char* list, int64_t list_length,
                               int64_t item0, int64_t item1,
                               int64_t item_kind) {
  if (list == nullptr || list_length <= 0) return 0;
  // The engines cannot take an exception: bad text parses to a discarded
  // value, which holds nothing.
  nlohmann::json items = nlohmann::json::parse(
      list, list + list_length, nullptr, /*allow_exceptions=*/false);
  if (!items.is_array()) return 0;

  using parcours::ir::ListItemKind;
  if (item_kind == static_cast<int64_t>(ListItemKind::String)) {
    std::string_view wanted(reinterpret_cast<const char*>(item0),
                            static_cast<size_t>(item1 < 0 ? 0 : item1));
    for (const nlohmann::json& item : items) {
      if (!item.is_string()) continue;
      if (item.get_ref<const std::string&>() == wanted) return 1;
    }
    return 0;
  }
  if (item_kind == static_cast<int64_t>(ListItemKind::Int)) {
    for (const nlohmann::json& item : items) {
      if (HoldsInt(item, item0)) return 1;
    }
  }
  return 0;
}
