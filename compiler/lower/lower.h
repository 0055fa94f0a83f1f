// From the checked program to the IR: lays out records, turns expressions
// into instruction lists and journeys into state machines.
#pragma once

#include "compiler/ir/ir.h"
#include "compiler/sema/checked.h"

namespace parcours::lower {

// Lowers `program`, which must have been checked without errors. The IR
// refers to no AST node, so `program` may be destroyed afterwards.
ir::Program Lower(const sema::CheckedProgram& program);

}  // namespace parcours::lower
