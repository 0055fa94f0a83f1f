#include "runtime/common/currency_digits.h"

#include <algorithm>
#include <array>

namespace parcours::common {

int CurrencyMinorDigits(std::string_view code) {
  static constexpr std::array<std::string_view, 17> kNoDecimals = {
      "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
      "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::array<std::string_view, 7> kThreeDecimals = {
      "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  auto lists = [&](const auto& codes) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  };
  if (lists(kNoDecimals)) return 0;
  if (lists(kThreeDecimals)) return 3;
  return 2;
}

}  // namespace parcours::common
