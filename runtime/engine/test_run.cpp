#include "runtime/engine/test_run.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "runtime/common/time_text.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/state.h"

namespace parcours::engine {

namespace {

// How far past its last input a test plays waits out (about five years),
// and at how many instants (waits, re-checks) it stops the clock at most:
// a journey that wakes itself every minute would otherwise run for hours.
constexpr int64_t kTestHorizonSeconds = 5 * 366 * 86400;
constexpr int64_t kMaxTestInstants = 100000;

using Json = nlohmann::ordered_json;

// A send, suppressed or deferred line, or another action's line, as much
// of it as an expectation can name. A deferred line is never what an
// expectation asks for; it is shown next to one that failed, to say where
// the message went.
struct Send {
  bool suppressed = false;  // a `suppressed` line rather than a `send`
  bool deferred = false;    // a `deferred` line: held back, tried later
  // Empty for a message; else the kind of the action's line (`task`,
  // `webhook`, `freeze`, `second_factor`, `event`), which a `suppressed`
  // line gives as its `action`.
  std::string action;
  // A message's channel, a task's system or an emitted event's name.
  std::string channel;
  // A message's template, a task's summary or a webhook's name.
  std::string template_name;
  std::string profile;
  int64_t at = 0;
  std::string reason;  // of a suppression or deferral
  std::string detail;  // of a suppression or deferral: the rule behind it
  std::string until;   // of a deferral: when the message is tried again
};

// Whether `expectation` is about the action lines (a message or another
// action) rather than a loyalty standing.
bool AboutLines(const ir::TestExpectation& expectation) {
  return expectation.kind == ir::TestExpectation::Kind::Send ||
         expectation.kind == ir::TestExpectation::Kind::Action;
}

// How many sends a failed expectation lists before it only counts the
// rest: a ticker can send hundreds, and one line must stay readable.
constexpr size_t kListedSends = 5;

// An action as a test names it: `task crm "call back"`, `freeze
// account`. `channel` and `template_name` are given only when known.
std::string DescribeAction(const std::string& action,
                           const std::optional<std::string>& channel,
                           const std::optional<std::string>& template_name) {
  if (action == "freeze") return "freeze account";
  if (action == "second_factor") return "second factor";
  std::string text = action == "event" ? "emit" : action;
  if (channel) text += " " + *channel;
  if (template_name) text += " \"" + *template_name + "\"";
  return text;
}

std::string Describe(const Send& send) {
  std::string text = send.suppressed ? "suppressed "
                     : send.deferred ? "deferred "
                                     : "";
  if (send.action.empty()) {
    text += (text.empty() ? "send " : "") + send.channel + " \"" +
            send.template_name + "\" to \"" + send.profile + "\"";
  } else {
    bool named = send.action == "task" || send.action == "webhook";
    text += DescribeAction(
        send.action,
        send.channel.empty() ? std::nullopt : std::optional(send.channel),
        named ? std::optional(send.template_name) : std::nullopt);
    text += " for \"" + send.profile + "\"";
  }
  text += " at " + common::FormatTime(send.at);
  if (send.suppressed || send.deferred) {
    text += " reason " + send.reason;
    if (send.deferred) text += " until " + send.until;
    if (!send.detail.empty()) text += " (" + send.detail + ")";
  }
  return text;
}

// "a; b; c (and 12 more)": the first few, then how many are left out.
std::string ListSends(const std::vector<const Send*>& sends) {
  std::string text;
  for (size_t i = 0; i < sends.size() && i < kListedSends; ++i) {
    text += (i == 0 ? "" : "; ") + Describe(*sends[i]);
  }
  if (sends.size() > kListedSends) {
    text += " (and " + std::to_string(sends.size() - kListedSends) + " more)";
  }
  return text;
}

std::string Describe(const ir::TestExpectation& expectation) {
  std::string text = expectation.negated ? "no " : "";
  if (expectation.kind == ir::TestExpectation::Kind::Action) {
    text += DescribeAction(expectation.action, expectation.channel,
                           expectation.template_name);
    if (expectation.profile) text += " for \"" + *expectation.profile + "\"";
  } else {
    text += expectation.suppressed ? "suppressed" : "send";
    if (expectation.channel) text += " " + *expectation.channel;
    if (expectation.template_name) {
      text += " \"" + *expectation.template_name + "\"";
    }
    if (expectation.profile) text += " to \"" + *expectation.profile + "\"";
  }
  if (expectation.at) text += " at " + common::FormatTime(*expectation.at);
  if (expectation.reason) text += " reason " + *expectation.reason;
  return text;
}

bool Matches(const ir::TestExpectation& expectation, const Send& send) {
  return !send.deferred && expectation.suppressed == send.suppressed &&
         expectation.action == send.action &&
         (!expectation.reason || *expectation.reason == send.reason) &&
         (!expectation.channel || *expectation.channel == send.channel) &&
         (!expectation.template_name ||
          *expectation.template_name == send.template_name) &&
         (!expectation.profile || *expectation.profile == send.profile) &&
         (!expectation.at || *expectation.at == send.at);
}

// Whether `send` is worth showing next to a failed positive expectation:
// it has the expectation's channel and template, if it names them,
// whatever became of it. A message held back at another time than the
// one expected says why none went then (an address missing before quiet
// hours moved it); one deferred and sent later, why none was dropped.
bool Related(const ir::TestExpectation& expectation, const Send& send) {
  return expectation.action == send.action &&
         (!expectation.channel || *expectation.channel == send.channel) &&
         (!expectation.template_name ||
          *expectation.template_name == send.template_name);
}

// `expect points` and `expect tier`, against the profile's account in the
// program's only loyalty program as it stands now.
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
  std::string when =
      expectation.at ? " at " + common::FormatTime(*expectation.at) : "";
  if (expectation.kind == ir::TestExpectation::Kind::Points) {
    if (balance == expectation.points) return "";
    return expectation.where + ": expected " +
           std::to_string(expectation.points) + " points for \"" + id + "\"" +
           when + ", got " + std::to_string(balance);
  }
  if (tier_name == expectation.tier) return "";
  return expectation.where + ": expected tier " + expectation.tier + " for \"" +
         id + "\"" + when + ", got " + tier_name;
}

// An expectation about an instant the test's clock never reached;
// `written` names it ("`expect points` at ...").
std::string AfterStop(const ir::TestExpectation& expectation,
                      const std::string& written, int64_t stopped_at) {
  return expectation.where + ": " + written +
         " is after the test's clock stopped, at " +
         common::FormatTime(stopped_at) +
         "; give a time within five years of the test's last input";
}

// The `expect points` and `expect tier` of a test that name their
// instant, read as the clock reaches it.
class TimedStandings {
 public:
  TimedStandings(const ir::Program& program,
                 const std::vector<ir::TestExpectation>& expectations)
      : program_(program),
        expectations_(expectations),
        reasons_(expectations.size()) {
    for (size_t i = 0; i < expectations.size(); ++i) {
      bool standing = !AboutLines(expectations[i]);
      if (standing && expectations[i].at) pending_.push_back(i);
    }
    // Stable: two at one instant are read in the order written.
    std::stable_sort(pending_.begin(), pending_.end(),
                     [&](size_t left, size_t right) {
                       return *expectations[left].at < *expectations[right].at;
                     });
  }

  // Reads those whose instant is before `time`, moving the clock to each:
  // called before the clock moves to `time`.
  void ReadBefore(int64_t time, store::State& state, Engine& engine) {
    while (next_ < pending_.size() &&
           *expectations_[pending_[next_]].at < time) {
      ReadNext(state, engine);
    }
  }

  // Reads those at or before `horizon`, where the test's clock stops.
  void ReadThrough(int64_t horizon, store::State& state, Engine& engine) {
    ReadBefore(common::AddSeconds(horizon, 1), state, engine);
  }

  // Why expectation `index` failed, or "". `stopped_at` is where the
  // test's clock stopped.
  std::string Reason(size_t index, int64_t stopped_at) const {
    if (read_[index]) return reasons_[index];
    const ir::TestExpectation& expectation = expectations_[index];
    std::string what = expectation.kind == ir::TestExpectation::Kind::Points
                           ? "points"
                           : "tier";
    return AfterStop(
        expectation,
        "`expect " + what + "` at " + common::FormatTime(*expectation.at),
        stopped_at);
  }

 private:
  void ReadNext(store::State& state, Engine& engine) {
    size_t index = pending_[next_++];
    int64_t at = *expectations_[index].at;
    // Before the first input nothing has happened: the state is empty.
    if (state.clock() && at > *state.clock()) engine.AdvanceClock(at);
    reasons_[index] = CheckLoyalty(program_, state, expectations_[index]);
    read_[index] = true;
  }

  const ir::Program& program_;
  const std::vector<ir::TestExpectation>& expectations_;
  std::vector<std::string> reasons_;
  std::vector<size_t> pending_;  // by instant
  size_t next_ = 0;
  std::vector<bool> read_ = std::vector<bool>(expectations_.size());
};

// The kinds of action line an `expect` other than `send` can ask for.
bool IsExpectableAction(const std::string& kind) {
  return kind == "task" || kind == "webhook" || kind == "freeze" ||
         kind == "second_factor" || kind == "event";
}

std::vector<Send> ReadSends(const std::vector<store::OutboxRow>& rows) {
  std::vector<Send> sends;
  for (const store::OutboxRow& row : rows) {
    Json line = Json::parse(row.line);
    std::string kind = line.value("kind", "");
    bool message = kind == "send" || kind == "suppressed" || kind == "deferred";
    if (!message && !IsExpectableAction(kind)) continue;
    Send send;
    send.suppressed = kind == "suppressed";
    send.deferred = kind == "deferred";
    // A held task or webhook says which in `action`.
    send.action = message ? line.value("action", "") : kind;
    send.until = line.value("until", "");
    send.reason = line.value("reason", "");
    send.detail = line.value("detail", "");
    if (send.action.empty()) {
      send.channel = line.value("channel", "");
      send.template_name = line.value("template", "");
    } else if (send.action == "task") {
      send.channel = line.value("system", "");
      send.template_name = line.value("text", "");
    } else if (send.action == "webhook") {
      send.template_name = line.value("webhook", "");
    } else if (send.action == "event") {
      send.channel = line.value("event", "");
    }
    send.profile = line.value("profile", "");
    send.at = common::ParseTime(line.value("at", "")).value_or(0);
    sends.push_back(std::move(send));
  }
  return sends;
}

// The same expectation, about the `suppressed` line its message would
// have left had a rule held it back.
ir::TestExpectation AsSuppressed(const ir::TestExpectation& expectation) {
  ir::TestExpectation held = expectation;
  held.suppressed = true;
  held.reason.reset();
  return held;
}

// Whether `a` and `b` are the same positive expectation of a message:
// each of them needs a message of its own.
bool SameExpectation(const ir::TestExpectation& a,
                     const ir::TestExpectation& b) {
  auto positive_send = [](const ir::TestExpectation& e) {
    return AboutLines(e) && !e.negated;
  };
  return positive_send(a) && positive_send(b) && a.kind == b.kind &&
         a.action == b.action && a.suppressed == b.suppressed &&
         a.reason == b.reason && a.channel == b.channel &&
         a.template_name == b.template_name && a.profile == b.profile &&
         a.at == b.at;
}

// "once", "twice", "3 times".
std::string Times(size_t count) {
  if (count == 1) return "once";
  if (count == 2) return "twice";
  return std::to_string(count) + " times";
}

// Checks `expectation` against the test's messages. `needed` is how many
// messages must match: one, or, for the k-th of k equal expectations, k,
// so that two `expect send email "welcome"` lines ask for two welcomes.
std::string Check(const ir::TestExpectation& expectation,
                  const std::vector<Send>& sends, size_t needed,
                  const std::string& stop_note) {
  if (expectation.negated) {
    for (const Send& send : sends) {
      if (Matches(expectation, send)) {
        return expectation.where + ": expected " + Describe(expectation) +
               ", got " + Describe(send);
      }
    }
    return "";
  }

  // A message that was held back (holdout, no address, consent, a cap)
  // is what the user needs to hear of first: "none" would hide why.
  // For an expectation that names its profile, that profile's related
  // lines are listed; failing those, its other lines (it took the other
  // arm of a split); other profiles' only when it has none: "got ... to
  // p3" would point the reader at the wrong customer.
  std::vector<const Send*> matched;
  std::vector<const Send*> held;
  std::vector<const Send*> related;
  std::vector<const Send*> profiles_own;
  std::vector<const Send*> others_related;
  for (const Send& send : sends) {
    if (Matches(expectation, send)) {
      matched.push_back(&send);
      continue;
    }
    bool own = !expectation.profile || *expectation.profile == send.profile;
    if (!expectation.suppressed && send.suppressed &&
        Matches(AsSuppressed(expectation), send)) {
      held.push_back(&send);
    } else if (Related(expectation, send)) {
      (own ? related : others_related).push_back(&send);
    } else if (expectation.profile && own &&
               expectation.action == send.action && !send.deferred) {
      profiles_own.push_back(&send);
    }
  }
  if (related.empty()) related = profiles_own;
  if (related.empty()) related = others_related;
  if (matched.size() >= needed) return "";
  if (!matched.empty()) {
    return expectation.where + ": expected " + Describe(expectation) + " " +
           Times(needed) + " (each equal `expect` needs " +
           (expectation.action.empty() ? "a message" : "an action") +
           " of its own), got it " + Times(matched.size()) + ": " +
           ListSends(matched);
  }
  std::string got;
  if (!held.empty()) {
    got = (expectation.action.empty() ? "none sent: " : "none done: ") +
          ListSends(held);
    if (!related.empty()) got += "; also got " + ListSends(related);
  } else if (!related.empty()) {
    got = ListSends(related);
  } else {
    // Nothing like it came: perhaps it would have, later.
    got = "none" + stop_note;
  }
  return expectation.where + ": expected " + Describe(expectation) + ", got " +
         got;
}

// The wait that is next where the instant limit stopped the clock, the
// one that keeps waking itself most likely ("journey `loop` at `wait1`,
// line 6"), or empty when the next wake is no wait.
std::string NextWait(const ir::Program& program, store::State& state) {
  std::optional<store::TimerKey> timer = state.FirstTimer();
  if (!timer) return "";
  store::Profile* profile = state.FindProfile(std::string(timer->profile));
  if (profile == nullptr) return "";
  for (size_t j = 0; j < profile->instances.size(); ++j) {
    const store::Instance* instance = profile->instances[j].get();
    if (instance == nullptr || instance->seq != timer->seq) continue;
    if (instance->step < 0) return "";
    const ir::Step& step = program.journeys[j].steps[instance->step];
    return "journey `" + program.journeys[j].name + "` at `" + step.name +
           "`, line " + std::to_string(step.line);
  }
  return "";
}

// What a test whose clock stopped at its horizon still had to come, to
// be said next to an expected action that did not come: "; the test's
// clock stopped at ..., with journey `anniv` at `wait1`, line 9, due
// ...". Empty when nothing was pending.
std::string StopNote(const ir::Program& program, store::State& state,
                     int64_t horizon) {
  std::optional<store::TimerKey> timer = state.FirstTimer();
  std::string wait = NextWait(program, state);
  if (!timer || wait.empty()) return "";
  return "; the test's clock stopped at " + common::FormatTime(horizon) +
         ", five years after its last input, with " + wait + ", due " +
         common::FormatTime(timer->wake_at);
}

// Why a test whose clock the instant limit stopped fails: where the clock
// stopped, and how far the expectations would have needed it to run.
std::string DescribeCutShort(const ir::TestCase& test, int64_t stopped_at,
                             int64_t horizon, const std::string& next_wait) {
  std::optional<int64_t> reach;
  bool timeless = false;  // an expectation about any time
  for (const ir::TestExpectation& expectation : test.expectations) {
    if (!AboutLines(expectation)) continue;
    if (!expectation.at) {
      timeless = true;
    } else if (!reach || *expectation.at > *reach) {
      reach = expectation.at;
    }
  }
  std::string expected =
      timeless ? "an expectation names no time, so the expectations reach "
                 "the end of the test (" +
                     common::FormatTime(horizon) + ")"
      : reach ? "the expectations reach " + common::FormatTime(*reach)
              : "no expectation is about a message or an action";
  return test.where + ": the test's clock stopped at " +
         common::FormatTime(stopped_at) + ", at the limit of " +
         std::to_string(kMaxTestInstants) +
         " instants played after the last input, with waits still "
         "pending; " +
         expected + ". A journey keeps waking itself" +
         (next_wait.empty() ? "" : " (the next wait: " + next_wait + ")") +
         "; a `wait` before an `emit` of its own trigger? End that loop, "
         "or test a shorter span";
}

// The next instant the clock has something to do at: a pending wait or a
// profile re-check, whichever comes first.
std::optional<int64_t> NextWake(const store::State& state) {
  std::optional<int64_t> wake;
  if (std::optional<store::TimerKey> timer = state.FirstTimer()) {
    wake = timer->wake_at;
  }
  if (std::optional<int64_t> recheck = state.FirstRecheck()) {
    wake = wake ? std::min(*wake, *recheck) : *recheck;
  }
  return wake;
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
      case ir::TestValue::Kind::Json:
        values[value.key] = Json::parse(value.text, nullptr, false);
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

  // `expect points N at T` and `expect tier T at T` read the standing at
  // their instant: after everything due by then, events at that instant
  // included. They are read in time order as the test's clock passes
  // them.
  TimedStandings timed(program, test.expectations);

  int64_t number = 0;
  for (const ir::TestInput& input : test.inputs) {
    ++number;
    int64_t at = input.at.value_or(first_time.value_or(0));
    timed.ReadBefore(at, state, engine);
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

  // Points and tiers are the member's standing when the test's statements
  // end: running the clock on for years would expire every lot.
  std::vector<std::string> loyalty_reasons(test.expectations.size());
  for (size_t i = 0; i < test.expectations.size(); ++i) {
    const ir::TestExpectation& expectation = test.expectations[i];
    if (AboutLines(expectation)) continue;
    if (expectation.at) continue;
    loyalty_reasons[i] = CheckLoyalty(program, state, expectation);
  }

  // Play every journey out: each wait that is pending fires, and so does
  // each instant at which time alone changes something (a window moves, a
  // segment such as "no order for 120 days" flips, a schedule comes
  // round), in order, up to a horizon, so that a journey that restarts
  // itself (a daily ticker) cannot run a test forever.
  int64_t last_input = state.clock().value_or(0);
  int64_t horizon = common::AddSeconds(last_input, kTestHorizonSeconds);
  int64_t instants = 0;
  bool cut_short = false;
  while (std::optional<int64_t> due = NextWake(state)) {
    if (*due > horizon) break;
    if (instants == kMaxTestInstants) {
      cut_short = true;
      break;
    }
    ++instants;
    timed.ReadBefore(*due, state, engine);
    engine.AdvanceClock(*due);
  }
  if (!cut_short) timed.ReadThrough(horizon, state, engine);

  // A chain the engine cut left out what the journeys would have done:
  // the expectations would be checked against a run the program did not
  // mean, so the test fails, naming where the loop is.
  if (!engine.first_chain_cut().empty()) {
    outcome.reasons.push_back(test.where + ": the engine " +
                              engine.first_chain_cut());
  }

  // A clock stopped by the limit has not seen what comes later: an
  // `expect no send` would pass for want of time, so the test fails.
  if (cut_short) {
    outcome.reasons.push_back(
        DescribeCutShort(test, state.clock().value_or(last_input), horizon,
                         NextWait(program, state)));
  }

  int64_t stopped_at = cut_short ? state.clock().value_or(last_input) : horizon;
  std::string stop_note = cut_short ? "" : StopNote(program, state, horizon);
  std::vector<Send> sends = ReadSends(state.pending_outbox());
  for (size_t i = 0; i < test.expectations.size(); ++i) {
    const ir::TestExpectation& expectation = test.expectations[i];
    size_t needed = 1;
    for (size_t j = 0; j < i; ++j) {
      if (SameExpectation(test.expectations[j], expectation)) ++needed;
    }
    // (A clock the instant limit stopped fails the test already, saying
    // how far the expectations reach.)
    bool unreached = !cut_short && AboutLines(expectation) && expectation.at &&
                     *expectation.at > stopped_at;
    std::string reason =
        unreached
            ? AfterStop(expectation, "`expect " + Describe(expectation) + "`",
                        stopped_at)
        : AboutLines(expectation) ? Check(expectation, sends, needed, stop_note)
        : expectation.at          ? timed.Reason(i, stopped_at)
                                  : loyalty_reasons[i];
    if (!reason.empty()) outcome.reasons.push_back(reason);
  }
  outcome.passed = outcome.reasons.empty();
  return outcome;
}

}  // namespace parcours::engine
