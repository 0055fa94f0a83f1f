#include "compiler/ir/crossings.h"

#include <map>
#include <optional>

namespace parcours::ir {

namespace {

bool IsComparison(Op op) {
  return op == Op::Eq || op == Op::Ne || op == Op::Lt || op == Op::Le ||
         op == Op::Gt || op == Op::Ge;
}

// `a op b` read from the other side: `a < b` is `b > a`.
Op Mirror(Op op) {
  switch (op) {
    case Op::Lt: return Op::Gt;
    case Op::Le: return Op::Ge;
    case Op::Gt: return Op::Lt;
    case Op::Ge: return Op::Le;
    default: return op;
  }
}

// Builds the crossing functions of one predicate: copies the parts of its
// body that do not read the clock, and writes the arithmetic of each
// crossing after them.
class CrossingBuilder {
 public:
  explicit CrossingBuilder(const Function& predicate) : body_(predicate.body) {}

  // The crossing functions of every comparison in the predicate that has
  // them, named after the predicate.
  std::vector<Function> Build() {
    std::vector<Function> functions;
    for (size_t i = 0; i < body_.size(); ++i) {
      const Inst& inst = body_[i];
      if (!IsComparison(inst.op) || !ReadsClock(static_cast<int32_t>(i))) {
        continue;
      }
      for (int which = 0; which < 2; ++which) {
        out_.clear();
        copies_.clear();
        std::optional<int32_t> instant = Crossing(inst, which);
        if (!instant) break;
        // A function's result is its last instruction.
        if (*instant != static_cast<int32_t>(out_.size() - 1)) {
          Arithmetic(Op::Add, Type::Time, *instant, Const(Type::Time, 0));
        }
        Function function;
        function.name =
            "crossing" + std::to_string(i) + "." + std::to_string(which);
        function.result = Type::Time;
        function.body = out_;
        functions.push_back(std::move(function));
      }
    }
    return functions;
  }

 private:
  // A value linear in the clock: `slope * now + offset`, the offset an
  // instruction of the function being built.
  struct Linear {
    int slope;
    int32_t offset;
  };

  bool ReadsClock(int32_t index) {
    auto known = reads_clock_.find(index);
    if (known != reads_clock_.end()) return known->second;
    const Inst& inst = body_[index];
    bool reads = inst.op == Op::Now;
    if (inst.a >= 0 && ReadsClock(inst.a)) reads = true;
    if (inst.b >= 0 && ReadsClock(inst.b)) reads = true;
    if (inst.op == Op::DistanceKm) {  // two more operands
      reads = reads || ReadsClock(static_cast<int32_t>(inst.imm)) ||
              ReadsClock(static_cast<int32_t>(inst.imm2));
    }
    reads_clock_[index] = reads;
    return reads;
  }

  int32_t Append(Inst inst) {
    out_.push_back(inst);
    return static_cast<int32_t>(out_.size() - 1);
  }

  int32_t Const(Type type, int64_t value) {
    Inst inst{Op::Const, type, type};
    inst.imm = value;
    return Append(inst);
  }

  int32_t Arithmetic(Op op, Type type, int32_t a, int32_t b) {
    Inst inst{op, type, type};
    inst.a = a;
    inst.b = b;
    return Append(inst);
  }

  // Copies instruction `index` of the predicate, which does not read the
  // clock, with what it reads.
  int32_t Copy(int32_t index) {
    auto done = copies_.find(index);
    if (done != copies_.end()) return done->second;
    Inst inst = body_[index];
    if (inst.a >= 0) inst.a = Copy(inst.a);
    if (inst.b >= 0) inst.b = Copy(inst.b);
    if (inst.op == Op::DistanceKm) {  // two more operands
      inst.imm = Copy(static_cast<int32_t>(inst.imm));
      inst.imm2 = Copy(static_cast<int32_t>(inst.imm2));
    }
    int32_t copy = Append(inst);
    copies_[index] = copy;
    return copy;
  }

  // `index` as `slope * now + offset` with a slope of -1, 0 or 1, or
  // nothing when it is not of that form.
  std::optional<Linear> LinearIn(int32_t index) {
    if (!ReadsClock(index)) return Linear{0, Copy(index)};
    const Inst& inst = body_[index];
    bool word_arithmetic =
        inst.type == Type::Time || inst.type == Type::Duration;
    if (inst.op == Op::Now) return Linear{1, Const(Type::Time, 0)};
    if (!word_arithmetic) return std::nullopt;
    if (inst.op == Op::Neg) {
      auto a = LinearIn(inst.a);
      if (!a) return std::nullopt;
      int32_t zero = Const(Type::Time, 0);
      return Linear{-a->slope,
                    Arithmetic(Op::Sub, Type::Time, zero, a->offset)};
    }
    if (inst.op != Op::Add && inst.op != Op::Sub) return std::nullopt;
    auto a = LinearIn(inst.a);
    auto b = a ? LinearIn(inst.b) : std::nullopt;
    if (!b) return std::nullopt;
    int sign = inst.op == Op::Add ? 1 : -1;
    int slope = a->slope + sign * b->slope;
    if (slope < -1 || slope > 1) return std::nullopt;
    return Linear{slope, Arithmetic(inst.op, Type::Time, a->offset, b->offset)};
  }

  // The instant where the value of comparison `inst` can change (`which`
  // 0), or the second such instant (`which` 1) for an equality or a whole
  // count of units; nothing when there is none or it cannot be known.
  std::optional<int32_t> Crossing(const Inst& inst, int which) {
    if (inst.operand_type == Type::Int) return UnitCrossing(inst, which);
    if (inst.operand_type != Type::Time &&
        inst.operand_type != Type::Duration) {
      return std::nullopt;
    }

    // a op b  <=>  slope * now + (a0 - b0) op 0.
    auto a = LinearIn(inst.a);
    auto b = a ? LinearIn(inst.b) : std::nullopt;
    if (!b) return std::nullopt;
    int slope = a->slope - b->slope;
    if (slope != 1 && slope != -1) return std::nullopt;
    int32_t rest = Arithmetic(Op::Sub, Type::Time, a->offset, b->offset);

    // Now `now op bound` with `bound` = -rest, or with the mirrored
    // operator and `bound` = rest when the slope is -1.
    Op op = inst.op;
    int32_t bound = rest;
    if (slope == 1) {
      bound = Arithmetic(Op::Sub, Type::Time, Const(Type::Time, 0), rest);
    } else {
      op = Mirror(op);
    }
    // `now >= B` and `now < B` change at B; `now > B` and `now <= B` at
    // B + 1; `now == B` and `now != B` at both.
    bool equality = op == Op::Eq || op == Op::Ne;
    bool at_bound = op == Op::Ge || op == Op::Lt || (equality && which == 0);
    if (which == 1 && !equality) return std::nullopt;
    if (at_bound) return bound;
    return Arithmetic(Op::Add, Type::Time, bound, Const(Type::Time, 1));
  }

  // `whole_units(x, U) op n` with `x` = now + c and `n` clock-free: the
  // count reaches n at now = n * U - c, and n + 1 at (n + 1) * U - c.
  // `>= n` and `< n` change at the first, `> n` and `<= n` at the second,
  // `== n` and `!= n` at both.
  std::optional<int32_t> UnitCrossing(const Inst& inst, int which) {
    int32_t units = inst.a;
    int32_t other = inst.b;
    Op op = inst.op;
    if (!ReadsClock(units)) {
      std::swap(units, other);
      op = Mirror(op);
    }
    if (ReadsClock(other)) return std::nullopt;
    if (body_[units].op == Op::Sub) return DayCrossing(units, other, op, which);
    if (body_[units].op != Op::WholeUnits) return std::nullopt;
    int64_t unit = body_[units].imm;
    auto x = LinearIn(body_[units].a);
    if (!x || x->slope != 1) return std::nullopt;
    bool equality = op == Op::Eq || op == Op::Ne;
    if (which == 1 && !equality) return std::nullopt;
    bool next_count = op == Op::Gt || op == Op::Le || which == 1;
    int32_t count = Copy(other);
    if (next_count) {
      count = Arithmetic(Op::Add, Type::Int, count, Const(Type::Int, 1));
    }
    int32_t span =
        Arithmetic(Op::Mul, Type::Int, count, Const(Type::Int, unit));
    return Arithmetic(Op::Sub, Type::Time, span, x->offset);
  }

  // `local_day(now, zone) - d op n` (`days_since` of a date) with `d`,
  // `zone` and `n` clock-free: the count reaches n when the local date
  // reaches d + n, at that day's start in the zone, and n + 1 a day later.
  std::optional<int32_t> DayCrossing(int32_t units, int32_t other, Op op,
                                     int which) {
    const Inst& difference = body_[units];
    const Inst& today = body_[difference.a];
    bool shape = difference.type == Type::Int && today.op == Op::LocalDay &&
                 body_[today.a].op == Op::Now && !ReadsClock(today.b) &&
                 !ReadsClock(difference.b);
    if (!shape) return std::nullopt;
    bool equality = op == Op::Eq || op == Op::Ne;
    if (which == 1 && !equality) return std::nullopt;
    bool next_count = op == Op::Gt || op == Op::Le || which == 1;
    int32_t count = Copy(other);
    if (next_count) {
      count = Arithmetic(Op::Add, Type::Int, count, Const(Type::Int, 1));
    }
    int32_t day = Arithmetic(Op::Add, Type::Int, count, Copy(difference.b));
    Inst start{Op::DayStart, Type::Time, Type::Time};
    start.a = day;
    start.b = Copy(today.b);
    return Append(start);
  }

  const std::vector<Inst>& body_;
  std::map<int32_t, bool> reads_clock_;
  std::vector<Inst> out_;
  std::map<int32_t, int32_t> copies_;
};

// Appends the crossing functions of function `index` to the program,
// named after it, and returns their indices.
std::vector<int32_t> AddCrossings(Program& program, int32_t index) {
  std::vector<Function> functions =
      CrossingBuilder(program.functions[index]).Build();
  std::string prefix = program.functions[index].name + ".";
  std::vector<int32_t> added;
  for (Function& function : functions) {
    function.name = prefix + function.name;
    program.functions.push_back(std::move(function));
    added.push_back(static_cast<int32_t>(program.functions.size() - 1));
  }
  return added;
}

}  // namespace

void DeriveCrossings(Program& program) {
  // An `exit when` that reads the clock lets the contact go at the
  // instant it starts to hold, as a segment flips at its own.
  for (Journey& journey : program.journeys) {
    for (ConditionalExit& exit : journey.conditional_exits) {
      exit.crossings.clear();
      if (exit.event == -1) {
        exit.crossings = AddCrossings(program, exit.condition);
      }
    }
  }
  for (Segment& segment : program.segments) {
    segment.crossings = AddCrossings(program, segment.predicate);
  }
}

}  // namespace parcours::ir
