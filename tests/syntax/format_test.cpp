// The formatter: each layout rule as a table of input and exact output, and
// on every `.journey` file of the repository, that formatting is
// idempotent, keeps the AST and keeps every comment in order.
#include "compiler/syntax/format.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "compiler/syntax/parser.h"
#include "tests/support/files.h"

namespace parcours::syntax {
namespace {

namespace fs = std::filesystem;

// The layout of `text`, or nullopt when it does not parse.
std::optional<std::string> Fmt(const std::string& text) {
  diag::SourceManager sources;
  diag::DiagnosticEngine diagnostics;
  int32_t file = sources.Add("test.journey", text);
  std::optional<std::string> laid = LayoutSource(sources, file, diagnostics);
  // `FormatSource` returns its input when the layout would change the
  // program; no test may pass because of that safety net.
  std::optional<std::string> formatted =
      FormatSource(sources, file, diagnostics);
  CHECK(laid == formatted);
  return laid;
}

std::optional<std::string> AstOf(const std::string& text) {
  diag::SourceManager sources;
  diag::DiagnosticEngine diagnostics;
  int32_t file = sources.Add("test.journey", text);
  std::optional<Module> module = ParseFile(sources, file, diagnostics);
  if (!module) return std::nullopt;
  return Dump(*module, /*spans=*/false);
}

std::string TrimLineEnds(const std::string& text) {
  std::string out;
  std::string line;
  for (char c : text + "\n") {
    if (c != '\n') {
      line += c;
      continue;
    }
    line.erase(line.find_last_not_of(" \t\r") + 1);
    out += line + "\n";
    line.clear();
  }
  out.pop_back();
  return out;
}

// The comments of `text` in order, found by a scanner of our own that
// knows strings, `//` and `/* */`; trailing spaces of their lines dropped,
// as the formatter drops them.
std::vector<std::string> CommentsOf(const std::string& text) {
  std::vector<std::string> comments;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') {
      for (++i; i < text.size() && text[i] != '"' && text[i] != '\n'; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (text.compare(i, 2, "//") == 0) {
      size_t end = text.find('\n', i);
      if (end == std::string::npos) end = text.size();
      comments.push_back(TrimLineEnds(text.substr(i, end - i)));
      i = end;
    } else if (text.compare(i, 2, "/*") == 0) {
      size_t end = text.find("*/", i + 2);
      end = end == std::string::npos ? text.size() : end + 2;
      comments.push_back(TrimLineEnds(text.substr(i, end - i)));
      i = end - 1;
    }
  }
  return comments;
}

// Every `.journey` file of the repository, build and hidden folders left
// out.
std::vector<fs::path> RepositoryJourneys() {
  std::vector<fs::path> files;
  fs::path root = testing::SourceDir();
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (it->is_directory() && (name.rfind("build", 0) == 0 || name[0] == '.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".journey") {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Layout-only damage: no indentation, trailing blanks, CRLF line ends and
// doubled blank lines. Block comments are left alone (their inside is
// verbatim), so files with one are not damaged.
std::string Damage(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    line.erase(0, line.find_first_not_of(" \t"));
    out += line.empty() ? " \r\n\t\r\n" : line + " \t\r\n";
    start = end + 1;
  }
  return out;
}

TEST_CASE("formatting every repository .journey file keeps its meaning") {
  int formatted = 0;
  for (const fs::path& path : RepositoryJourneys()) {
    std::string text = testing::ReadText(path);
    // Only files that parse are formatted. Those that do not are `fail_`
    // cases of the tests, or fuzzing inputs: the property is about the
    // others.
    std::optional<std::string> once = Fmt(text);
    if (!once) continue;
    ++formatted;
    INFO(path.string());

    std::optional<std::string> twice = Fmt(*once);
    REQUIRE(twice);
    CHECK(*twice == *once);
    CHECK(AstOf(*once) == AstOf(text));

    std::vector<std::string> comments = CommentsOf(text);
    CHECK(CommentsOf(*once) == comments);
    size_t at = 0;
    for (const std::string& comment : comments) {
      at = once->find(comment, at);
      CHECK(at != std::string::npos);
      if (at == std::string::npos) break;
      at += comment.size();
    }

    CHECK(once->find(" \n") == std::string::npos);
    CHECK((once->empty() || once->back() == '\n'));
    CHECK(once->find("\n\n\n") == std::string::npos);
    if (text.find("/*") == std::string::npos) {
      CHECK(Fmt(Damage(text)) == once);
    }
  }
  CHECK(formatted >= 5);
}

TEST_CASE("examples and stdlib and passing golden inputs are formatted") {
  // `parcours fmt examples stdlib tests/sema/golden/ok_*.journey ...`
  // fixes this.
  for (const fs::path& path : RepositoryJourneys()) {
    std::string relative = fs::relative(path, testing::SourceDir()).string();
    std::string name = path.filename().string();
    bool golden = relative.rfind("tests/sema/golden/", 0) == 0 &&
                  (name.rfind("ok_", 0) == 0 || name.rfind("warn_", 0) == 0);
    bool shipped = relative.rfind("examples/", 0) == 0 ||
                   relative.rfind("stdlib/", 0) == 0;
    if (!shipped && !golden) continue;
    INFO(relative);
    std::string text = testing::ReadText(path);
    CHECK(Fmt(text) == text);
  }
}

struct LayoutCase {
  const char* rule;
  const char* input;
  const char* expected;
};

const LayoutCase kLayoutCases[] = {
    {"spaces around operators, after commas and colons, none inside "
     "brackets",
     "segment  s=( count( E )>=2 )and sum(E.total)>10 EUR\n"
     "segment t = -1<2 and not(false) or 3 - -2 * 4 / 1 >= 0\n",
     "segment s = (count(E) >= 2) and sum(E.total) > 10 EUR\n"
     "segment t = -1 < 2 and not (false) or 3 - -2 * 4 / 1 >= 0\n"},
    {"two spaces per level, tabs converted",
     "profile {\n"
     "\temail : string ?\n"
     "      score:int=1\n"
     "}\n",
     "profile {\n"
     "  email: string?\n"
     "  score: int = 1\n"
     "}\n"},
    {"a blank line between top-level declarations, before their comments",
     "// The header.\n"
     "\n"
     "\n"
     "module shop\n"
     "import a.b\n"
     "import c.d\n"
     "event E { total: money }\n"
     "// About s.\n"
     "segment s = true\n"
     "segment t = false\n",
     "// The header.\n"
     "\n"
     "module shop\n"
     "\n"
     "import a.b\n"
     "import c.d\n"
     "\n"
     "event E { total: money }\n"
     "\n"
     "// About s.\n"
     "segment s = true\n"
     "segment t = false\n"},
    {"one-line declarations of one kind stay together or apart as written",
     "event A { x: int }\n"
     "event B { x: int }\n"
     "\n"
     "event C { x: int }\n"
     "event D {\n"
     "  x: int\n"
     "}\n"
     "event F { x: int }\n"
     "segment s = true\n",
     "event A { x: int }\n"
     "event B { x: int }\n"
     "\n"
     "event C { x: int }\n"
     "\n"
     "event D {\n"
     "  x: int\n"
     "}\n"
     "\n"
     "event F { x: int }\n"
     "\n"
     "segment s = true\n"},
    {"at most one blank line inside blocks, none at their start or end",
     "journey j {\n"
     "\n"
     "  on E\n"
     "\n"
     "\n"
     "\n"
     "  wait 1h\n"
     "  send email \"a\"\n"
     "\n"
     "}\n",
     "journey j {\n"
     "  on E\n"
     "\n"
     "  wait 1h\n"
     "  send email \"a\"\n"
     "}\n"},
    {"comments at the ends of lines are aligned, others indented",
     "journey j {   // the journey\n"
     "      // the trigger\n"
     "  on E as e // entry\n"
     "  wait 10d // a wait\n"
     "\n"
     "  wait 1d     // alone\n"
     "/* kept\n"
     "     as written */\n"
     "  send email \"a\" /* inline */\n"
     "}\n"
     "// the end\n",
     "journey j {  // the journey\n"
     "  // the trigger\n"
     "  on E as e  // entry\n"
     "  wait 10d   // a wait\n"
     "\n"
     "  wait 1d  // alone\n"
     "  /* kept\n"
     "     as written */\n"
     "  send email \"a\" /* inline */\n"
     "}\n"
     "// the end\n"},
    {"nested ifs with else: `} else {` on one line, `}` on its own",
     "journey j {\n"
     "  on E\n"
     "  if a {\n"
     "    if b {\n"
     "    send email \"x\" }\n"
     "    else\n"
     "    {\n"
     "      exit\n"
     "    }\n"
     "  }\n"
     "  else if c {\n"
     "    send sms \"y\"\n"
     "  } // not c\n"
     "  else {\n"
     "    exit\n"
     "  }\n"
     "}\n",
     "journey j {\n"
     "  on E\n"
     "  if a {\n"
     "    if b {\n"
     "      send email \"x\"\n"
     "    } else {\n"
     "      exit\n"
     "    }\n"
     "  } else if c {\n"
     "    send sms \"y\"\n"
     "  } else {  // not c\n"
     "    exit\n"
     "  }\n"
     "}\n"},
    {"a comment of its own line between `}` and `else` stays there",
     "journey j {\n"
     "  if a {\n"
     "    exit\n"
     "  }\n"
     "  // otherwise\n"
     "  else {\n"
     "    exit\n"
     "  }\n"
     "}\n",
     "journey j {\n"
     "  if a {\n"
     "    exit\n"
     "  }\n"
     "  // otherwise\n"
     "  else {\n"
     "    exit\n"
     "  }\n"
     "}\n"},
    {"short lists in braces stay on one line; steps do not",
     "event E {total:money,items:int}\n"
     "journey j { on E send email \"t\" }\n"
     "journey k {\n"
     "  on E\n"
     "  if true { exit } else { send sms \"z\" }\n"
     "}\n",
     "event E { total: money, items: int }\n"
     "\n"
     "journey j {\n"
     "  on E\n"
     "  send email \"t\"\n"
     "}\n"
     "\n"
     "journey k {\n"
     "  on E\n"
     "  if true { exit } else { send sms \"z\" }\n"
     "}\n"},
    {"a one-line block longer than 80 columns is expanded",
     "event OrderPlaced { order_id: string, total: money, items: int, "
     "coupon: string?, note: string }\n",
     "event OrderPlaced {\n"
     "  order_id: string,\n"
     "  total: money,\n"
     "  items: int,\n"
     "  coupon: string?,\n"
     "  note: string\n"
     "}\n"},
    {"`{` joins the line of what opens it, with a comment moved after it",
     "journey j // the journey\n"
     "{\n"
     "  on E\n"
     "}\n",
     "journey j {  // the journey\n"
     "  on E\n"
     "}\n"},
    {"a line that continues an item is indented two more; `and` under a "
     "clause of its own line one more",
     "segment at_risk =\n"
     "count(E) < 2\n"
     "        and days_since(last(E)) > 45\n"
     "journey j {\n"
     "  on E as e\n"
     "where e.total > 1 EUR\n"
     "  and true\n"
     "  wait 1h\n"
     "}\n",
     "segment at_risk =\n"
     "  count(E) < 2\n"
     "  and days_since(last(E)) > 45\n"
     "\n"
     "journey j {\n"
     "  on E as e\n"
     "    where e.total > 1 EUR\n"
     "      and true\n"
     "  wait 1h\n"
     "}\n"},
    {"brackets that span lines indent their inside",
     "segment s = count(\n"
     "E\n"
     ") > 1 and sum(\n"
     "      E.total,\n"
     "E.total) > 1 EUR\n",
     "segment s = count(\n"
     "  E\n"
     ") > 1 and sum(\n"
     "  E.total,\n"
     "  E.total) > 1 EUR\n"},
    {"steps on one line are split; `} offer: 50% {` stays together",
     "journey j {\n"
     "  on E wait 1h send email \"x\"\n"
     "  split control: 50% {\n"
     "    send email \"a\"\n"
     "  }\n"
     "  offer: 50% {\n"
     "    send email \"b\" }\n"
     "}\n",
     "journey j {\n"
     "  on E\n"
     "  wait 1h\n"
     "  send email \"x\"\n"
     "  split control: 50% {\n"
     "    send email \"a\"\n"
     "  } offer: 50% {\n"
     "    send email \"b\"\n"
     "  }\n"
     "}\n"},
    {"type arguments, records, lists and time literals",
     "event C { items : list < int > , n: int }\n"
     "event D { items: list<int>? }\n"
     "segment s = sum(C.n) < 2 or sum(C.n) > 3\n"
     "test \"t\" {\n"
     "  at 2025-03-01T10:00:00Z C {items:[ 1,2 ],n:3}\n"
     "}\n",
     "event C { items: list<int>, n: int }\n"
     "event D { items: list<int>? }\n"
     "\n"
     "segment s = sum(C.n) < 2 or sum(C.n) > 3\n"
     "\n"
     "test \"t\" {\n"
     "  at 2025-03-01T10:00:00Z C { items: [1, 2], n: 3 }\n"
     "}\n"},
    {"a block after a condition written over several lines lines up "
     "under its step",
     "journey j {\n"
     "  on E\n"
     "  if count(E) > 1\n"
     "    and count(E) < 9 {\n"
     "        send email \"a\"\n"
     "        } else {\n"
     "    send email \"b\" }\n"
     "  wait for E\n"
     "    within 3d {\n"
     "    send email \"c\"\n"
     "  }\n"
     "}\n",
     "journey j {\n"
     "  on E\n"
     "  if count(E) > 1\n"
     "    and count(E) < 9 {\n"
     "    send email \"a\"\n"
     "  } else {\n"
     "    send email \"b\"\n"
     "  }\n"
     "  wait for E\n"
     "    within 3d {\n"
     "    send email \"c\"\n"
     "  }\n"
     "}\n"},
    {"trailing whitespace removed, exactly one newline at the end",
     "segment s = true   \n\n\n", "segment s = true\n"},
    {"a missing final newline is added; CRLF becomes LF",
     "module m\r\nsegment s = true", "module m\n\nsegment s = true\n"},
    {"an empty file stays empty", "", ""},
};

TEST_CASE("layout rules, input against exact output") {
  for (const LayoutCase& test : kLayoutCases) {
    SECTION(test.rule) {
      std::optional<std::string> once = Fmt(test.input);
      REQUIRE(once);
      CHECK(*once == test.expected);
      CHECK(Fmt(*once) == once);
      CHECK(AstOf(*once) == AstOf(test.input));
    }
  }
}

TEST_CASE("a file that does not parse is not formatted") {
  diag::SourceManager sources;
  diag::DiagnosticEngine diagnostics;
  int32_t file = sources.Add("bad.journey", "journey j {\n  send email\n}\n");
  CHECK_FALSE(FormatSource(sources, file, diagnostics));
  REQUIRE(diagnostics.ErrorCount() == 1);
  CHECK(diagnostics.Sorted()[0].kind == diag::Kind::SyntaxError);
}

TEST_CASE("the short diff shows the first changed region") {
  CHECK(ShortDiff("a\n", "a\n").empty());
  CHECK(ShortDiff("a\nb\nc\n", "a\n\nb\nc\n") ==
        "@@ -1,3 +1,4 @@\n"
        " a\n"
        "+\n"
        " b\n"
        " c\n");
  CHECK(ShortDiff("a\nb  \nc\nd\ne\nf\n", "a\nb\nc\nd\ne\nf\n") ==
        "@@ -1,4 +1,4 @@\n"
        " a\n"
        "-b  \n"
        "+b\n"
        " c\n"
        " d\n");
  CHECK(ShortDiff("x\n1\n2\n3\n4\ny\n", "X\n1\n2\n3\n4\nY\n") ==
        "@@ -1,3 +1,3 @@\n"
        "-x\n"
        "+X\n"
        " 1\n"
        " 2\n"
        "(more changes follow)\n");
  CHECK(ShortDiff("a", "a\n") ==
        "(only the line ends at the end of the file differ)\n");
}

// A `\r` or a byte order mark cannot be seen in a terminal: a diff of
// `-module m` and `+module m` would leave the reader guessing.
TEST_CASE("the short diff names line ends and a byte order mark") {
  CHECK(ShortDiff("a\r\nb\r\n", "a\nb\n") ==
        "(the file's lines end in CRLF; fmt ends them in LF)\n");
  CHECK(ShortDiff("\xEF\xBB\xBF"
                  "a\n",
                  "a\n") ==
        "(the file starts with a byte order mark; fmt removes it)\n");
  CHECK(ShortDiff("\xEF\xBB\xBF"
                  "a\r\nb  \r\nc\r\n",
                  "a\nb\nc\n") ==
        "(the file starts with a byte order mark; fmt removes it)\n"
        "(the file's lines end in CRLF; fmt ends them in LF)\n"
        "@@ -1,3 +1,3 @@\n"
        " a\n"
        "-b  \n"
        "+b\n"
        " c\n");
}

}  // namespace
}  // namespace parcours::syntax
