// Running a program through the command line with both engines, for the
// journey scenario tests: same input, two state files, equal output.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/store/sqlite.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours::testing {

// One track line; `properties` is JSON text.
inline std::string TrackLine(const std::string& event, const std::string& user,
                             const std::string& id, const std::string& time,
                             const std::string& properties = "{}") {
  return R"({"type":"track","event":")" + event + R"(","userId":")" + user +
         R"(","messageId":")" + id + R"(","timestamp":")" + time +
         R"(","properties":)" + properties + "}\n";
}

inline std::string IdentifyLine(const std::string& user, const std::string& id,
                                const std::string& time,
                                const std::string& traits) {
  return R"({"type":"identify","userId":")" + user + R"(","messageId":")" + id +
         R"(","timestamp":")" + time + R"(","traits":)" + traits + "}\n";
}

// A scenario: a program, and runs of it over event files that share one
// state file per engine.
class Scenario {
 public:
  Scenario(const std::string& name, const std::string& program)
      : scratch_(ScratchDir(name)) {
    WriteText(scratch_ / "program.journey", program);
  }

  // Replaces the program, as a deploy of a changed one does; the state
  // files stay.
  void ChangeProgram(const std::string& program) {
    WriteText(scratch_ / "program.journey", program);
  }

  // Runs `events` with the JIT and the interpreter, each on its own state
  // file; requires both to succeed with the same bytes, and returns them.
  std::string Run(const std::string& events, const std::string& until = "") {
    std::string outputs[2];
    const char* engines[] = {"jit", "interp"};
    for (int i = 0; i < 2; ++i) {
      auto result = RunWith(engines[i], events, until);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      outputs[i] = result.out;
    }
    REQUIRE(outputs[0] == outputs[1]);
    return outputs[0];
  }

  // One run of `events` with `engine` on its state file, whatever comes
  // of it; `extra` goes on the command line.
  ProcessResult RunWith(const std::string& engine, const std::string& events,
                        const std::string& until = "",
                        const std::vector<std::string>& extra = {}) {
    auto events_path =
        scratch_ / ("events" + std::to_string(++runs_) + ".jsonl");
    WriteText(events_path, events);
    std::vector<std::string> args = {
        "run",      (scratch_ / "program.journey").string(),
        "--events", events_path.string(),
        "--state",  State(engine),
        "--out",    "-",
        "--engine", engine};
    if (!until.empty()) {
      args.push_back("--until");
      args.push_back(until);
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return RunParcours(args, scratch_);
  }

  // The interpreter's state file; the JIT's holds the same.
  std::string State(const std::string& engine = "interp") const {
    return (scratch_ / (engine + ".db")).string();
  }

  int64_t QueryInt(const std::string& sql,
                   const std::string& engine = "interp") const {
    auto db = store::Database::Open(State(engine));
    REQUIRE(db.ok());
    auto value = db->QueryInt(sql);
    INFO(value.status().message());
    REQUIRE(value.ok());
    return *value;
  }

  std::string QueryText(const std::string& sql) const {
    auto db = store::Database::Open(State());
    REQUIRE(db.ok());
    auto value = db->QueryText(sql);
    INFO(value.status().message());
    REQUIRE(value.ok());
    return *value;
  }

 private:
  std::filesystem::path scratch_;
  int runs_ = 0;
};

// Each action line as "at kind profile journey.step", plus the template of a
// send or suppressed line and the reason of a suppressed one.
inline std::vector<std::string> Summaries(const std::string& out) {
  std::vector<std::string> summaries;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto action = nlohmann::json::parse(line);
    std::string summary = action["at"].get<std::string>() + " " +
                          action["kind"].get<std::string>() + " " +
                          action["profile"].get<std::string>() + " " +
                          action["journey"].get<std::string>() + "." +
                          action["step"].get<std::string>();
    if (action.contains("reason")) {
      summary += " " + action["reason"].get<std::string>();
    }
    summaries.push_back(summary);
  }
  return summaries;
}

}  // namespace parcours::testing
