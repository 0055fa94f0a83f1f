// From source text to AST.
#pragma once

#include <optional>

#include "compiler/diag/diagnostics.h"
#include "compiler/syntax/ast.h"

namespace parcours::syntax {

// Files larger than this are refused with `FileTooLarge` rather than parsed,
// so a stray data file passed by mistake cannot exhaust memory.
inline constexpr size_t kMaxSourceBytes = 8 << 20;

// Brackets nested deeper than this are refused with `NestingTooDeep`: the
// generated parser recurses once per level and would overflow the stack.
inline constexpr int kMaxNesting = 200;

// The same for the operators of one expression (`a or b or c ...`, which
// the generated parser and the AST nest one level per operator) and for a
// chain of `else if`.
inline constexpr int kMaxOperators = 1000;
inline constexpr int kMaxElseIfs = 200;

// Parses file `file` of `sources`. Reports every problem into
// `diagnostics`; returns the module only when the file had no syntax error.
std::optional<Module> ParseFile(const diag::SourceManager& sources,
                                int32_t file,
                                diag::DiagnosticEngine& diagnostics);

}  // namespace parcours::syntax
