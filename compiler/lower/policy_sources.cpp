// Where each policy rule was written, in words a marketer recognises.
#include "compiler/lower/policy_sources.h"

namespace parcours::lower {
namespace {

// The rule's own line without indentation or a trailing comment.
std::string RuleText(const diag::SourceManager& sources,
                     const ir::RuleSource& source) {
  std::string line = sources.LineText(source.file, source.line);
  size_t comment = line.find("//");
  if (comment != std::string::npos) line.erase(comment);
  size_t first = line.find_first_not_of(" \t");
  size_t last = line.find_last_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return line.substr(first, last - first + 1);
}

void Describe(const diag::SourceManager& sources, ir::RuleSource& source) {
  if (source.file < 0 || source.file >= sources.FileCount()) return;
  std::string path = sources.Path(source.file);
  // The file name alone: paths differ between machines and checkouts.
  size_t slash = path.find_last_of("/\\");
  if (slash != std::string::npos) path.erase(0, slash + 1);
  source.where = path + ":" + std::to_string(source.line);
  source.text = RuleText(sources, source);
}

}  // namespace

void DescribePolicyRules(ir::Program& program,
                         const diag::SourceManager& sources) {
  for (ir::Policy& policy : program.policies) {
    for (ir::Cap& cap : policy.caps) Describe(sources, cap.source);
    for (ir::Quiet& quiet : policy.quiet) Describe(sources, quiet.source);
    Describe(sources, policy.priority_source);
    Describe(sources, policy.capped_source);
  }
}

}  // namespace parcours::lower
