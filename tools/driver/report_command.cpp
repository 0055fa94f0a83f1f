// `parcours report KIND --state DB [--format table|json]`: figures read
// back from a state file, for people and for machines.
#include <iostream>

#include "tools/driver/commands.h"
#include "tools/driver/report_backtest.h"
#include "tools/driver/report_loyalty.h"

namespace parcours::driver {
namespace {

const char kReportUsage[] =
    "usage: parcours report backtest|caps --state DB [--format table|json]\n"
    "       parcours report loyalty --state DB --as-of DATE [--from DATE]\n"
    "         [--breakage P%] [--program NAME] [--format table|json|csv]\n";

}  // namespace

int ReportCommand(const std::vector<std::string>& raw, std::ostream& out,
                  std::ostream& err) {
  std::string error;
  Arguments args = ParseArguments(
      raw,
      {"--state", "--format", "--as-of", "--from", "--breakage", "--program"},
      {}, &error);
  if (error.empty() && args.positional.size() != 1) {
    error = "name one report: backtest, caps or loyalty";
  }
  if (error.empty() && !args.Has("--state")) error = "`--state` is required";
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kReportUsage;
    return 2;
  }

  const std::string& kind = args.positional[0];
  std::string format = args.Get("--format", "table");
  if (kind == "backtest") {
    return BacktestReport(args.Get("--state", ""), format, out, err);
  }
  if (kind == "loyalty") {
    if (!args.Has("--as-of")) {
      err << "parcours: `--as-of DATE` is required\n" << kReportUsage;
      return 2;
    }
    LoyaltyReportOptions options;
    options.state_path = args.Get("--state", "");
    options.as_of = args.Get("--as-of", "");
    if (args.Has("--from")) options.from = args.Get("--from", "");
    if (args.Has("--breakage")) options.breakage = args.Get("--breakage", "");
    if (args.Has("--program")) options.program = args.Get("--program", "");
    options.format = format;
    return LoyaltyReport(options, out, err);
  }
  if (kind == "caps")
    return CapsReport(args.Get("--state", ""), format, out, err);
  err << "parcours: there is no `" << kind << "` report\n" << kReportUsage;
  return 2;
}

}  // namespace parcours::driver
