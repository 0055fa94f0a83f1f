// The backtest report of a run, from its state file.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace parcours::driver {

// Prints the report of the run saved in `state_files` (one state file, or
// every file of a `--partitions` folder, whose figures are added up), as
// a table or as JSON (`format` "table" or "json"). Returns the exit code:
// 0, or 2 when the state cannot be read (the reason goes to `err`).
int BacktestReport(const std::vector<std::string>& state_files,
                   const std::string& format, std::ostream& out,
                   std::ostream& err);

}  // namespace parcours::driver
