// Actions appended to a table of a SQLite file that other programs read:
// the transactional outbox a delivery service polls.
//
// `--out sqlite:actions.db` writes each batch's actions into the table
//
//   actions(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT,
//           at TEXT, profile TEXT, line TEXT NOT NULL)
//
// in one transaction per batch, in order; a reader takes the rows above
// the last `seq` it handled. Exactly once across crashes: an action whose
// id is already in the table (a batch the state did not record as
// delivered) is not inserted again. The file is opened in WAL mode, so a
// reader never blocks the run for long; its schema is versioned like the
// state's, and a newer file is refused untouched.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/common/status.h"
#include "runtime/sinks/action_sink.h"
#include "runtime/store/sqlite.h"

namespace parcours::sinks {

class SqliteOutboxSink final : public ActionSink {
 public:
  static common::Expected<std::unique_ptr<SqliteOutboxSink>> Open(
      const std::string& path);

  common::Status Write(std::string_view line) override;
  common::Status Flush() override;

  // How many of `pending`, from the front, the table already holds.
  common::Expected<size_t> CountDelivered(
      const std::vector<std::string_view>& pending) override;

 private:
  SqliteOutboxSink(std::string path, store::Database db);

  std::string path_;
  store::Database db_;
  std::vector<std::string> queued_;
};

}  // namespace parcours::sinks
