// SARIF logs that carry more than the compiler's diagnostics: the failed
// expectations of `parcours test`, for a code-scanning upload of a test
// run.
#pragma once

#include <string>
#include <vector>

#include "compiler/diag/diagnostics.h"

namespace parcours::diag {

// A SARIF result that is no diagnostic of the compiler, such as a failed
// test's expectation. Its rule is listed beside the codes.
struct SarifResult {
  std::string rule_id;  // "test-failed"
  std::string rule_summary;
  std::string message;
  std::string path;  // as given on the command line; empty: no location
  int line = 0;
  int column = 0;
};

// `RenderSarif` of `diagnostics`, with `others` after them in their
// order, all at level `error`.
std::string RenderSarifWith(const std::vector<Diagnostic>& diagnostics,
                            const SourceManager& sources,
                            const std::vector<SarifResult>& others);

}  // namespace parcours::diag
