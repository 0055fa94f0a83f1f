// A batch's profile, history and instance rows wait in `pending_rows`
// (schema 9, runtime/store/pending_rows.h) until the store folds them into
// their tables. Nothing may be lost on the way: not by the blob's coding,
// not when a run stops before its last fold, and not when a blob is
// damaged.
#include "runtime/store/pending_rows.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "runtime/sinks/action_sink.h"
#include "runtime/store/pending_view.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"
#include "tests/support/lazy_load_from.h"

namespace parcours::testing {
namespace {

using store::PendingKind;
using store::PendingRow;
using store::PendingRowReader;
using store::PendingRowWriter;

// An entry as plain values, to compare what was written with what is read.
struct Entry {
  PendingKind kind = PendingKind::Profile;
  std::vector<std::string> texts;
  int64_t seq = 0;
  int64_t step = 0;
  std::optional<int64_t> wake_at;
  int64_t entered_at = 0;
  std::optional<std::string> arrived;
  std::optional<int64_t> recheck_at;
  std::optional<int64_t> waits_since;
  std::optional<int64_t> last_seq;
  bool operator==(const Entry&) const = default;
};

// How many texts an entry of `kind` has.
int TextCount(PendingKind kind) {
  if (kind == PendingKind::Profile) return 5;
  if (kind == PendingKind::ProfileWithoutSeq) return 5;
  if (kind == PendingKind::ProfileWithoutRecheck) return 5;
  bool instance = kind == PendingKind::Instance ||
                  kind == PendingKind::InstanceWithoutWaitsSince;
  return instance ? 4 : 2;
}

Entry FromRow(const PendingRow& row) {
  Entry entry;
  entry.kind = row.kind;
  for (int i = 0; i < TextCount(row.kind); ++i) {
    entry.texts.emplace_back(row.texts[i]);
  }
  if (TextCount(row.kind) == 4) {
    entry.seq = row.seq;
    entry.step = row.step;
    entry.wake_at = row.wake_at;
    entry.entered_at = row.entered_at;
    if (row.arrived) entry.arrived = std::string(*row.arrived);
  }
  if (row.kind == PendingKind::Instance) entry.waits_since = row.waits_since;
  if (row.kind == PendingKind::Profile ||
      row.kind == PendingKind::ProfileWithoutSeq) {
    entry.recheck_at = row.recheck_at;
  }
  if (row.kind == PendingKind::Profile) entry.last_seq = row.last_seq;
  return entry;
}

void Write(const Entry& entry, PendingRowWriter& writer) {
  PendingRow row;
  row.kind = entry.kind;
  for (size_t i = 0; i < entry.texts.size(); ++i) row.texts[i] = entry.texts[i];
  row.seq = entry.seq;
  row.step = entry.step;
  row.wake_at = entry.wake_at;
  row.entered_at = entry.entered_at;
  if (entry.arrived) row.arrived = *entry.arrived;
  row.recheck_at = entry.recheck_at;
  row.waits_since = entry.waits_since;
  row.last_seq = entry.last_seq;
  writer.Add(row);
}

// Entries of every kind, with empty, long and binary texts and the
// extreme integers.
std::vector<Entry> RandomEntries(std::mt19937_64& random, int count) {
  const int64_t extremes[] = {0,
                              -1,
                              1,
                              63,
                              64,
                              -64,
                              -65,
                              std::numeric_limits<int64_t>::max(),
                              std::numeric_limits<int64_t>::min()};
  auto number = [&]() -> int64_t {
    if (random() % 3 == 0) return extremes[random() % std::size(extremes)];
    return static_cast<int64_t>(random());
  };
  auto text = [&]() {
    std::string bytes(random() % 4 == 0 ? 300 : random() % 8, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    return bytes;
  };
  std::vector<Entry> entries;
  for (int i = 0; i < count; ++i) {
    Entry entry;
    entry.kind = std::vector<PendingKind>{
        PendingKind::Profile,
        PendingKind::History,
        PendingKind::Instance,
        PendingKind::Removed,
        PendingKind::ProfileWithoutSeq,
        PendingKind::ProfileWithoutRecheck,
        PendingKind::InstanceWithoutWaitsSince}[random() % 7];
    for (int t = 0; t < TextCount(entry.kind); ++t) {
      entry.texts.push_back(text());
    }
    if (TextCount(entry.kind) == 4) {
      entry.seq = number();
      entry.step = number();
      if (random() % 2 == 0) entry.wake_at = number();
      entry.entered_at = number();
      if (random() % 2 == 0) entry.arrived = text();
    }
    if (entry.kind == PendingKind::Instance && random() % 2 == 0) {
      entry.waits_since = number();
    }
    bool rechecked = entry.kind == PendingKind::Profile ||
                     entry.kind == PendingKind::ProfileWithoutSeq;
    if (rechecked && random() % 2 == 0) entry.recheck_at = number();
    if (entry.kind == PendingKind::Profile && random() % 2 == 0) {
      entry.last_seq = number();
    }
    entries.push_back(entry);
  }
  return entries;
}

PendingRowWriter Written(const std::vector<Entry>& entries) {
  PendingRowWriter writer;
  for (const Entry& entry : entries) Write(entry, writer);
  return writer;
}

TEST_CASE("deferred rows read back as they were written",
          "[runtime][store][pending]") {
  std::mt19937_64 random(20261205);
  std::vector<Entry> entries = RandomEntries(random, 2000);
  PendingRowWriter writer = Written(entries);
  CHECK(writer.entries() == 2000);

  PendingRowReader reader(writer.blob());
  PendingRow row;
  std::vector<Entry> read;
  while (reader.Next(row)) read.push_back(FromRow(row));
  CHECK(reader.error().empty());
  CHECK(read == entries);
}

TEST_CASE("a damaged blob is reported and never read past its end",
          "[runtime][store][pending]") {
  std::mt19937_64 random(7);
  std::vector<Entry> entries = RandomEntries(random, 40);
  PendingRowWriter writer = Written(entries);
  const std::string& blob = writer.blob();

  // Cut short anywhere: the entries before the cut read back, then the
  // reader stops, with an error unless the cut fell between two entries.
  // The copy makes a read past the cut a read past the buffer, which the
  // sanitizer builds catch.
  for (size_t cut = 0; cut < blob.size(); ++cut) {
    std::string shortened = blob.substr(0, cut);
    PendingRowReader reader(shortened);
    PendingRow row;
    size_t read = 0;
    while (reader.Next(row)) {
      REQUIRE(read < entries.size());
      CHECK(FromRow(row) == entries[read]);
      ++read;
    }
    if (!reader.error().empty()) {
      CHECK_THAT(reader.error(), Catch::Contains("at byte"));
    }
    CHECK(read < entries.size());
  }

  std::string unknown = blob;
  unknown[0] = 'X';
  PendingRowReader reader(unknown);
  PendingRow row;
  CHECK_FALSE(reader.Next(row));
  CHECK(reader.error() == "an entry of unknown kind at byte 0");
}

// A sink that fails once it has taken `limit` lines, as a process killed
// mid-run would stop: after some commits, before the run's end.
class FailingSink final : public sinks::ActionSink {
 public:
  explicit FailingSink(int limit) : limit_(limit) {}
  common::Status Write(std::string_view) override {
    if (++lines_ > limit_) return common::Status::Error("the sink is gone");
    return common::Status::Ok();
  }
  common::Status Flush() override { return common::Status::Ok(); }

 private:
  int limit_;
  int lines_ = 0;
};

// Big orders, small orders and sign-ups of a few profiles over two
// months: instances start, wait, move on and end, aggregates grow.
std::vector<std::string> ShopTraffic(int days) {
  std::vector<std::string> lines;
  for (int day = 0; day < days; ++day) {
    std::time_t seconds = 1293840000 + day * 86400 + (8 + day % 10) * 3600;
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char time[32];
    std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%SZ", &parts);
    for (int p = 0; p < 5; ++p) {
      std::string user = "p" + std::to_string((day + p) % 7);
      std::string id = std::to_string(day) + "-" + std::to_string(p);
      if (p == 0) lines.push_back(Track("Signed Up", user, "s" + id, time));
      lines.push_back(
          Order(user, "o" + id, time, (day + p) % 3 ? "150" : "20"));
    }
  }
  return lines;
}

// The waiting contacts by journey, as `instances` alone has them.
std::map<std::string, int64_t> WaitingInTable(const std::string& path) {
  std::map<std::string, int64_t> waiting;
  for (const char* journey : {"thank_you", "welcome", "note_ack"}) {
    int64_t count = QueryInt(path, std::string("SELECT count(*) FROM instances "
                                               "WHERE journey = '") +
                                       journey + "'");
    if (count > 0) waiting[journey] = count;
  }
  return waiting;
}

// Loads the state at `path`, which replays its blobs into its tables.
void LoadState(const ir::Program& program, const std::string& path) {
  store::State state(program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  common::Status loaded = (*opened)->Load(state);
  INFO(loaded.message());
  REQUIRE(loaded.ok());
}

// The rows of the tables a fold writes, in key order.
std::string Tables(const std::string& path) {
  return QueryText(path,
                   "SELECT group_concat(row, char(10)) FROM ("
                   "SELECT 'p|' || id || '|' || attrs || '|' || aggregates "
                   "|| '|' || segments || '|' || entries || '|' || "
                   "ifnull(last_seq, '-') AS row "
                   "FROM profiles UNION ALL "
                   "SELECT 'i|' || profile || '|' || journey || '|' || seq "
                   "|| '|' || step || '|' || step_name || '|' || "
                   "ifnull(wake_at, '-') || '|' || entered_at || '|' || "
                   "locals || '|' || ifnull(arrived, '-') || '|' || "
                   "ifnull(waits_since, '-') FROM instances "
                   "UNION ALL SELECT 'h|' || profile || '|' || events "
                   "FROM history ORDER BY row)");
}

TEST_CASE("rows deferred by a run that stopped are replayed by the next",
          "[runtime][store][pending]") {
  Shop shop = MakeShop();
  std::string text = Lines(ShopTraffic(40));
  TempDir dir;
  auto evaluator = interp::MakeInterpreter(shop.program);

  engine::RunOptions whole_options = OptionsFor(dir.File("whole.db"));
  whole_options.batch_size = 4;
  auto whole = RunText(shop.program, text, whole_options);
  REQUIRE(whole.result.status.ok());
  REQUIRE(whole.actions.size() > 50);
  // The run's end folded every blob into the tables.
  CHECK(QueryInt(dir.File("whole.db"), "SELECT count(*) FROM pending_rows") ==
        0);

  // The same run, stopped by its sink after 30 actions.
  std::string stopped = dir.File("stopped.db");
  engine::RunOptions options = OptionsFor(stopped);
  options.batch_size = 4;
  {
    std::istringstream events(text);
    FailingSink sink(30);
    engine::RunResult result =
        engine::Run(shop.program, *evaluator, events, sink, options);
    REQUIRE_FALSE(result.status.ok());
  }
  // Its batches' rows are all still blobs: too few to fold.
  int64_t blobs = QueryInt(stopped, "SELECT count(*) FROM pending_rows");
  CHECK(blobs > 5);
  CHECK(QueryInt(stopped, "SELECT count(*) FROM profiles") == 0);
  CHECK(QueryInt(stopped, "SELECT count(*) FROM instances") == 0);

  // A report reads the blobs with the tables: the profiles and waiting
  // contacts it sees are those the replay below writes.
  std::map<std::string, int64_t> waiting_before_replay;
  {
    auto db = store::Database::OpenReadOnly(stopped);
    REQUIRE(db.ok());
    for (const char* id : {"p0", "p6"}) {
      auto known = store::HasProfile(*db, id);
      REQUIRE(known.ok());
      CHECK(*known);
    }
    auto unknown = store::HasProfile(*db, "p7");
    REQUIRE(unknown.ok());
    CHECK_FALSE(*unknown);
    auto waiting = store::CountWaitingByJourney(*db);
    REQUIRE(waiting.ok());
    waiting_before_replay = *waiting;
    CHECK_FALSE(waiting_before_replay.empty());
  }

  // A load replays them into the tables, and a rerun of the whole input
  // ends with the tables of the run that never stopped.
  {
    store::State state(shop.program);
    auto opened = store::Store::Open(stopped);
    REQUIRE(opened.ok());
    common::Status loaded = (*opened)->Load(state);
    INFO(loaded.message());
    REQUIRE(loaded.ok());
    CHECK(state.CountProfiles() == 7);
    CHECK(state.CountInstances() > 0);
  }
  CHECK(QueryInt(stopped, "SELECT count(*) FROM pending_rows") == 0);
  CHECK(QueryInt(stopped, "SELECT count(*) FROM profiles") == 7);
  std::map<std::string, int64_t> waiting_after_replay;
  for (const char* journey : {"thank_you", "welcome", "note_ack"}) {
    int64_t count =
        QueryInt(stopped, std::string("SELECT count(*) FROM instances "
                                      "WHERE journey = '") +
                              journey + "'");
    if (count > 0) waiting_after_replay[journey] = count;
  }
  CHECK(waiting_before_replay == waiting_after_replay);

  auto rerun = RunText(shop.program, text, options);
  REQUIRE(rerun.result.status.ok());
  CHECK(Tables(stopped) == Tables(dir.File("whole.db")));
  CHECK_FALSE(Tables(stopped).empty());
}

TEST_CASE("a run folds its deferred rows once they outnumber its own",
          "[runtime][store][pending]") {
  Shop shop = MakeShop();
  // 7 profiles, and a batch per line, each a blob of a row or more: the
  // blobs pass 4 rows per profile and instance, plus 10,000, at about
  // two thirds of the input.
  std::string text = Lines(ShopTraffic(1500));
  TempDir dir;
  engine::RunOptions options = OptionsFor(dir.File("whole.db"));
  options.batch_size = 1;
  auto whole = RunText(shop.program, text, options);
  REQUIRE(whole.result.status.ok());
  int64_t batches = whole.result.summary.lines_read;

  // The same run, stopped by its sink a few actions before the end.
  std::string path = dir.File("s.db");
  options.state_path = path;
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(text);
  FailingSink sink(static_cast<int>(whole.actions.size()) - 5);
  REQUIRE_FALSE(
      engine::Run(shop.program, *evaluator, events, sink, options).status.ok());

  // Folded mid-run: the tables hold every profile, and the blobs are only
  // those of the batches since.
  CHECK(QueryInt(path, "SELECT count(*) FROM profiles") == 7);
  int64_t blobs = QueryInt(path, "SELECT count(*) FROM pending_rows");
  CHECK(blobs > 100);
  CHECK(blobs < batches / 2);

  // A report counts the contacts of the table as the blobs since changed
  // them; the replay writes the same.
  std::map<std::string, int64_t> waiting;
  {
    auto db = store::Database::OpenReadOnly(path);
    REQUIRE(db.ok());
    auto counted = store::CountWaitingByJourney(*db);
    REQUIRE(counted.ok());
    waiting = *counted;
  }
  LoadState(shop.program, path);
  CHECK(QueryInt(path, "SELECT count(*) FROM pending_rows") == 0);
  CHECK(waiting == WaitingInTable(path));
  CHECK_FALSE(waiting.empty());
}

TEST_CASE("a damaged blob stops the load and leaves the file as it was",
          "[runtime][store][pending]") {
  Shop shop = MakeShop();
  std::string text = Lines(ShopTraffic(10));
  TempDir dir;
  std::string path = dir.File("s.db");
  engine::RunOptions options = OptionsFor(path);
  options.batch_size = 4;
  auto evaluator = interp::MakeInterpreter(shop.program);
  {
    std::istringstream events(text);
    FailingSink sink(8);
    REQUIRE_FALSE(engine::Run(shop.program, *evaluator, events, sink, options)
                      .status.ok());
  }
  int64_t blobs = QueryInt(path, "SELECT count(*) FROM pending_rows");
  REQUIRE(blobs >= 2);
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    REQUIRE(db->Exec("UPDATE pending_rows SET rows = substr(rows, 1, "
                     "length(rows) - 3) WHERE batch = 2")
                .ok());
  }
  std::string before = QueryText(
      path, "SELECT group_concat(hex(rows)) FROM pending_rows ORDER BY batch");

  store::State state(shop.program);
  auto opened = store::Store::Open(path);
  REQUIRE(opened.ok());
  common::Status loaded = (*opened)->Load(state);
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(loaded.message(),
             Catch::StartsWith("state file `" + path +
                               "`: could not load: pending_rows batch 2 is "
                               "damaged (") &&
                 Catch::Contains(" at byte ") &&
                 Catch::EndsWith("); the file was not modified"));
  opened->reset();
  CHECK(QueryInt(path, "SELECT count(*) FROM pending_rows") == blobs);
  CHECK(QueryInt(path, "SELECT count(*) FROM profiles") == 0);
  CHECK(QueryText(path,
                  "SELECT group_concat(hex(rows)) FROM pending_rows "
                  "ORDER BY batch") == before);
}

// A blob that an older version deferred holds instance rows without the
// instant their `wait for` was reached: replayed, the row has none, and
// the loaded contact's step counts from its entry, as it did then.
TEST_CASE(
    "deferred instance rows keep when their step was reached, and older "
    "ones count from the entry",
    "[runtime][store][pending]") {
  Shop shop = MakeShop();
  TempDir dir;
  std::string path = dir.File("s.db");
  LoadState(shop.program, path);  // an empty state of this schema

  PendingRowWriter writer;
  auto add = [&](PendingKind kind, const char* profile,
                 std::optional<int64_t> waits_since) {
    PendingRow row;
    row.kind = kind;
    row.texts[0] = profile;
    row.texts[1] = "thank_you";
    row.texts[2] = "wait1";
    row.texts[3] = "{}";
    row.seq = profile[0];
    row.step = 1;
    row.wake_at = 1'000'000;
    row.entered_at = 100;
    row.waits_since = waits_since;
    writer.Add(row);
  };
  add(PendingKind::Instance, "a", 150);
  add(PendingKind::Instance, "b", std::nullopt);
  add(PendingKind::InstanceWithoutWaitsSince, "c", std::nullopt);
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    // The blob's rows are a save's, which writes `meta` with them.
    REQUIRE(db->Exec(SavedMetaSql()).ok());
    auto insert = db->Prepare("INSERT INTO pending_rows(rows) VALUES(?1)");
    REQUIRE(insert.ok());
    insert->BindBorrowedBlob(1, writer.blob());
    REQUIRE(insert->Run().ok());
  }

  store::State state(shop.program);
  {
    auto opened = store::Store::Open(path);
    REQUIRE(opened.ok());
    common::Status loaded = (*opened)->Load(state);
    INFO(loaded.message());
    REQUIRE(loaded.ok());
  }
  CHECK(QueryText(path,
                  "SELECT group_concat(profile || ' ' || "
                  "ifnull(waits_since, '-'), ', ') FROM (SELECT * FROM "
                  "instances ORDER BY profile)") == "a 150, b -, c -");
  auto waits_since = [&](const std::string& id) {
    store::Profile* profile = state.FindProfile(id);
    REQUIRE(profile != nullptr);
    store::Instance* instance = state.FindInstance(*profile, 0);
    REQUIRE(instance != nullptr);
    return instance->waits_since;
  };
  CHECK(waits_since("a") == 150);
  CHECK(waits_since("c") == 100);
}

TEST_CASE("a lazy load folds its deferred rows when a full load would",
          "[runtime][store][pending][lazy]") {
  // 10,000 profiles in the file, then a batch per line for 7 of them: the
  // rows of `profiles` allow a full load about 50,000 deferred rows, more
  // than the run writes. A lazy load reads only the 7, but the rows it
  // leaves in the file count as much: it folded, and more often, counting
  // only the rows it had read.
  Shop shop = MakeShop();
  std::vector<std::string> identifies;
  for (int p = 0; p < 10000; ++p) {
    identifies.push_back(Identify("c" + std::to_string(p),
                                  "i" + std::to_string(p),
                                  "2010-12-01T10:00:00Z", "{}"));
  }
  TempDir dir;
  std::string base = dir.File("base.db");
  {
    LazyLoadFrom full(nullptr);
    REQUIRE(RunText(shop.program, Lines(identifies), OptionsFor(base))
                .result.status.ok());
  }

  std::string text = Lines(ShopTraffic(1500));
  engine::RunOptions whole_options = OptionsFor(dir.File("whole.db"));
  std::filesystem::copy_file(base, whole_options.state_path);
  auto whole = RunText(shop.program, text, whole_options);
  REQUIRE(whole.result.status.ok());

  // The same run, stopped by its sink a few actions before the end.
  auto stopped = [&](const char* lazy_from, const std::string& name) {
    std::string path = dir.File(name);
    std::filesystem::copy_file(base, path);
    LazyLoadFrom setting(lazy_from);
    engine::RunOptions options = OptionsFor(path);
    options.batch_size = 1;
    auto evaluator = interp::MakeInterpreter(shop.program);
    std::istringstream events(text);
    FailingSink sink(static_cast<int>(whole.actions.size()) - 5);
    REQUIRE_FALSE(engine::Run(shop.program, *evaluator, events, sink, options)
                      .status.ok());
    return path;
  };
  std::string full = stopped("100000000", "full.db");
  std::string lazy = stopped("0", "lazy.db");
  int64_t blobs = QueryInt(full, "SELECT count(*) FROM pending_rows");
  CHECK(blobs > 5000);
  CHECK(QueryInt(lazy, "SELECT count(*) FROM pending_rows") == blobs);
  CHECK(Tables(lazy) == Tables(full));
}

}  // namespace
}  // namespace parcours::testing
