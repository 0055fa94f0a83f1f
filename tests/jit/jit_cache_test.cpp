// The JIT's object cache: hits, misses, and damaged files.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jit_test_support.h"

namespace parcours::jit_test {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kScale = ir::kDecimalScale;

// A fresh folder under the system's temporary folder, removed at the end
// of the test.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("parcours-jit-cache-test-" + std::to_string(getpid()) + "-" +
             std::to_string(++counter));
    fs::remove_all(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }

  std::string Path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Functions that need the C helpers and string constants, so that a cached
// object must be relocated against both. `bonus` varies the program.
ir::Program CachedProgram(int64_t bonus = 0) {
  ir::Program program = EmptyProgram();
  FunctionBuilder f(program);

  // event[0] (decimal) * 1.5 + bonus
  f.Binary(
      Op::Add, Type::Decimal,
      f.Binary(Op::Mul, Type::Decimal, f.Load(Type::Decimal, Base::Event, 0),
               f.Const(Type::Decimal, 1'500'000)),
      f.Const(Type::Decimal, bonus));
  f.Finish();

  // event[0] / 0.25 (decimal division)
  f.Binary(Op::Div, Type::Decimal, f.Load(Type::Decimal, Base::Event, 0),
           f.Const(Type::Decimal, 250'000));
  f.Finish();

  // The string at event[1..2] < "m"
  f.Compare(Op::Lt, Type::String, f.Load(Type::String, Base::Event, 1),
            f.String("m"));
  f.Finish();

  // event[3] / event[4] (int)
  f.Binary(Op::Div, Type::Int, f.Load(Type::Int, Base::Event, 3),
           f.Load(Type::Int, Base::Event, 4));
  f.Finish();
  return program;
}

// The values of CachedProgram(0)'s functions on one event, checked against
// the interpreter on the way.
std::vector<int64_t> Results(const ir::Evaluator& jit,
                             const ir::Program& program) {
  std::string text = "apple";
  std::vector<int64_t> event = {-3 * kScale,
                                reinterpret_cast<int64_t>(text.data()),
                                static_cast<int64_t>(text.size()),
                                std::numeric_limits<int64_t>::min(), -1};
  ir::Frame frame;
  frame.event = event.data();

  auto interp = interp::MakeInterpreter(program);
  std::vector<int64_t> results;
  for (int32_t i = 0; i < static_cast<int32_t>(program.functions.size()); ++i) {
    results.push_back(jit.Call(i, frame));
    CHECK(results.back() == interp->Call(i, frame));
  }
  return results;
}

const std::vector<int64_t> kExpected = {-4'500'000, -12 * kScale, 1,
                                        std::numeric_limits<int64_t>::min()};

std::unique_ptr<ir::Evaluator> Compile(const ir::Program& program,
                                       const std::string& cache_dir,
                                       jit::JitReport* report,
                                       bool optimize = true) {
  jit::JitOptions options;
  options.optimize = optimize;
  options.cache_dir = cache_dir;
  std::string error;
  auto jit = jit::MakeJit(program, options, &error, report);
  INFO(error);
  REQUIRE(jit != nullptr);
  return jit;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST_CASE("jit cache: the second compilation of a program is a hit",
          "[jit][cache]") {
  TemporaryFolder folder;
  ir::Program program = CachedProgram();

  jit::JitReport first_report;
  auto first = Compile(program, folder.Path() + "/objects", &first_report);
  CHECK_FALSE(first_report.cache_hit);
  REQUIRE(fs::is_regular_file(first_report.cache_file));
  CHECK(fs::path(first_report.cache_file).parent_path() ==
        fs::path(folder.Path() + "/objects"));
  CHECK(Results(*first, program) == kExpected);

  jit::JitReport second_report;
  auto second = Compile(program, folder.Path() + "/objects", &second_report);
  CHECK(second_report.cache_hit);
  CHECK(second_report.cache_file == first_report.cache_file);
  CHECK(Results(*second, program) == kExpected);
  CHECK(std::string(second->Name()) == "jit");

  // Both evaluators stay usable side by side.
  CHECK(Results(*first, program) == kExpected);
}

TEST_CASE("jit cache: the key follows the program and the options",
          "[jit][cache]") {
  TemporaryFolder folder;
  ir::Program program = CachedProgram();
  jit::JitReport optimised;
  Compile(program, folder.Path(), &optimised, true);
  jit::JitReport unoptimised;
  auto plain = Compile(program, folder.Path(), &unoptimised, false);
  CHECK_FALSE(unoptimised.cache_hit);
  CHECK(unoptimised.cache_file != optimised.cache_file);
  CHECK(Results(*plain, program) == kExpected);

  // One changed constant is another program.
  ir::Program changed = CachedProgram(1);
  jit::JitReport changed_report;
  auto changed_jit = Compile(changed, folder.Path(), &changed_report);
  CHECK_FALSE(changed_report.cache_hit);
  CHECK(changed_report.cache_file != optimised.cache_file);
  std::vector<int64_t> expected = kExpected;
  expected[0] += 1;
  CHECK(Results(*changed_jit, changed) == expected);

  jit::JitReport again;
  Compile(program, folder.Path(), &again, false);
  CHECK(again.cache_hit);
  CHECK(again.cache_file == unoptimised.cache_file);
}

std::vector<std::string> PhaseNames(const jit::JitReport& report) {
  std::vector<std::string> names;
  for (const jit::JitPhase& phase : report.phases) names.push_back(phase.name);
  return names;
}

TEST_CASE("jit cache: a hit builds no LLVM module", "[jit][cache]") {
  TemporaryFolder folder;
  ir::Program program = CachedProgram();
  jit::JitReport miss;
  Compile(program, folder.Path(), &miss);
  CHECK(PhaseNames(miss) ==
        std::vector<std::string>{"cache", "lower", "optimize", "codegen"});

  // The key comes from the IR, so a hit goes from the file to the code.
  jit::JitReport hit;
  auto jit = Compile(program, folder.Path(), &hit);
  REQUIRE(hit.cache_hit);
  CHECK(PhaseNames(hit) == std::vector<std::string>{"cache"});
  CHECK(Results(*jit, program) == kExpected);

  jit::JitReport plain;
  Compile(program, "", &plain, /*optimize=*/false);
  CHECK(PhaseNames(plain) == std::vector<std::string>{"lower", "codegen"});
}

// The first instruction of `Program::functions[function]` with `op`.
ir::Inst& First(ir::Program& program, int function, Op op) {
  for (ir::Inst& inst : program.functions[function].body) {
    if (inst.op == op) return inst;
  }
  FAIL("no such instruction");
  return program.functions[function].body[0];
}

// Programs that differ from `CachedProgram()` in one part of the IR that
// the machine code depends on, each named for the part.
std::vector<std::pair<std::string, ir::Program>> OneChangeEach() {
  std::vector<std::pair<std::string, ir::Program>> changed;
  auto add = [&](const std::string& name, auto change) {
    ir::Program program = CachedProgram();
    change(program);
    changed.push_back({name, program});
  };
  add("an opcode", [](ir::Program& p) { First(p, 0, Op::Add).op = Op::Sub; });
  add("an operand", [](ir::Program& p) {
    ir::Inst& add = First(p, 0, Op::Add);
    std::swap(add.a, add.b);
  });
  add("the base of a load",
      [](ir::Program& p) { First(p, 1, Op::Load).base = Base::Local; });
  add("a load offset", [](ir::Program& p) { First(p, 1, Op::Load).imm = 5; });
  add("the type compared",
      [](ir::Program& p) { First(p, 2, Op::Lt).operand_type = Type::Int; });
  add("a second constant word",
      [](ir::Program& p) { First(p, 1, Op::Const).imm2 = 1; });
  add("the bytes of a string", [](ir::Program& p) { p.strings[0] = "n"; });
  add("where strings split", [](ir::Program& p) {
    p.strings[0] = "mn";
    p.strings.push_back("");
  });
  add("a string added", [](ir::Program& p) { p.strings.push_back("n"); });
  add("the order of functions",
      [](ir::Program& p) { std::swap(p.functions[0], p.functions[1]); });
  add("a function dropped", [](ir::Program& p) { p.functions.pop_back(); });
  add("the module name", [](ir::Program& p) { p.module = "other"; });
  // The module holds a function per set of segments (segment_sets.h).
  add("a segment added", [](ir::Program& p) {
    p.segments.push_back({"s", 2, 0, {}});
  });
  add("segments grouped differently", [](ir::Program& p) {
    p.segments.push_back({"s", 2, 0, {}});
    p.segments.push_back({"t", 2, 1, {}});
    p.segments_on_identify = {1};
  });
  return changed;
}

TEST_CASE("jit cache: every part of the IR the code depends on is in the key",
          "[jit][cache]") {
  TemporaryFolder folder;
  jit::JitReport base;
  Compile(CachedProgram(), folder.Path(), &base);
  std::set<std::string> files = {base.cache_file};
  for (const auto& [name, program] : OneChangeEach()) {
    INFO(name);
    REQUIRE(ir::Verify(program).empty());
    jit::JitReport report;
    Compile(program, folder.Path(), &report);
    CHECK_FALSE(report.cache_hit);
    CHECK(files.insert(report.cache_file).second);
  }

  // What the module does not contain does not matter: function names,
  // segment names and words, journeys.
  ir::Program renamed = CachedProgram();
  renamed.functions[0].name = "another name";
  ir::Program with_segment = CachedProgram();
  with_segment.segments.push_back({"s", 2, 0, {}});
  jit::JitReport segment_base;
  Compile(with_segment, folder.Path(), &segment_base);
  with_segment.segments[0] = {"renamed", 2, 3, {}};
  jit::JitReport segment_same;
  Compile(with_segment, folder.Path(), &segment_same);
  CHECK(segment_same.cache_hit);
  CHECK(segment_same.cache_file == segment_base.cache_file);
  jit::JitReport same;
  Compile(renamed, folder.Path(), &same);
  CHECK(same.cache_hit);
  CHECK(same.cache_file == base.cache_file);
}

TEST_CASE("jit cache: a damaged file is recompiled and rewritten",
          "[jit][cache]") {
  TemporaryFolder folder;
  ir::Program program = CachedProgram();
  jit::JitReport report;
  Compile(program, folder.Path(), &report);
  REQUIRE_FALSE(report.cache_hit);
  const std::string path = report.cache_file;
  const std::string good = ReadFile(path);
  REQUIRE(good.size() > 64);

  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  std::string wrong_size = good;
  wrong_size[9] ^= 0x01;
  const std::vector<std::pair<const char*, std::string>> damages = {
      {"empty", ""},
      {"garbage", std::string(4096, '\x5a')},
      {"truncated", good.substr(0, good.size() / 2)},
      {"extended", good + "trailing"},
      {"one flipped payload bit", flipped},
      {"wrong recorded size", wrong_size},
      {"header only", good.substr(0, 48)},
  };
  for (const auto& [name, bytes] : damages) {
    INFO(name);
    WriteFile(path, bytes);

    jit::JitReport fallback;
    auto jit = Compile(program, folder.Path(), &fallback);
    CHECK_FALSE(fallback.cache_hit);
    CHECK(Results(*jit, program) == kExpected);
    CHECK(ReadFile(path) == good);

    jit::JitReport healed;
    auto hit = Compile(program, folder.Path(), &healed);
    CHECK(healed.cache_hit);
    CHECK(Results(*hit, program) == kExpected);
  }

  // A folder where the file should be: nothing to read, nothing written.
  fs::remove(path);
  fs::create_directory(path);
  jit::JitReport blocked;
  auto jit = Compile(program, folder.Path(), &blocked);
  CHECK_FALSE(blocked.cache_hit);
  CHECK(Results(*jit, program) == kExpected);
}

TEST_CASE("jit cache: a file copied under another program's key is a miss",
          "[jit][cache]") {
  TemporaryFolder folder;
  ir::Program first = CachedProgram(0);
  ir::Program second = CachedProgram(1);
  jit::JitReport first_report;
  jit::JitReport second_report;
  Compile(first, folder.Path(), &first_report);
  Compile(second, folder.Path(), &second_report);
  REQUIRE(first_report.cache_file != second_report.cache_file);

  // A well-formed file of the first program, under the second's name (a
  // cache folder restored or merged by hand): its code is not the
  // second's, whose first function adds 1.
  const std::string second_bytes = ReadFile(second_report.cache_file);
  WriteFile(second_report.cache_file, ReadFile(first_report.cache_file));
  jit::JitReport report;
  auto jit = Compile(second, folder.Path(), &report);
  CHECK_FALSE(report.cache_hit);
  ir::Frame frame;
  std::vector<int64_t> event = {-3 * kScale, 0, 0, 1, 1};
  frame.event = event.data();
  CHECK(jit->Call(0, frame) == -4'500'000 + 1);
  CHECK(ReadFile(second_report.cache_file) == second_bytes);
}

TEST_CASE("jit cache: the folder keeps its most recently used entries",
          "[jit][cache]") {
  TemporaryFolder folder;
  fs::create_directories(folder.Path());
  auto now = fs::file_time_type::clock::now();
  // Entries used one minute apart, the oldest first, and a write that
  // died two hours ago and one that may still be going on.
  const size_t kOld = jit::kObjectCacheEntries + 5;
  for (size_t i = 0; i < kOld; ++i) {
    std::string path = folder.Path() + "/" + std::to_string(100 + i) + ".pcobj";
    WriteFile(path, "old");
    fs::last_write_time(path, now - std::chrono::minutes(kOld - i + 10));
  }
  std::string dead = folder.Path() + "/x.pcobj.tmp-dead";
  std::string live = folder.Path() + "/y.pcobj.tmp-live";
  WriteFile(dead, "half");
  WriteFile(live, "half");
  fs::last_write_time(dead, now - std::chrono::hours(2));
  std::string other = folder.Path() + "/notes.txt";
  WriteFile(other, "not ours");

  ir::Program program = CachedProgram();
  jit::JitReport report;
  auto jit = Compile(program, folder.Path(), &report);
  CHECK(Results(*jit, program) == kExpected);

  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(folder.Path())) {
    left.insert(entry.path().filename().string());
  }
  // The new entry and the most recently used old ones, up to the limit.
  CHECK(left.count(fs::path(report.cache_file).filename().string()) == 1);
  size_t entries = 0;
  for (const std::string& name : left) {
    if (name.size() > 6 && name.substr(name.size() - 6) == ".pcobj") {
      ++entries;
    }
  }
  CHECK(entries == jit::kObjectCacheEntries);
  CHECK(left.count(std::to_string(100 + kOld - 1) + ".pcobj") == 1);
  CHECK(left.count("100.pcobj") == 0);
  CHECK(left.count(std::to_string(100 + 5) + ".pcobj") == 0);
  CHECK(left.count(std::to_string(100 + 6) + ".pcobj") == 1);
  CHECK(left.count("x.pcobj.tmp-dead") == 0);
  CHECK(left.count("y.pcobj.tmp-live") == 1);
  CHECK(left.count("notes.txt") == 1);

  // A hit is a use: an entry just read outlives the others.
  fs::last_write_time(report.cache_file, now - std::chrono::hours(5));
  jit::JitReport hit;
  Compile(program, folder.Path(), &hit);
  REQUIRE(hit.cache_hit);
  CHECK(fs::last_write_time(report.cache_file) > now - std::chrono::hours(1));
}

TEST_CASE("jit cache: an unusable folder only costs the cache",
          "[jit][cache]") {
  TemporaryFolder folder;
  fs::create_directories(folder.Path());
  std::string file = folder.Path() + "/not-a-folder";
  WriteFile(file, "x");

  ir::Program program = CachedProgram();
  jit::JitReport report;
  auto jit = Compile(program, file + "/objects", &report);
  CHECK_FALSE(report.cache_hit);
  CHECK(Results(*jit, program) == kExpected);
}

TEST_CASE("jit cache: off when no folder is given", "[jit][cache]") {
  ir::Program program = CachedProgram();
  jit::JitReport report;
  auto jit = Compile(program, "", &report);
  CHECK(report.cache_file.empty());
  CHECK_FALSE(report.cache_hit);
  CHECK(Results(*jit, program) == kExpected);
}

}  // namespace
}  // namespace parcours::jit_test
