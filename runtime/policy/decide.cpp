#include "runtime/policy/decide.h"

#include <algorithm>

#include "runtime/common/time_text.h"
#include "runtime/engine/calendar.h"

namespace parcours::policy {
namespace {

bool Names(const std::vector<std::string>& channels,
           const std::string& channel) {
  return channels.empty() ||
         std::find(channels.begin(), channels.end(), channel) != channels.end();
}

// Why a channel cannot take the message now, and when it could.
struct Block {
  std::string reason;  // cap or quiet
  const ir::RuleSource* rule = nullptr;
  int64_t until = 0;
};

class Judge {
 public:
  Judge(const ir::Evaluator& evaluator, const Request& request)
      : evaluator_(evaluator),
        request_(request),
        policy_(*request.policy),
        frame_{request.profile, nullptr, nullptr, request.now} {}

  // The first quiet rule in force, else the first cap that is full (its
  // `until` is when every full cap has room again); none: free to send.
  std::optional<Block> Check(const std::string& channel) const {
    for (const ir::Quiet& quiet : policy_.quiet) {
      if (!Names(quiet.channels, channel)) continue;
      if (auto end = QuietEnd(quiet))
        return Block{"quiet", &quiet.source, *end};
    }

    std::optional<Block> full;
    for (const ir::Cap& cap : policy_.caps) {
      if (!Names(cap.channels, channel)) continue;
      if (cap.condition >= 0 && evaluator_.Call(cap.condition, frame_) == 0) {
        continue;
      }
      std::optional<int64_t> room = RoomAgain(cap, channel);
      if (!room) continue;
      if (!full) full = Block{"cap", &cap.source, *room};
      full->until = std::max(full->until, *room);
    }
    return full;
  }

 private:
  // The recipient's calendar at the decision's instant, worked out once:
  // every quiet rule and calendar cap of every channel tried reads the
  // same instant in the same zone, and a zone lookup costs more than the
  // rest of the decision.
  struct LocalCalendar {
    std::optional<int64_t> second_of_day;
    std::optional<int64_t> second_of_week;
    std::optional<int64_t> period_start[4];  // by CalendarUnit
    std::optional<int64_t> next_period[4];   // by CalendarUnit
  };

  int64_t SecondOfDay() const {
    if (!calendar_.second_of_day) {
      calendar_.second_of_day =
          engine::LocalSecondOfDay(request_.now, request_.zone);
    }
    return *calendar_.second_of_day;
  }

  int64_t SecondOfWeek() const {
    if (!calendar_.second_of_week) {
      calendar_.second_of_week =
          engine::LocalSecondOfWeek(request_.now, request_.zone);
    }
    return *calendar_.second_of_week;
  }

  int64_t PeriodStart(engine::CalendarUnit unit) const {
    auto& start = calendar_.period_start[static_cast<size_t>(unit)];
    if (!start) {
      start = engine::StartOfLocalPeriod(request_.now, unit, request_.zone);
    }
    return *start;
  }

  // When the calendar period holding the decision ends.
  int64_t NextPeriod(engine::CalendarUnit unit) const {
    auto& next = calendar_.next_period[static_cast<size_t>(unit)];
    if (!next) {
      next = engine::AddCalendar(PeriodStart(unit), 1, unit, request_.zone);
    }
    return *next;
  }

  // When `quiet` ends, if it is in force now.
  std::optional<int64_t> QuietEnd(const ir::Quiet& quiet) const {
    int64_t now = quiet.weekly ? SecondOfWeek() : SecondOfDay();
    bool inside = quiet.from < quiet.to ? now >= quiet.from && now < quiet.to
                                        : now >= quiet.from || now < quiet.to;
    if (!inside) return std::nullopt;

    // Quiet hours that start when they end cover the whole day or week
    // (W0307): they have no end, and their end time, were it taken for
    // one, is the very instant they start again.
    if (quiet.from == quiet.to) return engine::kNever;

    int64_t end =
        quiet.weekly
            ? engine::NextLocalWeekTime(request_.now, quiet.to, request_.zone)
            : engine::NextLocalTime(request_.now, quiet.to, request_.zone);

    // An end time in the hour the clocks go back over comes twice, and the
    // first is the end. Past it, the repeated hour still reads as quiet on
    // the wall clock, but the next end is a whole day or week away, where
    // the wall clock says it is a few minutes: these hours are over.
    int64_t period = quiet.weekly ? 7 * 86400 : 86400;
    int64_t wall_clock_left = ((quiet.to - now) % period + period) % period;
    if (end != engine::kNever &&
        end - request_.now > wall_clock_left + period / 2) {
      return std::nullopt;
    }
    return end;
  }

  // When `cap` has room for one more message on `channel`, if it has none
  // now.
  std::optional<int64_t> RoomAgain(const ir::Cap& cap,
                                   const std::string& channel) const {
    int64_t limit = evaluator_.Call(cap.limit, frame_);
    // Slots reserved for higher priorities are not this message's to use.
    if (cap.reserved >= 0 && request_.step->priority_rank < cap.reserved_rank) {
      limit -= std::max<int64_t>(0, evaluator_.Call(cap.reserved, frame_));
    }
    int64_t now = request_.now;
    // A rolling window holds the contacts of the last `rolling_seconds`: one
    // sent exactly that long ago has left it. A calendar one holds those
    // since the period began.
    bool rolling = cap.period == ir::CapPeriod::Rolling;
    int64_t start =
        rolling ? now - cap.rolling_seconds + 1 : PeriodStart(Unit(cap.period));
    // A limit of 0 or less never has room.
    if (limit <= 0) {
      return rolling ? engine::kNever : NextPeriod(Unit(cap.period));
    }

    // Across: every channel the cap names counts; on: only this one. The
    // walk goes from the newest contact back and stops at the limit-th
    // counted one: the cap is full, and in a rolling window room comes
    // back when that contact leaves it (the older ones leave before).
    int64_t count = 0;
    int64_t leaving = 0;
    const auto& history = *request_.history;
    for (auto contact = history.rbegin(); contact != history.rend();
         ++contact) {
      if (contact->at < start) break;
      // A category this policy exempts is never counted, whichever
      // journey (with another policy, or none) sent it.
      if (!policy_.exempt.empty() && Names(policy_.exempt, contact->category)) {
        continue;
      }
      bool counts = cap.across ? Names(cap.channels, contact->channel)
                               : contact->channel == channel;
      if (!counts) continue;
      if (++count == limit) {
        leaving = contact->at;
        break;
      }
    }
    if (count < limit) return std::nullopt;
    if (!rolling) return NextPeriod(Unit(cap.period));
    return leaving + cap.rolling_seconds;
  }

  static engine::CalendarUnit Unit(ir::CapPeriod period) {
    switch (period) {
      case ir::CapPeriod::Day: return engine::CalendarUnit::Day;
      case ir::CapPeriod::Month: return engine::CalendarUnit::Month;
      default: return engine::CalendarUnit::Week;
    }
  }

  const ir::Evaluator& evaluator_;
  const Request& request_;
  const ir::Policy& policy_;
  ir::Frame frame_;
  mutable LocalCalendar calendar_;
};

// Channels by pointer into the step, the policy or the request, which
// outlive the decision: the lists below are built for every send, and
// copying the names would cost more than deciding.
using ChannelList = std::vector<const std::string*>;

bool Lists(const ChannelList& channels, const std::string& channel) {
  return std::any_of(
      channels.begin(), channels.end(),
      [&](const std::string* listed) { return *listed == channel; });
}

// The channels the send names, as written.
ChannelList Written(const ir::Step& step) {
  ChannelList written;
  if (step.best_of.empty()) {
    written.push_back(&step.channel);
    return written;
  }
  written.reserve(step.best_of.size());
  for (const std::string& channel : step.best_of) written.push_back(&channel);
  return written;
}

// The channels to try, in order: `best of` with the customer's own channel
// (`prefer`) first, then in the policy's priority order (channels it does
// not rank keep their written order, after the ranked ones); with `when
// capped: fallback`, then the customer's channel and the policy's other
// channels, after the step's own.
ChannelList Candidates(const ChannelList& written, const ir::Policy& policy,
                       const std::string& preferred) {
  ChannelList ordered;
  ordered.reserve(written.size() + policy.priority.size() + 1);
  if (!preferred.empty() && Lists(written, preferred)) {
    ordered.push_back(&preferred);
  }
  for (const std::string& channel : policy.priority) {
    if (channel == preferred) continue;
    if (Lists(written, channel)) ordered.push_back(&channel);
  }
  auto add = [&](const std::string& channel) {
    if (!Lists(ordered, channel)) ordered.push_back(&channel);
  };
  for (const std::string* channel : written) add(*channel);
  if (policy.when_capped == ir::CappedAction::Fallback) {
    if (!preferred.empty()) add(preferred);
    for (const std::string& channel : policy.priority) add(channel);
  }
  return ordered;
}

// The decision for a send every channel of which is held back: by the
// rule of `first_block`, the first channel's, until `earliest`, when the
// first of them has room again.
Decision HeldBack(const ir::Policy& policy, const Request& request,
                  Decision decision, const Block& first_block,
                  int64_t earliest) {
  decision.reason = first_block.reason;
  decision.rule = first_block.rule;
  decision.detail = DescribeRule(*first_block.rule);
  if (policy.when_capped != ir::CappedAction::Defer) {
    decision.verdict = Verdict::Suppress;
    return decision;
  }

  // A deferral waits for the earliest channel to have room again, unless
  // that is past its limit, counted from the first deferral.
  // A deferral must move on: one until the instant it was decided would be
  // decided again then, and again, for ever. No rule gives such a time;
  // should one, the channel has no room that can be waited for.
  if (earliest <= request.now) earliest = engine::kNever;

  int64_t since = request.deferred_since.value_or(request.now);
  bool past_limit =
      earliest == engine::kNever ||
      (policy.defer_within > 0 && earliest > since + policy.defer_within);
  if (!past_limit) {
    decision.verdict = Verdict::Defer;
    decision.until = earliest;
    return decision;
  }

  decision.verdict = Verdict::Suppress;
  decision.reason = "expired";
  decision.rule = &policy.capped_source;
  // With no room ever, there is no limit to be past, `within` or not.
  std::string held_back = "held back by " + DescribeRule(*first_block.rule);
  decision.detail =
      earliest == engine::kNever
          ? held_back + ", which never has room, so " +
                DescribeRule(policy.capped_source) + " has nothing to wait for"
          : held_back + ", next room at " + common::FormatTime(earliest) +
                ", past the deferral limit of " +
                DescribeRule(policy.capped_source);
  return decision;
}

}  // namespace

std::string DescribeRule(const ir::RuleSource& rule) {
  std::string text = rule.text.empty() ? "policy rule" : rule.text;
  return text + " (" + rule.where + ")";
}

// Why `channel` may not carry the message at all, if it may not: no
// address, or a marketing message on a channel whose latest consent record
// is a revocation.
std::optional<Decision> Refusal(const Request& request,
                                const std::string& channel) {
  Decision refusal;
  refusal.verdict = Verdict::Suppress;
  refusal.channel = channel;
  if (std::find(request.unreachable.begin(), request.unreachable.end(),
                channel) != request.unreachable.end()) {
    const char* address = channel == "sms"    ? "phone number"
                          : channel == "push" ? "push token"
                                              : "email address";
    refusal.reason = "unreachable";
    refusal.detail = std::string("no ") + address + " on the profile";
    return refusal;
  }
  if (request.step->category != "marketing" || request.ledger == nullptr) {
    return std::nullopt;
  }
  const store::ConsentRecord* latest =
      request.ledger->LatestConsent(request.profile_id, channel);
  if (latest == nullptr || latest->granted) return std::nullopt;
  refusal.reason = "consent";
  refusal.detail = channel + " consent revoked at " +
                   common::FormatTime(latest->at) + " by " + latest->source +
                   " (" + latest->context + ")";
  return refusal;
}

Decision Decide(const ir::Evaluator& evaluator, const Request& request) {
  const ir::Step& step = *request.step;
  ChannelList candidates =
      request.policy == nullptr
          ? Written(step)
          : Candidates(Written(step), *request.policy, request.preferred);

  // Consent and addresses first: nothing passes them, not even `override`.
  ChannelList allowed;
  allowed.reserve(candidates.size());
  std::optional<Decision> first_refusal;
  for (const std::string* channel : candidates) {
    std::optional<Decision> refusal = Refusal(request, *channel);
    if (!refusal) {
      allowed.push_back(channel);
    } else if (!first_refusal) {
      first_refusal = std::move(refusal);
    }
  }
  if (allowed.empty()) return *first_refusal;

  Decision decision;
  decision.channel = *allowed.front();
  if (request.policy == nullptr) return decision;
  const ir::Policy& policy = *request.policy;

  // Exempt categories pass caps and quiet hours, and caps never count them.
  if (Names(policy.exempt, step.category) && !policy.exempt.empty()) {
    decision.counted = false;
    decision.reason = "exempt";
    decision.detail = "category " + step.category + " is exempt";
    return decision;
  }
  // `override` passes caps and quiet hours but is counted like any send.
  if (step.override_policy) {
    decision.reason = "override";
    decision.detail = "override passes caps and quiet hours";
    return decision;
  }

  Judge judge(evaluator, request);
  std::optional<Block> first_block;
  int64_t earliest = engine::kNever;
  for (const std::string* channel : allowed) {
    std::optional<Block> block = judge.Check(*channel);
    if (!block) {
      decision.channel = *channel;
      return decision;
    }
    if (!first_block) first_block = block;
    earliest = std::min(earliest, block->until);
  }

  // Every channel is held back: the first one's rule is the reason.
  decision.channel = *allowed.front();
  return HeldBack(policy, request, std::move(decision), *first_block, earliest);
}

}  // namespace parcours::policy
