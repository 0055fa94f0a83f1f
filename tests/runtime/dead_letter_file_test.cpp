// The dead-letter file on its own: letters each on a line of their own,
// whatever state a kill or a hand left the file in.
#include <catch2/catch.hpp>
#include <string>

#include "runtime/engine/dead_letters.h"
#include "tests/runtime/runtime_test_support.h"
#include "tests/support/files.h"

namespace parcours::testing {
namespace {

TEST_CASE("a letter after a line cut short starts a line of its own",
          "[runtime][dead-letters]") {
  TempDir dir;
  std::string path = dir.File("letters.jsonl");
  WriteText(path, "{\"line\":1,\"reason\":\"not JSON\",\"te");

  engine::DeadLetterFile letters(path);
  REQUIRE(letters.Append("{\"line\":2}").ok());
  REQUIRE(letters.Append("{\"line\":3}").ok());

  CHECK(ReadBytes(path) ==
        "{\"line\":1,\"reason\":\"not JSON\",\"te\n"
        "{\"line\":2}\n{\"line\":3}\n");
}

// `--dead-letter /dev/null` stopped every run with a bad line: the sync
// before the commit failed with "Invalid argument", as it does on any
// device or pipe, and the batch's actions were not saved.
TEST_CASE("letters to a device are handed over, with nothing to sync",
          "[runtime][dead-letters]") {
  engine::DeadLetterFile letters("/dev/null");
  REQUIRE(letters.CheckWritable().ok());
  REQUIRE(letters.Append("{\"line\":2}").ok());

  common::Status flushed = letters.Flush();

  INFO(flushed.message());
  CHECK(flushed.ok());
}

TEST_CASE("reading back removes a letter the kill cut, and only it",
          "[runtime][dead-letters]") {
  TempDir dir;
  std::string path = dir.File("letters.jsonl");
  std::string committed = "{\"line\":1}\n";
  WriteText(path, committed + "{\"line\":5}\n{\"line\":9,\"rea");

  engine::DeadLetterFile letters(path);
  REQUIRE(letters.ReadBack(static_cast<int64_t>(committed.size())).ok());

  CHECK(ReadBytes(path) == committed + "{\"line\":5}\n");
  CHECK(letters.TakeReadBack("{\"line\":5}"));
  CHECK_FALSE(letters.TakeReadBack("{\"line\":9,\"rea"));
  REQUIRE(letters.Append("{\"line\":9}").ok());
  CHECK(ReadBytes(path) == committed + "{\"line\":5}\n{\"line\":9}\n");
}

TEST_CASE("reading back leaves the committed letters alone",
          "[runtime][dead-letters]") {
  TempDir dir;
  std::string path = dir.File("letters.jsonl");
  // Cut before the place the state recorded: not the run's own letter
  // (the file was cut back by hand), so nothing is removed.
  std::string text = "{\"line\":1}\n{\"line\":2";
  WriteText(path, text);

  engine::DeadLetterFile letters(path);
  REQUIRE(letters.ReadBack(static_cast<int64_t>(text.size())).ok());
  CHECK(ReadBytes(path) == text);
}

}  // namespace
}  // namespace parcours::testing
