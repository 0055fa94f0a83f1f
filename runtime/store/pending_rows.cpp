#include "runtime/store/pending_rows.h"

namespace parcours::store {

void PendingRowWriter::Text(std::string_view text) {
  Int(static_cast<int64_t>(text.size()));
  blob_.append(text);
}

void PendingRowWriter::Int(int64_t value) {
  // Zigzag, so that small negative numbers stay short too.
  uint64_t bits =
      (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  while (bits >= 0x80) {
    blob_.push_back(static_cast<char>((bits & 0x7f) | 0x80));
    bits >>= 7;
  }
  blob_.push_back(static_cast<char>(bits));
}

void PendingRowWriter::Add(const PendingRow& row) {
  blob_.push_back(static_cast<char>(row.kind));
  switch (row.kind) {
    case PendingKind::Profile:
    case PendingKind::ProfileWithoutSeq:
      for (std::string_view text : row.texts) Text(text);
      blob_.push_back(row.recheck_at ? 1 : 0);
      if (row.recheck_at) Int(*row.recheck_at);
      if (row.kind == PendingKind::ProfileWithoutSeq) break;
      blob_.push_back(row.last_seq ? 1 : 0);
      if (row.last_seq) Int(*row.last_seq);
      break;
    case PendingKind::ProfileWithoutRecheck:
      for (std::string_view text : row.texts) Text(text);
      break;
    case PendingKind::History:
    case PendingKind::Removed:
      Text(row.texts[0]);
      Text(row.texts[1]);
      break;
    case PendingKind::Instance:
    case PendingKind::InstanceWithoutWaitsSince:
      Text(row.texts[0]);
      Text(row.texts[1]);
      Int(row.seq);
      Int(row.step);
      Text(row.texts[2]);
      blob_.push_back(row.wake_at ? 1 : 0);
      if (row.wake_at) Int(*row.wake_at);
      Int(row.entered_at);
      Text(row.texts[3]);
      blob_.push_back(row.arrived ? 1 : 0);
      if (row.arrived) Text(*row.arrived);
      if (row.kind == PendingKind::InstanceWithoutWaitsSince) break;
      blob_.push_back(row.waits_since ? 1 : 0);
      if (row.waits_since) Int(*row.waits_since);
      break;
  }
  ++entries_;
}

bool PendingRowReader::Fail(const std::string& what) {
  error_ = what + " at byte " + std::to_string(at_);
  return false;
}

bool PendingRowReader::Int(int64_t& value) {
  uint64_t bits = 0;
  for (int shift = 0;; shift += 7) {
    if (at_ >= blob_.size()) return Fail("a number is cut short");
    if (shift > 63) return Fail("a number is too long");
    auto byte = static_cast<uint8_t>(blob_[at_++]);
    bits |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  value = static_cast<int64_t>(bits >> 1) ^ -static_cast<int64_t>(bits & 1);
  return true;
}

bool PendingRowReader::Text(std::string_view& text) {
  int64_t size = 0;
  if (!Int(size)) return false;
  if (size < 0 || static_cast<uint64_t>(size) > blob_.size() - at_) {
    return Fail("a text runs past the end");
  }
  text = blob_.substr(at_, static_cast<size_t>(size));
  at_ += static_cast<size_t>(size);
  return true;
}

bool PendingRowReader::Flag(bool& flag) {
  if (at_ >= blob_.size()) return Fail("a flag is cut short");
  char byte = blob_[at_++];
  if (byte != 0 && byte != 1) return Fail("a flag is neither 0 nor 1");
  flag = byte == 1;
  return true;
}

bool PendingRowReader::OptionalInt(std::optional<int64_t>& value) {
  bool present = false;
  if (!Flag(present)) return false;
  if (!present) return true;
  int64_t read = 0;
  if (!Int(read)) return false;
  value = read;
  return true;
}

bool PendingRowReader::Next(PendingRow& row) {
  if (at_ >= blob_.size() || !error_.empty()) return false;

  row.kind = static_cast<PendingKind>(blob_[at_++]);
  row.wake_at.reset();
  row.arrived.reset();
  row.recheck_at.reset();
  row.waits_since.reset();
  row.last_seq.reset();
  switch (row.kind) {
    case PendingKind::ProfileWithoutRecheck:
    case PendingKind::ProfileWithoutSeq:
    case PendingKind::Profile: {
      for (std::string_view& text : row.texts) {
        if (!Text(text)) return false;
      }
      if (row.kind == PendingKind::ProfileWithoutRecheck) return true;
      if (!OptionalInt(row.recheck_at)) return false;
      if (row.kind == PendingKind::ProfileWithoutSeq) return true;
      return OptionalInt(row.last_seq);
    }
    case PendingKind::History:
    case PendingKind::Removed: return Text(row.texts[0]) && Text(row.texts[1]);
    case PendingKind::Instance:
    case PendingKind::InstanceWithoutWaitsSince: {
      bool has_wake = false;
      bool has_arrived = false;
      if (!Text(row.texts[0]) || !Text(row.texts[1]) || !Int(row.seq) ||
          !Int(row.step) || !Text(row.texts[2]) || !Flag(has_wake)) {
        return false;
      }
      if (has_wake) {
        int64_t wake = 0;
        if (!Int(wake)) return false;
        row.wake_at = wake;
      }
      if (!Int(row.entered_at) || !Text(row.texts[3]) || !Flag(has_arrived)) {
        return false;
      }
      if (has_arrived) {
        std::string_view arrived;
        if (!Text(arrived)) return false;
        row.arrived = arrived;
      }
      if (row.kind == PendingKind::InstanceWithoutWaitsSince) return true;
      bool has_since = false;
      if (!Flag(has_since)) return false;
      if (has_since) {
        int64_t since = 0;
        if (!Int(since)) return false;
        row.waits_since = since;
      }
      return true;
    }
  }
  --at_;
  return Fail("an entry of unknown kind");
}

}  // namespace parcours::store
