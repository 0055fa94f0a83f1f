// Reading an input that is still being written (live mode).
#include "runtime/ingest/follow_reader.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

using ingest::FollowReader;
using Result = FollowReader::Result;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

TEST_CASE("a growing file gives complete lines as they are finished",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, "first\r\nsecond, half");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100);
  std::string line;
  bool too_long = true;

  CHECK(reader.Next(line, too_long, 0) == Result::Line);
  CHECK(line == "first");
  CHECK_FALSE(too_long);
  // The half-written line is not a line yet, and the end of the file is
  // only a pause.
  CHECK(reader.Next(line, too_long, 30) == Result::Idle);
  CHECK(line.empty());

  Append(path, " and its end\nthird\n");
  CHECK(reader.Next(line, too_long, 30) == Result::Line);
  CHECK(line == "second, half and its end");
  CHECK(reader.Next(line, too_long, 30) == Result::Line);
  CHECK(line == "third");
  CHECK(reader.line_number() == 3);
  CHECK(reader.Next(line, too_long, 0) == Result::Idle);
  ::close(fd);
}

TEST_CASE("an input that never ends its line still gives the caller pauses",
          "[runtime][input]") {
  // `/dev/zero` always has bytes: the reader kept reading them, and the
  // live run never got back to its clock or to SIGTERM. A child process
  // runs the reader, so that a reader that loops again fails the test,
  // killed after a minute, instead of hanging it.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int fd = ::open("/dev/zero", O_RDONLY);
    FollowReader reader(fd, 100);
    std::string line;
    bool too_long = false;
    bool idle = reader.Next(line, too_long, 0) == Result::Idle &&
                reader.Next(line, too_long, 20) == Result::Idle;
    ::_exit(idle && line.empty() ? 0 : 1);
  }

  int status = 0;
  bool ended = false;
  for (int i = 0; i < 6000 && !ended; ++i) {
    ended = ::waitpid(child, &status, WNOHANG) == child;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!ended) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  CHECK(ended);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a long line is cut and flagged, even when it comes in pieces",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, std::string(15, 'x'));
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 10);
  std::string line;
  bool too_long = false;
  CHECK(reader.Next(line, too_long, 0) == Result::Idle);

  Append(path, std::string(15, 'y') + "\nshort\n");
  CHECK(reader.Next(line, too_long, 30) == Result::Line);
  CHECK(line == std::string(10, 'x'));
  CHECK(too_long);
  CHECK(reader.Next(line, too_long, 30) == Result::Line);
  CHECK(line == "short");
  CHECK_FALSE(too_long);
  ::close(fd);
}

TEST_CASE("a pipe waits no longer than asked, and ends when closed",
          "[runtime][input]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  FollowReader reader(fds[0], 100);
  std::string line;
  bool too_long = false;

  auto start = std::chrono::steady_clock::now();
  CHECK(reader.Next(line, too_long, 50) == Result::Idle);
  CHECK(std::chrono::steady_clock::now() - start <
        std::chrono::milliseconds(2000));

  std::string text = "one\ntwo";
  REQUIRE(::write(fds[1], text.data(), text.size()) ==
          static_cast<ssize_t>(text.size()));
  ::close(fds[1]);
  CHECK(reader.Next(line, too_long, 50) == Result::Line);
  CHECK(line == "one");
  // The writer's last line needs no newline once the pipe is closed.
  CHECK(reader.Next(line, too_long, 50) == Result::Line);
  CHECK(line == "two");
  CHECK(reader.Next(line, too_long, 50) == Result::End);
  CHECK(reader.Next(line, too_long, 50) == Result::End);
  ::close(fds[0]);
}

// Calls `Next` until it gives a line or `tries` pauses of `wait_ms`
// have passed.
Result NextLine(FollowReader& reader, std::string& line, int tries = 50,
                int wait_ms = 20) {
  bool too_long = false;
  Result result = Result::Idle;
  for (int i = 0; i < tries && result == Result::Idle; ++i) {
    result = reader.Next(line, too_long, wait_ms);
  }
  return result;
}

TEST_CASE(
    "a file moved away and replaced is read to its end, then the new one "
    "from its start",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string rotated = dir.File("events.jsonl.1");
  Append(path, "one\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "one");
  CHECK(NextLine(reader, line, 1) == Result::Idle);

  // The writer appends to the old file after the rename, before it
  // reopens: those lines come first, then the new file's. Its unfinished
  // last line is a line of its own.
  std::filesystem::rename(path, rotated);
  Append(rotated, "two\nthree, half");
  Append(path, "four\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "two");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "three, half");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "four");
  CHECK(reader.TakeReopened());
  CHECK_FALSE(reader.TakeReopened());
  CHECK_FALSE(reader.TakeMissing());
  CHECK(reader.line_number() == 4);

  // The descriptor now reads the new file: it grows as before.
  Append(path, "five\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "five");
  CHECK(NextLine(reader, line, 1) == Result::Idle);
  ::close(fd);
}

TEST_CASE(
    "an empty new file leaves the old one read until the new one has "
    "lines",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string rotated = dir.File("events.jsonl.1");
  Append(path, "one\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);

  // logrotate's create mode: moved, a new empty file made, and only then
  // the writer told to reopen.
  std::filesystem::rename(path, rotated);
  Append(path, "");
  CHECK(NextLine(reader, line, 3) == Result::Idle);
  Append(rotated, "two\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "two");
  CHECK_FALSE(reader.TakeReopened());

  Append(path, "three\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "three");
  CHECK(reader.TakeReopened());
  ::close(fd);
}

TEST_CASE(
    "a path gone is said once after a second, the open file is read on, "
    "and a file back at the path takes over",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string moved = dir.File("elsewhere.jsonl");
  Append(path, "one\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);

  std::filesystem::rename(path, moved);
  CHECK(NextLine(reader, line, 1) == Result::Idle);
  // A rename and create in a quick row is no news.
  CHECK_FALSE(reader.TakeMissing());
  auto gone_at = std::chrono::steady_clock::now();
  bool told = false;
  while (!told &&
         std::chrono::steady_clock::now() - gone_at < std::chrono::seconds(5)) {
    CHECK(NextLine(reader, line, 1, 50) == Result::Idle);
    told = reader.TakeMissing();
  }
  CHECK(told);
  CHECK(std::chrono::steady_clock::now() - gone_at >=
        std::chrono::milliseconds(900));

  Append(moved, "two\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "two");
  CHECK(NextLine(reader, line, 30) == Result::Idle);
  CHECK_FALSE(reader.TakeMissing());

  Append(path, "three\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "three");
  CHECK(reader.TakeReopened());
  ::close(fd);
}

TEST_CASE("without a path, a replaced file is not followed",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, "one\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);
  std::filesystem::rename(path, dir.File("events.jsonl.1"));
  Append(path, "new\n");
  CHECK(NextLine(reader, line, 5) == Result::Idle);
  CHECK_FALSE(reader.TakeReopened());
  ::close(fd);
}

// The file's bytes from `from` to `to`.
std::string Bytes(const std::string& path, size_t from, size_t to) {
  return ReadBytes(path).substr(from, to - from);
}

TEST_CASE(
    "the place after a line is its end in the file, with the bytes before "
    "it, also after an over-long line",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string first = "one\r\n";
  // Far longer than both the line limit and the tail, and ending in
  // bytes that come in a later read than its start.
  std::string long_line = std::string(70000, 'x') + std::string(3000, 'y');
  Append(path, first + long_line.substr(0, 65000));
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  ingest::ReadPlace place;
  REQUIRE(reader.Place(place));
  CHECK(place.offset == 0);
  CHECK(place.line == 0);
  CHECK(place.tail.empty());

  REQUIRE(NextLine(reader, line) == Result::Line);
  REQUIRE(reader.Place(place));
  CHECK(place.offset == static_cast<int64_t>(first.size()));
  CHECK(place.line == 1);
  CHECK(place.tail == first);
  // Half the long line read: the place stays after the line handed out.
  CHECK(NextLine(reader, line, 1) == Result::Idle);
  REQUIRE(reader.Place(place));
  CHECK(place.offset == static_cast<int64_t>(first.size()));

  Append(path, long_line.substr(65000) + "\nthree\nfour, half");
  REQUIRE(NextLine(reader, line) == Result::Line);
  size_t long_end = first.size() + long_line.size() + 1;
  REQUIRE(reader.Place(place));
  CHECK(place.offset == static_cast<int64_t>(long_end));
  CHECK(place.tail == Bytes(path, long_end - 4096, long_end));
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "three");
  REQUIRE(reader.Place(place));
  CHECK(place.offset == static_cast<int64_t>(long_end + 6));
  CHECK(place.line == 3);
  CHECK(place.tail == Bytes(path, long_end + 6 - 4096, long_end + 6));

  struct stat info {};
  REQUIRE(::fstat(fd, &info) == 0);
  CHECK(place.device == static_cast<uint64_t>(info.st_dev));
  CHECK(place.inode == static_cast<uint64_t>(info.st_ino));
  ::close(fd);
}

TEST_CASE("after many short lines the place holds the file's last 4 KiB",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "line " + std::to_string(i) + "\n";
  Append(path, text);
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  ingest::ReadPlace place;
  for (int i = 0; i < 3000; ++i) {
    REQUIRE(NextLine(reader, line) == Result::Line);
    // Looked at now and then, as commits do.
    if (i % 401 != 0 && i != 2999) continue;
    REQUIRE(reader.Place(place));
    size_t end = static_cast<size_t>(place.offset);
    size_t size = std::min<size_t>(end, 4096);
    CHECK(place.tail == text.substr(end - size, size));
  }
  CHECK(place.offset == static_cast<int64_t>(text.size()));
  CHECK(place.line == 3000);
  ::close(fd);
}

TEST_CASE("a reader resumed at a place reads on from there, numbering lines on",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, "one\ntwo\nthree\n");
  ingest::ReadPlace place;
  {
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    FollowReader reader(fd, 100, path);
    std::string line;
    REQUIRE(NextLine(reader, line) == Result::Line);
    REQUIRE(NextLine(reader, line) == Result::Line);
    REQUIRE(reader.Place(place));
    ::close(fd);
  }

  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  REQUIRE(reader.ResumeAt(place));
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "three");
  CHECK(reader.line_number() == 3);
  ingest::ReadPlace after;
  REQUIRE(reader.Place(after));
  CHECK(after.offset == 14);
  CHECK(after.tail == "one\ntwo\nthree\n");
  ::close(fd);
}

TEST_CASE(
    "the place is the start of the file after a cut, and of the new file "
    "after a rotation",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, "one\ntwo\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);
  REQUIRE(NextLine(reader, line) == Result::Line);

  std::filesystem::resize_file(path, 0);
  CHECK(NextLine(reader, line, 2) == Result::Idle);
  CHECK(reader.TakeTruncation());
  ingest::ReadPlace place;
  REQUIRE(reader.Place(place));
  CHECK(place.offset == 0);
  CHECK(place.line == 2);
  CHECK(place.tail.empty());
  Append(path, "three\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  REQUIRE(reader.Place(place));
  CHECK(place.offset == 6);
  CHECK(place.tail == "three\n");

  // The old file's unfinished last line is handed out from the new
  // file's start.
  std::filesystem::rename(path, dir.File("events.jsonl.1"));
  Append(dir.File("events.jsonl.1"), "four, half");
  Append(path, "five\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "four, half");
  REQUIRE(reader.Place(place));
  CHECK(place.offset == 0);
  CHECK(place.tail.empty());
  struct stat named {};
  REQUIRE(::stat(path.c_str(), &named) == 0);
  CHECK(place.inode == static_cast<uint64_t>(named.st_ino));
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "five");
  REQUIRE(reader.Place(place));
  CHECK(place.offset == 5);
  CHECK(place.line == 5);
  CHECK(place.tail == "five\n");
  ::close(fd);
}

TEST_CASE(
    "a file rewritten in place to more than was read is read from its start",
    "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  Append(path, "one\ntwo\n");
  int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  FollowReader reader(fd, 100, path);
  std::string line;
  REQUIRE(NextLine(reader, line) == Result::Line);
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(NextLine(reader, line, 2) == Result::Idle);

  // `cp export.jsonl events.jsonl`: the same file, truncated and written
  // again at once, longer than before; the reader never saw it short.
  {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << "alpha\nbravo\ncharlie\n";
  }
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "alpha");
  CHECK(reader.TakeRewrite());
  CHECK_FALSE(reader.TakeTruncation());
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "bravo");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "charlie");

  // Appends, and a half-written line finished later, are no rewrite.
  Append(path, "del");
  CHECK(NextLine(reader, line, 2) == Result::Idle);
  Append(path, "ta\n");
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "delta");
  CHECK(NextLine(reader, line, 2) == Result::Idle);
  CHECK_FALSE(reader.TakeRewrite());

  // A half-written line rewritten under the reader counts too.
  Append(path, "ech");
  CHECK(NextLine(reader, line, 2) == Result::Idle);
  {
    std::fstream out(path, std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(-3, std::ios::end);
    out << "ECH";
  }
  REQUIRE(NextLine(reader, line) == Result::Line);
  CHECK(line == "alpha");
  CHECK(reader.TakeRewrite());
  ::close(fd);
}

}  // namespace
}  // namespace parcours::testing
