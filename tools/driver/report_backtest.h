// The backtest report of a run, from its state file.
#pragma once

#include <iosfwd>
#include <string>

namespace parcours::driver {

// Prints the report of the run saved in `state_path`, as a table or as
// JSON (`format` "table" or "json"). Returns the exit code: 0, or 2 when
// the state cannot be read (the reason goes to `err`).
int BacktestReport(const std::string& state_path, const std::string& format,
                   std::ostream& out, std::ostream& err);

}  // namespace parcours::driver
