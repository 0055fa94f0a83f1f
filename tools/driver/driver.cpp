#include "tools/driver/driver.h"

#include <sqlite3.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/jit/jit.h"
#include "runtime/store/store.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const char kUsage[] =
    "usage: parcours <command> [options]   (parcours --version: versions)\n"
    "\n"
    "commands:\n"
    "  check PATH...                 parse, type-check and lint\n"
    "  build PATH... [--emit ast|ir|llvm] [-o FILE]\n"
    "                                compile and print the chosen form\n"
    "  run PATH... --events FILE|- --state DB\n"
    "      [--out FILE|-|sqlite:DB|http(s)://URL]\n"
    "      [--engine jit|interp] [--dead-letter FILE] [--strict]\n"
    "      [--until TIME] [--max-clock-jump DURATION] [--batch N]\n"
    "      [--jit-cache DIR] [--partitions N] [--follow]\n"
    "      [--unsubscribe-url HTTPS-URL]\n"
    "                                process events, write actions\n"
    "  test PATH... [--engine interp|jit]\n"
    "                                run the `test` blocks; one line each\n"
    "  fmt [--check] [--format text|json|sarif] PATH...\n"
    "                                rewrite files in the canonical layout;\n"
    "                                with --check, list those that differ\n"
    "  import csv --mapping MAP FILE|- [--out FILE|-]\n"
    "      [--dead-letter FILE] [--first-users N]\n"
    "                                turn a CSV export into events\n"
    "  report backtest --state DB|FOLDER [--format table|json]\n"
    "                                what a run did, per journey and channel\n"
    "  explain --state DB|FOLDER --profile ID\n"
    "                                why each message was sent or held back\n"
    "  report caps --state DB|FOLDER [--format table|json]\n"
    "                                what each policy rule held back\n"
    "  report loyalty --state DB|FOLDER --as-of DATE [--from DATE]\n"
    "      [--breakage PERCENT%] [--opening-breakage PERCENT%]\n"
    "      [--program NAME] [--format table|json|csv]\n"
    "                                points owed, earned, spent and expired\n"
    "\n"
    "common options of check, build, run and test:\n"
    "  --format text|json|sarif      how diagnostics are printed\n"
    "  --werror                      treat warnings as errors\n"
    "  --verbose                     print the time of each phase\n";

// `parcours COMMAND --help`: the entries of the usage above that start
// with COMMAND, and the common options when they apply. Returns false when
// the usage has no such command.
bool PrintCommandUsage(const std::string& command, std::ostream& out) {
  std::string entries;
  bool in_entry = false;
  std::string text = kUsage;
  size_t commands =
      text.find("commands:\n") + std::string("commands:\n").size();
  size_t commands_end = text.find("\n\n", commands);
  size_t start = commands;
  while (start < commands_end) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    // An entry starts two spaces in; its continuation lines further in.
    bool continues = line.starts_with("   ");
    if (!continues) in_entry = line.starts_with("  " + command + " ");
    if (in_entry) entries += line + "\n";
  }
  if (entries.empty()) return false;

  out << "usage of parcours " << command << ":\n" << entries;
  std::string common = text.substr(commands_end + 2);
  bool compiles = command == "check" || command == "build" ||
                  command == "run" || command == "test";
  if (compiles) out << "\n" << common;
  return true;
}

// The command a user who typed `command` most likely meant, with a word
// on what it does when that is why: the one that does what another
// tool's command of that name does (`lint` is `check`), or one a typo
// away (`chek`); "" when none is close.
std::string DidYouMean(const std::string& command) {
  static const std::pair<const char*, const char*> kOtherNames[] = {
      {"lint", "check` (it parses, type-checks and lints"},
      {"validate", "check` (it parses, type-checks and lints"},
      {"typecheck", "check` (it parses, type-checks and lints"},
      {"vet", "check` (it parses, type-checks and lints"},
      {"format", "fmt` (with `--check`, it lists the files that differ"},
      {"compile", "build` (it compiles and prints the chosen form"},
  };
  for (const auto& [name, meant] : kOtherNames) {
    if (command == name) return "; did you mean `" + std::string(meant) + ")?";
  }
  static const std::vector<std::string> kCommands = {
      "check", "build", "run", "test", "fmt", "import", "report", "explain"};
  std::string closest = diag::ClosestName(command, kCommands);
  if (closest.empty()) return "";
  return "; did you mean `" + closest + "`?";
}

}  // namespace

namespace {

// `run` took `--dead-letter` and `import csv` `--dead-letters`, so a script
// that used one spelling with the other command stopped at "unknown
// option". Both spellings are taken by both; the docs name the first.
const std::string& CanonicalSpelling(const std::string& arg) {
  static const std::string kDeadLetter = "--dead-letter";
  return arg == "--dead-letters" ? kDeadLetter : arg;
}

}  // namespace

Arguments ParseArguments(const std::vector<std::string>& args,
                         const std::vector<std::string>& flags_with_value,
                         const std::vector<std::string>& bare_flags,
                         std::string* error) {
  Arguments parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    // `--format=json` is the same as `--format json`, as most tools take
    // both; only an option that takes a value is split at the `=`.
    std::string name = args[i];
    std::optional<std::string> joined_value;
    size_t equals = name.find('=');
    if (name.starts_with("--") && equals != std::string::npos) {
      std::string before = CanonicalSpelling(name.substr(0, equals));
      if (std::find(flags_with_value.begin(), flags_with_value.end(), before) !=
          flags_with_value.end()) {
        joined_value = name.substr(equals + 1);
        name = before;
      }
    }
    const std::string& arg = CanonicalSpelling(name);
    bool takes_value =
        std::find(flags_with_value.begin(), flags_with_value.end(), arg) !=
        flags_with_value.end();
    bool bare = std::find(bare_flags.begin(), bare_flags.end(), arg) !=
                bare_flags.end();
    if (takes_value) {
      if (joined_value ? joined_value->empty() : i + 1 >= args.size()) {
        *error = "`" + arg + "` needs a value";
        return parsed;
      }
      // `--state --out x` forgot the state's value: taking `--out` as a
      // file name would send the actions elsewhere without a word. A file
      // whose name starts with `--` can still be named as `./--name`. A
      // bare `--` is no name anyone means either: it made a file `--`.
      const std::string& value = joined_value ? *joined_value : args[i + 1];
      if (value.starts_with("--")) {
        // Joined, the value is not the next argument: say which option
        // took which value, as the user wrote it.
        std::string written = args[i].substr(0, args[i].find('='));
        *error = joined_value
                     ? "`" + args[i] + "` gives `" + written + "` the value `" +
                           value + "`, which looks like an option"
                     : "`" + arg +
                           "` needs a value, but is followed by the option `" +
                           value + "`";
        *error += "; a file really named so is written `./" + value + "`";
        return parsed;
      }
      // `--events a.jsonl --events b.jsonl` reads one file, not both:
      // keeping the last value would drop the first without a word.
      auto given = parsed.options.find(arg);
      if (given != parsed.options.end() && given->second != value) {
        *error = "`" + arg + "` is given twice, as `" + given->second +
                 "` and as `" + value + "`; it takes one value";
        if (arg == "--events") {
          *error +=
              " (to read several files, concatenate them: `cat a.jsonl "
              "b.jsonl | parcours run ... --events -`)";
        }
        return parsed;
      }
      parsed.options[arg] = value;
      if (!joined_value) ++i;
    } else if (bare) {
      parsed.options.insert_or_assign(arg, std::string("1"));
    } else if (arg.size() > 1 && arg[0] == '-') {
      *error = "unknown option `" + arg + "`";
      return parsed;
    } else {
      parsed.positional.push_back(arg);
    }
  }
  return parsed;
}

bool ParseCompileOptions(const Arguments& args, CompileOptions* options,
                         std::string* error) {
  std::string format = args.Get("--format", "text");
  if (format == "text") {
    options->format = DiagnosticFormat::Text;
  } else if (format == "json") {
    options->format = DiagnosticFormat::Json;
  } else if (format == "sarif") {
    options->format = DiagnosticFormat::Sarif;
  } else {
    *error = "`--format` takes text, json or sarif, not `" + format + "`";
    return false;
  }
  options->warnings_as_errors = args.Has("--werror");
  options->verbose = args.Has("--verbose");
  return true;
}

// The release of the system's tz database, from the first line of its
// `tzdata.zi` ("# version 2025b"), which date/tz does not read when it uses
// the system's zone files.
std::string TzdataVersion() {
  std::ifstream zones("/usr/share/zoneinfo/tzdata.zi");
  std::string first;
  std::getline(zones, first);
  const std::string prefix = "# version ";
  if (first.rfind(prefix, 0) != 0) return "of an unknown version";
  return first.substr(prefix.size());
}

// What a bug report needs: the state files this build reads and writes,
// and the versions of what it was built with and runs on.
std::string VersionText() {
  return "parcours: state files of schema " +
         std::to_string(store::kSchemaVersion) + "\nLLVM " +
         jit::LlvmVersion() + ", SQLite " + sqlite3_libversion() +
         ", tz database " + TzdataVersion() + "\n";
}

int RunCommandLine(const std::vector<std::string>& args, std::ostream& out,
                   std::ostream& err) {
  if (args.size() == 2 && args[0] == "help" &&
      PrintCommandUsage(args[1], out)) {
    return 0;
  }
  if (args.size() == 1 && (args[0] == "--version" || args[0] == "version")) {
    out << VersionText();
    return 0;
  }
  if (args.empty() || args[0] == "help" || args[0] == "--help" ||
      args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  const std::string& command = args[0];
  // A user who asks a command for help gets it, not an unknown option.
  bool asks_help =
      std::find(rest.begin(), rest.end(), "--help") != rest.end() ||
      std::find(rest.begin(), rest.end(), "-h") != rest.end();
  if (asks_help && PrintCommandUsage(command, out)) return 0;
  if (command == "check") return CheckCommand(rest, out, err);
  if (command == "build") return BuildCommand(rest, out, err);
  if (command == "run") return RunCommand(rest, out, err);
  if (command == "fmt") return FmtCommand(rest, out, err);
  if (command == "import") return ImportCommand(rest, out, err);
  if (command == "explain") return ExplainCommand(rest, out, err);
  if (command == "report") return ReportCommand(rest, out, err);
  if (command == "test") return TestCommand(rest, out, err);
  err << "parcours: unknown command `" << command << "`" << DidYouMean(command)
      << "\n\n"
      << kUsage;
  return 2;
}

}  // namespace parcours::driver
