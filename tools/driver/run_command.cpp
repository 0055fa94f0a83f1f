// `parcours run`: compile, then process an event stream.
#include <fstream>
#include <iostream>

#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/run.h"
#include "runtime/sinks/json_lines_sink.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const char kRunUsage[] =
    "usage: parcours run PATH... --events FILE|- --state DB [--out FILE|-]\n"
    "       [--engine jit|interp] [--dead-letter FILE] [--strict]\n"
    "       [--until TIME] [--batch N] [--jit-cache DIR]\n";

struct RunSettings {
  std::string events;
  std::string out = "-";
  std::string engine = "jit";
  std::string jit_cache;
  engine::RunOptions options;
};

// Reads the run's own options; returns false after printing why.
bool ReadSettings(const Arguments& args, RunSettings* settings,
                  std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "parcours: " << message << "\n" << kRunUsage;
    return false;
  };
  if (args.positional.empty()) return fail("name the .journey files to run");
  if (!args.Has("--events")) return fail("`--events` is required");
  if (!args.Has("--state")) return fail("`--state` is required");

  settings->events = args.Get("--events", "");
  settings->out = args.Get("--out", "-");
  settings->engine = args.Get("--engine", "jit");
  settings->jit_cache = args.Get("--jit-cache", "");
  settings->options.state_path = args.Get("--state", "");
  settings->options.dead_letter_path = args.Get("--dead-letter", "");
  settings->options.strict = args.Has("--strict");
  if (settings->engine != "jit" && settings->engine != "interp") {
    return fail("`--engine` takes jit or interp, not `" + settings->engine +
                "`");
  }
  if (args.Has("--until")) {
    auto until = common::ParseTime(args.Get("--until", ""));
    if (!until) {
      return fail("`--until` takes a UTC time such as 2011-12-31T00:00:00Z");
    }
    settings->options.until = *until;
  }
  if (args.Has("--batch")) {
    std::string text = args.Get("--batch", "");
    char* end = nullptr;
    long long batch = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || batch < 1) {
      return fail("`--batch` takes a whole number of at least 1");
    }
    settings->options.batch_size = batch;
  }
  return true;
}

std::unique_ptr<ir::Evaluator> MakeEvaluator(const ir::Program& program,
                                             const RunSettings& settings,
                                             std::ostream& err) {
  if (settings.engine == "interp") return interp::MakeInterpreter(program);
  std::string error;
  jit::JitOptions options;
  options.cache_dir = settings.jit_cache;
  auto evaluator = jit::MakeJit(program, options, &error);
  if (!evaluator) err << "parcours: the JIT failed: " << error << "\n";
  return evaluator;
}

}  // namespace

int RunCommand(const std::vector<std::string>& raw, std::ostream& out,
               std::ostream& err) {
  std::string error;
  Arguments args = ParseArguments(
      raw,
      {"--events", "--state", "--out", "--engine", "--dead-letter", "--until",
       "--batch", "--jit-cache", "--format"},
      {"--strict", "--werror", "--verbose"}, &error);
  CompileOptions compile_options;
  if (error.empty()) ParseCompileOptions(args, &compile_options, &error);
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kRunUsage;
    return 2;
  }
  RunSettings settings;
  if (!ReadSettings(args, &settings, err)) return 2;

  CompileResult compiled = Compile(args.positional, compile_options, err);
  if (compiled.io_failed) return 2;
  if (!compiled.program) return 1;
  auto evaluator = MakeEvaluator(*compiled.program, settings, err);
  if (!evaluator) return 2;

  std::ifstream events_file;
  std::istream* events = &std::cin;
  if (settings.events != "-") {
    events_file.open(settings.events, std::ios::binary);
    if (!events_file) {
      err << "parcours: cannot read events file `" << settings.events << "`\n";
      return 2;
    }
    events = &events_file;
  }
  std::ofstream out_file;
  std::ostream* actions = &out;
  std::string sink_name = "stdout";
  if (settings.out != "-") {
    out_file.open(settings.out, std::ios::binary | std::ios::app);
    if (!out_file) {
      err << "parcours: cannot write actions file `" << settings.out << "`\n";
      return 2;
    }
    actions = &out_file;
    sink_name = "file `" + settings.out + "`";
  }

  sinks::JsonLinesSink sink(*actions, sink_name);
  engine::RunResult result = engine::Run(*compiled.program, *evaluator, *events,
                                         sink, settings.options);
  err << engine::FormatSummary(result.summary);
  if (!result.status.ok()) {
    err << "parcours: " << result.status.message() << "\n";
    return settings.options.strict ? 1 : 2;
  }
  return 0;
}

}  // namespace parcours::driver
