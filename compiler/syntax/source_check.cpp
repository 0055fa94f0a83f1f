#include "compiler/syntax/source_check.h"

#include "compiler/syntax/parser.h"

namespace parcours::syntax {
namespace {

// Length of the UTF-8 sequence starting at `text[i]`, or 0 when it is not
// a valid, shortest-form encoding of a scalar value.
size_t Utf8SequenceLength(const std::string& text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) return 1;

  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }

  static const uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  bool overlong = code_point < kSmallest[length];
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (overlong || surrogate || code_point > 0x10FFFF) return 0;
  return length;
}

std::string ToHex(char c) {
  static const char kDigits[] = "0123456789ABCDEF";
  auto byte = static_cast<unsigned char>(c);
  return {kDigits[byte >> 4], kDigits[byte & 0xF]};
}

diag::Span SpanAt(const std::string& text, int32_t file, size_t offset) {
  int32_t line = 1;
  int32_t column = 1;
  for (size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {file, line, column, line, column + 1};
}

// What a file that is not UTF-8 looks like it is, said after the error:
// an editor's "Unicode" (UTF-16, whose ASCII letters come with a NUL byte
// each) or a compressed download. Empty when it looks like neither.
std::string EncodingHint(const std::string& text) {
  auto starts = [&](std::string_view prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
  };
  bool utf16 = starts("\xFF\xFE") || starts("\xFE\xFF") ||
               (text.size() >= 2 && (text[0] == '\0') != (text[1] == '\0'));
  if (utf16) {
    return " (it looks like UTF-16 text; convert it with `iconv -f UTF-16 "
           "-t UTF-8`)";
  }
  if (starts("\x1F\x8B")) return " (it is gzip-compressed; `gunzip` it first)";
  return "";
}

}  // namespace

bool CheckSourceBytes(const diag::SourceManager& sources, int32_t file,
                      diag::DiagnosticEngine& diagnostics) {
  const std::string& text = sources.Text(file);
  if (text.size() > kMaxSourceBytes) {
    diagnostics.Report(diag::Kind::FileTooLarge, {file, 1, 1, 1, 2},
                       "file is larger than the limit of " +
                           std::to_string(kMaxSourceBytes) +
                           " bytes; split it into modules");
    return false;
  }

  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      std::string hint = EncodingHint(text);
      diagnostics.Report(diag::Kind::NulByte, SpanAt(text, file, i),
                         hint.empty()
                             ? "file contains a NUL byte; is it a binary file?"
                             : "file contains a NUL byte" + hint);
      return false;
    }
    size_t length = Utf8SequenceLength(text, i);
    if (length == 0) {
      diagnostics.Report(diag::Kind::InvalidUtf8, SpanAt(text, file, i),
                         "byte 0x" + ToHex(text[i]) +
                             " is not valid UTF-8; save the file as UTF-8" +
                             EncodingHint(text));
      return false;
    }
    i += length;
  }
  return true;
}

}  // namespace parcours::syntax
