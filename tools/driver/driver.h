// The `parcours` command line.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace parcours::driver {

// Runs one command line (`args` without the program name) and returns the
// process exit code: 0 success, 1 a finding (errors, failed tests, a diff),
// 2 a usage or I/O problem. Results go to `out`, diagnostics to `err`.
int RunCommandLine(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err);

}  // namespace parcours::driver
