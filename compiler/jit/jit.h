// The native backend: compiles a program's expression functions to machine
// code with LLVM's ORC LLJIT.
//
// The compiled code must return exactly what the interpreter returns for
// every function and input (compiler/interp/interpreter.cpp is the
// reference). No LLVM header is reachable from this one, so only this
// folder's sources pay for LLVM's headers.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"

namespace parcours::jit {

struct JitOptions {
  // Runs a short function pipeline (EarlyCSE, InstCombine) over the module
  // before code generation. The code generator itself always works at
  // LLVM's lowest level, whose code measured as fast on these functions.
  bool optimize = true;

  // Folder of the object cache, created when missing; empty disables the
  // cache. Objects are keyed by everything that determines the machine code
  // (the program's functions and strings, the optimize flag, the version of
  // the lowering, the LLVM version, the target triple and the host CPU), so
  // one folder can be shared by many programs and by machines of different
  // kinds. The key is computed from the IR, so a hit builds no LLVM module.
  // The folder keeps its `kObjectCacheEntries` most recently used entries.
  std::string cache_dir;
};

// How many entries an object cache folder keeps (each a program with its
// options, an object file of tens to hundreds of kilobytes): a folder
// kept across CI runs or edits does not grow with every program.
inline constexpr size_t kObjectCacheEntries = 32;

// The version of the module the JIT builds for a program (lowering.cpp).
// Cached objects are keyed by the IR, not by the module, so a change to the
// lowering that alters the module of any program must bump this number, or
// a new compiler would load an old compiler's code;
// tests/jit/jit_lowering_test.cpp fails until it is bumped.
inline constexpr int kLoweringVersion = 13;

// One step of `MakeJit` and its wall-clock time.
struct JitPhase {
  std::string name;
  double seconds = 0;
};

// What `MakeJit` did, for tests and `--verbose` output.
struct JitReport {
  // The cache file read or written; empty when `cache_dir` is empty.
  std::string cache_file;

  // True when the code came from `cache_file`: neither the optimiser nor
  // the code generator ran. False after a miss, and after a cache file that
  // was unreadable or corrupt (the program is then compiled again and the
  // file overwritten).
  bool cache_hit = false;

  // The steps that ran, in order: "cache" (computing the key, reading the
  // file and, on a hit, linking its object) when `cache_dir` is set; then,
  // unless it was a hit, "lower" (the LLVM module), "optimize" (only with
  // `optimize`) and "codegen" (machine code and linking). Empty when the
  // program failed `ir::Verify`.
  std::vector<JitPhase> phases;
};

// Compiles every function of `program`, which must have passed
// `ir::Verify`, to native code. Function `N` is emitted as `pc_fn<N>`.
//
// Returns nullptr and sets `*error` (when `error` is not null) if the
// program fails `ir::Verify` or LLVM fails; a failure to read or write the
// cache is not an error, only a miss. The evaluator copies what it needs
// (string constants included), so `program` may die before it. Unlike the
// interpreter, the returned evaluator keeps no scratch state: `Call` may
// run on several threads at once.
std::unique_ptr<ir::Evaluator> MakeJit(const ir::Program& program,
                                       const JitOptions& options,
                                       std::string* error,
                                       JitReport* report = nullptr);

// The LLVM IR text of the whole program module, after the optimisation
// pipeline when `optimize`, for `parcours build --emit llvm`. The text is the
// module the JIT compiles, so it names the host's target triple and data
// layout; for one program on one machine it is the same byte for byte on every
// call. Returns an empty string if the program fails `ir::Verify` or LLVM has
// no native target.
std::string EmitLlvm(const ir::Program& program, bool optimize);

// The version of the LLVM this JIT was built with ("19.1.7").
std::string LlvmVersion();

}  // namespace parcours::jit
