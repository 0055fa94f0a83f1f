// Partitioned runs as a pipeline (runtime/engine/run.cpp, `Coordinator`):
// each partition on its own thread for the whole input, the coordinator
// reading ahead and delivering behind them. What these tests hold it to:
// the progress it reports per batch, and a failure on any thread that
// stops the run with its message, not a hang, leaving a state the next
// run finishes exactly once.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "runtime/engine/run.h"
#include "runtime/store/sqlite.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

// Two months of orders and signups over 12 profiles, a few lines again,
// and one line that is not JSON.
std::vector<std::string> ManyProfiles() {
  std::vector<std::string> lines;
  for (int i = 0; i < 120; ++i) {
    char time[32];
    std::snprintf(time, sizeof time, "2011-%02d-%02dT%02d:00:00Z", 1 + i / 60,
                  1 + (i % 60) / 2, 8 + i % 10);
    std::string user = "p" + std::to_string(i % 12);
    std::string id = std::to_string(i);
    if (i % 4 == 0) {
      lines.push_back(Track("Signed Up", user, "s" + id, time));
    } else {
      lines.push_back(Order(user, "o" + id, time, i % 3 ? "150" : "20"));
    }
    if (i % 17 == 0 && i > 0) lines.push_back(lines[lines.size() - 3]);
    if (i == 50) lines.push_back("not json");
  }
  return lines;
}

// A run into a state folder of `partitions`, with the progress it
// reported after each batch.
struct PartitionedRun {
  engine::RunResult result;
  std::vector<std::string> actions;
  std::vector<std::pair<int64_t, int64_t>> progress;
};

PartitionedRun RunPartitioned(const Shop& shop, const std::string& text,
                              const std::string& folder, int partitions,
                              int64_t batch_size) {
  engine::RunOptions options = OptionsFor(folder);
  options.partitions = partitions;
  options.batch_size = batch_size;
  options.until = 1301616000;  // 2011-04-01T00:00:00Z
  PartitionedRun run;
  options.progress = [&](int64_t lines, int64_t actions) {
    run.progress.emplace_back(lines, actions);
  };
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(text);
  sinks::MemorySink sink;
  run.result = engine::Run(shop.program, *evaluator, events, sink, options);
  run.actions = sink.lines();
  return run;
}

TEST_CASE("a partitioned run reports the same progress for any number",
          "[runtime][partitions]") {
  Shop shop = MakeShop();
  std::string text = Lines(ManyProfiles());
  TempDir dir;

  // A batch of one line turns the pipeline's slots over at every line.
  for (int64_t batch_size : {1, 7}) {
    PartitionedRun one = RunPartitioned(
        shop, text, dir.File("one-" + std::to_string(batch_size)), 1,
        batch_size);
    REQUIRE(one.result.status.ok());
    REQUIRE(one.actions.size() > 20);

    // After each batch: the lines read so far, and the actions decided
    // by then, whatever the partitions did next.
    int64_t lines = one.result.summary.lines_read;
    REQUIRE(one.progress.size() >=
            static_cast<size_t>((lines + batch_size - 1) / batch_size));
    for (size_t i = 0; i + 1 < one.progress.size(); ++i) {
      INFO("batch " << i);
      CHECK(one.progress[i].first ==
            std::min(lines, static_cast<int64_t>(i + 1) * batch_size));
      CHECK(one.progress[i].second <= one.progress[i + 1].second);
    }
    CHECK(one.progress.back().second ==
          static_cast<int64_t>(one.actions.size()));

    for (int partitions : {2, 3, 5}) {
      INFO(partitions << " partitions, batches of " << batch_size);
      PartitionedRun many =
          RunPartitioned(shop, text,
                         dir.File("p" + std::to_string(partitions) + "-" +
                                  std::to_string(batch_size)),
                         partitions, batch_size);
      REQUIRE(many.result.status.ok());
      CHECK(many.actions == one.actions);
      CHECK(many.progress == one.progress);
    }
  }
}

// Whether each partition file of `folder` holds deferred rows now.
std::vector<bool> HoldsDeferredRows(const std::string& folder, int partitions) {
  std::vector<bool> holds;
  for (int i = 0; i < partitions; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "p-%04d.db", i);
    auto db = store::Database::OpenReadOnly(
        (std::filesystem::path(folder) / name).string());
    REQUIRE(db.ok());
    auto count = db->QueryInt("SELECT count(*) FROM pending_rows");
    REQUIRE(count.ok());
    holds.push_back(*count > 0);
  }
  return holds;
}

TEST_CASE("the partitions fold their deferred rows at the same batch",
          "[runtime][partitions]") {
  // Many profiles in partition 0 and a few in partition 1, so that only
  // partition 0's own deferred rows grow enough to call for a fold.
  std::vector<std::string> crowd;
  std::vector<std::string> few;
  for (int i = 0; crowd.size() < 300 || few.size() < 5; ++i) {
    std::string user = "u" + std::to_string(i);
    if (engine::PartitionOf(user, 2) == 0) {
      if (crowd.size() < 300) crowd.push_back(user);
    } else if (few.size() < 5) {
      few.push_back(user);
    }
  }
  std::vector<std::string> lines;
  for (int i = 0; i < 12'000; ++i) {
    char time[32];
    std::snprintf(time, sizeof time, "2011-01-%02dT%02d:%02d:%02dZ",
                  1 + i / 1000, (i / 60) % 16, i % 60, i % 60);
    // Every batch of 300 lines touches both partitions.
    const std::string& user =
        i % 30 == 0 ? few[(i / 30) % few.size()] : crowd[i % crowd.size()];
    lines.push_back(Order(user, "o" + std::to_string(i), time, "20"));
  }

  Shop shop = MakeShop();
  TempDir dir;
  const std::string folder = dir.File("state");
  engine::RunOptions options = OptionsFor(folder);
  options.partitions = 2;
  options.batch_size = 300;
  // After each batch's delivery every partition has committed it and
  // none the next: the moment to look at their files.
  std::vector<std::vector<bool>> after_batch;
  options.progress = [&](int64_t, int64_t) {
    after_batch.push_back(HoldsDeferredRows(folder, 2));
  };
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(Lines(lines));
  sinks::MemorySink sink;
  engine::RunResult result =
      engine::Run(shop.program, *evaluator, events, sink, options);
  REQUIRE(result.status.ok());
  REQUIRE(after_batch.size() >= 40);

  int folds_mid_run = 0;
  for (size_t batch = 0; batch + 1 < after_batch.size(); ++batch) {
    INFO("after batch " << batch);
    CHECK(after_batch[batch][0] == after_batch[batch][1]);
    if (batch > 0 && !after_batch[batch][0]) ++folds_mid_run;
  }
  CHECK(folds_mid_run >= 1);
  CHECK(after_batch.back() == std::vector<bool>{false, false});
}

// Keeps what it was given up to each flush; fails the write of the
// `fail_at`th line (counting from 1).
class FailingSink final : public sinks::ActionSink {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}

  common::Status Write(std::string_view line) override {
    if (++writes_ == fail_at_) {
      return common::Status::Error("the sink failed");
    }
    unflushed_.emplace_back(line);
    return common::Status::Ok();
  }

  common::Status Flush() override {
    flushed_.insert(flushed_.end(), unflushed_.begin(), unflushed_.end());
    unflushed_.clear();
    return common::Status::Ok();
  }

  std::vector<std::string> flushed_;

 private:
  int fail_at_;
  int writes_ = 0;
  std::vector<std::string> unflushed_;
};

TEST_CASE(
    "a partitioned run whose sink fails stops, and the next delivers the "
    "rest once",
    "[runtime][partitions]") {
  Shop shop = MakeShop();
  std::string text = Lines(ManyProfiles());
  TempDir dir;
  PartitionedRun whole = RunPartitioned(shop, text, dir.File("whole"), 3, 2);
  REQUIRE(whole.result.status.ok());
  REQUIRE(whole.actions.size() > 20);

  engine::RunOptions options = OptionsFor(dir.File("broken"));
  options.partitions = 3;
  options.batch_size = 2;
  options.until = 1301616000;
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::istringstream events(text);
  FailingSink failing(static_cast<int>(whole.actions.size() / 2));
  auto failed = engine::Run(shop.program, *evaluator, events, failing, options);
  CHECK(failed.status.message() == "the sink failed");
  REQUIRE(!failing.flushed_.empty());

  // The batch that failed is sent again in full, then the rest.
  PartitionedRun rest = RunPartitioned(shop, text, dir.File("broken"), 3, 2);
  REQUIRE(rest.result.status.ok());
  std::vector<std::string> joined = failing.flushed_;
  joined.insert(joined.end(), rest.actions.begin(), rest.actions.end());
  CHECK(joined == whole.actions);
}

// A destination that outlives a run, as a file does: what was flushed
// to it, which it finds again at the next run's start.
class LastingSink final : public sinks::ActionSink {
 public:
  explicit LastingSink(std::vector<std::string>& held) : held_(held) {}

  common::Status Write(std::string_view line) override {
    unflushed_.emplace_back(line);
    return common::Status::Ok();
  }

  common::Status Flush() override {
    held_.insert(held_.end(), unflushed_.begin(), unflushed_.end());
    unflushed_.clear();
    return common::Status::Ok();
  }

  // The most of `pending`'s first lines that end what it holds.
  common::Expected<size_t> CountDelivered(
      const std::vector<std::string_view>& pending) override {
    for (size_t count = std::min(pending.size(), held_.size()); count > 0;
         --count) {
      if (std::equal(pending.begin(), pending.begin() + count,
                     held_.end() - static_cast<ptrdiff_t>(count))) {
        return count;
      }
    }
    return size_t{0};
  }

 private:
  std::vector<std::string>& held_;
  std::vector<std::string> unflushed_;
};

TEST_CASE(
    "a partitioned run stops at a failure in its pipeline, and the next "
    "finishes it",
    "[runtime][partitions]") {
  Shop shop = MakeShop();
  std::string text = Lines(ManyProfiles());
  TempDir dir;
  PartitionedRun whole = RunPartitioned(shop, text, dir.File("whole"), 3, 2);
  REQUIRE(whole.result.status.ok());

  // A folder where the dead-letter file goes makes the run fail at the
  // batch of "not json", while the partitions that found no letter in it
  // may commit it.
  std::string folder = dir.File("blocked");
  std::string letters = folder + "/deadletter.jsonl";
  std::filesystem::create_directories(letters);
  engine::RunOptions options = OptionsFor(folder);
  options.partitions = 3;
  options.batch_size = 2;
  options.until = 1301616000;
  auto evaluator = interp::MakeInterpreter(shop.program);
  std::vector<std::string> held;
  {
    std::istringstream events(text);
    LastingSink sink(held);
    auto blocked = engine::Run(shop.program, *evaluator, events, sink, options);
    CHECK(blocked.status.message().find("deadletter") != std::string::npos);
    REQUIRE(!held.empty());
    CHECK(held.size() < whole.actions.size());
  }

  // Each action once. (The other partitions may have committed the
  // batch that failed; their share of it then goes out first, so only the
  // set is compared, see "Partitions" in docs/runtime.md.)
  std::filesystem::remove(letters);
  std::istringstream events(text);
  LastingSink sink(held);
  auto rest = engine::Run(shop.program, *evaluator, events, sink, options);
  REQUIRE(rest.status.ok());
  std::vector<std::string> expected = whole.actions;
  std::sort(held.begin(), held.end());
  std::sort(expected.begin(), expected.end());
  CHECK(held == expected);
  // The letters of the batch that failed, and after, are written by the
  // rerun, each once, as the run without a failure wrote them.
  CHECK(ReadLines(letters) ==
        ReadLines(dir.File("whole") + "/deadletter.jsonl"));
}

}  // namespace
}  // namespace parcours::testing
