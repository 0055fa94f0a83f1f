#include "runtime/sinks/webhook_sink.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>
#include <type_traits>

#include "runtime/sinks/action_key.h"

namespace parcours::sinks {

using common::Expected;
using common::Status;

namespace {

// libcurl's global setup is not thread-safe; do it once, first.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// URL schemes are case-insensitive: "HTTPS://" is "https://".
bool StartsWith(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
      return false;
    }
  }
  return true;
}

struct ResponseState {
  int64_t retry_after_ms = -1;
  std::string body_start;  // the first bytes of the body, for messages
};

// Reads "Retry-After: <seconds>" (the HTTP-date form is rare for
// webhooks and is ignored: the backoff applies instead).
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<ResponseState*>(user);
  std::string_view header(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (header.size() > kName.size()) {
    std::string lower(header.substr(0, kName.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower == kName) {
      int64_t seconds = 0;
      bool digits = false;
      for (char c : header.substr(kName.size())) {
        if (c >= '0' && c <= '9') {
          seconds = std::min<int64_t>(seconds * 10 + (c - '0'), 86'400);
          digits = true;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
          digits = false;
          break;
        }
      }
      if (digits) state->retry_after_ms = seconds * 1000;
    }
  }
  return size * count;
}

// `text` on one line: its control characters become spaces, and past
// 300 bytes it is cut with "...".
std::string OneLine(std::string text) {
  constexpr size_t kLongest = 300;
  if (text.size() > kLongest) text = text.substr(0, kLongest) + "...";
  std::replace_if(
      text.begin(), text.end(),
      [](unsigned char c) { return c < 0x20 || c == 0x7f; }, ' ');
  return text;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<ResponseState*>(user);
  size_t room = 200 - std::min<size_t>(200, state->body_start.size());
  state->body_start.append(data, std::min(room, size * count));
  return size * count;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  // The authority runs from after "://" to the first "/", "?" or "#";
  // userinfo is whatever of it comes before its last "@".
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  size_t authority = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  size_t at = url.substr(authority, authority_end - authority).rfind('@');
  std::string redacted =
      at == std::string_view::npos
          ? std::string(url.substr(0, authority_end))
          : std::string(url.substr(0, authority)) + "***" +
                std::string(
                    url.substr(authority + at, authority_end - authority - at));

  // The query's values may be secrets too (`?token=...`): each keeps its
  // name, its value becomes "***".
  std::string_view rest = url.substr(authority_end);
  size_t query = rest.find('?');
  size_t fragment = rest.find('#');
  if (query == std::string_view::npos ||
      (fragment != std::string_view::npos && fragment < query)) {
    return redacted + std::string(rest);
  }
  size_t query_end =
      fragment == std::string_view::npos ? rest.size() : fragment;
  redacted += std::string(rest.substr(0, query + 1));
  std::string_view parameters = rest.substr(query + 1, query_end - query - 1);
  for (size_t start = 0; start <= parameters.size();) {
    size_t end = parameters.find('&', start);
    if (end == std::string_view::npos) end = parameters.size();
    std::string_view parameter = parameters.substr(start, end - start);
    size_t equals = parameter.find('=');
    redacted += equals == std::string_view::npos
                    ? std::string(parameter)
                    : std::string(parameter.substr(0, equals + 1)) + "***";
    if (end == parameters.size()) break;
    redacted += '&';
    start = end + 1;
  }
  return redacted + std::string(rest.substr(query_end));
}

namespace {

void SleepFor(int64_t milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

}  // namespace

bool IsRetryableStatus(long status) {
  return status == 408 || status == 425 || status == 429 || status >= 500;
}

Expected<std::unique_ptr<WebhookSink>> WebhookSink::Open(
    WebhookOptions options) {
  // A password written in the URL must not reach a terminal or a log.
  std::string context = "webhook URL `" + RedactUrl(options.url) + "`";
  if (!StartsWith(options.url, "http://") &&
      !StartsWith(options.url, "https://")) {
    return Status::Error(context +
                         ": only http:// and https:// are "
                         "supported");
  }
  // A URL libcurl cannot use (no host, a bad port) is refused now, not
  // after the first batch is saved and six tries have failed.
  CURLU* parsed = curl_url();
  CURLUcode parse = curl_url_set(parsed, CURLUPART_URL, options.url.c_str(), 0);
  char* host = nullptr;
  if (parse == CURLUE_OK)
    parse = curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  bool has_host = parse == CURLUE_OK && host != nullptr && host[0] != '\0';
  curl_free(host);
  curl_url_cleanup(parsed);
  if (!has_host) {
    return Status::Error(context + ": not a usable URL (" +
                         (parse == CURLUE_OK ? std::string("no host")
                                             : curl_url_strerror(parse)) +
                         ")");
  }
  if (options.authorization.find_first_of("\r\n") != std::string::npos) {
    return Status::Error(
        "the webhook's authorization value holds a line break, which would "
        "split the request's headers");
  }
  if (options.max_attempts < 1) {
    return Status::Error(context + ": at least one attempt is needed");
  }
  if (!options.sleep) options.sleep = SleepFor;

  InitCurlOnce();
  std::unique_ptr<WebhookSink> sink(new WebhookSink(std::move(options)));
  if (sink->curl_ == nullptr) {
    return Status::Error(context + ": could not start the HTTP client");
  }
  return sink;
}

WebhookSink::WebhookSink(WebhookOptions options)
    : options_(std::move(options)), curl_(curl_easy_init()) {}

WebhookSink::~WebhookSink() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Status WebhookSink::Write(std::string_view line) {
  queued_.emplace_back(line);
  return Status::Ok();
}

Status WebhookSink::Flush() {
  // In order, one at a time: a receiver sees actions in the order they
  // happened, and a failure leaves no later action delivered before it.
  std::vector<std::string> lines = std::move(queued_);
  queued_.clear();
  taken_by_failed_ = 0;
  int64_t taken = 0;
  for (const std::string& line : lines) {
    Status delivered = Deliver(line);
    if (!delivered.ok()) {
      taken_by_failed_ = taken;
      return delivered;
    }
    ++taken;
  }
  return Status::Ok();
}

Status WebhookSink::Deliver(const std::string& line) {
  std::string key = IdempotencyKey(line);
  int64_t backoff = options_.initial_backoff_ms;
  Answer answer;

  for (int attempt = 1;; ++attempt) {
    answer = Post(key, line);
    if (answer.connected && answer.status >= 200 && answer.status < 300) {
      ++stats_.delivered;
      return Status::Ok();
    }
    bool retryable = !answer.connected || IsRetryableStatus(answer.status);
    if (!retryable || attempt == options_.max_attempts) break;

    int64_t delay =
        answer.retry_after_ms >= 0 ? answer.retry_after_ms : backoff;
    WaitBeforeRetry(std::min(delay, options_.max_backoff_ms));
    if (Stopped()) break;
    backoff = std::min(backoff * 2, options_.max_backoff_ms);
    ++stats_.retries;
  }

  if (Stopped()) {
    return Status::Error(
        "stopped while webhook `" + RedactUrl(options_.url) +
        "` was being tried for action `" + key +
        "`; it stays in the state's outbox and goes out first at the next "
        "run");
  }
  std::string what = answer.connected
                         ? "answered HTTP " + std::to_string(answer.status)
                         : "could not be reached (" + answer.error + ")";
  // The start of the answer's body often says what was wrong with the
  // request; kept on one line.
  if (answer.connected && !answer.body_start.empty()) {
    what += " (\"" + OneLine(answer.body_start) + "\")";
  }
  // A redirect is not followed (a POST would turn into a GET, and the
  // actions would go where nobody configured them to), but where it
  // points is what the operator needs to fix `--out`.
  std::string moved;
  if (answer.connected && answer.status >= 300 && answer.status < 400 &&
      !answer.location.empty()) {
    moved = "; it points to `" + OneLine(RedactUrl(answer.location)) +
            "` (its `Location`): if the receiver moved there, give that "
            "address to `--out`";
  }
  return Status::Error(
      "webhook `" + RedactUrl(options_.url) + "` " + what + " for action `" +
      key + "`" +
      (answer.connected && !IsRetryableStatus(answer.status)
           ? ", which retrying cannot fix"
           : " after " + std::to_string(options_.max_attempts) + " tries") +
      moved);
}

void WebhookSink::WaitBeforeRetry(int64_t milliseconds) {
  if (options_.stop == nullptr) {
    options_.sleep(milliseconds);
    return;
  }
  // In slices, so that a stop does not wait out a long backoff.
  constexpr int64_t kSlice = 50;
  for (int64_t left = milliseconds; left > 0 && !Stopped(); left -= kSlice) {
    options_.sleep(std::min(left, kSlice));
  }
}

// The callback is declared with int64_t, which is curl_off_t here.
static_assert(std::is_same_v<curl_off_t, int64_t>);

int WebhookSink::OnProgress(void* sink, int64_t, int64_t, int64_t, int64_t) {
  return static_cast<const WebhookSink*>(sink)->Stopped() ? 1 : 0;
}

WebhookSink::Answer WebhookSink::Post(const std::string& key,
                                      const std::string& body) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);

  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, ("Idempotency-Key: " + key).c_str());
  if (!options_.authorization.empty()) {
    headers = curl_slist_append(
        headers, ("Authorization: " + options_.authorization).c_str());
  }
  // No "Expect: 100-continue" round trip for small bodies.
  headers = curl_slist_append(headers, "Expect:");

  ResponseState response;
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  if (options_.stop != nullptr) {
    // libcurl calls this about once a second while it waits, or sooner.
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);

  Answer answer;
  if (code != CURLE_OK) {
    answer.error = curl_easy_strerror(code);
    return answer;
  }
  answer.connected = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.retry_after_ms = response.retry_after_ms;
  answer.body_start = std::move(response.body_start);
  // libcurl gives a relative `Location` resolved against the request's
  // URL, which is the address to write in `--out`.
  char* location = nullptr;
  curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
  if (location != nullptr) answer.location = location;
  return answer;
}

}  // namespace parcours::sinks
