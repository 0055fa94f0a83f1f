// Lines of an input that is still being written: a file that grows, or a
// pipe whose writer has not finished.
//
// `LineReader` takes the end of a file for the end of the input; in live
// mode more lines come later, and the engine must keep firing timers
// while it waits for them. So this reader never blocks for longer than it
// is asked to, hands out only complete lines (a writer's half-written
// last line waits for its newline), and tells a pause from the end of a
// pipe.
//
// Given the path the file was opened by, it also follows the path across
// a log rotation that moves the file away and creates a new one there
// (see `Next`), as `tail -F` does.
//
// For a file, it also says where it stands (`Place`): which file, the
// byte after the last line handed out, and the bytes just before that
// byte, so that a later run can tell whether the file is still the one
// read and go on from there (`ResumeAt`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace parcours::ingest {

// Where reading a file stands after the last line handed out.
struct ReadPlace {
  // The file: `st_dev` and `st_ino` of the one being read.
  uint64_t device = 0;
  uint64_t inode = 0;
  // The byte of that file just after the last line handed out (where the
  // next line starts), and the number of that line.
  int64_t offset = 0;
  int64_t line = 0;
  // The file's bytes just before `offset`, up to `kTailBytes` of them: a
  // file rewritten or cut and grown again to the same size has other
  // bytes there.
  std::string tail;
  static constexpr size_t kTailBytes = 4096;
};

class FollowReader {
 public:
  enum class Result : uint8_t {
    Line,   // `line` holds the next complete line
    Idle,   // no complete line within the wait; more may come
    End,    // a pipe's writer closed it: no line will come
    Error,  // reading failed; `error()` says why
  };

  // Reads `fd`, which the caller keeps open (and closes). Lines longer
  // than `max_line_bytes` are cut there and flagged `too_long`. `path`,
  // when not empty, is the name `fd` was opened by, watched for a
  // rotation; on one, the new file takes over the number `fd`.
  FollowReader(int fd, size_t max_line_bytes, std::string path = "");
  ~FollowReader();
  FollowReader(const FollowReader&) = delete;
  FollowReader& operator=(const FollowReader&) = delete;

  // Waits at most `wait_ms` milliseconds for a complete line, also while
  // bytes keep coming that do not end one.
  //
  // At the end of a watched file, the path is looked at again. When it
  // names another file than the one being read (renamed away, a new one
  // created in its place), the old one is still read for as long as the
  // new one is empty: a writer that reopens its file a little after the
  // rename still appends to the old one until then. Once the new file has
  // bytes, the old one is read to its end (an unfinished last line is
  // handed out as it is; it will not be finished), and reading goes on
  // at the start of the new one. A path that is gone leaves the old file
  // being read, as long as it takes.
  Result Next(std::string& line, bool& too_long, int wait_ms);

  // Lines handed out so far; the last one's number.
  int64_t line_number() const { return line_number_; }

  // Where reading stands in the file being read (the new one, after a
  // rotation, once its first byte has been read or the old file's last
  // line handed out). False for a pipe, and when the file cannot be
  // looked at.
  bool Place(ReadPlace& place) const;

  // Before the first `Next`: `fd` is an empty stand-in for the watched
  // path, which does not exist yet (`EventInput::StandIn`). Its absence
  // is then no news, reading moves to it once it holds bytes, and there
  // is no place in a file until then.
  void AwaitPath() { awaiting_path_ = true; }

  // Before the first `Next`: reading starts at `place.offset` of the file,
  // with lines numbered on from `place.line`. The caller has checked that
  // the file is the one `place` was taken in (`place.tail` is what that
  // file holds before the offset). False, and nothing changed, when the
  // file cannot be sought.
  bool ResumeAt(const ReadPlace& place);

  // Whether the file was found shorter than what was read of it (cut
  // back by a log rotation's copytruncate) since the last call: reading
  // then starts again from its start, so the lines written after the cut
  // are not lost.
  bool TakeTruncation() {
    bool truncated = truncated_;
    truncated_ = false;
    return truncated;
  }
  // Whether the file was found rewritten in place since the last call:
  // at its end, the bytes just before where reading stands are not those
  // read (`cp export.jsonl events.jsonl`, or a copytruncate whose writer
  // wrote past that place before the reader looked). Reading then starts
  // again from its start, as after a cut.
  bool TakeRewrite() {
    bool rewritten = rewritten_;
    rewritten_ = false;
    return rewritten;
  }
  // Whether the watched path has been gone for a second, since the last
  // call (once per time it goes; a rotation's rename and create in a
  // quick row is no news): the open file is read on.
  bool TakeMissing() {
    bool went_missing = went_missing_;
    went_missing_ = false;
    return went_missing;
  }
  // Whether the awaited path (`AwaitPath`) got its file, now read from its
  // start, since the last call.
  bool TakeAppeared() {
    bool appeared = appeared_;
    appeared_ = false;
    return appeared;
  }
  // Whether reading moved to a new file at the watched path since the
  // last call; the lines before came from the old one, to its end.
  bool TakeReopened() {
    bool reopened = reopened_;
    reopened_ = false;
    return reopened;
  }
  const std::string& error() const { return error_; }
  // Bytes of a last line read but not handed out, for want of its
  // newline (or of the end of a pipe).
  size_t unfinished_bytes() const { return pending_.size(); }

 private:
  // Moves the first complete line of `pending_` to `line`, if any.
  bool TakeLine(std::string& line, bool& too_long);

  // Appends `bytes` to `kept`, which keeps at least the last
  // `ReadPlace::kTailBytes` bytes appended to it (and at most twice as
  // many).
  static void KeepLast(std::string& kept, std::string_view bytes);

  // Reading starts again at byte 0 of the file under `fd_`, which holds
  // nothing read yet.
  void ForgetFile();

  // At the end of the file: whether the watched path names a new file
  // with bytes in it, which is then opened as `next_fd_`. Notes a path
  // gone in `missing_`.
  bool FoundNewFile();

  // Reads on in `next_fd_`, under the number `fd_`, from its start.
  void SwitchToNewFile();

  // Whether the file under `fd_` now holds other bytes just before
  // `offset_` than were read there (those kept in `tail_` and `pending_`).
  bool RewrittenBeforeOffset() const;

  // Reading starts again at the start of the file, cut back or rewritten.
  bool StartOver();

  int fd_;
  bool regular_ = false;  // a file, which polls as readable at its end
  size_t max_line_bytes_;
  std::string pending_;  // bytes read, not yet handed out
  // The part of an over-long line already cut off: its bytes up to the
  // newline are dropped as they arrive.
  bool skipping_ = false;
  bool ended_ = false;
  bool truncated_ = false;
  bool rewritten_ = false;
  // Reading a stand-in until the watched path has a file; whether it got
  // one since `TakeAppeared`.
  bool awaiting_path_ = false;
  bool appeared_ = false;
  // A file's end was met by the last read: the next read is of bytes
  // written since, after a look at those before them.
  bool at_end_ = false;
  int64_t offset_ = 0;  // bytes read from a regular file
  int64_t line_number_ = 0;
  // The byte of the file after the last line handed out from it, and
  // the file's last bytes before it (see `KeepLast`).
  int64_t line_end_ = 0;
  std::string tail_;
  // The last bytes of an over-long line read so far (its start, then
  // those dropped), which `tail_` needs once the line ends.
  std::string long_line_tail_;
  // After a switch to a new file, the bytes at the front of `pending_`
  // that are the old file's unfinished last line.
  size_t old_file_bytes_ = 0;
  std::string error_;
  // The watched path; empty for none.
  std::string path_;
  // The new file at `path_`, once found; -1 before. The old one is read
  // once more to its end before switching.
  int next_fd_ = -1;
  // Whether the path was gone at the last look, since when, whether that
  // was told, and whether `TakeMissing` has it to tell.
  bool missing_ = false;
  std::chrono::steady_clock::time_point missing_since_;
  bool missing_told_ = false;
  bool went_missing_ = false;
  bool reopened_ = false;
};

}  // namespace parcours::ingest
