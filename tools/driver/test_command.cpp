// `parcours test`: compile, then run every `test` block through the
// engine on a virtual clock, one line per test.
#include <iostream>
#include <memory>

#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "runtime/engine/test_run.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const char kTestUsage[] =
    "usage: parcours test PATH... [--engine interp|jit]\n";

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

  int passed = 0;
  int failed = 0;
  for (const ir::TestCase& test : compiled.tests) {
    engine::TestOutcome outcome =
        engine::RunTestCase(*compiled.program, *evaluator, test);
    out << (outcome.passed ? "PASS " : "FAIL ") << test.title << "\n";
    for (const std::string& reason : outcome.reasons) {
      out << "  " << reason << "\n";
    }
    ++(outcome.passed ? passed : failed);
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace parcours::driver
