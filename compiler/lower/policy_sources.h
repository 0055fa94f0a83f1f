// Fills each policy rule's `where` ("file:line") and `text` (the rule as
// written) from the sources, for explanations and action line details.
#pragma once

#include "compiler/diag/diagnostics.h"
#include "compiler/ir/ir.h"

namespace parcours::lower {

void DescribePolicyRules(ir::Program& program,
                         const diag::SourceManager& sources);

}  // namespace parcours::lower
