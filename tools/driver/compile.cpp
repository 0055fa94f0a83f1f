#include "tools/driver/compile.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"

namespace parcours::driver {
namespace fs = std::filesystem;

std::vector<std::string> CollectSources(const std::vector<std::string>& paths,
                                        std::string* error) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code code;
    if (fs::is_directory(path, code)) {
      for (auto it = fs::recursive_directory_iterator(path, code);
           !code && it != fs::recursive_directory_iterator();
           it.increment(code)) {
        if (it->is_regular_file() && it->path().extension() == ".journey") {
          files.push_back(it->path().string());
        }
      }
    } else if (fs::exists(path, code)) {
      files.push_back(path);
    } else {
      *error = "cannot read `" + path + "`: no such file or folder";
      return {};
    }
    if (code) {
      *error = "cannot read `" + path + "`: " + code.message();
      return {};
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

namespace {

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
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

void Print(const diag::DiagnosticEngine& engine, const CompileResult& result,
           const CompileOptions& options, std::ostream& err) {
  std::vector<diag::Diagnostic> diagnostics = engine.Sorted();
  switch (options.format) {
    case DiagnosticFormat::Text:
      for (const auto& diagnostic : diagnostics) {
        err << diag::RenderText(diagnostic, result.sources);
      }
      return;
    case DiagnosticFormat::Json:
      for (const auto& diagnostic : diagnostics) {
        err << diag::RenderJson(diagnostic, result.sources) << "\n";
      }
      return;
    case DiagnosticFormat::Sarif:
      err << diag::RenderSarif(diagnostics, result.sources);
      return;
  }
}

}  // namespace

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
    std::string text;
    if (!ReadFile(file, &text)) {
      err << "parcours: cannot read `" << file << "`\n";
      result.io_failed = true;
      return result;
    }
    int32_t id = result.sources.Add(file, std::move(text));
    auto module = syntax::ParseFile(result.sources, id, engine);
    if (module) result.modules.push_back(std::move(*module));
  }
  timer.Done("parse");

  if (!stop_after_parse && !engine.HasErrors()) {
    sema::CheckedProgram checked =
        sema::Check(std::move(result.modules), engine);
    result.modules.clear();
    timer.Done("check");
    if (!engine.HasErrors() && !check_only &&
        lower::CheckRunnable(checked, engine)) {
      result.program = lower::Lower(checked);
      timer.Done("lower");
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
