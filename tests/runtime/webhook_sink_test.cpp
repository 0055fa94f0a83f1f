// The webhook sink against a real HTTP server that the test starts on the
// loopback interface, answering from a script.
#include "runtime/sinks/webhook_sink.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "runtime/common/hash.h"
#include "tests/support/scripted_http_server.h"

namespace parcours::testing {
namespace {

// Options that record the backoff instead of sleeping it.
sinks::WebhookOptions Options(const std::string& url,
                              std::vector<int64_t>& delays) {
  sinks::WebhookOptions options;
  options.url = url;
  options.initial_backoff_ms = 100;
  options.max_backoff_ms = 1000;
  options.timeout_ms = 5000;
  options.sleep = [&delays](int64_t ms) { delays.push_back(ms); };
  return options;
}

std::unique_ptr<sinks::WebhookSink> OpenSink(sinks::WebhookOptions options) {
  auto sink = sinks::WebhookSink::Open(std::move(options));
  REQUIRE(sink.ok());
  return std::move(*sink);
}

const char* kSendA = R"({"kind":"send","id":"p1/welcome/1/s1","at":"x"})";
const char* kSendB = R"({"kind":"send","id":"p2/welcome/2/s1","at":"x"})";

TEST_CASE("each action is posted in order with its idempotency key") {
  ScriptedServer server({});
  std::vector<int64_t> delays;
  sinks::WebhookOptions options = Options(server.url(), delays);
  options.authorization = "Bearer test-token";
  auto sink = OpenSink(options);

  REQUIRE(sink->Write(kSendA).ok());
  REQUIRE(sink->Write(kSendB).ok());
  // Nothing leaves before the flush: a batch goes out only once saved.
  CHECK(server.requests().empty());
  REQUIRE(sink->Flush().ok());

  std::vector<HttpRequest> requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/hooks/parcours");
  CHECK(requests[0].content_type == "application/json");
  CHECK(requests[0].authorization == "Bearer test-token");
  CHECK(requests[0].idempotency_key == "p1/welcome/1/s1");
  CHECK(requests[0].body == kSendA);
  CHECK(requests[1].idempotency_key == "p2/welcome/2/s1");
  CHECK(delays.empty());
  CHECK(sink->stats().delivered == 2);
}

TEST_CASE("a failure that may pass is retried with a doubling backoff") {
  ScriptedServer server({"503", "502", "500", "429"});
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(server.url(), delays));

  REQUIRE(sink->Write(kSendA).ok());
  REQUIRE(sink->Flush().ok());

  std::vector<HttpRequest> requests = server.requests();
  REQUIRE(requests.size() == 5);
  for (const HttpRequest& request : requests) {
    CHECK(request.idempotency_key == "p1/welcome/1/s1");
    CHECK(request.body == kSendA);
  }
  CHECK(delays == std::vector<int64_t>{100, 200, 400, 800});
  CHECK(sink->stats().retries == 4);
}

TEST_CASE("a connection closed without an answer is retried") {
  ScriptedServer server({"drop", "drop"});
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(server.url(), delays));

  REQUIRE(sink->Write(kSendA).ok());
  REQUIRE(sink->Flush().ok());

  CHECK(server.requests().size() == 3);
  CHECK(delays == std::vector<int64_t>{100, 200});
}

TEST_CASE("the server's Retry-After replaces the backoff, within the cap") {
  ScriptedServer server({"429 Retry-After: 0", "503 Retry-After: 7"});
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(server.url(), delays));

  REQUIRE(sink->Write(kSendA).ok());
  REQUIRE(sink->Flush().ok());

  // 0 s as asked, then 7 s capped at the 1 s maximum.
  CHECK(delays == std::vector<int64_t>{0, 1000});
}

TEST_CASE("an answer that retrying cannot fix stops the flush at once") {
  ScriptedServer server({"200", "400"});
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(server.url(), delays));

  REQUIRE(sink->Write(kSendA).ok());
  REQUIRE(sink->Write(kSendB).ok());
  REQUIRE(sink->Write(R"({"kind":"send","id":"never-posted"})").ok());
  common::Status flushed = sink->Flush();

  CHECK_FALSE(flushed.ok());
  CHECK(flushed.message() ==
        "webhook `" + server.url() +
            "` answered HTTP 400 (\"no: try again later\") for action "
            "`p2/welcome/2/s1`, which retrying cannot fix");
  // The action after the failed one was not posted.
  CHECK(server.requests().size() == 2);
  CHECK(delays.empty());
}

// A moved receiver answers with where it went; that address is what the
// operator needs for `--out`, its secrets masked as in the URL.
TEST_CASE("a redirect names where it points, credentials masked") {
  ScriptedServer server(
      {"301 Location: https://ops:s3cret@hooks.example/v2?token=abc",
       "308 Location: /hooks/v2"});
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(server.url(), delays));

  REQUIRE(sink->Write(kSendA).ok());
  common::Status moved = sink->Flush();
  CHECK_FALSE(moved.ok());
  CHECK(moved.message() ==
        "webhook `" + server.url() +
            "` answered HTTP 301 (\"no: try again later\") for action "
            "`p1/welcome/1/s1`, which retrying cannot fix; it points to "
            "`https://***@hooks.example/v2?token=***` (its `Location`): if "
            "the receiver moved there, give that address to `--out`");
  CHECK(moved.message().find("s3cret") == std::string::npos);
  CHECK(moved.message().find("abc") == std::string::npos);

  // A relative `Location` is given as the address it stands for.
  std::string origin = server.url().substr(0, server.url().find("/hooks"));
  REQUIRE(sink->Write(kSendA).ok());
  common::Status relative = sink->Flush();
  CHECK_FALSE(relative.ok());
  CHECK_THAT(relative.message(),
             Catch::Contains("answered HTTP 308") &&
                 Catch::Contains("it points to `" + origin + "/hooks/v2`"));
  // Redirects are not followed: the actions go only where `--out` says.
  CHECK(server.requests().size() == 2);
  CHECK(delays.empty());
}

TEST_CASE("a server that never answers gives up after the last try") {
  // A port that was just free and is now closed: connections are refused.
  int port = 0;
  {
    ScriptedServer server({});
    port = std::stoi(server.url().substr(17, 5));
  }
  std::vector<int64_t> delays;
  sinks::WebhookOptions options =
      Options("http://127.0.0.1:" + std::to_string(port) + "/", delays);
  options.max_attempts = 3;
  auto sink = OpenSink(options);

  REQUIRE(sink->Write(kSendA).ok());
  common::Status flushed = sink->Flush();

  CHECK_FALSE(flushed.ok());
  CHECK(flushed.message().find("could not be reached") != std::string::npos);
  CHECK(flushed.message().find("after 3 tries") != std::string::npos);
  CHECK(delays == std::vector<int64_t>{100, 200});
}

TEST_CASE("only http and https webhook URLs are accepted") {
  sinks::WebhookOptions options;
  options.url = "file:///etc/passwd";
  auto refused = sinks::WebhookSink::Open(options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() ==
        "webhook URL `file:///etc/passwd`: only http:// and https:// are "
        "supported");
}

TEST_CASE("a webhook with no host, a bad port or a split header is refused") {
  for (const char* url : {"http://", "https://:80/x", "http://h:99999/"}) {
    sinks::WebhookOptions options;
    options.url = url;
    INFO(url);
    CHECK_FALSE(sinks::WebhookSink::Open(options).ok());
  }
  sinks::WebhookOptions options;
  options.url = "HTTP://127.0.0.1:9/";  // schemes are case-insensitive
  CHECK(sinks::WebhookSink::Open(options).ok());
  options.authorization = "Bearer x\r\nX-Injected: 1";
  CHECK_FALSE(sinks::WebhookSink::Open(options).ok());
}

TEST_CASE("credentials written in a webhook URL stay out of messages") {
  ScriptedServer server({"400"});
  std::string with_password =
      "http://user:s3cret@" +
      server.url().substr(std::string("http://").size());
  std::vector<int64_t> delays;
  auto sink = OpenSink(Options(with_password, delays));

  REQUIRE(sink->Write(kSendA).ok());
  common::Status flushed = sink->Flush();

  // The server was reached with the URL as written, and the message names
  // it without the user name and password.
  REQUIRE_FALSE(flushed.ok());
  CHECK(server.requests().size() == 1);
  CHECK(flushed.message().find("s3cret") == std::string::npos);
  CHECK(flushed.message().find("user") == std::string::npos);
  CHECK_THAT(flushed.message(),
             Catch::StartsWith("webhook `http://***@127.0.0.1:"));

  sinks::WebhookOptions refused;
  refused.url = "http://user:s3cret@127.0.0.1:9/x";
  refused.max_attempts = 0;
  auto opened = sinks::WebhookSink::Open(refused);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().message() ==
        "webhook URL `http://***@127.0.0.1:9/x`: at least one attempt is "
        "needed");
}

TEST_CASE("a webhook URL is redacted in its userinfo and query values") {
  CHECK(sinks::RedactUrl("https://a:b@h:1/p?q=x@y#f") ==
        "https://***@h:1/p?q=***#f");
  CHECK(sinks::RedactUrl("https://h/p?token=s3cret&flag&v=1") ==
        "https://h/p?token=***&flag&v=***");
  CHECK(sinks::RedactUrl("https://h?k=v") == "https://h?k=***");
  CHECK(sinks::RedactUrl("https://h/p#a?b=c") == "https://h/p#a?b=c");
  CHECK(sinks::RedactUrl("https://h/p?") == "https://h/p?");
  CHECK(sinks::RedactUrl("http://token@h") == "http://***@h");
  CHECK(sinks::RedactUrl("http://a:b@c@h/x") == "http://***@h/x");
  CHECK(sinks::RedactUrl("http://h/p@q") == "http://h/p@q");
  CHECK(sinks::RedactUrl("not a url") == "not a url");
}

TEST_CASE("an action without an id is keyed by a hash of its line") {
  CHECK(sinks::IdempotencyKey(R"({"kind":"task","id":"t-1"})") == "t-1");
  std::string line = R"({"kind":"task"})";
  CHECK(sinks::IdempotencyKey(line) ==
        "line:" + common::Hex64(common::Fnv1a64(line)));
  CHECK(sinks::IdempotencyKey("not json") ==
        "line:" + common::Hex64(common::Fnv1a64("not json")));
}

TEST_CASE("only passing failures are retried") {
  CHECK(sinks::IsRetryableStatus(503));
  CHECK(sinks::IsRetryableStatus(429));
  CHECK(sinks::IsRetryableStatus(408));
  CHECK_FALSE(sinks::IsRetryableStatus(400));
  CHECK_FALSE(sinks::IsRetryableStatus(404));
  CHECK_FALSE(sinks::IsRetryableStatus(301));
}

}  // namespace
}  // namespace parcours::testing
