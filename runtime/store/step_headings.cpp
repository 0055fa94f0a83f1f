#include "runtime/store/step_headings.h"

#include <algorithm>

namespace parcours::store {

using common::Expected;
using common::Status;

namespace {

std::string Contacts(int64_t count) {
  return std::to_string(count) +
         (count == 1 ? " waiting contact" : " waiting contacts");
}

// "`wait3`", "`wait3` and `wait5`", "`a`, `b` and `c`".
std::string ListNames(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += "`" + names[i] + "`";
  }
  return text;
}

// The waiting contacts by journey and step name. Read only when some step
// changed, since it reads the whole table.
Expected<std::map<std::pair<std::string, std::string>, int64_t>> CountWaiting(
    Database& db) {
  std::map<std::pair<std::string, std::string>, int64_t> counts;
  Expected<Statement> select = db.Prepare(
      "SELECT journey, step_name, count(*) FROM instances "
      "GROUP BY journey, step_name");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    counts[{select->Text(0), select->Text(1)}] = select->Int(2);
  }
  return counts;
}

}  // namespace

StepHeadings ProgramStepHeadings(const ir::Program& program) {
  StepHeadings headings;
  for (const ir::Journey& journey : program.journeys) {
    for (const ir::Step& step : journey.steps) {
      headings[{journey.name, step.name}] = step.heading;
    }
  }
  return headings;
}

Expected<StepHeadings> ReadStepHeadings(Database& db) {
  StepHeadings headings;
  Expected<Statement> select =
      db.Prepare("SELECT journey, step, heading FROM steps");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    headings[{select->Text(0), select->Text(1)}] = select->Text(2);
  }
  return headings;
}

Status WriteStepHeadings(Database& db, const StepHeadings& headings) {
  Status status = db.Exec("DELETE FROM steps");
  if (!status.ok()) return status;

  Expected<Statement> insert =
      db.Prepare("INSERT INTO steps(journey, step, heading) VALUES(?, ?, ?)");
  if (!insert.ok()) return insert.status();
  for (const auto& [name, heading] : headings) {
    insert->BindText(1, name.first);
    insert->BindText(2, name.second);
    insert->BindText(3, heading);
    status = insert->Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Expected<std::vector<ChangedStep>> FindChangedSteps(
    Database& db, const ir::Program& program, const StepHeadings& stored) {
  std::vector<ChangedStep> changed;
  for (const ir::Journey& journey : program.journeys) {
    for (const ir::Step& step : journey.steps) {
      auto before = stored.find({journey.name, step.name});
      if (before == stored.end() || before->second == step.heading) continue;

      ChangedStep change;
      change.journey = journey.name;
      change.step = step.name;
      change.was = before->second;
      change.now = step.heading;
      if (!step.labelled) {
        for (const ir::Step& other : journey.steps) {
          if (other.heading == before->second) {
            change.moved_to.push_back(other.name);
          }
        }
      }
      changed.push_back(std::move(change));
    }
  }
  if (changed.empty()) return changed;

  // Only the steps contacts wait at matter.
  Expected<std::map<std::pair<std::string, std::string>, int64_t>> waiting =
      CountWaiting(db);
  if (!waiting.ok()) return waiting.status();
  for (ChangedStep& change : changed) {
    auto count = waiting->find({change.journey, change.step});
    if (count != waiting->end()) change.waiting = count->second;
  }
  std::erase_if(changed,
                [](const ChangedStep& change) { return change.waiting == 0; });
  return changed;
}

std::string DescribeMovedStep(const ChangedStep& step) {
  bool one = step.waiting == 1;
  return "journey `" + step.journey + "`: " + Contacts(step.waiting) +
         (one ? " waits" : " wait") + " at step `" + step.step +
         "`, which was `" + step.was + "` when " + (one ? "it" : "they") +
         " got there; a step added or removed before it gave the name `" +
         step.step + "` to `" + step.now + "` (`" + step.was + "` is " +
         ListNames(step.moved_to) +
         " now). Label the step with its old name to keep " +
         (one ? "it" : "them") + " there (`" + step.step + ": " + step.was +
         "`); to have " + (one ? "it" : "them") + " go on after `" + step.now +
         "` instead, label that one (`" + step.step + ": " + step.now + "`)";
}

std::string DescribeEditedStep(const ChangedStep& step) {
  bool one = step.waiting == 1;
  return "journey `" + step.journey + "`: " + Contacts(step.waiting) +
         (one ? " waits" : " wait") + " at step `" + step.step +
         "`, which was `" + step.was + "` when " + (one ? "it" : "they") +
         " got there and is `" + step.now + "` now; " +
         (one ? "it keeps" : "they keep") + " the time " +
         (one ? "it was" : "they were") + " due and " + (one ? "goes" : "go") +
         " on after it";
}

}  // namespace parcours::store
