// Small file helpers shared by the test programs.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace parcours::testing {

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void WriteText(const std::filesystem::path& path,
                      const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The files under `folder` whose name ends with `extension`, sorted.
inline std::vector<std::filesystem::path> FilesIn(
    const std::filesystem::path& folder, const std::string& extension) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Golden files are rewritten instead of compared when this is set, e.g.
// `PARCOURS_UPDATE_GOLDEN=1 ctest`; review the diff before committing.
inline bool UpdatingGoldens() {
  const char* value = std::getenv("PARCOURS_UPDATE_GOLDEN");
  return value != nullptr && std::string(value) == "1";
}

inline std::filesystem::path SourceDir() { return PARCOURS_SOURCE_DIR; }

// The lines of a text file, without their line ends.
inline std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The UCI online retail example that many end-to-end tests run.
inline const std::string kUciCampaign =
    (SourceDir() / "examples/uci-online-retail/campaign").string();
inline const std::string kUciSmallEvents =
    (SourceDir() / "examples/uci-online-retail/events-small.jsonl").string();
inline const std::string kUciAllEvents =
    (SourceDir() / "examples/uci-online-retail/events.jsonl").string();

}  // namespace parcours::testing
