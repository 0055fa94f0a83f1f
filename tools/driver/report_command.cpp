// `parcours report KIND --state DB [--format table|json]`: figures read
// back from a state file, or from every file of a `--partitions` folder,
// for people and for machines.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "runtime/engine/run.h"
#include "tools/driver/commands.h"
#include "tools/driver/report_backtest.h"
#include "tools/driver/report_loyalty.h"

namespace parcours::driver {
namespace {

using common::Expected;

const char kReportUsage[] =
    "usage: parcours report backtest|caps --state DB|FOLDER\n"
    "         [--format table|json]\n"
    "       parcours report loyalty --state DB|FOLDER --as-of DATE\n"
    "         [--from DATE] [--breakage P%] [--opening-breakage P%]\n"
    "         [--program NAME] [--format table|json|csv]\n";

// The files to read: the state file itself, or every file of a
// `--partitions` folder, each holding its own profiles. A folder missing
// a file or its record is refused: its figures would leave people out.
common::Expected<std::vector<std::string>> StateFiles(
    const std::string& state) {
  std::error_code code;
  if (!std::filesystem::is_directory(state, code)) {
    return std::vector<std::string>{state};
  }
  return engine::PartitionFilesOf(state);
}

// Why `kind` names no report, with the nearest name if it is a typo of
// one; "" for a report there is.
std::string UnknownReport(const std::string& kind) {
  const std::vector<std::string> reports = {"backtest", "caps", "loyalty"};
  if (std::find(reports.begin(), reports.end(), kind) != reports.end()) {
    return "";
  }
  std::string problem = "there is no `" + kind + "` report";
  std::string closest = diag::ClosestName(kind, reports);
  if (!closest.empty()) problem += "; did you mean `" + closest + "`?";
  return problem;
}

}  // namespace

bool SayIfEmptyState(const std::string& path, std::ostream& err) {
  std::error_code code;
  if (!std::filesystem::is_regular_file(path, code)) return false;
  if (std::filesystem::file_size(path, code) != 0 || code) return false;
  err << "parcours: state file `" << path
      << "` is empty: no run has saved anything to it yet; run `parcours "
         "run ... --state "
      << path << "` first, or name the state file a run wrote\n";
  return true;
}

int ReportCommand(const std::vector<std::string>& raw, std::ostream& out,
                  std::ostream& err) {
  std::string error;
  Arguments args =
      ParseArguments(raw,
                     {"--state", "--format", "--as-of", "--from", "--breakage",
                      "--opening-breakage", "--program"},
                     {}, &error);
  if (error.empty() && args.positional.size() != 1) {
    error = "name one report: backtest, caps or loyalty";
  }
  // The report's name before `--state`: with a mistyped one, adding the
  // state the message asked for only led to a second refusal.
  if (error.empty()) error = UnknownReport(args.positional[0]);
  if (error.empty() && !args.Has("--state")) error = "`--state` is required";
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kReportUsage;
    return 2;
  }

  const std::string& kind = args.positional[0];
  if (kind == "loyalty" && !args.Has("--as-of")) {
    err << "parcours: `--as-of DATE` is required\n" << kReportUsage;
    return 2;
  }
  // SQLite's "unable to open database file" would leave the user to guess
  // that the name is wrong; `explain` says it the same way.
  std::string state = args.Get("--state", "");
  if (!std::filesystem::exists(state)) {
    err << "parcours: state file `" << state << "` does not exist\n";
    return 2;
  }

  Expected<std::vector<std::string>> files = StateFiles(state);
  if (!files.ok()) {
    err << "parcours: " << files.status().message() << "\n";
    return 2;
  }
  for (const std::string& file : *files) {
    if (SayIfEmptyState(file, err)) return 2;
  }

  std::string format = args.Get("--format", "table");
  if (kind == "backtest") {
    return BacktestReport(*files, format, out, err);
  }
  if (kind == "loyalty") {
    LoyaltyReportOptions options;
    options.state_path = state;
    options.state_files = *files;
    options.as_of = args.Get("--as-of", "");
    if (args.Has("--from")) options.from = args.Get("--from", "");
    if (args.Has("--breakage")) options.breakage = args.Get("--breakage", "");
    if (args.Has("--opening-breakage")) {
      options.opening_breakage = args.Get("--opening-breakage", "");
    }
    if (args.Has("--program")) options.program = args.Get("--program", "");
    options.format = format;
    return LoyaltyReport(options, out, err);
  }
  return CapsReport(*files, format, out, err);
}

}  // namespace parcours::driver
