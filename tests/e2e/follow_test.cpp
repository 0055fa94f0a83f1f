// `parcours run --follow`: live mode on a growing file or a pipe, on a
// clock the test sets (PARCOURS_CLOCK_FILE), stopped by signals.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/engine/actions.h"
#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/scripted_http_server.h"

namespace parcours {
namespace {

const char kProgram[] =
    "event Ping \"Ping\" { note: string? }\n"
    "journey remind {\n"
    "  on Ping as ping\n"
    "  exit on Ping\n"
    "  send email \"hello\"\n"
    "  wait 1h\n"
    "  send email \"reminder\"\n"
    "}\n";

std::string Ping(const std::string& user, const std::string& id,
                 const std::string& time) {
  return R"({"type":"track","event":"Ping","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time + "\"}\n";
}

// The send line the engine writes for the instance started by input line
// `line` (of a fresh state) at `step`.
std::string Send(const std::string& profile, int64_t line,
                 const std::string& step, const std::string& template_name,
                 const std::string& at, bool late = false) {
  return R"({"kind":"send","id":")" +
         engine::ActionId("", profile, "remind", line * 65536,
                          step +
                              "\x1f"
                              "email\x1f" +
                              template_name) +
         R"(","at":")" + at + R"(","profile":")" + profile +
         R"(","channel":"email","template":")" + template_name +
         R"(","journey":"remind","step":")" + step +
         R"(","category":"marketing","payload":{})" +
         (late ? R"(,"late":true)" : "") + "}\n";
}

class LiveRun {
 public:
  // Starts `parcours run --follow` with `stdin_fd` as its stdin (or
  // /dev/null), its output and summary in files of `scratch`.
  LiveRun(const std::filesystem::path& scratch,
          const std::vector<std::string>& args, int stdin_fd = -1)
      : scratch_(scratch) {
    std::vector<std::string> all = {PARCOURS_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : all) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::string err = (scratch / "stderr.txt").string();
    std::string clock = (scratch / "clock.txt").string();

    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("PARCOURS_CLOCK_FILE", clock.c_str(), 1);
      int in = stdin_fd >= 0 ? stdin_fd : ::open("/dev/null", O_RDONLY);
      ::dup2(in, 0);
      int out = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }

  // Sends `signal` and returns the exit code.
  int Stop(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string Summary() const {
    return testing::ReadText(scratch_ / "stderr.txt");
  }

 private:
  std::filesystem::path scratch_;
  pid_t pid_ = -1;
};

void SetClock(const std::filesystem::path& scratch, const std::string& time) {
  // Written aside and renamed, so that the run never reads half a time.
  testing::WriteText(scratch / "clock.new", time + "\n");
  std::filesystem::rename(scratch / "clock.new", scratch / "clock.txt");
}

void Append(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
}

// Waits (up to ten seconds) until `file` holds `lines` lines; returns its
// text.
std::string AwaitLines(const std::filesystem::path& file, size_t lines) {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    text = testing::ReadText(file);
    if (static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >=
        lines) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return text;
}

TEST_CASE("a live run applies lines as they come and fires waits on time") {
  auto scratch = testing::ScratchDir("follow-file");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  std::vector<std::string> args = {
      "run",        program.string(), "--follow",
      "--events",   events.string(),  "--out",
      out.string(), "--state",        (scratch / "state.db").string()};

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun first(scratch, args);
  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z"));
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 1) == hello_a);
  // Idle, the run has written its rows to their tables, not left them in
  // blobs: SQL over `instances` sees a's wait while the run goes on.
  {
    auto state = store::Database::OpenReadOnly((scratch / "state.db").string());
    REQUIRE(state.ok());
    CHECK(*state->QueryInt("SELECT count(*) FROM instances") == 1);
    CHECK(*state->QueryInt("SELECT count(*) FROM pending_rows") == 0);
  }

  // No input, but the wall clock passes a's wait.
  SetClock(scratch, "2011-01-03T11:00:05Z");
  std::string reminder_a =
      Send("a", 1, "send2", "reminder", "2011-01-03T11:00:00Z");
  CHECK(AwaitLines(out, 2) == hello_a + reminder_a);

  // A half-written line waits for its end.
  SetClock(scratch, "2011-01-03T11:30:00Z");
  std::string ping_b = Ping("b", "2", "2011-01-03T11:30:00Z");
  Append(events, ping_b.substr(0, 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Append(events, ping_b.substr(20));
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T11:30:00Z");
  CHECK(AwaitLines(out, 3) == hello_a + reminder_a + hello_b);

  CHECK(first.Stop(SIGTERM) == 0);
  CHECK_THAT(first.Summary(),
             Catch::Contains("read 2 lines: 2 events applied") &&
                 Catch::Contains("sent 3 actions, 1 timer fired, 0 "
                                 "time-driven entries, 1 instance "
                                 "waiting\nclock at 2011-01-03T11:30:00Z\n"));

  // While no process ran, b's wait fell due: it fires once at the
  // restart, at its due time, marked late.
  SetClock(scratch, "2011-01-03T13:00:00Z");
  LiveRun second(scratch, args);
  std::string late_b =
      Send("b", 2, "send2", "reminder", "2011-01-03T12:30:00Z", true);
  CHECK(AwaitLines(out, 4) == hello_a + reminder_a + hello_b + late_b);
  // The late wait fires before the input is read on, after the two lines
  // the first run applied: they are not read again.
  Append(events, Ping("c", "3", "2011-01-03T13:00:00Z"));
  std::string hello_c = Send("c", 3, "send1", "hello", "2011-01-03T13:00:00Z");
  CHECK(AwaitLines(out, 5) ==
        hello_a + reminder_a + hello_b + late_b + hello_c);
  CHECK(second.Stop(SIGINT) == 0);
  CHECK_THAT(second.Summary(),
             Catch::Contains("read 1 line: 1 event applied, 0 identifies, 0 "
                             "duplicates skipped") &&
                 Catch::Contains("sent 2 actions, 1 timer fired, 0 "
                                 "time-driven entries, 1 instance "
                                 "waiting\nclock at 2011-01-03T13:00:00Z\n"));

  // And never again.
  LiveRun third(scratch, args);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(third.Stop(SIGTERM) == 0);
  CHECK(testing::ReadText(out) ==
        hello_a + reminder_a + hello_b + late_b + hello_c);
}

TEST_CASE("a future-dated line does not move a live run's clock") {
  auto scratch = testing::ScratchDir("follow-future");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  std::vector<std::string> args = {
      "run",        program.string(), "--follow",
      "--events",   events.string(),  "--out",
      out.string(), "--state",        (scratch / "state.db").string()};

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, args);
  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z"));
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 1) == hello_a);
  // Idle, the run has written its rows to their tables, not left them in
  // blobs: SQL over `instances` sees a's wait while the run goes on.
  {
    auto state = store::Database::OpenReadOnly((scratch / "state.db").string());
    REQUIRE(state.ok());
    CHECK(*state->QueryInt("SELECT count(*) FROM instances") == 1);
    CHECK(*state->QueryInt("SELECT count(*) FROM pending_rows") == 0);
  }

  // Another customer's line stamped a day ahead arrives now: it is handled
  // at the wall clock's time, and a's wait (due 11:00) does not fire.
  Append(events, Ping("b", "2", "2011-01-04T10:00:00Z"));
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 2) == hello_a + hello_b);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(testing::ReadText(out) == hello_a + hello_b);

  // A year typed wrong is not "a day ahead": as in a replay, a line
  // further ahead than --max-clock-jump is a dead letter, since its time
  // would count in its profile's windows for a century.
  Append(events, Ping("c", "3", "2111-01-03T10:00:00Z"));
  auto dead = scratch / "state.db.deadletter.jsonl";
  CHECK_THAT(AwaitLines(dead, 1),
             Catch::Contains("timestamp 2111-01-03T10:00:00Z is more than "
                             "99 years ahead of the wall clock "
                             "2011-01-03T10:00:00Z, past the limit of 90 "
                             "days (--max-clock-jump); check it, or raise "
                             "the limit"));
  CHECK(testing::ReadText(out) == hello_a + hello_b);

  CHECK(run.Stop(SIGTERM) == 0);
  CHECK_THAT(run.Summary(), Catch::Contains("clock at 2011-01-03T10:00:00Z"));
  CHECK_THAT(run.Summary(), Catch::Contains("1 dead letter"));
}

TEST_CASE(
    "a stop during a webhook's tries ends the live run at once, and the "
    "action waits in the outbox for the next run") {
  auto scratch = testing::ScratchDir("follow-webhook-stop");
  // A server that takes connections and never answers: a listening socket
  // nobody accepts from. Without the stop, each of the six tries would
  // wait out its ten-second timeout.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address),
                 sizeof address) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::string url =
      "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hooks";

  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z"));
  std::string state = (scratch / "state.db").string();
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, {"run", program.string(), "--follow", "--events",
                        events.string(), "--out", url, "--state", state});

  // The run has connected once the listener has a connection waiting.
  pollfd waiting{listener, POLLIN, 0};
  REQUIRE(::poll(&waiting, 1, 20000) == 1);
  CHECK(run.Stop(SIGTERM) == 2);
  CHECK_THAT(run.Summary(),
             Catch::Contains("stopped while webhook `" + url + "`") &&
                 Catch::Contains("goes out first at the next run"));
  ::close(listener);

  // The next run, to a server that answers, sends the kept action once;
  // the event itself is a duplicate by then.
  testing::ScriptedServer server({});
  auto next = testing::RunParcours(
      {"run", program.string(), "--events", events.string(), "--out",
       server.url(), "--state", state},
      scratch);
  CHECK(next.exit_code == 0);
  std::vector<testing::HttpRequest> requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK_THAT(requests[0].body, Catch::Contains("\"template\":\"hello\""));
}

// A live run on `events.jsonl` of `scratch`, empty at first, to which
// pings for `a` and `b` are appended; returned once it has sent their
// hellos to `out.jsonl`.
std::unique_ptr<LiveRun> StartOnTwoPings(const std::filesystem::path& scratch) {
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  SetClock(scratch, "2011-01-03T10:00:00Z");
  auto run = std::make_unique<LiveRun>(
      scratch,
      std::vector<std::string>{"run", program.string(), "--follow", "--events",
                               events.string(), "--out", out.string(),
                               "--state", (scratch / "state.db").string()});
  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                     Ping("b", "2", "2011-01-03T10:00:00Z"));
  CHECK(AwaitLines(out, 2) ==
        Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z") +
            Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z"));
  return run;
}

TEST_CASE(
    "a live run goes on from the start of a file cut back under it, as a "
    "log rotation's copytruncate does") {
  auto scratch = testing::ScratchDir("follow-truncate");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  std::unique_ptr<LiveRun> live = StartOnTwoPings(scratch);
  LiveRun& run = *live;
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");

  // Cut back to nothing, then a shorter line than all that was read: it
  // must still be read.
  std::filesystem::resize_file(events, 0);
  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z"));
  std::string hello_c = Send("c", 3, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 3) == hello_a + hello_b + hello_c);
  CHECK(run.Stop(SIGTERM) == 0);
  CHECK_THAT(run.Summary(),
             Catch::Contains("warning: events file `" + events.string() +
                             "` got shorter than what was read of it"));
}

TEST_CASE(
    "a live run reads again from its start a file rewritten in place to "
    "more than was read") {
  auto scratch = testing::ScratchDir("follow-rewrite");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  std::unique_ptr<LiveRun> live = StartOnTwoPings(scratch);
  LiveRun& run = *live;
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");

  // `cp export.jsonl events.jsonl`: other lines, more bytes than were
  // read, written over the same file at once. Read from where it stood,
  // the first of them would be lost and a piece of one a dead letter.
  std::string rewritten;
  for (const char* user : {"c", "d", "e"}) {
    rewritten += Ping(user, std::string("x-") + user, "2011-01-03T10:00:00Z");
  }
  testing::WriteText(events, rewritten);
  std::string hellos;
  int64_t line = 3;
  for (const char* user : {"c", "d", "e"}) {
    hellos += Send(user, line++, "send1", "hello", "2011-01-03T10:00:00Z");
  }
  CHECK(AwaitLines(out, 5) == hello_a + hello_b + hellos);
  CHECK(run.Stop(SIGTERM) == 0);
  // (Read between the cut and the write, the file is one cut back.)
  std::string summary = run.Summary();
  INFO(summary);
  CHECK((summary.find("` was rewritten in place") != std::string::npos ||
         summary.find("` got shorter than") != std::string::npos));
  CHECK_FALSE(std::filesystem::exists(scratch / "state.db.deadletter.jsonl"));
}

TEST_CASE("a live run stops cleanly on SIGHUP, as on SIGTERM") {
  // A dropped SSH session, or logrotate's `postrotate`, sends SIGHUP.
  auto scratch = testing::ScratchDir("follow-hangup");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  auto state = scratch / "state.db";
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch,
              {"run", program.string(), "--follow", "--events", events.string(),
               "--out", out.string(), "--state", state.string()});
  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z"));
  CHECK(AwaitLines(out, 1) ==
        Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z"));

  CHECK(run.Stop(SIGHUP) == 0);
  CHECK_THAT(run.Summary(), Catch::Contains("1 event applied"));
  // Closed as a clean stop closes it: nothing left in a write-ahead log.
  CHECK_FALSE(std::filesystem::exists(state.string() + "-wal"));
}

// How many lines of `text` contain `part`.
size_t CountLinesWith(const std::string& text, const std::string& part) {
  std::istringstream lines(text);
  size_t count = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(part) != std::string::npos) ++count;
  }
  return count;
}

TEST_CASE(
    "a live run follows a file moved away and replaced by a new one, as a "
    "log rotation's create mode does, and a restart skips what it applied") {
  auto scratch = testing::ScratchDir("follow-rotate");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  auto rotated = scratch / "events.jsonl.1";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  auto state = scratch / "state.db";
  std::vector<std::string> args = {
      "run",   program.string(), "--follow", "--events",    events.string(),
      "--out", out.string(),     "--state",  state.string()};
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, args);

  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                     Ping("b", "2", "2011-01-03T10:00:00Z"));
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 2) == hello_a + hello_b);

  // Moved away; its writer appends one more line to it before it reopens
  // the path, then writes the new file.
  std::filesystem::rename(events, rotated);
  Append(rotated, Ping("c", "3", "2011-01-03T10:00:00Z"));
  Append(events, Ping("d", "4", "2011-01-03T10:00:00Z") +
                     Ping("e", "5", "2011-01-03T10:00:00Z"));
  std::string hello_c = Send("c", 3, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_d = Send("d", 4, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_e = Send("e", 5, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 5) == hello_a + hello_b + hello_c + hello_d + hello_e);

  // The new file grows as before.
  Append(events, Ping("f", "6", "2011-01-03T10:00:00Z"));
  std::string hello_f = Send("f", 6, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string all = hello_a + hello_b + hello_c + hello_d + hello_e + hello_f;
  CHECK(AwaitLines(out, 6) == all);
  CHECK(run.Stop(SIGTERM) == 0);
  CHECK_THAT(run.Summary(),
             Catch::Contains("note: events file `" + events.string() +
                             "` names a new file (a log rotation?)"));
  {
    auto db = store::Database::OpenReadOnly(state.string());
    REQUIRE(db.ok());
    CHECK(*db->QueryInt("SELECT count(*) FROM log WHERE component = 'input' "
                        "AND level = 'info' AND message LIKE '%names a new "
                        "file%'") == 1);
  }

  // A restart reads on in the new file where the run stopped, numbering
  // lines on as that run did; the old file's are not read again.
  LiveRun restarted(scratch, args);
  Append(events, Ping("g", "7", "2011-01-03T10:00:00Z"));
  std::string sent = AwaitLines(out, 7);
  CHECK(restarted.Stop(SIGTERM) == 0);
  CHECK(sent == all + Send("g", 7, "send1", "hello", "2011-01-03T10:00:00Z"));
  CHECK_THAT(restarted.Summary(),
             Catch::Contains("read 1 line: 1 event applied, 0 identifies, 0 "
                             "duplicates skipped"));
  CHECK_THAT(restarted.Summary(), !Catch::Contains("note:"));
}

TEST_CASE(
    "a live run reads on from a file whose path is gone, says so once, "
    "and follows a new file when one comes") {
  auto scratch = testing::ScratchDir("follow-gone");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  auto moved = scratch / "moved.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, {"run", program.string(), "--follow", "--events",
                        events.string(), "--out", out.string(), "--state",
                        (scratch / "state.db").string()});

  Append(events, Ping("a", "1", "2011-01-03T10:00:00Z"));
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 1) == hello_a);

  std::filesystem::rename(events, moved);
  std::string gone = "warning: events file `" + events.string() + "` is gone";
  for (int i = 0; i < 500 && CountLinesWith(run.Summary(), gone) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(CountLinesWith(run.Summary(), gone) == 1);
  Append(moved, Ping("b", "2", "2011-01-03T10:00:00Z"));
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 2) == hello_a + hello_b);

  // Back, as a new file.
  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z"));
  std::string hello_c = Send("c", 3, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 3) == hello_a + hello_b + hello_c);
  CHECK(run.Stop(SIGTERM) == 0);
  CHECK(CountLinesWith(run.Summary(), gone) == 1);
  CHECK_THAT(run.Summary(), Catch::Contains("names a new file"));
}

TEST_CASE("a live run reads a pipe, and outlives its writer") {
  auto scratch = testing::ScratchDir("follow-pipe");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto out = scratch / "out.jsonl";
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch,
              {"run", program.string(), "--follow", "--events", "-", "--out",
               out.string(), "--state", (scratch / "state.db").string()},
              pipe_fds[0]);
  ::close(pipe_fds[0]);
  std::string ping = Ping("a", "1", "2011-01-03T10:00:00Z");
  REQUIRE(::write(pipe_fds[1], ping.data(), ping.size()) ==
          static_cast<ssize_t>(ping.size()));
  ::close(pipe_fds[1]);
  std::string hello = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 1) == hello);

  SetClock(scratch, "2011-01-03T11:00:00Z");
  std::string reminder =
      Send("a", 1, "send2", "reminder", "2011-01-03T11:00:00Z");
  CHECK(AwaitLines(out, 2) == hello + reminder);
  CHECK(run.Stop(SIGTERM) == 0);
  // Stdin has no place a restart could seek to.
  auto state = store::Database::OpenReadOnly((scratch / "state.db").string());
  REQUIRE(state.ok());
  CHECK(*state->QueryInt(
            "SELECT count(*) FROM meta WHERE key LIKE 'follow_%'") == 0);
}

// Starts `parcours ARGS...` with its stdout on `out_fd` and its stderr in
// `err_path`, on the clock file of `scratch`; returns its process id.
pid_t StartWithStdout(const std::filesystem::path& scratch,
                      std::vector<std::string> args, int out_fd,
                      const std::filesystem::path& err_path) {
  args.insert(args.begin(), PARCOURS_BINARY);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string clock = (scratch / "clock.txt").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("PARCOURS_CLOCK_FILE", clock.c_str(), 1);
    ::dup2(::open("/dev/null", O_RDONLY), 0);
    ::dup2(out_fd, 1);
    ::dup2(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

TEST_CASE(
    "a live run stopped while its stdout is not read says so, and the next "
    "run writes what it could not") {
  auto scratch = testing::ScratchDir("follow-stdout-unread");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  // Far more actions than the pipe holds.
  constexpr int kPings = 2000;
  std::string pings;
  for (int i = 0; i < kPings; ++i) {
    pings += Ping("u" + std::to_string(i), std::to_string(i),
                  "2011-01-03T10:00:00Z");
  }
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, pings);
  auto state = scratch / "state.db";
  SetClock(scratch, "2011-01-03T10:00:00Z");

  // A reader that never reads: the run's writes wait once the pipe is full.
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  ::fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096);
  pid_t pid = StartWithStdout(
      scratch,
      {"run", program.string(), "--follow", "--events", events.string(),
       "--out", "-", "--state", state.string()},
      pipe_fds[1], scratch / "stderr.txt");
  ::close(pipe_fds[1]);
  int waiting = 0;
  for (int i = 0; i < 1000 && waiting == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::ioctl(pipe_fds[0], FIONREAD, &waiting);
  }
  REQUIRE(waiting > 0);

  // A stop that comes just before a write starts to wait leaves the write
  // waiting, as an operator would find it; the next signal ends it.
  int status = 0;
  for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) {
    ::kill(pid, SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (::waitpid(pid, &status, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  std::string err = testing::ReadText(scratch / "stderr.txt");
  INFO(err);
  CHECK_THAT(err, !Catch::Contains("Interrupted system call"));
  CHECK_THAT(err, Catch::Contains("could not write actions to stdout: the "
                                  "run was stopped while stdout was not "
                                  "being read"));
  CHECK_THAT(err, Catch::Contains("the next run writes them first"));

  // What the reader would have read: whole lines, and a last one the stop
  // may have cut.
  std::string written;
  char buffer[4096];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    written.append(buffer, static_cast<size_t>(got));
  }
  ::close(pipe_fds[0]);

  // The next run writes the actions that were not, so that every ping's
  // welcome is written at least once.
  auto rerun = testing::RunParcours(
      {"run", program.string(), "--events", events.string(), "--out",
       (scratch / "rest.jsonl").string(), "--state", state.string()},
      scratch);
  INFO(rerun.err);
  REQUIRE(rerun.exit_code == 0);
  CHECK_THAT(rerun.err, Catch::Contains("committed by an interrupted run"));
  std::set<std::string> welcomed;
  std::istringstream lines(written + "\n" +
                           testing::ReadText(scratch / "rest.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line, nullptr, false);
    if (action.is_discarded() || action["template"] != "hello") continue;
    welcomed.insert(action["profile"].get<std::string>());
  }
  CHECK(welcomed.size() == kPings);
}

TEST_CASE("a live run stopped before a last line is finished says so") {
  auto scratch = testing::ScratchDir("follow-unfinished");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto events = scratch / "events.jsonl";
  std::string ping_b = Ping("b", "2", "2011-01-03T10:00:00Z");
  testing::WriteText(
      events, Ping("a", "1", "2011-01-03T10:00:00Z") + ping_b.substr(0, 30));
  auto out = scratch / "out.jsonl";

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, {"run", program.string(), "--follow", "--events",
                        events.string(), "--out", out.string(), "--state",
                        (scratch / "state.db").string()});
  std::string hello = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 1) == hello);

  // "read 1 line" alone would hide the 30 bytes of b's line: the operator
  // who stops the run must learn that one event waits for its end.
  CHECK(run.Stop(SIGTERM) == 0);
  CHECK_THAT(run.Summary(),
             Catch::Contains("read 1 line: 1 event applied") &&
                 Catch::Contains("warning: events file `" + events.string() +
                                 "` ends in an unfinished line (30 bytes, no "
                                 "newline yet), which was not applied; a "
                                 "restart reads it again once its writer "
                                 "ends it with a newline\n"));
}

TEST_CASE("follow refuses until and partitions") {
  auto scratch = testing::ScratchDir("follow-usage");
  auto program = scratch / "remind.journey";
  testing::WriteText(program, kProgram);
  auto result = testing::RunParcours(
      {"run", program.string(), "--follow", "--events", "-", "--state",
       (scratch / "s").string(), "--partitions", "2"},
      scratch);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("cannot be combined with `--until` "
                                         "or `--partitions`"));
}

}  // namespace
}  // namespace parcours

namespace parcours {
namespace {

TEST_CASE("a birthday due while no live run was up starts once, late") {
  auto scratch = testing::ScratchDir("follow-birthday");
  auto program = scratch / "program.journey";
  testing::WriteText(program,
                     "profile { birthday: date? }\n"
                     "journey birthday {\n"
                     "  on date profile.birthday at 09:00 local\n"
                     "  send email \"birthday\"\n}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, "");
  auto out = scratch / "out.jsonl";
  std::vector<std::string> args = {
      "run",        program.string(), "--follow",
      "--events",   events.string(),  "--out",
      out.string(), "--state",        (scratch / "state.db").string()};

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun first(scratch, args);
  Append(events, R"({"type":"identify","userId":"a","messageId":"1",)"
                 R"("timestamp":"2011-01-03T10:00:00Z",)"
                 R"("traits":{"birthday":"1980-01-04"}})"
                 "\n");
  // Applied once the summary counts it; nothing is due yet.
  for (int i = 0; i < 100 && testing::ReadText(out).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(first.Stop(SIGTERM) == 0);
  CHECK_THAT(first.Summary(), Catch::Contains("1 identify"));
  CHECK(testing::ReadText(out).empty());

  // The birthday, 2011-01-04 at 09:00 UTC, passes while no run is up.
  SetClock(scratch, "2011-01-05T00:00:00Z");
  LiveRun second(scratch, args);
  std::string sent = AwaitLines(out, 1);
  CHECK(second.Stop(SIGINT) == 0);
  CHECK_THAT(sent, Catch::Contains(R"("at":"2011-01-04T09:00:00Z")") &&
                       Catch::Contains(R"("template":"birthday")") &&
                       Catch::EndsWith("\"late\":true}\n"));

  // And never again.
  LiveRun third(scratch, args);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(third.Stop(SIGTERM) == 0);
  CHECK(testing::ReadText(out) == sent);
}

// While the input is idle, what time alone starts (a date, a schedule, a
// segment flipping) goes out when it falls due, as a wait's message does,
// not with the next line or at the stop.
TEST_CASE("a birthday due while a live run is idle goes out on time") {
  auto scratch = testing::ScratchDir("follow-idle-birthday");
  auto program = scratch / "program.journey";
  testing::WriteText(program,
                     "profile {\n  zone: tz = \"UTC\"\n  birthday: date?\n}\n"
                     "event Ping \"Ping\" { note: string? }\n"
                     "journey hello {\n  on Ping\n  send email \"hello\"\n}\n"
                     "journey birthday {\n"
                     "  on date profile.birthday at 09:00 local\n"
                     "  send email \"birthday\"\n}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events,
                     R"({"type":"identify","userId":"a","messageId":"1",)"
                     R"("timestamp":"2011-01-03T10:00:00Z",)"
                     R"("traits":{"birthday":"1980-01-04"}})"
                     "\n" +
                         Ping("a", "2", "2011-01-03T10:00:00Z"));
  auto out = scratch / "out.jsonl";
  std::vector<std::string> args = {
      "run",        program.string(), "--follow",
      "--events",   events.string(),  "--out",
      out.string(), "--state",        (scratch / "state.db").string()};

  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, args);
  // The hello shows that both lines are applied; then the birthday
  // passes, with no more input.
  std::string hello = AwaitLines(out, 1);
  REQUIRE_THAT(hello, Catch::Contains(R"("template":"hello")"));
  SetClock(scratch, "2011-01-04T09:30:00Z");
  std::string sent = AwaitLines(out, 2);
  CHECK_THAT(sent.substr(hello.size()),
             Catch::Contains(R"("at":"2011-01-04T09:00:00Z")") &&
                 Catch::Contains(R"("template":"birthday")") &&
                 !Catch::Contains(R"("late")"));
  CHECK(run.Stop(SIGTERM) == 0);
  CHECK_THAT(run.Summary(),
             Catch::Contains("sent 2 actions, 0 timers fired, 1 time-driven "
                             "entry, 0 instances waiting\n"));
  CHECK(testing::ReadText(out) == sent);
}

}  // namespace
}  // namespace parcours

namespace parcours {
namespace {

// Messages that fell due while no live run was up are judged by quiet
// hours and caps as of the moment they really go out: the restart.

// "kind at channel template [reason] [until] [late]" of each action line,
// one a line: what a receiver acts on, without the ids.
std::string Decisions(const std::string& lines) {
  std::string summary;
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    auto action = nlohmann::json::parse(line);
    summary += action["kind"].get<std::string>() + " " +
               action["at"].get<std::string>() + " " +
               action["channel"].get<std::string>() + " " +
               action["template"].get<std::string>();
    if (action.contains("reason")) {
      summary += " " + action["reason"].get<std::string>();
    }
    if (action.contains("until")) {
      summary += " until " + action["until"].get<std::string>();
    }
    if (action.value("late", false)) summary += " late";
    summary += "\n";
  }
  return summary;
}

// A program run over one Ping of profile `a` by a replay, which leaves its
// waits pending in the state as a live run stopped then would: the
// arguments of the live run to restart it with, and its actions file.
struct Restarted {
  std::filesystem::path out;
  std::vector<std::string> args;
};

// Replays `program_text` over a's Ping at `ping_at` and sets the clock to
// `restart`, for the live run to start at.
Restarted ReplayThenRestart(const std::filesystem::path& scratch,
                            const std::string& program_text,
                            const std::string& ping_at,
                            const std::string& restart) {
  auto program = scratch / "program.journey";
  testing::WriteText(program, program_text);
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, Ping("a", "1", ping_at));
  auto out = scratch / "out.jsonl";
  std::string state = (scratch / "state.db").string();
  auto replay = testing::RunParcours(
      {"run", program.string(), "--events", events.string(), "--out",
       out.string(), "--state", state},
      scratch);
  INFO(replay.err);
  REQUIRE(replay.exit_code == 0);
  SetClock(scratch, restart);
  return {out,
          {"run", program.string(), "--follow", "--events", events.string(),
           "--out", out.string(), "--state", state}};
}

TEST_CASE(
    "every message of a late instant is marked late, not only the first") {
  auto scratch = testing::ScratchDir("follow-late-twice");
  // Under a policy, each send waits for the instant's other messages, and
  // the second is reached only once the first is decided.
  Restarted restarted = ReplayThenRestart(
      scratch,
      "event Ping \"Ping\" { note: string? }\n"
      "policy roomy {\n  cap 5 per day\n}\n"
      "journey remind {\n  on Ping\n  policy roomy\n  wait 1h\n"
      "  send email \"first\"\n  send email \"second\"\n}\n",
      "2011-01-03T10:00:00Z", "2011-01-03T13:00:00Z");

  LiveRun live(scratch, restarted.args);
  CHECK(Decisions(AwaitLines(restarted.out, 2)) ==
        "send 2011-01-03T11:00:00Z email first late\n"
        "send 2011-01-03T11:00:00Z email second late\n");
  CHECK(live.Stop(SIGTERM) == 0);
}

TEST_CASE(
    "a late message held by quiet hours at the restart waits for their end "
    "under `defer`, while exempt and override messages still go") {
  auto scratch = testing::ScratchDir("follow-late-quiet-defer");
  // 17:00 in Paris (16:00Z) a's reminders are set for 18:00 (17:00Z); the
  // run is down until 23:30 in Paris (22:30Z), inside the quiet hours.
  Restarted restarted = ReplayThenRestart(
      scratch,
      "event Ping \"Ping\" { note: string? }\n"
      "profile {\n  timezone: tz = \"Europe/Paris\"\n}\n"
      "policy nights {\n"
      "  quiet 21:00 .. 08:00 local on sms\n"
      "  exempt transactional\n"
      "  when capped: defer within 12h\n}\n"
      "journey remind {\n  on Ping\n  policy nights\n"
      "  send email \"hello\"\n  wait 1h\n  send sms \"reminder\"\n}\n"
      "journey receipt {\n  on Ping\n  policy nights\n  wait 1h\n"
      "  send sms \"receipt\" category transactional\n"
      "  send sms \"alert\" override\n}\n",
      "2011-01-03T16:00:00Z", "2011-01-03T22:30:00Z");
  CHECK(Decisions(testing::ReadText(restarted.out)) ==
        "send 2011-01-03T16:00:00Z email hello\n");

  LiveRun live(scratch, restarted.args);
  // The reminder waits for 08:00 in Paris (07:00Z): 8.5 hours after its
  // first deferral at the restart, within the 12 allowed. The receipt and
  // the alert pass quiet hours as documented.
  std::string held =
      "send 2011-01-03T16:00:00Z email hello\n"
      "deferred 2011-01-03T17:00:00Z sms reminder quiet until "
      "2011-01-04T07:00:00Z late\n"
      "send 2011-01-03T17:00:00Z sms receipt late\n"
      "send 2011-01-03T17:00:00Z sms alert late\n";
  CHECK(Decisions(AwaitLines(restarted.out, 4)) == held);
  CHECK_THAT(testing::ReadText(restarted.out),
             Catch::Contains("quiet 21:00 .. 08:00 local on sms "
                             "(program.journey:6), as of the restart at "
                             "2011-01-03T22:30:00Z"));

  // At the end of the quiet hours it goes, on time, so not late.
  SetClock(scratch, "2011-01-04T07:00:05Z");
  CHECK(Decisions(AwaitLines(restarted.out, 5)) ==
        held + "send 2011-01-04T07:00:00Z sms reminder\n");
  CHECK(live.Stop(SIGTERM) == 0);
}

TEST_CASE(
    "a late message held by quiet hours at the restart is suppressed under "
    "`drop`, and moves to a free channel under `fallback`") {
  auto scratch = testing::ScratchDir("follow-late-quiet-drop");
  Restarted restarted = ReplayThenRestart(
      scratch,
      "event Ping \"Ping\" { note: string? }\n"
      "profile {\n  timezone: tz = \"Europe/Paris\"\n}\n"
      "policy nights {\n  quiet 21:00 .. 08:00 local on sms\n}\n"
      "policy elsewhere {\n"
      "  priority sms > email\n"
      "  quiet 21:00 .. 08:00 local on sms\n"
      "  when capped: fallback\n}\n"
      "journey remind {\n  on Ping\n  policy nights\n  wait 1h\n"
      "  send sms \"reminder\"\n}\n"
      "journey offer {\n  on Ping\n  policy elsewhere\n  wait 1h\n"
      "  send sms \"offer\"\n}\n"
      "journey control {\n  on Ping\n  holdout 100%\n  wait 1h\n"
      "  send sms \"control\"\n}\n",
      "2011-01-03T16:00:00Z", "2011-01-03T22:30:00Z");

  LiveRun live(scratch, restarted.args);
  // A holdout's line of a late message is late too; its journey has no
  // policy, so it does not wait for the instant's other messages.
  CHECK(Decisions(AwaitLines(restarted.out, 3)) ==
        "suppressed 2011-01-03T17:00:00Z sms control holdout late\n"
        "suppressed 2011-01-03T17:00:00Z sms reminder quiet late\n"
        "send 2011-01-03T17:00:00Z email offer late\n");
  CHECK(live.Stop(SIGTERM) == 0);
}

TEST_CASE(
    "late messages count in caps when they go out: two that fell due on "
    "two days of downtime do not both go at the restart") {
  auto scratch = testing::ScratchDir("follow-late-cap");
  // Monday's SMS goes live; Tuesday's and Wednesday's (of another
  // journey) fall due while the run is down until Wednesday 12:00.
  Restarted restarted = ReplayThenRestart(
      scratch,
      "event Ping \"Ping\" { note: string? }\n"
      "policy daily {\n  cap 1 per day on sms\n  when capped: defer\n}\n"
      "journey remind {\n  on Ping\n  policy daily\n"
      "  send sms \"first\"\n  wait 1d\n  send sms \"second\"\n}\n"
      "journey nudge {\n  on Ping\n  policy daily\n"
      "  wait 2d\n  send sms \"third\"\n}\n",
      "2011-01-03T10:00:00Z", "2011-01-05T12:00:00Z");

  LiveRun live(scratch, restarted.args);
  // Tuesday's goes at the restart and fills Wednesday's cap; Wednesday's
  // waits for Thursday.
  std::string held =
      "send 2011-01-03T10:00:00Z sms first\n"
      "send 2011-01-04T10:00:00Z sms second late\n"
      "deferred 2011-01-05T10:00:00Z sms third cap until "
      "2011-01-06T00:00:00Z late\n";
  CHECK(Decisions(AwaitLines(restarted.out, 3)) == held);
  SetClock(scratch, "2011-01-06T00:00:05Z");
  CHECK(Decisions(AwaitLines(restarted.out, 4)) ==
        held + "send 2011-01-06T00:00:00Z sms third\n");
  CHECK(live.Stop(SIGTERM) == 0);

  // The contact history holds the late send at the moment it went out.
  auto state = store::Database::OpenReadOnly((scratch / "state.db").string());
  REQUIRE(state.ok());
  CHECK(*state->QueryInt("SELECT count(*) FROM contacts WHERE at = "
                         "strftime('%s', '2011-01-05T12:00:00')") == 1);
  // The decisions say which were made late, at the restart: the second
  // SMS's send and the third's deferral, not the first's nor the third's
  // send at the end of its deferral.
  CHECK(*state->QueryInt("SELECT group_concat(template || ':' || kind || ':' "
                         "|| late, ' ') = 'first:send:0 second:send:1 "
                         "third:deferred:1 third:send:0' FROM (SELECT * FROM "
                         "decisions ORDER BY seq)") == 1);
  auto explained = testing::RunParcours(
      {"explain", "--state", (scratch / "state.db").string(), "--profile", "a"},
      scratch);
  CHECK_THAT(explained.out,
             Catch::Contains("send sms \"second\" in remind/send2 (late)\n") &&
                 Catch::Contains("send sms \"first\" in remind/send1\n"));
}

TEST_CASE(
    "after a late message the waits of its journey count from the restart, "
    "with a policy or without") {
  auto scratch = testing::ScratchDir("follow-late-pace");
  // Both journeys' second messages fall due on Tuesday 10:00, their third
  // on Wednesday 10:00, while the run is down until Wednesday 12:00.
  Restarted restarted =
      ReplayThenRestart(scratch,
                        "event Ping \"Ping\" { note: string? }\n"
                        "policy roomy {\n  cap 5 per day\n}\n"
                        "journey remind {\n  on Ping\n  policy roomy\n"
                        "  wait 1d\n  send email \"second\"\n"
                        "  wait 1d\n  send email \"third\"\n}\n"
                        "journey plain {\n  on Ping\n"
                        "  wait 1d\n  send sms \"later\"\n"
                        "  wait 1d\n  send sms \"last\"\n}\n",
                        "2011-01-03T10:00:00Z", "2011-01-05T12:00:00Z");

  // The Tuesday messages go at the restart, late; the Wednesday ones
  // follow them a day later, not in the same minute.
  LiveRun live(scratch, restarted.args);
  std::string at_restart = Decisions(AwaitLines(restarted.out, 2));
  CHECK_THAT(at_restart,
             Catch::Contains("send 2011-01-04T10:00:00Z email second late\n") &&
                 Catch::Contains("send 2011-01-04T10:00:00Z sms later late\n"));
  SetClock(scratch, "2011-01-06T12:00:05Z");
  std::string next_day = Decisions(AwaitLines(restarted.out, 4));
  CHECK(next_day.substr(0, at_restart.size()) == at_restart);
  CHECK_THAT(next_day.substr(at_restart.size()),
             Catch::Contains("send 2011-01-06T12:00:00Z email third\n") &&
                 Catch::Contains("send 2011-01-06T12:00:00Z sms last\n"));
  CHECK(live.Stop(SIGTERM) == 0);
}

// Points earned on Monday expire on Thursday, with a notice two days
// before; the run is down from Monday to Friday. At the restart the
// notice would announce an expiry that has already happened, just before
// the expiry's own message: only the expiry goes.
TEST_CASE(
    "an expiring notice that falls due while down is not sent after "
    "the expiry") {
  auto scratch = testing::ScratchDir("follow-late-notice");
  std::filesystem::create_directories(scratch / "late");
  std::filesystem::create_directories(scratch / "early");
  const std::string program =
      "event Ping \"Ping\" { note: string? }\n"
      "program club {\n  earn 100 points on Ping\n"
      "  expire 3d after earning\n  notify expiring 2d before\n}\n"
      "journey warn {\n  on PointsExpiring\n"
      "  send email \"expiring\"\n}\n"
      "journey gone {\n  on PointsExpired\n  send email \"expired\"\n}\n";
  Restarted late =
      ReplayThenRestart(scratch / "late", program, "2011-01-03T10:00:00Z",
                        "2011-01-07T12:00:00Z");
  // The same, back up between the notice and the expiry: both go.
  Restarted early =
      ReplayThenRestart(scratch / "early", program, "2011-01-03T10:00:00Z",
                        "2011-01-05T12:00:00Z");

  auto sends = [](const std::string& lines) {
    std::string templates;
    std::istringstream in(lines);
    for (std::string line; std::getline(in, line);) {
      auto action = nlohmann::json::parse(line);
      if (action["kind"] != "send") continue;
      templates += action["template"].get<std::string>() +
                   (action.value("late", false) ? " late" : "") + "\n";
    }
    return templates;
  };
  {
    LiveRun live(scratch / "late", late.args);
    std::string out = AwaitLines(late.out, 3);
    CHECK(live.Stop(SIGTERM) == 0);
    CHECK(sends(out) == "expired late\n");
  }
  {
    LiveRun live(scratch / "early", early.args);
    std::string out = AwaitLines(early.out, 2);
    CHECK(live.Stop(SIGTERM) == 0);
    CHECK(sends(out) == "expiring late\n");
  }
  auto state =
      store::Database::OpenReadOnly((scratch / "late" / "state.db").string());
  REQUIRE(state.ok());
  CHECK(*state->QueryInt(
            "SELECT count(*) FROM log WHERE message = 'expiring notice of 100 "
            "points not sent: they expire at 2011-01-06T10:00:00Z, before the "
            "restart at 2011-01-07T12:00:00Z'") == 1);
}

// A message that fell due while no run was up goes out at the restart,
// and the `wait for` after it times out an hour after the restart; but the
// contact reached that step when the message fell due. An order placed
// before then, its line read after the restart, does not answer it; one
// placed between then and the restart does.
TEST_CASE(
    "a `wait for` after a late message is answered by events from when the "
    "message fell due") {
  auto scratch = testing::ScratchDir("follow-late-wait-for");
  auto program = scratch / "program.journey";
  testing::WriteText(program,
                     "event Ping \"Ping\" { note: string? }\n"
                     "event Order \"Order\" { note: string? }\n"
                     "journey remind {\n  on Ping\n  reentry never\n"
                     "  wait 1h\n  send email \"second\"\n"
                     "  wait for Order within 1h {\n"
                     "    send email \"thanks\"\n"
                     "  } else {\n"
                     "    send email \"nudge\"\n"
                     "  }\n}\n");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  auto out = scratch / "out.jsonl";
  std::string state = (scratch / "state.db").string();
  auto replay = testing::RunParcours(
      {"run", program.string(), "--events", events.string(), "--out",
       out.string(), "--state", state},
      scratch);
  INFO(replay.err);
  REQUIRE(replay.exit_code == 0);
  REQUIRE(testing::ReadText(out).empty());

  // Down from 10:00 to 13:00: the second messages, due at 11:00, go at
  // the restart.
  SetClock(scratch, "2011-01-03T13:00:00Z");
  LiveRun live(scratch,
               {"run", program.string(), "--follow", "--events",
                events.string(), "--out", out.string(), "--state", state});
  auto summaries = [](const std::string& lines) {
    std::string summary;
    std::istringstream in(lines);
    for (std::string line; std::getline(in, line);) {
      auto action = nlohmann::json::parse(line);
      summary += action["at"].get<std::string>() + " " +
                 action["profile"].get<std::string>() + " " +
                 action["template"].get<std::string>() +
                 (action.value("late", false) ? " late" : "") + "\n";
    }
    return summary;
  };
  std::string late =
      "2011-01-03T11:00:00Z a second late\n"
      "2011-01-03T11:00:00Z b second late\n";
  CHECK(summaries(AwaitLines(out, 2)) == late);

  // Lines written while the run was down: a's order before 11:00, b's
  // after it.
  Append(events, R"({"type":"track","event":"Order","userId":"a",)"
                 R"("messageId":"o1","timestamp":"2011-01-03T10:30:00Z"})"
                 "\n");
  Append(events, R"({"type":"track","event":"Order","userId":"b",)"
                 R"("messageId":"o2","timestamp":"2011-01-03T12:00:00Z"})"
                 "\n");
  std::string thanked = late + "2011-01-03T13:00:00Z b thanks\n";
  CHECK(summaries(AwaitLines(out, 3)) == thanked);

  SetClock(scratch, "2011-01-03T14:00:05Z");
  CHECK(summaries(AwaitLines(out, 4)) ==
        thanked + "2011-01-03T14:00:00Z a nudge\n");
  CHECK(live.Stop(SIGTERM) == 0);
}

}  // namespace
}  // namespace parcours

namespace parcours {
namespace {

// A restart of a live run on the file it followed reads on where the
// state the last run saved stops: the lines before are neither read nor
// counted again, however long the file has grown.

// The arguments of a live run of `kProgram` over `events` in `scratch`.
std::vector<std::string> LiveArgs(const std::filesystem::path& scratch,
                                  const std::filesystem::path& events) {
  auto program = scratch / "remind.journey";
  if (!std::filesystem::exists(program)) testing::WriteText(program, kProgram);
  return {"run",
          program.string(),
          "--follow",
          "--events",
          events.string(),
          "--out",
          (scratch / "out.jsonl").string(),
          "--state",
          (scratch / "state.db").string()};
}

// A first live run on `events`, which it applies as two pings (to `a`
// and `b`), stopped once it has sent their hellos.
void RunOnTwoPings(const std::filesystem::path& scratch,
                   const std::filesystem::path& events) {
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun first(scratch, LiveArgs(scratch, events));
  AwaitLines(scratch / "out.jsonl", 2);
  CHECK(first.Stop(SIGTERM) == 0);
}

// The value of `meta` row `key` of the state in `scratch`; -1 when there
// is none.
int64_t MetaValue(const std::filesystem::path& scratch,
                  const std::string& key) {
  auto db = store::Database::OpenReadOnly((scratch / "state.db").string());
  REQUIRE(db.ok());
  auto value = db->QueryInt(
      "SELECT coalesce((SELECT value FROM meta WHERE "
      "key = '" +
      key + "'), -1)");
  REQUIRE(value.ok());
  return *value;
}

// The `log` rows of component `input` and level `info` whose message
// contains `part`.
int64_t InputNotes(const std::filesystem::path& scratch,
                   const std::string& part) {
  auto db = store::Database::OpenReadOnly((scratch / "state.db").string());
  REQUIRE(db.ok());
  auto count = db->QueryInt(
      "SELECT count(*) FROM log WHERE component = 'input' AND level = "
      "'info' AND instr(message, '" +
      part + "') > 0");
  REQUIRE(count.ok());
  return *count;
}

TEST_CASE(
    "a live run restarted on its file reads on where the saved state "
    "stopped, not the lines before") {
  auto scratch = testing::ScratchDir("follow-resume");
  auto events = scratch / "events.jsonl";
  // A dead letter in the part the first run reads: read again, it would
  // be counted again ("1 already in the dead-letter file").
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 "not json\n" +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  SetClock(scratch, "2011-01-03T10:00:00Z");
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_b = Send("b", 3, "send1", "hello", "2011-01-03T10:00:00Z");
  {
    LiveRun first(scratch, args);
    CHECK(AwaitLines(out, 2) == hello_a + hello_b);
    CHECK(first.Stop(SIGTERM) == 0);
    CHECK_THAT(first.Summary(), Catch::Contains("read 3 lines: 2 events "
                                                "applied") &&
                                    Catch::Contains("1 dead letter, 0 blank"));
  }
  CHECK(MetaValue(scratch, "follow_line") == 3);
  CHECK(MetaValue(scratch, "follow_offset") ==
        static_cast<int64_t>(testing::ReadText(events).size()));

  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z"));
  LiveRun second(scratch, args);
  std::string hello_c = Send("c", 4, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 3) == hello_a + hello_b + hello_c);
  CHECK(second.Stop(SIGTERM) == 0);
  CHECK_THAT(second.Summary(),
             Catch::StartsWith("read 1 line: 1 event applied, 0 identifies, "
                               "0 duplicates skipped, 0 ignored (undeclared "
                               "event), 0 dead letters, 0 blank\n"));
  CHECK_THAT(second.Summary(), !Catch::Contains("note:"));
  CHECK(MetaValue(scratch, "follow_line") == 4);
  CHECK(InputNotes(scratch, "reading it from its start") == 0);
}

TEST_CASE(
    "dead letters of a live run restarted on its file carry their line "
    "numbers in the file") {
  auto scratch = testing::ScratchDir("follow-resume-letters");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  RunOnTwoPings(scratch, events);

  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z") + "{broken\n");
  LiveRun second(scratch, args);
  auto dead = scratch / "state.db.deadletter.jsonl";
  std::string letters = AwaitLines(dead, 1);
  CHECK(second.Stop(SIGTERM) == 0);
  CHECK_THAT(letters, Catch::StartsWith(R"({"line":4,)"));
  CHECK(CountLinesWith(letters, "\"line\":") == 1);
  CHECK_THAT(second.Summary(),
             Catch::StartsWith("read 2 lines: 1 event applied"));
}

// Ids of profiles that sort in the order of their lines, so that the
// actions of one instant come out in line order however the commits
// fall.
std::string Numbered(int line) {
  char id[16];
  std::snprintf(id, sizeof id, "u%04d", line);
  return id;
}

TEST_CASE(
    "a live run killed in a burst of lines and restarted loses and repeats "
    "no line, and sends what a run not killed sends") {
  auto scratch = testing::ScratchDir("follow-resume-kill");
  constexpr int kLines = 200;
  std::string lines;
  for (int line = 1; line <= kLines; ++line) {
    lines += Ping(Numbered(line), std::to_string(line), "2011-01-03T10:00:00Z");
  }
  // And a last line half written when the run is killed.
  std::string last = Ping(Numbered(kLines + 1), "last", "2011-01-03T10:00:00Z");
  std::string head = lines + last.substr(0, 25);

  // Commits every 7 lines, so that the kill may fall between any two.
  auto run_in = [&](const std::string& name) {
    auto folder = scratch / name;
    std::filesystem::create_directories(folder);
    SetClock(folder, "2011-01-03T10:00:00Z");
    auto args = LiveArgs(folder, folder / "events.jsonl");
    args.insert(args.end(), {"--batch", "7"});
    return args;
  };

  auto whole_args = run_in("whole");
  testing::WriteText(scratch / "whole" / "events.jsonl", lines + last);
  std::string whole;
  {
    LiveRun run(scratch / "whole", whole_args);
    whole = AwaitLines(scratch / "whole" / "out.jsonl", kLines + 1);
    CHECK(run.Stop(SIGTERM) == 0);
  }
  REQUIRE(CountLinesWith(whole, "\"hello\"") == kLines + 1);

  auto killed_args = run_in("killed");
  auto events = scratch / "killed" / "events.jsonl";
  testing::WriteText(events, head);
  {
    LiveRun run(scratch / "killed", killed_args);
    AwaitLines(scratch / "killed" / "out.jsonl", 1);
    run.Stop(SIGKILL);
  }
  int64_t saved_line = MetaValue(scratch / "killed", "follow_line");
  CHECK(saved_line >= 1);
  CHECK(saved_line <= kLines);

  Append(events, last.substr(25));
  LiveRun restarted(scratch / "killed", killed_args);
  std::string sent = AwaitLines(scratch / "killed" / "out.jsonl", kLines + 1);
  CHECK(restarted.Stop(SIGTERM) == 0);
  CHECK(sent == whole);
  // It read exactly the lines the saved state did not cover.
  CHECK_THAT(restarted.Summary(),
             Catch::StartsWith(
                 "read " + std::to_string(kLines + 1 - saved_line) + " line") &&
                 Catch::Contains(" 0 duplicates skipped"));
}

TEST_CASE(
    "a live run restarted on a file replaced by a larger one reads it from "
    "its start, and says why") {
  auto scratch = testing::ScratchDir("follow-resume-replaced");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  RunOnTwoPings(scratch, events);

  // Written aside and moved over it: another file, which holds more
  // bytes than the first run read.
  auto replacement = scratch / "events.new";
  testing::WriteText(replacement, Ping("c", "3", "2011-01-03T10:00:00Z") +
                                      Ping("d", "4", "2011-01-03T10:00:00Z") +
                                      Ping("e", "5", "2011-01-03T10:00:00Z"));
  std::filesystem::rename(replacement, events);
  LiveRun second(scratch, args);
  std::string sent = AwaitLines(out, 5);
  CHECK(second.Stop(SIGTERM) == 0);
  // Numbered from its first line, as a run that read it from the start
  // numbers them.
  const char* at = "2011-01-03T10:00:00Z";
  CHECK(sent == Send("a", 1, "send1", "hello", at) +
                    Send("b", 2, "send1", "hello", at) +
                    Send("c", 1, "send1", "hello", at) +
                    Send("d", 2, "send1", "hello", at) +
                    Send("e", 3, "send1", "hello", at));
  CHECK_THAT(second.Summary(),
             Catch::Contains("note: events file `" + events.string() +
                             "` is another file than the one the last live "
                             "run read") &&
                 Catch::Contains("reading it from its start") &&
                 Catch::Contains("read 3 lines: 3 events applied"));
  CHECK(InputNotes(scratch, "is another file than the one") == 1);
}

TEST_CASE(
    "a live run restarted on a file cut back and grown again past where it "
    "stopped, or cut shorter, reads it from its start, and says why") {
  auto scratch = testing::ScratchDir("follow-resume-regrown");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  RunOnTwoPings(scratch, events);
  int64_t read_before = MetaValue(scratch, "follow_offset");

  // The same file (its inode), cut to nothing and written again, longer.
  std::filesystem::resize_file(events, 0);
  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z") +
                     Ping("d", "4", "2011-01-03T10:00:00Z") +
                     Ping("e", "5", "2011-01-03T10:00:00Z"));
  REQUIRE(static_cast<int64_t>(testing::ReadText(events).size()) > read_before);
  {
    LiveRun second(scratch, args);
    AwaitLines(out, 5);
    CHECK(second.Stop(SIGTERM) == 0);
    CHECK_THAT(second.Summary(),
               Catch::Contains("note: events file `" + events.string() +
                               "` holds other bytes before byte " +
                               std::to_string(read_before) +
                               ", where the last live run stopped reading "
                               "it, than it did then") &&
                   Catch::Contains("read 3 lines: 3 events applied"));
  }
  CHECK(InputNotes(scratch, "holds other bytes before byte") == 1);

  // Cut shorter than what was read, while no run is up.
  testing::WriteText(events, Ping("f", "6", "2011-01-03T10:00:00Z"));
  LiveRun third(scratch, args);
  AwaitLines(out, 6);
  CHECK(third.Stop(SIGTERM) == 0);
  CHECK_THAT(third.Summary(),
             Catch::Contains("note: events file `" + events.string() +
                             "` is shorter than the ") &&
                 Catch::Contains("read 1 line: 1 event applied"));
}

TEST_CASE(
    "a live run on a state that holds no place in its file reads it from "
    "its start, as does one whose place lost a row") {
  auto scratch = testing::ScratchDir("follow-resume-none");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  SetClock(scratch, "2011-01-03T10:00:00Z");
  // A replay saves no place, as an older Parcours saved none.
  std::vector<std::string> replay(args.begin(), args.end());
  replay.erase(replay.begin() + 2);
  REQUIRE(testing::RunParcours(replay, scratch).exit_code == 0);
  CHECK(MetaValue(scratch, "follow_offset") == -1);
  {
    LiveRun live(scratch, args);
    Append(events, Ping("c", "3", "2011-01-03T10:00:00Z"));
    AwaitLines(out, 3);
    CHECK(live.Stop(SIGTERM) == 0);
    CHECK_THAT(live.Summary(),
               Catch::Contains("note: events file `" + events.string() +
                               "`: the state holds no place where a live run "
                               "stopped reading it") &&
                   Catch::Contains("read 3 lines: 1 event applied, 0 "
                                   "identifies, 2 duplicates skipped"));
  }

  // A replay and the reports load a state with a place, and a replay
  // keeps it; a row of it deleted by hand is not refused, and the file
  // is read from its start.
  CHECK(
      testing::RunParcours({"explain", "--state",
                            (scratch / "state.db").string(), "--profile", "c"},
                           scratch)
          .exit_code == 0);
  Append(events, Ping("d", "4", "2011-01-03T10:00:00Z"));
  REQUIRE(testing::RunParcours(replay, scratch).exit_code == 0);
  CHECK(MetaValue(scratch, "follow_line") == 3);
  {
    auto db = store::Database::Open((scratch / "state.db").string());
    REQUIRE(db.ok());
    REQUIRE(db->Exec("DELETE FROM meta WHERE key = 'follow_line'").ok());
  }
  LiveRun live(scratch, args);
  Append(events, Ping("e", "5", "2011-01-03T10:00:00Z"));
  AwaitLines(out, 5);
  CHECK(live.Stop(SIGTERM) == 0);
  CHECK_THAT(live.Summary(),
             Catch::Contains("lacks the `meta` row `follow_line`") &&
                 Catch::Contains("read 5 lines: 1 event applied, 0 "
                                 "identifies, 4 duplicates skipped"));
}

TEST_CASE(
    "a live run stopped by --strict at a bad line stops there again at its "
    "restart") {
  auto scratch = testing::ScratchDir("follow-resume-strict");
  auto events = scratch / "events.jsonl";
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 "not json\n" +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  auto args = LiveArgs(scratch, events);
  args.push_back("--strict");
  for (int run = 0; run < 2; ++run) {
    auto stopped = testing::RunParcours(args, scratch, "", 60);
    CHECK(stopped.exit_code == 1);
    CHECK_THAT(stopped.err, Catch::Contains("parcours: line 2: "));
    CHECK(MetaValue(scratch, "follow_line") == 1);
  }
}

TEST_CASE("a live run started before its file exists waits for it") {
  auto scratch = testing::ScratchDir("follow-awaited");
  auto events = scratch / "events.jsonl";
  auto out = scratch / "out.jsonl";
  auto args = LiveArgs(scratch, events);
  SetClock(scratch, "2011-01-03T10:00:00Z");
  LiveRun run(scratch, args);
  // Longer than a path gone from under a run takes to be told.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));

  // The producer starts later, creating the file.
  testing::WriteText(events, Ping("a", "1", "2011-01-03T10:00:00Z") +
                                 Ping("b", "2", "2011-01-03T10:00:00Z"));
  std::string hello_a = Send("a", 1, "send1", "hello", "2011-01-03T10:00:00Z");
  std::string hello_b = Send("b", 2, "send1", "hello", "2011-01-03T10:00:00Z");
  CHECK(AwaitLines(out, 2) == hello_a + hello_b);
  CHECK(run.Stop(SIGTERM) == 0);
  std::string name = "events file `" + events.string() + "`";
  CHECK_THAT(run.Summary(),
             Catch::StartsWith("note: " + name +
                               " does not exist yet; waiting for it\n"));
  CHECK_THAT(run.Summary(),
             Catch::Contains("note: " + name +
                             " now exists; reading it from its start\n"));
  CHECK_THAT(run.Summary(), !Catch::Contains("is gone"));

  // Where it stopped reading the file is saved as for any file.
  Append(events, Ping("c", "3", "2011-01-03T10:00:00Z"));
  LiveRun second(scratch, args);
  CHECK(AwaitLines(out, 3) ==
        hello_a + hello_b +
            Send("c", 3, "send1", "hello", "2011-01-03T10:00:00Z"));
  CHECK(second.Stop(SIGTERM) == 0);
  CHECK_THAT(second.Summary(), Catch::StartsWith("read 1 line: "));
}

}  // namespace
}  // namespace parcours
