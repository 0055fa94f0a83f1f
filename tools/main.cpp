#include <csignal>
#include <iostream>

#include "tools/driver/driver.h"

int main(int argc, char** argv) {
  // A reader that closes the pipe must not kill the process silently:
  // writes then fail with EPIPE, and the run reports what was delivered.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  return parcours::driver::RunCommandLine(args, std::cout, std::cerr);
}
