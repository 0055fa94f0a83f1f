// Predicate evaluation: eight segment predicates written in `.journey`,
// compiled by the real front end, evaluated over one seeded population of
// profile records by every engine in the same process:
//
//   interp      the reference interpreter, through `ir::Evaluator`
//   jit         the LLVM JIT, through `ir::Evaluator`
//   c++         the same predicates written by hand in C++ (-O2), inlined
//               into the loop over the records
//   c++ call    the same hand-written functions behind an `ir::Evaluator`
//               and a table of function pointers, the JIT's calling path:
//               the gap between `c++` and `c++ call` is the cost of the call
//   luajit      the same predicates written by hand in Lua, run by LuaJIT
//               2.1 with its FFI reading the same int64 records; the loop
//               over the records runs in Lua too, so no C-to-Lua call is
//               paid per evaluation
//
// The workloads. The first is the runtime's: all eight predicates on one
// profile, then the next, over the whole population (1,000,000 profiles by
// default), as the engine recomputes a profile's segments after each of
// its events, with one `EvaluateSegments` call per profile. The second is
// the same with one `Call` per predicate, the runtime's former way. The
// third is the first over the first 8,192 profiles, which stay in the L2
// cache as the record of the profile whose event was just applied does.
// Then each predicate alone over those profiles, to show what each
// engine's code costs.
//
// Every engine must count the same matching profiles for every predicate,
// and the three that share a calling convention must agree profile by
// profile, or the program stops.
//
// Usage: parcours_bench_predicates [PROFILES [REPETITIONS]]
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
}

#include "bench/bench_support.h"
#include "compiler/interp/interpreter.h"
#include "compiler/ir/evaluator.h"
#include "compiler/ir/segment_sets.h"
#include "compiler/jit/jit.h"

namespace parcours::bench {
namespace {

// The predicates, as a CRM team would write them. Segments are the
// runtime's hottest expressions: every event recomputes all of its
// profile's segments.
constexpr char kProgram[] = R"(module bench

profile {
  country: string = "United Kingdom"
  email: string?
  discount_rate: decimal = 0.0
  churn_risk: decimal = 0.0
  credit: money = 0 GBP
  last_login: time?
  signup: time
  avg_session: duration = 0s
  newsletter: bool = false
}

event OrderPlaced "Order Completed" {
  order_id: string
  total: money
  items: int
}

event PageViewed "Page Viewed" {
  url: string
}

segment big_spender =
  sum(OrderPlaced.total) >= 500 GBP and count(OrderPlaced) > 3

segment price_sensitive =
  profile.churn_risk > 0.65 and profile.discount_rate < 0.1

segment big_basket =
  sum(OrderPlaced.total) / count(OrderPlaced) >= 75 GBP

segment credit_due =
  profile.credit + sum(OrderPlaced.total) * 0.02 >= 25 GBP

segment british_isles =
  profile.country == "United Kingdom" or profile.country == "Ireland"

segment lapsed =
  profile.last_login < now - 90d and count(OrderPlaced) >= 1

segment engaged =
  count(PageViewed) >= 20 and profile.avg_session > 4m
    and profile.newsletter

segment new_reachable =
  profile.email != none and now - profile.signup < 30d
    and profile.country != "Germany"
)";

constexpr int kPredicates = 8;
constexpr const char* kSegmentNames[kPredicates] = {
    "big_spender",   "price_sensitive", "big_basket", "credit_due",
    "british_isles", "lapsed",          "engaged",    "new_reachable"};

// Word offsets of the profile record as lowering lays it out: attributes
// in declaration order, then aggregates in order of first use, then one
// word per segment. `CheckLayout` compares them with the compiled program
// before anything runs, so the hand-written code reads what the engines
// read.
namespace word {
constexpr int kCountry = 0;  // string: pointer, byte length
constexpr int kEmail = 2;    // string?
constexpr int kEmailPresent = 4;
constexpr int kDiscountRate = 5;  // decimal, millionths
constexpr int kChurnRisk = 6;     // decimal
constexpr int kCredit = 7;        // money: amount, currency
constexpr int kLastLogin = 9;     // time
constexpr int kLastLoginPresent = 10;
constexpr int kSignup = 11;       // time
constexpr int kAvgSession = 12;   // duration, seconds
constexpr int kNewsletter = 13;   // bool
constexpr int kOrderTotal = 14;   // sum(OrderPlaced.total): money
constexpr int kOrderCount = 16;   // count(OrderPlaced)
constexpr int kPageViews = 17;    // count(PageViewed)
constexpr int kRecordWords = 26;  // with the eight segment words
}  // namespace word

constexpr int64_t kUnit = 1'000'000;  // decimal and money scale
constexpr int64_t kDay = 86'400;
constexpr int64_t kGbp = 'G' | ('B' << 8) | ('P' << 16);
constexpr int64_t kEur = 'E' | ('U' << 8) | ('R' << 16);

// 2024-06-01T00:00:00Z: the engines' clock for the whole run.
constexpr int64_t kNow = 1'717'200'000;

void CheckLayout(const ir::Program& program) {
  auto expect = [](bool holds, const std::string& what) {
    if (!holds) Fail("the profile layout changed: " + what);
  };
  auto field = [&](const char* name) -> const ir::Field& {
    for (const ir::Field& candidate : program.profile) {
      if (candidate.name == name) return candidate;
    }
    Fail(std::string("no profile attribute ") + name);
  };

  expect(field("country").offset == word::kCountry, "country");
  expect(field("email").offset == word::kEmail &&
             field("email").presence_offset == word::kEmailPresent,
         "email");
  expect(field("discount_rate").offset == word::kDiscountRate, "discount");
  expect(field("churn_risk").offset == word::kChurnRisk, "churn_risk");
  expect(field("credit").offset == word::kCredit, "credit");
  expect(field("last_login").offset == word::kLastLogin, "last_login");
  expect(field("last_login").presence_offset == word::kLastLoginPresent,
         "last_login presence");
  expect(field("signup").offset == word::kSignup, "signup");
  expect(field("avg_session").offset == word::kAvgSession, "avg_session");
  expect(field("newsletter").offset == word::kNewsletter, "newsletter");

  // Aggregates are numbered in order of first use in the predicates.
  const auto& aggregates = program.aggregates;
  expect(aggregates.size() == 3, "aggregate count");
  expect(aggregates[0].kind == ir::AggregateKind::Sum &&
             aggregates[0].offset == word::kOrderTotal,
         "sum(OrderPlaced.total)");
  expect(aggregates[1].kind == ir::AggregateKind::Count &&
             aggregates[1].offset == word::kOrderCount,
         "count(OrderPlaced)");
  expect(aggregates[2].kind == ir::AggregateKind::Count &&
             aggregates[2].offset == word::kPageViews,
         "count(PageViewed)");
  expect(program.profile_words == word::kRecordWords, "record size");
  expect(ir::PackCurrency("GBP") == kGbp && ir::PackCurrency("EUR") == kEur,
         "currency packing");
}

// ---------------------------------------------------------------------------
// The population.

// SplitMix64: small, fast, and the same sequence on every platform, unlike
// the standard distributions.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound); the modulo bias is far below what matters here.
  int64_t Below(int64_t bound) {
    return static_cast<int64_t>(Next() % static_cast<uint64_t>(bound));
  }

  bool Percent(int percent) { return Below(100) < percent; }

 private:
  uint64_t state_;
};

constexpr uint64_t kSeed = 20240601;

// Consecutive profile records of `kRecordWords` words each.
struct Records {
  const int64_t* words = nullptr;
  size_t size = 0;

  const int64_t* Record(size_t index) const {
    return words + index * word::kRecordWords;
  }

  // The first `count` records (all of them when there are fewer).
  Records First(size_t count) const { return {words, std::min(count, size)}; }
};

// Profiles, and the strings their records point into.
struct Population {
  std::vector<std::string> countries;
  std::vector<std::string> emails;
  std::vector<int64_t> words;

  Records All() const {
    return {words.data(), words.size() / word::kRecordWords};
  }
};

void SetString(int64_t* slot, const std::string& text) {
  slot[0] = reinterpret_cast<int64_t>(text.data());
  slot[1] = static_cast<int64_t>(text.size());
}

// The country pool, weighted roughly like a UK shop's customers: a
// country's share is its number of entries out of 20.
std::vector<std::string> CountryPool() {
  return {
      "United Kingdom", "United Kingdom", "United Kingdom", "United Kingdom",
      "United Kingdom", "United Kingdom", "United Kingdom", "United Kingdom",
      "Ireland",        "Ireland",        "Germany",        "Germany",
      "France",         "France",         "Spain",          "Netherlands",
      "Belgium",        "United States",  "Australia",      "Switzerland"};
}

// One profile after a plausible history: 15 % have never ordered, one in
// ten pays in euros, most have logged in within the year.
void FillProfile(Random& random, const Population& population,
                 int64_t* record) {
  int64_t currency = random.Percent(90) ? kGbp : kEur;
  SetString(record + word::kCountry,
            population.countries[random.Below(population.countries.size())]);
  if (random.Percent(70)) {
    SetString(record + word::kEmail,
              population.emails[random.Below(population.emails.size())]);
    record[word::kEmailPresent] = 1;
  }
  record[word::kDiscountRate] = random.Below(300'001);
  record[word::kChurnRisk] = random.Below(kUnit + 1);
  record[word::kCredit] = random.Below(60 * 100) * 10'000;
  record[word::kCredit + 1] = currency;

  if (random.Percent(85)) {
    record[word::kLastLogin] = kNow - random.Below(365 * kDay);
    record[word::kLastLoginPresent] = 1;
  }
  record[word::kSignup] = kNow - random.Below(3 * 365 * kDay);
  record[word::kAvgSession] = random.Below(15 * 60);
  record[word::kNewsletter] = random.Percent(50) ? 1 : 0;

  // Orders of 5 to 250 pounds each; no orders leaves the sum at zero
  // with no currency, as the runtime does.
  int64_t orders = random.Percent(15) ? 0 : 1 + random.Below(12);
  int64_t total = 0;
  for (int64_t i = 0; i < orders; ++i) {
    total += (500 + random.Below(24'501)) * 10'000;
  }
  record[word::kOrderTotal] = total;
  record[word::kOrderTotal + 1] = orders > 0 ? currency : 0;
  record[word::kOrderCount] = orders;
  record[word::kPageViews] = random.Below(60);
}

std::unique_ptr<Population> MakePopulation(size_t size) {
  auto population = std::make_unique<Population>();
  population->countries = CountryPool();
  for (int i = 0; i < 256; ++i) {
    population->emails.push_back("customer" + std::to_string(i) +
                                 "@example.com");
  }
  population->words.assign(size * word::kRecordWords, 0);

  Random random(kSeed);
  for (size_t i = 0; i < size; ++i) {
    FillProfile(random, *population,
                population->words.data() + i * word::kRecordWords);
  }
  return population;
}

// ---------------------------------------------------------------------------
// The hand-written C++ version: what an engineer would write for these
// eight predicates over the same words, with the language's semantics
// (money of another currency compares false, money with no currency yet is
// a zero that takes the other side's; decimal products round toward zero),
// and `&&` short-circuiting as C++ does.

bool IsGbp(const int64_t* money) { return money[1] == kGbp; }

bool TextEquals(const int64_t* slot, std::string_view text) {
  std::string_view value(reinterpret_cast<const char*>(slot[0]),
                         static_cast<size_t>(slot[1]));
  return value == text;
}

int64_t DecimalMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<__int128>(a) * b / kUnit);
}

bool BigSpender(const int64_t* p, int64_t) {
  return IsGbp(p + word::kOrderTotal) && p[word::kOrderTotal] >= 500 * kUnit &&
         p[word::kOrderCount] > 3;
}

bool PriceSensitive(const int64_t* p, int64_t) {
  return p[word::kChurnRisk] > 650'000 && p[word::kDiscountRate] < 100'000;
}

// The language's money / int divides exactly like C++'s truncating `/`,
// and dividing by a zero count gives 0.
bool BigBasket(const int64_t* p, int64_t) {
  int64_t count = p[word::kOrderCount];
  if (!IsGbp(p + word::kOrderTotal) || count == 0) return false;
  return p[word::kOrderTotal] / count >= 75 * kUnit;
}

// A profile with no orders has a sum with no currency yet, which adds to
// the credit as a zero; every credit in this data has a currency.
bool CreditDue(const int64_t* p, int64_t) {
  bool no_orders = p[word::kOrderTotal + 1] == 0;
  if (!IsGbp(p + word::kCredit) ||
      !(no_orders || IsGbp(p + word::kOrderTotal))) {
    return false;
  }
  int64_t cashback = DecimalMul(p[word::kOrderTotal], 20'000);
  return p[word::kCredit] + cashback >= 25 * kUnit;
}

bool BritishIsles(const int64_t* p, int64_t) {
  return TextEquals(p + word::kCountry, "United Kingdom") ||
         TextEquals(p + word::kCountry, "Ireland");
}

bool Lapsed(const int64_t* p, int64_t now) {
  return p[word::kLastLoginPresent] != 0 &&
         p[word::kLastLogin] < now - 90 * kDay && p[word::kOrderCount] >= 1;
}

bool Engaged(const int64_t* p, int64_t) {
  return p[word::kPageViews] >= 20 && p[word::kAvgSession] > 4 * 60 &&
         p[word::kNewsletter] != 0;
}

bool NewReachable(const int64_t* p, int64_t now) {
  return p[word::kEmailPresent] != 0 && now - p[word::kSignup] < 30 * kDay &&
         !TextEquals(p + word::kCountry, "Germany");
}

using Predicate = bool (*)(const int64_t*, int64_t);

// A loop per predicate, so that the compiler inlines it as it would in a
// hand-written engine.
template <Predicate kPredicate>
int64_t CountInline(Records records, int64_t now) {
  int64_t matches = 0;
  for (size_t i = 0; i < records.size; ++i) {
    matches += kPredicate(records.Record(i), now) ? 1 : 0;
  }
  return matches;
}

using CountFunction = int64_t (*)(Records, int64_t);
constexpr CountFunction kInlineCounts[kPredicates] = {
    CountInline<BigSpender>,   CountInline<PriceSensitive>,
    CountInline<BigBasket>,    CountInline<CreditDue>,
    CountInline<BritishIsles>, CountInline<Lapsed>,
    CountInline<Engaged>,      CountInline<NewReachable>};

// Every predicate on each profile in turn, as the runtime recomputes a
// profile's segments after each of its events.
int64_t CountAllInline(Records records, int64_t now) {
  int64_t matches = 0;
  for (size_t i = 0; i < records.size; ++i) {
    const int64_t* p = records.Record(i);
    matches += BigSpender(p, now) + PriceSensitive(p, now) + BigBasket(p, now) +
               CreditDue(p, now) + BritishIsles(p, now) + Lapsed(p, now) +
               Engaged(p, now) + NewReachable(p, now);
  }
  return matches;
}

// The hand-written predicates with the JIT's signature.
template <Predicate kPredicate>
int64_t AsCompiled(const int64_t* profile, const int64_t*, const int64_t*,
                   int64_t now) {
  return kPredicate(profile, now) ? 1 : 0;
}

using CompiledFunction = int64_t (*)(const int64_t*, const int64_t*,
                                     const int64_t*, int64_t);

// All eight with the signature of the JIT's segment set functions.
void AllAsCompiled(const int64_t* profile, const int64_t*, const int64_t*,
                   int64_t now, int64_t* members) {
  members[0] = BigSpender(profile, now) ? 1 : 0;
  members[1] = PriceSensitive(profile, now) ? 1 : 0;
  members[2] = BigBasket(profile, now) ? 1 : 0;
  members[3] = CreditDue(profile, now) ? 1 : 0;
  members[4] = BritishIsles(profile, now) ? 1 : 0;
  members[5] = Lapsed(profile, now) ? 1 : 0;
  members[6] = Engaged(profile, now) ? 1 : 0;
  members[7] = NewReachable(profile, now) ? 1 : 0;
}

using CompiledSegmentSet = void (*)(const int64_t*, const int64_t*,
                                    const int64_t*, int64_t, int64_t*);

// The hand-written predicates behind the interface and the function table
// the JIT uses, so that both pay the same calls.
class HandWrittenEvaluator final : public ir::Evaluator {
 public:
  // Not inlined into the loop: the JIT's `Call` lives in another
  // translation unit and cannot be either.
  [[gnu::noinline]] int64_t Call(int32_t function,
                                 const ir::Frame& frame) const override {
    return functions_[function](frame.profile, frame.event, frame.locals,
                                frame.now);
  }

  // The one set of this program: all eight, in the order of the program.
  [[gnu::noinline]] void EvaluateSegments(int32_t set, const ir::Frame& frame,
                                          int64_t* members) const override {
    segment_sets_[set](frame.profile, frame.event, frame.locals, frame.now,
                       members);
  }

  const char* Name() const override { return "c++ call"; }

 private:
  std::vector<CompiledSegmentSet> segment_sets_ = {AllAsCompiled};
  std::vector<CompiledFunction> functions_ = {
      AsCompiled<BigSpender>, AsCompiled<PriceSensitive>, AsCompiled<BigBasket>,
      AsCompiled<CreditDue>,  AsCompiled<BritishIsles>,   AsCompiled<Lapsed>,
      AsCompiled<Engaged>,    AsCompiled<NewReachable>};
};

// The loop the runtime runs: `functions` (one predicate, or all of them)
// on each record in turn, through the evaluator interface.
[[gnu::noinline]] int64_t CountWithEvaluator(
    const ir::Evaluator& evaluator, const std::vector<int32_t>& functions,
    Records records, int64_t now) {
  ir::Frame frame;
  frame.now = now;
  int64_t matches = 0;
  for (size_t i = 0; i < records.size; ++i) {
    frame.profile = records.Record(i);
    for (int32_t function : functions) {
      matches += evaluator.Call(function, frame) != 0 ? 1 : 0;
    }
  }
  return matches;
}

// The runtime's loop: every segment of each record in one call.
[[gnu::noinline]] int64_t CountSetWithEvaluator(const ir::Evaluator& evaluator,
                                                int32_t set, Records records,
                                                int64_t now) {
  ir::Frame frame;
  frame.now = now;
  int64_t members[kPredicates];
  int64_t matches = 0;
  for (size_t i = 0; i < records.size; ++i) {
    frame.profile = records.Record(i);
    evaluator.EvaluateSegments(set, frame, members);
    for (int64_t member : members) matches += member;
  }
  return matches;
}

// ---------------------------------------------------------------------------
// The LuaJIT version. Records are read through the FFI as `int64_t*`, so
// the data is the very same memory; money is two words, a string a pointer
// and a length compared with `memcmp`. Arithmetic is on 64-bit integers:
// exact for every value this population holds (the C++ versions use
// 128-bit products, which only differ past 2^63). Each loop is compiled
// from a chunk of its own, so that LuaJIT records one trace per loop
// instead of one polymorphic trace.
//
// `LuaPrelude` defines the word offsets and `GBP` before this chunk.
constexpr char kLuaSource[] = R"(
local ffi = require("ffi")
ffi.cdef[[int memcmp(const void *a, const void *b, size_t n);]]
local C = ffi.C

local UNIT, DAY = 1000000LL, 86400LL

local function text_equals(p, at, text)
  local n = #text
  return p[at + 1] == n and
         C.memcmp(ffi.cast("const char *", p[at]), text, n) == 0
end

local predicates = {
  function(p, now)  -- big_spender
    return p[ORDER_TOTAL + 1] == GBP and p[ORDER_TOTAL] >= 500 * UNIT and
           p[ORDER_COUNT] > 3
  end,
  function(p, now)  -- price_sensitive
    return p[CHURN_RISK] > 650000 and p[DISCOUNT_RATE] < 100000
  end,
  function(p, now)  -- big_basket
    local count = p[ORDER_COUNT]
    if p[ORDER_TOTAL + 1] ~= GBP or count == 0 then return false end
    return p[ORDER_TOTAL] / count >= 75 * UNIT
  end,
  function(p, now)  -- credit_due
    local orders = p[ORDER_TOTAL + 1]
    if p[CREDIT + 1] ~= GBP or (orders ~= GBP and orders ~= 0) then
      return false
    end
    return p[CREDIT] + p[ORDER_TOTAL] * 20000 / UNIT >= 25 * UNIT
  end,
  function(p, now)  -- british_isles
    return text_equals(p, COUNTRY, "United Kingdom") or
           text_equals(p, COUNTRY, "Ireland")
  end,
  function(p, now)  -- lapsed
    return p[LAST_LOGIN_PRESENT] ~= 0 and
           p[LAST_LOGIN] < now - 90 * DAY and p[ORDER_COUNT] >= 1
  end,
  function(p, now)  -- engaged
    return p[PAGE_VIEWS] >= 20 and p[AVG_SESSION] > 4 * 60 and
           p[NEWSLETTER] ~= 0
  end,
  function(p, now)  -- new_reachable
    return p[EMAIL_PRESENT] ~= 0 and now - p[SIGNUP] < 30 * DAY and
           not text_equals(p, COUNTRY, "Germany")
  end,
}

local one_source = [[
local ffi, predicate, WORDS = ...
return function(base, n, now)
  local records = ffi.cast("const int64_t *", base)
  now = 0LL + now
  local matches = 0
  for i = 0, n - 1 do
    if predicate(records + i * WORDS, now) then matches = matches + 1 end
  end
  return matches
end
]]

local all_source = [[
local ffi, predicates, WORDS = ...
local p1, p2, p3, p4, p5, p6, p7, p8 = unpack(predicates)
return function(base, n, now)
  local records = ffi.cast("const int64_t *", base)
  now = 0LL + now
  local matches = 0
  for i = 0, n - 1 do
    local p = records + i * WORDS
    if p1(p, now) then matches = matches + 1 end
    if p2(p, now) then matches = matches + 1 end
    if p3(p, now) then matches = matches + 1 end
    if p4(p, now) then matches = matches + 1 end
    if p5(p, now) then matches = matches + 1 end
    if p6(p, now) then matches = matches + 1 end
    if p7(p, now) then matches = matches + 1 end
    if p8(p, now) then matches = matches + 1 end
  end
  return matches
end
]]

local loops = {}
for i, predicate in ipairs(predicates) do
  loops[i] = loadstring(one_source)(ffi, predicate, WORDS)
end
loops[#predicates + 1] = loadstring(all_source)(ffi, predicates, WORDS)
return loops
)";

// What one timed call evaluates: one predicate on every record, or every
// predicate on each record in turn, in one call per record or in one call
// per predicate.
constexpr int kAllPredicates = kPredicates;
constexpr int kAllByCall = kPredicates + 1;

// The constants the Lua code shares with the C++ code, as Lua locals.
std::string LuaPrelude() {
  const std::pair<const char*, int> kOffsets[] = {
      {"COUNTRY", word::kCountry},
      {"EMAIL_PRESENT", word::kEmailPresent},
      {"DISCOUNT_RATE", word::kDiscountRate},
      {"CHURN_RISK", word::kChurnRisk},
      {"CREDIT", word::kCredit},
      {"LAST_LOGIN", word::kLastLogin},
      {"LAST_LOGIN_PRESENT", word::kLastLoginPresent},
      {"SIGNUP", word::kSignup},
      {"AVG_SESSION", word::kAvgSession},
      {"NEWSLETTER", word::kNewsletter},
      {"ORDER_TOTAL", word::kOrderTotal},
      {"ORDER_COUNT", word::kOrderCount},
      {"PAGE_VIEWS", word::kPageViews},
      {"WORDS", word::kRecordWords}};
  // Appended piece by piece: GCC 12 warns (-Wrestrict, wrongly) about
  // `"literal" + std::string` here.
  std::string prelude = "local GBP = ";
  prelude += std::to_string(kGbp);
  prelude += "LL\n";
  for (const auto& [name, offset] : kOffsets) {
    prelude += "local ";
    prelude += name;
    prelude += " = ";
    prelude += std::to_string(offset);
    prelude += "\n";
  }
  return prelude;
}

class LuaEngine {
 public:
  LuaEngine() : state_(luaL_newstate()) {
    if (state_ == nullptr) Fail("LuaJIT could not create a state");
    luaL_openlibs(state_);

    std::string source = LuaPrelude() + kLuaSource;
    if (luaL_loadbuffer(state_, source.data(), source.size(), "bench") != 0 ||
        lua_pcall(state_, 0, 1, 0) != 0) {
      Fail(std::string("Lua: ") + lua_tostring(state_, -1));
    }
    loops_ = luaL_ref(state_, LUA_REGISTRYINDEX);
  }

  ~LuaEngine() { lua_close(state_); }

  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Runs the loop of `workload` (a predicate, or `kAllPredicates`) over
  // `records`, in Lua.
  int64_t Count(int workload, Records records, int64_t now) {
    lua_rawgeti(state_, LUA_REGISTRYINDEX, loops_);
    lua_rawgeti(state_, -1, workload + 1);
    lua_pushlightuserdata(state_, const_cast<int64_t*>(records.words));
    lua_pushnumber(state_, static_cast<lua_Number>(records.size));
    lua_pushnumber(state_, static_cast<lua_Number>(now));
    if (lua_pcall(state_, 3, 1, 0) != 0) {
      Fail(std::string("Lua: ") + lua_tostring(state_, -1));
    }
    auto matches = static_cast<int64_t>(lua_tonumber(state_, -1));
    lua_pop(state_, 2);
    return matches;
  }

 private:
  lua_State* state_;
  int loops_ = LUA_NOREF;
};

// ---------------------------------------------------------------------------
// Measuring.

enum Engine { kInterp, kJit, kCpp, kCppCall, kLua, kEngines };
constexpr const char* kEngineNames[kEngines] = {"interp", "jit", "c++",
                                                "c++ call", "luajit"};

struct Engines {
  std::unique_ptr<ir::Evaluator> interp;
  std::unique_ptr<ir::Evaluator> jit;
  HandWrittenEvaluator hand_written;
  std::unique_ptr<LuaEngine> lua;

  // The functions each workload calls: the IR function of each predicate
  // (and all eight for `kAllPredicates` and `kAllByCall`), and the same for
  // the hand-written table, whose function `i` is predicate `i`.
  std::vector<std::vector<int32_t>> ir_functions;
  std::vector<std::vector<int32_t>> hand_functions;
  // The program's set of all segments, and the hand-written one.
  int32_t ir_all_set = 0;
  int32_t hand_all_set = 0;
};

int64_t CountMatches(Engines& engines, Engine engine, int workload,
                     Records records) {
  bool all = workload >= kAllPredicates;
  bool one_call = workload == kAllPredicates;
  switch (engine) {
    case kInterp:
      if (one_call) {
        return CountSetWithEvaluator(*engines.interp, engines.ir_all_set,
                                     records, kNow);
      }
      return CountWithEvaluator(*engines.interp, engines.ir_functions[workload],
                                records, kNow);
    case kJit:
      if (one_call) {
        return CountSetWithEvaluator(*engines.jit, engines.ir_all_set, records,
                                     kNow);
      }
      return CountWithEvaluator(*engines.jit, engines.ir_functions[workload],
                                records, kNow);
    case kCpp:
      return all ? CountAllInline(records, kNow)
                 : kInlineCounts[workload](records, kNow);
    case kCppCall:
      if (one_call) {
        return CountSetWithEvaluator(engines.hand_written, engines.hand_all_set,
                                     records, kNow);
      }
      return CountWithEvaluator(engines.hand_written,
                                engines.hand_functions[workload], records,
                                kNow);
    case kLua:
      return engines.lua->Count(all ? kAllPredicates : workload, records, kNow);
    case kEngines: break;
  }
  Fail("no such engine");
}

Engines MakeEngines(const ir::Program& program) {
  Engines engines;
  engines.interp = interp::MakeInterpreter(program);

  std::string error;
  jit::JitOptions options;
  options.optimize = true;
  engines.jit = jit::MakeJit(program, options, &error);
  if (engines.jit == nullptr) Fail("the JIT failed: " + error);
  engines.lua = std::make_unique<LuaEngine>();

  std::vector<int32_t> all_ir;
  std::vector<int32_t> all_hand;
  for (int predicate = 0; predicate < kPredicates; ++predicate) {
    int32_t function = -1;
    for (const ir::Segment& segment : program.segments) {
      if (segment.name == kSegmentNames[predicate]) {
        function = segment.predicate;
      }
    }
    if (function < 0) {
      Fail(std::string("no segment ") + kSegmentNames[predicate]);
    }
    engines.ir_functions.push_back({function});
    engines.hand_functions.push_back({predicate});
    all_ir.push_back(function);
    all_hand.push_back(predicate);
  }
  for (int workload = kAllPredicates; workload <= kAllByCall; ++workload) {
    engines.ir_functions.push_back(all_ir);
    engines.hand_functions.push_back(all_hand);
  }

  // The fused calls write the members in the program's order of segments,
  // the hand-written one in `kSegmentNames` order: they must be the same.
  for (int predicate = 0; predicate < kPredicates; ++predicate) {
    if (program.segments[predicate].name != kSegmentNames[predicate]) {
      Fail("the program's segments are not in kSegmentNames order");
    }
  }
  engines.ir_all_set = ir::GroupSegments(program).all;
  return engines;
}

// Runs every engine on every workload over all `records` (which also
// warms LuaJIT's traces) and stops the program unless all agree. Returns
// the number of matches per predicate.
std::vector<int64_t> CheckAgreement(Engines& engines, Records records) {
  std::vector<int64_t> matches;
  int64_t total = 0;
  for (int workload = 0; workload <= kAllByCall; ++workload) {
    int64_t expected = CountMatches(engines, kInterp, workload, records);
    for (int engine = kJit; engine < kEngines; ++engine) {
      int64_t count =
          CountMatches(engines, static_cast<Engine>(engine), workload, records);
      if (count == expected) continue;
      std::string name = workload >= kAllPredicates
                             ? std::string("all predicates")
                             : kSegmentNames[workload];
      Fail(name + ": interp counts " + std::to_string(expected) + " matches, " +
           kEngineNames[engine] + " " + std::to_string(count));
    }
    if (workload < kAllPredicates) {
      matches.push_back(expected);
      total += expected;
    } else if (expected != total) {
      Fail("all predicates together count differently from one by one");
    }
  }

  // Counts could agree by accident; the engines that share a calling
  // convention are also compared profile by profile.
  for (int predicate = 0; predicate < kPredicates; ++predicate) {
    ir::Frame frame;
    frame.now = kNow;
    int32_t function = engines.ir_functions[predicate][0];
    for (size_t i = 0; i < records.size; ++i) {
      frame.profile = records.Record(i);
      int64_t want = engines.interp->Call(function, frame);
      int64_t jit = engines.jit->Call(function, frame);
      int64_t hand = engines.hand_written.Call(predicate, frame);
      if (want == jit && want == hand) continue;
      Fail(std::string(kSegmentNames[predicate]) + ": profile " +
           std::to_string(i) + " gives interp " + std::to_string(want) +
           ", jit " + std::to_string(jit) + ", c++ " + std::to_string(hand));
    }
  }

  // And the fused calls, member by member, against the calls one by one.
  ir::Frame frame;
  frame.now = kNow;
  for (size_t i = 0; i < records.size; ++i) {
    frame.profile = records.Record(i);
    int64_t members[kEngines][kPredicates];
    engines.interp->EvaluateSegments(engines.ir_all_set, frame,
                                     members[kInterp]);
    engines.jit->EvaluateSegments(engines.ir_all_set, frame, members[kJit]);
    engines.hand_written.EvaluateSegments(engines.hand_all_set, frame,
                                          members[kCppCall]);
    for (int predicate = 0; predicate < kPredicates; ++predicate) {
      int32_t function = engines.ir_functions[predicate][0];
      int64_t want = engines.interp->Call(function, frame) != 0 ? 1 : 0;
      bool agree = members[kInterp][predicate] == want &&
                   members[kJit][predicate] == want &&
                   members[kCppCall][predicate] == want;
      if (agree) continue;
      Fail(std::string(kSegmentNames[predicate]) + ": profile " +
           std::to_string(i) + " is in the segment " + std::to_string(want) +
           " by one call, in the set: interp " +
           std::to_string(members[kInterp][predicate]) + ", jit " +
           std::to_string(members[kJit][predicate]) + ", c++ " +
           std::to_string(members[kCppCall][predicate]));
    }
  }
  return matches;
}

// One timed unit: a workload over some records.
struct Workload {
  int workload = kAllPredicates;
  Records records;

  double Evaluations() const {
    int per_record = workload >= kAllPredicates ? kPredicates : 1;
    return static_cast<double>(records.size) * per_record;
  }
};

// How many passes make one timed sample of `engine` on `workload` last
// about `target` seconds.
int PassesFor(Engines& engines, Engine engine, const Workload& workload,
              double target) {
  Clock::time_point start = Clock::now();
  CountMatches(engines, engine, workload.workload, workload.records);
  double once = SecondsSince(start);
  int passes = static_cast<int>(target / std::max(once, 1e-9)) + 1;
  return std::min(passes, 100'000);
}

struct Options {
  size_t profiles = 1'000'000;
  int repetitions = 7;
  // The per-predicate table runs over the first profiles only, few enough
  // to stay in the L2 cache (1.7 MB), so that it shows each engine's code
  // rather than the memory bus.
  size_t hot_profiles = 8'192;
  double sample_seconds = 0.02;
};

// ns per evaluation: [workload][engine], the median of the repetitions.
using Results = std::vector<std::vector<double>>;

Results Measure(Engines& engines, const std::vector<Workload>& workloads,
                const Options& options) {
  std::vector<std::vector<int>> passes(workloads.size(),
                                       std::vector<int>(kEngines));
  for (size_t w = 0; w < workloads.size(); ++w) {
    for (int engine = 0; engine < kEngines; ++engine) {
      passes[w][engine] = PassesFor(engines, static_cast<Engine>(engine),
                                    workloads[w], options.sample_seconds);
    }
  }

  // Repetitions are the outer loop so that a noisy moment on a shared
  // machine spreads over every engine instead of landing on one.
  std::vector<std::vector<std::vector<double>>> samples(
      workloads.size(), std::vector<std::vector<double>>(kEngines));
  int64_t sink = 0;
  for (int repetition = 0; repetition < options.repetitions; ++repetition) {
    for (size_t w = 0; w < workloads.size(); ++w) {
      for (int engine = 0; engine < kEngines; ++engine) {
        int count = passes[w][engine];
        Clock::time_point start = Clock::now();
        for (int pass = 0; pass < count; ++pass) {
          sink += CountMatches(engines, static_cast<Engine>(engine),
                               workloads[w].workload, workloads[w].records);
        }
        double seconds = SecondsSince(start);
        samples[w][engine].push_back(seconds * 1e9 /
                                     (count * workloads[w].Evaluations()));
      }
    }
  }

  // Printing the sum keeps every timed call's result alive.
  std::printf("(checksum of all timed counts: %" PRId64 ")\n", sink);
  Results results(workloads.size(), std::vector<double>(kEngines));
  for (size_t w = 0; w < workloads.size(); ++w) {
    for (int engine = 0; engine < kEngines; ++engine) {
      results[w][engine] = Median(samples[w][engine]);
    }
  }
  return results;
}

void PrintHeader(const char* first_column) {
  std::printf("%-16s %8s", first_column, "matches");
  for (const char* name : kEngineNames) std::printf(" %8s", name);
  std::printf(" %11s %9s %9s %11s\n", "interp/jit", "jit/c++", "jit/call",
              "luajit/jit");
}

void PrintRow(const std::string& name, const std::string& matches,
              const std::vector<double>& ns) {
  std::printf("%-16s %8s", name.c_str(), matches.c_str());
  for (double value : ns) std::printf(" %8.2f", value);
  std::printf(" %10.1fx %8.2fx %8.2fx %10.2fx\n", ns[kInterp] / ns[kJit],
              ns[kJit] / ns[kCpp], ns[kJit] / ns[kCppCall],
              ns[kLua] / ns[kJit]);
}

std::string Share(int64_t part, size_t whole) {
  return std::to_string(part * 100 / static_cast<int64_t>(whole)) + "%";
}

void PrintVerdict(const char* what, double ratio, bool met, const char* goal) {
  std::printf("  %-12s %6.2fx  (goal: %s)  %s\n", what, ratio, goal,
              met ? "met" : "NOT met");
}

// The table: the runtime's workload first, then each predicate alone, then
// the verdict on each goal, judged on the runtime's workload.
void PrintResults(const Results& results, const std::vector<int64_t>& matches,
                  Records all, Records hot) {
  std::printf("\nns per evaluation, and ratios of those times\n\n");
  PrintHeader("workload");
  int64_t total = 0;
  for (int64_t count : matches) total += count;
  PrintRow("all 8 per prof.", Share(total, all.size * kPredicates), results[0]);
  PrintRow("  a call each", Share(total, all.size * kPredicates), results[1]);
  PrintRow("  first 8,192", "", results[2]);
  std::printf("\neach predicate alone, over the first %zu profiles:\n",
              hot.size);
  std::vector<double> mean(kEngines, 0);
  const int kFirstAlone = 3;
  for (int predicate = 0; predicate < kPredicates; ++predicate) {
    PrintRow(kSegmentNames[predicate], Share(matches[predicate], all.size),
             results[predicate + kFirstAlone]);
    for (int engine = 0; engine < kEngines; ++engine) {
      mean[engine] += results[predicate + kFirstAlone][engine] / kPredicates;
    }
  }
  PrintRow("mean of the 8", "", mean);

  const std::vector<double>& headline = results[0];
  double interp_ratio = headline[kInterp] / headline[kJit];
  double cpp_ratio = headline[kJit] / headline[kCpp];
  double lua_ratio = headline[kLua] / headline[kJit];
  std::printf("\ngoals, on the first row:\n");
  PrintVerdict("interp/jit", interp_ratio, interp_ratio >= 10, ">= 10x");
  PrintVerdict("jit/c++", cpp_ratio, cpp_ratio <= 1.5, "<= 1.5x");
  PrintVerdict("luajit/jit", lua_ratio, lua_ratio > 1, "> 1x");

  // The same goals with the records in the cache, where the code rather
  // than the memory bus sets the pace.
  const std::vector<double>& cached = results[2];
  interp_ratio = cached[kInterp] / cached[kJit];
  cpp_ratio = cached[kJit] / cached[kCpp];
  lua_ratio = cached[kLua] / cached[kJit];
  std::printf("\ngoals, on the third row (records in the cache):\n");
  PrintVerdict("interp/jit", interp_ratio, interp_ratio >= 10, ">= 10x");
  PrintVerdict("jit/c++", cpp_ratio, cpp_ratio <= 1.5, "<= 1.5x");
  PrintVerdict("luajit/jit", lua_ratio, lua_ratio > 1, "> 1x");
}

int Run(int argc, char** argv) {
  Options options;
  if (argc > 1) options.profiles = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) options.repetitions = std::atoi(argv[2]);
  if (options.profiles == 0 || options.repetitions <= 0) {
    Fail("usage: parcours_bench_predicates [PROFILES [REPETITIONS]]");
  }

  ir::Program program = CompileOrDie("bench.journey", kProgram);
  CheckLayout(program);
  std::unique_ptr<Population> population = MakePopulation(options.profiles);
  Records all = population->All();
  Engines engines = MakeEngines(program);
  std::printf("predicate evaluation: %zu profiles of %d words (seed %" PRIu64
              "), median of %d repetitions\n",
              all.size, word::kRecordWords, kSeed, options.repetitions);
  std::vector<int64_t> matches = CheckAgreement(engines, all);
  std::printf("all engines agree on every predicate, profile by profile\n");

  // The first workload is the runtime's: all segments of one profile,
  // then the next profile; the second the same a call at a time; the
  // third the first again over records that stay in the cache, as the
  // runtime finds the record whose aggregates its event just updated.
  // The others isolate each predicate.
  Records hot = all.First(options.hot_profiles);
  std::vector<Workload> workloads = {
      {kAllPredicates, all}, {kAllByCall, all}, {kAllPredicates, hot}};
  for (int predicate = 0; predicate < kPredicates; ++predicate) {
    workloads.push_back({predicate, hot});
  }
  Results results = Measure(engines, workloads, options);

  PrintResults(results, matches, all, hot);
  return 0;
}

}  // namespace
}  // namespace parcours::bench

int main(int argc, char** argv) { return parcours::bench::Run(argc, argv); }
