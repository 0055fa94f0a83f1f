// `parcours run`: compile, then process an event stream.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <utility>

#include "compiler/interp/interpreter.h"
#include "compiler/jit/jit.h"
#include "runtime/common/time_text.h"
#include "runtime/engine/run.h"
#include "runtime/ingest/event_input.h"
#include "runtime/sinks/json_lines_file.h"
#include "runtime/sinks/json_lines_sink.h"
#include "runtime/sinks/sqlite_outbox.h"
#include "runtime/sinks/webhook_sink.h"
#include "tools/driver/commands.h"
#include "tools/driver/progress.h"

namespace parcours::driver {
namespace {

// The largest `--batch`: lines read before a commit.
constexpr long long kMaxBatch = 100'000'000;

// The shortest secret for unsubscribe tokens: 128 bits.
constexpr size_t kLeastUnsubscribeKeyBytes = 16;

const char kRunUsage[] =
    "usage: parcours run PATH... --events FILE|- --state DB\n"
    "       [--out FILE|-|sqlite:DB|http(s)://URL]\n"
    "       [--engine jit|interp] [--dead-letter FILE] [--strict]\n"
    "       [--until TIME] [--batch N] [--jit-cache DIR]\n"
    "       [--max-clock-jump DURATION] [--partitions N] [--follow]\n"
    "       [--unsubscribe-url HTTPS-URL]\n";

// Set by SIGINT, SIGTERM and SIGHUP during `run --follow`.
volatile std::sig_atomic_t stop_requested = 0;

void RequestStop(int) { stop_requested = 1; }

// Ends a live run cleanly on SIGINT and SIGTERM, and on SIGHUP, which a
// dropped SSH session or a log rotation's `postrotate` sends (the run
// has nothing to reopen: it follows a rotated input by itself): the
// handler only sets a flag, and interrupts the wait for input (no
// SA_RESTART).
void CatchStopSignals() {
  struct sigaction action {};
  action.sa_handler = RequestStop;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
}

// The wall clock of a live run, in seconds since the epoch. For tests,
// PARCOURS_CLOCK_FILE names a file holding a UTC time (such as
// 2011-01-03T10:00:00Z) that is read each time instead; while it cannot
// be read, the last time read (at first the real time) stands.
int64_t SystemSeconds() {
  return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::function<int64_t()> WallClock() {
  const char* file = std::getenv("PARCOURS_CLOCK_FILE");
  if (file == nullptr || *file == '\0') return SystemSeconds;
  // Until the file is first read, the real time stands.
  auto last = std::make_shared<int64_t>(SystemSeconds());
  std::string path = file;
  return [path, last] {
    std::ifstream in(path);
    std::string text;
    if (in >> text) {
      auto time = common::ParseTime(text);
      if (time) *last = *time;
    }
    return *last;
  };
}

// The format of a compressed file, from its first bytes, or "" for any
// other file (and for stdin, which cannot be read twice). A compressed
// export given as the events made every line a dead letter, and the run
// ended with exit code 0 having applied nothing.
std::string CompressedFormat(const std::string& path) {
  if (path == "-") return "";
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return "";
  std::ifstream in(path, std::ios::binary);
  std::string start(6, '\0');
  in.read(start.data(), static_cast<std::streamsize>(start.size()));
  start.resize(static_cast<size_t>(in.gcount()));
  if (start.starts_with("\x1f\x8b")) return "gzip";
  if (start.starts_with("\x28\xb5\x2f\xfd")) return "zstd";
  if (start.starts_with("BZh")) return "bzip2";
  if (start.starts_with("\xfd\x37\x7a\x58\x5a")) return "xz";
  if (start.starts_with("PK\x03\x04")) return "zip";
  return "";
}

// The iconv name of the UTF-16 a file is written in, from its first
// bytes (a byte-order mark, or a `{` in one byte of two), or "" for any
// other file and for stdin. Such an export, as some Windows tools write
// it, made every line a dead letter (`import csv` refuses it already).
std::string Utf16Encoding(const std::string& path, bool* marked) {
  if (path == "-") return "";
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return "";
  std::ifstream in(path, std::ios::binary);
  std::string start(2, '\0');
  in.read(start.data(), static_cast<std::streamsize>(start.size()));
  if (in.gcount() < 2) return "";
  *marked = start == "\xff\xfe" || start == "\xfe\xff";
  if (*marked) return "UTF-16";
  if (start == std::string("{\0", 2)) return "UTF-16LE";
  if (start == std::string("\0{", 2)) return "UTF-16BE";
  return "";
}

// The command that writes a file of `format` decompressed to stdout.
std::string DecompressCommand(const std::string& format) {
  if (format == "gzip") return "gzip -dc";
  if (format == "zstd") return "zstd -dc";
  if (format == "bzip2") return "bzip2 -dc";
  if (format == "xz") return "xz -dc";
  return "unzip -p";
}

struct RunSettings {
  std::string events;
  std::string out = "-";
  std::string engine = "jit";
  std::string jit_cache;
  bool follow = false;
  engine::RunOptions options;
};

// Reads the run's own options; returns false after printing why.
bool ReadSettings(const Arguments& args, RunSettings* settings,
                  std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "parcours: " << message << "\n" << kRunUsage;
    return false;
  };
  if (args.positional.empty()) return fail("name the .journey files to run");
  if (!args.Has("--events")) return fail("`--events` is required");
  if (!args.Has("--state")) return fail("`--state` is required");

  settings->events = args.Get("--events", "");
  settings->out = args.Get("--out", "-");
  settings->engine = args.Get("--engine", "jit");
  settings->jit_cache = args.Get("--jit-cache", "");
  // The cache is only an optimisation, so a write that fails is silent;
  // a cache that can never be written is a mistake worth a word.
  if (std::error_code error;
      !settings->jit_cache.empty() &&
      std::filesystem::exists(settings->jit_cache, error) &&
      !std::filesystem::is_directory(settings->jit_cache, error)) {
    return fail("`--jit-cache` names a folder to keep compiled code in; `" +
                settings->jit_cache + "` is not a folder");
  }
  // Nor can one whose folder cannot be made (under a file, or where the
  // user may not write).
  if (std::error_code error;
      !settings->jit_cache.empty() &&
      !std::filesystem::is_directory(settings->jit_cache, error) &&
      (std::filesystem::create_directories(settings->jit_cache, error),
       error)) {
    return fail("`--jit-cache` folder `" + settings->jit_cache +
                "` cannot be made: " + error.message());
  }
  settings->options.state_path = args.Get("--state", "");
  settings->options.dead_letter_path = args.Get("--dead-letter", "");
  settings->options.strict = args.Has("--strict");
  if (settings->engine != "jit" && settings->engine != "interp") {
    return fail("`--engine` takes jit or interp, not `" + settings->engine +
                "`");
  }
  if (args.Has("--until")) {
    // `now`: the wall clock when the run starts, for a daily job that
    // fires what has fallen due since the last one.
    std::string text = args.Get("--until", "");
    auto until = text == "now" ? std::optional<int64_t>(WallClock()())
                               : common::ParseTime(text);
    if (!until || *until < common::kEarliestTime ||
        *until > common::kLatestTime) {
      return fail(
          "`--until` takes a time such as 2011-12-31T00:00:00Z (or "
          "2011-12-31T01:00:00+01:00), or `now`");
    }
    settings->options.until = *until;
  }
  if (args.Has("--max-clock-jump")) {
    auto jump = common::ParseDuration(args.Get("--max-clock-jump", ""));
    if (!jump) {
      return fail("`--max-clock-jump` takes a duration: 400d, 12h, 0");
    }
    settings->options.max_clock_jump = *jump;
  }
  if (args.Has("--partitions")) {
    std::string text = args.Get("--partitions", "");
    char* end = nullptr;
    long long partitions = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || partitions < 1 || partitions > 1024) {
      return fail("`--partitions` takes a whole number from 1 to 1024");
    }
    settings->options.partitions = static_cast<int>(partitions);
  }
  if (args.Has("--follow")) {
    if (args.Has("--until") || args.Has("--partitions")) {
      return fail(
          "`--follow` runs on the wall clock, one partition: it cannot be "
          "combined with `--until` or `--partitions`");
    }
    settings->follow = true;
    settings->options.now = WallClock();
    settings->options.stop = &stop_requested;
  }
  if (args.Has("--unsubscribe-url")) {
    std::string url = args.Get("--unsubscribe-url", "");
    // A scheme is case-insensitive: `HTTPS://` is https.
    std::string scheme = url.substr(0, 8);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (scheme != "https://" || url.size() <= 8) {
      return fail("`--unsubscribe-url` takes an https:// URL");
    }
    // The token and channel are appended to it, and it goes into a mail
    // header: a fragment would swallow them, and blanks, angle brackets
    // or line breaks would break the header.
    if (url.find_first_of("# <>\r\n\t\"") != std::string::npos) {
      return fail(
          "`--unsubscribe-url` cannot hold a fragment (#), blanks, "
          "quotes, angle brackets or line breaks");
    }
    // A secret does not belong on a command line, where `ps` shows it.
    const char* key = std::getenv("PARCOURS_UNSUBSCRIBE_KEY");
    if (key == nullptr || *key == '\0') {
      return fail(
          "`--unsubscribe-url` needs the secret for its tokens in "
          "the environment variable PARCOURS_UNSUBSCRIBE_KEY");
    }
    // Anyone holds a token of their own: with a short key, guessing it
    // from that token would let them unsubscribe others.
    if (std::strlen(key) < kLeastUnsubscribeKeyBytes) {
      return fail("PARCOURS_UNSUBSCRIBE_KEY holds " +
                  std::to_string(std::strlen(key)) +
                  " bytes; its tokens need a secret of at least " +
                  std::to_string(kLeastUnsubscribeKeyBytes) +
                  " (make one with `openssl rand -hex 32`)");
    }
    settings->options.unsubscribe_url = url;
    settings->options.unsubscribe_key = key;
  }
  if (args.Has("--batch")) {
    std::string text = args.Get("--batch", "");
    char* end = nullptr;
    errno = 0;
    long long batch = std::strtoll(text.c_str(), &end, 10);
    // With partitions a whole batch of lines is held in memory, so a
    // number past any file's length is a typo, not a wish.
    if (text.empty() || *end != '\0' || errno == ERANGE || batch < 1 ||
        batch > kMaxBatch) {
      return fail("`--batch` takes a whole number from 1 to " +
                  std::to_string(kMaxBatch));
    }
    settings->options.batch_size = batch;
  }
  return true;
}

// With `verbose`, the JIT's time, whether the object cache served it, and
// the time of each of its steps:
// `parcours: jit 17.2 ms (cache miss; lower 1.5 ms, optimize 5.8 ms, ...)`.
void PrintJitTime(const jit::JitReport& report, std::ostream& err) {
  double total = 0;
  std::string steps;
  for (const jit::JitPhase& phase : report.phases) {
    total += phase.seconds;
    if (phase.name == "cache") continue;
    std::ostringstream step;
    step << (steps.empty() ? "; " : ", ") << phase.name << " "
         << phase.seconds * 1e3 << " ms";
    steps += step.str();
  }
  const char* cache = report.cache_file.empty() ? "no cache"
                      : report.cache_hit        ? "cache hit"
                                                : "cache miss";
  err << "parcours: jit " << total * 1e3 << " ms (" << cache << steps << ")\n";
}

std::unique_ptr<ir::Evaluator> MakeEvaluator(const ir::Program& program,
                                             const RunSettings& settings,
                                             bool verbose, std::ostream& err) {
  if (settings.engine == "interp") return interp::MakeInterpreter(program);
  std::string error;
  jit::JitOptions options;
  options.cache_dir = settings.jit_cache;
  jit::JitReport report;
  auto evaluator = jit::MakeJit(program, options, &error, &report);
  if (!evaluator) err << "parcours: the JIT failed: " << error << "\n";
  if (evaluator && verbose) PrintJitTime(report, err);
  return evaluator;
}

// With `--unsubscribe-url`, email sends carry the headers of RFC 8058 in
// their payload under `headers` (contracts.md); a payload field of that
// name would be overwritten and lost. Says which send has one, if any.
std::string PayloadHeadersClash(const ir::Program& program) {
  for (const ir::Journey& journey : program.journeys) {
    for (const ir::Step& step : journey.steps) {
      if (step.kind != ir::StepKind::Send) continue;
      bool email = step.channel == "email" ||
                   std::find(step.best_of.begin(), step.best_of.end(),
                             "email") != step.best_of.end();
      if (!email) continue;
      for (const ir::StepValue& value : step.values) {
        if (value.name != "headers") continue;
        return "`--unsubscribe-url` puts the unsubscribe headers in each "
               "email's payload under `headers`, but send \"" +
               step.template_name + "\" of journey `" + journey.name +
               "` (line " + std::to_string(step.line) +
               ") has a payload field `headers` of its own, which would be "
               "lost; rename that field";
      }
    }
  }
  return "";
}

// `path` with its symbolic links followed, even a link whose target does
// not exist yet (the state file of a first run), as far as they go.
std::filesystem::path FollowLinks(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  fs::path resolved = fs::absolute(path, error);
  // A loop of links ends here rather than hanging the run.
  for (int hop = 0; hop < 40; ++hop) {
    if (!fs::is_symlink(fs::symlink_status(resolved, error))) break;
    fs::path target = fs::read_symlink(resolved, error);
    if (error) break;
    resolved = target.is_absolute() ? target : resolved.parent_path() / target;
  }
  fs::path canonical = fs::weakly_canonical(resolved, error);
  return error ? resolved.lexically_normal() : canonical;
}

// Whether two paths name one file (or would, once created).
bool SamePath(const std::string& a, const std::string& b) {
  std::error_code error;
  if (std::filesystem::equivalent(a, b, error)) return true;
  return FollowLinks(a) == FollowLinks(b);
}

// What `target`, a file this run writes, would overwrite or append to
// among the run's other files ("the events", ...), or "".
std::string WriteClash(const RunSettings& settings, std::string target,
                       bool is_dead_letters) {
  if (target == "-") return "";
  if (target.rfind("sqlite:", 0) == 0) target = target.substr(7);
  // A device such as /dev/null keeps nothing that a write could spoil, so
  // `--events /dev/null --out /dev/null` (a run for `--until` alone) is
  // not a clash, though both name one file.
  if (std::error_code error;
      std::filesystem::is_character_file(target, error)) {
    return "";
  }
  const std::string& state = settings.options.state_path;
  if (settings.events != "-" && SamePath(target, settings.events)) {
    return "the events";
  }
  // A folder of partitions: its record and each partition's files.
  std::vector<std::string> state_files = {state};
  int partitions = settings.options.partitions;
  if (partitions > 0) {
    state_files = {(std::filesystem::path(state) / "partitions").string()};
    for (int i = 0; i < partitions; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "p-%04d.db", i);
      state_files.push_back((std::filesystem::path(state) / name).string());
    }
  }
  for (const std::string& file : state_files) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
      if (SamePath(target, file + suffix)) return "the state";
    }
  }
  if (is_dead_letters) {
    bool out_file = settings.out != "-" &&
                    settings.out.rfind("sqlite:", 0) != 0 &&
                    settings.out.find("://") == std::string::npos;
    if (out_file && SamePath(target, settings.out)) return "the actions";
    return "";
  }
  if (SamePath(target, engine::DeadLetterPathOf(settings.options))) {
    return "the dead letters";
  }
  return "";
}

// The sink `--out` names; null after printing why it cannot be opened.
//   -              stdout: at least once across a crash (it cannot be
//                  read back)
//   sqlite:DB      a table another program polls: exactly once (ids)
//   http(s)://URL  a webhook: at least once, with an idempotency key for
//                  the receiver to drop repeats
//   FILE           appended to: exactly once (the end is read back)
std::unique_ptr<sinks::ActionSink> OpenSink(const std::string& target,
                                            std::ostream& out,
                                            std::ostream& err) {
  auto opened_or_null =
      [&err](auto opened) -> std::unique_ptr<sinks::ActionSink> {
    if (opened.ok()) return std::move(*opened);
    err << "parcours: " << opened.status().message() << "\n";
    return nullptr;
  };

  if (target == "-") {
    return std::make_unique<sinks::JsonLinesSink>(out, "stdout");
  }
  if (target.rfind("sqlite:", 0) == 0) {
    return opened_or_null(sinks::SqliteOutboxSink::Open(target.substr(7)));
  }
  std::string scheme = target.substr(0, 8);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme.rfind("http://", 0) == 0 || scheme.rfind("https://", 0) == 0) {
    sinks::WebhookOptions webhook;
    webhook.url = target;
    // A secret in the environment stays out of process listings and shell
    // history.
    if (const char* token = std::getenv("PARCOURS_WEBHOOK_AUTHORIZATION")) {
      webhook.authorization = token;
    }
    // A live run stopped by a signal gives up a webhook's tries at once.
    webhook.stop = &stop_requested;
    return opened_or_null(sinks::WebhookSink::Open(std::move(webhook)));
  }
  // `ftp://host/x` is not a file name in the current folder.
  size_t scheme_end = target.find("://");
  bool other_scheme = scheme_end != std::string::npos && scheme_end > 0 &&
                      target.find('/') > scheme_end;
  if (other_scheme) {
    err << "parcours: `--out " << target << "`: Parcours writes actions to "
        << "-, a file, sqlite:DB or an http(s):// webhook, not to `"
        << target.substr(0, scheme_end) << "://`\n";
    return nullptr;
  }
  return opened_or_null(sinks::JsonLinesFileSink::Open(target));
}

}  // namespace

int RunCommand(const std::vector<std::string>& raw, std::ostream& out,
               std::ostream& err) {
  std::string error;
  Arguments args = ParseArguments(
      raw,
      {"--events", "--state", "--out", "--engine", "--dead-letter", "--until",
       "--batch", "--jit-cache", "--format", "--max-clock-jump", "--partitions",
       "--unsubscribe-url"},
      {"--strict", "--werror", "--verbose", "--follow"}, &error);
  CompileOptions compile_options;
  if (error.empty()) ParseCompileOptions(args, &compile_options, &error);
  if (!error.empty()) {
    err << "parcours: " << error << "\n" << kRunUsage;
    return 2;
  }
  RunSettings settings;
  if (!ReadSettings(args, &settings, err)) return 2;

  CompileResult compiled = Compile(args.positional, compile_options, err);
  if (compiled.io_failed) return 2;
  if (!compiled.program) return 1;
  if (!settings.options.unsubscribe_url.empty()) {
    std::string clash = PayloadHeadersClash(*compiled.program);
    if (!clash.empty()) {
      err << "parcours: " << clash << "\n";
      return 2;
    }
  }
  auto evaluator =
      MakeEvaluator(*compiled.program, settings, compile_options.verbose, err);
  if (!evaluator) return 2;

  // A live run started before its producer waits for the file, as
  // `tail -F` does, its waits and re-checks running meanwhile; in a
  // folder that exists, since a typo in the folder would wait forever.
  std::error_code no_file;
  std::filesystem::path folder =
      std::filesystem::path(settings.events).parent_path();
  bool awaited =
      settings.follow && settings.events != "-" &&
      !std::filesystem::exists(settings.events, no_file) && !no_file &&
      std::filesystem::is_directory(
          folder.empty() ? std::filesystem::path(".") : folder, no_file);
  auto events = awaited ? ingest::EventInput::StandIn(settings.events)
                        : ingest::EventInput::Open(settings.events);
  if (!events.ok()) {
    err << "parcours: " << events.status().message() << "\n";
    return 2;
  }
  settings.options.events_name = (*events)->name();
  if (std::string format = CompressedFormat(settings.events); !format.empty()) {
    err << "parcours: events file `" << settings.events << "` is compressed ("
        << format << "), not JSON lines; decompress it into the run: `"
        << DecompressCommand(format) << " " << settings.events
        << " | parcours run ... --events -`\n";
    return 2;
  }

  bool marked = false;
  if (std::string encoding = Utf16Encoding(settings.events, &marked);
      !encoding.empty()) {
    err << "parcours: events file `" << settings.events << "` is UTF-16 text ("
        << (marked ? "it starts with a UTF-16 byte-order mark"
                   : "its `{` takes two bytes")
        << "), not UTF-8 JSON lines; convert it into the run: `iconv -f "
        << encoding << " -t UTF-8 " << settings.events
        << " | parcours run ... --events -`\n";
    return 2;
  }

  if (std::string clash = WriteClash(settings, settings.out, false);
      !clash.empty()) {
    err << "parcours: `--out " << settings.out << "` is " << clash
        << " of this run; write the actions to a file of their own\n";
    return 2;
  }
  // `-` is stdin or stdout for `--events` and `--out`; here it made a
  // file named `-` that nobody would look for.
  if (settings.options.dead_letter_path == "-") {
    err << "parcours: " << kDashDeadLetters << "\n";
    return 2;
  }
  // A folder can never take the lines; say so before anything runs, not
  // after the first bad line.
  if (std::error_code error;
      !settings.options.dead_letter_path.empty() &&
      std::filesystem::is_directory(settings.options.dead_letter_path, error)) {
    err << "parcours: `--dead-letter " << settings.options.dead_letter_path
        << "` is a folder; name a file for the dead letters\n";
    return 2;
  }
  // Dead letters appended to the events would be read again as input (a
  // run that never ends) or to the state would be lost.
  const std::string& dead_letters = settings.options.dead_letter_path;
  if (std::string clash = WriteClash(settings, dead_letters, true);
      !dead_letters.empty() && !clash.empty()) {
    err << "parcours: `--dead-letter " << dead_letters << "` is " << clash
        << " of this run; write the dead letters to a file of their own\n";
    return 2;
  }
  std::unique_ptr<sinks::ActionSink> sink = OpenSink(settings.out, out, err);
  if (!sink) return 2;

  ProgressLine progress(err, ProgressLine::IsTerminal(err));
  settings.options.progress = [&](int64_t events, int64_t sends) {
    progress.Update(events, sends);
  };
  if (settings.follow) {
    CatchStopSignals();
    if (settings.events != "-") settings.options.events_path = settings.events;
    settings.options.events_awaited = awaited;
    if (awaited) {
      err << "note: events file `" << settings.events
          << "` does not exist yet; waiting for it\n";
    }
    // Said as it happens: a live run's summary comes only at its stop.
    settings.options.input_notice = [&](const std::string& level,
                                        const std::string& message) {
      progress.Clear();
      err << (level == "warn" ? "warning: " : "note: ") << message << "\n";
    };
  }
  engine::RunResult result =
      settings.follow
          ? engine::Follow(*compiled.program, *evaluator, (*events)->fd(),
                           *sink, settings.options)
          : engine::Run(*compiled.program, *evaluator, (*events)->stream(),
                        *sink, settings.options);
  progress.Clear();
  // A run that failed before doing anything (a state file it cannot
  // open) has nothing to sum up: its error alone is the message.
  const engine::RunSummary& summary = result.summary;
  bool did_nothing = summary.lines_read == 0 && summary.sends == 0 &&
                     summary.timers_fired == 0 && summary.redelivered == 0;
  if (!result.status.ok() && did_nothing) {
    err << "parcours: " << result.status.message() << "\n";
    return result.stopped_at_bad_line ? 1 : 2;
  }
  engine::NoteNearMisses(*compiled.program, result.summary);
  engine::NoteEmptyProgram(*compiled.program, result.summary);
  err << engine::FormatSummary(result.summary);
  // `--until` only ever moves the clock forward.
  if (settings.options.until && result.summary.clock &&
      *settings.options.until < *result.summary.clock) {
    err << "note: `--until " << common::FormatTime(*settings.options.until)
        << "` is before the clock, which the events had already moved to "
        << common::FormatTime(*result.summary.clock)
        << "; it changed nothing\n";
  }
  // A run over the wrong file (an export not written yet, a path one
  // folder off) otherwise ends as quietly as a run with nothing to do.
  // A live run reads what comes, which may well be nothing, and a run to
  // `--until` over an empty input is how a daily job moves the clock.
  bool read_no_event = result.summary.lines_read == result.summary.blank_lines;
  if (result.status.ok() && !settings.follow && !settings.options.until &&
      read_no_event) {
    err << "note: no events were read: " << settings.options.events_name
        << (result.summary.lines_read == 0 ? " is empty"
                                           : " holds only blank lines")
        << (settings.events == "-"
                ? "; check what is piped into the run\n"
                : "; check that --events names the right file\n");
  }
  if (!result.status.ok()) {
    err << "parcours: " << result.status.message() << "\n";
    return result.stopped_at_bad_line ? 1 : 2;
  }
  return 0;
}

}  // namespace parcours::driver
