#include "compiler/jit/jit.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "compiler/ir/semantics.h"
#include "compiler/jit/lowering.h"
#include "compiler/jit/object_cache.h"

namespace parcours::jit {
namespace {

using CompiledFunction = int64_t (*)(const int64_t* profile,
                                     const int64_t* event,
                                     const int64_t* locals, int64_t now);

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

// The host machine, with code generation at O2 or, unoptimised, at O0.
llvm::Expected<llvm::orc::JITTargetMachineBuilder> HostMachine(bool optimize) {
  if (llvm::Error error = InitializeNativeTargetOnce()) {
    return error;
  }
  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine) return machine.takeError();
  machine->setCodeGenOptLevel(optimize ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::None);
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

// Runs the new pass manager's standard O2 pipeline, tuned for `machine`.
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

  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2)
      .run(module, modules);
  return llvm::Error::success();
}

std::string ModuleText(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream out(text);
  module.print(out, nullptr);
  return out.str();
}

// The cache key covers everything the machine code depends on. The
// unoptimised module text stands for the program: unlike `ir::Dump` it
// holds every constant word and string byte verbatim, and it changes
// whenever the lowering changes, so a newer compiler never loads an object
// built by an older one. The host CPU and its features are part of the key
// because the code generator tunes for them.
std::string CacheKey(const std::string& module_text, bool optimize,
                     const llvm::orc::JITTargetMachineBuilder& machine) {
  std::vector<std::string> features = machine.getFeatures().getFeatures();
  std::sort(features.begin(), features.end());
  std::string feature_list;
  for (const std::string& feature : features) feature_list += feature + ",";

  std::string triple = machine.getTargetTriple().str();
  return ObjectCacheKey({"parcours-jit-object", LLVM_VERSION_STRING, triple,
                         machine.getCPU(), feature_list, optimize ? "O2" : "O0",
                         module_text});
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
  llvm::orc::JITDylib& main = (*lljit)->getMainJITDylib();
  if (llvm::Error error =
          main.define(llvm::orc::absoluteSymbols(std::move(helpers)))) {
    return error;
  }
  return std::move(*lljit);
}

// Native code and the table that `Call` dispatches through.
struct Compiled {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::vector<CompiledFunction> functions;
};

// Looks every function up once; the first lookup makes LLJIT compile (or
// link) the whole module.
llvm::Expected<Compiled> LookUpFunctions(
    std::unique_ptr<llvm::orc::LLJIT> lljit, size_t count) {
  Compiled compiled;
  for (size_t i = 0; i < count; ++i) {
    auto address = lljit->lookup(FunctionSymbol(i));
    if (!address) return address.takeError();
    compiled.functions.push_back(address->toPtr<CompiledFunction>());
  }
  compiled.lljit = std::move(lljit);
  return compiled;
}

llvm::Expected<Compiled> LoadObject(
    const llvm::orc::JITTargetMachineBuilder& machine,
    std::unique_ptr<llvm::MemoryBuffer> object, size_t count) {
  auto lljit = CreateLljit(machine, nullptr);
  if (!lljit) return lljit.takeError();
  if (llvm::Error error = (*lljit)->addObjectFile(std::move(object))) {
    return error;
  }
  return LookUpFunctions(std::move(*lljit), count);
}

llvm::Expected<Compiled> CompileModule(
    const llvm::orc::JITTargetMachineBuilder& machine, llvm::ObjectCache* cache,
    llvm::orc::ThreadSafeModule module, size_t count) {
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
        functions_(std::move(compiled.functions)) {}

  int64_t Call(int32_t function, const ir::Frame& frame) const override {
    return functions_[function](frame.profile, frame.event, frame.locals,
                                frame.now);
  }

  const char* Name() const override { return "jit"; }

 private:
  // Declared before the LLJIT so that it is destroyed after it: the
  // LLJIT's compiler holds a pointer to it.
  std::unique_ptr<FileObjectCache> cache_;
  std::unique_ptr<llvm::orc::LLJIT> lljit_;
  std::vector<CompiledFunction> functions_;
};

llvm::Expected<std::unique_ptr<ir::Evaluator>> Build(const ir::Program& program,
                                                     const JitOptions& options,
                                                     JitReport& report) {
  std::string problem = ir::Verify(program);
  if (!problem.empty()) return Failure("invalid IR: " + problem);
  auto machine = HostMachine(options.optimize);
  if (!machine) return machine.takeError();

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = BuildModule(program, *context, *machine);
  if (!module) return module.takeError();
  size_t count = program.functions.size();

  // A hit skips the optimiser and the code generator; a cache entry that
  // fails to load is recompiled and overwritten below.
  std::unique_ptr<FileObjectCache> cache;
  if (!options.cache_dir.empty()) {
    std::string key =
        CacheKey(ModuleText(**module), options.optimize, *machine);
    cache = std::make_unique<FileObjectCache>(options.cache_dir, key);
    report.cache_file = cache->Path();
    if (auto object = cache->getObject(module->get())) {
      auto loaded = LoadObject(*machine, std::move(object), count);
      if (loaded) {
        report.cache_hit = true;
        return std::make_unique<Jit>(std::move(cache), std::move(*loaded));
      }
      llvm::consumeError(loaded.takeError());
    }
    cache->StopReading();
  }

  if (options.optimize) {
    if (llvm::Error error = Optimize(**module, *machine)) {
      return error;
    }
  }
  auto compiled = CompileModule(
      *machine, cache.get(),
      llvm::orc::ThreadSafeModule(std::move(*module), std::move(context)),
      count);
  if (!compiled) return compiled.takeError();
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
  auto machine = HostMachine(optimize);
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

}  // namespace parcours::jit
