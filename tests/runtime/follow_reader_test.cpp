// Reading an input that is still being written (live mode).
#include "runtime/ingest/follow_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>

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

}  // namespace
}  // namespace parcours::testing
