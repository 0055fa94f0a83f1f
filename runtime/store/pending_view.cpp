#include "runtime/store/pending_view.h"

#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/store/pending_rows.h"

namespace parcours::store {

using common::Expected;
using common::Status;

namespace {

// Calls `visit` with every entry of every blob, oldest first. A file of a
// schema before `pending_rows` has none.
template <typename Visit>
Status VisitPendingRows(Database& db, Visit visit) {
  Expected<int64_t> present = db.QueryInt(
      "SELECT count(*) FROM sqlite_master WHERE name = 'pending_rows'");
  if (!present.ok()) return present.status();
  if (*present == 0) return Status::Ok();

  Expected<Statement> select =
      db.Prepare("SELECT batch, rows FROM pending_rows ORDER BY batch");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();

    PendingRowReader reader(select->BlobView(1));
    PendingRow entry;
    while (reader.Next(entry)) visit(entry);
    if (!reader.error().empty()) {
      return Status::Error("pending_rows batch " +
                           std::to_string(select->Int(0)) + " is damaged (" +
                           reader.error() + ")");
    }
  }
}

// Runs `read` in one read transaction, so that the tables and the blobs
// are of the same commit.
template <typename Read>
Status InOneSnapshot(Database& db, Read read) {
  Status status = db.Exec("BEGIN");
  if (!status.ok()) return status;
  status = read();
  (void)db.Exec("COMMIT");
  return status;
}

}  // namespace

Expected<bool> HasProfile(Database& db, const std::string& id) {
  bool found = false;
  Status status = InOneSnapshot(db, [&]() -> Status {
    Expected<Statement> known =
        db.Prepare("SELECT count(*) FROM profiles WHERE id = ?1");
    if (!known.ok()) return known.status();
    known->BindText(1, id);
    Expected<bool> counted = known->Step();
    if (!counted.ok()) return counted.status();
    found = known->Int(0) > 0;
    if (found) return Status::Ok();
    return VisitPendingRows(db, [&](const PendingRow& entry) {
      bool profile = entry.kind == PendingKind::Profile ||
                     entry.kind == PendingKind::ProfileWithoutSeq ||
                     entry.kind == PendingKind::ProfileWithoutRecheck;
      found = found || (profile && entry.texts[0] == id);
    });
  });
  if (!status.ok()) return status;
  return found;
}

Expected<std::map<std::string, int64_t>> CountWaitingByJourney(Database& db) {
  std::map<std::string, int64_t> waiting;
  Status status = InOneSnapshot(db, [&]() -> Status {
    Expected<Statement> counts =
        db.Prepare("SELECT journey, count(*) FROM instances GROUP BY journey");
    if (!counts.ok()) return counts.status();
    for (;;) {
      Expected<bool> row = counts->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      waiting[counts->Text(0)] = counts->Int(1);
    }

    // The last word of the blobs on each (profile, journey): waiting or
    // not. Keys are copied, as each blob's bytes go with the next step.
    std::map<std::pair<std::string, std::string>, bool> latest;
    Status visited = VisitPendingRows(db, [&](const PendingRow& entry) {
      bool waits = entry.kind == PendingKind::Instance ||
                   entry.kind == PendingKind::InstanceWithoutWaitsSince;
      if (!waits && entry.kind != PendingKind::Removed) return;
      latest[{std::string(entry.texts[0]), std::string(entry.texts[1])}] =
          waits;
    });
    if (!visited.ok()) return visited;

    Expected<Statement> stored = db.Prepare(
        "SELECT count(*) FROM instances WHERE profile = ?1 AND journey = ?2");
    if (!stored.ok()) return stored.status();
    for (const auto& [key, waits] : latest) {
      stored->BindText(1, key.first);
      stored->BindText(2, key.second);
      Expected<bool> row = stored->Step();
      if (!row.ok()) return row.status();
      bool in_table = stored->Int(0) > 0;
      stored->Reset();
      waiting[key.second] += (waits ? 1 : 0) - (in_table ? 1 : 0);
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // A journey whose last contact left shows no row, as from the table.
  std::erase_if(waiting, [](const auto& item) { return item.second == 0; });
  return waiting;
}

}  // namespace parcours::store
