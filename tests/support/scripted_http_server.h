// A minimal HTTP/1.1 server on the loopback interface for the webhook
// tests: it answers from a script and records what it was sent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parcours::testing {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string idempotency_key;
  std::string content_type;
  std::string authorization;
  std::string body;
};

// Listens on 127.0.0.1 and a free port: it reads each request (headers,
// then a Content-Length body), records it, and answers with the next entry
// of its script (200 once the script is used up), keeping the connection
// open as HTTP/1.1 allows. An entry is a status ("503"), a status and one
// header ("429 Retry-After: 2"), or "drop" to close without answering.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> script)
      : script_(std::move(script)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    int yes = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address),
                 sizeof address) == 0);
    REQUIRE(listen(listener_, 8) == 0);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/parcours";
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stopping_) {
      int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      while (HandleOne(connection)) {
      }
      close(connection);
    }
  }

  // Handles one request; false when the connection is done.
  bool HandleOne(int connection) {
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      char byte;
      if (recv(connection, &byte, 1, 0) != 1) return false;
      head += byte;
    }
    HttpRequest request;
    size_t space = head.find(' ');
    request.method = head.substr(0, space);
    request.path =
        head.substr(space + 1, head.find(' ', space + 1) - space - 1);
    request.idempotency_key = Header(head, "Idempotency-Key");
    request.content_type = Header(head, "Content-Type");
    request.authorization = Header(head, "Authorization");
    size_t length = std::stoul("0" + Header(head, "Content-Length"));
    request.body.resize(length);
    size_t got = 0;
    while (got < length) {
      ssize_t n = recv(connection, request.body.data() + got, length - got, 0);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }

    std::string answer;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      if (next_ < script_.size()) answer = script_[next_++];
    }
    if (answer.empty()) answer = "200";
    if (answer == "drop") return false;  // close without answering

    // "503 Retry-After: 1" style entries carry one header.
    std::string status = answer.substr(0, 3);
    std::string extra =
        answer.size() > 4 ? answer.substr(4) + "\r\n" : std::string();
    std::string body = status == "200" ? "ok" : "no: try again later";
    std::string response = "HTTP/1.1 " + status + " X\r\n" + extra +
                           "Content-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n" + body;
    send(connection, response.data(), response.size(), MSG_NOSIGNAL);
    return true;
  }

  static std::string Header(const std::string& head, const std::string& name) {
    size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    size_t start = at + name.size() + 4;
    return head.substr(start, head.find("\r\n", start) - start);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> script_;
  size_t next_ = 0;
  std::vector<HttpRequest> requests_;
};

}  // namespace parcours::testing
