// Golden tests of diagnostics: each tests/sema/golden/<case>.journey is
// checked, and its diagnostics, rendered as text, must equal
// <case>.expected. `fail_` cases must report an error; the others must not.
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "compiler/lower/lower.h"
#include "compiler/sema/sema.h"
#include "compiler/syntax/parser.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

std::string CheckAndRender(const std::filesystem::path& path, bool* errors) {
  diag::SourceManager sources;
  diag::DiagnosticEngine engine;
  int32_t file = sources.Add(path.filename().string(), testing::ReadText(path));
  auto module = syntax::ParseFile(sources, file, engine);
  if (module) {
    std::vector<syntax::Module> modules;
    modules.push_back(std::move(*module));
    sema::CheckedProgram checked = sema::Check(std::move(modules), engine);
    // `fail_run_` cases also ask whether the engines can run the program.
    bool runnable_case = path.filename().string().rfind("fail_run_", 0) == 0;
    if (runnable_case && !engine.HasErrors()) {
      lower::CheckRunnable(checked, engine, /*with_tests=*/true);
    }
  }
  *errors = engine.HasErrors();

  std::string text;
  for (const auto& diagnostic : engine.Sorted()) {
    text += diag::RenderText(diagnostic, sources);
  }
  return text;
}

TEST_CASE("diagnostics match their golden files") {
  auto folder = testing::SourceDir() / "tests/sema/golden";
  auto cases = testing::FilesIn(folder, ".journey");
  REQUIRE(cases.size() >= 10);

  for (const auto& path : cases) {
    SECTION(path.filename().string()) {
      bool errors = false;
      std::string actual = CheckAndRender(path, &errors);
      auto expected_path = path;
      expected_path.replace_extension(".expected");
      if (testing::UpdatingGoldens()) testing::WriteText(expected_path, actual);

      bool must_fail = path.filename().string().rfind("fail_", 0) == 0;
      CHECK(errors == must_fail);
      CHECK(actual == testing::ReadText(expected_path));
    }
  }
}

// Codes whose input cannot be a small file; each is tested where named.
const std::map<std::string, std::string> kGeneratedCases = {
    {"E0004", "tests/syntax/parser_test.cpp: an oversized file"},
};

TEST_CASE("every diagnostic code has a golden test") {
  std::set<std::string> covered;
  std::regex code(R"((?:error|warning)\[([EW][0-9]{4})\])");
  auto folder = testing::SourceDir() / "tests/sema/golden";
  for (const auto& path : testing::FilesIn(folder, ".expected")) {
    std::string text = testing::ReadText(path);
    for (std::sregex_iterator it(text.begin(), text.end(), code), end;
         it != end; ++it) {
      covered.insert((*it)[1]);
    }
  }
  for (const auto& kind : diag::AllKinds()) {
    INFO("code " << kind.code << " (" << kind.summary << ")");
    CHECK(
        (covered.count(kind.code) > 0 || kGeneratedCases.count(kind.code) > 0));
  }
}

}  // namespace
}  // namespace parcours
