#include "runtime/store/checkpointer.h"

#include <sqlite3.h>

#include <utility>

namespace parcours::store {

using common::Expected;
using common::Status;

Expected<std::unique_ptr<Checkpointer>> Checkpointer::Start(
    const std::string& path, int start_pages) {
  Expected<Database> db = Database::Open(path);
  if (!db.ok()) return db.status();

  // The copy flushes the log before it and the file after it, as the
  // writer's own checkpoints did.
  Status status = db->Exec("PRAGMA synchronous = NORMAL");
  if (!status.ok()) return status;

  std::unique_ptr<Checkpointer> checkpointer(
      new Checkpointer(std::move(*db), start_pages));
  checkpointer->thread_ =
      std::thread([raw = checkpointer.get()] { raw->Loop(); });
  return checkpointer;
}

Checkpointer::Checkpointer(Database db, int start_pages)
    : db_(std::move(db)), start_pages_(start_pages) {}

Checkpointer::~Checkpointer() {
  // The writer's own checkpoints take over again, at the same length.
  if (writer_ != nullptr) sqlite3_wal_autocheckpoint(writer_, start_pages_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Install(sqlite3* writer) {
  writer_ = writer;
  sqlite3_wal_hook(writer, &Checkpointer::OnCommit, this);
}

Status Checkpointer::failure() {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

int64_t Checkpointer::checkpoints() {
  std::lock_guard<std::mutex> lock(mutex_);
  return checkpoints_;
}

// SQLite calls this after each commit of the writer, with the database
// unlocked and the number of pages now in the log.
int Checkpointer::OnCommit(void* self, sqlite3* /*writer*/,
                           const char* /*schema*/, int log_pages) {
  auto& checkpointer = *static_cast<Checkpointer*>(self);
  if (log_pages < checkpointer.start_pages_) return SQLITE_OK;

  std::unique_lock<std::mutex> lock(checkpointer.mutex_);
  if (log_pages < checkpointer.start_pages_ * kMostBehind) {
    checkpointer.requested_ = true;
    lock.unlock();
    checkpointer.wake_.notify_all();
    return SQLITE_OK;
  }

  // Far behind: this commit waits for the copy in progress and makes one
  // more itself, which takes every page committed so far.
  checkpointer.wake_.wait(lock, [&] { return !checkpointer.running_; });
  checkpointer.CheckpointLocked(lock);
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (requested_ && !running_); });
    if (stopping_) return;
    CheckpointLocked(lock);
  }
}

void Checkpointer::CheckpointLocked(std::unique_lock<std::mutex>& lock) {
  running_ = true;
  requested_ = false;
  lock.unlock();

  // Passive: it never waits for the writer, and copies what it can.
  int log_pages = 0;
  int copied_pages = 0;
  int code = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr,
                                       SQLITE_CHECKPOINT_PASSIVE, &log_pages,
                                       &copied_pages);
  std::string message =
      code == SQLITE_OK || code == SQLITE_BUSY ? "" : db_.LastError();

  lock.lock();
  running_ = false;
  ++checkpoints_;
  if (!message.empty() && failure_.ok()) {
    failure_ =
        Status::Error("could not copy the log into the file: " + message);
  }
  lock.unlock();
  wake_.notify_all();
  lock.lock();
}

}  // namespace parcours::store
