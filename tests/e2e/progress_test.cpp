// The progress line of `parcours run`: on a terminal only.
#include "tools/driver/progress.h"

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours {
namespace {

const std::string& kCampaign = testing::kUciCampaign;
const std::string& kSmallEvents = testing::kUciSmallEvents;

std::vector<std::string> RunArgs(const std::filesystem::path& scratch,
                                 const std::string& name) {
  return {"run",      kCampaign,
          "--events", kSmallEvents,
          "--state",  (scratch / (name + ".db")).string(),
          "--out",    (scratch / (name + ".jsonl")).string(),
          "--batch",  "100"};
}

// Runs `parcours ARGS...` with stdin, stdout and stderr on a terminal (a
// pseudo-terminal); returns what it printed there.
std::string RunOnTerminal(std::vector<std::string> args) {
  std::vector<std::string> all = {PARCOURS_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int terminal = -1;
  pid_t child = ::forkpty(&terminal, nullptr, nullptr, nullptr);
  if (child == 0) {
    ::setenv("PARCOURS_PROGRESS_MS", "0", 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  REQUIRE(child > 0);
  std::string printed;
  char buffer[4096];
  for (;;) {
    ssize_t got = ::read(terminal, buffer, sizeof buffer);
    if (got <= 0) break;  // EIO once the child has closed the terminal
    printed.append(buffer, static_cast<size_t>(got));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(terminal);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return printed;
}

TEST_CASE("a run shows its progress on a terminal") {
  auto scratch = testing::ScratchDir("progress-terminal");
  std::string printed = RunOnTerminal(RunArgs(scratch, "tty"));
  CHECK_THAT(printed, Catch::Contains("\rparcours: 100 events read, "));
  CHECK_THAT(printed, Catch::Contains(" events/s, "));
  CHECK_THAT(printed, Catch::Contains("\rparcours: 2700 events read, "));
  CHECK_THAT(printed, Catch::Contains(" sends\rparcours: "));
  // The line is erased before the summary.
  CHECK_THAT(printed, Catch::Contains("\rread 2744 lines: "));
}

TEST_CASE("a run piped or redirected prints no progress line") {
  auto scratch = testing::ScratchDir("progress-pipe");
  ::setenv("PARCOURS_PROGRESS_MS", "0", 1);
  auto result = testing::RunParcours(RunArgs(scratch, "pipe"), scratch);
  ::unsetenv("PARCOURS_PROGRESS_MS");
  CHECK(result.exit_code == 0);
  CHECK(result.err.find('\r') == std::string::npos);
  CHECK(result.err.find("events/s") == std::string::npos);
  CHECK_THAT(result.err, Catch::StartsWith("read 2744 lines: "));
}

TEST_CASE("the progress rate is that of the last interval, 0 when idle") {
  auto start = std::chrono::steady_clock::now();
  auto now = start;
  std::ostringstream err;
  driver::ProgressLine progress(err, true, [&] { return now; });

  now += std::chrono::seconds(1);
  progress.Update(1000, 0);
  CHECK(err.str() == "\rparcours: 1000 events read, 1000 events/s, 0 sends");

  // A live run with no input: nothing read in this second. (An average
  // since the start would say 500.)
  now += std::chrono::seconds(1);
  progress.Update(1000, 0);
  CHECK_THAT(err.str(),
             Catch::EndsWith("\rparcours: 1000 events read, 0 events/s, 0 "
                             "sends   "));

  now += std::chrono::seconds(2);
  progress.Update(7000, 3);
  CHECK_THAT(err.str(),
             Catch::EndsWith("\rparcours: 7000 events read, 3000 events/s, "
                             "3 sends"));
}

}  // namespace
}  // namespace parcours
