// Lowering of loyalty `program` declarations (compiler/ir/loyalty.h).
#pragma once

#include <functional>
#include <string>

#include "compiler/ir/ir.h"
#include "compiler/sema/checked.h"

namespace parcours::lower {

// Lowers one checked program. `lower_function` lowers a condition into an
// IR Function of the profile and returns its index; `first_word` is the
// first of the three hidden profile words the program's values take.
ir::LoyaltyProgram LowerLoyaltyProgram(
    const sema::CheckedProgram& checked, const sema::ProgramInfo& program,
    int32_t first_word,
    const std::function<int32_t(const std::string&, const syntax::Expr&)>&
        lower_function);

// Hidden profile words per program: balance, tier, redeemed share.
inline constexpr int32_t kLoyaltyWords = 3;

}  // namespace parcours::lower
