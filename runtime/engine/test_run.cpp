#include "runtime/engine/test_run.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "runtime/common/time_text.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/state.h"

namespace parcours::engine {

namespace {

// How far past its last input a test plays waits out (about five years),
// and how many waits it fires at most.
constexpr int64_t kTestHorizonSeconds = 5 * 366 * 86400;
constexpr int64_t kMaxTestTimers = 100000;

using Json = nlohmann::ordered_json;

// A send line, as much of it as an expectation can name.
struct Send {
  std::string channel;
  std::string template_name;
  std::string profile;
  int64_t at = 0;
};

std::string Describe(const Send& send) {
  return "send " + send.channel + " \"" + send.template_name + "\" to \"" +
         send.profile + "\" at " + common::FormatTime(send.at);
}

std::string Describe(const ir::TestExpectation& expectation) {
  std::string text = expectation.negated ? "no send" : "send";
  if (expectation.channel) text += " " + *expectation.channel;
  if (expectation.template_name) {
    text += " \"" + *expectation.template_name + "\"";
  }
  if (expectation.profile) text += " to \"" + *expectation.profile + "\"";
  if (expectation.at) text += " at " + common::FormatTime(*expectation.at);
  return text;
}

bool Matches(const ir::TestExpectation& expectation, const Send& send) {
  return (!expectation.channel || *expectation.channel == send.channel) &&
         (!expectation.template_name ||
          *expectation.template_name == send.template_name) &&
         (!expectation.profile || *expectation.profile == send.profile) &&
         (!expectation.at || *expectation.at == send.at);
}

// Whether `send` is worth showing next to a failed positive expectation:
// it has the expectation's channel and template, if it names them.
bool Related(const ir::TestExpectation& expectation, const Send& send) {
  return (!expectation.channel || *expectation.channel == send.channel) &&
         (!expectation.template_name ||
          *expectation.template_name == send.template_name);
}

// `expect points` and `expect tier`, against the profile's account in the
// program's only loyalty program at the end of the test.
std::string CheckLoyalty(const ir::Program& program, store::State& state,
                         const ir::TestExpectation& expectation) {
  const std::string& id = expectation.profile.value_or("");
  store::Profile* profile = state.FindProfile(id);
  bool held = profile != nullptr && !profile->loyalty.empty();
  int64_t balance = held ? profile->loyalty[0].ledger.Balance() : 0;
  int32_t tier = held ? profile->loyalty[0].tier.tier : loyalty::kNoTier;
  std::string tier_name = tier == loyalty::kNoTier
                              ? "no tier"
                              : program.loyalty[0].tiers[tier].name;
  if (expectation.kind == ir::TestExpectation::Kind::Points) {
    if (balance == expectation.points) return "";
    return expectation.where + ": expected " +
           std::to_string(expectation.points) + " points for \"" + id +
           "\", got " + std::to_string(balance);
  }
  if (tier_name == expectation.tier) return "";
  return expectation.where + ": expected tier " + expectation.tier + " for \"" +
         id + "\", got " + tier_name;
}

std::vector<Send> ReadSends(const std::vector<store::OutboxRow>& rows) {
  std::vector<Send> sends;
  for (const store::OutboxRow& row : rows) {
    Json line = Json::parse(row.line);
    if (line.value("kind", "") != "send") continue;
    Send send;
    send.channel = line.value("channel", "");
    send.template_name = line.value("template", "");
    send.profile = line.value("profile", "");
    send.at = common::ParseTime(line.value("at", "")).value_or(0);
    sends.push_back(std::move(send));
  }
  return sends;
}

std::string Check(const ir::TestExpectation& expectation,
                  const std::vector<Send>& sends) {
  if (expectation.negated) {
    for (const Send& send : sends) {
      if (Matches(expectation, send)) {
        return expectation.where + ": expected " + Describe(expectation) +
               ", got " + Describe(send);
      }
    }
    return "";
  }

  std::string related;
  for (const Send& send : sends) {
    if (Matches(expectation, send)) return "";
    if (Related(expectation, send)) {
      related += (related.empty() ? "" : "; ") + Describe(send);
    }
  }
  std::string got = related.empty() ? "none" : related;
  return expectation.where + ": expected " + Describe(expectation) + ", got " +
         got;
}

}  // namespace

std::string TestInputLine(const ir::TestInput& input, int64_t at,
                          int64_t number) {
  Json line = Json::object();
  line["type"] = input.identify ? "identify" : "track";
  if (!input.identify) line["event"] = input.event;
  line["userId"] = input.profile;
  // Each statement is its own event, even when two are written alike.
  line["messageId"] = "test-" + std::to_string(number);
  line["timestamp"] = common::FormatTime(at);

  Json values = Json::object();
  for (const ir::TestValue& value : input.values) {
    switch (value.kind) {
      case ir::TestValue::Kind::Number:
        // Whole numbers as JSON integers (an `int` takes nothing else);
        // fractions as exact text, which decimals and money accept, so
        // that no digit goes through a double.
        if (value.text.find('.') == std::string::npos) {
          values[value.key] = std::stoll(value.text);
        } else {
          values[value.key] = value.text;
        }
        if (!value.currency.empty()) values["currency"] = value.currency;
        break;
      case ir::TestValue::Kind::String: values[value.key] = value.text; break;
      case ir::TestValue::Kind::Bool:
        values[value.key] = value.text == "true";
        break;
      case ir::TestValue::Kind::Null: values[value.key] = nullptr; break;
      case ir::TestValue::Kind::Time:
        values[value.key] = common::FormatTime(value.time);
        break;
      case ir::TestValue::Kind::Channels: {
        Json consent = Json::object();
        for (const std::string& channel : value.channels) {
          consent[channel] = true;
        }
        values[value.key] = consent;
        break;
      }
    }
  }
  line[input.identify ? "traits" : "properties"] = values;
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

TestOutcome RunTestCase(const ir::Program& program,
                        const ir::Evaluator& evaluator,
                        const ir::TestCase& test) {
  TestOutcome outcome;
  if (!test.problem.empty()) {
    outcome.reasons.push_back(test.problem);
    return outcome;
  }

  store::State state(program);
  Engine engine(program, evaluator, state);
  ingest::Decoder decoder(program);

  // Inputs without a time (`given profile`) happen at the first time the
  // test names, or at the start of the clock if it names none.
  std::optional<int64_t> first_time;
  for (const ir::TestInput& input : test.inputs) {
    if (input.at && (!first_time || *input.at < *first_time)) {
      first_time = input.at;
    }
  }

  int64_t number = 0;
  for (const ir::TestInput& input : test.inputs) {
    ++number;
    int64_t at = input.at.value_or(first_time.value_or(0));
    std::string line = TestInputLine(input, at, number);
    ingest::DecodeResult decoded = decoder.Decode(line, number);
    if (decoded.outcome == ingest::LineOutcome::DeadLetter) {
      outcome.reasons.push_back(
          input.where + ": the engine refuses this input: " + decoded.reason);
      return outcome;
    }
    if (decoded.outcome == ingest::LineOutcome::Event) {
      engine.Apply(decoded.event);
    }
  }

  // Play every journey out: each wait that is pending fires, in order, up
  // to a horizon, so that a journey that restarts itself (a daily ticker)
  // cannot run a test forever.
  int64_t last_input = state.clock().value_or(0);
  int64_t horizon = common::AddSeconds(last_input, kTestHorizonSeconds);
  int64_t fired = 0;
  while (std::optional<store::TimerKey> due = state.FirstTimer()) {
    if (due->wake_at > horizon || ++fired > kMaxTestTimers) break;
    engine.AdvanceClock(due->wake_at);
  }

  std::vector<Send> sends = ReadSends(state.pending_outbox());
  for (const ir::TestExpectation& expectation : test.expectations) {
    if (expectation.kind != ir::TestExpectation::Kind::Send) {
      std::string reason = CheckLoyalty(program, state, expectation);
      if (!reason.empty()) outcome.reasons.push_back(reason);
      continue;
    }
    std::string reason = Check(expectation, sends);
    if (!reason.empty()) outcome.reasons.push_back(reason);
  }
  outcome.passed = outcome.reasons.empty();
  return outcome;
}

}  // namespace parcours::engine
