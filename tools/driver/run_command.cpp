// `parcours run`: compile, then process an event stream.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <utility>

#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/run.h"
#include "runtime/ingest/event_input.h"
#include "runtime/sinks/json_lines_file.h"
#include "runtime/sinks/json_lines_sink.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const char kRunUsage[] =
    "usage: parcours run PATH... --events FILE|- --state DB [--out FILE|-]\n"
    "       [--engine jit|interp] [--dead-letter FILE] [--strict]\n"
    "       [--until TIME] [--batch N] [--jit-cache DIR]\n"
    "       [--max-clock-jump DURATION] [--unsubscribe-url HTTPS-URL]\n";

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
    if (!until || *until < common::kEarliestTime ||
        *until > common::kLatestTime) {
      return fail("`--until` takes a UTC time such as 2011-12-31T00:00:00Z");
    }
    settings->options.until = *until;
  }
  if (args.Has("--max-clock-jump")) {
    auto jump = common::ParseDuration(args.Get("--max-clock-jump", ""));
    if (!jump) {
      return fail("`--max-clock-jump` takes a duration: 400d, 12h, 0");
    }
    settings->options.max_clock_jump = *jump;
  }
  if (args.Has("--unsubscribe-url")) {
    std::string url = args.Get("--unsubscribe-url", "");
    if (url.rfind("https://", 0) != 0 || url.size() <= 8) {
      return fail("`--unsubscribe-url` takes an https:// URL");
    }
    // A secret does not belong on a command line, where `ps` shows it.
    const char* key = std::getenv("PARCOURS_UNSUBSCRIBE_KEY");
    if (key == nullptr || *key == '\0') {
      return fail(
          "`--unsubscribe-url` needs the secret for its tokens in "
          "the environment variable PARCOURS_UNSUBSCRIBE_KEY");
    }
    settings->options.unsubscribe_url = url;
    settings->options.unsubscribe_key = key;
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

// With `verbose`, the JIT's time, whether the object cache served it, and
// the time of each of its steps:
// `parcours: jit 17.2 ms (cache miss; lower 1.5 ms, optimize 5.8 ms, ...)`.
void PrintJitTime(const jit::JitReport& report, std::ostream& err) {
  double total = 0;
  std::string steps;
  for (const jit::JitPhase& phase : report.phases) {
    total += phase.seconds;
    if (phase.name == "cache") continue;
    std::ostringstream step;
    step << (steps.empty() ? "; " : ", ") << phase.name << " "
         << phase.seconds * 1e3 << " ms";
    steps += step.str();
  }
  const char* cache = report.cache_file.empty() ? "no cache"
                      : report.cache_hit        ? "cache hit"
                                                : "cache miss";
  err << "parcours: jit " << total * 1e3 << " ms (" << cache << steps << ")\n";
}

std::unique_ptr<ir::Evaluator> MakeEvaluator(const ir::Program& program,
                                             const RunSettings& settings,
                                             bool verbose, std::ostream& err) {
  if (settings.engine == "interp") return interp::MakeInterpreter(program);
  std::string error;
  jit::JitOptions options;
  options.cache_dir = settings.jit_cache;
  jit::JitReport report;
  auto evaluator = jit::MakeJit(program, options, &error, &report);
  if (!evaluator) err << "parcours: the JIT failed: " << error << "\n";
  if (evaluator && verbose) PrintJitTime(report, err);
  return evaluator;
}

}  // namespace

int RunCommand(const std::vector<std::string>& raw, std::ostream& out,
               std::ostream& err) {
  std::string error;
  Arguments args =
      ParseArguments(raw,
                     {"--events", "--state", "--out", "--engine",
                      "--dead-letter", "--until", "--batch", "--jit-cache",
                      "--format", "--max-clock-jump", "--unsubscribe-url"},
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
  auto evaluator =
      MakeEvaluator(*compiled.program, settings, compile_options.verbose, err);
  if (!evaluator) return 2;

  auto events = ingest::EventInput::Open(settings.events);
  if (!events.ok()) {
    err << "parcours: " << events.status().message() << "\n";
    return 2;
  }
  settings.options.events_name = (*events)->name();

  // A file sink can tell which actions an interrupted run already wrote;
  // stdout cannot, so after a crash some may be written twice there.
  std::unique_ptr<sinks::ActionSink> sink;
  if (settings.out == "-") {
    sink = std::make_unique<sinks::JsonLinesSink>(out, "stdout");
  } else {
    auto file = sinks::JsonLinesFileSink::Open(settings.out);
    if (!file.ok()) {
      err << "parcours: " << file.status().message() << "\n";
      return 2;
    }
    sink = std::move(*file);
  }

  engine::RunResult result =
      engine::Run(*compiled.program, *evaluator, (*events)->stream(), *sink,
                  settings.options);
  err << engine::FormatSummary(result.summary);
  if (!result.status.ok()) {
    err << "parcours: " << result.status.message() << "\n";
    return result.stopped_at_bad_line ? 1 : 2;
  }
  return 0;
}

}  // namespace parcours::driver
