// Hand-built IR programs for runtime tests, without the compiler.
//
// Offsets are handed out as things are declared, so a test can write an
// expression function that loads a slot right after declaring it.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ir/ir.h"

namespace parcours::testing {

struct FieldSpec {
  FieldSpec(std::string name, ir::Type type, bool optional = false,
            std::string wire_name = "")
      : name(std::move(name)),
        type(type),
        optional(optional),
        wire_name(std::move(wire_name)) {}

  std::string name;
  ir::Type type;
  bool optional;
  std::string wire_name;  // empty: same as `name`
};

class ProgramBuilder {
 public:
  // Returns the event type's index; fields are laid out in order, each
  // optional one followed by its presence word.
  int32_t Event(std::string name, std::string wire_name,
                std::vector<FieldSpec> fields) {
    ir::EventType event;
    event.name = std::move(name);
    event.wire_name = std::move(wire_name);
    for (FieldSpec& spec : fields) {
      event.fields.push_back(MakeField(spec, event.record_words));
    }
    program_.events.push_back(std::move(event));
    return static_cast<int32_t>(program_.events.size() - 1);
  }

  // Returns the attribute's value offset in the profile record.
  int32_t Attribute(FieldSpec spec, std::vector<int64_t> default_words = {},
                    std::string default_string = "") {
    ir::Field field = MakeField(spec, program_.profile_words);
    field.default_words = std::move(default_words);
    field.default_string = std::move(default_string);
    program_.profile.push_back(field);
    return field.offset;
  }

  // Returns the offset of the presence word of the attribute at `offset`.
  int32_t PresenceOf(int32_t offset) const {
    for (const ir::Field& field : program_.profile) {
      if (field.offset == offset) return field.presence_offset;
    }
    return -1;
  }

  // Returns the aggregate's offset in the profile record.
  int32_t Count(int32_t event) {
    return AddAggregate(ir::AggregateKind::Count, event, -1, ir::Type::Int);
  }

  int32_t Sum(int32_t event, int32_t field) {
    ir::Type type = program_.events[event].fields[field].type;
    return AddAggregate(ir::AggregateKind::Sum, event, field, type);
  }

  // Returns the function's index.
  int32_t Function(std::string name, std::vector<ir::Inst> body) {
    ir::Function function;
    function.name = std::move(name);
    function.result = body.back().type;
    function.body = std::move(body);
    program_.functions.push_back(std::move(function));
    return static_cast<int32_t>(program_.functions.size() - 1);
  }

  // Returns the segment's Bool offset in the profile record.
  int32_t Segment(std::string name, int32_t predicate) {
    ir::Segment segment;
    segment.name = std::move(name);
    segment.predicate = predicate;
    segment.offset = program_.profile_words++;
    program_.segments.push_back(segment);
    return segment.offset;
  }

  // Adds a journey whose entry is its first step (when it has steps).
  int32_t Journey(std::string name, int32_t trigger_event, int32_t filter,
                  std::vector<int32_t> exit_events,
                  std::vector<ir::Step> steps) {
    ir::Journey journey;
    journey.name = std::move(name);
    journey.trigger_event = trigger_event;
    journey.trigger_filter = filter;
    journey.exit_events = std::move(exit_events);
    journey.locals_event = trigger_event;
    journey.entry = steps.empty() ? -1 : 0;
    journey.steps = std::move(steps);
    program_.journeys.push_back(std::move(journey));
    return static_cast<int32_t>(program_.journeys.size() - 1);
  }

  ir::Program Build() {
    program_.module = "test";
    ir::AnalyzeDependencies(program_);
    std::string problem = ir::Verify(program_);
    INFO(problem);
    REQUIRE(problem.empty());
    return program_;
  }

 private:
  static ir::Field MakeField(const FieldSpec& spec, int32_t& words) {
    ir::Field field;
    field.name = spec.name;
    field.wire_name = spec.wire_name.empty() ? spec.name : spec.wire_name;
    field.type = spec.type;
    field.optional = spec.optional;
    field.offset = words;
    words += ir::WordCount(spec.type);
    if (spec.optional) field.presence_offset = words++;
    return field;
  }

  int32_t AddAggregate(ir::AggregateKind kind, int32_t event, int32_t field,
                       ir::Type type) {
    ir::Aggregate aggregate;
    aggregate.kind = kind;
    aggregate.event_type = event;
    aggregate.field = field;
    aggregate.type = type;
    aggregate.offset = program_.profile_words;
    program_.profile_words += ir::WordCount(type);
    program_.aggregates.push_back(aggregate);
    return aggregate.offset;
  }

  ir::Program program_;
};

// Instruction helpers.
inline ir::Inst Load(ir::Base base, ir::Type type, int64_t offset) {
  ir::Inst inst{ir::Op::Load, type, type};
  inst.base = base;
  inst.imm = offset;
  return inst;
}

inline ir::Inst IsPresent(ir::Base base, int64_t presence_offset) {
  ir::Inst inst{ir::Op::IsPresent, ir::Type::Bool, ir::Type::Bool};
  inst.base = base;
  inst.imm = presence_offset;
  return inst;
}

inline ir::Inst Const(ir::Type type, int64_t value, int64_t second = 0) {
  ir::Inst inst{ir::Op::Const, type, type};
  inst.imm = value;
  inst.imm2 = second;
  return inst;
}

inline ir::Inst Compare(ir::Op op, ir::Type operand, int32_t a, int32_t b) {
  ir::Inst inst{op, ir::Type::Bool, operand};
  inst.a = a;
  inst.b = b;
  return inst;
}

// Steps; `next` of -1 ends the instance.
inline ir::Step SendStep(std::string name, std::string channel,
                         std::string template_name, int32_t next) {
  ir::Step step;
  step.kind = ir::StepKind::Send;
  step.name = std::move(name);
  step.channel = std::move(channel);
  step.template_name = std::move(template_name);
  step.next = next;
  return step;
}

inline ir::Step WaitStep(std::string name, int64_t seconds, int32_t next) {
  ir::Step step;
  step.kind = ir::StepKind::Wait;
  step.name = std::move(name);
  step.wait_seconds = seconds;
  step.next = next;
  return step;
}

inline ir::Step IfStep(std::string name, int32_t condition, int32_t next,
                       int32_t else_next) {
  ir::Step step;
  step.kind = ir::StepKind::If;
  step.name = std::move(name);
  step.condition = condition;
  step.next = next;
  step.else_next = else_next;
  return step;
}

inline ir::Step ExitStep(std::string name) {
  ir::Step step;
  step.kind = ir::StepKind::Exit;
  step.name = std::move(name);
  return step;
}

}  // namespace parcours::testing
