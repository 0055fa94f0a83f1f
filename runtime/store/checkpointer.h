// Copies a state file's write-ahead log back into the file on a thread of
// its own, so that the run's thread does not wait for the copy and its
// two flushes to disk.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"

struct sqlite3;

namespace parcours::store {

// SQLite copies the log back (a checkpoint) on the thread of the commit
// that makes it long enough; with the flushes to disk that takes as long
// as a batch's commit, and the run waits. A `Checkpointer` takes over:
// once installed on the writer's connection, each commit that leaves
// the log at `start_pages` or more asks the checkpointer's thread, which
// checkpoints through a connection of its own while the run goes on.
// SQLite lets one connection checkpoint while another writes: the copy
// takes the pages committed before it starts, and the log starts over
// at the first commit after a copy that took all of it.
//
// Should the thread fall behind, so that the log reaches
// `start_pages * kMostBehind`, the commit that finds it so waits for the
// copy in progress and runs one more itself; the log stays bounded as
// with SQLite's own checkpoints.
class Checkpointer {
 public:
  static constexpr int kMostBehind = 4;

  // Opens its own connection to `path`, which must be in WAL mode, and
  // starts its thread.
  static common::Expected<std::unique_ptr<Checkpointer>> Start(
      const std::string& path, int start_pages);

  // Stops the thread after the copy in progress, if any, and gives the
  // checkpoints back to the writer's commits.
  ~Checkpointer();

  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Makes the commits of `writer` ask for the checkpoints, in place of
  // SQLite's own; `writer` must be closed after this is destroyed.
  void Install(sqlite3* writer);

  // The first checkpoint that failed, if any. A failed copy loses
  // nothing: the log keeps the pages until a later copy succeeds (at the
  // latest, when the writer closes).
  common::Status failure();

  // Checkpoints done so far, on either thread (for the tests).
  int64_t checkpoints();

 private:
  Checkpointer(Database db, int start_pages);

  static int OnCommit(void* self, sqlite3* writer, const char* schema,
                      int log_pages);
  void Loop();
  // With `mutex_` held; runs one checkpoint, unlocking meanwhile.
  void CheckpointLocked(std::unique_lock<std::mutex>& lock);

  Database db_;
  const int start_pages_;
  sqlite3* writer_ = nullptr;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool running_ = false;
  bool stopping_ = false;
  int64_t checkpoints_ = 0;
  common::Status failure_ = common::Status::Ok();
  std::thread thread_;
};

}  // namespace parcours::store
