// Replay throughput: events per second through the whole runtime, against
// a "speed of light" harness run in the same process on the same bytes.
//
// The harness does the least any engine must do with a line: read it,
// decode it with the compiled schema, and update one hash map entry per
// profile. The runtime then replays the same file through the example
// campaign (examples/uci-online-retail/campaign), with the JIT:
//   - "one commit": the state stays in memory and is saved once, at the
//     end (one transaction);
//   - "group commit": a transaction every 10,000 lines, as `parcours run`
//     does by default.
// The figures go into docs/performance.md as ratios to the harness.
//
//   parcours_bench_replay [--events N] [--profiles M] [--keep FILE]
//                         [--only light,json,memory,group,partitions]
//                         [--partitions N]
//
// defaults: 1,000,000 events over 100,000 profiles. `--keep` writes the
// generated stream to FILE and keeps it, for `parcours run`. `--only`
// runs the passes it lists (the speed of light, the two JSON readers,
// the engine with one commit, the engine with group commit, the
// partitioned run), for a profiler or a run too large for all of them.
// `--partitions N` adds a row: the group commit over N partitions.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_support.h"
#include "bench/stream_gen.h"
#include "compiler/jit/jit.h"
#include "runtime/engine/run.h"
#include "runtime/ingest/decoder.h"
#include "runtime/ingest/json_value.h"
#include "runtime/sinks/action_sink.h"

namespace parcours::bench {
namespace {

// Counts the actions and drops them: the sink costs nothing measurable.
class CountingSink final : public sinks::ActionSink {
 public:
  common::Status Write(std::string_view line) override {
    bytes_ += static_cast<int64_t>(line.size());
    ++lines_;
    return common::Status::Ok();
  }
  common::Status Flush() override { return common::Status::Ok(); }
  int64_t lines() const { return lines_; }

 private:
  int64_t lines_ = 0;
  int64_t bytes_ = 0;
};

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

int64_t FlagValue(int argc, char** argv, const std::string& flag,
                  int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return std::stoll(argv[i + 1]);
  }
  return fallback;
}

std::string FlagText(int argc, char** argv, const std::string& flag) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return argv[i + 1];
  }
  return "";
}

// The CPU time of this process so far. Each pass runs on one thread, so
// on a busy machine its CPU time is a steadier measure than the wall
// clock, which also counts the time other processes held the core.
double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) / 1e9;
}

// A stopwatch of both clocks.
struct Stopwatch {
  Clock::time_point wall = Clock::now();
  double cpu = CpuSeconds();
};

struct Figure {
  std::string name;
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t actions = 0;
};

Figure Measured(std::string name, const Stopwatch& start, int64_t actions) {
  return {std::move(name), SecondsSince(start.wall), CpuSeconds() - start.cpu,
          actions};
}

Figure SpeedOfLight(const ir::Program& program, const std::string& path,
                    int64_t events) {
  ingest::Decoder decoder(program);
  std::unordered_map<std::string, int64_t> per_profile;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  int64_t number = 0;
  int64_t decoded = 0;

  Stopwatch start;
  while (std::getline(in, line)) {
    ingest::DecodeResult result = decoder.Decode(line, ++number);
    if (result.outcome != ingest::LineOutcome::Event) continue;
    ++per_profile[result.event.user_id];
    ++decoded;
  }
  Figure figure = Measured("speed of light (decode + hash map)", start, 0);

  if (decoded != events) {
    Fail("the harness decoded " + std::to_string(decoded) + " of " +
         std::to_string(events) + " lines");
  }
  return figure;
}

// Only the JSON reading of each line, by one of the two readers behind
// ingest::ParseJson, to show what the choice of reader is worth.
Figure ParseOnly(const std::string& name, const std::string& path, bool fast) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  ingest::JsonValue tree;
  int64_t failures = 0;

  Stopwatch start;
  while (std::getline(in, line)) {
    bool parsed = fast ? ingest::ParseJsonFast(line, tree)
                       : ingest::ParseJsonPrecisely(line, tree).empty();
    if (!parsed) ++failures;
  }
  Figure figure = Measured(name, start, 0);

  if (failures != 0) Fail(name + ": " + std::to_string(failures) + " lines");
  return figure;
}

// The state file, or with partitions the state folder, and what SQLite
// puts beside it.
void RemoveState(const std::filesystem::path& state) {
  std::filesystem::remove_all(state);
  for (const char* suffix : {"-wal", "-shm", ".lock"}) {
    std::filesystem::remove(state.string() + suffix);
  }
}

// The bytes of the state: one file, or every file of a state folder.
uintmax_t StateBytes(const std::filesystem::path& state) {
  if (!std::filesystem::is_directory(state)) {
    return std::filesystem::file_size(state);
  }
  uintmax_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return bytes;
}

Figure Replay(const std::string& name, const ir::Program& program,
              const ir::Evaluator& evaluator, const std::string& path,
              int64_t batch_size, int partitions = 0) {
  std::filesystem::path state =
      std::filesystem::temp_directory_path() / "parcours-bench-replay.db";
  RemoveState(state);
  engine::RunOptions options;
  options.state_path = state.string();
  options.batch_size = batch_size;
  options.partitions = partitions;
  CountingSink sink;
  std::ifstream in(path, std::ios::binary);

  Stopwatch start;
  engine::RunResult result = engine::Run(program, evaluator, in, sink, options);
  Figure figure = Measured(name, start, sink.lines());

  if (!result.status.ok()) Fail(name + ": " + result.status.message());
  if (result.summary.dead_letters != 0) Fail(name + ": dead letters");
  std::printf(
      "  %s: %lld applied, %lld identifies, %lld waiting at the end, "
      "state file %.1f MB\n",
      name.c_str(), static_cast<long long>(result.summary.events_applied),
      static_cast<long long>(result.summary.identifies),
      static_cast<long long>(result.summary.instances_waiting),
      static_cast<double>(StateBytes(state)) / 1e6);
  RemoveState(state);
  return figure;
}

int Main(int argc, char** argv) {
  CheckFlags(argc, argv,
             {"--events", "--profiles", "--keep", "--only", "--partitions"},
             "[--events N] [--profiles M] [--keep FILE] "
             "[--only light,json,memory,group,partitions] [--partitions N]");
  int64_t events = FlagValue(argc, argv, "--events", 1'000'000);
  int64_t profiles = FlagValue(argc, argv, "--profiles", 100'000);
  std::string keep = FlagText(argc, argv, "--keep");
  std::string only = FlagText(argc, argv, "--only");
  // `--only` takes one pass or several separated by commas.
  auto wanted = [&](const std::string& pass) {
    return only.empty() ||
           ("," + only + ",").find("," + pass + ",") != std::string::npos;
  };
  if (events < 1 || profiles < 1) Fail("--events and --profiles must be > 0");

  std::string campaign = std::string(PARCOURS_SOURCE_DIR) +
                         "/examples/uci-online-retail/campaign/retail.journey";
  ir::Program program = CompileOrDie("retail.journey", ReadFileOrDie(campaign));
  std::string error;
  jit::JitOptions jit_options;
  std::unique_ptr<ir::Evaluator> jit =
      jit::MakeJit(program, jit_options, &error);
  if (!jit) Fail("the JIT failed: " + error);

  std::string path =
      keep.empty()
          ? (std::filesystem::temp_directory_path() / "parcours-bench.jsonl")
                .string()
          : keep;
  {
    StreamGenerator generator(profiles, 20261204);
    std::ofstream out(path, std::ios::binary);
    std::string chunk;
    for (int64_t i = 0; i < events; ++i) {
      generator.Next(chunk);
      if (chunk.size() > (1 << 20)) {
        out << chunk;
        chunk.clear();
      }
    }
    out << chunk;
    if (!out) Fail("cannot write " + path);
  }
  std::printf("replay of %lld generated events over %lld profiles\n",
              static_cast<long long>(events), static_cast<long long>(profiles));

  std::vector<Figure> figures;
  if (wanted("light")) figures.push_back(SpeedOfLight(program, path, events));
  if (wanted("json")) {
    figures.push_back(ParseOnly("JSON only: nlohmann/json (SAX)", path, false));
    figures.push_back(ParseOnly("JSON only: simdjson (On-Demand)", path, true));
  }
  if (wanted("memory")) {
    figures.push_back(Replay("engine, one commit at the end", program, *jit,
                             path, INT64_MAX));
  }
  if (wanted("group")) {
    figures.push_back(Replay("engine, a commit every 10,000 lines", program,
                             *jit, path, 10000));
  }
  // With --partitions N, the group commit again over N partitions on N
  // threads (CPU seconds then add up the threads).
  int64_t partitions = FlagValue(argc, argv, "--partitions", 0);
  if (partitions > 0 && wanted("partitions")) {
    figures.push_back(Replay(
        "engine, " + std::to_string(partitions) + " partitions, group commit",
        program, *jit, path, 10000, static_cast<int>(partitions)));
  }
  if (figures.empty()) {
    Fail("--only takes light, json, memory, group or partitions");
  }
  // Every engine pass decides the same actions, or something is wrong.
  int64_t actions = -1;
  for (const Figure& figure : figures) {
    if (figure.name.rfind("engine", 0) != 0) continue;
    if (actions >= 0 && figure.actions != actions) {
      Fail("the replays decided different actions");
    }
    actions = figure.actions;
  }

  // Ratios to the speed of light when it ran, by each clock.
  const Figure* light =
      figures.front().name.rfind("speed", 0) == 0 ? &figures.front() : nullptr;
  std::printf("\n%-40s %8s %12s %9s %8s %9s\n", "", "seconds", "events/s",
              "vs light", "cpu s", "vs light");
  for (const Figure& figure : figures) {
    std::printf("%-40s %8.2f %12.0f %8.1fx %8.2f %8.1fx\n", figure.name.c_str(),
                figure.seconds, static_cast<double>(events) / figure.seconds,
                light ? figure.seconds / light->seconds : 0.0,
                figure.cpu_seconds,
                light ? figure.cpu_seconds / light->cpu_seconds : 0.0);
  }
  std::printf("actions decided: %lld\n", static_cast<long long>(actions));

  if (keep.empty()) std::filesystem::remove(path);
  return 0;
}

}  // namespace
}  // namespace parcours::bench

int main(int argc, char** argv) { return parcours::bench::Main(argc, argv); }
