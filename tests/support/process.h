// Runs the `parcours` binary as a user would, capturing its output.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/files.h"

namespace parcours::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Scratch folders are removed when the test process ends: each run of
// the suite made about 600 of them, near a gigabyte, and left them all in
// the temporary folder. `PARCOURS_KEEP_SCRATCH=1` keeps them, for a look
// after a failure. A folder is removed by the process that made it only:
// a forked child inherits the list, and leaves its parent's alone.
inline void RemoveAtExit(const std::filesystem::path& path) {
  static std::vector<std::pair<pid_t, std::filesystem::path>> folders;
  static const bool registered = [] {
    std::atexit([] {
      const char* keep = std::getenv("PARCOURS_KEEP_SCRATCH");
      if (keep != nullptr && keep == std::string("1")) return;
      for (const auto& [maker, folder] : folders) {
        if (maker != ::getpid()) continue;
        std::error_code ignored;
        std::filesystem::remove_all(folder, ignored);
      }
    });
    return true;
  }();
  (void)registered;
  folders.emplace_back(::getpid(), path);
}

// A fresh, empty folder under the system's temporary folder, removed when
// the test process ends.
inline std::filesystem::path ScratchDir(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() /
              ("parcours-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  RemoveAtExit(path);
  return path;
}

inline std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// Runs `parcours ARGS...` with `scratch` as a place for its output files.
// With `kill_after_seconds`, a run still going then is killed (exit code
// 137), so that a test of a run that once never ended fails rather than
// hangs; with `memory_limit_mb`, a run that asks for more memory than that
// fails, so that one that once grew without end does not take the
// machine's memory first.
inline ProcessResult RunParcours(const std::vector<std::string>& args,
                                 const std::filesystem::path& scratch,
                                 const std::string& stdin_path = "",
                                 int kill_after_seconds = 0,
                                 int memory_limit_mb = 0) {
  std::string command;
  if (memory_limit_mb > 0) {
    command = "ulimit -v " + std::to_string(memory_limit_mb * 1024) + " && ";
  }
  if (kill_after_seconds > 0) {
    command += "timeout -s KILL " + std::to_string(kill_after_seconds) + " ";
  }
  command += ShellQuote(PARCOURS_BINARY);
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  auto out_path = scratch / "stdout.txt";
  auto err_path = scratch / "stderr.txt";
  command += " >" + ShellQuote(out_path.string()) + " 2>" +
             ShellQuote(err_path.string());
  command += " <" + ShellQuote(stdin_path.empty() ? "/dev/null" : stdin_path);

  int status = std::system(command.c_str());
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadText(out_path);
  result.err = ReadText(err_path);
  return result;
}

// Starts `parcours ARGS...` with its standard streams on /dev/null and
// returns its process id at once, for tests that kill it mid-run.
inline pid_t StartParcours(const std::vector<std::string>& args) {
  std::vector<std::string> all = {PARCOURS_BINARY};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : all) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    for (int stream = 0; stream < 3; ++stream) ::dup2(null, stream);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Root may read and write any file, so a test of what another user may
// not do runs the command as `nobody`. That user must reach the binary
// and the files: this makes a folder open to all,
// /tmp/parcours-test-NAME-PID, holding a copy of the binary, which
// `RunCopy` runs.
inline std::filesystem::path SharedScratchDir(const std::string& name) {
  namespace fs = std::filesystem;
  fs::path scratch = fs::path("/tmp") / ("parcours-test-" + name + "-" +
                                         std::to_string(::getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  fs::permissions(scratch, fs::perms::all);
  fs::copy_file(PARCOURS_BINARY, scratch / "parcours");
  RemoveAtExit(scratch);
  return scratch;
}

// Runs the copy of the binary in `scratch` (see `SharedScratchDir`) with
// `args`, as root, or as `nobody` through setpriv; stdout is dropped.
inline ProcessResult RunCopy(const std::filesystem::path& scratch,
                             const std::vector<std::string>& args,
                             bool as_nobody) {
  std::string command =
      as_nobody ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  command += ShellQuote((scratch / "parcours").string());
  for (const std::string& arg : args) command += " " + ShellQuote(arg);
  auto err_path = scratch / "stderr.txt";
  command += " >/dev/null 2>" + ShellQuote(err_path.string());

  int status = std::system(command.c_str());
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadText(err_path);
  return result;
}

}  // namespace parcours::testing
