// The edges of a run: reading the input when reading fails, and finding
// which actions an interrupted run already wrote to its file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/ingest/event_input.h"
#include "runtime/ingest/line_reader.h"
#include "runtime/sinks/json_lines_file.h"
#include "tests/runtime/runtime_test_support.h"
#include "tests/support/files.h"

namespace parcours::testing {
namespace {

// Gives `text`, then fails the next read the way a stream buffer does.
class FailingBuffer final : public std::streambuf {
 public:
  explicit FailingBuffer(std::string text) : text_(std::move(text)) {
    setg(text_.data(), text_.data(), text_.data() + text_.size());
  }

 protected:
  int_type underflow() override {
    throw std::runtime_error("the disk went away");
  }

 private:
  std::string text_;
};

// Hands out `text` a few bytes per refill, as a pipe written in small
// pieces would.
class TrickleBuffer final : public std::streambuf {
 public:
  TrickleBuffer(std::string text, size_t piece)
      : text_(std::move(text)), piece_(piece) {}

 protected:
  int_type underflow() override {
    if (next_ >= text_.size()) return traits_type::eof();
    size_t size = std::min(piece_, text_.size() - next_);
    char* start = text_.data() + next_;
    setg(start, start, start + size);
    next_ += size;
    return traits_type::to_int_type(*start);
  }

 private:
  std::string text_;
  size_t piece_;
  size_t next_ = 0;
};

TEST_CASE("lines are cut the same whatever pieces the input comes in",
          "[runtime][input]") {
  // Empty lines, CRLF, a lone CR inside, lines at and over the limit of
  // 10 bytes (a cut line keeps its first 10 bytes, CR and all), and a last
  // line without a newline.
  const std::string text =
      "one\n\ntwo\r\nthr\ree\n0123456789\n0123456789A\n"
      "a much longer line than ten bytes\r\nshort\r\n\r\nlast";
  struct Expected {
    std::string line;
    bool too_long;
  };
  const std::vector<Expected> expected = {
      {"one", false},       {"", false},           {"two", false},
      {"thr\ree", false},   {"0123456789", false}, {"0123456789", true},
      {"a much lon", true}, {"short", false},      {"", false},
      {"last", false}};

  for (size_t piece : {1, 2, 3, 7, 10, 11, 64, 1000}) {
    INFO("pieces of " << piece);
    TrickleBuffer buffer(text, piece);
    std::istream input(&buffer);
    ingest::LineReader reader(input, 10);
    std::string line;
    bool too_long = false;
    for (size_t i = 0; i < expected.size(); ++i) {
      REQUIRE(reader.Next(line, too_long));
      CHECK(line == expected[i].line);
      CHECK(too_long == expected[i].too_long);
      CHECK(reader.line_number() == static_cast<int64_t>(i + 1));
    }
    CHECK_FALSE(reader.Next(line, too_long));
    CHECK_FALSE(reader.failed());
  }
}

// Hands out `line`, then the same byte over and over, as `/dev/zero`
// does. It ends after a megabyte only so that a reader that skips for
// ever fails the test instead of hanging it.
class EndlessBuffer final : public std::streambuf {
 public:
  EndlessBuffer(std::string line, char byte)
      : first_(std::move(line)), block_(4096, byte) {
    setg(first_.data(), first_.data(), first_.data() + first_.size());
  }

 protected:
  int_type underflow() override {
    if (blocks_given_++ == 256) return traits_type::eof();
    setg(block_.data(), block_.data(), block_.data() + block_.size());
    return traits_type::to_int_type(block_[0]);
  }

 private:
  std::string first_;
  std::string block_;
  int blocks_given_ = 0;
};

TEST_CASE("a line without an end stops the reader instead of looping",
          "[runtime][input]") {
  EndlessBuffer buffer("one\n", '\0');
  std::istream input(&buffer);
  ingest::LineReader reader(input, 100);
  std::string line;
  bool too_long = false;
  REQUIRE(reader.Next(line, too_long));
  CHECK(line == "one");

  CHECK_FALSE(reader.Next(line, too_long));
  CHECK(line.empty());
  CHECK(reader.failed());
  CHECK(reader.endless_line());
  CHECK(reader.endless_line_bytes() ==
        100 * ingest::LineReader::kEndlessLineFactor);
  CHECK(reader.error() == "line 2 has no end in its first 6400 bytes");
  CHECK_FALSE(reader.Next(line, too_long));
}

TEST_CASE("a long line short of the endless bound is still cut and skipped",
          "[runtime][input]") {
  // 50 times the limit, then a newline: a dead letter, and the next line
  // comes out whole.
  std::string text = std::string(5000, 'x') + "\nnext\n";
  TrickleBuffer buffer(text, 7);
  std::istream input(&buffer);
  ingest::LineReader reader(input, 100);
  std::string line;
  bool too_long = false;
  REQUIRE(reader.Next(line, too_long));
  CHECK(too_long);
  CHECK(line == std::string(100, 'x'));
  REQUIRE(reader.Next(line, too_long));
  CHECK_FALSE(too_long);
  CHECK(line == "next");
  CHECK_FALSE(reader.Next(line, too_long));
  CHECK_FALSE(reader.failed());
  CHECK_FALSE(reader.endless_line());
}

TEST_CASE("a read error ends the lines and says why", "[runtime][input]") {
  FailingBuffer buffer("one\ntwo\nthr");
  std::istream input(&buffer);
  ingest::LineReader reader(input, 100);
  std::string line;
  bool too_long = false;
  REQUIRE(reader.Next(line, too_long));
  CHECK(line == "one");
  REQUIRE(reader.Next(line, too_long));
  CHECK(line == "two");
  CHECK_FALSE(reader.Next(line, too_long));
  CHECK(line.empty());  // the half-read line is dropped
  CHECK(reader.failed());
  CHECK(reader.error() == "the disk went away");
  CHECK_FALSE(reader.Next(line, too_long));
}

TEST_CASE("reading a directory is an error, not an empty input",
          "[runtime][input]") {
  TempDir dir;
  std::string line;
  bool too_long = false;

  SECTION("through std::ifstream, which throws from inside the read") {
    std::ifstream input(dir.File(""), std::ios::binary);
    ingest::LineReader reader(input, 100);
    CHECK_FALSE(reader.Next(line, too_long));
    CHECK(reader.failed());
    CHECK(reader.error() == "Is a directory");
  }

  SECTION("through a descriptor, as stdin would be") {
    int fd = ::open(dir.File("").c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    ingest::FdInputBuffer buffer(fd, true);
    std::istream input(&buffer);
    ingest::LineReader reader(input, 100);
    CHECK_FALSE(reader.Next(line, too_long));
    CHECK(reader.failed());
    CHECK(reader.error() == "Is a directory");
  }

  SECTION("opened by name, it is refused before any read") {
    auto input = ingest::EventInput::Open(dir.File("x"));
    REQUIRE_FALSE(input.ok());
    CHECK(input.status().message() == "cannot read events file `" +
                                          dir.File("x") +
                                          "`: No such file or directory");
    std::filesystem::create_directory(dir.File("d"));
    input = ingest::EventInput::Open(dir.File("d"));
    REQUIRE_FALSE(input.ok());
    CHECK(input.status().message() ==
          "events file `" + dir.File("d") + "` is a directory");
  }
}

TEST_CASE("lines across the reader's blocks come out whole",
          "[runtime][input]") {
  // The reader takes up to 64 KB at a time into one buffer that it keeps
  // from block to block: lines that straddle blocks, span several, or
  // follow a longer block must come out as they went in.
  std::mt19937_64 random(20261205);
  std::vector<std::string> lines;
  std::string text;
  for (int i = 0; i < 400; ++i) {
    size_t length = random() % 8 == 0 ? random() % 200000 : random() % 300;
    std::string line(length, 'a' + static_cast<char>(i % 26));
    if (!line.empty()) line[0] = static_cast<char>('0' + i % 10);
    lines.push_back(line);
    text += line + "\n";
  }
  for (size_t piece :
       {size_t{1} << 16, size_t{70000}, size_t{4096}, text.size()}) {
    INFO("pieces of " << piece);
    TrickleBuffer buffer(text, piece);
    std::istream input(&buffer);
    ingest::LineReader reader(input, 1 << 20);
    std::string line;
    bool too_long = false;
    for (size_t i = 0; i < lines.size(); ++i) {
      REQUIRE(reader.Next(line, too_long));
      CHECK(line == lines[i]);
      CHECK_FALSE(too_long);
    }
    CHECK_FALSE(reader.Next(line, too_long));
    CHECK_FALSE(reader.failed());
  }
}

TEST_CASE("a file read through a descriptor gives its lines",
          "[runtime][input]") {
  TempDir dir;
  std::string path = dir.File("events.jsonl");
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + "\n";
  std::ofstream(path, std::ios::binary) << text << "last";

  auto input = ingest::EventInput::Open(path);
  REQUIRE(input.ok());
  CHECK((*input)->name() == "events file `" + path + "`");
  ingest::LineReader reader((*input)->stream(), 100);
  std::string line;
  bool too_long = false;
  int count = 0;
  while (reader.Next(line, too_long)) {
    if (count < 20000) CHECK(line == "line " + std::to_string(count));
    ++count;
  }
  CHECK(count == 20001);
  CHECK(line.empty());
  CHECK_FALSE(reader.failed());
}

TEST_CASE("a run over an unreadable stream fails and names it",
          "[runtime][input][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::ifstream events(dir.File(""), std::ios::binary);
  sinks::MemorySink sink;
  engine::RunOptions options = OptionsFor(dir.File("s.db"));
  options.events_name = "events file `x`";
  auto result = engine::Run(shop.program, *evaluator, events, sink, options);
  CHECK(result.status.message() ==
        "could not read events file `x` after line 0: Is a directory");
  CHECK_FALSE(result.stopped_at_bad_line);
}

std::vector<std::string_view> Views(const std::vector<std::string>& lines) {
  return std::vector<std::string_view>(lines.begin(), lines.end());
}

TEST_CASE("the end of an action file tells which pending lines it holds",
          "[runtime][sink]") {
  const std::vector<std::string> pending = {"{\"id\":\"a\"}", "{\"id\":\"b\"}",
                                            "{\"id\":\"c\"}"};
  struct Case {
    const char* name;
    std::string tail;
    bool whole;
    size_t delivered;
    size_t cut;
  };
  const std::string old = "{\"id\":\"old\"}\n";
  const Case cases[] = {
      {"empty file", "", true, 0, 0},
      {"none of them", old, true, 0, 0},
      {"the first", old + pending[0] + "\n", true, 1, 0},
      {"two", old + pending[0] + "\n" + pending[1] + "\n", true, 2, 0},
      {"all, at the file's start",
       pending[0] + "\n" + pending[1] + "\n" + pending[2] + "\n", true, 3, 0},
      {"all, in a window",
       "\n" + pending[0] + "\n" + pending[1] + "\n" + pending[2] + "\n", false,
       3, 0},
      {"one and a cut-short second", old + pending[0] + "\n{\"id\":\"b", true,
       1, 8},
      {"a cut-short first", old + "{\"i", true, 0, 3},
      {"a whole line without its newline", old + pending[0], true, 0,
       pending[0].size()},
      {"someone else's last line", old + pending[0] + "\nother\n", true, 0, 0},
      {"someone else's cut line", old + pending[0] + "\nother", true, 0, 0},
      {"a pending line without the ones before it", old + pending[1] + "\n",
       true, 0, 0},
      {"a line ending like a pending one", "x" + pending[0] + "\n", true, 0, 0},
      {"a window without a newline", "{\"id\":\"a", false, 0, 0},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    size_t cut = 99;
    CHECK(sinks::MatchDeliveredTail(c.tail, c.whole, Views(pending), cut) ==
          c.delivered);
    CHECK(cut == c.cut);
  }
}

TEST_CASE("an action file is repaired and not written twice after a crash",
          "[runtime][sink][run]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string state = dir.File("s.db");
  std::string out = dir.File("actions.jsonl");
  std::string events =
      Lines({Order("p1", "o1", "2011-01-02T10:00:00Z", "150"),
             Order("p2", "o2", "2011-01-02T11:00:00Z", "150"),
             Order("p3", "o3", "2011-01-02T12:00:00Z", "150"),
             Order("p4", "o4", "2011-01-02T13:00:00Z", "150"),
             Order("p5", "o5", "2011-01-02T14:00:00Z", "150")});
  engine::RunOptions options = OptionsFor(state);
  options.batch_size = 2;
  auto evaluator = interp::MakeInterpreter(shop.program);
  {
    auto sink = sinks::JsonLinesFileSink::Open(out);
    REQUIRE(sink.ok());
    std::istringstream input(events);
    auto result = engine::Run(shop.program, *evaluator, input, **sink, options);
    REQUIRE(result.status.ok());
  }
  std::string whole = testing::ReadText(out);
  REQUIRE(std::count(whole.begin(), whole.end(), '\n') == 5);

  // As if the run had been killed while writing the fourth line, after
  // the last batch committed but before its delivery was recorded.
  {
    auto db = store::Database::Open(state);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE meta SET value = 1 WHERE key = "
                     "'outbox_delivered'")
                .ok());
  }
  size_t fourth = 0;
  for (int i = 0; i < 3; ++i) fourth = whole.find('\n', fourth) + 1;
  std::filesystem::resize_file(out, fourth + 10);

  auto sink = sinks::JsonLinesFileSink::Open(out);
  REQUIRE(sink.ok());
  std::istringstream none("");
  auto result = engine::Run(shop.program, *evaluator, none, **sink, options);
  REQUIRE(result.status.ok());
  CHECK(testing::ReadText(out) == whole);
  CHECK(result.summary.already_delivered == 2);
  CHECK(result.summary.redelivered == 2);
  CHECK_THAT(engine::FormatSummary(result.summary),
             Catch::Contains("re-sent 2 actions committed by an interrupted "
                             "run\nskipped 2 actions of an interrupted run "
                             "already in the output\n"));
  CHECK(QueryInt(state,
                 "SELECT value FROM meta WHERE key = "
                 "'outbox_delivered'") == 5);
}

TEST_CASE("an action file sink refuses a directory", "[runtime][sink]") {
  TempDir dir;
  auto sink = sinks::JsonLinesFileSink::Open(dir.File(""));
  REQUIRE_FALSE(sink.ok());
  CHECK(sink.status().message() ==
        "cannot write actions file `" + dir.File("") + "`: it is a directory");
}

// `--out /dev/stdout | consumer`, or `--out` a named pipe, hung for ever:
// the check for a SQLite file read the pipe, and waited for bytes that
// only the run itself would write. With bytes already waiting, it took
// them from the pipe's reader: that is what this test can see.
TEST_CASE("an action file sink leaves a pipe's bytes to its reader",
          "[runtime][sink]") {
  TempDir dir;
  std::string pipe = dir.File("actions.pipe");
  REQUIRE(::mkfifo(pipe.c_str(), 0600) == 0);
  // Both ends at once, so that neither open waits for the other.
  int both_ends = ::open(pipe.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(both_ends >= 0);
  const std::string earlier = "0123456789abcdef\n";
  REQUIRE(::write(both_ends, earlier.data(), earlier.size()) ==
          static_cast<ssize_t>(earlier.size()));

  {
    auto sink = sinks::JsonLinesFileSink::Open(pipe);
    REQUIRE(sink.ok());
    REQUIRE((*sink)->Write("{\"kind\":\"send\"}").ok());
    REQUIRE((*sink)->Flush().ok());
  }

  std::string got(256, '\0');
  ssize_t size = ::read(both_ends, got.data(), got.size());
  ::close(both_ends);
  REQUIRE(size > 0);
  got.resize(static_cast<size_t>(size));
  CHECK(got == earlier + "{\"kind\":\"send\"}\n");
}

TEST_CASE("an action file sink says why it cannot open the file",
          "[runtime][sink]") {
  TempDir dir;
  std::string missing = dir.File("no-such-folder/actions.jsonl");
  auto sink = sinks::JsonLinesFileSink::Open(missing);
  REQUIRE_FALSE(sink.ok());
  CHECK(sink.status().message() ==
        "cannot write actions file `" + missing + "`: the folder `" +
            dir.File("no-such-folder") + "` does not exist");

  // A file name under a plain file fails in the OS, which says why.
  std::string plain = dir.File("plain");
  { std::ofstream(plain) << "x"; }
  auto under_file = sinks::JsonLinesFileSink::Open(plain + "/actions.jsonl");
  REQUIRE_FALSE(under_file.ok());
  CHECK(under_file.status().message() == "cannot write actions file `" + plain +
                                             "/actions.jsonl`: Not a "
                                             "directory");
}

TEST_CASE("an action file sink says why a write failed", "[runtime][sink]") {
  // Every write to /dev/full fails as on a full disk.
  auto sink = sinks::JsonLinesFileSink::Open("/dev/full");
  REQUIRE(sink.ok());

  common::Status written = (*sink)->Write(R"({"kind":"send"})");
  if (written.ok()) written = (*sink)->Flush();
  REQUIRE_FALSE(written.ok());
  CHECK(written.message() ==
        "could not write actions to file `/dev/full`: No space left on "
        "device");

  // A later call repeats the first failure's reason.
  CHECK((*sink)->Flush().message() == written.message());
}

}  // namespace
}  // namespace parcours::testing
