// Turns the records of a CSV export into event-contract JSON lines.
//
// One row becomes one event unless the mapping groups rows, in which case
// one group becomes one event whose fields come from the group's first row
// and whose sums and counts cover all its rows. Output follows the input:
// rows in file order, groups in the order of their first row, so the same
// file and mapping always give the same bytes.
//
// A row that cannot be mapped is a bad row: it is written to the dead
// letters with its line and the reason, counted, and the import goes on.
// Only a problem with the whole import stops it: a missing column, a
// group key out of order, a read or write error.
#pragma once

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "tools/import/mapping.h"

namespace parcours::import {

struct ImportCounts {
  int64_t rows_read = 0;  // data rows, without the header
  int64_t rows_skipped = 0;
  int64_t bad_rows = 0;
  int64_t track_events = 0;
  int64_t identify_events = 0;
  int64_t blank_lines = 0;
  int64_t ambiguous_times = 0;
  // Groups not written because one of their rows was bad, and their
  // rows that were not bad themselves.
  int64_t groups_dropped = 0;
  int64_t rows_in_dropped_groups = 0;
  // Events of users past the first N, with KeepFirstUsers(N).
  int64_t events_of_later_users = 0;
};

struct BadRow {
  int64_t line = 0;
  std::string reason;
};

class Importer {
 public:
  // `dead_letters` may be null; the first bad rows are then kept in
  // `first_bad_rows` for the summary.
  Importer(Mapping mapping, std::ostream& out, std::ostream* dead_letters);

  // Reads all of `input`. Returns false after a problem that stops the
  // import, described by `error()`; what was written before stays valid.
  bool Run(std::istream& input);

  // Writes only the events of the first `count` users to appear, all of
  // theirs: a small slice of a large export that keeps whole histories.
  void KeepFirstUsers(int64_t count) { first_users_ = count; }

  const ImportCounts& counts() const { return counts_; }
  const std::vector<BadRow>& first_bad_rows() const { return first_bad_; }
  const std::string& error() const { return error_; }

  // Why the first write to `dead_letters` failed ("No space left on
  // device"); empty while none did. A failed write is not retried.
  const std::string& dead_letter_error() const { return dead_letter_error_; }

  // The summary for stderr, one count per line.
  std::string Summary() const;

 private:
  friend class Conversion;

  Mapping mapping_;
  std::ostream& out_;
  std::ostream* dead_letters_;
  ImportCounts counts_;
  std::vector<BadRow> first_bad_;
  std::string error_;
  std::string dead_letter_error_;
  bool write_failed_ = false;
  int64_t first_users_ = -1;  // -1: every user
};

}  // namespace parcours::import
