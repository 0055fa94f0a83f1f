// Memory per profile: what the state holds in memory after a replay of
// the seeded stream (stream_gen.h), and what holds it.
//
// The stream is replayed through the example campaign
// (examples/uci-online-retail/campaign) with the JIT, on a `State` in
// memory that is never saved: every `--commit-every` lines the changes a
// commit would save (log, outbox, decisions, new keys) are forgotten as a
// commit forgets them, so what is left at the end is what a run holds
// between two commits. `--program full` adds to the campaign what the
// tester's programs had: two windowed aggregates, a loyalty program with
// tiers and refunds, and a third journey under the policy.
//
// Reported, per profile:
//   - the heap in use (glibc's `mallinfo2`) and the resident memory
//     (`/proc/self/status`) the replay added;
//   - a breakdown by what holds the bytes, each block counted as glibc
//     allocates it (`malloc_usable_size` plus its 8-byte header), walked
//     from the state's profiles, and the bytes the id index and the set
//     of applied message ids ask for; what the walk does not reach
//     (timers, re-checks, the policy ledger's maps) is the rest of the
//     heap in use;
//   - two baselines measured in the same process on the same ids: the raw
//     words of the profile records, and a plain
//     `std::unordered_map<std::string, std::vector<int64_t>>` of them.
//
//   parcours_bench_memory [--events N] [--profiles M]
//                         [--program retail|full] [--commit-every L]
//
// defaults: 1,000,000 events over 100,000 profiles, the retail campaign,
// 10,000 lines per commit (as `parcours run`). The figures go into
// docs/performance.md, "Memory per profile".
#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_support.h"
#include "bench/stream_gen.h"
#include "compiler/jit/jit.h"
#include "runtime/engine/engine.h"
#include "runtime/ingest/decoder.h"
#include "runtime/store/state.h"

namespace parcours::bench {
namespace {

// What `--program full` adds to the campaign.
constexpr const char* kFullExtras = R"(
enum Tier { Member, Silver, Gold }

profile {
  tier: Tier = Member
}

segment active_buyer = count(OrderPlaced within 30d) >= 2

segment yearly_spender = sum(OrderPlaced.total within 365d) >= 500 GBP

program shop_points {
  earn 1 point per 1 GBP of OrderPlaced.total
  refund OrderRefunded.total on OrderRefunded.order_id
  expire 12 months after earning
  tier Silver at 200 qualifying points within 12 months
  tier Gold at 1000 qualifying points within 12 months
  keep tier 12 months
}

journey welcome_active {
  on entered(active_buyer)
  policy retail_pressure
  send email "keep_going"
}
)";

// The instance numbers' stride between input lines, as `Run` gives them
// (runtime/engine/run.cpp).
constexpr int64_t kSeqStride = 65536;

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string FlagText(int argc, char** argv, const std::string& flag,
                     const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == flag) return argv[i + 1];
  }
  return fallback;
}

int64_t FlagValue(int argc, char** argv, const std::string& flag,
                  int64_t fallback) {
  std::string text = FlagText(argc, argv, flag, "");
  return text.empty() ? fallback : std::stoll(text);
}

// Bytes glibc's allocator holds for the program: small blocks and the
// blocks it maps on their own.
int64_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

// A line of /proc/self/status in bytes ("VmRSS", "VmHWM"), or -1.
int64_t StatusBytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    return std::stoll(line.substr(key.size() + 1)) * 1024;
  }
  return -1;
}

// A block as the allocator spends it: what it can hold and its header.
int64_t Block(const void* block) {
  if (block == nullptr) return 0;
  return static_cast<int64_t>(malloc_usable_size(const_cast<void*>(block))) +
         static_cast<int64_t>(sizeof(size_t));
}

template <typename T>
int64_t VectorBlock(const std::vector<T>& items) {
  return items.capacity() == 0 ? 0 : Block(items.data());
}

int64_t StringBlock(const std::string& text) {
  return text.capacity() > std::string().capacity() ? Block(text.data()) : 0;
}

int64_t RecordBlocks(const common::Record& record) {
  int64_t bytes = 0;
  record.ForEachBlock([&](const void* block) { bytes += Block(block); });
  return bytes;
}

// What holds the bytes, in the order the table prints them.
enum Holder : size_t {
  kProfileStruct,
  kProfileId,
  kRecordWords,
  kRecordStrings,
  kHistory,
  kInstances,
  kInstanceLocals,
  kJourneyEntries,
  kLoyalty,
  kContacts,
  kIndex,
  kKeys,
  kHolders
};

constexpr const char* kHolderNames[kHolders] = {
    "profile struct (`store::Profile`)",
    "profile id bytes (past the inline 15)",
    "profile record words",
    "profile record strings",
    "window history (kept events)",
    "journey instances (`Instance`)",
    "instance locals (trigger record)",
    "journey entry times",
    "loyalty accounts (lots, ledger rows)",
    "policy contacts (ledger)",
    "profile index (slots, owners)",
    "applied message ids (`KeySet`)",
};

using Breakdown = std::vector<int64_t>;

void WalkHistory(const store::Profile& profile, Breakdown& bytes) {
  bytes[kHistory] += VectorBlock(profile.history);
  for (const std::vector<store::KeptEvent>& kept : profile.history) {
    bytes[kHistory] += VectorBlock(kept);
    for (const store::KeptEvent& event : kept) {
      bytes[kHistory] += RecordBlocks(event.record);
    }
  }
}

void WalkInstances(const store::Profile& profile, Breakdown& bytes) {
  bytes[kInstances] += VectorBlock(profile.instances);
  for (const auto& instance : profile.instances) {
    if (!instance) continue;
    bytes[kInstances] += Block(instance.get());
    bytes[kInstanceLocals] += RecordBlocks(instance->locals);
    if (instance->arrived) {
      bytes[kInstanceLocals] += Block(instance->arrived.get()) +
                                RecordBlocks(instance->arrived->record);
    }
  }
}

void WalkLoyalty(const store::Profile& profile, Breakdown& bytes) {
  bytes[kLoyalty] += VectorBlock(profile.loyalty);
  for (const loyalty::Account& account : profile.loyalty) {
    const loyalty::Ledger& ledger = account.ledger;
    bytes[kLoyalty] +=
        VectorBlock(ledger.lots()) + VectorBlock(ledger.movements()) +
        VectorBlock(account.last_earned_on) +
        VectorBlock(account.unsaved_tiers) + VectorBlock(account.saved_refunds);
    for (const loyalty::Lot& lot : ledger.lots()) {
      bytes[kLoyalty] += StringBlock(lot.source);
    }
    for (const loyalty::Movement& row : ledger.movements()) {
      bytes[kLoyalty] += StringBlock(row.source);
    }
  }
}

// The policy ledger's contacts of `profile`: the vector and its strings,
// and the map's node, whose size is that of an `unordered_map` node of
// (id, vector) with its cached hash.
void WalkContacts(const store::State& state, const store::Profile& profile,
                  Breakdown& bytes) {
  const std::vector<store::Contact>& contacts =
      state.policy_ledger().Contacts(profile.id);
  if (contacts.capacity() == 0) return;
  constexpr int64_t kNode = sizeof(void*) + sizeof(std::string) +
                            sizeof(std::vector<store::Contact>) +
                            sizeof(size_t);
  constexpr int64_t kChunk = (kNode + sizeof(size_t) + 15) / 16 * 16;
  bytes[kContacts] += kChunk + VectorBlock(contacts);
  for (const store::Contact& contact : contacts) {
    bytes[kContacts] +=
        StringBlock(contact.channel) + StringBlock(contact.category);
  }
}

Breakdown Walk(const store::State& state) {
  Breakdown bytes(kHolders, 0);
  for (const auto& owned : state.profile_index().all()) {
    const store::Profile& profile = *owned;
    bytes[kProfileStruct] += Block(&profile);
    bytes[kProfileId] += StringBlock(profile.id);
    bytes[kRecordWords] += VectorBlock(profile.record.words());
    bytes[kRecordStrings] +=
        RecordBlocks(profile.record) - VectorBlock(profile.record.words());
    WalkHistory(profile, bytes);
    WalkInstances(profile, bytes);
    bytes[kJourneyEntries] += VectorBlock(profile.last_entered);
    WalkLoyalty(profile, bytes);
    WalkContacts(state, profile, bytes);
  }
  const store::ProfileIndex& index = state.profile_index();
  bytes[kIndex] += VectorBlock(index.all()) +
                   static_cast<int64_t>(index.capacity() / 3 * 4 * 16);
  bytes[kKeys] += static_cast<int64_t>(state.processed().AllocatedBytes());
  return bytes;
}

// Forgets what a commit would have saved, as `Run` does after one.
void ForgetChanges(store::State& state) {
  state.ClearChanges();
  state.undelivered().clear();
  state.KeepUnflushed();
  state.ClearUnflushed();
}

// Forgets what a commit would have saved, noting the most that was
// pending at a commit.
void Commit(store::State& state, int64_t& most_pending) {
  int64_t before = HeapInUse();
  ForgetChanges(state);
  most_pending = std::max(most_pending, before - HeapInUse());
}

struct Replayed {
  int64_t heap = 0;      // heap in use the replay added
  int64_t pending = 0;   // the most a commit found pending, then freed
  int64_t resident = 0;  // resident memory the replay added
  int64_t waiting = 0;
};

Replayed Replay(store::State& state, const ir::Program& program,
                const ir::Evaluator& evaluator, const std::string& path,
                int64_t commit_every) {
  ingest::Decoder decoder(program);
  engine::Engine engine(program, evaluator, state);
  std::ifstream in(path, std::ios::binary);
  std::string line;
  ingest::DecodeResult decoded;
  int64_t number = 0;
  Replayed replayed;

  malloc_trim(0);
  int64_t heap_before = HeapInUse();
  int64_t resident_before = StatusBytes("VmRSS");
  while (std::getline(in, line)) {
    ++number;
    state.set_line_base(number * kSeqStride);
    decoder.Decode(line, number, decoded);
    if (decoded.outcome != ingest::LineOutcome::Event) {
      Fail("line " + std::to_string(number) + " did not decode");
    }
    engine.Apply(decoded.event);
    state.set_line_base((number + 1) * kSeqStride);
    if (number % commit_every == 0) Commit(state, replayed.pending);
  }

  Commit(state, replayed.pending);
  replayed.heap = HeapInUse() - heap_before;
  replayed.resident = StatusBytes("VmRSS") - resident_before;
  replayed.waiting = state.CountInstances();
  return replayed;
}

// The least a profile store does: each id and its record's words in a
// plain hash map. Returns the heap it took.
int64_t PlainMapBytes(const store::State& state, int32_t words) {
  int64_t before = HeapInUse();
  std::unordered_map<std::string, std::vector<int64_t>> plain;
  for (const auto& profile : state.profile_index().all()) {
    plain.emplace(profile->id, std::vector<int64_t>(words, 0));
  }
  return HeapInUse() - before;
}

void PrintRow(const char* name, double bytes, double profiles, double words) {
  std::printf("%-42s %10.0f %9.1f %8.2fx\n", name, bytes / 1e6,
              bytes / profiles, bytes / profiles / words);
}

ir::Program CompileProgram(const std::string& which) {
  std::string campaign = std::string(PARCOURS_SOURCE_DIR) +
                         "/examples/uci-online-retail/campaign/retail.journey";
  std::string text = ReadFileOrDie(campaign);
  if (which == "full") {
    text += kFullExtras;
  } else if (which != "retail") {
    Fail("--program takes retail or full");
  }
  return CompileOrDie("retail.journey", text);
}

std::string WriteStream(int64_t events, int64_t profiles) {
  std::string path =
      (std::filesystem::temp_directory_path() / "parcours-bench-memory.jsonl")
          .string();
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
  return path;
}

int Main(int argc, char** argv) {
  CheckFlags(argc, argv,
             {"--events", "--profiles", "--program", "--commit-every"},
             "[--events N] [--profiles M] [--program retail|full] "
             "[--commit-every L]");
  int64_t events = FlagValue(argc, argv, "--events", 1'000'000);
  int64_t profiles = FlagValue(argc, argv, "--profiles", 100'000);
  int64_t commit_every = FlagValue(argc, argv, "--commit-every", 10'000);
  std::string which = FlagText(argc, argv, "--program", "retail");
  if (events < 1 || profiles < 1 || commit_every < 1) {
    Fail("--events, --profiles and --commit-every must be > 0");
  }

  ir::Program program = CompileProgram(which);
  std::string error;
  jit::JitOptions jit_options;
  std::unique_ptr<ir::Evaluator> jit =
      jit::MakeJit(program, jit_options, &error);
  if (!jit) Fail("the JIT failed: " + error);
  std::string path = WriteStream(events, profiles);

  store::State state(program);
  Replayed replayed = Replay(state, program, *jit, path, commit_every);
  std::filesystem::remove(path);
  Breakdown bytes = Walk(state);
  int64_t walked = 0;
  for (int64_t held : bytes) walked += held;
  double count = static_cast<double>(state.CountProfiles());
  double words = static_cast<double>(program.profile_words) * 8;
  int64_t plain = PlainMapBytes(state, program.profile_words);

  std::printf(
      "memory after replaying %lld events over %lld profiles (program %s, "
      "a commit every %lld lines): %.0f profiles, %lld instances waiting, "
      "%d record words per profile\n\n",
      static_cast<long long>(events), static_cast<long long>(profiles),
      which.c_str(), static_cast<long long>(commit_every), count,
      static_cast<long long>(replayed.waiting), program.profile_words);
  std::printf("%-42s %10s %9s %9s\n", "", "MB", "B/profile", "vs words");
  for (size_t holder = 0; holder < kHolders; ++holder) {
    PrintRow(kHolderNames[holder], static_cast<double>(bytes[holder]), count,
             words);
  }
  PrintRow("the rest (timers, re-checks, ledger maps)",
           static_cast<double>(replayed.heap - walked), count, words);
  PrintRow("heap in use, all", static_cast<double>(replayed.heap), count,
           words);
  PrintRow("resident memory added", static_cast<double>(replayed.resident),
           count, words);
  PrintRow("most pending at a commit (then freed)",
           static_cast<double>(replayed.pending), count, words);
  std::printf("\nbaselines, same ids:\n");
  PrintRow("raw record words", words * count, count, words);
  PrintRow("plain unordered_map<string, vector<int64_t>>",
           static_cast<double>(plain), count, words);
  std::printf("heap in use vs the plain map: %.2fx\n",
              static_cast<double>(replayed.heap) / static_cast<double>(plain));
  std::printf("peak resident memory of the process: %.0f MB\n",
              static_cast<double>(StatusBytes("VmHWM")) / 1e6);
  return 0;
}

}  // namespace
}  // namespace parcours::bench

int main(int argc, char** argv) { return parcours::bench::Main(argc, argv); }
