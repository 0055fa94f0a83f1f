// The subcommands of `parcours`, one function each.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "tools/driver/compile.h"

namespace parcours::driver {

struct Arguments {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;

  bool Has(const std::string& flag) const { return options.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& fallback) const {
    auto found = options.find(flag);
    return found == options.end() ? fallback : found->second;
  }
};

// Why `--dead-letter -` is refused by `run` and `import csv`: elsewhere
// `-` is stdin or stdout, and here it made a file named `-`.
inline constexpr const char kDashDeadLetters[] =
    "`--dead-letter -` would write a file named `-`: dead letters go to a "
    "file of their own; name one, or /dev/stderr to see them on the screen";

// Splits `args` into positional arguments and options. Sets `*error` on an
// unknown option or a missing value.
Arguments ParseArguments(const std::vector<std::string>& args,
                         const std::vector<std::string>& flags_with_value,
                         const std::vector<std::string>& bare_flags,
                         std::string* error);

bool ParseCompileOptions(const Arguments& args, CompileOptions* options,
                         std::string* error);

int CheckCommand(const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);
int BuildCommand(const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);
int RunCommand(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err);
int TestCommand(const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err);
int FmtCommand(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err);
int ReportCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err);
int ImportCommand(const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err);

// A state file of no bytes holds no run: `touch state.db`, or a run that
// failed before its first commit, leaves one. SQLite reads it as an empty
// database, and a report would fail on a missing table; this says what the
// file is on `err` instead, and whether it did.
bool SayIfEmptyState(const std::string& path, std::ostream& err);

// policy_commands.cpp: what pressure policies decided.
int ExplainCommand(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err);
// `report caps`: per policy rule and journey, the messages it let through,
// held back or deferred, summed over `state_files` (one file, or every
// file of a `--partitions` folder); 0, or 2 when the state cannot be read.
int CapsReport(const std::vector<std::string>& state_files,
               const std::string& format, std::ostream& out, std::ostream& err);

}  // namespace parcours::driver
