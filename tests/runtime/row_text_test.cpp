// The direct JSON text of the state's columns (runtime/store/row_text.h)
// against the dump of the trees it replaces, on random records.
#include "runtime/store/row_text.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/semantics.h"
#include "runtime/ingest/json_value.h"
#include "runtime/store/journey_state.h"
#include "runtime/store/value_json.h"
#include "tests/runtime/program_builder.h"
#include "tests/support/json_trees.h"

namespace parcours::testing {
namespace {

using ingest::JsonValue;
using store::OrderedJson;

std::string Dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// Adds `last(E)` of `event` at the end of the profile record.
const ir::Aggregate& AddLast(ir::Program& program, int32_t event) {
  ir::Aggregate last;
  last.kind = ir::AggregateKind::Last;
  last.event_type = event;
  last.type = ir::Type::Time;
  last.offset = program.profile_words;
  program.profile_words += ir::AggregateWords(program, last);
  program.aggregates.push_back(last);
  return program.aggregates.back();
}

// A program with a value of every type in the profile, an event of every
// type (kept by `last`), sums, segments and journeys.
ir::Program EveryType() {
  ProgramBuilder builder;
  std::vector<FieldSpec> fields = {
      {"name", ir::Type::String},    {"note", ir::Type::String, true},
      {"count", ir::Type::Int},      {"rate", ir::Type::Decimal},
      {"total", ir::Type::Money},    {"when", ir::Type::Time, true},
      {"flag", ir::Type::Bool},      {"span", ir::Type::Duration},
      {"tier", ir::Type::Int, true}, {"birthday", ir::Type::Int, true},
  };
  int32_t event = builder.Event("Order", "Order Placed", fields);
  for (const FieldSpec& spec : fields) builder.Attribute(spec);
  builder.Count(event);
  builder.Sum(event, 4);
  builder.Sum(event, 3);
  int32_t always = builder.Function("always", {Const(ir::Type::Bool, 1)});
  builder.Segment("loyal", always);
  builder.Segment("big_spender", always);
  builder.Journey("welcome", event, -1, {}, {});
  builder.Journey("we_miss_you", event, -1, {}, {});
  ir::Program program = builder.Build();

  AddLast(program, event);

  // An enum and a date, in the profile and in the event alike.
  for (auto* list : {&program.profile, &program.events[event].fields}) {
    (*list)[8].enum_values = {"bronze", "silver", "gold"};
    (*list)[9].date = true;
  }
  return program;
}

class Random {
 public:
  uint64_t Next() {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return state_ >> 33;
  }
  int64_t Signed() {
    int64_t wide = static_cast<int64_t>(Next() << 31 ^ Next());
    return Next() % 2 == 0 ? wide : wide % 100000;
  }

 private:
  uint64_t state_ = 20261204;
};

// Mostly plain text, sometimes what JSON escapes, UTF-8 or broken UTF-8.
std::string Text(Random& random) {
  const char* pool[] = {"u42",         "United Kingdom", "say \"hi\"",
                        "back\\slash", "tab\there",      "line\nbreak",
                        "caf\xc3\xa9", "bad \xff byte",  "",
                        "~ and \x7f"};
  return pool[random.Next() % std::size(pool)];
}

void Fill(const ir::Field& field, int32_t shift, Random& random,
          common::Record& record) {
  int32_t offset = field.offset + shift;
  if (field.presence_offset >= 0) {
    record.Set(field.presence_offset + shift,
               static_cast<int64_t>(random.Next() % 3 != 0));
  }
  switch (field.type) {
    case ir::Type::String: record.SetString(offset, Text(random)); break;
    case ir::Type::Money: {
      record.Set(offset, random.Signed());
      const int64_t currencies[] = {ir::kNoCurrency, ir::kMixedCurrency,
                                    ir::PackCurrency("GBP"),
                                    ir::PackCurrency("EUR")};
      record.Set(offset + 1, currencies[random.Next() % 4]);
      break;
    }
    case ir::Type::Time:
      record.Set(offset, 1293840000 + static_cast<int64_t>(random.Next()));
      break;
    case ir::Type::Bool:
      record.Set(offset, static_cast<int64_t>(random.Next() % 2));
      break;
    default:
      // Enum indices and dates out of their range too.
      record.Set(offset, field.enum_values.empty() && !field.date
                             ? random.Signed()
                             : static_cast<int64_t>(random.Next() % 5) - 1);
      break;
  }
}

// A profile of `program` with random values, and random locals of its
// first event; `round` marks its entry times.
void FillProfile(const ir::Program& program, int round, Random& random,
                 store::Profile& profile, common::Record& locals) {
  const ir::EventType& event = program.events[0];
  profile.record = common::Record(program.profile_words);
  for (const ir::Field& field : program.profile) {
    Fill(field, 0, random, profile.record);
  }
  for (const ir::Aggregate& aggregate : program.aggregates) {
    if (aggregate.kind != ir::AggregateKind::Last) {
      ir::Field slot;
      slot.type = aggregate.type;
      slot.offset = aggregate.offset;
      Fill(slot, 0, random, profile.record);
      continue;
    }
    profile.record.Set(aggregate.offset,
                       static_cast<int64_t>(random.Next() % 4 != 0));
    profile.record.Set(aggregate.offset + 1, 1293840000);
    for (const ir::Field& field : event.fields) {
      Fill(field, aggregate.offset + 2, random, profile.record);
    }
  }
  for (const ir::Segment& segment : program.segments) {
    profile.record.Set(segment.offset, static_cast<int64_t>(random.Next() % 2));
  }
  profile.last_entered.resize(random.Next() % 3);
  for (auto& entered : profile.last_entered) {
    if (random.Next() % 2 == 0) entered = 1293840000 + round;
  }
  locals = common::Record(event.record_words);
  for (const ir::Field& field : event.fields) {
    Fill(field, 0, random, locals);
  }
}

// The trees the save dumps, where the direct text may differ.
struct ColumnTrees {
  OrderedJson attrs, aggregates, segments, entries, locals;
};

ColumnTrees MakeTrees(const ir::Program& program, const store::Profile& profile,
                      const common::Record& locals) {
  ColumnTrees trees;
  trees.attrs = OrderedJson::object();
  for (const ir::Field& field : program.profile) {
    trees.attrs[field.name] = store::EncodeField(profile.record, field);
  }
  trees.aggregates = OrderedJson::object();
  for (const ir::Aggregate& aggregate : program.aggregates) {
    trees.aggregates[store::AggregateName(program, aggregate)] =
        store::EncodeAggregate(program, aggregate, profile.record);
  }
  trees.segments = OrderedJson::object();
  for (const ir::Segment& segment : program.segments) {
    trees.segments[segment.name] = profile.record.Get(segment.offset) != 0;
  }
  trees.entries = store::EncodeEntries(program, profile);
  trees.locals = OrderedJson::object();
  for (const ir::Field& field : program.events[0].fields) {
    trees.locals[field.name] = store::EncodeField(locals, field);
  }
  return trees;
}

TEST_CASE("the columns' direct text is the dump of their trees",
          "[runtime][row_text]") {
  ir::Program program = EveryType();
  const ir::EventType& event = program.events[0];
  store::RowText row_text(program);
  Random random;
  int direct = 0;
  int dumped = 0;
  for (int round = 0; round < 3000; ++round) {
    store::Profile profile;
    common::Record locals;
    FillProfile(program, round, random, profile, locals);

    ColumnTrees trees = MakeTrees(program, profile, locals);
    const OrderedJson& attrs = trees.attrs;
    const OrderedJson& aggregates = trees.aggregates;
    const OrderedJson& segments = trees.segments;
    const OrderedJson& fields = trees.locals;

    auto compare = [&](bool written, const std::string& text,
                       const OrderedJson& tree) {
      if (!written) {
        ++dumped;
        return;
      }
      ++direct;
      REQUIRE(text == Dump(tree));
    };
    std::string text;
    compare(row_text.AppendAttributes(profile.record, text), text, attrs);
    text.clear();
    compare(row_text.AppendAggregates(profile.record, text), text, aggregates);
    text.clear();
    compare(row_text.AppendSegments(profile.record, text), text, segments);
    text.clear();
    compare(row_text.AppendEntries(profile, text), text,
            store::EncodeEntries(program, profile));
    text.clear();
    compare(row_text.AppendLocals(event, locals, text), text, fields);
  }
  // Both ways were taken many times, so each was compared.
  CHECK(direct > 3000);
  CHECK(dumped > 3000);
}

TEST_CASE("a `last` whose event has a field named `at` is left to the dump",
          "[runtime][row_text]") {
  ProgramBuilder builder;
  int32_t event = builder.Event("Login", "Login", {{"at", ir::Type::Int}});
  ir::Program program = builder.Build();
  const ir::Aggregate& last = AddLast(program, event);

  common::Record record(program.profile_words);
  record.Set(last.offset, 1);
  std::string text;
  CHECK_FALSE(store::RowText(program).AppendAggregates(record, text));
}

// A tree of the load's values, dumped the way the save writes them, so
// that two decoded records can be compared.
std::string DecodedText(const ir::Program& program, const JsonValue& attrs,
                        const JsonValue& aggregates, const JsonValue& locals) {
  common::Record record(program.profile_words);
  for (const ir::Field& field : program.profile) {
    if (const JsonValue* value = attrs.Find(field.name)) {
      (void)store::DecodeField(*value, field, record);
    }
  }
  for (const ir::Aggregate& aggregate : program.aggregates) {
    std::string name = store::AggregateName(program, aggregate);
    if (const JsonValue* value = aggregates.Find(name)) {
      (void)store::DecodeAggregate(*value, program, aggregate, record);
    }
  }
  const ir::EventType& event = program.events[0];
  common::Record fields(event.record_words);
  for (const ir::Field& field : event.fields) {
    if (const JsonValue* value = locals.Find(field.name)) {
      (void)store::DecodeField(*value, field, fields);
    }
  }
  store::Profile decoded;
  decoded.record = std::move(record);
  ColumnTrees trees = MakeTrees(program, decoded, fields);
  return Dump(trees.attrs) + Dump(trees.aggregates) + Dump(trees.locals);
}

// The load reads each column of row after row into one tree
// (runtime/store/store.cpp); the trees and the values decoded from them
// must be those of a tree built afresh by nlohmann for each column, as
// before, including the texts the fast reader leaves to nlohmann.
TEST_CASE("columns read into a reused tree are read as by a fresh one",
          "[runtime][row_text][load]") {
  ir::Program program = EveryType();
  Random random;
  JsonValue reused_attrs, reused_aggregates, reused_locals, reused_other;
  int fast = 0;
  int slow = 0;
  int refused = 0;
  for (int round = 0; round < 2000; ++round) {
    store::Profile profile;
    common::Record locals;
    FillProfile(program, round, random, profile, locals);
    ColumnTrees trees = MakeTrees(program, profile, locals);

    // The columns' bytes, then variants of one of them: numbers out of
    // the fast reader's range and a document that is no object (which it
    // hands to nlohmann), and a cut text (which both refuse).
    std::vector<std::string> texts = {
        Dump(trees.attrs),   Dump(trees.aggregates), Dump(trees.segments),
        Dump(trees.entries), Dump(trees.locals),
    };
    std::string& chosen = texts[random.Next() % texts.size()];
    switch (random.Next() % 4) {
      case 0: break;
      case 1:
        chosen.insert(1, chosen.size() > 2 ? R"("big":[1e400,-1e400],)"
                                           : R"("big":[1e400,-1e400])");
        break;
      case 2: chosen.pop_back(); break;
      case 3: chosen = std::to_string(round); break;
    }

    JsonValue* reused[] = {&reused_attrs, &reused_aggregates, &reused_other,
                           &reused_other, &reused_locals};
    JsonValue fresh[5];
    for (size_t column = 0; column < texts.size(); ++column) {
      INFO("text: " << texts[column]);
      std::string before =
          ingest::ParseJsonPrecisely(texts[column], fresh[column]);
      JsonValue probe;
      bool took = ingest::ParseJsonFast(texts[column], probe);
      ++(took ? fast : before.empty() ? slow : refused);

      std::string after = ingest::ParseJson(texts[column], *reused[column]);
      REQUIRE(after == before);
      if (before.empty()) REQUIRE(SameTree(*reused[column], fresh[column]));
    }
    CHECK(
        DecodedText(program, reused_attrs, reused_aggregates, reused_locals) ==
        DecodedText(program, fresh[0], fresh[1], fresh[4]));
  }
  // Each way through the reader was taken many times.
  CHECK(fast > 5000);
  CHECK(slow > 300);
  CHECK(refused > 300);
}

}  // namespace
}  // namespace parcours::testing
