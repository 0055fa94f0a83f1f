// Runs a program over batches of events in both engines, as separate
// `parcours run` processes on one state file per engine, for the scenario
// tests whose results must survive a restart between batches.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"

namespace parcours::testing {

// Runs `program` over each of `batches` in turn, on one state file per
// engine, the last run going on until `until`; returns the actions as
// "at profile template" lines, which must be equal in both engines.
inline std::vector<std::string> RunBatchesInBothEngines(
    const std::string& name, const std::string& program,
    const std::vector<std::string>& batches, const std::string& until) {
  auto scratch = ScratchDir(name);
  WriteText(scratch / "program.journey", program);
  std::string outputs[2];
  const char* engines[] = {"jit", "interp"};
  for (int i = 0; i < 2; ++i) {
    for (size_t b = 0; b < batches.size(); ++b) {
      auto events = scratch / ("batch" + std::to_string(b) + ".jsonl");
      WriteText(events, batches[b]);
      std::vector<std::string> args = {
          "run",
          (scratch / "program.journey").string(),
          "--events",
          events.string(),
          "--state",
          (scratch / (std::string(engines[i]) + ".db")).string(),
          "--out",
          "-",
          "--engine",
          engines[i],
          "--max-clock-jump",
          "400d"};
      if (b + 1 == batches.size()) {
        args.push_back("--until");
        args.push_back(until);
      }
      auto result = RunParcours(args, scratch);
      INFO(result.err);
      REQUIRE(result.exit_code == 0);
      outputs[i] += result.out;
    }
  }
  CHECK(outputs[0] == outputs[1]);

  std::vector<std::string> sends;
  std::istringstream lines(outputs[0]);
  for (std::string line; std::getline(lines, line);) {
    auto action = nlohmann::json::parse(line);
    sends.push_back(action["at"].get<std::string>() + " " +
                    action["profile"].get<std::string>() + " " +
                    action["template"].get<std::string>());
  }
  return sends;
}

}  // namespace parcours::testing
