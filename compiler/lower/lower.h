// From the checked program to the IR: lays out records, turns expressions
// into instruction lists and journeys into state machines.
#pragma once

#include <cstddef>
#include <vector>

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/test_plan.h"
#include "compiler/sema/checked.h"

namespace parcours::lower {

// Reports, as `NotRunnable`, every construct of `program` that the checker
// accepts but the engines cannot execute yet, so that nothing is silently
// ignored at run time. Returns true when there is none. `test` blocks are
// looked at only `with_tests` (for `parcours test`); `run` and `build`
// ignore them.
bool CheckRunnable(const sema::CheckedProgram& program,
                   diag::DiagnosticEngine& diagnostics,
                   bool with_tests = false);

// Turns the `test` blocks of `program`, which must have passed
// `CheckRunnable` with tests, into input lines and expectations for the
// lowered `lowered`. `sources` names the places of statements.
std::vector<ir::TestCase> LowerTests(const sema::CheckedProgram& program,
                                     const ir::Program& lowered,
                                     const diag::SourceManager& sources);

// From this many items on, an `in [...]` list written out in literals is
// lowered to one `in_set` lookup in a sorted set instead of one comparison
// per item. A long chain of comparisons is slow to compile (a very long
// one overflowed LLVM's stack) and to run; a short one runs faster than
// the call a lookup makes, and measured in the JIT the two broke even at
// about 16 items, ints and strings alike.
inline constexpr size_t kInSetMinItems = 16;

// Lowers `program`, which must have been checked without errors and passed
// `CheckRunnable`. The IR refers to no AST node, so `program` may be
// destroyed afterwards.
ir::Program Lower(const sema::CheckedProgram& program);

}  // namespace parcours::lower
