// Diagnostics: the user's mistakes, collected as data and printed the way
// compilers print them.
//
// Phases report into a `DiagnosticEngine` and carry on; nothing throws a
// diagnostic. The set of kinds is closed and listed once in codes.def.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace parcours::diag {

enum class Severity : uint8_t { Error, Warning, Note };

enum class Kind : uint16_t {
#define DIAGNOSTIC(name, code, severity, summary) name,
#include "compiler/diag/codes.def"
#undef DIAGNOSTIC
};

struct KindInfo {
  Kind kind;
  const char* code;
  Severity severity;
  const char* summary;
};

// Every registered kind, in code order of codes.def.
const std::vector<KindInfo>& AllKinds();
const KindInfo& Info(Kind kind);

// A region of one source file. Lines and columns count from 1; columns
// count Unicode code points; `end_column` is one past the last character.
struct Span {
  int32_t file = -1;
  int32_t line = 0;
  int32_t column = 0;
  int32_t end_line = 0;
  int32_t end_column = 0;

  bool Valid() const { return file >= 0 && line > 0; }
};

struct Note {
  Span span;
  std::string message;
};

struct Diagnostic {
  Kind kind;
  Severity severity;
  Span span;
  std::string message;
  std::vector<Note> notes;
};

// The files a compilation read, so that diagnostics can quote them.
class SourceManager {
 public:
  int32_t Add(std::string path, std::string text);
  const std::string& Path(int32_t file) const { return files_[file].path; }
  const std::string& Text(int32_t file) const { return files_[file].text; }
  // The text of line `line` (from 1) without its newline; empty if none.
  std::string LineText(int32_t file, int32_t line) const;
  int32_t FileCount() const { return static_cast<int32_t>(files_.size()); }

 private:
  struct File {
    std::string path;
    std::string text;
    std::vector<size_t> line_starts;
  };
  std::vector<File> files_;
};

class DiagnosticEngine {
 public:
  // After this many errors, one `TooManyErrors` is added and further errors
  // are dropped, so a broken file does not bury the first real problem.
  static constexpr int kMaxErrors = 20;

  void Report(Kind kind, Span span, std::string message,
              std::vector<Note> notes = {});

  bool HasErrors() const { return error_count_ > 0; }
  int ErrorCount() const { return error_count_; }
  int WarningCount() const { return warning_count_; }

  // Warnings count as errors (`--werror`).
  void SetWarningsAsErrors(bool on) { warnings_as_errors_ = on; }

  // The diagnostics sorted by file, then position, then report order.
  std::vector<Diagnostic> Sorted() const;

 private:
  std::vector<Diagnostic> diagnostics_;
  int error_count_ = 0;
  int warning_count_ = 0;
  bool warnings_as_errors_ = false;
  bool capped_ = false;
};

// `path:line:col: error[E0203]: message`, the source line, a caret range
// under the span, then notes.
std::string RenderText(const Diagnostic& diagnostic,
                       const SourceManager& sources);

// `text` escaped for the inside of a JSON string: quotes, backslashes
// and control characters; other UTF-8 bytes as they are.
std::string JsonEscape(const std::string& text);

// One JSON object per diagnostic, on one line.
std::string RenderJson(const Diagnostic& diagnostic,
                       const SourceManager& sources);

// A whole SARIF 2.1.0 log for `diagnostics`.
std::string RenderSarif(const std::vector<Diagnostic>& diagnostics,
                        const SourceManager& sources);

// Levenshtein distance, for "did you mean" suggestions.
int EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `name`, or "" when none is close enough to be a
// plausible typo.
std::string ClosestName(const std::string& name,
                        const std::vector<std::string>& candidates);

}  // namespace parcours::diag
