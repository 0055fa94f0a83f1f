// The compiler pipeline as the command line uses it: files in, IR out,
// diagnostics printed on the way.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/test_plan.h"
#include "compiler/syntax/ast.h"

namespace parcours::driver {

enum class DiagnosticFormat { Text, Json, Sarif };

struct CompileOptions {
  DiagnosticFormat format = DiagnosticFormat::Text;
  bool warnings_as_errors = false;
  bool verbose = false;  // per-phase times on the error stream
  // Also check and lower the `test` blocks (`parcours test`).
  bool with_tests = false;
  // Where JSON and SARIF diagnostics go: standard output for `check` and
  // `test`, so that `> results.sarif` catches them. When null they go to
  // the error stream, as for `build` and `run`, whose standard output
  // carries IR or action lines. Text diagnostics always go to the error
  // stream.
  std::ostream* machine_out = nullptr;
  // With SARIF: the diagnostics are kept in
  // `CompileResult::held_diagnostics`, not printed, for a caller that adds
  // results of its own and prints one log (`parcours test`).
  bool hold_sarif = false;
};

struct CompileResult {
  diag::SourceManager sources;
  std::vector<syntax::Module> modules;  // filled only while parsing
  std::optional<ir::Program> program;   // set when there was no error
  std::vector<ir::TestCase> tests;      // with `with_tests`, in file order
  int errors = 0;
  int warnings = 0;
  bool io_failed = false;  // a path could not be read
  // With `CompileOptions::hold_sarif`, in the order they are printed.
  std::vector<diag::Diagnostic> held_diagnostics;
};

// Why `path` cannot be read, in the system's words ("Permission denied"),
// for a message that says what to fix.
std::string WhyUnreadable(const std::string& path);

// The `.journey` files named by `paths`: files as given, folders searched
// recursively; sorted so that the order never depends on the file system.
// A link to a `.journey` file that does not exist is an error.
std::vector<std::string> CollectSources(const std::vector<std::string>& paths,
                                        std::string* error);

// The folder of the standard library: $PARCOURS_STDLIB, else the stdlib/
// folder of the source tree the program was built from.
std::string StandardLibraryDir();

// Parses the standard modules that `result.modules` import (`std.events`)
// and that no given file declares, adding them to `result`.
void LoadStandardModules(CompileResult& result, diag::DiagnosticEngine& engine,
                         std::ostream& err);

// Parses, checks and lowers `paths`. Prints diagnostics in the chosen
// format, on `err` or `options.machine_out` (see there). With
// `stop_after_parse`, stops after parsing and keeps the ASTs in `modules`. With
// `check_only`, stops after checking: constructs the engines cannot run yet are
// not reported.
CompileResult Compile(const std::vector<std::string>& paths,
                      const CompileOptions& options, std::ostream& err,
                      bool stop_after_parse = false, bool check_only = false);

}  // namespace parcours::driver
