// The pressure-policy decision per send (runtime/policy/decide.h), with a
// year of contact history per profile, against a baseline measured in the
// same process: the same send decided without a policy (consent and
// address only), and writing the send's action line, which every send pays
// anyway.
//
// The policy has three caps (a calendar week across channels, a calendar
// day on SMS, a rolling 30 days on email, the last only for VIPs) and
// daily quiet hours, read in Europe/Paris. Each profile has a year of
// history: three messages a week, on rotating channels. The decision time
// moves through the last week so that calendar windows start on different
// days.
//
// Every decision must match a count recomputed by brute force over the
// history for the weekly cap, or the program stops.
//
// Usage: parcours_bench_policy [PROFILES [REPETITIONS]]
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "compiler/interp/interpreter.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/actions.h"
#include "runtime/engine/calendar.h"
#include "runtime/policy/decide.h"

namespace parcours::bench {
namespace {

constexpr char kProgram[] = R"(module bench

profile {
  timezone: tz = "Europe/Paris"
  vip: bool = false
}

event OrderPlaced "Order Completed" {
  order_id: string
}

policy pressure {
  cap 3 per week across email, push, sms
  cap 1 per day on sms
  cap 12 per 30d on email when profile.vip
  priority email > push > sms
  quiet 22:00 .. 07:00 local
  when capped: defer
}

journey promo {
  on OrderPlaced
  policy pressure
  send best of [email, push] "promo"
}
)";

constexpr int64_t kYear = 365 * 86400;
constexpr int64_t kStart = 1'704'067'200;  // 2024-01-01T00:00:00Z
const char* const kChannels[] = {"email", "push", "sms"};

struct Population {
  std::vector<std::vector<store::Contact>> histories;
  std::vector<std::vector<int64_t>> records;
};

// Three contacts a week for a year, at times that differ per profile.
Population MakePopulation(const ir::Program& program, int profiles) {
  Population population;
  uint64_t seed = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  for (int p = 0; p < profiles; ++p) {
    std::vector<store::Contact> history;
    for (int64_t week = 0; week < 52; ++week) {
      for (int k = 0; k < 3; ++k) {
        int64_t at = kStart + week * 7 * 86400 + k * 2 * 86400 +
                     static_cast<int64_t>(next() % 86400);
        history.push_back({at, kChannels[next() % 3]});
      }
    }
    population.histories.push_back(std::move(history));
    std::vector<int64_t> record(program.profile_words, 0);
    const ir::Field& zone = program.profile[0];
    record[zone.offset] = reinterpret_cast<int64_t>(zone.default_string.data());
    record[zone.offset + 1] = static_cast<int64_t>(zone.default_string.size());
    record[program.profile[1].offset] = p % 4 == 0;  // a quarter are VIPs
    population.records.push_back(std::move(record));
  }
  return population;
}

// The weekly cap's count, by brute force over the whole history.
int64_t WeekCount(const std::vector<store::Contact>& history, int64_t now) {
  int64_t start = engine::StartOfLocalPeriod(now, engine::CalendarUnit::Week,
                                             "Europe/Paris");
  int64_t count = 0;
  for (const store::Contact& contact : history) {
    count += contact.at >= start && contact.at <= now;
  }
  return count;
}

}  // namespace
}  // namespace parcours::bench

int main(int argc, char** argv) {
  using namespace parcours;
  using namespace parcours::bench;
  int profiles = argc > 1 ? std::atoi(argv[1]) : 20000;
  int repetitions = argc > 2 ? std::atoi(argv[2]) : 5;

  ir::Program program = CompileOrDie("bench.journey", kProgram);
  auto evaluator = interp::MakeInterpreter(program);
  Population population = MakePopulation(program, profiles);
  const ir::Step& send = program.journeys[0].steps[0];
  // Decisions at noon local through the history's last week.
  int64_t last_week = kStart + kYear - 7 * 86400 + 11 * 3600;

  auto request_for = [&](int p, const ir::Policy* policy) {
    policy::Request request;
    request.step = &send;
    request.policy = policy;
    request.profile = population.records[p].data();
    request.zone = "Europe/Paris";
    request.now = last_week + (p % 7) * 86400;
    request.history = &population.histories[p];
    return request;
  };

  // Correctness first: a send under the policy goes out exactly when the
  // weekly cap has room (quiet hours do not cover noon; the other caps
  // never bind before the weekly one here, or the decision says which).
  for (int p = 0; p < profiles; ++p) {
    policy::Request request = request_for(p, &program.policies[0]);
    policy::Decision decision = policy::Decide(*evaluator, request);
    bool room = WeekCount(population.histories[p], request.now) < 3;
    bool sent = decision.verdict == policy::Verdict::Send;
    bool other_rule =
        !sent && decision.detail.find("per week") == std::string::npos;
    if (room != sent && !other_rule) {
      Fail("profile " + std::to_string(p) + ": the decision (" +
           decision.reason + ") disagrees with the weekly count");
    }
  }

  std::vector<double> with_policy, without_policy, send_lines;
  int64_t sink = 0;
  for (int r = 0; r < repetitions; ++r) {
    Clock::time_point start = Clock::now();
    for (int p = 0; p < profiles; ++p) {
      policy::Decision decision =
          policy::Decide(*evaluator, request_for(p, &program.policies[0]));
      sink += static_cast<int64_t>(decision.verdict);
    }
    with_policy.push_back(SecondsSince(start) / profiles);

    start = Clock::now();
    for (int p = 0; p < profiles; ++p) {
      policy::Decision decision =
          policy::Decide(*evaluator, request_for(p, nullptr));
      sink += static_cast<int64_t>(decision.verdict);
    }
    without_policy.push_back(SecondsSince(start) / profiles);

    start = Clock::now();
    for (int p = 0; p < profiles; ++p) {
      std::string id = std::to_string(p);
      engine::SendAction action =
          engine::ActionOf(id, last_week, id, "promo", send);
      action.channel = "email";
      sink += static_cast<int64_t>(engine::FormatSendLine(action).size());
    }
    send_lines.push_back(SecondsSince(start) / profiles);
  }

  double policy_ns = Median(with_policy) * 1e9;
  double bare_ns = Median(without_policy) * 1e9;
  double line_ns = Median(send_lines) * 1e9;
  std::printf("profiles %d, %zu contacts each, median of %d runs\n", profiles,
              population.histories[0].size(), repetitions);
  std::printf("decision with the policy     %8.0f ns per send\n", policy_ns);
  std::printf("decision without a policy    %8.0f ns per send\n", bare_ns);
  std::printf("writing the send line        %8.0f ns per send\n", line_ns);
  std::printf("policy / send line           %8.2f\n", policy_ns / line_ns);
  std::printf("(checksum %" PRId64 ")\n", sink);
  return 0;
}
