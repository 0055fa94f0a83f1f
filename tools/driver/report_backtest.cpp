// `parcours report backtest --state DB [--format table|json]`: what a run
// did, per journey and per channel, read back from its state file.
//
// Everything comes from what the run saved: journey entries, exits and
// goals from the `log` table (the engine's rows "entered...", "exited...",
// "left to enter again..." and the `goal` rows), contacts still waiting from
// `instances`, and every decision from the action lines of `outbox` (sends,
// suppressions and deferrals, with their reason and the rule that
// decided). So the report describes exactly the actions that were
// delivered, and the same state gives the same report.
#include "tools/driver/report_backtest.h"

#include <date/date.h>
#include <date/iso_week.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "runtime/common/time_text.h"
#include "runtime/store/pending_view.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"

namespace parcours::driver {
namespace {

using common::Expected;
using common::Status;

// Contacts and the goals they reached, for one group of a comparison.
struct GroupCount {
  int64_t contacts = 0;
  int64_t goals = 0;
};

struct JourneyFlow {
  int64_t entered = 0;
  int64_t held_out = 0;  // of `entered`, in the holdout
  int64_t goals = 0;
  int64_t held_out_goals = 0;  // of `goals`, reached by holdout contacts
  // Split step name -> arm name -> contacts who took it, and their goals.
  std::map<std::string, std::map<std::string, GroupCount>> arms;
  int64_t waiting = 0;
  int64_t sent = 0;                      // messages handed to a channel
  std::map<std::string, int64_t> exits;  // by reason, as logged
};

struct Backtest {
  std::map<std::string, JourneyFlow> journeys;
  std::set<std::string> channels;
  std::map<std::string, int64_t> sends_by_channel;
  // ISO week ("2011-W05") -> channel -> sends.
  std::map<std::string, std::map<std::string, int64_t>> sends_by_week;
  // (reason, detail) -> count, for suppressions and for deferrals.
  std::map<std::pair<std::string, std::string>, int64_t> suppressed;
  std::map<std::pair<std::string, std::string>, int64_t> deferred;
  // Every other action line (tasks, webhooks, emitted events, a loyalty
  // program's points and tier lines...), by its `kind`: a loyalty run
  // writes thousands of points lines and no task, and a single count
  // under "tasks, webhooks, events" read as thousands of tasks.
  std::map<std::string, int64_t> other_actions;
};

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The ISO week of a UTC time written as the action lines write it.
std::string IsoWeek(const std::string& at) {
  std::optional<int64_t> seconds = common::ParseTime(at);
  if (!seconds) return "unknown";
  date::sys_days day{
      date::days{*seconds / 86'400 - (*seconds % 86'400 < 0 ? 1 : 0)}};
  iso_week::year_weeknum_weekday week{day};
  char text[16];
  std::snprintf(text, sizeof text, "%d-W%02u", int(week.year()),
                unsigned(week.weeknum()));
  return text;
}

std::string Text(const nlohmann::json& line, const char* key) {
  auto found = line.find(key);
  return found != line.end() && found->is_string() ? found->get<std::string>()
                                                   : "";
}

// The rule a held message's detail names, without what belongs to that
// message alone: an expired deferral says when the channel next had room,
// a message dropped by a goal says how long its contact took to reach it,
// and one without consent when and by what its contact revoked it; each
// would give every such message a row of its own.
std::string RuleOf(std::string detail) {
  const std::string revoked = " consent revoked";
  size_t channel_end = detail.find(revoked + " at ");
  if (channel_end != std::string::npos) {
    return detail.erase(channel_end + revoked.size());
  }

  const std::string goal = "goal reached: ";
  const std::string took = " after ";
  if (StartsWith(detail, goal)) {
    size_t from = detail.rfind(took);
    if (from != std::string::npos && from > goal.size()) detail.erase(from);
    return detail;
  }

  const std::string next_room = ", next room at ";
  size_t from = detail.find(next_room);
  if (from == std::string::npos) return detail;
  size_t to = detail.find(',', from + next_room.size());
  detail.erase(from, to == std::string::npos ? std::string::npos : to - from);
  return detail;
}

// Where a journey's contacts went, by profile: a profile is in a
// journey's holdout, and takes a split's arm, by a stable hash of its id,
// the same at every entry; so a goal is counted for the group and the arm
// its profile was in.
struct Membership {
  std::set<std::string> held_out;
  // (split step, profile) -> arm, and each time a contact took one.
  std::map<std::pair<std::string, std::string>, std::string> arms;
  std::vector<std::pair<std::string, std::string>> arms_taken;
  std::vector<std::string> goal_profiles;
};

Status ReadJourneys(store::Database& db, Backtest& report) {
  Expected<store::Statement> log = db.Prepare(
      "SELECT journey, component, message, profile, step FROM log "
      "WHERE component IN ('engine', 'goal') AND journey IS NOT NULL");
  if (!log.ok()) return log.status();
  std::map<std::string, Membership> members;
  const std::string took_arm = "took arm `";
  for (;;) {
    Expected<bool> row = log->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string journey = log->Text(0);
    JourneyFlow& flow = report.journeys[journey];
    std::string component = log->Text(1);
    std::string message = log->Text(2);
    std::string profile = log->Text(3);
    if (component == "goal") {
      ++flow.goals;
      members[journey].goal_profiles.push_back(profile);
    } else if (StartsWith(message, "entered")) {
      ++flow.entered;
      if (message.find("holdout") != std::string::npos) {
        ++flow.held_out;
        members[journey].held_out.insert(profile);
      }
    } else if (StartsWith(message, took_arm) && message.back() == '`') {
      std::string arm =
          message.substr(took_arm.size(), message.size() - took_arm.size() - 1);
      std::string split = log->Text(4);
      members[journey].arms[{split, profile}] = arm;
      members[journey].arms_taken.emplace_back(split, profile);
    } else if (StartsWith(message, "exited")) {
      std::string reason = message.substr(6);
      while (!reason.empty() && (reason[0] == ' ' || reason[0] == ':')) {
        reason.erase(0, 1);
      }
      ++flow.exits[reason];
    } else if (StartsWith(message, "left to enter again")) {
      ++flow.exits["restarted by `reentry after`"];
    }
  }

  // The arms compare the contacts who got their messages: holdout
  // contacts take an arm too, but hear nothing in it.
  for (const auto& [journey, member] : members) {
    JourneyFlow& flow = report.journeys[journey];
    for (const auto& [split, profile] : member.arms_taken) {
      if (member.held_out.count(profile)) continue;
      ++flow.arms[split][member.arms.at({split, profile})].contacts;
    }
    for (const std::string& profile : member.goal_profiles) {
      if (member.held_out.count(profile)) {
        ++flow.held_out_goals;
        continue;
      }
      for (auto& [split, arms] : flow.arms) {
        auto arm = member.arms.find({split, profile});
        if (arm != member.arms.end()) ++arms[arm->second].goals;
      }
    }
  }

  // The rows a run has not yet written to `instances` count too. Added,
  // as each partition's file holds the contacts of its own profiles.
  Expected<std::map<std::string, int64_t>> waiting =
      store::CountWaitingByJourney(db);
  if (!waiting.ok()) return waiting.status();
  for (const auto& [journey, count] : *waiting) {
    report.journeys[journey].waiting += count;
  }
  return Status::Ok();
}

Status ReadActions(store::Database& db, Backtest& report) {
  Expected<store::Statement> outbox =
      db.Prepare("SELECT line FROM outbox ORDER BY seq");
  if (!outbox.ok()) return outbox.status();
  for (;;) {
    Expected<bool> row = outbox->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    nlohmann::json line =
        nlohmann::json::parse(outbox->Text(0), nullptr, false);
    std::string kind = Text(line, "kind");
    if (kind == "send") {
      std::string channel = Text(line, "channel");
      report.channels.insert(channel);
      ++report.sends_by_channel[channel];
      ++report.sends_by_week[IsoWeek(Text(line, "at"))][channel];
      std::string journey = Text(line, "journey");
      if (!journey.empty()) ++report.journeys[journey].sent;
    } else if (kind == "suppressed") {
      ++report.suppressed[{Text(line, "reason"), RuleOf(Text(line, "detail"))}];
    } else if (kind == "deferred") {
      ++report.deferred[{Text(line, "reason"), RuleOf(Text(line, "detail"))}];
    } else {
      ++report.other_actions[kind];
    }
  }
  return Status::Ok();
}

// How far group `a`'s goal rate is above `b`'s, in percentage points,
// with a 95% interval by the normal approximation to each proportion:
// with fewer than 10 contacts on either side of a rate (goals, or
// contacts without one) that approximation is rough, and says so.
struct Difference {
  double points = 0;
  double low = 0;
  double high = 0;
  bool rough = false;
};

std::optional<Difference> Compare(const GroupCount& a, const GroupCount& b) {
  if (a.contacts <= 0 || b.contacts <= 0) return std::nullopt;
  double rate_a = static_cast<double>(a.goals) / a.contacts;
  double rate_b = static_cast<double>(b.goals) / b.contacts;
  double spread = std::sqrt(rate_a * (1 - rate_a) / a.contacts +
                            rate_b * (1 - rate_b) / b.contacts);
  Difference difference;
  difference.points = 100 * (rate_a - rate_b);
  difference.low = difference.points - 100 * 1.96 * spread;
  difference.high = difference.points + 100 * 1.96 * spread;
  difference.rough = std::min({a.goals, a.contacts - a.goals, b.goals,
                               b.contacts - b.goals}) < 10;
  return difference;
}

double Rate(const GroupCount& group) {
  return group.contacts > 0 ? 100.0 * group.goals / group.contacts : 0;
}

GroupCount Messaged(const JourneyFlow& flow) {
  return {flow.entered - flow.held_out, flow.goals - flow.held_out_goals};
}

GroupCount HeldOut(const JourneyFlow& flow) {
  return {flow.held_out, flow.held_out_goals};
}

// "+3.03 pts (-1.10 to +7.16)", or "n/a" when a group is empty.
std::string DifferenceText(const std::optional<Difference>& difference) {
  if (!difference) return "n/a";
  char text[96];
  std::snprintf(text, sizeof text, "%+.2f pts (%+.2f to %+.2f)%s",
                difference->points, difference->low, difference->high,
                difference->rough ? ", few contacts: rough" : "");
  return text;
}

// A row of a table, however long its cells: a row written into a fixed
// buffer lost its last columns and its line end past 256 bytes.
__attribute__((format(printf, 1, 2))) std::string Row(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  int size = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string row(size > 0 ? static_cast<size_t>(size) : 0, '\0');
  std::vsnprintf(row.data(), row.size() + 1, format, again);
  va_end(again);
  return row;
}

// The width of the journey column: 28, or the longest journey's name, so
// that the figures of every row stay under their headings.
int JourneyColumnWidth(const Backtest& report) {
  size_t width = 28;
  for (const auto& [name, flow] : report.journeys) {
    width = std::max(width, name.size());
  }
  return static_cast<int>(width);
}

void PrintComparisons(const Backtest& report, std::ostream& out) {
  int width = JourneyColumnWidth(report);
  std::string row;
  bool any_holdout = false;
  for (const auto& [name, flow] : report.journeys) {
    if (flow.held_out == 0) continue;
    if (!any_holdout) {
      out << "\nHoldouts: goal rate of the contacts messaged and of the "
             "holdout\n";
      row =
          Row("  %-*s %-9s %9s %9s %8s  %s\n", width, "journey", "group",
              "contacts", "goals", "rate", "messaged - holdout (95% interval)");
      out << row;
      any_holdout = true;
    }
    GroupCount messaged = Messaged(flow);
    GroupCount held_out = HeldOut(flow);
    row = Row("  %-*s %-9s %9lld %9lld %7.2f%%\n", width, name.c_str(),
              "messaged", static_cast<long long>(messaged.contacts),
              static_cast<long long>(messaged.goals), Rate(messaged));
    out << row;
    row = Row("  %-*s %-9s %9lld %9lld %7.2f%%  %s\n", width, "", "holdout",
              static_cast<long long>(held_out.contacts),
              static_cast<long long>(held_out.goals), Rate(held_out),
              DifferenceText(Compare(messaged, held_out)).c_str());
    out << row;
  }

  // The arm column: 16, or the longest `split arm` label, so that long arm
  // names leave the figures under their headings.
  int arm_width = 16;
  for (const auto& [name, flow] : report.journeys) {
    for (const auto& [split, arms] : flow.arms) {
      for (const auto& [arm, count] : arms) {
        arm_width = std::max(arm_width,
                             static_cast<int>(split.size() + 1 + arm.size()));
      }
    }
  }
  bool any_split = false;
  for (const auto& [name, flow] : report.journeys) {
    for (const auto& [split, arms] : flow.arms) {
      if (!any_split) {
        out << "\nSplits: goal rate by arm\n";
        row = Row("  %-*s %-*s %9s %9s %8s  %s\n", width, "journey", arm_width,
                  "split, arm", "contacts", "goals", "rate",
                  "arm - first arm (95% interval)");
        out << row;
        out << "  (contacts messaged only; arms in the order of their names)\n";
        any_split = true;
      }
      const GroupCount& first = arms.begin()->second;
      bool first_row = true;
      for (const auto& [arm, count] : arms) {
        std::string label = split + " " + arm;
        row = Row("  %-*s %-*s %9lld %9lld %7.2f%%", width,
                  first_row ? name.c_str() : "", arm_width, label.c_str(),
                  static_cast<long long>(count.contacts),
                  static_cast<long long>(count.goals), Rate(count));
        out << row;
        if (!first_row) out << "  " << DifferenceText(Compare(count, first));
        out << "\n";
        first_row = false;
      }
    }
  }
}

// The contacts of a journey who ran through its last step (or an `exit`
// step): the engine logs no row for them, so they are what is left of
// those entered once goals, exits and those still waiting are counted.
int64_t Completed(const JourneyFlow& flow) {
  int64_t exited = 0;
  for (const auto& [reason, count] : flow.exits) exited += count;
  return flow.entered - flow.goals - exited - flow.waiting;
}

void PrintTable(const Backtest& report, std::ostream& out) {
  int width = JourneyColumnWidth(report);
  std::string row;
  out << "Journeys\n";
  row = Row("  %-*s %9s %9s %9s %9s %9s %9s %9s\n", width, "journey", "entered",
            "holdout", "goals", "exited", "completed", "waiting", "sent");
  out << row;
  for (const auto& [name, flow] : report.journeys) {
    int64_t exited = 0;
    for (const auto& [reason, count] : flow.exits) exited += count;
    row =
        Row("  %-*s %9lld %9lld %9lld %9lld %9lld %9lld %9lld\n", width,
            name.c_str(), static_cast<long long>(flow.entered),
            static_cast<long long>(flow.held_out),
            static_cast<long long>(flow.goals), static_cast<long long>(exited),
            static_cast<long long>(Completed(flow)),
            static_cast<long long>(flow.waiting),
            static_cast<long long>(flow.sent));
    out << row;
    for (const auto& [reason, count] : flow.exits) {
      out << "      exited " << reason << ": " << count << "\n";
    }
  }

  PrintComparisons(report, out);

  out << "\nSends by channel\n";
  int64_t total = 0;
  for (const auto& [channel, count] : report.sends_by_channel) {
    row =
        Row("  %-12s %9lld\n", channel.c_str(), static_cast<long long>(count));
    out << row;
    total += count;
  }
  row = Row("  %-12s %9lld\n", "total", static_cast<long long>(total));
  out << row;

  // Without sends the table would be a header over nothing; the empty
  // sections below say "none", and so does this one.
  out << "\nSends by week (ISO weeks, UTC)\n";
  if (report.sends_by_week.empty()) {
    out << "  none\n";
  } else {
    out << "  week    ";
    for (const std::string& channel : report.channels) {
      row = Row(" %9s", channel.c_str());
      out << row;
    }
    out << "\n";
  }
  for (const auto& [week, by_channel] : report.sends_by_week) {
    out << "  " << week;
    for (const std::string& channel : report.channels) {
      auto found = by_channel.find(channel);
      row = Row(" %9lld", static_cast<long long>(
                              found == by_channel.end() ? 0 : found->second));
      out << row;
    }
    out << "\n";
  }

  auto print_decisions = [&out](const char* title, const auto& decisions) {
    out << "\n" << title << "\n";
    if (decisions.empty()) out << "  none\n";
    for (const auto& [key, count] : decisions) {
      out << "  " << key.first;
      if (!key.second.empty()) out << " (" << key.second << ")";
      out << ": " << count << "\n";
    }
  };
  print_decisions("Suppressed, by reason and rule", report.suppressed);
  print_decisions("Deferred, by reason and rule", report.deferred);
  if (!report.other_actions.empty()) {
    out << "\nOther actions, by kind\n";
    for (const auto& [kind, count] : report.other_actions) {
      row = Row("  %-12s %9lld\n", kind.c_str(), static_cast<long long>(count));
      out << row;
    }
  }
}

void PrintJson(const Backtest& report, std::ostream& out) {
  nlohmann::ordered_json json;
  json["journeys"] = nlohmann::ordered_json::array();
  for (const auto& [name, flow] : report.journeys) {
    nlohmann::ordered_json exits = nlohmann::ordered_json::object();
    for (const auto& [reason, count] : flow.exits) exits[reason] = count;
    nlohmann::ordered_json row = {{"journey", name},
                                  {"entered", flow.entered},
                                  {"holdout", flow.held_out},
                                  {"goals", flow.goals},
                                  {"holdout_goals", flow.held_out_goals},
                                  {"completed", Completed(flow)},
                                  {"waiting", flow.waiting},
                                  {"sent", flow.sent},
                                  {"exited", exits}};
    std::optional<Difference> lift = Compare(Messaged(flow), HeldOut(flow));
    if (lift) {
      row["holdout_difference"] = {{"points", lift->points},
                                   {"low", lift->low},
                                   {"high", lift->high},
                                   {"rough", lift->rough}};
    }
    nlohmann::ordered_json splits = nlohmann::ordered_json::array();
    for (const auto& [split, arms] : flow.arms) {
      nlohmann::ordered_json arm_rows = nlohmann::ordered_json::array();
      for (const auto& [arm, count] : arms) {
        arm_rows.push_back({{"arm", arm},
                            {"contacts", count.contacts},
                            {"goals", count.goals}});
      }
      splits.push_back({{"split", split}, {"arms", arm_rows}});
    }
    if (!splits.empty()) row["splits"] = splits;
    json["journeys"].push_back(row);
  }
  json["sends_by_channel"] = report.sends_by_channel;
  json["sends_by_week"] = nlohmann::ordered_json::array();
  for (const auto& [week, by_channel] : report.sends_by_week) {
    json["sends_by_week"].push_back({{"week", week}, {"sends", by_channel}});
  }
  auto decisions = [](const auto& counted) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& [key, count] : counted) {
      rows.push_back(
          {{"reason", key.first}, {"detail", key.second}, {"count", count}});
    }
    return rows;
  };
  json["suppressed"] = decisions(report.suppressed);
  json["deferred"] = decisions(report.deferred);
  int64_t other_actions = 0;
  for (const auto& [kind, count] : report.other_actions) other_actions += count;
  json["other_actions"] = other_actions;
  json["other_actions_by_kind"] = report.other_actions;
  out << json.dump(2) << "\n";
}

}  // namespace

int BacktestReport(const std::vector<std::string>& state_files,
                   const std::string& format, std::ostream& out,
                   std::ostream& err) {
  if (format != "table" && format != "json") {
    err << "parcours: `--format` takes table or json, not `" << format << "`\n";
    return 2;
  }

  // Every figure is a count, kept in sorted maps: reading each
  // partition's file into the same report adds them up, and the rows come
  // out in the order one state file would give.
  Backtest report;
  for (const std::string& state_path : state_files) {
    // Read only: a report never changes the state, and may run while
    // another run holds the state's lock.
    Expected<store::Database> db = store::OpenStateForReading(state_path);
    if (!db.ok()) {
      err << "parcours: " << db.status().message() << "\n";
      return 2;
    }
    Status status = ReadJourneys(*db, report);
    if (status.ok()) status = ReadActions(*db, report);
    if (!status.ok()) {
      std::string context = "state file `" + state_path + "`";
      err << "parcours: " << status.WithContext(context).message() << "\n";
      return 2;
    }
  }

  if (format == "json") {
    PrintJson(report, out);
  } else {
    PrintTable(report, out);
  }
  return 0;
}

}  // namespace parcours::driver
