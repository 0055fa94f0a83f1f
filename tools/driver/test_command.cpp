// `parcours test`: compile, then run every `test` block through the
// engine on a virtual clock, one line per test.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

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
  std::ostream& lines =
      compile_options.format == DiagnosticFormat::Sarif ? err : out;
  CompileResult compiled = Compile(args.positional, compile_options, err);
  if (compiled.io_failed) return 2;
  if (!compiled.program) return 1;

  std::unique_ptr<ir::Evaluator> evaluator;
  if (engine == "interp") {
    evaluator = interp::MakeInterpreter(*compiled.program);
  } else {
    jit::JitReport report;
    evaluator = jit::MakeJit(*compiled.program, {}, &error, &report);
    if (!evaluator) {
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
  return failed == 0 ? 0 : 1;
}

}  // namespace parcours::driver
