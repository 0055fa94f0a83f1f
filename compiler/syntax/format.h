// The canonical layout of `.journey` files, for `parcours fmt`.
//
// The formatter works on the lexer's tokens, comments and line breaks, not
// on the AST, so it needs no change when the grammar gains a construct: it
// is guided by brackets, commas and the few keywords it knows, and keeps
// the author's spacing around tokens it has no rule for. From the parse
// tree it takes only where the items of each `{ ... }` and of the file
// begin. docs/fmt.md describes the layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/diag/diagnostics.h"

namespace parcours::syntax {

// Lines longer than this are not joined onto one line: a `{ ... }` the
// author wrote on one line is kept so only when its line fits.
inline constexpr int kFormatWidth = 80;

// Returns file `file` of `sources` in the canonical layout, or nullopt
// when it does not parse; the syntax errors are then in `diagnostics`.
// The result has the same tokens, the same comments in the same order and
// the same AST as the input. Should the layout ever break that promise (a
// bug in the formatter), the input is returned unchanged rather than a
// changed program.
std::optional<std::string> FormatSource(const diag::SourceManager& sources,
                                        int32_t file,
                                        diag::DiagnosticEngine& diagnostics);

// `FormatSource` without its final check that nothing but the layout
// changed, so that tests can see what the layout rules produce.
std::optional<std::string> LayoutSource(const diag::SourceManager& sources,
                                        int32_t file,
                                        diag::DiagnosticEngine& diagnostics);

// A short unified-style diff from `before` to `after`: the first changed
// region as one hunk with up to two lines of context, at most
// `max_lines` lines per side, and a last line saying whether more changes
// follow. Empty when the texts are equal.
std::string ShortDiff(const std::string& before, const std::string& after,
                      int max_lines = 12);

}  // namespace parcours::syntax
