#include "runtime/store/sqlite.h"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <utility>

namespace parcours::store {

using common::Expected;
using common::Status;

namespace {

// SQLite's message for the last error on `db`. Its words for a damaged
// file ("database disk image is malformed") or one of other bytes ("file
// is not a database") do not say what to do, and a marketer meets them
// after a disk filled up, a copy was cut short or a path was mistyped.
std::string ErrorOf(sqlite3* db) {
  std::string message = sqlite3_errmsg(db);
  int code = sqlite3_extended_errcode(db) & 0xff;
  if (code == SQLITE_CORRUPT) {
    message +=
        " (the file is damaged or was cut short; restore it from a "
        "backup)";
  }
  if (code == SQLITE_NOTADB) {
    message +=
        " (it is not a SQLite file: another file named by mistake, or "
        "one overwritten; name a new file, or restore this one from a "
        "backup)";
  }
  return message;
}

}  // namespace

Statement::Statement(sqlite3* db, sqlite3_stmt* statement)
    : db_(db), statement_(statement) {}

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statement_(std::exchange(other.statement_, nullptr)),
      bound_(std::move(other.bound_)) {
  other.bound_.clear();
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    db_ = std::exchange(other.db_, nullptr);
    statement_ = std::exchange(other.statement_, nullptr);
    bound_ = std::move(other.bound_);
    other.bound_.clear();
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(statement_); }

bool Statement::Rebinds(int index, const char* data, size_t size) {
  if (index < 1 || static_cast<size_t>(index) > bound_.size()) return true;
  Bound& bound = bound_[static_cast<size_t>(index) - 1];
  if (size != kOther && bound.data == data && bound.size == size) {
    return false;
  }
  bound = {data, size};
  return true;
}

void Statement::BindInt(int index, int64_t value) {
  Rebinds(index, nullptr, kOther);
  sqlite3_bind_int64(statement_, index, value);
}

void Statement::BindText(int index, std::string_view text) {
  Rebinds(index, nullptr, kOther);
  sqlite3_bind_text64(statement_, index, text.data(), text.size(),
                      SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::BindBorrowedText(int index, std::string_view text) {
  // A null pointer would bind SQL NULL, not an empty text: never skipped.
  const char* data = text.data();
  if (!Rebinds(index, data, data == nullptr ? kOther : text.size())) return;
  sqlite3_bind_text64(statement_, index, data, text.size(), SQLITE_STATIC,
                      SQLITE_UTF8);
}

void Statement::BindBorrowedBlob(int index, std::string_view bytes) {
  Rebinds(index, nullptr, kOther);
  sqlite3_bind_blob64(statement_, index, bytes.data(), bytes.size(),
                      SQLITE_STATIC);
}

void Statement::BindNull(int index) {
  if (!Rebinds(index, nullptr, kNull)) return;
  sqlite3_bind_null(statement_, index);
}

void Statement::BindOptional(int index, std::optional<int64_t> value) {
  if (value) {
    BindInt(index, *value);
  } else {
    BindNull(index);
  }
}

Expected<bool> Statement::Step() {
  int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return Status::Error(ErrorOf(db_));
}

Status Statement::Run() {
  Expected<bool> stepped = Step();
  Reset();
  if (!stepped.ok()) return stepped.status();
  return Status::Ok();
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  int size = sqlite3_column_bytes(statement_, column);
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(size));
}

std::string_view Statement::TextView(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return {};
  int size = sqlite3_column_bytes(statement_, column);
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::string_view Statement::BlobView(int column) const {
  const void* bytes = sqlite3_column_blob(statement_, column);
  if (bytes == nullptr) return {};
  int size = sqlite3_column_bytes(statement_, column);
  return {static_cast<const char*>(bytes), static_cast<size_t>(size)};
}

void Statement::Reset() {
  sqlite3_reset(statement_);
  if (bound_.empty()) sqlite3_clear_bindings(statement_);
}

void Statement::KeepBindings() {
  // Until bound through this object, a parameter holds nothing known.
  bound_.assign(static_cast<size_t>(sqlite3_bind_parameter_count(statement_)),
                Bound{});
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

Expected<Database> Database::Open(const std::string& path) {
  return OpenWithFlags(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
}

Expected<Database> Database::OpenReadOnly(const std::string& path) {
  return OpenWithFlags(path, SQLITE_OPEN_READONLY);
}

namespace {

// `path` as the path of a `file:` URI: the characters a URI gives a
// meaning to are escaped.
std::string UriPath(const std::string& path) {
  std::string uri;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X",
                    static_cast<unsigned char>(c));
      uri += escaped;
    } else {
      uri += c;
    }
  }
  return uri;
}

}  // namespace

Expected<Database> Database::OpenForReport(const std::string& path) {
  Expected<Database> db = OpenReadOnly(path);
  if (!db.ok()) return db;
  constexpr const char* kProbe = "SELECT count(*) FROM sqlite_schema";
  if (db->QueryInt(kProbe).ok()) return db;

  // A WAL file with content holds changes the file alone lacks: reading
  // without it would be wrong, so the first error stands.
  std::error_code code;
  std::filesystem::path wal = path + "-wal";
  if (std::filesystem::is_regular_file(wal, code) &&
      std::filesystem::file_size(wal, code) > 0) {
    return db;
  }
  Expected<Database> immutable =
      OpenWithFlags("file:" + UriPath(path) + "?immutable=1",
                    SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
  if (!immutable.ok() || !immutable->QueryInt(kProbe).ok()) return db;
  return immutable;
}

Expected<Database> Database::OpenWithFlags(const std::string& path, int flags) {
  // SQLite counts the bytes it allocates under a global mutex, which every
  // row's binding and insert then takes: nothing here reads the count.
  // This must come before SQLite's first use in the process; afterwards it
  // is refused, harmlessly.
  static const bool kNoMemoryCount = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)kNoMemoryCount;

  // Each connection is used by one thread at a time (a partition's, the
  // checkpointer's under its own lock, the load's reader), so it needs no
  // mutex of its own around every call.
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (code != SQLITE_OK) {
    std::string message = db != nullptr ? ErrorOf(db) : sqlite3_errstr(code);
    sqlite3_close_v2(db);
    return Status::Error(message);
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db);
}

Status Database::Exec(const std::string& sql) {
  int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (code == SQLITE_OK) return Status::Ok();
  return Status::Error(ErrorOf(db_));
}

Expected<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* statement = nullptr;
  int code = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (code != SQLITE_OK) return Status::Error(LastError());
  return Statement(db_, statement);
}

Expected<int64_t> Database::QueryInt(const std::string& sql) {
  Expected<Statement> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  Expected<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Error("no result from `" + sql + "`");
  return statement->Int(0);
}

Expected<std::string> Database::QueryText(const std::string& sql) {
  Expected<Statement> statement = Prepare(sql);
  if (!statement.ok()) return statement.status();
  Expected<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Error("no result from `" + sql + "`");
  return statement->Text(0);
}

std::string Database::LastError() const { return ErrorOf(db_); }

bool IsDeviceOrPipe(const std::string& path) {
  std::error_code error;
  std::filesystem::file_status found = std::filesystem::status(path, error);
  return !error && std::filesystem::exists(found) &&
         !std::filesystem::is_regular_file(found) &&
         !std::filesystem::is_directory(found);
}

}  // namespace parcours::store
