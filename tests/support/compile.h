// Compiles `.journey` text in memory for tests of later phases.
#pragma once

#include <optional>
#include <string>

#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace parcours::testing {

struct Compiled {
  std::optional<ir::Program> program;
  std::string diagnostics;  // rendered as text
};

inline Compiled CompileText(const std::string& text) {
  Compiled result;
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  int32_t file = sources.Add("test.journey", text);
  auto module = syntax::ParseFile(sources, file, engine);
  if (module) {
    std::vector<syntax::Module> modules;
    modules.push_back(std::move(*module));
    sema::CheckedProgram checked = sema::Check(std::move(modules), engine);
    if (!engine.HasErrors()) result.program = lower::Lower(checked);
  }
  for (const auto& diagnostic : engine.Sorted()) {
    result.diagnostics += diag::RenderText(diagnostic, sources);
  }
  return result;
}

}  // namespace parcours::testing
