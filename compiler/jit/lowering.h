// IR to LLVM IR: one LLVM function per expression function, and one per
// set of segments the runtime recomputes together.
//
// Internal to the JIT folder (it exposes LLVM types). Every `ir::Op` is
// lowered to the instructions that compute exactly what
// compiler/interp/interpreter.cpp computes, word for word.
#pragma once

#include <llvm/IR/DataLayout.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/TargetParser/Triple.h>

#include <cstddef>
#include <memory>
#include <string>

#include "compiler/ir/ir.h"

namespace parcours::jit {

// The C helpers of compiler/ir/semantics.h that generated code calls.
inline constexpr char kDecimalMulSymbol[] = "parcours_decimal_mul";
inline constexpr char kDecimalDivSymbol[] = "parcours_decimal_div";
inline constexpr char kStringCompareSymbol[] = "parcours_string_compare";
inline constexpr char kDistanceKmSymbol[] = "parcours_distance_km";
inline constexpr char kSpeedKmhSymbol[] = "parcours_speed_kmh";
// The zone helpers of compiler/ir/dates.h.
inline constexpr char kLocalDaySymbol[] = "parcours_local_day";
inline constexpr char kDayStartSymbol[] = "parcours_day_start";
inline constexpr char kAddCalendarSymbol[] = "parcours_add_calendar";
inline constexpr char kAddCalendarToDateSymbol[] =
    "parcours_add_calendar_to_date";
// The list and set helpers of compiler/ir/lists.h.
inline constexpr char kListContainsSymbol[] = "parcours_list_contains";
inline constexpr char kWordsContainSymbol[] = "parcours_words_contain";
inline constexpr char kStringsContainSymbol[] = "parcours_strings_contain";

// The one symbol a compiled program exports: a constant array of pointers
// whose entry `N` is the code of `Program::functions[N]`, followed by one
// entry per set of `ir::GroupSegments(program)`, in order.
inline constexpr char kFunctionTableSymbol[] = "pc_functions";

// The name of `Program::functions[index]` in the module: "pc_fn<index>",
// of type `i64 (ptr profile, ptr event, ptr locals, i64 now)`. The
// functions have internal linkage, so the linker resolves only the table.
std::string FunctionSymbol(size_t index);

// The name of the function of set `index` of `ir::GroupSegments`:
// "pc_segments<index>", of type `void (ptr profile, ptr event, ptr locals,
// i64 now, ptr members)`; it writes 0 or 1 to `members[k]` for the set's
// k-th segment, as `ir::Evaluator::EvaluateSegments` does.
std::string SegmentSetSymbol(size_t index);

// Builds the module of every function and segment set of `program`, which
// must have passed `ir::Verify`, and of the table of their addresses. The
// module's identifier, source file name, symbol names and instruction order
// depend only on `program`, `layout` and `triple`, so its text is the same on
// every call. The caller runs `llvm::verifyModule`.
std::unique_ptr<llvm::Module> LowerProgram(const ir::Program& program,
                                           llvm::LLVMContext& context,
                                           const llvm::DataLayout& layout,
                                           const llvm::Triple& triple);

}  // namespace parcours::jit
