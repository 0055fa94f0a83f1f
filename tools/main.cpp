#include <iostream>

#include "tools/driver/driver.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return parcours::driver::RunCommandLine(args, std::cout, std::cerr);
}
