// The tests' scratch folders (tests/support/process.h) go away with the
// process that made them, so that running the suite does not fill the
// temporary folder; `PARCOURS_KEEP_SCRATCH=1` keeps them.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "tests/support/process.h"

namespace parcours::testing {
namespace {

// Forks a child that makes a scratch folder, writes a file in it and
// ends normally; returns the folder's path.
std::filesystem::path FolderOfAChild(const std::string& name, bool keep) {
  int pipe_ends[2];
  REQUIRE(::pipe(pipe_ends) == 0);
  // The child ends through `exit`, which flushes what it inherited.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_ends[0]);
    if (keep) ::setenv("PARCOURS_KEEP_SCRATCH", "1", 1);
    std::filesystem::path folder = ScratchDir(name);
    WriteText(folder / "left.txt", "x");
    std::string text = folder.string();
    ssize_t written = ::write(pipe_ends[1], text.data(), text.size());
    ::close(pipe_ends[1]);
    std::exit(written == static_cast<ssize_t>(text.size()) ? 0 : 1);
  }
  ::close(pipe_ends[1]);
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(got));
  }
  ::close(pipe_ends[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE_FALSE(text.empty());
  return text;
}

TEST_CASE("a test's scratch folder is removed when its process ends") {
  // This process's own folder stays while it runs, and the child leaves
  // it alone although it inherits the list of folders to remove.
  std::filesystem::path mine = ScratchDir("scratch-parent");
  std::filesystem::path gone = FolderOfAChild("scratch-child", false);
  CHECK_FALSE(std::filesystem::exists(gone));
  CHECK(std::filesystem::exists(mine));

  std::filesystem::path kept = FolderOfAChild("scratch-kept", true);
  CHECK(std::filesystem::exists(kept / "left.txt"));
  std::filesystem::remove_all(kept);
}

}  // namespace
}  // namespace parcours::testing
