#include "runtime/common/check.h"

#include <cstdio>
#include <cstdlib>

namespace parcours::common {

void CheckFailed(const char* condition, const char* message, const char* file,
                 int line) {
  // The one place the runtime library writes to a stream: the process is
  // about to stop, and the message is all a bug report will have.
  std::fprintf(stderr, "%s:%d: internal error: %s (check `%s` failed)\n", file,
               line, message, condition);
  std::abort();
}

}  // namespace parcours::common
