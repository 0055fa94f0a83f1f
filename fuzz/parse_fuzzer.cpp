// libFuzzer target for the front end: bytes in as one `.journey` file,
// through the same phases `parcours build` runs.
//
// Every input must end in diagnostics or in a verified program. A crash,
// a sanitizer report, a failed assertion or an IR that `ir::Verify`
// refuses is a compiler bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace parcours::fuzz {
namespace {

// Renders what the user would see, so that spans pointing anywhere in the
// fuzzed text go through the caret and JSON rendering.
void RenderAll(const diag::DiagnosticEngine& engine,
               const diag::SourceManager& sources) {
  std::vector<diag::Diagnostic> diagnostics = engine.Sorted();
  for (const diag::Diagnostic& diagnostic : diagnostics) {
    diag::RenderText(diagnostic, sources);
    diag::RenderJson(diagnostic, sources);
  }
}

void CompileOne(std::string text) {
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  int32_t file = sources.Add("fuzz.journey", std::move(text));

  std::optional<syntax::Module> module =
      syntax::ParseFile(sources, file, engine);
  if (!module) {
    RenderAll(engine, sources);
    return;
  }
  syntax::Dump(*module);

  std::vector<syntax::Module> modules;
  modules.push_back(std::move(*module));
  sema::CheckedProgram checked = sema::Check(std::move(modules), engine);
  if (engine.HasErrors() || !lower::CheckRunnable(checked, engine)) {
    RenderAll(engine, sources);
    return;
  }
  RenderAll(engine, sources);

  ir::Program program = lower::Lower(checked);
  std::string problem = ir::Verify(program);
  if (!problem.empty()) {
    std::fprintf(stderr, "parse_fuzzer: the IR is invalid: %s\n",
                 problem.c_str());
    std::abort();
  }
  ir::Dump(program);
}

}  // namespace
}  // namespace parcours::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  parcours::fuzz::CompileOne(
      std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
