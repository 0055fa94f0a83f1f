#include "compiler/jit/jit.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

#include "compiler/ir/dates.h"
#include "compiler/ir/lists.h"
#include "compiler/ir/segment_sets.h"
#include "compiler/ir/semantics.h"
#include "compiler/jit/lowering.h"
#include "compiler/jit/object_cache.h"

namespace parcours::jit {
namespace {

using CompiledFunction = int64_t (*)(const int64_t* profile,
                                     const int64_t* event,
                                     const int64_t* locals, int64_t now);
using CompiledSegmentSet = void (*)(const int64_t* profile,
                                    const int64_t* event, const int64_t* locals,
                                    int64_t now, int64_t* members);

llvm::Error Failure(const std::string& message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// LLVM's target registry is global; initialising it twice at once races.
llvm::Error InitializeNativeTargetOnce() {
  static std::once_flag once;
  static bool ready = false;
  std::call_once(once, [] {
    ready = !llvm::InitializeNativeTarget() &&
            !llvm::InitializeNativeTargetAsmPrinter();
  });
  if (ready) return llvm::Error::success();
  return Failure("LLVM has no native target for this machine");
}

// The host machine. Code is generated at `CodeGenOptLevel::None` (fast
// instruction selection and register allocation) whether or not the module
// was optimised: on the functions of bench/predicates the default level
// gave no measurable speed-up, and it took twelve times as long on the
// 1,000-line program of bench/compile_latency (docs/performance.md).
llvm::Expected<llvm::orc::JITTargetMachineBuilder> HostMachine() {
  if (llvm::Error error = InitializeNativeTargetOnce()) {
    return error;
  }
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine) return machine.takeError();
  machine->setCodeGenOptLevel(llvm::CodeGenOptLevel::None);
  return std::move(*machine);
}

// Lowers `program` for `machine` and checks the result with LLVM's
// verifier, so that a lowering bug is reported rather than miscompiled.
llvm::Expected<std::unique_ptr<llvm::Module>> BuildModule(
    const ir::Program& program, llvm::LLVMContext& context,
    llvm::orc::JITTargetMachineBuilder& machine) {
  auto layout = machine.getDefaultDataLayoutForTarget();
  if (!layout) return layout.takeError();
  std::unique_ptr<llvm::Module> module =
      LowerProgram(program, context, *layout, machine.getTargetTriple());

  std::string problems;
  llvm::raw_string_ostream out(problems);
  if (llvm::verifyModule(*module, &out)) {
    return Failure("the JIT built invalid LLVM IR: " + out.str());
  }
  return module;
}

// How a module is optimised and compiled, with and without `optimize`, as
// it enters the cache key: a change to `Optimize` or to the code
// generation level must change this text.
constexpr char kPipeline[] =
    "ir: early-cse, instcombine; codegen: CodeGenOptLevel::None";
constexpr char kPlainPipeline[] = "ir: none; codegen: CodeGenOptLevel::None";

// Cleans up the lowering's straight-line code, function by function:
// EarlyCSE shares repeated loads and computations (every money operand
// reloads its currency word), InstCombine folds the selects of currency
// checks and constant operands. The whole O2 pipeline (inlining, loop and
// interprocedural passes, which have nothing to work on here) cost about
// seven times as much for code that ran no faster (docs/performance.md).
llvm::Error Optimize(llvm::Module& module,
                     llvm::orc::JITTargetMachineBuilder& machine) {
  auto target = machine.createTargetMachine();
  if (!target) return target.takeError();

  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(target->get());
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);

  llvm::FunctionPassManager function_passes;
  function_passes.addPass(llvm::EarlyCSEPass());
  function_passes.addPass(llvm::InstCombinePass());
  llvm::ModulePassManager module_passes;
  module_passes.addPass(
      llvm::createModuleToFunctionPassAdaptor(std::move(function_passes)));
  module_passes.run(module, modules);
  return llvm::Error::success();
}

std::string ModuleText(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream out(text);
  module.print(out, nullptr);
  return out.str();
}

// Appends `value` as eight little-endian bytes.
void AppendWord(std::string& out, int64_t value) {
  char bytes[8];
  llvm::support::endian::write64le(bytes, static_cast<uint64_t>(value));
  out.append(bytes, sizeof(bytes));
}

void AppendText(std::string& out, const std::string& text) {
  AppendWord(out, static_cast<int64_t>(text.size()));
  out += text;
}

// Everything of `program` that `LowerProgram` reads, as bytes: fixed-width
// fields and length-prefixed strings, so that two programs whose modules
// could differ never give the same bytes. Function names are left out
// because the module does not contain them.
std::string ProgramBytes(const ir::Program& program) {
  std::string out;
  AppendText(out, program.module);
  AppendWord(out, static_cast<int64_t>(program.strings.size()));
  for (const std::string& text : program.strings) AppendText(out, text);
  AppendWord(out, static_cast<int64_t>(program.const_sets.size()));
  for (const ir::ConstSet& set : program.const_sets) {
    AppendWord(out, static_cast<int64_t>(set.type));
    AppendWord(out, static_cast<int64_t>(set.words.size()));
    for (int64_t word : set.words) AppendWord(out, word);
    AppendText(out, set.bytes);
  }
  AppendWord(out, static_cast<int64_t>(program.functions.size()));
  for (const ir::Function& function : program.functions) {
    AppendWord(out, static_cast<int64_t>(function.result));
    AppendWord(out, static_cast<int64_t>(function.body.size()));
    for (const ir::Inst& inst : function.body) {
      AppendWord(out, static_cast<int64_t>(inst.op) |
                          static_cast<int64_t>(inst.type) << 8 |
                          static_cast<int64_t>(inst.operand_type) << 16 |
                          static_cast<int64_t>(inst.base) << 24);
      AppendWord(out, inst.a);
      AppendWord(out, inst.b);
      AppendWord(out, inst.imm);
      AppendWord(out, inst.imm2);
    }
  }

  // The segment sets, whose functions the module holds too.
  ir::SegmentSets grouped = ir::GroupSegments(program);
  AppendWord(out, static_cast<int64_t>(grouped.sets.size()));
  for (const std::vector<int32_t>& segments : grouped.sets) {
    AppendWord(out, static_cast<int64_t>(segments.size()));
    for (int32_t segment : segments) {
      AppendWord(out, program.segments[segment].predicate);
    }
  }
  return out;
}

// The cache key covers everything the machine code depends on: the
// program's IR, the version of the lowering, how the module is optimised
// and compiled, the LLVM version, and the host CPU and its features (the
// code generator tunes for them). It is computed from the IR, so that a hit
// builds no LLVM module at all.
std::string CacheKey(const ir::Program& program, bool optimize,
                     const llvm::orc::JITTargetMachineBuilder& machine) {
  std::vector<std::string> features = machine.getFeatures().getFeatures();
  std::sort(features.begin(), features.end());
  std::string feature_list;
  for (const std::string& feature : features) feature_list += feature + ",";

  std::string triple = machine.getTargetTriple().str();
  std::string lowering = "lowering " + std::to_string(kLoweringVersion);
  return ObjectCacheKey({"parcours-jit-object", LLVM_VERSION_STRING, triple,
                         machine.getCPU(), feature_list, lowering,
                         optimize ? kPipeline : kPlainPipeline,
                         ProgramBytes(program)});
}

// An LLJIT for `machine` whose compiler consults `cache` (may be null),
// with the C helpers defined in its main JITDylib.
llvm::Expected<std::unique_ptr<llvm::orc::LLJIT>> CreateLljit(
    const llvm::orc::JITTargetMachineBuilder& machine,
    llvm::ObjectCache* cache) {
  llvm::orc::LLJITBuilder builder;
  builder.setJITTargetMachineBuilder(machine);
  builder.setCompileFunctionCreator(
      [cache](llvm::orc::JITTargetMachineBuilder compile_machine)
          -> llvm::Expected<
              std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
        return std::make_unique<llvm::orc::ConcurrentIRCompiler>(
            std::move(compile_machine), cache);
      });
  auto lljit = builder.create();
  if (!lljit) return lljit.takeError();

  // Absolute symbols, so the helpers resolve to this binary's copies even
  // when the process does not export them (static link, -fvisibility).
  auto flags = llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable;
  auto address = [](auto* function) {
    return llvm::orc::ExecutorAddr::fromPtr(function);
  };
  llvm::orc::SymbolMap helpers;
  helpers[(*lljit)->mangleAndIntern(kDecimalMulSymbol)] = {
      address(&parcours_decimal_mul), flags};
  helpers[(*lljit)->mangleAndIntern(kDecimalDivSymbol)] = {
      address(&parcours_decimal_div), flags};
  helpers[(*lljit)->mangleAndIntern(kStringCompareSymbol)] = {
      address(&parcours_string_compare), flags};
  helpers[(*lljit)->mangleAndIntern(kDistanceKmSymbol)] = {
      address(&parcours_distance_km), flags};
  helpers[(*lljit)->mangleAndIntern(kSpeedKmhSymbol)] = {
      address(&parcours_speed_kmh), flags};
  helpers[(*lljit)->mangleAndIntern(kLocalDaySymbol)] = {
      address(&parcours_local_day), flags};
  helpers[(*lljit)->mangleAndIntern(kDayStartSymbol)] = {
      address(&parcours_day_start), flags};
  helpers[(*lljit)->mangleAndIntern(kAddCalendarSymbol)] = {
      address(&parcours_add_calendar), flags};
  helpers[(*lljit)->mangleAndIntern(kAddCalendarToDateSymbol)] = {
      address(&parcours_add_calendar_to_date), flags};
  helpers[(*lljit)->mangleAndIntern(kListContainsSymbol)] = {
      address(&parcours_list_contains), flags};
  helpers[(*lljit)->mangleAndIntern(kWordsContainSymbol)] = {
      address(&parcours_words_contain), flags};
  helpers[(*lljit)->mangleAndIntern(kStringsContainSymbol)] = {
      address(&parcours_strings_contain), flags};
  llvm::orc::JITDylib& main = (*lljit)->getMainJITDylib();
  if (llvm::Error error =
          main.define(llvm::orc::absoluteSymbols(std::move(helpers)))) {
    return error;
  }
  return std::move(*lljit);
}

// How many entries the module's table has: one per function, then one
// per segment set.
struct TableSize {
  size_t functions = 0;
  size_t segment_sets = 0;
};

TableSize TableSizeOf(const ir::Program& program) {
  return {program.functions.size(), ir::GroupSegments(program).sets.size()};
}

// Native code and the tables that `Call` and `EvaluateSegments` dispatch
// through.
struct Compiled {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::vector<CompiledFunction> functions;
  std::vector<CompiledSegmentSet> segment_sets;
};

// Looks the table up, which makes LLJIT compile (or link) the module, and
// copies its entries.
llvm::Expected<Compiled> LookUpFunctions(
    std::unique_ptr<llvm::orc::LLJIT> lljit, TableSize size) {
  auto address = lljit->lookup(kFunctionTableSymbol);
  if (!address) return address.takeError();
  const CompiledFunction* table = address->toPtr<const CompiledFunction*>();
  // Every entry is a code pointer of the same size; the sets' entries
  // follow the functions'.
  const auto* sets =
      reinterpret_cast<const CompiledSegmentSet*>(table + size.functions);

  Compiled compiled;
  compiled.functions.assign(table, table + size.functions);
  compiled.segment_sets.assign(sets, sets + size.segment_sets);
  compiled.lljit = std::move(lljit);
  return compiled;
}

llvm::Expected<Compiled> LoadObject(
    const llvm::orc::JITTargetMachineBuilder& machine,
    std::unique_ptr<llvm::MemoryBuffer> object, TableSize count) {
  auto lljit = CreateLljit(machine, nullptr);
  if (!lljit) return lljit.takeError();
  if (llvm::Error error = (*lljit)->addObjectFile(std::move(object))) {
    return error;
  }
  return LookUpFunctions(std::move(*lljit), count);
}

llvm::Expected<Compiled> CompileModule(
    const llvm::orc::JITTargetMachineBuilder& machine, llvm::ObjectCache* cache,
    llvm::orc::ThreadSafeModule module, TableSize count) {
  auto lljit = CreateLljit(machine, cache);
  if (!lljit) return lljit.takeError();
  if (llvm::Error error = (*lljit)->addIRModule(std::move(module))) {
    return error;
  }
  return LookUpFunctions(std::move(*lljit), count);
}

class Jit final : public ir::Evaluator {
 public:
  Jit(std::unique_ptr<FileObjectCache> cache, Compiled compiled)
      : cache_(std::move(cache)),
        lljit_(std::move(compiled.lljit)),
        functions_(std::move(compiled.functions)),
        segment_sets_(std::move(compiled.segment_sets)) {}

  int64_t Call(int32_t function, const ir::Frame& frame) const override {
    return functions_[function](frame.profile, frame.event, frame.locals,
                                frame.now);
  }

  void EvaluateSegments(int32_t set, const ir::Frame& frame,
                        int64_t* members) const override {
    segment_sets_[set](frame.profile, frame.event, frame.locals, frame.now,
                       members);
  }

  const char* Name() const override { return "jit"; }

 private:
  // Declared before the LLJIT so that it is destroyed after it: the
  // LLJIT's compiler holds a pointer to it.
  std::unique_ptr<FileObjectCache> cache_;
  std::unique_ptr<llvm::orc::LLJIT> lljit_;
  std::vector<CompiledFunction> functions_;
  std::vector<CompiledSegmentSet> segment_sets_;
};

// Appends each step of one `MakeJit` call to its report as it ends.
class PhaseClock {
 public:
  explicit PhaseClock(JitReport& report) : report_(report) {}

  void Done(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    std::chrono::duration<double> spent = now - start_;
    report_.phases.push_back({phase, spent.count()});
    start_ = now;
  }

 private:
  JitReport& report_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
};

// The program's code from the cache, or null on a miss. A hit builds no
// LLVM module: the key comes from the IR. An entry that fails to load is a
// miss, and the compiler will overwrite it.
std::unique_ptr<ir::Evaluator> LoadCached(
    const ir::Program& program, const JitOptions& options,
    const llvm::orc::JITTargetMachineBuilder& machine,
    std::unique_ptr<FileObjectCache>& cache, JitReport& report) {
  std::string key = CacheKey(program, options.optimize, machine);
  cache = std::make_unique<FileObjectCache>(options.cache_dir, key);
  report.cache_file = cache->Path();
  if (auto object = cache->getObject(nullptr)) {
    auto loaded = LoadObject(machine, std::move(object), TableSizeOf(program));
    if (loaded) {
      report.cache_hit = true;
      return std::make_unique<Jit>(std::move(cache), std::move(*loaded));
    }
    llvm::consumeError(loaded.takeError());
  }
  cache->StopReading();
  return nullptr;
}

llvm::Expected<std::unique_ptr<ir::Evaluator>> Build(const ir::Program& program,
                                                     const JitOptions& options,
                                                     JitReport& report) {
  std::string problem = ir::Verify(program);
  if (!problem.empty()) return Failure("invalid IR: " + problem);
  PhaseClock clock(report);
  auto machine = HostMachine();
  if (!machine) return machine.takeError();

  std::unique_ptr<FileObjectCache> cache;
  if (!options.cache_dir.empty()) {
    auto cached = LoadCached(program, options, *machine, cache, report);
    clock.Done("cache");
    if (cached) return cached;
  }

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = BuildModule(program, *context, *machine);
  if (!module) return module.takeError();
  clock.Done("lower");
  if (options.optimize) {
    if (llvm::Error error = Optimize(**module, *machine)) {
      return error;
    }
    clock.Done("optimize");
  }

  // LLJIT generates the code when the table is first looked up, and hands
  // the object to the cache, which writes it.
  auto compiled = CompileModule(
      *machine, cache.get(),
      llvm::orc::ThreadSafeModule(std::move(*module), std::move(context)),
      TableSizeOf(program));
  if (!compiled) return compiled.takeError();
  clock.Done("codegen");
  return std::make_unique<Jit>(std::move(cache), std::move(*compiled));
}

}  // namespace

std::unique_ptr<ir::Evaluator> MakeJit(const ir::Program& program,
                                       const JitOptions& options,
                                       std::string* error, JitReport* report) {
  JitReport local_report;
  auto jit = Build(program, options, local_report);
  if (report != nullptr) *report = local_report;
  if (jit) return std::move(*jit);

  std::string message = llvm::toString(jit.takeError());
  if (error != nullptr) *error = message;
  return nullptr;
}

std::string EmitLlvm(const ir::Program& program, bool optimize) {
  if (!ir::Verify(program).empty()) return "";
  auto machine = HostMachine();
  if (!machine) {
    llvm::consumeError(machine.takeError());
    return "";
  }

  llvm::LLVMContext context;
  auto module = BuildModule(program, context, *machine);
  if (!module) {
    llvm::consumeError(module.takeError());
    return "";
  }
  if (optimize) {
    if (llvm::Error error = Optimize(**module, *machine)) {
      llvm::consumeError(std::move(error));
      return "";
    }
  }
  return ModuleText(**module);
}

std::string LlvmVersion() { return LLVM_VERSION_STRING; }

}  // namespace parcours::jit
