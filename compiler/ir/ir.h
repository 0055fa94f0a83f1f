// The Parcours IR: what the compiler hands to the interpreter, the JIT and
// the runtime.
//
// A program is a set of typed expression functions plus the tables that
// drive the runtime: event schemas, the profile record layout, aggregates,
// segments and journeys as state machines. Every value lives in fixed
// 64-bit words ("slots"); the compiler computes each slot's offset so that
// neither engine looks a name up while it runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/loyalty.h"
#include "compiler/ir/policy.h"

namespace parcours::ir {

// Value types. `Money` and `String` take two words, every other type one.
//   Bool      0 or 1, never another value: `And`, `Or` and `Not` work on
//             the word, so whoever fills a record must write 0 or 1
//   Int       two's complement, wrapping on overflow
//   Decimal   fixed point, `kDecimalScale` units per 1
//   Money     word 0: amount in `kDecimalScale` units; word 1: currency code
//             packed by `PackCurrency`, or `kNoCurrency` (0: a zero with no
//             currency yet) or `kMixedCurrency` (-1), see semantics.h
//   Duration  seconds
//   Time      seconds since the Unix epoch, UTC
//   String    word 0: pointer to the bytes; word 1: length in bytes
// A `date` is an Int: days since 1970-01-01 (compiler/ir/dates.h).
enum class Type : uint8_t { Bool, Int, Decimal, Money, Duration, Time, String };

inline constexpr int64_t kDecimalScale = 1'000'000;

// Number of 64-bit words a value of `type` occupies in a record.
int WordCount(Type type);

// Stable lower-case name used in dumps ("bool", "money", ...).
const char* TypeName(Type type);

// Packs a three-letter ISO 4217 code into a word; "EUR" -> 'E' | 'U'<<8 ...
int64_t PackCurrency(const std::string& code);
std::string UnpackCurrency(int64_t packed);

// Whether `code` is an active ISO 4217 currency code ("EUR", "GBP"). The
// compiler and the runtime accept the same set.
bool IsIsoCurrency(const std::string& code);

// Where a `Load` reads from.
enum class Base : uint8_t {
  Profile,  // the profile record (attributes, aggregates, segments)
  Event,    // the record of the event being handled
  Local,    // the journey instance's locals (its trigger event's record)
};

// Instruction set of expression functions. Each instruction defines one
// value, named by its index in `Function::body` (SSA without phis: every
// construct of the language is a pure, terminating expression).
//
// Semantics are total, identical in both engines, and documented in
// docs/internals/ir.md:
//   - Int arithmetic wraps; x / 0 == 0; INT64_MIN / -1 wraps.
//   - Decimal multiply and divide round toward zero at kDecimalScale.
//   - Money with two different currencies: comparisons give false, and
//     arithmetic gives mixed money, which compares false ever after. Money
//     with no currency yet (a zero) takes the other operand's currency.
//   - A comparison with an absent optional value gives false.
enum class Op : uint8_t {
  Const,        // imm (and imm2 for Money) of `type`
  ConstString,  // `imm` indexes Program::strings
  Load,         // base, offset: the value of `type` at that word offset
  IsPresent,    // base, offset: Bool from the presence word at `offset`
  Now,          // Time: the engine's clock at evaluation
  Add,          // a, b; Int/Decimal/Money/Duration; Time + Duration
  Sub,          // a, b; also Time - Time -> Duration, Time - Duration
  Mul,          // a, b; Int*Int, Decimal*Decimal, Money*Decimal, Dur*Int
  Div,          // a, b; same pairs as Mul
  Neg,          // a
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,  // a, b of the same operand type -> Bool
  And,
  Or,             // a, b: Bool
  Not,            // a: Bool
  IntToDecimal,   // a: Int -> Decimal (exact)
  Guard,          // a: Bool presence, b: Bool value -> `a and b`, used so
                  // that comparisons with absent values yield false
  WholeUnits,     // a: Duration, imm: unit in seconds (>= 1) -> Int, the
                  // whole units in `a` rounded down (`days_since`)
  DistanceKm,     // a, b, imm, imm2: the instructions giving lat1, lon1,
                  // lat2, lon2 (Decimal degrees) -> Decimal km on a great
                  // circle, -1 for a coordinate out of range
                  // (parcours_distance_km)
  SpeedKmh,       // a: Decimal km, b: Duration -> Decimal km/h to cover `a`
                  // in `b` (parcours_speed_kmh)
  LocalDay,       // a: Time, b: String zone -> Int, the date (days since
                  // 1970-01-01) on that zone's wall clock (dates.h)
  DayStart,       // a: Int date, b: String zone -> Time, the first instant
                  // of that local day
  AddCalendar,    // a: Time, b: String zone, imm: count (signed), imm2: a
                  // CalendarUnit -> Time, `a` plus that calendar length on
                  // the zone's wall clock (dates.h)
  AddToDate,      // a: Int date, imm: count, imm2: a CalendarUnit -> Int,
                  // that date plus that calendar length
  ListContains,   // a: String, a list field's JSON text; b: an item of
                  // `operand_type` (String or Int) -> Bool, whether the
                  // list holds it (parcours_list_contains)
  MoneyAmount,    // a: Money -> Decimal, its amount (the first word)
  MoneyCurrency,  // a: Money -> Int, its currency word (the second)
  InSet,          // a: a value of `operand_type`, imm: index into
                  // Program::const_sets of a set of that type -> Bool,
                  // whether the set holds it (`x in [...]` with many
                  // literal items; parcours_words_contain and
                  // parcours_strings_contain in lists.h)
};

const char* OpName(Op op);

struct Inst {
  Op op = Op::Const;
  Type type = Type::Bool;          // the type of the value defined
  Type operand_type = Type::Bool;  // for comparisons: the type compared
  Base base = Base::Profile;
  int32_t a = -1;  // operand instruction indices
  int32_t b = -1;
  int64_t imm = 0;   // constant, load offset or string index
  int64_t imm2 = 0;  // second word of a Money constant
};

// A pure function of (profile, event, locals, now). Its result is the value
// of the last instruction, always of a one-word type.
struct Function {
  std::string name;
  Type result = Type::Bool;
  std::vector<Inst> body;
};

// One field of an event record or one profile attribute.
struct Field {
  std::string name;       // as written in the program
  std::string wire_name;  // key in the JSON properties / traits
  Type type = Type::Int;
  bool optional = false;
  int32_t offset = 0;            // first word of the value
  int32_t presence_offset = -1;  // word holding 0/1; -1 when not optional
  // Default for profile attributes: words of the value, or empty.
  std::vector<int64_t> default_words;
  std::string default_string;  // for String defaults
  // An enum is an Int holding the index of its value in this list, which
  // is never empty for an enum; decoders read and dumps write the names.
  std::vector<std::string> enum_values;
  // A `channel` value, held as a String: the decoder accepts only the
  // channel names (ir::ConsentChannels()).
  bool channel = false;
  // A `date`, held as an Int (days since 1970-01-01): read and written as
  // "YYYY-MM-DD".
  bool date = false;
  // A `list<T>` event field, held as a String: the list's JSON text,
  // compact, each item checked against T; its length is an Int at
  // `count_offset` (`.count`). `list_items` describes an item: one
  // unnamed field for a list of values, or the record's fields (by wire
  // name) when `list_of_records`.
  bool list = false;
  bool list_of_records = false;
  int32_t count_offset = -1;
  std::vector<Field> list_items;
};

struct EventType {
  std::string name;       // name in the program, e.g. OrderPlaced
  std::string wire_name;  // `event` value on the stream
  std::vector<Field> fields;
  int32_t record_words = 0;
  // Derived by `AnalyzeDependencies`: how long each profile keeps its
  // events of this type (the widest window that reads them; 0 keeps none)
  // and which fields each kept event keeps, in field order.
  int64_t history_seconds = 0;
  std::vector<int32_t> history_fields;
};

enum class AggregateKind : uint8_t { Count, Sum, Last, SeenBefore };

enum class CalendarUnit : uint8_t;

// An aggregate over a profile's events of one type: all of them, kept as
// a running value, or those of a window, recomputed by the runtime from
// the events it keeps whenever the window moves.
//
// A window reads the events whose own time `t` satisfies
//   now - window_far < t <= now - window_near
// so an event exactly `window_far` old is outside, one exactly
// `window_near` old inside, and a future-dated one outside until its time.
//
// `Last` is the profile's latest event of the type by its own time (on a
// tie, the later to arrive), never windowed: a presence word at `offset`,
// the event's time at `offset + 1`, then its record, laid out as the event
// type's, from `offset + 2`.
//
// `SeenBefore` is a Bool: whether `field` of the profile's latest event of
// the type equals that field of an earlier kept event of the type whose
// time `t` satisfies `latest - window_far < t <= latest` (the latest event
// itself never counts). The runtime sets it as each event of the type
// arrives (runtime/store/history.h); it is not `windowed`, since the
// clock moving on does not change it.
struct Aggregate {
  AggregateKind kind = AggregateKind::Count;
  int32_t event_type = 0;
  int32_t field = -1;     // Sum: index into the event type's fields
  Type type = Type::Int;  // Count: Int; Sum: the field's type; Last: Time
  int32_t offset = 0;     // words in the profile record
  bool windowed = false;
  int64_t window_far = 0;   // seconds; `within 30d` is 30 days far...
  int64_t window_near = 0;  // ...and 0 near; `between 60d and 30d ago`
  // A bound in calendar units (`within 3 months`) counts on the
  // recipient's wall clock: an event at `t` is inside from `t` plus the
  // near bound to `t` plus the far one, each added as `wait` adds them.
  // The count is 0 for a bound in exact seconds. For a calendar bound,
  // `window_far` holds the most seconds it can span (how long events are
  // kept) and `window_near` the fewest.
  int64_t far_calendar = 0;
  int64_t near_calendar = 0;
  CalendarUnit far_unit{};
  CalendarUnit near_unit{};
};

struct Segment {
  std::string name;
  int32_t predicate = 0;  // Function index
  int32_t offset = 0;     // Bool word in the profile record
  // Functions of the profile alone, each giving an instant at which a
  // comparison of the predicate with the clock can change value
  // (compiler/ir/crossings.h); the runtime re-checks the profile at the
  // earliest one after the clock.
  std::vector<int32_t> crossings;
};

enum class StepKind : uint8_t {
  Wait,          // `wait_seconds` of exact time
  WaitCalendar,  // `wait_count` units of `calendar_unit` on the local clock
  WaitUntil,     // until `clock_seconds` after local midnight
  If,
  Send,
  Exit,
  // Waits for an event of `event_type` that passes `condition` (-1: any):
  // then `next`; after `wait_seconds` with none, `else_next` instead.
  WaitFor,
  Split,    // goes to the entry of one of `arms`, by a stable hash
  Set,      // profile attribute `attribute` = `values[0]`
  Emit,     // an event of `event_type` with `values` (by field index)
  Task,     // a CRM task: `system`, `text`, `team`
  Webhook,  // webhook `text` with `values` as its payload
  // Security actions, with their reason in `text`: `freeze account` (a
  // "freeze" line) and `require second factor` (a "second_factor" line).
  Freeze,
  SecondFactor,
  // `award N points reason "..."`: `condition` (a Function giving the Int
  // points) into loyalty program `attribute`; `text` is the reason.
  Award,
};

// Calendar units count on the recipient's wall clock (runtime/engine/
// calendar.h states the rules for month ends and daylight saving).
enum class CalendarUnit : uint8_t { Day, Week, Month, Year };

const char* CalendarUnitName(CalendarUnit unit);

// Where a value that a step writes (a payload field, a `set` value, an
// emitted event's field) comes from. Money and strings take two words,
// which a function cannot return, so they are literals or stored values.
enum class ValueSource : uint8_t {
  Function,  // one-word `type`: the result of `function`
  Load,      // the value at `base`[`offset`]; `presence` as in `Field`
  Constant,  // `imm` and `imm2` (Money), or `text` (String)
  Absent,    // `none`: an optional value left out
};

struct StepValue {
  std::string name;    // payload key, or the emitted event's field name
  int32_t field = -1;  // Emit: index into the event's fields
  Type type = Type::Int;
  ValueSource source = ValueSource::Constant;
  int32_t function = -1;
  // Function and Money: a function returns one word, so `function` gives
  // the amount and this one the currency word.
  int32_t currency_function = -1;
  Base base = Base::Profile;
  int32_t offset = 0;
  int32_t presence = -1;
  int64_t imm = 0;
  int64_t imm2 = 0;
  std::string text;
  // For an enum value, its enum's value names by index, so that payloads
  // carry the name (as stored values do), not the index.
  std::vector<std::string> enum_values;
  // A date (an Int), written as "YYYY-MM-DD".
  bool date = false;
  // A list (a String holding its JSON text), written as the list itself.
  bool list = false;
  // A list's `Load`: the word of the source holding its length, copied
  // with the text when a `set` stores the list.
  int32_t count_offset = -1;
};

// One arm of a `split`: its share in kDecimalScale units of one percent,
// and the step it starts at (-1: the end of the journey).
struct SplitArm {
  std::string name;
  int64_t percent = 0;
  int32_t entry = -1;
};

// One node of a journey's state machine. `next` of -1 ends the instance.
struct Step {
  StepKind kind = StepKind::Exit;
  std::string name;  // label, or a generated `<kind><n>` name
  bool labelled = false;
  // The step as written, without label and blocks (`wait 60d`): the state
  // keeps it by name, to tell a step that moved from one that was edited.
  std::string heading;
  int32_t next = -1;
  int64_t wait_seconds = 0;  // Wait
  // Wait: a length computed when the step is reached (`wait 365d /
  // count(OrderPlaced within 365d)`), a Function index giving seconds;
  // -1 for a literal `wait_seconds`.
  int32_t wait_function = -1;
  int64_t wait_count = 0;                          // WaitCalendar
  CalendarUnit calendar_unit = CalendarUnit::Day;  // WaitCalendar
  int64_t clock_seconds = 0;                       // WaitUntil
  int32_t condition = -1;                          // If: Function index
  int32_t else_next = -1;     // If: where a false condition goes
  std::string channel;        // Send
  std::string template_name;  // Send
  int32_t line = 0;           // source line, for explanations
  int32_t event_type = -1;    // WaitFor, Emit: EventType index
  // In the block a `wait for E as x` runs when E came, the EventType index
  // of E: the step's functions read E's record as their locals, not the
  // trigger's. -1 elsewhere.
  int32_t arrived_event = -1;
  int32_t attribute = -1;         // Set: index into Program::profile
  std::vector<StepValue> values;  // Send, Webhook: payload; Set; Emit
  std::vector<SplitArm> arms;     // Split
  // Send: the pressure policy's view of the message (docs/policy.md).
  // `best_of` lists the channels of `send best of [...]`, else is empty.
  std::vector<std::string> best_of;
  std::string category = "marketing";
  std::string priority;       // Send: as written; empty when not written
  int32_t priority_rank = 1;  // index into sema::KnownPriorities(): normal
  bool override_policy = false;
  std::string system;  // Task
  std::string text;    // Task: summary; Webhook: name; Freeze,
                       // SecondFactor: the reason
  std::string team;    // Task
};

// What starts a journey: an event, or a profile entering or leaving a
// segment.
// `Schedule`: `every monday 10:00 local` or `every day 09:00 local`, on
// each profile's own clock. `Date`: `on date profile.birthday at 09:00
// local`, every year on the date's month and day. `PointsCrossing`: `on
// points crossing N`, a balance of loyalty program `crossing_program` going
// from below `crossing_points` to it or above.
enum class TriggerKind : uint8_t {
  Event,
  Entered,
  Left,
  Schedule,
  Date,
  PointsCrossing
};

// `exit on E where cond` (event >= 0) or `exit when cond` (event -1).
struct ConditionalExit {
  int32_t event = -1;
  int32_t condition = 0;  // Function index
  // For `exit when` (no event): the functions giving the instants at which
  // the clock alone can make the condition hold (crossings.h).
  std::vector<int32_t> crossings;
};

// When a contact who was in a journey before may enter it again.
enum class Reentry : uint8_t {
  AfterLeaving,  // default: once its previous instance has ended
  After,         // also `reentry_seconds` after its previous entry
  Never,         // only once, ever
};

// `goal E within D`: E while the instance is live (and, with a limit, at
// most `within_seconds` after entry) reaches the goal and ends it.
struct Goal {
  int32_t event = 0;
  int64_t within_seconds = -1;  // -1: no limit
  // `within 1 month`: the limit in calendar units on the recipient's
  // clock, from entry (within_seconds is then -1); 0 for none.
  int64_t within_calendar = 0;
  CalendarUnit within_unit{};
};

struct Journey {
  std::string name;
  TriggerKind trigger_kind = TriggerKind::Event;
  // Schedule: the weekday (0 Monday to 6 Sunday; -1 for every day) and
  // the local time, in seconds after midnight.
  int32_t schedule_weekday = -1;
  int64_t schedule_clock = 0;  // Schedule and Date
  // Date: a function of the profile giving the date (an Int, days since
  // 1970-01-01), and one giving whether it is present (-1: always).
  int32_t trigger_date = -1;
  int32_t trigger_date_present = -1;
  int32_t crossing_program = -1;  // PointsCrossing
  int64_t crossing_points = 0;
  int32_t trigger_event = 0;     // Event: EventType index; otherwise -1
  int32_t trigger_segment = -1;  // Entered, Left: Segment index
  int32_t trigger_filter = -1;   // Function index, or -1 for none
  std::vector<int32_t> exit_events;
  std::vector<ConditionalExit> conditional_exits;
  Reentry reentry = Reentry::AfterLeaving;
  int64_t reentry_seconds = 0;  // Reentry::After
  // `reentry after 1 month`: in calendar units on the recipient's clock,
  // from the previous entry (reentry_seconds is then 0); 0 for none.
  int64_t reentry_calendar = 0;
  CalendarUnit reentry_unit{};
  // Share of entrants held out, in kDecimalScale units of one percent.
  int64_t holdout = 0;
  std::vector<Goal> goals;
  int32_t entry = -1;  // first Step index, -1 for an empty journey
  std::vector<Step> steps;
  // The instance keeps its trigger event's record as its locals; -1 (no
  // locals) for a segment trigger.
  int32_t locals_event = 0;
  int32_t policy = -1;  // index into Program::policies; -1: none
};

// The items of a long `in [...]` list written out in literals, sorted and
// without duplicates, which `InSet` looks a value up in by halving. Built
// by `MakeWordSet` and `MakeStringSet` (compiler/ir/lists.h).
struct ConstSet {
  // String, or a one-word type other than Money: the type `InSet` compares
  // as, and whose words (for strings, bytes) make two values equal.
  Type type = Type::Int;
  // A one-word type: the items, ascending as signed words. String: where
  // each item starts in `bytes`, in ascending order of the items' bytes
  // (as unsigned chars, a prefix first), then `bytes.size()`: one word
  // more than there are items.
  std::vector<int64_t> words;
  std::string bytes;  // String: the items' bytes, one after the other
};

// How many items `set` holds.
int64_t ConstSetSize(const ConstSet& set);

struct Program {
  std::string module;
  std::vector<std::string> strings;
  std::vector<ConstSet> const_sets;  // what `InSet` instructions look in
  std::vector<Function> functions;
  std::vector<EventType> events;
  std::vector<Field> profile;  // declared attributes
  std::vector<Aggregate> aggregates;
  std::vector<Segment> segments;
  std::vector<Journey> journeys;
  std::vector<Policy> policies;
  std::vector<LoyaltyProgram> loyalty;  // compiler/ir/loyalty.h
  // First of the hidden Bool words `consent(channel)` reads, one per
  // channel of ConsentChannels(), kept by the runtime from its consent
  // ledger; -1 when no expression reads consent.
  int32_t consent_offset = -1;
  int32_t profile_words = 0;  // attributes + aggregates + segments
  // The profile attribute of type `tz` that local times are read in, or -1
  // for none (then every recipient is in UTC).
  int32_t timezone_attribute = -1;

  // Dependency tables, derived by `AnalyzeDependencies`.
  // aggregates_by_event[e] lists the aggregates event type `e` updates.
  std::vector<std::vector<int32_t>> aggregates_by_event;
  // segments_by_event[e] lists the segments an event of type `e` can
  // change: those reading one of its aggregates or the clock.
  std::vector<std::vector<int32_t>> segments_by_event;
  // The segments a profile's attributes or the clock can change, which an
  // `identify` recomputes.
  std::vector<int32_t> segments_on_identify;
  // The segments that read the clock or a windowed aggregate: time alone
  // can change them, so a profile re-check recomputes them.
  std::vector<int32_t> time_dependent_segments;
};

// Words `aggregate` takes in the profile record.
int32_t AggregateWords(const Program& program, const Aggregate& aggregate);

// The record type of a journey's locals: its trigger event's, or an empty
// one for a journey started by a segment.
const EventType& LocalsType(const Program& program, const Journey& journey);

// Fills the derived tables of `program`.
void AnalyzeDependencies(Program& program);

// Checks the structural invariants (operands defined before use, operand
// types, offsets within records, step indices in range). Returns an empty
// string when valid, otherwise a description of the first violation.
std::string Verify(const Program& program);

// Deterministic text form, used by `parcours build --emit ir` and golden
// tests.
std::string Dump(const Program& program);

}  // namespace parcours::ir
