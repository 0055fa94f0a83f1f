// The diagnostics registry promises one emit site per kind, so that a code
// names one check and its documentation can say exactly what went wrong.
//
// The convention the scan below enforces: a site is one call
// `Report(Kind::X, ...)` or `Error(Kind::X, ...)` (with or without
// `diag::`) in the compiler's sources. A helper that makes one check for
// several callers (`Claim` for duplicates, `Expect` for a value of the
// wrong type, `CheckChannelName`) holds the only call of its kind and so
// counts as one site. The kind is written at the call, never passed in a
// variable: a registered kind with no such call fails too, so a kind
// routed through a variable cannot hide a second site.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/diag/diagnostics.h"
#include "tests/support/files.h"

namespace parcours {
namespace {

struct Site {
  std::string kind;
  int line = 0;
};

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// `text` with comments and string and character literals turned into
// spaces, newlines kept, so that offsets and line numbers stay the same.
std::string CodeOnly(const std::string& text) {
  std::string out = text;
  auto blank = [&](size_t from, size_t to) {
    for (size_t k = from; k < to && k < out.size(); ++k) {
      if (out[k] != '\n') out[k] = ' ';
    }
  };
  // The end of a quoted literal opened at `open` by `quote`.
  auto literal_end = [&](size_t open, char quote) {
    size_t k = open + 1;
    while (k < text.size() && text[k] != quote && text[k] != '\n') {
      k += text[k] == '\\' ? 2 : 1;
    }
    return std::min(k + 1, text.size());
  };
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    bool after_word = i > 0 && IsWordChar(text[i - 1]);
    size_t end = i + 1;
    if (c == '/' && next == '/') {
      end = std::min(text.find('\n', i), text.size());
    } else if (c == '/' && next == '*') {
      size_t close = text.find("*/", i + 2);
      end = close == std::string::npos ? text.size() : close + 2;
    } else if (c == 'R' && next == '"' && !after_word) {
      size_t paren = text.find('(', i + 2);
      std::string close = ")" + text.substr(i + 2, paren - (i + 2)) + "\"";
      size_t at = paren == std::string::npos ? paren : text.find(close, paren);
      end = at == std::string::npos ? text.size() : at + close.size();
    } else if (c == '"') {
      end = literal_end(i, '"');
    } else if (c == '\'' && !after_word) {
      // After a digit, `'` separates digits (`100'000`).
      end = literal_end(i, '\'');
    } else {
      ++i;
      continue;
    }
    blank(i, end);
    i = end;
  }
  return out;
}

// The diagnostic kinds reported in `source`, with the line of each call.
std::vector<Site> EmitSites(const std::string& source) {
  static const std::regex kCall(
      R"(\b(?:Report|Error)\s*\(\s*(?:diag\s*::\s*)?Kind\s*::\s*(\w+))");
  std::string code = CodeOnly(source);
  std::vector<Site> sites;
  for (std::sregex_iterator it(code.begin(), code.end(), kCall), end; it != end;
       ++it) {
    auto offset = static_cast<size_t>(it->position(0));
    int line = 1 + static_cast<int>(
                       std::count(code.begin(), code.begin() + offset, '\n'));
    sites.push_back({(*it)[1], line});
  }
  return sites;
}

TEST_CASE("the emit-site scan finds calls however they are written") {
  struct Case {
    const char* source;
    std::vector<std::string> kinds;
  };
  const Case kCases[] = {
      {"Error(Kind::A, span, \"x\");", {"A"}},
      {"diagnostics_.Report(\n    diag::Kind::B,\n    span);", {"B"}},
      {"Error (\n  Kind :: C , span);", {"C"}},
      {"Report(Kind::D, s); Error(Kind::E, s);", {"D", "E"}},
      {"// Error(Kind::F, span)\n", {}},
      {"/* Report(Kind::G,\n  span) */", {}},
      {"Quote(\"Error(Kind::H\");", {}},
      {"x = R\"(Report(Kind::I)\"; y = 1'000; Error(Kind::J, s);", {"J"}},
      {"c = '\"'; Error(Kind::K, s);", {"K"}},
      {"syntaxError(Kind::L); ErrorCollector(Kind::M);", {}},
      {"diagnostics_.Report(kind, span, message);", {}},
  };
  for (const Case& test : kCases) {
    INFO(test.source);
    std::vector<std::string> found;
    for (const Site& site : EmitSites(test.source)) found.push_back(site.kind);
    CHECK(found == test.kinds);
  }
}

// Kinds the diagnostic engine adds itself rather than a phase reporting.
const std::map<std::string, std::string> kEngineKinds = {
    {"TooManyErrors", "compiler/diag/diagnostics.cpp"},
};

// The kind names of codes.def, in order.
std::vector<std::string> RegisteredNames() {
  std::string text =
      testing::ReadText(testing::SourceDir() / "compiler/diag/codes.def");
  std::istringstream lines(CodeOnly(text));
  static const std::regex kEntry(R"(^DIAGNOSTIC\(\s*(\w+)\s*,)");
  std::vector<std::string> names;
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, match, kEntry)) names.push_back(match[1]);
  }
  return names;
}

TEST_CASE("every diagnostic kind has exactly one emit site") {
  std::vector<std::string> names = RegisteredNames();
  REQUIRE(names.size() == diag::AllKinds().size());

  auto root = testing::SourceDir();
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(root / "compiler")) {
    auto extension = entry.path().extension();
    if (extension == ".cpp" || extension == ".h") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() > 10);

  std::map<std::string, std::vector<std::string>> sites;
  for (const auto& path : files) {
    auto relative = std::filesystem::relative(path, root).generic_string();
    for (const Site& site : EmitSites(testing::ReadText(path))) {
      sites[site.kind].push_back(relative + ":" + std::to_string(site.line));
    }
  }

  std::set<std::string> registered(names.begin(), names.end());
  for (const auto& [kind, where] : sites) {
    INFO("Kind::" << kind << " at " << where.front());
    CHECK(registered.count(kind) > 0);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const std::vector<std::string>& where = sites[name];
    std::string list;
    for (const std::string& site : where) list += "\n  " + site;
    INFO(diag::AllKinds()[i].code << " Kind::" << name << " is reported at "
                                  << where.size() << " sites" << list);
    auto engine = kEngineKinds.find(name);
    if (engine != kEngineKinds.end()) {
      CHECK(where.empty());
      std::string text = testing::ReadText(root / engine->second);
      CHECK(text.find("Kind::" + name) != std::string::npos);
      continue;
    }
    CHECK(where.size() == 1);
  }
}

}  // namespace
}  // namespace parcours
