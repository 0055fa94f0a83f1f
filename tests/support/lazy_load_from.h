// Sets `PARCOURS_LAZY_LOAD_FROM` (docs/runtime.md, "Lazy loading") for the
// loads and runs a test starts while it lives, and puts back what was
// there: the suite runs the runtime and e2e test programs a second time
// with it set to 0.
#pragma once

#include <stdlib.h>

#include <string>

namespace parcours::testing {

class LazyLoadFrom {
 public:
  // `value` null: unset, so that a small state loads in full.
  explicit LazyLoadFrom(const char* value) {
    const char* before = ::getenv("PARCOURS_LAZY_LOAD_FROM");
    had_ = before != nullptr;
    if (had_) saved_ = before;
    if (value == nullptr) {
      ::unsetenv("PARCOURS_LAZY_LOAD_FROM");
    } else {
      ::setenv("PARCOURS_LAZY_LOAD_FROM", value, 1);
    }
  }
  ~LazyLoadFrom() {
    if (had_) {
      ::setenv("PARCOURS_LAZY_LOAD_FROM", saved_.c_str(), 1);
    } else {
      ::unsetenv("PARCOURS_LAZY_LOAD_FROM");
    }
  }
  LazyLoadFrom(const LazyLoadFrom&) = delete;
  LazyLoadFrom& operator=(const LazyLoadFrom&) = delete;

 private:
  std::string saved_;
  bool had_ = false;
};

}  // namespace parcours::testing
