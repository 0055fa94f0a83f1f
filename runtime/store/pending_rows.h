// The rows a save defers: profile, history and instance rows in one
// blob per save, appended to `pending_rows` instead of each row being
// written to its table.
//
// With a commit every 10,000 lines, each batch touches thousands of
// profiles spread over the whole `profiles` and `instances` tables: every
// commit rewrote as many B-tree pages as rows, and the WAL copied each of
// them twice (docs/performance.md, "Deferred rows"). A blob is written in
// one sequential run. The store writes the tables themselves only now and
// then (`Store::Save`), once per profile changed since, and replays any
// blobs left by a run that did not end (`Store::Load`).
//
// A blob is a sequence of entries, each a kind byte then its fields:
// texts as a varint length and the bytes, integers as zigzag varints, an
// optional value as a byte 0 or 1 and then the value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parcours::store {

enum class PendingKind : char {
  // id, attrs, aggregates, segments, entries, the re-check time, then
  // the number of the profile's last instance; blobs of schemas 12 to 15
  // hold 'Q' entries, without that number, and of schema 11 and older
  // 'P' entries, without the re-check time either.
  Profile = 'S',
  ProfileWithoutSeq = 'Q',
  ProfileWithoutRecheck = 'P',
  History = 'H',  // profile, events
  // The columns of an `instances` row, `waits_since` last; blobs of
  // schema 14 and older hold 'I' entries, without it.
  Instance = 'J',
  InstanceWithoutWaitsSince = 'I',
  Removed = 'R',  // profile, journey: the instance row is deleted
};

// One entry. Read from a blob, its texts point into the blob; written,
// into whatever the writer's caller holds.
struct PendingRow {
  PendingKind kind = PendingKind::Profile;
  std::string_view texts[5];  // by kind, in the order above
  // Profile only: when its windows next move (`Profile::recheck_at`),
  // and the number of its last instance (`Profile::last_seq`).
  std::optional<int64_t> recheck_at;
  std::optional<int64_t> last_seq;
  // Instance only.
  int64_t seq = 0;
  int64_t step = 0;
  std::optional<int64_t> wake_at;
  int64_t entered_at = 0;
  std::optional<std::string_view> arrived;
  std::optional<int64_t> waits_since;  // at a `wait for` only
};

// Appends entries to a blob.
class PendingRowWriter {
 public:
  // Appends `row`, with the fields its kind has.
  void Add(const PendingRow& row);

  const std::string& blob() const { return blob_; }
  int64_t entries() const { return entries_; }
  void Clear() {
    blob_.clear();
    entries_ = 0;
  }

 private:
  void Text(std::string_view text);
  void Int(int64_t value);

  std::string blob_;
  int64_t entries_ = 0;
};

// Reads the entries of a blob in order.
class PendingRowReader {
 public:
  explicit PendingRowReader(std::string_view blob) : blob_(blob) {}

  // Reads the next entry into `row`: true if there was one. False at the
  // end, or on a damaged blob, which `error()` then describes.
  bool Next(PendingRow& row);
  const std::string& error() const { return error_; }

 private:
  bool Text(std::string_view& text);
  bool Int(int64_t& value);
  bool Flag(bool& flag);
  // A flag, then the number when the flag is 1.
  bool OptionalInt(std::optional<int64_t>& value);
  bool Fail(const std::string& what);

  std::string_view blob_;
  size_t at_ = 0;
  std::string error_;
};

}  // namespace parcours::store
