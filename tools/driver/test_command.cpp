// `parcours test`: compile, then run every `test` block through the
// engine on a virtual clock, one line per test.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "compiler/diag/sarif.h"
#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "runtime/engine/test_run.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const char kTestUsage[] =
    "usage: parcours test PATH... [--engine interp|jit] "
    "[--format text|json|sarif]\n";

// With `--format json`, a test's outcome as one JSON line, beside the
// diagnostics' lines on standard output.
std::string OutcomeLine(const ir::TestCase& test,
                        const engine::TestOutcome& outcome) {
  nlohmann::ordered_json line = {{"test", test.title},
                                 {"where", test.where},
                                 {"passed", outcome.passed},
                                 {"reasons", outcome.reasons}};
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// With `--format sarif`, a failed test's reason as a result of its own,
// at the place the reason names first ("file:12:3: expected ..."), so
// that a code-scanning upload of a failing test run shows it there.
diag::SarifResult FailedExpectation(const ir::TestCase& test,
                                    const std::string& reason) {
  diag::SarifResult result;
  result.rule_id = "test-failed";
  result.rule_summary = "an expectation of a `test` block did not hold";
  result.message = "test \"" + test.title + "\" failed: " + reason;

  // The place is the first `:LINE:COLUMN: ` of the reason; a path may
  // hold a colon, but not one followed by two numbers and a space.
  static const std::regex kPlace(R"(:([0-9]+):([0-9]+): )");
  std::smatch place;
  if (!std::regex_search(reason, place, kPlace)) return result;
  result.path = reason.substr(0, place.position(0));
  result.line = std::stoi(place.str(1));
  result.column = std::stoi(place.str(2));
  result.message = "test \"" + test.title + "\" failed: " +
                   reason.substr(place.position(0) + place.length(0));
  return result;
}

}  // namespace

int TestCommand(const std::vector<std::string>& raw, std::ostream& out,
                std::ostream& err) {
  std::string error;
  Arguments args = ParseArguments(raw, {"--engine", "--format"},
                                  {"--werror", "--verbose"}, &error);
  CompileOptions compile_options;
  compile_options.with_tests = true;
  if (error.empty()) ParseCompileOptions(args, &compile_options, &error);
  std::string engine = args.Get("--engine", "interp");
  if (error.empty() && engine != "interp" && engine != "jit") {
    error = "`--engine` takes interp or jit, not `" + engine + "`";
  }
  if (error.empty() && args.positional.empty()) {
    error = "name the .journey files whose tests to run";
  }
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kTestUsage;
    return 2;
  }

  // JSON and SARIF go to standard output, whole: with SARIF, which is one
  // document, the PASS and FAIL lines go to the error stream instead.
  compile_options.machine_out = &out;
  bool json = compile_options.format == DiagnosticFormat::Json;
  bool sarif = compile_options.format == DiagnosticFormat::Sarif;
  std::ostream& lines = sarif ? err : out;
  // One SARIF log holds the diagnostics and the failed expectations, so
  // it is printed once the tests have run, on every way out.
  compile_options.hold_sarif = sarif;
  CompileResult compiled = Compile(args.positional, compile_options, err);
  if (compiled.io_failed) return 2;
  std::vector<diag::SarifResult> failures;
  auto print_sarif = [&] {
    if (!sarif) return;
    out << diag::RenderSarifWith(compiled.held_diagnostics, compiled.sources,
                                 failures);
  };
  if (!compiled.program) {
    print_sarif();
    return 1;
  }

  std::unique_ptr<ir::Evaluator> evaluator;
  if (engine == "interp") {
    evaluator = interp::MakeInterpreter(*compiled.program);
  } else {
    jit::JitReport report;
    evaluator = jit::MakeJit(*compiled.program, {}, &error, &report);
    if (!evaluator) {
      print_sarif();
      err << "parcours: the JIT failed: " << error << "\n";
      return 2;
    }
  }

  // Still a success, as a folder of journeys may have no tests yet; but
  // a wrong path in CI must not pass unnoticed.
  if (compiled.tests.empty()) {
    err << "parcours: warning: no `test` block in the files given; nothing "
           "was tested\n";
  }

  int passed = 0;
  int failed = 0;
  for (const ir::TestCase& test : compiled.tests) {
    engine::TestOutcome outcome =
        engine::RunTestCase(*compiled.program, *evaluator, test);
    ++(outcome.passed ? passed : failed);
    for (const std::string& reason : outcome.reasons) {
      if (sarif) failures.push_back(FailedExpectation(test, reason));
    }
    if (json) {
      out << OutcomeLine(test, outcome) << "\n";
      continue;
    }
    lines << (outcome.passed ? "PASS " : "FAIL ") << test.title << "\n";
    for (const std::string& reason : outcome.reasons) {
      lines << "  " << reason << "\n";
    }
  }
  if (json) {
    out << nlohmann::ordered_json{{"passed", passed}, {"failed", failed}}.dump()
        << "\n";
  } else {
    lines << passed << " passed, " << failed << " failed\n";
  }
  print_sarif();
  return failed == 0 ? 0 : 1;
}

}  // namespace parcours::driver
