// `parcours report loyalty`: the liability of a loyalty program at a date,
// from the ledgers in a state file (docs/loyalty.md, "The report").
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace parcours::driver {

struct LoyaltyReportOptions {
  std::string state_path;  // as `--state` names it, for messages
  // One state file, or every file of a `--partitions` folder: each
  // member's ledger is in one of them.
  std::vector<std::string> state_files;
  std::string as_of;                    // DATE or a time
  std::optional<std::string> from;      // DATE or a time
  std::optional<std::string> breakage;  // "18%"
  // The estimate of the last close, for the start of the period; none:
  // the program's.
  std::optional<std::string> opening_breakage;
  std::optional<std::string> program;  // needed when there are several
  std::string format = "table";        // table, json or csv
};

// Prints the report. Returns 0, or 2 when an option or the state file is
// unusable (the reason goes to `err`).
int LoyaltyReport(const LoyaltyReportOptions& options, std::ostream& out,
                  std::ostream& err);

}  // namespace parcours::driver
