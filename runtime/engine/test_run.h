// Running one `test` block on a virtual clock through the real engine.
//
// The test's statements become JSON lines that go through the real
// decoder and `Engine::Apply`, in the order written, on a fresh in-memory
// state (nothing is read from or written to disk). A `given profile` has
// no time of its own: it is applied at the test's first time, before the
// statements that follow it. After the last statement the clock runs on
// until no timer is left, so every journey the test started plays out to
// its end; then each expectation is checked against every action line the
// engine wrote.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/evaluator.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/test_plan.h"

namespace parcours::engine {

struct TestOutcome {
  bool passed = false;
  // Why it failed, one located sentence each ("file:3:5: expected ...").
  std::vector<std::string> reasons;
};

// `program` must have passed `ir::Verify` and `ir::AnalyzeDependencies`;
// `evaluator` must evaluate it.
TestOutcome RunTestCase(const ir::Program& program,
                        const ir::Evaluator& evaluator,
                        const ir::TestCase& test);

// The JSON line a test input becomes; `at` is its time.
std::string TestInputLine(const ir::TestInput& input, int64_t at,
                          int64_t number);

}  // namespace parcours::engine
