#include "runtime/sinks/sqlite_outbox.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "runtime/sinks/action_key.h"

namespace parcours::sinks {

using common::Expected;
using common::Status;

namespace {

// Version 2 numbers `seq` with AUTOINCREMENT: a consumer that deletes the
// rows it handled must never see a later action come in under a number
// it already passed (plain INTEGER PRIMARY KEY takes max(seq) + 1, which
// starts again at 1 once the table is empty).
constexpr int64_t kOutboxSchemaVersion = 2;

// How long a write waits for a consumer's transaction to end.
constexpr int kWaitForConsumerMs = 5000;

// The `actions` table's columns, for its creation and its rebuild.
const char kActionsColumns[] = R"((
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT,
    at TEXT,
    profile TEXT,
    line TEXT NOT NULL))";

std::string CreateOutbox() {
  return std::string("CREATE TABLE IF NOT EXISTS actions") + kActionsColumns +
         ";";
}

// A version 1 table, rebuilt with AUTOINCREMENT in one transaction; the
// rows keep their numbers, and the next one follows the largest.
std::string UpgradeFromVersion1() {
  return std::string(
             "BEGIN IMMEDIATE;"
             "ALTER TABLE actions RENAME TO actions_version_1;"
             "CREATE TABLE actions") +
         kActionsColumns +
         ";"
         "INSERT INTO actions(seq, id, kind, at, profile, line)"
         "  SELECT seq, id, kind, at, profile, line FROM actions_version_1"
         "  ORDER BY seq;"
         "DROP TABLE actions_version_1;"
         "PRAGMA user_version = 2;"
         "COMMIT;";
}

// A top-level string field of an action line, or empty.
std::string TextField(const nlohmann::json& action, const char* name) {
  if (!action.is_object()) return "";
  auto field = action.find(name);
  return field != action.end() && field->is_string() ? field->get<std::string>()
                                                     : "";
}

}  // namespace

Expected<std::unique_ptr<SqliteOutboxSink>> SqliteOutboxSink::Open(
    const std::string& path) {
  std::string context = "actions database `" + path + "`";
  // SQLite reads an empty name, ":memory:" and other names starting with
  // ':' as databases that vanish with the run, which would lose every
  // action; "//x.db" is a `sqlite://` URL typed by habit.
  if (path.empty() || path[0] == ':' || path.rfind("//", 0) == 0) {
    return Status::Error(context +
                         ": name a file, as in `--out sqlite:actions.db`");
  }
  // `sqlite:/dev/null` failed with "disk I/O error" and left a
  // `/dev/null-journal` behind: a device or a pipe holds no table.
  std::error_code error;
  if (store::IsDeviceOrPipe(path) ||
      std::filesystem::is_directory(path, error)) {
    return Status::Error(context +
                         ": it is not a file but a folder, a device or a "
                         "pipe; name a file, as in `--out sqlite:actions.db`");
  }
  Expected<store::Database> db = store::Database::Open(path);
  if (!db.ok()) return db.status().WithContext(context);

  // The delivery service writes to this file too (it deletes or marks
  // the rows it handled): a short write of its own must make the run
  // wait, not fail with "database is locked".
  Status waits =
      db->Exec("PRAGMA busy_timeout = " + std::to_string(kWaitForConsumerMs));
  if (!waits.ok()) return waits.WithContext(context);

  // Only an empty file or an outbox: a Parcours state file, or another
  // program's database, must not get an `actions` table.
  Expected<std::string> foreign = db->QueryText(
      "SELECT coalesce(min(name), '') FROM sqlite_schema "
      "WHERE type = 'table' AND name <> 'actions' "
      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  if (!foreign.ok()) return foreign.status().WithContext(context);
  if (!foreign->empty()) {
    return Status::Error(context + ": it holds other tables (`" + *foreign +
                         "`); give the outbox a file of its own");
  }

  Expected<int64_t> version = db->QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status().WithContext(context);
  if (*version > kOutboxSchemaVersion) {
    return Status::Error(
        context + ": written by a newer Parcours (version " +
        std::to_string(*version) + ", this build understands up to " +
        std::to_string(kOutboxSchemaVersion) + "); it was not modified");
  }

  Status ready = db->Exec("PRAGMA journal_mode = WAL");
  if (ready.ok() && *version == 1) {
    ready = db->Exec(UpgradeFromVersion1());
    if (!ready.ok()) (void)db->Exec("ROLLBACK");
  }
  if (ready.ok()) ready = db->Exec(CreateOutbox());
  if (ready.ok()) {
    ready = db->Exec("PRAGMA user_version = " +
                     std::to_string(kOutboxSchemaVersion));
  }
  if (!ready.ok()) return ready.WithContext(context);
  return std::unique_ptr<SqliteOutboxSink>(
      new SqliteOutboxSink(path, std::move(*db)));
}

SqliteOutboxSink::SqliteOutboxSink(std::string path, store::Database db)
    : path_(std::move(path)), db_(std::move(db)) {}

Status SqliteOutboxSink::Write(std::string_view line) {
  queued_.emplace_back(line);
  return Status::Ok();
}

Status SqliteOutboxSink::Flush() {
  if (queued_.empty()) return Status::Ok();
  std::string context = "actions database `" + path_ + "`";

  Status status = db_.Exec("BEGIN IMMEDIATE");
  Expected<store::Statement> insert = db_.Prepare(
      "INSERT OR IGNORE INTO actions(id, kind, at, profile, line) "
      "VALUES (?, ?, ?, ?, ?)");
  if (status.ok() && !insert.ok()) status = insert.status();
  for (size_t i = 0; status.ok() && i < queued_.size(); ++i) {
    const std::string& line = queued_[i];
    nlohmann::json action = nlohmann::json::parse(line, nullptr, false);
    insert->BindText(1, IdempotencyKey(line));
    insert->BindText(2, TextField(action, "kind"));
    insert->BindText(3, TextField(action, "at"));
    insert->BindText(4, TextField(action, "profile"));
    insert->BindText(5, line);
    status = insert->Run();
  }
  if (status.ok()) status = db_.Exec("COMMIT");
  if (!status.ok()) {
    (void)db_.Exec("ROLLBACK");
    if (status.message().find("locked") != std::string::npos) {
      return Status::Error(
          context + ": could not add actions: " + status.message() +
          " (another program held it for over " +
          std::to_string(kWaitForConsumerMs / 1000) +
          " seconds); the actions stay in the state, and the next run adds "
          "them");
    }
    return status.WithContext(context + ": could not add actions");
  }
  queued_.clear();
  return Status::Ok();
}

Expected<size_t> SqliteOutboxSink::CountDelivered(
    const std::vector<std::string_view>& pending) {
  Expected<store::Statement> find =
      db_.Prepare("SELECT 1 FROM actions WHERE id = ?");
  if (!find.ok()) {
    return find.status().WithContext("actions database `" + path_ + "`");
  }
  size_t held = 0;
  for (std::string_view line : pending) {
    find->BindText(1, IdempotencyKey(line));
    Expected<bool> found = find->Step();
    find->Reset();
    if (!found.ok()) return found.status();
    if (!*found) break;
    ++held;
  }
  return held;
}

}  // namespace parcours::sinks
