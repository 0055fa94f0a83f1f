// Internal to compiler/syntax: from the generated parse tree to the AST.
//
// This header includes the generated parser; it must not be included from
// outside this folder.
#pragma once

#include <antlr4-runtime.h>

#include <string>

#include "ParcoursParser.h"
#include "compiler/diag/diagnostics.h"
#include "compiler/syntax/ast.h"

namespace parcours::syntax {

// Spans come from ANTLR tokens: lines from 1, columns from 0 in code points.
Span TokenSpan(int32_t file, const antlr4::Token* token);
Span ContextSpan(int32_t file, antlr4::ParserRuleContext* context);

// Builds the module of a parse tree that had no syntax error; `source` is
// the text the tree was parsed from, in UTF-8. Problems
// found while building (literals out of range, misplaced `else`) are
// reported into `diagnostics`.
Module BuildModule(int32_t file, const std::string& source,
                   parcoursgrammar::ParcoursParser::FileContext* tree,
                   diag::DiagnosticEngine& diagnostics);

}  // namespace parcours::syntax
