// libFuzzer target for the runtime's input decoder: bytes in as one line
// of the events file, decoded against a fixed program.
//
// The program is the example campaign plus fuzz/events_schema.journey,
// which adds a field of every type, optional fields and wire names. Any
// line must decode or become a dead letter with a reason; a crash or a
// sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "events_program.h"
#include "runtime/ingest/decoder.h"

namespace parcours::fuzz {
namespace {

// Stops the fuzzer before it starts when the fixed program does not
// compile: every input would then test nothing.
[[noreturn]] void FailSetup(const diag::DiagnosticEngine& engine,
                            const diag::SourceManager& sources) {
  std::fprintf(stderr, "events_fuzzer: the fixed program does not compile\n");
  for (const diag::Diagnostic& diagnostic : engine.Sorted()) {
    std::fprintf(stderr, "%s", diag::RenderText(diagnostic, sources).c_str());
  }
  std::abort();
}

ir::Program CompileFixedProgram() {
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  std::vector<syntax::Module> modules;
  const std::pair<const char*, const char*> kFiles[] = {
      {"retail.journey", kCampaignText},
      {"events_schema.journey", kSchemaText},
  };
  for (const auto& [path, text] : kFiles) {
    int32_t file = sources.Add(path, text);
    auto module = syntax::ParseFile(sources, file, engine);
    if (!module) FailSetup(engine, sources);
    modules.push_back(std::move(*module));
  }
  sema::CheckedProgram checked = sema::Check(std::move(modules), engine);
  if (engine.HasErrors() || !lower::CheckRunnable(checked, engine)) {
    FailSetup(engine, sources);
  }
  return lower::Lower(checked);
}

// Built once: the decoder keeps a reference to the program.
const ingest::Decoder& FixedDecoder() {
  static const ir::Program* program = new ir::Program(CompileFixedProgram());
  static const ingest::Decoder* decoder = new ingest::Decoder(*program);
  return *decoder;
}

}  // namespace
}  // namespace parcours::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  parcours::fuzz::FixedDecoder();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // libFuzzer hands over a buffer of exactly `size` bytes, so ASan sees a
  // read past the end of the line.
  std::string_view line(reinterpret_cast<const char*>(data), size);
  parcours::fuzz::FixedDecoder().Decode(line, 1);
  return 0;
}
