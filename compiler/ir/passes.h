// Named passes over the IR, run by the driver between lowering and
// `Verify`. Each takes a program that passed `Verify` and leaves one that
// still passes it and means the same: every function returns the same word
// as before for every frame, and every journey sends the same actions in
// the same order for every run.
#pragma once

#include "compiler/ir/ir.h"

namespace parcours::ir {

// Replaces each instruction whose operands are all constants by the
// `Const` holding the two words the interpreter computes for it (integer
// wrap-around, x / 0 == 0, INT64_MIN / -1 == INT64_MIN, decimal rounding
// toward zero, money currencies combined or mixed, string order by bytes),
// so that later instructions over it fold in turn. String comparisons fold
// when both sides are `ConstString`, and an `InSet` when its value is a
// `Const` or a `ConstString`. `Load`, `IsPresent` and `Now` never
// fold, and neither does any instruction that reads one: an instruction
// with one constant operand and one unknown stays as it is. The folded
// instructions keep their index, so nothing is renumbered; their operands
// may become dead. Returns the number of instructions folded.
int FoldConstants(Program& program);

// Drops every instruction of every function that the result does not
// depend on, and renumbers the operands of the rest, which keep their
// order. Every instruction is pure, so none is kept for its effect. The
// last instruction (the result) always stays. Returns the number dropped.
int RemoveDeadInstructions(Program& program);

// Resolves each `If` step whose condition function returns a constant
// (its last instruction is a `Const`, as `FoldConstants` leaves it), or
// whose two successors are the same step: the entry and every `next` and
// `else_next` that led to it lead to the step it always continues at. Then
// removes the steps that the entry no longer reaches and renumbers the
// others, which keep their order and their names (waiting contacts are
// stored by step name, so a step that stays keeps its identity).
// Functions no longer referenced stay in `functions`. Returns the number of
// steps removed.
int RemoveDeadBranches(Program& program);

// What `RunPasses` changed.
struct PassStats {
  int folded = 0;             // instructions replaced by a constant
  int dead_instructions = 0;  // instructions dropped
  int dead_steps = 0;         // journey steps dropped
};

// Runs `FoldConstants`, `RemoveDeadInstructions` and `RemoveDeadBranches`,
// in that order, each once: folding leaves dead operands for the second
// pass and constant conditions for the third, and neither of those makes
// anything more to fold.
PassStats RunPasses(Program& program);

}  // namespace parcours::ir
