// Checks on the raw bytes of a source file, made before the lexer sees
// them: the generated lexer assumes valid UTF-8 and bounded input.
#pragma once

#include "compiler/diag/diagnostics.h"

namespace parcours::syntax {

// Reports a file that is too large, holds a NUL byte or is not valid UTF-8,
// at the first offending byte. Returns true when the bytes are acceptable.
bool CheckSourceBytes(const diag::SourceManager& sources, int32_t file,
                      diag::DiagnosticEngine& diagnostics);

}  // namespace parcours::syntax
