// Failures of the environment (files, SQLite, streams) as returned values.
//
// The runtime never throws across its interface and never prints: a failed
// operation returns a `Status` or an `Expected<T>` whose message says what
// was being done, and each layer that passes it on puts its own context in
// front ("state file `s.db`: could not save: disk I/O error").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/common/check.h"

namespace parcours::common {

class [[nodiscard]] Status {
 public:
  Status() = default;

  static Status Ok() { return Status(); }

  static Status Error(std::string message) {
    Status status;
    status.failed_ = true;
    status.message_ = std::move(message);
    return status;
  }

  bool ok() const { return !failed_; }

  // Empty for a success.
  const std::string& message() const { return message_; }

  // This error with "`context`: " in front; a success stays a success.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Error(std::string(context) + ": " + message_);
  }

 private:
  bool failed_ = false;
  std::string message_;
};

// A value, or the error that prevented it.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : value_(std::move(value)) {}

  // `error` must be a failure: an `Expected` with neither value nor error
  // would be a bug in the caller.
  Expected(Status error) : status_(std::move(error)) {
    PARCOURS_CHECK(!status_.ok(), "Expected built from a success");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() {
    PARCOURS_CHECK(ok(), "value() of a failed Expected");
    return *value_;
  }
  const T& value() const {
    PARCOURS_CHECK(ok(), "value() of a failed Expected");
    return *value_;
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace parcours::common
