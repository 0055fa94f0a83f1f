// Helpers shared by the benchmarks: the clock, medians, and compiling
// `.journey` text in memory with each phase of the front end timed.
//
// A benchmark measures; it never asserts a time. It stops the program only
// when what it measures is wrong (a program that does not compile, engines
// that disagree), because a figure for wrong work means nothing.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/passes.h"
#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace parcours::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The middle value (the mean of the two middle ones for an even count);
// 0 for no values.
// Stops with `usage` unless the arguments are pairs of one of `flags` and
// its value: a misspelt flag would otherwise run the whole benchmark with
// its defaults, which takes minutes.
inline void CheckFlags(int argc, char** argv,
                       std::initializer_list<std::string_view> flags,
                       const char* usage) {
  for (int i = 1; i < argc; i += 2) {
    std::string_view flag = argv[i];
    bool known = std::find(flags.begin(), flags.end(), flag) != flags.end();
    if (!known || i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
      std::exit(2);
    }
  }
}

inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

[[noreturn]] inline void Fail(const std::string& message) {
  std::fprintf(stderr, "benchmark failed: %s\n", message.c_str());
  std::exit(1);
}

// Seconds spent in each phase of one compilation.
struct PhaseTimes {
  double parse = 0;
  double check = 0;
  double lower = 0;
  double passes = 0;  // ir::RunPasses
};

// Parses, checks and lowers `text` as one file named `name`, then runs the
// IR passes, the way the driver does; stops the program with the
// diagnostics if it has an error: every program a benchmark compiles is
// meant to be valid.
inline ir::Program CompileOrDie(const std::string& name,
                                const std::string& text,
                                PhaseTimes* times = nullptr) {
  PhaseTimes local_times;
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  int32_t file = sources.Add(name, text);

  Clock::time_point start = Clock::now();
  std::optional<syntax::Module> module =
      syntax::ParseFile(sources, file, engine);
  local_times.parse = SecondsSince(start);

  std::optional<ir::Program> program;
  if (module && !engine.HasErrors()) {
    std::vector<syntax::Module> modules;
    modules.push_back(std::move(*module));
    start = Clock::now();
    sema::CheckedProgram checked = sema::Check(std::move(modules), engine);
    local_times.check = SecondsSince(start);

    if (!engine.HasErrors() && lower::CheckRunnable(checked, engine)) {
      start = Clock::now();
      program = lower::Lower(checked);
      local_times.lower = SecondsSince(start);
      start = Clock::now();
      ir::RunPasses(*program);
      local_times.passes = SecondsSince(start);
    }
  }

  if (!program) {
    std::string rendered;
    for (const diag::Diagnostic& diagnostic : engine.Sorted()) {
      rendered += diag::RenderText(diagnostic, sources);
    }
    Fail(name + " does not compile:\n" + rendered);
  }
  if (times != nullptr) *times = local_times;
  return std::move(*program);
}

}  // namespace parcours::bench
