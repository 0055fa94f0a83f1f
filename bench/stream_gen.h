// A seeded generator of realistic event streams for the runtime
// benchmarks: a year of a shop's customers in time order, in the event
// contract (docs/runtime.md), shaped like the UCI Online Retail example
// so that its campaign (examples/uci-online-retail/campaign) runs on it.
//
// The shape, chosen to stress what real streams stress:
//   - activity is skewed: a few profiles buy often, most rarely (the rank
//     of the profile picked for an event is the square of a uniform draw);
//   - each profile's first event is an identify with its country and zone,
//     in one of a handful of zones on both sides of UTC;
//   - about 1 order in 50 is refunded a little later;
//   - times only go forward, a few seconds apart on average, so timers set
//     by early events fall due during the replay.
//
// The same seed gives the same bytes on every machine: the generator uses
// its own integer random numbers (SplitMix64), no floating point and no
// library distribution.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "runtime/common/time_text.h"

namespace parcours::bench {

class StreamGenerator {
 public:
  StreamGenerator(int64_t profiles, uint64_t seed)
      : profiles_(profiles), state_(seed), seen_(profiles, false) {}

  // Appends the next line, with its newline, to `out`.
  void Next(std::string& out) {
    clock_ += 1 + static_cast<int64_t>(Draw() % 6);

    // A refund due now goes first.
    if (!refunds_.empty() && refunds_.begin()->first.first <= clock_) {
      Refund refund = refunds_.begin()->second;
      refunds_.erase(refunds_.begin());
      AppendTrack(out, "Order Refunded", refund.profile, refund.order,
                  refund.cents, refund.items);
      return;
    }

    int64_t profile = PickProfile();
    if (!seen_[profile]) {
      seen_[profile] = true;
      AppendIdentify(out, profile);
      return;
    }

    int64_t order = next_order_++;
    int64_t items = 1 + static_cast<int64_t>(Draw() % 12);
    int64_t cents = items * (150 + static_cast<int64_t>(Draw() % 4000));
    AppendTrack(out, "Order Completed", profile, order, cents, items);
    if (Draw() % 50 == 0) {
      int64_t due = clock_ + 3600 + static_cast<int64_t>(Draw() % 86400);
      refunds_[{due, order}] = {profile, order, cents, items};
    }
  }

 private:
  struct Refund {
    int64_t profile;
    int64_t order;
    int64_t cents;
    int64_t items;
  };

  uint64_t Draw() {
    // SplitMix64: small, fast, and the same everywhere.
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  int64_t PickProfile() {
    // The square of a uniform draw in [0, 1) favours low ranks: rank r is
    // picked with a probability that falls like 1/sqrt(r).
    uint64_t u = Draw() >> 32;  // 32 bits
    unsigned __int128 square = static_cast<unsigned __int128>(u) * u;
    return static_cast<int64_t>((square * static_cast<uint64_t>(profiles_)) >>
                                64);
  }

  static const char* Country(int64_t profile) {
    static const char* kCountries[] = {"United Kingdom", "France", "Germany",
                                       "Australia", "United States"};
    return kCountries[profile % 5];
  }

  static const char* Zone(int64_t profile) {
    static const char* kZones[] = {"Europe/London", "Europe/Paris",
                                   "Europe/Berlin", "Australia/Sydney",
                                   "America/New_York"};
    return kZones[profile % 5];
  }

  void AppendTime(std::string& out) { out += common::FormatTime(clock_); }

  void AppendIdentify(std::string& out, int64_t profile) {
    std::string id = std::to_string(profile);
    out += "{\"type\":\"identify\",\"userId\":\"u" + id +
           "\",\"messageId\":\"id-" + id + "\",\"timestamp\":\"";
    AppendTime(out);
    out += "\",\"traits\":{\"country\":\"";
    out += Country(profile);
    out += "\",\"timezone\":\"";
    out += Zone(profile);
    out += "\"}}\n";
  }

  void AppendTrack(std::string& out, const char* event, int64_t profile,
                   int64_t order, int64_t cents, int64_t items) {
    std::string number = std::to_string(order);
    char total[32];
    std::snprintf(total, sizeof total, "%lld.%02lld",
                  static_cast<long long>(cents / 100),
                  static_cast<long long>(cents % 100));
    out += "{\"type\":\"track\",\"event\":\"";
    out += event;
    out +=
        "\",\"userId\":\"u" + std::to_string(profile) + "\",\"messageId\":\"";
    out += event[6] == 'R' ? "r-" : "o-";
    out += number + "\",\"timestamp\":\"";
    AppendTime(out);
    out += "\",\"properties\":{\"order_id\":\"" + number +
           "\",\"total\":" + total +
           ",\"currency\":\"GBP\",\"items\":" + std::to_string(items) +
           ",\"country\":\"";
    out += Country(profile);
    out += "\"}}\n";
  }

  int64_t profiles_;
  uint64_t state_;
  std::vector<bool> seen_;
  // Refunds to come, by (due time, order): the earliest first.
  std::map<std::pair<int64_t, int64_t>, Refund> refunds_;
  int64_t clock_ = 1293840000;  // 2011-01-01T00:00:00Z
  int64_t next_order_ = 1;
};

}  // namespace parcours::bench
