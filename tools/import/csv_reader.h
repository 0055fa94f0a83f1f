// Splits a CSV stream into records without trusting the input.
//
// The dialect is RFC 4180 with a chosen delimiter and quote: a quoted field
// may hold delimiters, line breaks and doubled quotes; a quote inside an
// unquoted field is an ordinary character. A byte-order mark at the start
// is dropped, and a record ends at `\n` or `\r\n`.
//
// A malformed record is returned with `problem` set instead of stopping the
// reader, so that the caller can dead-letter it and go on: a field longer
// than the limit (its first bytes are kept, the rest is skipped), text
// after a closing quote, or a quote still open at the end of the input.
// Nothing is thrown out of the reader; a read error sets `failed()`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace parcours::import {

struct CsvDialect {
  char delimiter = ',';
  // '\0' when fields are never quoted.
  char quote = '"';
};

struct CsvRecord {
  std::vector<std::string> fields;
  // 1-based line of the input where the record starts.
  int64_t line = 0;
  // The record's bytes as read, cut at the raw limit, for dead letters.
  std::string raw;
  bool raw_cut = false;
  // Why the record is malformed; empty when it is well formed.
  std::string problem;
};

// What one record may cost in memory, however the input is shaped.
struct CsvLimits {
  size_t max_field_bytes = 1 << 20;
  // All fields together, so that a line of a million short fields is as
  // bounded as one long field.
  size_t max_record_bytes = 16 << 20;
  size_t max_fields = 10000;
  size_t max_raw_bytes = 4096;
};

class CsvReader {
 public:
  // `input` must outlive the reader.
  CsvReader(std::istream& input, CsvDialect dialect, CsvLimits limits = {});

  // Reads the next record. Returns false at the end of the input or after
  // a read error. Blank lines are not records; they are only counted.
  bool Next(CsvRecord& record);

  int64_t blank_lines() const { return blank_lines_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  // Returns the next byte, or -1 at the end; keeps the line count.
  int Take();
  int Peek();
  void KeepRaw(CsvRecord& record, int byte);
  // Adds a byte to the field being read unless a limit is reached.
  void Append(std::string& field, int byte);
  // Ends the field being read; past the field limit it is dropped.
  void EndField(CsvRecord& record, std::string& field);
  bool ReadRecord(CsvRecord& record);

  std::istream& input_;
  CsvDialect dialect_;
  CsvLimits limits_;
  int64_t line_ = 1;
  bool started_ = false;
  int64_t blank_lines_ = 0;
  // Per record: bytes kept so far and which limit, if any, was passed.
  size_t record_bytes_ = 0;
  std::string overflow_;
  bool failed_ = false;
  std::string error_;
};

}  // namespace parcours::import
