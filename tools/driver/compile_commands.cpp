// `parcours check` and `parcours build`.
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "compiler/jit/jit.h"
#include "compiler/syntax/ast.h"
#include "tools/driver/commands.h"

namespace parcours::driver {
namespace {

const std::vector<std::string> kCompileFlags = {"--format"};
const std::vector<std::string> kCompileBareFlags = {"--werror", "--verbose"};

// Printed after a usage error, as the other commands do.
const char kCheckUsage[] =
    "usage: parcours check PATH... [--format text|json|sarif] [--werror]\n"
    "       [--verbose]\n";
const char kBuildUsage[] =
    "usage: parcours build PATH... [--emit ast|ir|llvm] [-o FILE]\n"
    "       [--format text|json|sarif] [--werror] [--verbose]\n";

// Parses the common arguments; returns false (after printing why and the
// command's `usage`) on a usage error.
bool Prepare(const std::vector<std::string>& raw,
             std::vector<std::string> extra_flags, const char* usage,
             Arguments* args, CompileOptions* options, std::ostream& err) {
  std::string error;
  extra_flags.insert(extra_flags.end(), kCompileFlags.begin(),
                     kCompileFlags.end());
  *args = ParseArguments(raw, extra_flags, kCompileBareFlags, &error);
  if (error.empty() && args->positional.empty()) {
    error = "name at least one .journey file or folder";
  }
  if (error.empty()) ParseCompileOptions(*args, options, &error);
  if (error.empty()) return true;
  err << "parcours: " << error << "\n" << usage;
  return false;
}

}  // namespace

int CheckCommand(const std::vector<std::string>& raw, std::ostream& out,
                 std::ostream& err) {
  Arguments args;
  CompileOptions options;
  if (!Prepare(raw, {}, kCheckUsage, &args, &options, err)) return 2;
  options.machine_out = &out;

  CompileResult result = Compile(args.positional, options, err,
                                 /*stop_after_parse=*/false,
                                 /*check_only=*/true);
  if (result.io_failed) return 2;
  if (options.format == DiagnosticFormat::Text) {
    err << (result.errors ? "failed" : "ok") << ": " << result.errors
        << " error(s), " << result.warnings << " warning(s) in "
        << result.sources.FileCount() << " file(s)\n";
  }
  return result.errors ? 1 : 0;
}

int BuildCommand(const std::vector<std::string>& raw, std::ostream& out,
                 std::ostream& err) {
  Arguments args;
  CompileOptions options;
  if (!Prepare(raw, {"--emit", "-o"}, kBuildUsage, &args, &options, err)) {
    return 2;
  }
  std::string emit = args.Get("--emit", "ir");
  if (emit != "ast" && emit != "ir" && emit != "llvm") {
    err << "parcours: `--emit` takes ast, ir or llvm, not `" << emit << "`\n"
        << kBuildUsage;
    return 2;
  }

  CompileResult result = Compile(args.positional, options, err,
                                 /*stop_after_parse=*/emit == "ast");
  if (result.io_failed) return 2;
  if (result.errors) return 1;

  std::string text;
  if (emit == "ast") {
    for (const syntax::Module& module : result.modules) {
      text += "// " + result.sources.Path(module.file) + "\n";
      text += syntax::Dump(module);
    }
  } else if (emit == "ir") {
    text = ir::Dump(*result.program);
  } else {
    auto start = std::chrono::steady_clock::now();
    text = jit::EmitLlvm(*result.program, /*optimize=*/true);
    std::chrono::duration<double, std::milli> spent =
        std::chrono::steady_clock::now() - start;
    if (options.verbose) err << "parcours: llvm " << spent.count() << " ms\n";
  }

  std::string path = args.Get("-o", "-");
  if (path == "-") {
    out << text;
    return 0;
  }
  // Writing the output over a source would lose the source.
  for (int32_t file = 0; file < result.sources.FileCount(); ++file) {
    std::error_code error;
    if (std::filesystem::equivalent(path, result.sources.Path(file), error)) {
      err << "parcours: `-o " << path << "` is one of the program's own "
          << "files; write the output elsewhere\n";
      return 2;
    }
  }
  // The reason (a missing folder, a full disk) is what the user acts on;
  // errno holds it right after the failed open or write.
  errno = 0;
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.flush();
  if (!file.good()) {
    err << "parcours: cannot write `" << path << "`";
    if (errno != 0) err << ": " << std::generic_category().message(errno);
    err << "\n";
    return 2;
  }
  return 0;
}

}  // namespace parcours::driver
