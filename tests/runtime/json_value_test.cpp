// The two JSON readers behind `ParseJson` agree: whenever the fast one
// (simdjson) accepts a text, the precise one (nlohmann) accepts it too and
// builds the same tree, numbers as written; whenever the fast one is not
// sure, `ParseJson` gives the precise one's answer and message.
#include "runtime/ingest/json_value.h"

#include <simdjson.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/json_trees.h"

namespace parcours::testing {
namespace {

using ingest::JsonValue;

// Checks the agreement on one text; returns whether the fast reader took
// it.
bool CheckAgreement(const std::string& text) {
  INFO("text: " << text);
  JsonValue precise;
  std::string error = ingest::ParseJsonPrecisely(text, precise);
  JsonValue fast;
  bool fast_took_it = ingest::ParseJsonFast(text, fast);
  if (fast_took_it) {
    CHECK(error.empty());
    CHECK(SameTree(fast, precise));
  } else {
    CHECK(fast.kind == JsonValue::Kind::Null);
  }
  JsonValue combined;
  CHECK(ingest::ParseJson(text, combined) == error);
  if (error.empty()) CHECK(SameTree(combined, precise));
  return fast_took_it;
}

const std::vector<std::string> kEventLines = {
    R"({"type":"track","event":"Order Completed","userId":"p1",)"
    R"("messageId":"m-1","timestamp":"2025-03-01T10:00:00Z",)"
    R"("properties":{"order_id":"o1","total":129.90,"currency":"EUR",)"
    R"("items":[{"sku":"a","qty":2}],"gift":false,"note":null}})",
    R"({"type":"identify","userId":"p1","messageId":"m-2",)"
    R"("timestamp":"2025-03-01T09:00:00Z","traits":{"email":)"
    R"("p1@example.com","timezone":"Europe/Paris","consent":)"
    R"({"email":true,"sms":false}}})",
};

TEST_CASE("the fast reader takes ordinary event lines, with their trees") {
  for (const std::string& line : kEventLines) CHECK(CheckAgreement(line));

  JsonValue tree;
  REQUIRE(ingest::ParseJsonFast(kEventLines[0], tree));
  const JsonValue* total = tree.Find("properties")->Find("total");
  REQUIRE(total != nullptr);
  CHECK(total->kind == JsonValue::Kind::Number);
  CHECK(total->text == "129.90");  // as written, not 129.9
}

TEST_CASE("a member is found by its whole key, the last of a repeated one") {
  JsonValue tree;
  REQUIRE(ingest::ParseJsonPrecisely(
              R"({"":0,"total":1,"totals":2,"xotal":3,"totaL":4,"t":5,)"
              R"("total":6,"caf\u00e9":7})",
              tree)
              .empty());
  auto number = [&](std::string_view key) -> std::string {
    const JsonValue* value = tree.Find(key);
    return value == nullptr ? "none" : value->text;
  };
  CHECK(number("total") == "6");  // the last of two
  CHECK(number("totals") == "2");
  CHECK(number("xotal") == "3");
  CHECK(number("totaL") == "4");
  CHECK(number("t") == "5");
  CHECK(number("") == "0");
  CHECK(number("caf\xc3\xa9") == "7");
  CHECK(number("tota") == "none");
  CHECK(number("Total") == "none");
  CHECK(number("totalX") == "none");
  JsonValue array;
  REQUIRE(ingest::ParseJsonPrecisely(R"([{"total":1}])", array).empty());
  CHECK(array.Find("total") == nullptr);  // only an object has members
}

TEST_CASE("a tree read into again holds only the new text") {
  // The fast reader reuses the nodes of the tree it is given; nothing of
  // the earlier text may survive: not a member, an item, a kind or a text.
  const std::vector<std::string> texts = {
      kEventLines[0],
      R"({"type":"track","properties":[1,{"a":true}]})",
      R"([{"x":"y"},null,[2,3],"s"])",
      kEventLines[1],
      R"({"a":{"b":{"c":[]}},"d":false})",
      R"({})",
      kEventLines[0],
      R"({"type":1,"event":null})",
  };
  JsonValue reused;
  for (size_t round = 0; round < 3; ++round) {
    for (const std::string& text : texts) {
      INFO("text: " << text);
      JsonValue fresh;
      REQUIRE(ingest::ParseJsonPrecisely(text, fresh).empty());
      REQUIRE(ingest::ParseJson(text, reused).empty());
      CHECK(SameTree(reused, fresh));
    }
  }
  // A text the fast reader gives up on leaves a whole tree all the same.
  REQUIRE(ingest::ParseJson(kEventLines[0], reused).empty());
  CHECK_FALSE(ingest::ParseJson("{\"a\":", reused).empty());
  CHECK(ingest::ParseJson("7", reused).empty());
  CHECK(reused.kind == JsonValue::Kind::Number);
  CHECK(reused.members.empty());
}

TEST_CASE("a tree read into line after line matches a new tree each time") {
  // The fast reader keeps the nodes a line no longer needs and hands them
  // out again for later lines: whatever the order of shapes, each tree
  // must be exactly the one a new tree would get.
  std::vector<std::string> shapes = kEventLines;
  shapes.push_back(R"({"type":"identify","userId":"p2","traits":{}})");
  shapes.push_back(R"({"a":[{"b":[1,2,{"c":"d"}]},[],"e"],"f":{"g":null}})");
  shapes.push_back(R"([[1,[2,[3]]],{"x":{"y":{"z":[true]}}}])");
  shapes.push_back(R"({"properties":"flat","traits":[1,2,3,4,5,6,7,8,9]})");
  std::string wide = "{";
  for (int i = 0; i < 150; ++i) {
    wide += (i > 0 ? ",\"k" : "\"k") + std::to_string(i) + "\":[" +
            std::to_string(i) + ",{\"v\":\"" + std::to_string(i) + "\"}]";
  }
  shapes.push_back(wide + "}");

  std::mt19937_64 random(20261206);
  JsonValue reused;
  for (int round = 0; round < 2000; ++round) {
    const std::string& text = shapes[random() % shapes.size()];
    INFO("round " << round << ", text: " << text);
    JsonValue fresh;
    REQUIRE(ingest::ParseJsonPrecisely(text, fresh).empty());
    REQUIRE(ingest::ParseJsonFast(text, reused));
    REQUIRE(SameTree(reused, fresh));
  }
}

TEST_CASE("the readers agree on awkward but valid JSON") {
  const std::vector<std::string> texts = {
      R"({})",
      R"([])",
      R"({"a":{}})",
      R"([[[[]]]])",
      " \t\r\n{ \"a\" : 1 } \n",
      R"({"a":1,"a":2})",
      R"({"":0})",
      R"({"\u00e9\ud83d\ude00":"\"\\\/\b\f\n\r\t"})",
      R"({"n":[0,-0,1,-1,1.5,-1.50,1e5,1E5,1e-5,-1.0e+3,0.000001]})",
      R"({"big":[9223372036854775807,9223372036854775808,)"
      R"(18446744073709551615]})",
      R"({"huge":[18446744073709551616,1e400,-1e400,)"
      R"(123456789012345678901234567890]})",
      R"({"s":"caf)"
      "\xc3\xa9"
      R"("})",
      R"([true,false,null,"x",1])"};
  for (const std::string& text : texts) CheckAgreement(text);
}

TEST_CASE("on broken JSON the message is the precise reader's") {
  const std::vector<std::string> texts = {"",
                                          " ",
                                          "{",
                                          "}",
                                          R"({"a":})",
                                          R"({"a" 1})",
                                          R"({"a":1,})",
                                          R"([1,])",
                                          R"({"a":01})",
                                          R"({"a":1.})",
                                          R"({"a":.5})",
                                          R"({"a":+1})",
                                          R"({"a":"x)",
                                          R"({"a":tru})",
                                          R"({'a':1})",
                                          R"({"a":1} x)",
                                          R"({"a":1}{"b":2})",
                                          "{\"a\":\"\xff\"}",
                                          std::string("{\"a\":\"x\0y\"}", 11),
                                          R"({"a":"\x"})",
                                          R"({"a":"\ud800"})",
                                          "1",
                                          R"("text")",
                                          "null",
                                          "[1e5]"};
  for (const std::string& text : texts) CheckAgreement(text);

  JsonValue value;
  CHECK_FALSE(ingest::ParseJson(R"({"a":1,})", value).empty());
}

TEST_CASE("nesting past 64 levels is refused by both, with one message") {
  std::string deep_ok = std::string(63, '[') + std::string(63, ']');
  std::string too_deep = std::string(65, '[') + std::string(65, ']');
  std::string far_too_deep =
      std::string(100000, '[') + std::string(100000, ']');
  CHECK(CheckAgreement(deep_ok));
  CheckAgreement(too_deep);
  CheckAgreement(far_too_deep);

  JsonValue value;
  CHECK(ingest::ParseJson(too_deep, value) == "nested deeper than 64 levels");
}

TEST_CASE("the readers agree on 20,000 mutations of event lines") {
  std::vector<std::string> seeds = kEventLines;
  for (const auto& file :
       FilesIn(SourceDir() / "fuzz/corpus/events", ".json")) {
    seeds.push_back(ReadText(file));
  }
  const std::string alphabet = "{}[]\":,.-+eE0123456789 \\/nultrfasx\xc3\xff";
  std::mt19937_64 random(20261204);
  int fast_taken = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[random() % seeds.size()];
    int edits = 1 + static_cast<int>(random() % 3);
    for (int edit = 0; edit < edits && !text.empty(); ++edit) {
      size_t at = random() % text.size();
      char byte = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0: text[at] = byte; break;
        case 1: text.insert(text.begin() + at, byte); break;
        case 2: text.erase(at, 1); break;
      }
    }
    if (CheckAgreement(text)) ++fast_taken;
  }
  // Some mutations keep the line valid; the fast reader must take those.
  CHECK(fast_taken > 100);
}

// Whatever kernel simdjson runs on, the fast reader builds the same trees
// and takes the same texts. The kernel is picked at run time for the CPU
// (`simdjson::get_active_implementation`): its stage 1 (the structural
// index and the UTF-8 check) and its string unescaping run in that
// kernel, AVX-512 or AVX2 on one machine, SSE4.2 or plain C++ on another.
// The test machine runs each one it supports, the plain one included.

// The texts read by every kernel: the example event files, line by line,
// then lines made to trouble a kernel (below).
std::vector<std::string> ExampleEventLines() {
  std::vector<std::string> lines;
  std::vector<std::filesystem::path> folders;
  for (const auto& entry :
       std::filesystem::directory_iterator(SourceDir() / "examples")) {
    if (entry.is_directory()) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) {
    for (const auto& file : FilesIn(folder, ".jsonl")) {
      if (file.filename().string().find("events") == std::string::npos) {
        continue;
      }
      for (std::string& line : ReadLines(file)) lines.push_back(line);
    }
  }
  return lines;
}

// Pieces of string content: every escape, good and bad surrogates, valid
// and invalid UTF-8, control bytes.
const std::vector<std::string> kStringPieces = {
    "plain",
    R"(\")",
    R"(\\)",
    R"(\/)",
    R"(\b\f\n\r\t)",
    R"(\u0000)",
    R"(\u001f)",
    R"(\u00e9)",
    R"(\u20AC)",
    R"(\uffff)",
    R"(\ud83d\ude00)",
    R"(\uD83D\uDE00)",
    R"(\ud83d)",
    R"(\ude00)",
    R"(\ud83d\u0041)",
    R"(\ud83dx)",
    R"(\ud83d\ud83d)",
    R"(\u12)",
    R"(\u12G4)",
    R"(\x)",
    R"(\')",
    "\\",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
    "\xef\xbf\xbf",
    "\x80",
    "\xc0\xaf",
    "\xc3",
    "\xe2\x82",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xf8\x88\x80\x80\x80",
    "\xfe",
    "\xff",
    std::string(1, '\0'),
    "\x01",
    "\x1f",
    "\x7f",
    "\t",
    "\"",
};

// Numbers of every form, valid or not.
const std::vector<std::string> kNumbers = {
    "0",
    "-0",
    "-0.0",
    "0.0",
    "1",
    "-1",
    "1.5",
    "-1.50",
    "129.90",
    "1e5",
    "1E+5",
    "1e-5",
    "-1.0e+3",
    "0e0",
    "1e308",
    "1.7976931348623157e308",
    "1e309",
    "1e400",
    "-1e400",
    "4.9e-324",
    "1e-400",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "0.1234567890123456789",
    "3.14159265358979323846264338327950288",
    "01",
    "-",
    "+1",
    ".5",
    "1.",
    "1e",
    "1e+",
    "-01",
    "0x10",
    "1.5e5.3",
    "NaN",
    "Infinity",
    "--1",
    "1_000",
};

// Nested arrays, objects, or both, `depth` levels deep.
std::string Nested(size_t depth, int shape) {
  std::string open;
  std::string close;
  for (size_t level = 0; level < depth; ++level) {
    bool object = shape == 1 || (shape == 2 && level % 2 == 0);
    open += object ? "{\"a\":" : "[";
    close += object ? "}" : "]";
  }
  std::reverse(close.begin(), close.end());
  return open + "1" + close;
}

// Lines made to trouble a kernel: blank ones, each string piece in a
// value, a key and outside a string, each number, nesting around the limit
// and far past it, bytes after the value, and pieces across block ends.
std::vector<std::string> TroublesomeLines() {
  std::vector<std::string> lines = {"", " ", "\t", "\r\n", "  \t \r ", "\n"};
  for (const std::string& piece : kStringPieces) {
    lines.push_back("{\"s\":\"" + piece + "\"}");
    lines.push_back("{\"" + piece + "\":1}");
    lines.push_back("[\"a" + piece + "b\",\"" + piece + piece + "\"]");
    lines.push_back("{\"s\":" + piece + "}");  // outside a string
  }
  for (const std::string& number : kNumbers) {
    lines.push_back("{\"n\":" + number + "}");
    lines.push_back("[" + number + "]");
    lines.push_back("{\"n\":[" + number + "," + number + "], \"m\":1}");
    lines.push_back("[" + number + " ]");
  }
  for (size_t depth = 1; depth <= 70; ++depth) {
    for (int shape = 0; shape < 3; ++shape) {
      lines.push_back(Nested(depth, shape));
    }
  }
  lines.push_back(Nested(1000, 0));
  lines.push_back(Nested(1000, 2));
  const std::vector<std::string> tails = {
      " x",    "}",    "]",  ",",  "{\"b\":2}",         " 2",
      " \n\t", "\xff", "\"", ":1", std::string(1, '\0')};
  for (const std::string& tail : tails) {
    lines.push_back("{\"a\":1}" + tail);
    lines.push_back("[1]" + tail);
  }
  // simdjson reads its input in blocks of 64 bytes: each piece sits at
  // every offset around the first three block ends, in lines whose length
  // ends just before, on and just after a block end.
  for (size_t block_end : {64, 128, 192}) {
    for (size_t at = block_end - 6; at <= block_end + 6; ++at) {
      for (const std::string& piece : kStringPieces) {
        std::string line = "{\"s\":\"" + std::string(at - 6, 'x') + piece;
        lines.push_back(line + "\"}");
        lines.push_back(line + "\",\"t\":[1,2.5,\"" + piece + "\"]}");
      }
      lines.push_back("{\"s\":\"" + std::string(at - 8, 'y') + "\"}");
      lines.push_back("[" + std::string(at - 2, ' ') + "]");
      lines.push_back("{\"n\":1" + std::string(at - 7, '0') + "}");
    }
  }
  return lines;
}

// The example lines and the troublesome ones, then 10,000 mutations of
// the example lines (a fixed seed).
std::vector<std::string> KernelCorpus() {
  std::vector<std::string> texts = ExampleEventLines();
  std::vector<std::string> seeds = texts;
  for (std::string& line : TroublesomeLines()) texts.push_back(line);

  const std::string alphabet = "{}[]\":,.-+eE019 \\/nuxt\xc3\xa9\xff\x01";
  std::mt19937_64 random(20261206);
  for (int round = 0; round < 10000 && !seeds.empty(); ++round) {
    std::string text = seeds[random() % seeds.size()];
    if (text.empty()) continue;
    size_t at = random() % text.size();
    char byte = alphabet[random() % alphabet.size()];
    switch (random() % 3) {
      case 0: text[at] = byte; break;
      case 1: text.insert(text.begin() + at, byte); break;
      case 2: text.erase(at, 1); break;
    }
    texts.push_back(text);
  }
  return texts;
}

// What each reader makes of each text: whether the fast reader took it
// and with what tree, then `ParseJson`'s message or tree.
std::vector<std::string> OutcomesWith(const simdjson::implementation* kernel,
                                      const std::vector<std::string>& texts) {
  // `ParseJsonFast` keeps one simdjson parser per thread, which takes the
  // kernel active when it first reads: a new thread reads with `kernel`.
  simdjson::get_active_implementation() = kernel;
  std::vector<std::string> outcomes;
  std::thread reader([&] {
    for (const std::string& text : texts) {
      std::string outcome;
      JsonValue tree;
      if (ingest::ParseJsonFast(text, tree)) {
        outcome = "fast: ";
        ingest::AppendJson(tree, outcome);
      } else {
        outcome = "not fast";
      }
      std::string error = ingest::ParseJson(text, tree);
      outcome += error.empty() ? "; read: " : "; refused: " + error;
      if (error.empty()) ingest::AppendJson(tree, outcome);
      outcomes.push_back(std::move(outcome));
    }
  });
  reader.join();
  return outcomes;
}

// Puts back the kernel simdjson chose for this CPU, whatever happens.
class KernelRestorer {
 public:
  KernelRestorer() : chosen_(simdjson::get_active_implementation()) {}
  ~KernelRestorer() { simdjson::get_active_implementation() = chosen_; }

 private:
  const simdjson::implementation* chosen_;
};

TEST_CASE("every simdjson kernel gives the same trees and verdicts") {
  const std::vector<std::string> texts = KernelCorpus();
  KernelRestorer restore_the_chosen_kernel;

  std::vector<const simdjson::implementation*> kernels;
  for (const simdjson::implementation* kernel :
       simdjson::get_available_implementations()) {
    if (kernel->supported_by_runtime_system()) kernels.push_back(kernel);
  }
  // The plain kernel is what a CPU without SIMD runs; it must be compared.
  REQUIRE(kernels.size() >= 1);
  CHECK(kernels.back()->name() == "fallback");

  const std::vector<std::string> expected = OutcomesWith(kernels[0], texts);
  for (size_t other = 1; other < kernels.size(); ++other) {
    const simdjson::implementation* kernel = kernels[other];
    std::vector<std::string> outcomes = OutcomesWith(kernel, texts);
    size_t differences = 0;
    std::string first_difference;
    for (size_t i = 0; i < texts.size(); ++i) {
      if (outcomes[i] == expected[i]) continue;
      if (differences++ > 0) continue;
      first_difference = "text: " + texts[i] + "\n" + kernels[0]->name() +
                         ": " + expected[i] + "\n" + kernel->name() + ": " +
                         outcomes[i];
    }
    INFO("kernel " << kernel->name() << " against " << kernels[0]->name()
                   << ", first difference of " << differences << ":\n"
                   << first_difference);
    CHECK(differences == 0);
  }
}

}  // namespace
}  // namespace parcours::testing
