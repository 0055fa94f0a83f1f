// The complete mappings printed in docs/import.md load, and are the
// shipped example files, so the guide cannot drift from what runs.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/import/import_support.h"
#include "tests/support/files.h"

namespace parcours::import {
namespace {

using Json = nlohmann::ordered_json;

// The ```json blocks of `markdown` that hold a whole object.
std::vector<std::string> WholeJsonBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  const std::string open = "```json\n{\n";
  for (size_t at = markdown.find(open); at != std::string::npos;
       at = markdown.find(open, at + 1)) {
    size_t start = at + open.size() - 2;
    size_t end = markdown.find("```", start);
    REQUIRE(end != std::string::npos);
    blocks.push_back(markdown.substr(start, end - start));
  }
  return blocks;
}

Json WithoutDescription(const std::string& path) {
  Json mapping = Json::parse(::parcours::testing::ReadText(path));
  mapping.erase("description");
  return mapping;
}

TEST_CASE("docs/import.md: whole mappings load and match the examples") {
  auto source = ::parcours::testing::SourceDir();
  auto blocks =
      WholeJsonBlocks(::parcours::testing::ReadText(source / "docs/import.md"));
  REQUIRE(blocks.size() == 2);
  for (const std::string& block : blocks) {
    INFO(block);
    CHECK(testing::MappingError(block) == "");
  }
  CHECK(Json::parse(blocks[0]) ==
        WithoutDescription(source / "examples/uci-online-retail/mapping.json"));
  CHECK(Json::parse(blocks[1]) ==
        WithoutDescription(source /
                           "examples/taobao-user-behavior/mapping.json"));
}

TEST_CASE("every shipped mapping loads") {
  auto examples = ::parcours::testing::SourceDir() / "examples";
  int found = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(examples)) {
    std::string name = entry.path().filename().string();
    if (name != "mapping.json" && !name.ends_with("-mapping.json")) continue;
    INFO(entry.path().string());
    CHECK(testing::MappingError(::parcours::testing::ReadText(entry.path())) ==
          "");
    ++found;
  }
  CHECK(found == 7);
}

}  // namespace
}  // namespace parcours::import
