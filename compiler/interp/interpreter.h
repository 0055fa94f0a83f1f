// The reference interpreter: walks a function's instructions in order.
//
// It is the definition of the IR's meaning; the JIT is tested against it.
#pragma once

#include <memory>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"

namespace parcours::interp {

// Returns an evaluator over `program`, which must outlive it and must have
// passed `ir::Verify`.
std::unique_ptr<ir::Evaluator> MakeInterpreter(const ir::Program& program);

}  // namespace parcours::interp
