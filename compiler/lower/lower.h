// From the checked program to the IR: lays out records, turns expressions
// into instruction lists and journeys into state machines.
#pragma once

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/sema/checked.h"

namespace parcours::lower {

// Reports, as `NotRunnable`, every construct of `program` that the checker
// accepts but the engines cannot execute yet, so that nothing is silently
// ignored at run time. Returns true when there is none.
bool CheckRunnable(const sema::CheckedProgram& program,
                   diag::DiagnosticEngine& diagnostics);

// Lowers `program`, which must have been checked without errors and passed
// `CheckRunnable`. The IR refers to no AST node, so `program` may be
// destroyed afterwards.
ir::Program Lower(const sema::CheckedProgram& program);

}  // namespace parcours::lower
