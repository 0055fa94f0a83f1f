// Actions POSTed to an HTTP endpoint, one request per action, with
// retries, backoff and an idempotency key.
//
// Each action goes as its JSON line in the body of a POST, with the
// headers
//   Content-Type: application/json
//   Idempotency-Key: <the action's "id", or "line:<hash>" without one>
// in the order the actions happened, one at a time, over a kept-alive
// connection. A 2xx answer delivers it. A failure that may pass (no
// connection, a timeout, 408, 425, 429 or any 5xx) is retried after a
// backoff that doubles from `initial_backoff_ms` up to `max_backoff_ms`,
// or after the server's Retry-After seconds when it sends them, up to
// `max_attempts` tries in all. Any other answer (a redirect, another 4xx)
// will not pass by retrying: the flush fails at once, naming the action
// and the answer, and for a redirect where it points (credentials and
// query values masked, as in the URL). Redirects are not followed.
//
// A failed flush stops the run before its batch is recorded as delivered,
// so the next run posts the batch again: delivery is at least once, and a
// receiver that remembers idempotency keys sees every action exactly once.
// `TakenByFailedFlush` says how many actions of that batch the receiver
// answered 2xx to before the failure, for the run's summary.
#pragma once

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/common/status.h"
#include "runtime/sinks/action_key.h"
#include "runtime/sinks/action_sink.h"

namespace parcours::sinks {

struct WebhookOptions {
  std::string url;  // http:// or https://
  int max_attempts = 6;
  int64_t initial_backoff_ms = 250;
  int64_t max_backoff_ms = 30'000;
  int64_t timeout_ms = 10'000;  // per request, connection included
  // Sent with every request when not empty, e.g. "Bearer abc"; read by the
  // command line from an environment variable so that it stays out of
  // process listings.
  std::string authorization;
  // How the sink waits between tries; tests pass one that records the
  // delays instead of sleeping.
  std::function<void(int64_t milliseconds)> sleep;
  // When set, a nonzero value (a stop asked for by SIGINT or SIGTERM)
  // ends the tries at once: a request waiting for its answer is given up
  // and no further try is made. The action stays in the state's outbox.
  const volatile std::sig_atomic_t* stop = nullptr;
};

// What a finished flush did, for the run summary and tests.
struct WebhookStats {
  int64_t delivered = 0;
  int64_t retries = 0;
};

class WebhookSink final : public ActionSink {
 public:
  // Refuses a URL that is not http(s) with "webhook URL `x`: ...".
  static common::Expected<std::unique_ptr<WebhookSink>> Open(
      WebhookOptions options);
  ~WebhookSink() override;

  common::Status Write(std::string_view line) override;
  common::Status Flush() override;

  int64_t TakenByFailedFlush() const override { return taken_by_failed_; }

  const WebhookStats& stats() const { return stats_; }

 private:
  explicit WebhookSink(WebhookOptions options);

  struct Answer {
    bool connected = false;  // false: no HTTP answer at all
    long status = 0;
    std::string error;            // why there was no answer
    int64_t retry_after_ms = -1;  // from Retry-After, when given
    std::string body_start;       // the first bytes of the body
    std::string location;         // of a redirect, as an absolute URL
  };
  Answer Post(const std::string& key, const std::string& body);
  common::Status Deliver(const std::string& line);
  bool Stopped() const { return options_.stop != nullptr && *options_.stop; }
  // Waits `milliseconds` before the next try, or less when a stop comes.
  void WaitBeforeRetry(int64_t milliseconds);
  // libcurl's progress callback: a nonzero return abandons the request.
  static int OnProgress(void* sink, int64_t, int64_t, int64_t, int64_t);

  WebhookOptions options_;
  void* curl_ = nullptr;  // CURL*, kept for its connection
  std::vector<std::string> queued_;
  WebhookStats stats_;
  int64_t taken_by_failed_ = 0;
};

// `url` with the user name and password written in it, if any, replaced
// by `***`, for messages: "http://***@host/x".
std::string RedactUrl(std::string_view url);

// Whether an HTTP status is worth another try.
bool IsRetryableStatus(long status);

}  // namespace parcours::sinks
