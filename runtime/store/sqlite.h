// Thin owners of SQLite handles that report failures as `Status`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace parcours::store {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* statement);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite.
  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view text);
  // The same without a copy: `text` must stay alive and unchanged until
  // the statement's next `Run` or `Reset`, which forget the binding. For
  // the rows of a save, whose copies were a tenth of its time.
  void BindBorrowedText(int index, std::string_view text);
  // Binds `bytes` as a blob, without a copy, as `BindBorrowedText`.
  void BindBorrowedBlob(int index, std::string_view bytes);
  void BindNull(int index);
  void BindOptional(int index, std::optional<int64_t> value);

  // Runs one step: true when a row is ready, false when done.
  common::Expected<bool> Step();

  // Runs to completion, for statements without results, then resets.
  common::Status Run();

  // Columns are numbered from 0, as in SQLite.
  bool IsNull(int column) const;
  int64_t Int(int column) const;
  std::string Text(int column) const;
  // The same without a copy, valid until the next `Step`, `Reset` or read
  // of the column as another type: for loads, which parse it at once.
  std::string_view TextView(int column) const;
  // A blob column's bytes, without a copy, valid as `TextView`'s text.
  std::string_view BlobView(int column) const;

  // Makes the statement ready to run again, with its bindings cleared
  // (kept, after `KeepBindings`).
  void Reset();

  // From now on the statement keeps its bindings from run to run, and
  // `BindBorrowedText` and `BindNull` leave a parameter alone when it
  // already holds what they would give it: the same pointer and size
  // (SQLite reads borrowed bytes only when the statement runs, so that
  // binding is the same whatever the bytes now are), or null. Every
  // parameter must still be bound before each run. For statements run
  // many times with texts that repeat, such as the log's literals and
  // names, whose binds were a fifth of a save.
  void KeepBindings();

 private:
  // What a parameter holds, for `KeepBindings`: borrowed text, null, or
  // anything else (`kOther`), which is bound again whatever comes.
  struct Bound {
    const char* data = nullptr;
    size_t size = kOther;
  };
  static constexpr size_t kOther = ~size_t{0};
  static constexpr size_t kNull = kOther - 1;
  // Records that parameter `index` holds `data` and `size`; false when it
  // already did.
  bool Rebinds(int index, const char* data, size_t size);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
  std::vector<Bound> bound_;  // by parameter; empty unless KeepBindings
};

// Whether `path` names something that exists but is neither a file nor a
// folder: a device or a pipe, where SQLite can keep no database (it failed
// with "disk I/O error", left side files in /dev, or waited on the pipe).
bool IsDeviceOrPipe(const std::string& path);

class Database {
 public:
  Database() = default;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens (creating when missing) the database file at `path`. Opening
  // does not write to an existing file.
  static common::Expected<Database> Open(const std::string& path);

  // Opens an existing file for reading only; a missing file is an error,
  // and nothing is ever written to it.
  static common::Expected<Database> OpenReadOnly(const std::string& path);

  // As `OpenReadOnly`, for a reader while no writer runs (the reports):
  // when SQLite cannot make the side files it reads a WAL-mode file with
  // (a folder this process may not write to) and no WAL file holds
  // changes, the file alone is the whole database and is read as
  // immutable.
  static common::Expected<Database> OpenForReport(const std::string& path);

  // Runs one or more statements that return no rows.
  common::Status Exec(const std::string& sql);

  common::Expected<Statement> Prepare(std::string_view sql);

  // The value of a pragma or query that returns one integer.
  common::Expected<int64_t> QueryInt(const std::string& sql);

  // The value of a query that returns one text.
  common::Expected<std::string> QueryText(const std::string& sql);

  // For the few calls this class does not wrap (see `Checkpointer`).
  sqlite3* handle() const { return db_; }

  // SQLite's message for the last failure on this connection.
  std::string LastError() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  static common::Expected<Database> OpenWithFlags(const std::string& path,
                                                  int flags);

  sqlite3* db_ = nullptr;
};

}  // namespace parcours::store
