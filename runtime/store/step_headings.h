// What each step of the program that last saved a state looked like, so
// that the next program can be told apart from it (schema 17).
//
// Waiting contacts are stored by step name, and an unlabelled step is
// named by its kind and place (`wait2`): a step added before it renames
// it, and the contacts waiting at the old `wait2` would wake up after
// another step, perhaps to be sent a message again. The `steps` table
// keeps each step's heading (`wait 7d`) by journey and name; a load
// compares it with the program's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/ir.h"
#include "runtime/common/status.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/state.h"

namespace parcours::store {

// Heading by (journey, step name).
using StepHeadings = std::map<std::pair<std::string, std::string>, std::string>;

StepHeadings ProgramStepHeadings(const ir::Program& program);

// The `steps` table; empty for a state no run has saved since schema 17.
common::Expected<StepHeadings> ReadStepHeadings(Database& db);

// Replaces the `steps` table with `headings`.
common::Status WriteStepHeadings(Database& db, const StepHeadings& headings);

// The steps of `stored` that `program` names alike but heads otherwise,
// with contacts waiting at them in `db`'s `instances`, by journey and
// step. A step is moved when the program did not label it and another
// step of its journey has the stored heading: a step was added or
// removed before it. Edited otherwise (`wait 7d` became `wait 5d`).
common::Expected<std::vector<ChangedStep>> FindChangedSteps(
    Database& db, const ir::Program& program, const StepHeadings& stored);

// What the run says of a step: a moved one stops it, an edited one is a
// warning.
std::string DescribeMovedStep(const ChangedStep& step);
std::string DescribeEditedStep(const ChangedStep& step);

}  // namespace parcours::store
