// Name resolution, type checking and lints over a set of parsed modules.
#pragma once

#include <optional>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/sema/checked.h"
#include "compiler/syntax/ast.h"

namespace parcours::sema {

// Checks `modules` as one program. Every problem is reported into
// `diagnostics`; checking goes on past errors so that one run shows them
// all. The result is complete only when no error was reported, and only
// then may it be lowered.
CheckedProgram Check(std::vector<syntax::Module> modules,
                     diag::DiagnosticEngine& diagnostics);

}  // namespace parcours::sema
