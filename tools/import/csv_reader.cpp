#include "tools/import/csv_reader.h"

#include <exception>
#include <streambuf>
#include <string_view>

namespace parcours::import {
namespace {

constexpr int kEnd = -1;

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

// A record over a limit is still read to its end, so that the next record
// starts where it should; only its first bytes are kept.
void CsvReader::Append(std::string& field, int byte) {
  if (field.size() >= limits_.max_field_bytes) {
    if (overflow_.empty()) {
      overflow_ = "a field is longer than " +
                  std::to_string(limits_.max_field_bytes) + " bytes";
    }
    return;
  }
  if (record_bytes_ >= limits_.max_record_bytes) {
    if (overflow_.empty()) {
      overflow_ = "the record is longer than " +
                  std::to_string(limits_.max_record_bytes) + " bytes";
    }
    return;
  }
  field.push_back(static_cast<char>(byte));
  ++record_bytes_;
}

void CsvReader::EndField(CsvRecord& record, std::string& field) {
  if (record.fields.size() < limits_.max_fields) {
    record.fields.push_back(std::move(field));
  } else if (overflow_.empty()) {
    overflow_ = "the record has more than " +
                std::to_string(limits_.max_fields) + " fields";
  }
  field.clear();
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
    record_bytes_ = field.size();
    overflow_.clear();
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
            Append(field, byte);
          } else {
            quoted = false;
            after_quote = true;
          }
        } else {
          Append(field, byte);
        }
        continue;
      }
      if (byte == '\r' && Peek() == '\n') continue;
      if (byte == '\n') break;
      if (byte == dialect_.delimiter) {
        EndField(record, field);
        after_quote = false;
        continue;
      }
      if (after_quote) {
        if (record.problem.empty()) {
          record.problem = "text follows the closing quote of field " +
                           std::to_string(record.fields.size() + 1);
        }
        Append(field, byte);
        continue;
      }
      if (byte == dialect_.quote && dialect_.quote != '\0' && field.empty()) {
        quoted = true;
        quote_line = line_;
        continue;
      }
      Append(field, byte);
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
    EndField(record, field);
    if (!overflow_.empty() && record.problem.empty()) {
      record.problem = overflow_;
    }
    return true;
  }
}

}  // namespace parcours::import
