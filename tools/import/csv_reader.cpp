#include "tools/import/csv_reader.h"

#include <exception>
#include <streambuf>
#include <string_view>

namespace parcours::import {
namespace {

constexpr int kEnd = -1;

// Appends `byte` to `field` unless the field is full; remembers that it
// overflowed so the record can be reported once it has been read to its
// end.
void Append(std::string& field, int byte, size_t limit, bool& too_long) {
  if (field.size() < limit) {
    field.push_back(static_cast<char>(byte));
  } else {
    too_long = true;
  }
}

}  // namespace

CsvReader::CsvReader(std::istream& input, CsvDialect dialect, CsvLimits limits)
    : input_(input), dialect_(dialect), limits_(limits) {}

int CsvReader::Take() {
  int byte = input_.rdbuf()->sbumpc();
  if (byte == std::char_traits<char>::eof()) return kEnd;
  if (byte == '\n') ++line_;
  return byte;
}

int CsvReader::Peek() {
  int byte = input_.rdbuf()->sgetc();
  return byte == std::char_traits<char>::eof() ? kEnd : byte;
}

void CsvReader::KeepRaw(CsvRecord& record, int byte) {
  if (record.raw.size() < limits_.max_raw_bytes) {
    record.raw.push_back(static_cast<char>(byte));
  } else {
    record.raw_cut = true;
  }
}

bool CsvReader::Next(CsvRecord& record) {
  if (failed_ || input_.rdbuf() == nullptr) return false;

  // The stream buffer reports a read error by throwing; this reader uses
  // the buffer directly, so it catches for itself.
  try {
    return ReadRecord(record);
  } catch (const std::exception& error) {
    failed_ = true;
    error_ = error.what();
  } catch (...) {
    failed_ = true;
    error_ = "unknown read error";
  }
  return false;
}

bool CsvReader::ReadRecord(CsvRecord& record) {
  record = CsvRecord{};
  if (!started_) {
    started_ = true;
    // A UTF-8 byte-order mark, as spreadsheet programs write.
    if (Peek() == 0xEF) {
      std::string mark;
      while (mark.size() < 3 && Peek() != kEnd &&
             static_cast<unsigned char>(Peek()) ==
                 static_cast<unsigned char>("\xEF\xBB\xBF"[mark.size()])) {
        mark.push_back(static_cast<char>(Take()));
      }
      if (mark.size() != 3) {
        // Not a mark after all: the bytes belong to the first field.
        record.raw = mark;
      }
    }
  }

  for (;;) {
    record.line = line_;
    std::string field = record.raw;  // a partial byte-order mark, if any
    bool too_long = false;
    bool any_byte = !record.raw.empty();
    bool quoted = false;
    bool after_quote = false;
    int64_t quote_line = 0;

    for (;;) {
      int byte = Take();
      if (byte == kEnd) {
        if (quoted) {
          record.problem = "a quoted field opened on line " +
                           std::to_string(quote_line) +
                           " is not closed before the end of the input";
        }
        break;
      }
      any_byte = true;
      KeepRaw(record, byte);

      if (quoted) {
        if (byte == dialect_.quote) {
          if (Peek() == dialect_.quote) {
            KeepRaw(record, Take());
            Append(field, byte, limits_.max_field_bytes, too_long);
          } else {
            quoted = false;
            after_quote = true;
          }
        } else {
          Append(field, byte, limits_.max_field_bytes, too_long);
        }
        continue;
      }
      if (byte == '\r' && Peek() == '\n') continue;
      if (byte == '\n') break;
      if (byte == dialect_.delimiter) {
        record.fields.push_back(std::move(field));
        field.clear();
        after_quote = false;
        continue;
      }
      if (after_quote) {
        if (record.problem.empty()) {
          record.problem = "text follows the closing quote of field " +
                           std::to_string(record.fields.size() + 1);
        }
        Append(field, byte, limits_.max_field_bytes, too_long);
        continue;
      }
      if (byte == dialect_.quote && dialect_.quote != '\0' && field.empty()) {
        quoted = true;
        quote_line = line_;
        continue;
      }
      Append(field, byte, limits_.max_field_bytes, too_long);
    }

    if (!any_byte) return false;
    // The raw text without its line break, as the user sees the line.
    while (!record.raw.empty() &&
           (record.raw.back() == '\n' || record.raw.back() == '\r') &&
           !record.raw_cut) {
      record.raw.pop_back();
    }
    if (record.fields.empty() && field.empty() && !after_quote &&
        record.problem.empty()) {
      ++blank_lines_;
      record.raw.clear();
      continue;
    }
    record.fields.push_back(std::move(field));
    if (too_long && record.problem.empty()) {
      record.problem = "a field is longer than " +
                       std::to_string(limits_.max_field_bytes) + " bytes";
    }
    return true;
  }
}

}  // namespace parcours::import
