// A long `in [...]` list pasted from a spreadsheet, as docs/diagnostics.md
// (E0005) advises: 100,000 string ids compile and run with both engines.
// Lowered to one comparison per item, such a list built a 100,000-deep
// chain of `or`s that took minutes to lower and compile and then
// overflowed the stack inside LLVM.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/e2e/journey_test_support.h"

namespace parcours::testing {
namespace {

using Lines = std::vector<std::string>;

// `[\"s0\", \"s1\", ...]` with `count` items.
std::string Skus(int count) {
  std::string list = "[";
  for (int i = 0; i < count; ++i) {
    if (i > 0) list += ", ";
    list += "\"s" + std::to_string(i) + "\"";
  }
  return list + "]";
}

TEST_CASE("a list of 100,000 strings runs with the JIT and the interpreter") {
  const std::string skus = Skus(100000);
  std::string program = "event Viewed \"Viewed\" { sku: string? }\n";
  program += "journey listed {\n  on Viewed as v where v.sku in " + skus;
  program += "\n  send email \"listed\"\n}\n";
  program += "journey unlisted {\n  on Viewed as v where v.sku not in " + skus;
  program += "\n  send email \"unlisted\"\n}\n";
  Scenario scenario("long-in-list", program);

  const std::string time = "2025-01-01T10:00:00Z";
  std::string events =
      TrackLine("Viewed", "first", "1", time, R"({"sku":"s0"})") +
      TrackLine("Viewed", "last", "2", time, R"({"sku":"s99999"})") +
      TrackLine("Viewed", "past", "3", time, R"({"sku":"s100000"})") +
      TrackLine("Viewed", "empty", "4", time, R"({"sku":""})") +
      TrackLine("Viewed", "absent", "5", time, "{}") +
      TrackLine("Viewed", "prefix", "6", time, R"({"sku":"s"})");

  // `Run` requires both engines to succeed with the same output. An
  // absent sku is in neither list. Sends are compared as a set: their
  // order among profiles is not what this test is about.
  Lines sends = Summaries(scenario.Run(events));
  std::sort(sends.begin(), sends.end());
  CHECK(sends == Lines{time + " send empty unlisted.send1",
                       time + " send first listed.send1",
                       time + " send last listed.send1",
                       time + " send past unlisted.send1",
                       time + " send prefix unlisted.send1"});
}

}  // namespace
}  // namespace parcours::testing
