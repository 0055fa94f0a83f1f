// Waiting journey instances at scale: the cost of scheduling and
// cancelling a timer, the memory a waiting instance takes, and the time to
// save them all and load them back after a restart.
//
// The baseline, run in the same process on the same keys, is the least an
// ordered timer set can do: inserting (wake time, sequence) pairs into a
// std::map and erasing them. The runtime's figures also include the
// instance itself and its place in its profile. The timer queue alone
// (`store::TimerQueue`, on instances made beforehand) is timed against the
// same map, and so is firing every timer in order.
//
//   parcours_bench_timers [--instances N] [--timers M] [--keep FILE]
//   parcours_bench_timers --load FILE [--read-all no]
//
// N waiting instances (default 1,000,000) for the runtime's rows, M timers
// (default N) for the rows of the queue alone. `--keep` saves the state
// to FILE and leaves it there; `--load` then times only the load of such
// a file into a fresh state, as a restart does, which is quicker to
// repeat than the whole benchmark (and to profile).
#include <malloc.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "runtime/store/state.h"
#include "runtime/store/store.h"

namespace parcours::bench {
namespace {

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Heap in use, including the blocks malloc maps on their own (a large
// vector's buffer), which `uordblks` leaves out.
// The process's CPU time: steadier than the wall clock on a shared
// machine.
double CpuSeconds(clockid_t clock = CLOCK_PROCESS_CPUTIME_ID) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) +
         1e-9 * static_cast<double>(now.tv_nsec);
}

int64_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// A seeded wake time within a year, the same on every machine.
int64_t WakeTime(uint64_t i) {
  uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
  return 1'293'840'000 + static_cast<int64_t>((z ^ (z >> 29)) % 31'536'000);
}

double Nanoseconds(double seconds, int64_t count) {
  return seconds * 1e9 / static_cast<double>(count);
}

// Times for `count` timers in the map and in the queue alone, and the
// heap each takes while it holds them all.
struct QueueAloneRows {
  double map_insert = 0;
  double map_erase = 0;
  double map_fire_all = 0;
  int64_t map_heap = 0;
  double queue_push = 0;
  double queue_erase = 0;
  double queue_fire_all = 0;
  int64_t queue_heap = 0;
};

QueueAloneRows TimeQueueAlone(int64_t count) {
  QueueAloneRows rows;
  {
    std::map<store::TimerKey, int64_t> timers;
    int64_t heap_before = HeapInUse();
    Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < count; ++i) {
      timers.emplace(store::TimerKey{WakeTime(i), i + 1, {}}, i);
    }
    rows.map_insert = SecondsSince(start);
    rows.map_heap = HeapInUse() - heap_before;

    start = Clock::now();
    for (int64_t i = 0; i < count; ++i) {
      timers.erase(store::TimerKey{WakeTime(i), i + 1, {}});
    }
    rows.map_erase = SecondsSince(start);

    for (int64_t i = 0; i < count; ++i) {
      timers.emplace(store::TimerKey{WakeTime(i), i + 1, {}}, i);
    }
    start = Clock::now();
    while (!timers.empty()) timers.erase(timers.begin());
    rows.map_fire_all = SecondsSince(start);
  }

  // The queue needs an instance to keep each timer's place; the profile
  // only breaks ties of wake time and number, which these keys lack.
  store::Profile profile;
  profile.id = "p";
  std::vector<store::Instance> instances(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    instances[i].seq = i + 1;
    instances[i].profile = &profile;
  }

  store::TimerQueue queue;
  int64_t heap_before = HeapInUse();
  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < count; ++i) {
    queue.Push(WakeTime(i), instances[i]);
  }
  rows.queue_push = SecondsSince(start);
  rows.queue_heap = HeapInUse() - heap_before;

  start = Clock::now();
  for (int64_t i = 0; i < count; ++i) queue.Erase(instances[i]);
  rows.queue_erase = SecondsSince(start);
  if (!queue.empty()) Fail("the queue kept cancelled timers");

  for (int64_t i = 0; i < count; ++i) {
    queue.Push(WakeTime(i), instances[i]);
  }
  start = Clock::now();
  store::TimerKey last{INT64_MIN, 0, {}};
  int64_t fired = 0;
  while (!queue.empty()) {
    store::TimerEntry entry = queue.PopFirst();
    store::TimerKey key{entry.wake_at, entry.instance->seq, {}};
    if (key < last) Fail("the queue fired timers out of order");
    last = key;
    ++fired;
  }
  rows.queue_fire_all = SecondsSince(start);
  if (fired != count) Fail("the queue lost timers");
  return rows;
}

ir::Program CompileExample() {
  std::string campaign = std::string(PARCOURS_SOURCE_DIR) +
                         "/examples/uci-online-retail/campaign/retail.journey";
  return CompileOrDie("retail.journey", ReadFileOrDie(campaign));
}

// The figures of one load of a state file into a fresh state.
struct LoadTimes {
  double wall = 0;
  double cpu = 0;
  // The load reads the instances on a second thread: the calling thread's
  // own CPU time is the least wall time the load can take, however idle
  // the machine.
  double caller_cpu = 0;
  int64_t profiles = 0;
  int64_t instances = 0;
  // A lazy load leaves profiles to be read when first needed: the time to
  // read every one of them afterwards, as a run would over time.
  double warm_all = 0;
  int64_t warm_profiles = 0;
};

LoadTimes LoadOrDie(const ir::Program& program, const std::string& path,
                    int64_t expected_instances, bool read_all = true) {
  store::State reloaded(program);
  auto store = store::Store::Open(path);
  if (!store.ok()) Fail(store.status().message());
  LoadTimes times;
  Clock::time_point start = Clock::now();
  double cpu_start = CpuSeconds();
  double caller_start = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  common::Status loaded = (*store)->Load(reloaded);
  times.wall = SecondsSince(start);
  times.cpu = CpuSeconds() - cpu_start;
  times.caller_cpu = CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - caller_start;
  if (!loaded.ok()) Fail(loaded.message());
  if (expected_instances >= 0 &&
      reloaded.CountInstances() != expected_instances) {
    Fail("the reload lost instances");
  }
  times.profiles = reloaded.CountProfiles();
  times.instances = reloaded.CountInstances();

  if (!read_all) return times;
  start = Clock::now();
  reloaded.ForEachProfile([&](const store::Profile&) {});
  times.warm_all = SecondsSince(start);
  times.warm_profiles = reloaded.CountProfiles();
  if (!reloaded.warm_status().ok()) Fail(reloaded.warm_status().message());
  return times;
}

int Main(int argc, char** argv) {
  int64_t count = 1'000'000;
  int64_t timer_count = -1;
  std::string kept_state;
  std::string load_only;
  bool read_all = true;
  CheckFlags(argc, argv,
             {"--keep", "--load", "--instances", "--timers", "--read-all"},
             "[--instances N] [--timers M] [--keep FILE] | --load FILE "
             "[--read-all no]");
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--keep") kept_state = argv[i + 1];
    if (std::string(argv[i]) == "--load") load_only = argv[i + 1];
    if (std::string(argv[i]) == "--read-all") {
      read_all = std::string(argv[i + 1]) != "no";
    }
    if (std::string(argv[i]) == "--instances") count = std::stoll(argv[i + 1]);
    if (std::string(argv[i]) == "--timers") {
      timer_count = std::stoll(argv[i + 1]);
    }
  }
  if (timer_count < 0) timer_count = count;
  if (count < 1 || timer_count < 1) {
    Fail("--instances and --timers must be > 0");
  }

  if (!load_only.empty()) {
    LoadTimes times = LoadOrDie(CompileExample(), load_only, -1, read_all);
    std::printf(
        "loaded %lld profiles and %lld waiting instances: %.2f s "
        "(CPU %.2f s, of which the calling thread %.2f s)\n",
        static_cast<long long>(times.profiles),
        static_cast<long long>(times.instances), times.wall, times.cpu,
        times.caller_cpu);
    if (read_all) {
      std::printf("then read all %lld profiles: %.2f s\n",
                  static_cast<long long>(times.warm_profiles), times.warm_all);
    }
    return 0;
  }

  QueueAloneRows alone = TimeQueueAlone(timer_count);
  ir::Program program = CompileExample();

  // The example's journey that waits, and its wait step.
  int32_t journey = -1;
  int32_t wait_step = -1;
  for (size_t j = 0; j < program.journeys.size() && journey < 0; ++j) {
    for (size_t s = 0; s < program.journeys[j].steps.size(); ++s) {
      if (program.journeys[j].steps[s].kind == ir::StepKind::Wait) {
        journey = static_cast<int32_t>(j);
        wait_step = static_cast<int32_t>(s);
        break;
      }
    }
  }
  if (journey < 0) Fail("the example campaign has no journey that waits");

  // Baseline: an ordered map of (wake time, sequence), for as many timers
  // as instances.
  QueueAloneRows baseline =
      timer_count == count ? alone : TimeQueueAlone(count);
  double baseline_insert = baseline.map_insert;
  double baseline_erase = baseline.map_erase;

  // Each instance keeps a copy of its trigger event, as in a real run.
  int32_t locals_words =
      ir::LocalsType(program, program.journeys[journey]).record_words;

  // The state starts from an empty file, as a run's does, so that its
  // save records what a run's would (the program's re-check fingerprint).
  std::filesystem::path path =
      kept_state.empty()
          ? std::filesystem::temp_directory_path() / "parcours-bench-timers.db"
          : std::filesystem::path(kept_state);
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
    std::filesystem::remove(path.string() + suffix);
  }
  store::State state(program);
  auto opened = store::Store::Open(path.string());
  if (!opened.ok()) Fail(opened.status().message());
  std::unique_ptr<store::Store> store = std::move(*opened);
  common::Status loaded = store->Load(state);
  if (!loaded.ok()) Fail(loaded.message());
  state.set_clock(1'293'840'000);

  std::vector<store::Profile*> profiles;
  profiles.reserve(static_cast<size_t>(count));
  int64_t heap_before_profiles = HeapInUse();
  for (int64_t i = 0; i < count; ++i) {
    profiles.push_back(&state.FindOrCreateProfile("p" + std::to_string(i)));
  }
  int64_t heap_before_instances = HeapInUse();

  Clock::time_point start = Clock::now();
  for (int64_t i = 0; i < count; ++i) {
    auto instance = std::make_unique<store::Instance>();
    instance->journey = journey;
    instance->seq = state.TakeSeq(*profiles[i]);
    instance->entered_at = 1'293'840'000;
    instance->locals = common::Record(locals_words);
    state.AddInstance(*profiles[i], std::move(instance));
    state.Schedule(*profiles[i], journey, wait_step, WakeTime(i));
  }
  double schedule = SecondsSince(start);
  int64_t heap_after = HeapInUse();

  start = Clock::now();
  double cpu_start = CpuSeconds();
  common::Status saved = store->Save(state);
  double save = SecondsSince(start);
  double save_cpu = CpuSeconds() - cpu_start;
  if (!saved.ok()) Fail(saved.message());
  store.reset();  // its lock, before the reload takes it
  LoadTimes reload = LoadOrDie(program, path.string(), count);

  start = Clock::now();
  for (int64_t i = 0; i < count; ++i) {
    state.RemoveInstance(*profiles[i], journey);
  }
  double cancel = SecondsSince(start);
  if (state.CountInstances() != 0 || state.FirstTimer().has_value()) {
    Fail("cancelling left instances or timers behind");
  }
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
    if (kept_state.empty()) std::filesystem::remove(path.string() + suffix);
  }

  std::printf("%lld waiting instances, one timer each\n\n",
              static_cast<long long>(count));
  std::printf("%-44s %10s %10s\n", "", "ns/op", "vs map");
  std::printf("%-44s %10.0f %9.1fx\n", "schedule (new instance + timer)",
              Nanoseconds(schedule, count), schedule / baseline_insert);
  std::printf("%-44s %10.0f %9.1fx\n", "cancel (instance + timer removed)",
              Nanoseconds(cancel, count), cancel / baseline_erase);
  std::printf("%-44s %10.0f\n", "baseline: std::map insert",
              Nanoseconds(baseline_insert, count));
  std::printf("%-44s %10.0f\n", "baseline: std::map erase",
              Nanoseconds(baseline_erase, count));

  std::printf("\n%lld timers in the queue alone\n\n",
              static_cast<long long>(timer_count));
  std::printf("%-44s %10s %10s\n", "", "ns/op", "vs map");
  std::printf("%-44s %10.0f %9.2fx\n", "timer queue: schedule",
              Nanoseconds(alone.queue_push, timer_count),
              alone.queue_push / alone.map_insert);
  std::printf("%-44s %10.0f %9.2fx\n", "timer queue: cancel",
              Nanoseconds(alone.queue_erase, timer_count),
              alone.queue_erase / alone.map_erase);
  std::printf("%-44s %10.0f %9.2fx\n", "timer queue: fire all in order",
              Nanoseconds(alone.queue_fire_all, timer_count),
              alone.queue_fire_all / alone.map_fire_all);
  std::printf("%-44s %10.0f\n", "baseline: std::map insert",
              Nanoseconds(alone.map_insert, timer_count));
  std::printf("%-44s %10.0f\n", "baseline: std::map erase",
              Nanoseconds(alone.map_erase, timer_count));
  std::printf("%-44s %10.0f\n", "baseline: std::map fire all in order",
              Nanoseconds(alone.map_fire_all, timer_count));
  std::printf("heap per timer: queue %lld bytes, map %lld bytes\n",
              static_cast<long long>(alone.queue_heap / timer_count),
              static_cast<long long>(alone.map_heap / timer_count));

  std::printf(
      "\nheap per waiting instance: %lld bytes "
      "(per profile, before any instance: %lld bytes)\n",
      static_cast<long long>((heap_after - heap_before_instances) / count),
      static_cast<long long>((heap_before_instances - heap_before_profiles) /
                             count));
  std::printf("of which the instance object: %zu bytes (malloc adds its own)\n",
              sizeof(store::Instance));
  std::printf(
      "save all to SQLite: %.2f s (CPU %.2f s); load them back: %.2f s (CPU "
      "%.2f s, of which the calling thread %.2f s)\n",
      save, save_cpu, reload.wall, reload.cpu, reload.caller_cpu);
  std::printf("then read all %lld profiles: %.2f s\n",
              static_cast<long long>(reload.warm_profiles), reload.warm_all);
  return 0;
}

}  // namespace
}  // namespace parcours::bench

int main(int argc, char** argv) { return parcours::bench::Main(argc, argv); }
