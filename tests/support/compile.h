// Compiles `.journey` text in memory for tests of later phases.
#pragma once

#include <optional>
#include <string>

#include "compiler/lower/lower.h"
#include "compiler/lower/policy_sources.h"
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
    if (!engine.HasErrors() && lower::CheckRunnable(checked, engine)) {
      result.program = lower::Lower(checked);
      lower::DescribePolicyRules(*result.program, sources);
    }
  }
  for (const auto& diagnostic : engine.Sorted()) {
    result.diagnostics += diag::RenderText(diagnostic, sources);
  }
  return result;
}

// A profile record holding each attribute's default. String defaults point
// into `program`, which must outlive the record.
inline std::vector<int64_t> DefaultProfile(const ir::Program& program) {
  std::vector<int64_t> record(program.profile_words, 0);
  for (const ir::Field& field : program.profile) {
    for (size_t i = 0; i < field.default_words.size(); ++i) {
      record[field.offset + i] = field.default_words[i];
    }
    if (field.type == ir::Type::String && !field.default_words.empty()) {
      record[field.offset] =
          reinterpret_cast<int64_t>(field.default_string.data());
      record[field.offset + 1] =
          static_cast<int64_t>(field.default_string.size());
    }
  }
  return record;
}

}  // namespace parcours::testing
