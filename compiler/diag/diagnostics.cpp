#include "compiler/diag/diagnostics.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>
#include <tuple>

#include "compiler/diag/sarif.h"

namespace parcours::diag {

const std::vector<KindInfo>& AllKinds() {
  static const std::vector<KindInfo> kinds = {
#define DIAGNOSTIC(name, code, severity, summary) \
  {Kind::name, code, Severity::severity, summary},
#include "compiler/diag/codes.def"
#undef DIAGNOSTIC
  };
  return kinds;
}

const KindInfo& Info(Kind kind) {
  return AllKinds()[static_cast<size_t>(kind)];
}

int32_t SourceManager::Add(std::string path, std::string text) {
  File file{std::move(path), std::move(text), {0}};
  for (size_t i = 0; i < file.text.size(); ++i) {
    if (file.text[i] == '\n') file.line_starts.push_back(i + 1);
  }
  files_.push_back(std::move(file));
  return static_cast<int32_t>(files_.size() - 1);
}

std::string SourceManager::LineText(int32_t file, int32_t line) const {
  const File& source = files_[file];
  if (line < 1 || static_cast<size_t>(line) > source.line_starts.size()) {
    return "";
  }
  size_t begin = source.line_starts[line - 1];
  size_t end = source.text.find('\n', begin);
  if (end == std::string::npos) end = source.text.size();
  if (end > begin && source.text[end - 1] == '\r') --end;
  return source.text.substr(begin, end - begin);
}

void DiagnosticEngine::Report(Kind kind, Span span, std::string message,
                              std::vector<Note> notes) {
  Severity severity = Info(kind).severity;
  if (severity == Severity::Warning && warnings_as_errors_) {
    severity = Severity::Error;
  }
  if (capped_) return;
  if (severity == Severity::Error && error_count_ >= kMaxErrors) {
    capped_ = true;
    diagnostics_.push_back(
        {Kind::TooManyErrors,
         Severity::Error,
         span,
         "too many errors; stopping after " + std::to_string(kMaxErrors),
         {}});
    return;
  }

  if (severity == Severity::Error) ++error_count_;
  if (severity == Severity::Warning) ++warning_count_;
  diagnostics_.push_back(
      {kind, severity, span, std::move(message), std::move(notes)});
}

std::vector<Diagnostic> DiagnosticEngine::Sorted() const {
  std::vector<Diagnostic> sorted = diagnostics_;
  // The cap note stays last whatever its position says.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     bool a_cap = a.kind == Kind::TooManyErrors;
                     bool b_cap = b.kind == Kind::TooManyErrors;
                     if (a_cap != b_cap) return b_cap;
                     return std::tie(a.span.file, a.span.line, a.span.column) <
                            std::tie(b.span.file, b.span.line, b.span.column);
                   });
  return sorted;
}

namespace {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// How many terminal columns a code point takes: two for the wide
// characters of East Asian scripts and for emoji, none for combining
// marks and zero-width joiners and selectors, one for the rest.
int DisplayWidth(uint32_t code) {
  static const std::pair<uint32_t, uint32_t> kZero[] = {
      {0x0300, 0x036F}, {0x200B, 0x200F}, {0x20D0, 0x20FF},
      {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF},
  };
  static const std::pair<uint32_t, uint32_t> kWide[] = {
      {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
      {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
      {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},
      {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
      {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD},
      {0x30000, 0x3FFFD},
  };
  for (const auto& [first, last] : kZero) {
    if (code >= first && code <= last) return 0;
  }
  for (const auto& [first, last] : kWide) {
    if (code >= first && code <= last) return 2;
  }
  return 1;
}

// The code point that starts at `line[i]` (UTF-8, checked on reading the
// file), and the index past it.
uint32_t DecodeAt(const std::string& line, size_t& i) {
  auto byte = [&line](size_t at) {
    return at < line.size() ? static_cast<unsigned char>(line[at]) : 0;
  };
  unsigned char lead = byte(i);
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  uint32_t code = extra == 0   ? lead
                  : extra == 1 ? lead & 0x1F
                  : extra == 2 ? lead & 0x0F
                               : lead & 0x07;
  ++i;
  for (int k = 0; k < extra && (byte(i) & 0xC0) == 0x80; ++k, ++i) {
    code = (code << 6) | (byte(i) & 0x3F);
  }
  return code;
}

// What goes under `line` before code point `column` (from 1): a blank
// of each character's width, tabs kept as tabs, so that a caret lines up
// beneath in a terminal. With `underline`, also the terminal columns of
// the code points from `column` up to `end` (excluded), each position
// past the end of the line counting one.
std::string CaretIndent(const std::string& line, int32_t column,
                        int32_t end = 0, int32_t* underline = nullptr) {
  std::string indent;
  int32_t wide = 0;
  size_t i = 0;
  for (int32_t code_point = 1; code_point < column || code_point < end;
       ++code_point) {
    if (i >= line.size()) {
      if (code_point >= column) ++wide;
      continue;
    }
    bool tab = line[i] == '\t';
    int width = DisplayWidth(DecodeAt(line, i));
    if (code_point < column) {
      indent += tab ? std::string(1, '\t') : std::string(width, ' ');
    } else {
      wide += width;
    }
  }
  if (underline != nullptr) *underline = wide;
  return indent;
}

std::string Location(const Span& span, const SourceManager& sources) {
  if (!span.Valid()) return "parcours";
  return sources.Path(span.file) + ":" + std::to_string(span.line) + ":" +
         std::to_string(span.column);
}

// Control characters, DEL and bytes that are not UTF-8 would garble a
// terminal (a stray 0x9B starts an escape sequence on some), so each
// prints as one `?`, which keeps the caret in its column.
std::string Printable(std::string text) {
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte < 0x20 && byte != '\t') || byte == 0x7F) text[i] = '?';
      ++i;
      continue;
    }
    size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC2 ? 2 : 0;
    bool whole = length > 0 && i + length <= text.size();
    for (size_t k = 1; whole && k < length; ++k) {
      whole = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (!whole || byte > 0xF4) {
      text[i] = '?';
      ++i;
      continue;
    }
    i += length;
  }
  return text;
}

bool IsAscii(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80;
  });
}

void RenderQuote(std::ostringstream& out, const Span& span,
                 const SourceManager& sources) {
  if (!span.Valid()) return;
  std::string text = Printable(sources.LineText(span.file, span.line));
  int32_t column = span.column;
  int32_t width = 1;
  if (span.end_line == span.line && span.end_column > span.column) {
    width = span.end_column - span.column;
  }

  // A very long line is shown as a window around the caret.
  constexpr int32_t kContext = 40;
  constexpr int32_t kMaxShown = 120;
  if (IsAscii(text) && static_cast<int32_t>(text.size()) > kMaxShown) {
    int32_t begin = std::max(0, column - 1 - kContext);
    text = (begin > 0 ? "..." : "") + text.substr(begin, kMaxShown) + "...";
    column = column - begin + (begin > 0 ? 3 : 0);
    width = std::min(width, kMaxShown);
  }

  // The underline spans the terminal columns of the span's characters
  // (two for a wide one), at least one.
  int32_t shown = 0;
  std::string indent = CaretIndent(text, column, column + width, &shown);
  shown = std::max(shown, 1);

  std::string number = std::to_string(span.line);
  out << "  " << number << " | " << text << "\n"
      << "  " << std::string(number.size(), ' ') << " | " << indent << "^"
      << std::string(static_cast<size_t>(shown - 1), '~') << "\n";
}

}  // namespace

std::string JsonEscape(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

namespace {

std::string JsonSpan(const Span& span, const SourceManager& sources) {
  if (!span.Valid()) return "null";
  std::ostringstream out;
  out << "{\"file\":\"" << JsonEscape(sources.Path(span.file))
      << "\",\"line\":" << span.line << ",\"column\":" << span.column
      << ",\"end_line\":" << span.end_line
      << ",\"end_column\":" << span.end_column << "}";
  return out.str();
}

}  // namespace

std::string RenderText(const Diagnostic& diagnostic,
                       const SourceManager& sources) {
  std::ostringstream out;
  out << Location(diagnostic.span, sources) << ": "
      << SeverityName(diagnostic.severity) << "[" << Info(diagnostic.kind).code
      << "]: " << diagnostic.message << "\n";
  RenderQuote(out, diagnostic.span, sources);
  for (const Note& note : diagnostic.notes) {
    out << Location(note.span, sources) << ": note: " << note.message << "\n";
    RenderQuote(out, note.span, sources);
  }
  return out.str();
}

std::string RenderJson(const Diagnostic& diagnostic,
                       const SourceManager& sources) {
  std::ostringstream out;
  out << "{\"code\":\"" << Info(diagnostic.kind).code << "\",\"severity\":\""
      << SeverityName(diagnostic.severity) << "\",\"message\":\""
      << JsonEscape(diagnostic.message)
      << "\",\"span\":" << JsonSpan(diagnostic.span, sources) << ",\"notes\":[";
  for (size_t i = 0; i < diagnostic.notes.size(); ++i) {
    const Note& note = diagnostic.notes[i];
    out << (i ? "," : "") << "{\"message\":\"" << JsonEscape(note.message)
        << "\",\"span\":" << JsonSpan(note.span, sources) << "}";
  }
  out << "]}";
  return out.str();
}

namespace {

// A file path as a SARIF `uri` (a URI reference): bytes other than
// letters, digits, `-._~` and the `/` separators are percent-encoded, so
// that a space, a `#` or an accented name survive readers that parse it.
std::string UriReference(const std::string& path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string uri;
  for (unsigned char c : path) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                 c == '~' || c == '/';
    if (plain) {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 15];
    }
  }
  return uri;
}

}  // namespace

std::string RenderSarif(const std::vector<Diagnostic>& diagnostics,
                        const SourceManager& sources) {
  return RenderSarifWith(diagnostics, sources, {});
}

std::string RenderSarifWith(const std::vector<Diagnostic>& diagnostics,
                            const SourceManager& sources,
                            const std::vector<SarifResult>& others) {
  std::ostringstream out;
  out << "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
         "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
         "\"name\":\"parcours\",\"rules\":[";
  const auto& kinds = AllKinds();
  for (size_t i = 0; i < kinds.size(); ++i) {
    out << (i ? "," : "") << "{\"id\":\"" << kinds[i].code
        << "\",\"shortDescription\":{\"text\":\""
        << JsonEscape(kinds[i].summary) << "\"}}";
  }
  // Each rule of the other results once, in the order first met.
  std::vector<std::string> other_rules;
  for (const SarifResult& other : others) {
    if (std::find(other_rules.begin(), other_rules.end(), other.rule_id) !=
        other_rules.end()) {
      continue;
    }
    other_rules.push_back(other.rule_id);
    out << ",{\"id\":\"" << JsonEscape(other.rule_id)
        << "\",\"shortDescription\":{\"text\":\""
        << JsonEscape(other.rule_summary) << "\"}}";
  }
  // Columns count code points, as in the text form; without this a SARIF
  // reader may take them for UTF-16 units and point past a line's emoji.
  out << "]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[";
  for (size_t i = 0; i < diagnostics.size(); ++i) {
    const Diagnostic& diagnostic = diagnostics[i];
    const char* level =
        diagnostic.severity == Severity::Error ? "error" : "warning";
    out << (i ? "," : "") << "{\"ruleId\":\"" << Info(diagnostic.kind).code
        << "\",\"level\":\"" << level << "\",\"message\":{\"text\":\""
        << JsonEscape(diagnostic.message) << "\"}";
    if (diagnostic.span.Valid()) {
      const Span& span = diagnostic.span;
      out << ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":"
             "{\"uri\":\""
          << JsonEscape(UriReference(sources.Path(span.file)))
          << "\"},\"region\":{\"startLine\":" << span.line
          << ",\"startColumn\":" << span.column
          << ",\"endLine\":" << span.end_line
          << ",\"endColumn\":" << span.end_column << "}}}]";
    }
    out << "}";
  }
  for (size_t i = 0; i < others.size(); ++i) {
    const SarifResult& other = others[i];
    out << (i + diagnostics.size() > 0 ? "," : "") << "{\"ruleId\":\""
        << JsonEscape(other.rule_id)
        << "\",\"level\":\"error\",\"message\":{\"text\":\""
        << JsonEscape(other.message) << "\"}";
    if (!other.path.empty()) {
      out << ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":"
             "{\"uri\":\""
          << JsonEscape(UriReference(other.path))
          << "\"},\"region\":{\"startLine\":" << other.line
          << ",\"startColumn\":" << other.column << "}}}]";
    }
    out << "}";
  }
  out << "]}]}\n";
  return out.str();
}

int EditDistance(const std::string& a, const std::string& b) {
  std::vector<int> previous(b.size() + 1), current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] =
          std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string ClosestName(const std::string& name,
                        const std::vector<std::string>& candidates) {
  // Suggestions are for typos in names people type; comparing huge names
  // would cost the product of their lengths.
  constexpr size_t kLongestName = 64;
  if (name.size() > kLongestName) return "";
  // The same name in other capitals (`vip` for `VIP`, `orderplaced`) is
  // meant, however many letters that changes.
  auto lower = [](std::string text) {
    for (char& c : text) c = std::tolower(static_cast<unsigned char>(c));
    return text;
  };
  std::string folded = lower(name);
  for (const std::string& candidate : candidates) {
    if (candidate != name && lower(candidate) == folded) return candidate;
  }
  std::string best;
  // Up to a third of the name may differ, and at least two edits (a
  // swapped pair of letters counts as two).
  int best_distance = std::max(2, static_cast<int>(name.size() / 3)) + 1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > kLongestName) continue;
    int distance = EditDistance(name, candidate);
    // A candidate reached only by changing every letter is another name,
    // not a typo of this one: `c` is not a misspelt `v`.
    bool rewritten =
        distance >= static_cast<int>(std::max(name.size(), candidate.size()));
    if (rewritten) continue;
    if (distance < best_distance ||
        (distance == best_distance && !best.empty() && candidate < best)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace parcours::diag
