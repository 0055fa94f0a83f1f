#include "compiler/ir/lists.h"

#include <algorithm>
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

// String `k` of a ConstSet of strings. `std::string_view` orders by bytes
// as unsigned chars, a prefix first: the order the set is sorted in.
std::string_view SetString(const int64_t* starts, const char* bytes,
                           int64_t k) {
  return {bytes + starts[k], static_cast<size_t>(starts[k + 1] - starts[k])};
}

}  // namespace

namespace parcours::ir {

int64_t ConstSetSize(const ConstSet& set) {
  auto words = static_cast<int64_t>(set.words.size());
  if (set.type != Type::String) return words;
  return words > 0 ? words - 1 : 0;
}

ConstSet MakeWordSet(Type type, std::vector<int64_t> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  ConstSet set;
  set.type = type;
  set.words = std::move(items);
  return set;
}

ConstSet MakeStringSet(std::vector<std::string> items) {
  std::sort(items.begin(), items.end(),
            [](const std::string& a, const std::string& b) {
              return std::string_view(a) < std::string_view(b);
            });
  items.erase(std::unique(items.begin(), items.end()), items.end());
  ConstSet set;
  set.type = Type::String;
  set.words.reserve(items.size() + 1);
  for (const std::string& item : items) {
    set.words.push_back(static_cast<int64_t>(set.bytes.size()));
    set.bytes += item;
  }
  set.words.push_back(static_cast<int64_t>(set.bytes.size()));
  return set;
}

bool ConstSetHolds(const ConstSet& set, int64_t word0, int64_t word1) {
  if (set.type != Type::String) {
    return parcours_words_contain(set.words.data(), ConstSetSize(set), word0) !=
           0;
  }
  return parcours_strings_contain(
             set.words.data(), ConstSetSize(set), set.bytes.data(),
             reinterpret_cast<const char*>(word0), word1) != 0;
}

std::string VerifyConstSet(const ConstSet& set) {
  // Money takes two words, which a set of words cannot compare.
  bool strings = set.type == Type::String;
  if (!strings && WordCount(set.type) != 1) {
    return std::string("a set cannot hold ") + TypeName(set.type);
  }
  if (!strings) {
    for (size_t k = 1; k < set.words.size(); ++k) {
      if (set.words[k - 1] >= set.words[k]) {
        return "items out of order or repeated";
      }
    }
    return "";
  }

  auto size = static_cast<int64_t>(set.bytes.size());
  if (set.words.empty() || set.words.front() != 0 || set.words.back() != size) {
    return "string starts do not span the bytes";
  }
  for (size_t k = 1; k < set.words.size(); ++k) {
    if (set.words[k - 1] > set.words[k]) return "string starts go back";
  }
  const char* bytes = set.bytes.data();
  for (int64_t k = 1; k < ConstSetSize(set); ++k) {
    if (SetString(set.words.data(), bytes, k - 1) >=
        SetString(set.words.data(), bytes, k)) {
      return "items out of order or repeated";
    }
  }
  return "";
}

}  // namespace parcours::ir

int64_t parcours_words_contain(const int64_t* items, int64_t count,
                               int64_t value) {
  if (count <= 0) return 0;
  return std::binary_search(items, items + count, value) ? 1 : 0;
}

int64_t parcours_strings_contain(const int64_t* starts, int64_t count,
                                 const char* bytes, const char* item,
                                 int64_t length) {
  std::string_view wanted(item, static_cast<size_t>(length < 0 ? 0 : length));
  int64_t low = 0;
  int64_t high = count;
  while (low < high) {
    int64_t middle = low + (high - low) / 2;
    int order = SetString(starts, bytes, middle).compare(wanted);
    if (order == 0) return 1;
    if (order < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return 0;
}

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
