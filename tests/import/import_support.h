// Runs an import in memory: a mapping and CSV text in, events out.
#pragma once

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "tools/import/importer.h"

namespace parcours::import::testing {

struct ImportResult {
  bool finished = false;
  std::string events;
  std::string dead_letters;
  std::string error;
  ImportCounts counts;
  std::string summary;
};

inline ImportResult Import(const std::string& mapping_text,
                           const std::string& csv) {
  std::string error;
  auto mapping = LoadMapping(mapping_text, &error);
  INFO(error);
  REQUIRE(mapping);

  std::istringstream input(csv);
  std::ostringstream events;
  std::ostringstream dead_letters;
  Importer importer(std::move(*mapping), events, &dead_letters);
  ImportResult result;
  result.finished = importer.Run(input);
  result.events = events.str();
  result.dead_letters = dead_letters.str();
  result.error = importer.error();
  result.counts = importer.counts();
  result.summary = importer.Summary();
  return result;
}

// The mapping's error message, or "" when it loads.
inline std::string MappingError(const std::string& mapping_text) {
  std::string error;
  auto mapping = LoadMapping(mapping_text, &error);
  return mapping ? "" : error;
}

}  // namespace parcours::import::testing
