// How many decimals an amount of a currency is written with: its ISO 4217
// minor unit. Import writes money so, and the loyalty report rounds to it.
#pragma once

#include <string_view>

namespace parcours::common {

// 0 for JPY, KRW and the like, 3 for BHD, KWD, JOD, OMR, TND, IQD, LYD,
// and 2 for every other code (the empty one too).
int CurrencyMinorDigits(std::string_view code);

}  // namespace parcours::common
