// `parcours fmt`: rewrite files into the canonical layout, or with
// `--check` only say which ones are not in it.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "compiler/syntax/format.h"
#include "tools/driver/commands.h"
#include "tools/driver/compile.h"

namespace parcours::driver {
namespace {

const char kFmtUsage[] =
    "usage: parcours fmt [--check] [--format text|json|sarif] PATH...\n";

bool ReadWhole(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *text = buffer.str();
  return !in.bad();
}

// Writes `text` to a new file beside `path` and renames it over the file,
// so that a write that fails part way (a full disk) leaves the source as
// it was. A symbolic link is followed, so it still points at the file,
// and the file's permissions are kept. On failure says why in `why`.
bool WriteWhole(const std::string& path, const std::string& text,
                std::string* why) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path real = fs::canonical(path, error);
  if (error) {
    *why = error.message();
    return false;
  }
  // A file nobody may write is one its owner keeps as it is (a vendored
  // or generated file); replacing it by a rename would not ask, even
  // for root.
  fs::perms mode = fs::status(real, error).permissions();
  if (!error && (mode & (fs::perms::owner_write | fs::perms::group_write |
                         fs::perms::others_write)) == fs::perms::none) {
    *why =
        "it is read-only (no one may write it); make it writable to "
        "format it";
    return false;
  }
  fs::path temporary =
      real.parent_path() /
      ("." + real.filename().string() + ".fmt-" + std::to_string(::getpid()));

  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) {
    *why = "cannot create a file beside it in its folder (" +
           std::string(std::strerror(errno)) + ")";
    return false;
  }
  out << text;
  out.close();
  if (!out.good()) {
    *why = std::strerror(errno);
    fs::remove(temporary, error);
    return false;
  }
  fs::permissions(temporary, fs::status(real, error).permissions(), error);
  fs::rename(temporary, real, error);
  if (error) {
    *why = error.message();
    fs::remove(temporary, error);
    return false;
  }
  return true;
}

void PrintDiagnostics(const diag::DiagnosticEngine& engine,
                      const diag::SourceManager& sources,
                      DiagnosticFormat format, std::ostream& err) {
  std::vector<diag::Diagnostic> diagnostics = engine.Sorted();
  switch (format) {
    case DiagnosticFormat::Text:
      for (const auto& diagnostic : diagnostics) {
        err << diag::RenderText(diagnostic, sources);
      }
      return;
    case DiagnosticFormat::Json:
      for (const auto& diagnostic : diagnostics) {
        err << diag::RenderJson(diagnostic, sources) << "\n";
      }
      return;
    case DiagnosticFormat::Sarif:
      err << diag::RenderSarif(diagnostics, sources);
      return;
  }
}

struct FmtTally {
  int unformatted = 0;  // with `--check`: files that would change
  bool io_failed = false;
};

// Formats one file; prints what `--check` finds on `out`.
void FormatOne(const std::string& path, bool check,
               diag::SourceManager& sources, diag::DiagnosticEngine& engine,
               FmtTally& tally, std::ostream& out, std::ostream& err) {
  std::string text;
  if (!ReadWhole(path, &text)) {
    err << "parcours: cannot read `" << path << "`: " << WhyUnreadable(path)
        << "\n";
    tally.io_failed = true;
    return;
  }
  int32_t file = sources.Add(path, text);
  std::optional<std::string> formatted =
      syntax::FormatSource(sources, file, engine);
  if (!formatted || *formatted == text) return;

  if (check) {
    out << path << ": not formatted\n" << syntax::ShortDiff(text, *formatted);
    ++tally.unformatted;
    return;
  }
  std::string why;
  if (!WriteWhole(path, *formatted, &why)) {
    err << "parcours: cannot write `" << path << "`: " << why
        << "; it is left as it was\n";
    tally.io_failed = true;
  }
}

}  // namespace

int FmtCommand(const std::vector<std::string>& raw, std::ostream& out,
               std::ostream& err) {
  std::string error;
  Arguments args = ParseArguments(raw, {"--format"}, {"--check"}, &error);
  CompileOptions options;
  if (error.empty() && args.positional.empty()) {
    error = "name at least one .journey file or folder";
  }
  if (error.empty()) ParseCompileOptions(args, &options, &error);
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kFmtUsage;
    return 2;
  }
  std::vector<std::string> files = CollectSources(args.positional, &error);
  if (error.empty() && files.empty()) {
    error = "no .journey files in the given paths";
  }
  if (!error.empty()) {
    err << "parcours: " << error << "\n";
    return 2;
  }

  bool check = args.Has("--check");
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  FmtTally tally;
  for (const std::string& path : files) {
    FormatOne(path, check, sources, engine, tally, out, err);
  }
  PrintDiagnostics(engine, sources, options.format, err);

  if (tally.unformatted > 0) {
    err << "parcours: " << tally.unformatted << " of " << files.size()
        << " file(s) not formatted; `parcours fmt` rewrites them\n";
  }
  if (tally.io_failed) return 2;
  return engine.HasErrors() || tally.unformatted > 0 ? 1 : 0;
}

}  // namespace parcours::driver
