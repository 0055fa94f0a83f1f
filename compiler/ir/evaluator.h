// The boundary between the runtime and the two execution engines.
//
// The runtime owns the records; an evaluator only reads them. Both the
// interpreter and the JIT implement this interface and must return the same
// value for every function and input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "compiler/ir/ir.h"

namespace parcours::ir {

// The records a function reads. Pointers may be null when the function
// does not read that base (the compiler guarantees it, e.g. segment
// predicates never read the event).
struct Frame {
  const int64_t* profile = nullptr;
  const int64_t* event = nullptr;
  const int64_t* locals = nullptr;
  int64_t now = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;

  // Evaluates `Program::functions[function]` on `frame`; the result is the
  // one-word value of the function's result type. Safe to call from
  // several threads at once (partitions run on their own threads).
  virtual int64_t Call(int32_t function, const Frame& frame) const = 0;

  // Evaluates the predicate of every segment of set `set` of
  // `ir::GroupSegments(program)` on `frame`: `members[k]` becomes 1 when
  // the set's k-th segment holds, else 0. One call per recomputation
  // instead of one per segment. Thread-safe as `Call` is.
  virtual void EvaluateSegments(int32_t set, const Frame& frame,
                                int64_t* members) const = 0;

  // "interp" or "jit".
  virtual const char* Name() const = 0;
};

}  // namespace parcours::ir
