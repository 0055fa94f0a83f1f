#include "tools/driver/compile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include "compiler/ir/passes.h"
#include "compiler/lower/lower.h"
#include "compiler/lower/policy_sources.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace parcours::driver {
namespace fs = std::filesystem;

std::vector<std::string> CollectSources(const std::vector<std::string>& paths,
                                        std::string* error) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    // Many tools read stdin for `-`; looked up as a file, it gave "cannot
    // read `-`: No such file or directory". A program is files that
    // import each other and diagnostics name them, so stdin is not read.
    if (path == "-") {
      *error =
          "`-` (standard input) cannot be read as a program: name its "
          ".journey files or folders, and save an editor's text to a file "
          "first (`./-` names a file called `-`)";
      return {};
    }
    std::error_code code;
    fs::file_status status = fs::status(path, code);
    if (code) {
      *error = "cannot read `" + path + "`: " + code.message();
      return {};
    }
    if (fs::is_directory(status)) {
      // Entries that cannot be inspected (a symlink loop, a vanished file)
      // are passed over: they cannot be `.journey` sources we could read.
      for (auto it = fs::recursive_directory_iterator(path, code);
           !code && it != fs::recursive_directory_iterator();
           it.increment(code)) {
        std::error_code entry_code;
        bool regular = it->is_regular_file(entry_code);
        bool source = it->path().extension() == ".journey";
        if (regular && source) files.push_back(it->path().string());
        // A link to a source that is gone would leave its journeys out of
        // the check without a word.
        if (source && it->is_symlink(entry_code) &&
            !fs::exists(it->path(), entry_code)) {
          *error = "cannot read `" + it->path().string() + "`: it links to `" +
                   fs::read_symlink(it->path(), entry_code).string() +
                   "`, which does not exist";
          return {};
        }
      }
    } else {
      files.push_back(path);
    }
    if (code) {
      *error = "cannot read `" + path + "`: " + code.message();
      return {};
    }
  }

  // The same file named twice (`a.journey ./a.journey`) is read once.
  std::sort(files.begin(), files.end());
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (const std::string& file : files) {
    std::error_code code;
    fs::path canonical = fs::weakly_canonical(file, code);
    if (seen.insert(code ? file : canonical.string()).second) {
      unique.push_back(file);
    }
  }
  return unique;
}

std::string WhyUnreadable(const std::string& path) {
  std::error_code code;
  if (fs::is_directory(path, code)) return "it is a folder";
  int descriptor = ::open(path.c_str(), O_RDONLY);
  if (descriptor < 0) return std::strerror(errno);
  ::close(descriptor);
  return "it could not be read to its end";
}

namespace {

// Reads at most one byte more than the parser accepts, so that a huge or
// endless file (`/dev/zero`) is refused by its size, not by exhausting
// memory.
bool ReadFile(const std::string& path, std::string* text) {
  std::error_code code;
  if (fs::is_directory(path, code)) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  text->assign(syntax::kMaxSourceBytes + 1, '\0');
  in.read(text->data(), static_cast<std::streamsize>(text->size()));
  text->resize(static_cast<size_t>(in.gcount()));
  // Give back the rest of the buffer: a folder of many files would
  // otherwise hold the whole limit for each one.
  text->shrink_to_fit();
  return !in.bad();
}

class PhaseTimer {
 public:
  PhaseTimer(bool on, std::ostream& err) : on_(on), err_(err) {}

  void Done(const char* phase) {
    auto now = std::chrono::steady_clock::now();
    if (on_) {
      std::chrono::duration<double, std::milli> spent = now - start_;
      err_ << "parcours: " << phase << " " << spent.count() << " ms\n";
    }
    start_ = now;
  }

 private:
  bool on_;
  std::ostream& err_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
};

void Print(const diag::DiagnosticEngine& engine, CompileResult& result,
           const CompileOptions& options, std::ostream& err) {
  std::vector<diag::Diagnostic> diagnostics = engine.Sorted();
  std::ostream& machine =
      options.machine_out != nullptr ? *options.machine_out : err;
  switch (options.format) {
    case DiagnosticFormat::Text:
      for (const auto& diagnostic : diagnostics) {
        err << diag::RenderText(diagnostic, result.sources);
      }
      return;
    case DiagnosticFormat::Json:
      for (const auto& diagnostic : diagnostics) {
        machine << diag::RenderJson(diagnostic, result.sources) << "\n";
      }
      return;
    case DiagnosticFormat::Sarif:
      if (options.hold_sarif) {
        result.held_diagnostics = std::move(diagnostics);
        return;
      }
      machine << diag::RenderSarif(diagnostics, result.sources);
      return;
  }
}

bool ParseInto(const std::string& file, CompileResult& result,
               diag::DiagnosticEngine& engine, std::ostream& err) {
  std::string text;
  if (!ReadFile(file, &text)) {
    err << "parcours: cannot read `" << file << "`: " << WhyUnreadable(file)
        << "\n";
    result.io_failed = true;
    return false;
  }
  int32_t id = result.sources.Add(file, std::move(text));
  auto module = syntax::ParseFile(result.sources, id, engine);
  if (module) result.modules.push_back(std::move(*module));
  return true;
}

}  // namespace

std::string StandardLibraryDir() {
  const char* configured = std::getenv("PARCOURS_STDLIB");
  if (configured != nullptr && *configured != '\0') return configured;
  return PARCOURS_STDLIB_DIR;
}

void LoadStandardModules(CompileResult& result, diag::DiagnosticEngine& engine,
                         std::ostream& err) {
  // Imports of `std.*` that no given file declares come from the standard
  // library, which may import more of itself; loop until nothing is new.
  std::set<std::string> attempted;
  for (bool loaded = true; loaded;) {
    loaded = false;
    std::set<std::string> declared;
    for (const syntax::Module& module : result.modules) {
      if (module.name) declared.insert(module.name->text);
    }
    std::vector<std::string> wanted;
    for (const syntax::Module& module : result.modules) {
      for (const syntax::Name& import : module.imports) {
        bool standard = import.text.rfind("std.", 0) == 0;
        if (standard && !declared.count(import.text) &&
            attempted.insert(import.text).second) {
          wanted.push_back(import.text);
        }
      }
    }
    for (const std::string& name : wanted) {
      std::string relative = name;
      std::replace(relative.begin(), relative.end(), '.', '/');
      fs::path path = fs::path(StandardLibraryDir()) / (relative + ".journey");
      std::error_code code;
      if (!fs::exists(path, code)) continue;  // sema reports the import
      if (!ParseInto(path.string(), result, engine, err)) return;
      loaded = true;
    }
  }
}

CompileResult Compile(const std::vector<std::string>& paths,
                      const CompileOptions& options, std::ostream& err,
                      bool stop_after_parse, bool check_only) {
  CompileResult result;
  diag::DiagnosticEngine engine;
  engine.SetWarningsAsErrors(options.warnings_as_errors);
  PhaseTimer timer(options.verbose, err);

  std::string error;
  std::vector<std::string> files = CollectSources(paths, &error);
  if (!error.empty() || files.empty()) {
    err << "parcours: "
        << (error.empty() ? "no .journey files in the given paths" : error)
        << "\n";
    result.io_failed = true;
    return result;
  }
  for (const std::string& file : files) {
    if (!ParseInto(file, result, engine, err)) return result;
  }
  LoadStandardModules(result, engine, err);
  timer.Done("parse");

  if (!stop_after_parse && !engine.HasErrors()) {
    sema::CheckedProgram checked =
        sema::Check(std::move(result.modules), engine);
    result.modules.clear();
    timer.Done("check");
    if (!engine.HasErrors() && !check_only &&
        lower::CheckRunnable(checked, engine, options.with_tests)) {
      result.program = lower::Lower(checked);
      if (options.with_tests) {
        result.tests =
            lower::LowerTests(checked, *result.program, result.sources);
      }
      lower::DescribePolicyRules(*result.program, result.sources);
      timer.Done("lower");
      ir::RunPasses(*result.program);
      timer.Done("passes");
      std::string problem = ir::Verify(*result.program);
      if (!problem.empty()) {
        err << "parcours: internal error: the IR is invalid: " << problem
            << "\n";
        std::abort();
      }
    }
  }

  result.errors = engine.ErrorCount();
  result.warnings = engine.WarningCount();
  if (engine.HasErrors()) result.program.reset();
  Print(engine, result, options, err);
  return result;
}

}  // namespace parcours::driver
