// `parcours explain` and `parcours report caps`: what pressure policies
// decided, read from the `decisions` table of a state file.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <tuple>
#include <vector>

#include "runtime/common/time_text.h"
#include "runtime/common/visible_text.h"
#include "runtime/engine/run.h"
#include "runtime/store/pending_view.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

using common::Expected;

// Opens an existing state file for reading; on failure says why on `err`.
std::optional<store::Database> OpenState(const std::string& path,
                                         std::ostream& err) {
  if (!std::filesystem::exists(path)) {
    err << "parcours: state file `" << path << "` does not exist\n";
    return std::nullopt;
  }
  if (SayIfEmptyState(path, err)) return std::nullopt;
  Expected<store::Database> db = store::OpenStateForReading(path);
  if (!db.ok()) {
    err << "parcours: " << db.status().message() << "\n";
    return std::nullopt;
  }
  // The reports read the file as it is, never migrating it, so a file of
  // any schema since the one that brought the policy tables will do: a
  // state the previous release wrote is still explained.
  constexpr int64_t kPolicyTablesSchema = 5;
  Expected<int64_t> version = db->QueryInt("PRAGMA user_version");
  if (!version.ok() || *version < kPolicyTablesSchema) {
    err << "parcours: state file `" << path
        << "` has no decisions yet; run it with this version of parcours "
           "first\n";
    return std::nullopt;
  }
  return std::move(*db);
}

// Says on `err` why reading the state failed, naming the file: a damaged
// or hand-edited state is otherwise a bare "no such table".
void SayReadError(const std::string& path, const common::Status& status,
                  std::ostream& err) {
  err << "parcours: state file `" << path << "`: " << status.message() << "\n";
}

}  // namespace

int ExplainCommand(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err) {
  std::string error;
  Arguments parsed = ParseArguments(args, {"--state", "--profile"}, {}, &error);
  if (error.empty() && (!parsed.Has("--state") || !parsed.Has("--profile"))) {
    error = "explain needs --state DB|FOLDER and --profile ID";
  }
  // `--profile 17850 13047` would explain the first one only, as if the
  // second had no timeline: one profile per call.
  if (error.empty() && !parsed.positional.empty()) {
    error = "explain reads one profile, named by --profile; `" +
            parsed.positional[0] + "` is not an option's value";
  }
  if (!error.empty()) {
    err << "parcours: " << error << "\n"
        << "usage: parcours explain --state DB|FOLDER --profile ID\n";
    return 2;
  }
  std::string state_path = parsed.Get("--state", "");
  std::string profile = parsed.Get("--profile", "");
  // One person's timeline lives in one partition: with a `--partitions`
  // folder, read the file that holds the profile rather than refuse.
  std::error_code code;
  bool folder = std::filesystem::is_directory(state_path, code);
  if (folder) {
    Expected<std::string> file = engine::PartitionFileOf(state_path, profile);
    if (!file.ok()) {
      err << "parcours: " << file.status().message() << "\n";
      return 2;
    }
    state_path = *file;
  }
  auto db = OpenState(state_path, err);
  if (!db) return 2;

  // A file swapped with another of its folder (by a restore) holds other
  // profiles: the person would read as unknown. A file saved before
  // places were recorded has none to compare.
  if (folder) {
    Expected<int64_t> made = db->QueryInt(
        "SELECT coalesce((SELECT value FROM meta WHERE key = 'partitions'), "
        "0)");
    Expected<int64_t> place = db->QueryInt(
        "SELECT coalesce((SELECT value FROM meta WHERE key = 'partition'), "
        "-1)");
    if (made.ok() && place.ok() && *made > 0 && *place >= 0) {
      uint32_t belongs =
          engine::PartitionOf(profile, static_cast<uint32_t>(*made));
      if (*place != belongs) {
        err << "parcours: state file `" << state_path << "` holds partition "
            << *place << " of its folder, not partition " << belongs
            << ", where profile `" << profile
            << "` belongs: it was copied or restored into the wrong place; "
               "put each file back in its place\n";
        return 2;
      }
    }
  }

  // A mistyped id would otherwise read as a person nothing was decided
  // for.
  // (A profile whose rows a run has not yet written to `profiles` counts.)
  Expected<bool> known = store::HasProfile(*db, profile);
  if (!known.ok()) {
    SayReadError(state_path, known.status(), err);
    return 2;
  }
  if (!*known) {
    err << "parcours: no profile `" << profile << "` in `"
        << parsed.Get("--state", "")
        << "`; ids are the events' userId, exactly as written\n";
    return 2;
  }

  // The person's journey log (entries, exits, goals) and the decisions on
  // their messages, merged by time; at one instant the log goes first, as
  // a contact enters a journey before its first message is decided.
  Expected<store::Statement> log = db->Prepare(
      "SELECT at, level, journey, step, message FROM log WHERE profile = ?1 "
      "ORDER BY rowid");
  // A file of schema 9 or older, which a report does not migrate, has no
  // `late` column: none of its decisions is marked.
  Expected<int64_t> has_late = db->QueryInt(
      "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = "
      "'late'");
  bool marks_late = has_late.ok() && *has_late > 0;
  Expected<store::Statement> decisions = db->Prepare(
      std::string("SELECT at, kind, channel, template, journey, step, "
                  "reason, detail, until, ") +
      (marks_late ? "late" : "0") +
      " FROM decisions WHERE profile = ?1 ORDER BY seq");
  for (const auto* statement : {&log, &decisions}) {
    if (!statement->ok()) {
      SayReadError(state_path, statement->status(), err);
      return 2;
    }
  }
  log->BindText(1, profile);
  decisions->BindText(1, profile);

  // Steps `statement` to its next row; false at the end or on an error
  // (then said on `err`, with `failed` set).
  bool failed = false;
  auto next = [&](store::Statement& statement) {
    Expected<bool> row = statement.Step();
    if (!row.ok()) {
      SayReadError(state_path, row.status(), err);
      failed = true;
      return false;
    }
    return *row;
  };

  // Ids, log messages and details quote the event stream (a zone, a
  // consent line's messageId); control characters in them are escaped,
  // not sent to the terminal.
  using common::VisibleText;
  out << "profile " << VisibleText(profile) << "\n";
  int decided = 0;
  bool have_log = next(*log);
  bool have_decision = !failed && next(*decisions);
  while (!failed && (have_log || have_decision)) {
    std::optional<int64_t> log_at =
        have_log ? common::ParseTime(log->Text(0)) : std::nullopt;
    bool log_first =
        have_log && (!have_decision || !log_at || *log_at <= decisions->Int(0));
    if (log_first) {
      out << log->Text(0) << " ";
      if (log->IsNull(2)) {
        out << log->Text(1);
      } else {
        out << log->Text(2);
        if (!log->IsNull(3)) out << "/" << log->Text(3);
      }
      out << ": " << VisibleText(log->Text(4)) << "\n";
      have_log = next(*log);
      continue;
    }

    ++decided;
    std::string kind = decisions->Text(1);
    std::string reason = decisions->Text(6);
    out << common::FormatTime(decisions->Int(0)) << " " << kind << " "
        << decisions->Text(2) << " \"" << decisions->Text(3) << "\" in "
        << decisions->Text(4) << "/" << decisions->Text(5);
    if (decisions->Int(9) != 0) out << " (late)";
    if (kind == "deferred") {
      out << " until " << common::FormatTime(decisions->Int(8));
    }
    if (!reason.empty()) {
      out << ": " << reason << ", " << VisibleText(decisions->Text(7));
    }
    out << "\n";
    have_decision = next(*decisions);
  }
  if (failed) return 2;
  if (decided == 0) out << "no messages decided for this profile\n";
  return 0;
}

namespace {

// (rule where, rule text, reason, journey) -> counts by kind. A decision
// no rule took (a plain send, an exemption, an override, consent, no
// address, an exit) is grouped by its reason instead.
using CapsKey = std::tuple<std::string, std::string, std::string, std::string>;
using CapsCounts = std::map<CapsKey, std::map<std::string, int64_t>>;

// Adds the decisions of the state file `state_path` to `counts`; false
// when it cannot be read (said on `err`).
bool CountDecisions(const std::string& state_path, CapsCounts& counts,
                    std::ostream& err) {
  auto db = OpenState(state_path, err);
  if (!db) return false;
  // A holdout's held tasks, webhooks and awards have decisions too, for
  // `explain`; they are not messages, which this report counts.
  Expected<store::Statement> select = db->Prepare(
      "SELECT rule, rule_text, CASE WHEN rule = '' THEN reason ELSE '' END, "
      "journey, kind, count(*) FROM decisions "
      "WHERE channel NOT IN ('task', 'webhook', 'award') "
      "GROUP BY 1, 2, 3, 4, 5");
  if (!select.ok()) {
    SayReadError(state_path, select.status(), err);
    return false;
  }
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) {
      SayReadError(state_path, row.status(), err);
      return false;
    }
    if (!*row) return true;
    CapsKey key{select->Text(0), select->Text(1), select->Text(2),
                select->Text(3)};
    counts[key][select->Text(4)] += select->Int(5);
  }
}

}  // namespace

int CapsReport(const std::vector<std::string>& state_files,
               const std::string& format, std::ostream& out,
               std::ostream& err) {
  if (format != "table" && format != "json") {
    err << "parcours: `--format` takes table or json, not `" << format << "`\n";
    return 2;
  }

  // Each partition's file holds the decisions on its own profiles: their
  // counts add up, in the sorted order of one state file.
  CapsCounts counts;
  for (const std::string& state_path : state_files) {
    if (!CountDecisions(state_path, counts, err)) return 2;
  }

  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& [key, by_kind] : counts) {
    auto count = [&](const char* kind) {
      auto found = by_kind.find(kind);
      return found == by_kind.end() ? int64_t{0} : found->second;
    };
    nlohmann::ordered_json row;
    row["rule"] = std::get<0>(key);
    row["text"] = std::get<1>(key);
    row["reason"] = std::get<2>(key);
    row["journey"] = std::get<3>(key);
    row["sent"] = count("send");
    row["suppressed"] = count("suppressed");
    row["deferred"] = count("deferred");
    rows.push_back(row);
  }
  if (format == "json") {
    out << nlohmann::ordered_json{{"caps", rows}}.dump(2) << "\n";
    return 0;
  }
  // Laid out as `report backtest` is: a title, aligned columns, and each
  // rule as a heading over its journeys, since a rule's text is too long
  // for a column.
  out << "Messages by rule and journey\n";
  // The journey column is as wide as the longest name, so that long names
  // keep their figures under the headings (and whole: a fixed buffer cut
  // a long row, line end included).
  size_t journey_width = 26;
  for (const auto& row : rows) {
    journey_width =
        std::max(journey_width, row["journey"].get<std::string>().size());
  }
  std::vector<char> line(journey_width + 96);
  std::snprintf(line.data(), line.size(), "  %-*s %9s %10s %9s\n",
                static_cast<int>(journey_width + 2), "rule, then journey",
                "sent", "suppressed", "deferred");
  out << line.data();
  if (rows.empty()) out << "  none\n";
  std::string previous_rule;
  for (const auto& row : rows) {
    std::string reason = row["reason"].get<std::string>();
    std::string rule = !row["rule"].get<std::string>().empty()
                           ? row["rule"].get<std::string>() + " " +
                                 row["text"].get<std::string>()
                       : reason.empty() ? std::string("(no rule held it back)")
                                        : "(" + reason + ")";
    if (rule != previous_rule) {
      out << "  " << rule << "\n";
      previous_rule = rule;
    }
    std::snprintf(line.data(), line.size(), "    %-*s %9lld %10lld %9lld\n",
                  static_cast<int>(journey_width),
                  row["journey"].get<std::string>().c_str(),
                  static_cast<long long>(row["sent"].get<int64_t>()),
                  static_cast<long long>(row["suppressed"].get<int64_t>()),
                  static_cast<long long>(row["deferred"].get<int64_t>()));
    out << line.data();
  }
  return 0;
}

}  // namespace parcours::driver
