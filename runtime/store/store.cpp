#include "runtime/store/store.h"

#include <date/tz.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "runtime/ingest/json_value.h"
#include "runtime/ingest/values.h"
#include "runtime/store/history.h"
#include "runtime/store/journey_state.h"
#include "runtime/store/loyalty_tables.h"
#include "runtime/store/pending_rows.h"
#include "runtime/store/policy_tables.h"
#include "runtime/store/row_text.h"
#include "runtime/store/value_json.h"

namespace parcours::store {

namespace {

using common::Expected;
using common::Status;
using ingest::JsonValue;

// kMigrations[v] turns a file of schema v into one of schema v + 1; an
// empty file has schema 0.
constexpr const char* kMigrations[] = {
    R"sql(
      CREATE TABLE meta(key TEXT PRIMARY KEY, value);
      CREATE TABLE profiles(
        id TEXT PRIMARY KEY,
        attrs TEXT NOT NULL,
        aggregates TEXT NOT NULL,
        segments TEXT NOT NULL);
      CREATE TABLE instances(
        profile TEXT NOT NULL,
        journey TEXT NOT NULL,
        seq INTEGER NOT NULL,
        step INTEGER NOT NULL,
        step_name TEXT NOT NULL,
        wake_at INTEGER,
        entered_at INTEGER NOT NULL,
        locals TEXT NOT NULL,
        PRIMARY KEY(profile, journey));
      CREATE TABLE processed(message_id TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE outbox(
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        line TEXT NOT NULL);
      CREATE TABLE log(
        at TEXT NOT NULL,
        level TEXT NOT NULL,
        component TEXT NOT NULL,
        profile TEXT,
        journey TEXT,
        step TEXT,
        message TEXT NOT NULL);
    )sql",
    R"sql(
      CREATE TABLE dead_letters(key TEXT PRIMARY KEY) WITHOUT ROWID;
    )sql",
    // Journey rules: when each profile last entered each journey (for
    // `reentry`), and the event a `wait for ... as x` received.
    R"sql(
      ALTER TABLE profiles ADD COLUMN entries TEXT NOT NULL DEFAULT '{}';
      ALTER TABLE instances ADD COLUMN arrived TEXT;
    )sql",
    // The events each profile keeps for its windowed aggregates, as JSON
    // by event name; a profile with none has no row.
    R"sql(
      CREATE TABLE history(
        profile TEXT PRIMARY KEY,
        events TEXT NOT NULL) WITHOUT ROWID;
    )sql",
    // Pressure policies (runtime/store/policy_ledger.h, docs/policy.md).
    R"sql(
      CREATE TABLE contacts(
        profile TEXT NOT NULL,
        at INTEGER NOT NULL,
        channel TEXT NOT NULL);
      CREATE INDEX contacts_by_profile ON contacts(profile, at);
      CREATE TABLE deferrals(
        profile TEXT NOT NULL,
        journey TEXT NOT NULL,
        since INTEGER NOT NULL,
        PRIMARY KEY(profile, journey));
      CREATE TABLE decisions(
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        profile TEXT NOT NULL,
        journey TEXT NOT NULL,
        step TEXT NOT NULL,
        channel TEXT NOT NULL,
        template TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        rule TEXT NOT NULL,
        rule_text TEXT NOT NULL,
        until INTEGER);
      CREATE INDEX decisions_by_profile ON decisions(profile, seq);
      CREATE TABLE consent_ledger(
        seq INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        purpose TEXT NOT NULL,
        granted INTEGER NOT NULL,
        source TEXT NOT NULL,
        context TEXT NOT NULL);
      CREATE INDEX consent_by_profile ON consent_ledger(profile, seq);
    )sql",
    // The category of each contact, so that a cap skips what its policy
    // exempts whichever journey sent it; older contacts were counted.
    R"sql(
      ALTER TABLE contacts ADD COLUMN category TEXT NOT NULL
        DEFAULT 'marketing';
    )sql",
    // Loyalty programs (runtime/store/loyalty_tables.h): each program's
    // terms, and per member its account, its lots and its ledger rows,
    // which are only appended.
    R"sql(
      CREATE TABLE loyalty_programs(
        name TEXT PRIMARY KEY,
        currency TEXT NOT NULL,
        value_per_point INTEGER NOT NULL,
        breakage INTEGER NOT NULL,
        tiers TEXT NOT NULL);
      CREATE TABLE loyalty_members(
        profile TEXT NOT NULL,
        program TEXT NOT NULL,
        held INTEGER NOT NULL,
        owed INTEGER NOT NULL,
        tier TEXT,
        tier_since INTEGER NOT NULL,
        noticed_through_lot INTEGER NOT NULL,
        last_earned_on TEXT NOT NULL,
        PRIMARY KEY(profile, program));
      CREATE TABLE loyalty_lots(
        profile TEXT NOT NULL,
        program TEXT NOT NULL,
        lot INTEGER NOT NULL,
        earned_at INTEGER NOT NULL,
        expires_at INTEGER,
        earned INTEGER NOT NULL,
        refunded INTEGER NOT NULL,
        qualifying INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY(profile, program, lot));
      CREATE TABLE loyalty_ledger(
        profile TEXT NOT NULL,
        program TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        points INTEGER NOT NULL,
        lot INTEGER NOT NULL,
        lot_delta INTEGER NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY(profile, program, seq));
      CREATE TABLE loyalty_tiers(
        profile TEXT NOT NULL,
        program TEXT NOT NULL,
        at INTEGER NOT NULL,
        tier TEXT);
      CREATE INDEX loyalty_tiers_by_member ON loyalty_tiers(profile, program);
    )sql",
    // The keys of applied events as append-only chunks, one row per save
    // holding that save's keys as a JSON array of strings, instead of one
    // entry per key in a B-tree: random keys dirtied most of the tree's
    // pages in every commit. Lookups are the loaded `KeySet`'s; the view
    // keeps `processed(message_id)` queryable as before. The rows already
    // there move in chunks of 10,000.
    R"sql(
      CREATE TABLE processed_chunks(
        chunk INTEGER PRIMARY KEY,
        ids TEXT NOT NULL);
      INSERT INTO processed_chunks(ids)
        SELECT json_group_array(message_id) FROM (
          SELECT message_id, (row_number() OVER () - 1) / 10000 AS part
          FROM processed)
        GROUP BY part ORDER BY part;
      DROP TABLE processed;
      CREATE VIEW processed(message_id) AS
        SELECT json_each.value
        FROM processed_chunks, json_each(processed_chunks.ids);
    )sql",
    // Profile, history and instance rows a batch's save defers, one blob
    // per save (runtime/store/pending_rows.h).
    R"sql(
      CREATE TABLE pending_rows(
        batch INTEGER PRIMARY KEY,
        rows BLOB NOT NULL);
    )sql",
    // Whether a decision was made late, at a restart after the message
    // fell due while no live run was up: 0 for the rows already there,
    // which only the detail text told apart.
    R"sql(
      ALTER TABLE decisions ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
    )sql",
    // The order amount each lot earned on, and how much of it refunds
    // returned, for refunds of part of an order. Lots already there
    // have no amount: a partial refund of one is refused with a message.
    R"sql(
      ALTER TABLE loyalty_lots ADD COLUMN order_amount INTEGER;
      ALTER TABLE loyalty_lots ADD COLUMN order_currency TEXT;
      ALTER TABLE loyalty_lots ADD COLUMN refunded_amount INTEGER NOT NULL
        DEFAULT 0;
    )sql",
    // When each profile's windows next move, so that a restart can leave
    // profiles unread until their first event or timer (`Store::Load`):
    // the index lists the few that have such a time without a scan.
    R"sql(
      ALTER TABLE profiles ADD COLUMN recheck_at INTEGER;
      CREATE INDEX profiles_by_recheck ON profiles(recheck_at, id)
        WHERE recheck_at IS NOT NULL;
    )sql",
    // Whether a lot's points were given with no sale (an award, an `earn
    // ... on` not part of the sale), which the liability report keeps
    // apart. Lots already there count as part of a sale.
    R"sql(
      ALTER TABLE loyalty_lots ADD COLUMN bonus INTEGER NOT NULL DEFAULT 0;
    )sql",
    // The messages holdouts held back that their policy would have let
    // out, counted by the control contacts' own caps only. Empty: the
    // control contacts of older files paced as before until now.
    R"sql(
      CREATE TABLE held_out_contacts(
        profile TEXT NOT NULL,
        at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        category TEXT NOT NULL);
      CREATE INDEX held_out_contacts_by_profile
        ON held_out_contacts(profile, at);
    )sql",
    // When a contact waiting at a `wait for` reached it: events from
    // before answer nothing. Empty for the contacts already waiting, whose
    // step then counts from their entry, as it did when they reached it.
    R"sql(
      ALTER TABLE instances ADD COLUMN waits_since INTEGER;
    )sql",
    // The number of each profile's last instance, which its next one
    // follows (`Profile::last_seq`). Older files did not keep it: their
    // profiles' next numbers follow the highest number of the file
    // (`next_seq` is one past it), as older runs made them. That is
    // mostly below the numbers of the lines still to come, which keep
    // the ids older runs gave them; but a file numbered by one counter
    // (from before numbers came from input lines), or whose last run was
    // live (`--follow` counts no lines), holds numbers above those, and
    // no new instance may take one again, with its action ids.
    R"sql(
      ALTER TABLE profiles ADD COLUMN last_seq INTEGER;
      UPDATE profiles
        SET last_seq = (SELECT value - 1 FROM meta WHERE key = 'next_seq');
    )sql",
    // Each step of the program that last saved, as written, so that the
    // next program's can be compared with it (step_headings.h). Empty
    // until the next save: the contacts of an older file are not checked
    // at its first load.
    R"sql(
      CREATE TABLE steps(
        journey TEXT NOT NULL,
        step TEXT NOT NULL,
        heading TEXT NOT NULL,
        PRIMARY KEY(journey, step)) WITHOUT ROWID;
    )sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion,
              "one migration per schema version");

Status Migrate(Database& db, int64_t from) {
  for (int64_t version = from; version < kSchemaVersion; ++version) {
    Status status = db.Exec("BEGIN IMMEDIATE");
    if (status.ok()) status = db.Exec(kMigrations[version]);
    if (status.ok()) {
      status = db.Exec("PRAGMA user_version = " + std::to_string(version + 1));
    }
    if (status.ok()) status = db.Exec("COMMIT");
    if (!status.ok()) {
      (void)db.Exec("ROLLBACK");
      return status.WithContext("could not create schema " +
                                std::to_string(version + 1));
    }
  }
  return Status::Ok();
}

// Refuses, before anything is written, a file this build must not touch.
// Every message starts with `context`.
Status CheckVersion(Database& db, const std::string& context,
                    int64_t& version) {
  Expected<int64_t> read = db.QueryInt("PRAGMA user_version");
  if (!read.ok()) return read.status().WithContext(context);
  version = *read;
  if (version > kSchemaVersion) {
    return Status::Error(
        context + " was written by a newer Parcours (schema " +
        std::to_string(version) + ", this build understands up to " +
        std::to_string(kSchemaVersion) + "); it was not modified");
  }
  if (version > 0) return Status::Ok();

  // Schema 0 with tables in it is somebody else's database.
  Expected<int64_t> tables = db.QueryInt("SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return tables.status().WithContext(context);
  if (*tables > 0) {
    return Status::Error(context +
                         " is an SQLite database but not a Parcours state "
                         "file; it was not modified");
  }
  return Status::Ok();
}

// What is wrong with a column that must hold a JSON object, to follow
// its name, or "". `value` may hold the tree of an earlier row: the
// reader fills it again without allocating where the shapes match.
std::string ColumnProblem(std::string_view text, JsonValue& value) {
  std::string problem = ingest::ParseJson(text, value);
  if (!problem.empty()) return " is not valid JSON: " + problem;
  if (value.kind != JsonValue::Kind::Object) return " is not a JSON object";
  return "";
}

Status ParseColumn(std::string_view text, const std::string& what,
                   JsonValue& value) {
  std::string problem = ColumnProblem(text, value);
  return problem.empty() ? Status::Ok() : Status::Error(what + problem);
}

void Warn(State& state, const std::string& profile, const std::string& message,
          const std::string& journey = "") {
  LogRow row;
  row.at = state.clock().value_or(0);
  row.level = "warn";
  row.component = "store";
  row.profile = state.KeepPendingText(profile);
  if (!journey.empty()) row.journey = state.KeepPendingText(journey);
  row.message = state.KeepPendingText(message);
  state.Log(row);
}

// The warnings of the `profiles` rows. The rows are read in the order
// they are stored in, a scan without a seek per row; their warnings are
// logged afterwards in the order of the profiles' ids, which does not
// depend on the order the runs so far happened to write them in.
struct ProfileWarning {
  std::string profile;
  std::string message;
};
using ProfileWarnings = std::vector<ProfileWarning>;

void LogInIdOrder(State& state, ProfileWarnings& warnings) {
  std::stable_sort(warnings.begin(), warnings.end(),
                   [](const ProfileWarning& a, const ProfileWarning& b) {
                     return a.profile < b.profile;
                   });
  for (const ProfileWarning& warning : warnings) {
    Warn(state, warning.profile, warning.message);
  }
}

void LoadAttributes(const ir::Program& program, const JsonValue& attrs,
                    Profile& profile, ProfileWarnings& warnings) {
  for (const ir::Field& field : program.profile) {
    const JsonValue* value = attrs.Find(field.name);
    if (value == nullptr) continue;
    std::string problem = DecodeField(*value, field, profile.record);
    if (!problem.empty()) {
      warnings.push_back({profile.id, "stored attribute `" + field.name + "` " +
                                          problem + "; it takes its default"});
    }
  }
}

// `names[i]` is the stored name of the program's aggregate i, worked out
// once per load rather than once per profile.
void LoadAggregates(const ir::Program& program,
                    const std::vector<std::string>& names,
                    const JsonValue& aggregates, Profile& profile,
                    ProfileWarnings& warnings) {
  for (size_t i = 0; i < program.aggregates.size(); ++i) {
    const ir::Aggregate& aggregate = program.aggregates[i];
    const std::string& name = names[i];
    const JsonValue* value = aggregates.Find(name);
    if (value == nullptr) continue;
    std::string problem =
        DecodeAggregate(*value, program, aggregate, profile.record);
    if (!problem.empty()) {
      warnings.push_back({profile.id, "stored aggregate `" + name + "` " +
                                          problem + "; it restarts"});
    }
  }
}

void LoadSegments(const ir::Program& program, const JsonValue& segments,
                  Profile& profile) {
  for (const ir::Segment& segment : program.segments) {
    const JsonValue* value = segments.Find(segment.name);
    if (value == nullptr) continue;
    (void)DecodeSlot(*value, ir::Type::Bool, segment.offset, profile.record);
  }
}

void LoadEntries(const ir::Program& program, const JsonValue& entries,
                 Profile& profile, ProfileWarnings& warnings) {
  for (const std::string& journey : DecodeEntries(program, entries, profile)) {
    warnings.push_back(
        {profile.id,
         "stored entry time of journey `" + journey +
             "` is not a time; the journey counts as never entered"});
  }
}

Status LoadArrived(const ir::Program& program, std::string_view text,
                   Instance& instance, std::vector<FieldProblem>& bad_fields) {
  JsonValue arrived;
  Status status = ParseColumn(text, "received event", arrived);
  if (!status.ok()) return status;
  DecodeArrived(program, arrived, instance, bad_fields);
  return Status::Ok();
}

// Reads the kept events of one profile, {"Event": [{"at": ..., field:
// value, ...}, ...]}. Events of a type the program no longer keeps, and
// entries that do not decode, are dropped with a warning.
void LoadHistory(State& state, const JsonValue& events, Profile& profile) {
  const ir::Program& program = state.program();
  for (const ingest::JsonMember& member : events.members) {
    int32_t type = -1;
    for (size_t e = 0; e < program.events.size(); ++e) {
      if (program.events[e].name == member.key) type = static_cast<int32_t>(e);
    }
    if (type < 0 || program.events[type].history_seconds <= 0 ||
        member.value.kind != JsonValue::Kind::Array) {
      Warn(state, profile.id,
           "stored history of `" + member.key +
               "` is not kept by this program; dropped");
      continue;
    }
    const ir::EventType& event = program.events[type];
    for (const JsonValue& entry : member.value.items) {
      const JsonValue* at = entry.Find("at");
      ingest::TypedValue time;
      std::string problem =
          at == nullptr ? "has no `at`"
                        : ingest::DecodeTyped(*at, ir::Type::Time, time);
      common::Record record(event.record_words);
      for (int32_t index : event.history_fields) {
        if (!problem.empty()) break;
        const ir::Field& field = event.fields[index];
        const JsonValue* value = entry.Find(field.name);
        problem = value == nullptr ? "has no `" + field.name + "`"
                                   : DecodeField(*value, field, record);
      }
      if (!problem.empty()) {
        Warn(state, profile.id,
             "a stored `" + member.key + "` event " + problem + "; dropped");
        continue;
      }
      KeepEvent(program, profile, type, time.word, record, time.word);
    }
  }
}

int32_t FindStep(const ir::Journey& journey, std::string_view name) {
  for (size_t i = 0; i < journey.steps.size(); ++i) {
    if (journey.steps[i].name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

OrderedJson EncodeAttributes(const ir::Program& program,
                             const common::Record& record) {
  OrderedJson attrs = OrderedJson::object();
  for (const ir::Field& field : program.profile) {
    attrs[field.name] = EncodeField(record, field);
  }
  return attrs;
}

OrderedJson EncodeAggregates(const ir::Program& program,
                             const common::Record& record) {
  OrderedJson aggregates = OrderedJson::object();
  for (const ir::Aggregate& aggregate : program.aggregates) {
    aggregates[AggregateName(program, aggregate)] =
        EncodeAggregate(program, aggregate, record);
  }
  return aggregates;
}

OrderedJson EncodeSegments(const ir::Program& program,
                           const common::Record& record) {
  OrderedJson segments = OrderedJson::object();
  for (const ir::Segment& segment : program.segments) {
    segments[segment.name] = record.Get(segment.offset) != 0;
  }
  return segments;
}

OrderedJson EncodeHistory(const ir::Program& program, const Profile& profile) {
  OrderedJson history = OrderedJson::object();
  for (size_t e = 0; e < profile.history.size(); ++e) {
    if (profile.history[e].empty()) continue;
    const ir::EventType& event = program.events[e];
    OrderedJson entries = OrderedJson::array();
    for (const KeptEvent& kept : profile.history[e]) {
      OrderedJson entry = OrderedJson::object();
      entry["at"] = common::FormatTime(kept.at);
      for (int32_t index : event.history_fields) {
        const ir::Field& field = event.fields[index];
        entry[field.name] = EncodeField(kept.record, field);
      }
      entries.push_back(std::move(entry));
    }
    history[event.name] = std::move(entries);
  }
  return history;
}

OrderedJson EncodeLocals(const ir::EventType& event,
                         const common::Record& locals) {
  OrderedJson fields = OrderedJson::object();
  for (const ir::Field& field : event.fields) {
    fields[field.name] = EncodeField(locals, field);
  }
  return fields;
}

// Text columns hold what the program and the input gave; invalid UTF-8
// cannot reach them, but replacing beats failing a save if it ever does.
std::string Dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

// Appends `key` to `out` as a JSON string. Keys are ASCII but for a
// message id with other characters, which is left to the JSON library
// (as valid UTF-8, having come through the event reader).
void AppendKeyJson(std::string_view key, std::string& out) {
  for (char c : key) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      out += Dump(OrderedJson(std::string(key)));
      return;
    }
  }

  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

// `text` must outlive the statement's next run (see `BindBorrowedText`).
void BindTextOrNull(Statement& statement, int index, std::string_view text) {
  if (text.empty()) {
    statement.BindNull(index);
  } else {
    statement.BindBorrowedText(index, text);
  }
}

// Whether the seq of `instances` rises strictly from row to row in rowid
// order. `ORDER BY seq` has no index to use: SQLite copies every row,
// locals and all, into its sorter first (about 0.5 s per million rows),
// where this scan reads one column and stops at the first row out of
// order.
Expected<bool> InstancesStoredInSeqOrder(Database& db) {
  Expected<Statement> select = db.Prepare(
      "SELECT seq, typeof(seq) = 'integer' FROM instances "
      "ORDER BY rowid");
  if (!select.ok()) return select.status();
  bool first = true;
  int64_t last = 0;
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return true;
    // SQLite orders other types by rules of its own; it sorts those.
    if (select->Int(1) == 0) return false;
    int64_t seq = select->Int(0);
    if (!first && seq <= last) return false;
    first = false;
    last = seq;
  }
}

// The JSON trees of a `profiles` row's four columns, read into again row
// after row, and the stored names of the program's aggregates, worked
// out once per load rather than once per profile.
struct ProfileColumns {
  explicit ProfileColumns(const ir::Program& program) {
    for (const ir::Aggregate& aggregate : program.aggregates) {
      aggregate_names.push_back(AggregateName(program, aggregate));
    }
  }
  std::vector<std::string> aggregate_names;
  JsonValue attrs, aggregates, segments, entries;
};

// Fills `profile`, which holds the default record, from the attrs,
// aggregates, segments and entries columns of the row `select` stands
// on, `first` being the attrs column.
Status ReadProfileColumns(const ir::Program& program, Statement& select,
                          int first, ProfileColumns& trees, Profile& profile,
                          ProfileWarnings& warnings) {
  const std::pair<const char*, JsonValue*> columns[] = {
      {" attrs", &trees.attrs},
      {" aggregates", &trees.aggregates},
      {" segments", &trees.segments},
      {" entries", &trees.entries},
  };
  for (int column = 0; column < 4; ++column) {
    const auto& [name, tree] = columns[column];
    std::string problem = ColumnProblem(select.TextView(first + column), *tree);
    if (!problem.empty()) {
      return Status::Error("profile `" + profile.id + "`" + name + problem);
    }
  }

  LoadEntries(program, trees.entries, profile, warnings);
  LoadAttributes(program, trees.attrs, profile, warnings);
  LoadAggregates(program, trees.aggregate_names, trees.aggregates, profile,
                 warnings);
  LoadSegments(program, trees.segments, profile);
  return Status::Ok();
}

// The waiting instances as read from their table, before they join their
// profiles. They are read on a thread of their own, with a connection of
// their own, while the profiles load (see `Store::Load`); nothing here
// touches the state.
struct ReadInstances {
  struct Loaded {
    std::string profile;
    uint64_t profile_hash = 0;  // `ProfileIndex::Hash`, off the caller
    std::unique_ptr<Instance> instance;
  };
  struct Warning {
    std::string profile;
    std::string message;
    bool unloaded = false;     // the instance was left in the file
    std::string journey = "";  // for the log's column; empty: none
    int64_t seq = 0;           // the instance's, for the warnings' order
  };
  std::vector<Loaded> loaded;     // in seq order
  std::vector<Warning> warnings;  // in seq order
  int64_t highest_seq = INT64_MIN;
  Status status;

  // A lazy load attaches the instances while the reader goes on: the
  // reader hands them over in chunks (`HandOff`), the caller takes them
  // (`TakeChunk`). Null: they stay in `loaded`, for the end.
  struct Handoff {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::vector<Loaded>> chunks;
    bool done = false;
    int64_t handed = 0;  // instances handed over so far
  };
  Handoff* handoff = nullptr;
};

constexpr size_t kHandoffChunk = 16'384;

// Hands what `read.loaded` holds to the caller; with `last`, says that no
// more will come.
void HandOff(ReadInstances& read, bool last) {
  ReadInstances::Handoff& handoff = *read.handoff;
  {
    std::lock_guard<std::mutex> lock(handoff.mutex);
    handoff.handed += static_cast<int64_t>(read.loaded.size());
    if (!read.loaded.empty()) handoff.chunks.push_back(std::move(read.loaded));
    handoff.done = last;
  }
  handoff.ready.notify_one();
  read.loaded.clear();  // moved from: valid, emptied here
  if (!last) read.loaded.reserve(kHandoffChunk);
}

// The next chunk the reader handed over; empty once it is done.
std::vector<ReadInstances::Loaded> TakeChunk(ReadInstances::Handoff& handoff) {
  std::unique_lock<std::mutex> lock(handoff.mutex);
  handoff.ready.wait(lock,
                     [&] { return !handoff.chunks.empty() || handoff.done; });
  if (handoff.chunks.empty()) return {};
  std::vector<ReadInstances::Loaded> chunk = std::move(handoff.chunks.front());
  handoff.chunks.pop_front();
  return chunk;
}

// Decodes an instance's stored locals, `text`, into its record, sized
// for its journey. A field whose type the program changed since the save
// takes its default, as a profile attribute does, and says so in
// `warnings`: a message would otherwise carry the default without a word.
Status DecodeLocals(const ir::Program& program, std::string_view text,
                    const std::string& profile_id, JsonValue& tree,
                    Instance& instance,
                    std::vector<ReadInstances::Warning>& warnings) {
  const ir::Journey& definition = program.journeys[instance.journey];
  const ir::EventType& locals_type = ir::LocalsType(program, definition);
  instance.locals = common::Record(locals_type.record_words);
  Status status = ParseColumn(text, "instance locals", tree);
  if (!status.ok()) return status.WithContext("profile `" + profile_id + "`");
  for (const ir::Field& field : locals_type.fields) {
    const JsonValue* value = tree.Find(field.name);
    if (value == nullptr) continue;
    std::string problem = DecodeField(*value, field, instance.locals);
    if (!problem.empty()) {
      warnings.push_back({profile_id,
                          "stored field `" + field.name +
                              "` of the event that started journey `" +
                              definition.name + "` " + problem +
                              "; it takes its default",
                          false, definition.name, instance.seq});
    }
  }
  return Status::Ok();
}

// Where a step of `journey` has the heading `step_name` had when the
// state was saved: "; the step it was, `wait 60d`, is named `nudge` now:
// label it `reminder:` to load them". Empty when none has.
std::string RenamedStepHint(const ir::Journey& journey,
                            std::string_view step_name,
                            const StepHeadings& stored_steps) {
  auto stored = stored_steps.find({journey.name, std::string(step_name)});
  if (stored == stored_steps.end()) return "";
  std::string names;
  for (const ir::Step& step : journey.steps) {
    if (step.heading != stored->second) continue;
    names += (names.empty() ? "`" : " or `") + step.name + "`";
  }
  if (names.empty()) return "";
  return "; the step it was, `" + stored->second + "`, is named " + names +
         " now: label it `" + std::string(step_name) + ":` to load them";
}

// Reads the `instances` rows of `db` into `read`, as the serial load
// applied them: in the order of their seq, which their warnings follow.
// With `cold`, for a lazy load, the locals are left unread (the profile's
// warming reads them) and the rows are read in stored order, which the
// timers do not depend on; only the warnings are put in seq order.
void ReadInstanceRows(Database& db, const ir::Program& program,
                      const StepHeadings& stored_steps, ReadInstances& read,
                      bool cold = false) {
  std::unordered_map<std::string_view, int32_t> journeys;
  for (size_t i = 0; i < program.journeys.size(); ++i) {
    journeys.emplace(program.journeys[i].name, static_cast<int32_t>(i));
  }

  // When the rows are stored in seq order, as a save of new instances
  // leaves them, reading them by rowid gives it without a sort.
  Expected<bool> stored_in_order =
      cold ? Expected<bool>(true) : InstancesStoredInSeqOrder(db);
  if (!stored_in_order.ok()) {
    read.status = stored_in_order.status();
    return;
  }
  Expected<int64_t> count = db.QueryInt("SELECT count(*) FROM instances");
  if (!count.ok()) {
    read.status = count.status();
    return;
  }
  read.loaded.reserve(read.handoff != nullptr ? kHandoffChunk
                                              : static_cast<size_t>(*count));

  Expected<Statement> select = db.Prepare(
      std::string("SELECT profile, journey, seq, step_name, wake_at, "
                  "entered_at, arrived, waits_since") +
      (cold ? "" : ", locals") + " FROM instances ORDER BY " +
      (*stored_in_order ? "rowid" : "seq"));
  if (!select.ok()) {
    read.status = select.status();
    return;
  }
  JsonValue locals;  // read into again row after row
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) {
      read.status = row.status();
      return;
    }
    if (!*row) break;

    std::string profile_id = select->Text(0);
    // Valid until the next step; used only before it.
    std::string_view journey_name = select->TextView(1);
    std::string_view step_name = select->TextView(3);
    int64_t seq = select->Int(2);
    auto journey = journeys.find(journey_name);
    int32_t step = journey == journeys.end()
                       ? -1
                       : FindStep(program.journeys[journey->second], step_name);
    // TODO: an instance whose journey or step the new program lacks stays
    // in the file unloaded; version migration of journeys will move it.
    if (step < 0) {
      std::string where = "waiting contact of journey `" +
                          std::string(journey_name) + "` at step `" +
                          std::string(step_name) + "`: ";
      std::string why =
          journey == journeys.end()
              ? "the program has no journey `" + std::string(journey_name) +
                    "` now"
              : "the journey has no step `" + std::string(step_name) +
                    "` now (renamed or removed)" +
                    RenamedStepHint(program.journeys[journey->second],
                                    step_name, stored_steps);
      read.warnings.push_back({std::move(profile_id),
                               where + why + "; left in the state, not loaded",
                               true, std::string(journey_name), seq});
      continue;
    }

    const ir::Journey& definition = program.journeys[journey->second];
    auto instance = std::make_unique<Instance>();
    instance->journey = journey->second;
    instance->seq = seq;
    instance->step = step;
    if (!select->IsNull(4)) instance->wake_at = select->Int(4);
    instance->entered_at = select->Int(5);
    // Saved by an older version, at a `wait for` it reached then: from the
    // entry, as the older version judged it.
    instance->waits_since =
        select->IsNull(7) ? instance->entered_at : select->Int(7);

    std::vector<ReadInstances::Warning> field_warnings;
    if (!cold) {
      Status status = DecodeLocals(program, select->TextView(8), profile_id,
                                   locals, *instance, field_warnings);
      if (!status.ok()) {
        read.status = status;
        return;
      }
    }

    if (!select->IsNull(6)) {
      std::vector<FieldProblem> bad_fields;
      Status status =
          LoadArrived(program, select->TextView(6), *instance, bad_fields);
      if (!status.ok()) {
        read.status = status.WithContext("profile `" + profile_id + "`");
        return;
      }
      // The same holds for the event a `wait for ... as x` received,
      // which the block it waits in reads as `x`.
      for (const FieldProblem& bad : bad_fields) {
        field_warnings.push_back(
            {profile_id,
             "stored field `" + bad.field + "` of the event `" +
                 program.events[instance->arrived->type].name +
                 "` that journey `" + std::string(journey_name) +
                 "` received by `wait for` " + bad.problem +
                 "; it takes its default",
             false, std::string(journey_name), seq});
      }
    }

    // The block the instance waits in reads the event it received; without
    // it (a changed program, or a damaged row) the steps cannot run.
    int32_t wanted = definition.steps[step].arrived_event;
    int32_t received = instance->arrived ? instance->arrived->type : -1;
    if (wanted != -1 && received != wanted) {
      read.warnings.push_back(
          {std::move(profile_id),
           "instance of journey `" + std::string(journey_name) + "` at step `" +
               std::string(step_name) +
               "` lacks the event its `wait for` received; not loaded",
           true, "", seq});
      continue;
    }

    for (ReadInstances::Warning& warning : field_warnings) {
      read.warnings.push_back(std::move(warning));
    }
    read.highest_seq = std::max(read.highest_seq, instance->seq);
    uint64_t hash = ProfileIndex::Hash(profile_id);
    read.loaded.push_back({std::move(profile_id), hash, std::move(instance)});
    if (read.handoff != nullptr && read.loaded.size() == kHandoffChunk) {
      HandOff(read, false);
    }
  }
  if (cold) {
    std::stable_sort(
        read.warnings.begin(), read.warnings.end(),
        [](const ReadInstances::Warning& a, const ReadInstances::Warning& b) {
          return a.seq < b.seq;
        });
  }
}

// Gives the state what `ReadInstanceRows` read: the warnings first (no
// other row of the log comes between them), then each instance, in seq
// order, in its profile.
// The `meta` key of the fingerprint of the unloaded instances last
// logged: the same ones, met again at the next load, are not logged again
// (the run's summary still counts them), or every run of a program that
// dropped a step would add a row per waiting contact to `log`.
constexpr char kUnloadedLogged[] = "unloaded_logged";

// Puts each instance of `loaded` in its profile; a lazy load (`cold`)
// leaves the profiles it makes cold, row or no row: warming reads what
// there is.
void AttachLoaded(State& state, std::vector<ReadInstances::Loaded>& loaded,
                  bool cold) {
  // Each instance's profile is a lookup at a random place in the index,
  // then in memory: the slots of the instances a few ahead are fetched,
  // and a few after that the profiles in them, so that neither lookup
  // waits for memory (at a million profiles they were a fifth of the
  // load).
  constexpr size_t kAhead = 8;
  const ProfileIndex& index = state.profile_index();
  for (size_t i = 0; i < loaded.size(); ++i) {
    if (i + 2 * kAhead < loaded.size()) {
      index.PrefetchSlot(loaded[i + 2 * kAhead].profile_hash);
    }
    // A lazy load makes most profiles here: there is none to fetch.
    if (!cold && i + kAhead < loaded.size()) {
      index.PrefetchProfile(loaded[i + kAhead].profile_hash);
    }
    const std::string& id = loaded[i].profile;
    uint64_t hash = loaded[i].profile_hash;
    Profile* found = index.Find(id, hash);
    Profile& profile = found != nullptr ? *found
                       : cold           ? state.AdoptColdProfile(id, hash)
                                        : state.FindOrCreateProfile(id, hash);
    state.AdoptInstance(profile, std::move(loaded[i].instance));
  }
  std::vector<ReadInstances::Loaded>().swap(loaded);
}

void AttachInstances(State& state, ReadInstances& read, bool cold) {
  // Each warning's hash folded in order, as FNV folds bytes.
  uint64_t fingerprint = 14695981039346656037ull;
  for (const ReadInstances::Warning& warning : read.warnings) {
    if (!warning.unloaded) continue;
    uint64_t one = common::Fnv1a64(warning.profile + '\x1f' + warning.message);
    fingerprint = (fingerprint ^ one) * 1099511628211ull;
  }
  // `meta` holds no number below zero.
  auto logged = static_cast<int64_t>(fingerprint >> 1);
  auto before = state.run_meta().find(kUnloadedLogged);
  bool known = before != state.run_meta().end() && before->second == logged;
  for (const ReadInstances::Warning& warning : read.warnings) {
    if (warning.unloaded) state.CountUnloadedInstance();
    if (warning.unloaded && known) continue;
    Warn(state, warning.profile, warning.message, warning.journey);
  }
  if (state.unloaded_instances() > 0) {
    state.run_meta()[kUnloadedLogged] = logged;
  } else {
    state.run_meta().erase(kUnloadedLogged);
  }

  // Sequence numbers stay unique even if `meta` lags behind the rows.
  if (read.highest_seq != INT64_MIN && read.highest_seq >= state.next_seq()) {
    state.set_next_seq(read.highest_seq + 1);
  }
  AttachLoaded(state, read.loaded, cold);
}

// A device or a pipe named as the state (`--state /dev/null`): a run
// failed with "disk I/O error" after making a lock file beside it (in
// /dev), a report said "no such table", and reading a named pipe waited
// for ever. A path that does not exist yet is fine.
Status RefuseDeviceOrPipe(const std::string& path, const std::string& context) {
  if (!IsDeviceOrPipe(path)) return Status::Ok();
  return Status::Error(context +
                       " is not a file but a device or a pipe; name a state "
                       "file, such as state.db");
}

// The `meta` key of the fingerprint of the program and time zone rules
// that worked out the profiles' `recheck_at`; absent while some may be
// another program's.
constexpr char kRechecksFor[] = "rechecks_for";

// Raised when the engine changes how it works out a re-check time, so
// that times a build before saved are worked out again.
constexpr char kRecheckRules[] = "2";  // 2: `exit when` crossings

// What a profile's re-check time depends on besides the profile: the
// program (its windows, segments, schedules and loyalty terms) and the
// time zone rules, which move local schedules. As `meta` holds it: a
// whole number at or above zero.
int64_t RecheckFingerprint(const ir::Program& program) {
  std::string text = ir::Dump(program);
  text += '\x1f';
  text += date::get_tzdb().version;
  text += '\x1f';
  text += kRecheckRules;
  return static_cast<int64_t>(common::Fnv1a64(text) >> 1);
}

// How many profiles a state must hold for a load to leave them unread
// until needed: below it the whole state is read, so that a damaged row
// is reported at once. `PARCOURS_LAZY_LOAD_FROM` changes it (0: always).
int64_t LazyLoadFrom() {
  constexpr int64_t kDefault = 100'000;
  const char* text = std::getenv("PARCOURS_LAZY_LOAD_FROM");
  if (text == nullptr) return kDefault;
  int64_t value = 0;
  std::string_view view(text);
  auto [end, error] =
      std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc() || end != view.data() + view.size() || value < 0) {
    return kDefault;
  }
  return value;
}

// What every refusal of an edited or damaged `meta` ends with: the run
// cannot tell which value the row should hold.
constexpr char kRestoreFromBackup[] =
    " (the file was edited or damaged; restore it from a backup)";

// The `meta` rows every save has written (`Store::WriteMeta`) since the
// first version, in one transaction: a file a run has saved holds all
// four, `clock` empty only until an event or `--until` sets it. Without
// them a run would start afresh on a state that is not: without
// `outbox_delivered` it sent the whole outbox again, without `clock` it
// restarted the clock at its next line.
constexpr const char* kSavedCounters[] = {"clock", "next_seq", "applied_line",
                                          "outbox_delivered"};

// The value of `meta` row `key`, written as `text`, or why the row cannot
// be one the runtime wrote.
Expected<int64_t> ReadMetaValue(const std::string& key,
                                const std::string& text) {
  // The counters are written as integers. Read as one, a value edited
  // into text or a fraction would quietly become another number (`abc`
  // a clock in 1970, which sends every later line to the dead letters).
  int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() ||
      end != text.data() + text.size()) {
    return Status::Error("`meta` row `" + key + "` holds `" + text +
                         "`, not a whole number" + kRestoreFromBackup);
  }
  // Every other counter is a count or a place in a file: one below
  // zero would, for `outbox_delivered`, send delivered actions again.
  if (key != "clock" && value < 0) {
    return Status::Error("`meta` row `" + key + "` holds " + text +
                         ", below zero" + kRestoreFromBackup);
  }
  if (key == "clock" &&
      (value < common::kEarliestTime || value > common::kLatestTime)) {
    return Status::Error(
        "`meta` row `clock` holds " + text + ", a time outside " +
        common::FormatTime(common::kEarliestTime) + " to " +
        common::FormatTime(common::kLatestTime) + kRestoreFromBackup);
  }
  return value;
}

// "`meta` lacks the row `a`" or "`meta` lacks the rows `a` and `b`".
std::string MissingMetaRows(const std::vector<std::string>& keys) {
  std::string names;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) names += i + 1 == keys.size() ? " and " : ", ";
    names += "`" + keys[i] + "`";
  }
  return std::string("`meta` lacks the row") + (keys.size() == 1 ? " " : "s ") +
         names;
}

// Whether `db` holds what only a saved run leaves: profiles, waiting
// contacts, actions or the ids of applied events. A file with none of
// them may have no `meta` rows yet (created, then the run stopped).
Expected<bool> HoldsSavedRows(Database& db) {
  Expected<int64_t> holds = db.QueryInt(
      "SELECT EXISTS(SELECT 1 FROM profiles) OR "
      "EXISTS(SELECT 1 FROM instances) OR EXISTS(SELECT 1 FROM outbox) OR "
      "EXISTS(SELECT 1 FROM processed_chunks)");
  if (!holds.ok()) return holds.status();
  return *holds != 0;
}

// The time of the newest action in the outbox, if it has one whose time
// reads. Every action is decided at or before the clock saved with it.
Expected<std::optional<int64_t>> NewestActionTime(Database& db) {
  Expected<Statement> select =
      db.Prepare("SELECT line FROM outbox ORDER BY seq DESC LIMIT 1");
  if (!select.ok()) return select.status();
  Expected<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<int64_t>();

  // A line that does not read is the sink's to judge, as it always was.
  JsonValue line;
  if (!ingest::ParseJson(select->TextView(0), line).empty()) {
    return std::optional<int64_t>();
  }
  const JsonValue* at = line.Find("at");
  if (at == nullptr || at->kind != JsonValue::Kind::String) {
    return std::optional<int64_t>();
  }
  return common::ParseTime(at->text);
}

}  // namespace

Expected<Database> OpenStateForReading(const std::string& path) {
  std::string context = "state file `" + path + "`";
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    // The commands that take a `--partitions` folder resolve it to its
    // files first: one reaching here was given a folder inside one.
    return Status::Error("`" + path +
                         "` is a folder, not a state file (p-0000.db, ...)");
  }
  Status refusal = RefuseDeviceOrPipe(path, context);
  if (!refusal.ok()) return refusal;
  Expected<Database> db = Database::OpenForReport(path);
  if (!db.ok()) return db.status().WithContext(context);
  int64_t version = 0;
  Status status = CheckVersion(*db, context, version);
  if (!status.ok()) return status;
  return db;
}

Store::Store(std::string path, FileLock lock, Database db)
    : path_(std::move(path)), lock_(std::move(lock)), db_(std::move(db)) {}

std::string Store::Context() const { return "state file `" + path_ + "`"; }

Expected<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  std::string context = "state file `" + path + "`";
  if (path.empty()) return Status::Error("no state file given");
  Status refusal = RefuseDeviceOrPipe(path, context);
  if (!refusal.ok()) return refusal;

  // The lock comes first: a second run must not so much as migrate the
  // file under the first.
  bool busy = false;
  // The lock file sits next to the real state file, so that two names for
  // one file (a symlink, `./x.db` and `x.db`) share one lock.
  std::error_code code;
  std::filesystem::path real = std::filesystem::weakly_canonical(path, code);
  std::string lock_path = (code ? path : real.string()) + ".lock";
  Expected<FileLock> lock = FileLock::Acquire(lock_path, busy);
  if (busy) return Status::Error(context + " is in use by another run");
  if (!lock.ok()) return lock.status().WithContext(context);

  Expected<Database> db = Database::Open(path);
  if (!db.ok()) return db.status().WithContext(context);

  // SQLite opens a file it may not write read-only without a word, and
  // the run would fail at its first commit, with a batch decided and not
  // saved. Before anything is read (which would leave side files behind):
  if (sqlite3_db_readonly(db->handle(), "main") == 1) {
    return Status::Error(
        context +
        " cannot be written: a run saves its progress there. Give this "
        "user write access to it (and to its folder, for SQLite's side "
        "files), or run on a copy; `parcours report` and `explain` can "
        "read it as it is");
  }

  int64_t version = 0;
  Status status = CheckVersion(*db, context, version);
  if (!status.ok()) return status;

  // Only now, with the file known to be ours, may anything be written.
  status = db->Exec("PRAGMA journal_mode = WAL");
  if (status.ok()) status = db->Exec("PRAGMA synchronous = NORMAL");
  if (status.ok()) status = db->Exec("PRAGMA busy_timeout = 5000");
  // A batch rewrites pages all over the file (profiles, keys, log); with
  // SQLite's default 2 MB of cache it spilled them mid-transaction.
  if (status.ok()) status = db->Exec("PRAGMA cache_size = -65536");
  // Checkpoints every 10,000 pages (40 MB) of log rather than 1,000: a
  // page rewritten by several commits in between is copied back once.
  // The `Checkpointer` installed below takes them over when it can.
  if (status.ok()) {
    status = db->Exec("PRAGMA wal_autocheckpoint = " +
                      std::to_string(kCheckpointPages));
  }
  if (status.ok()) status = Migrate(*db, version);
  if (!status.ok()) return status.WithContext(context);

  std::unique_ptr<Store> store(
      new Store(path, std::move(*lock), std::move(*db)));
  status = store->PrepareStatements();
  if (!status.ok()) return status.WithContext(context);

  Expected<std::unique_ptr<Checkpointer>> checkpointer =
      Checkpointer::Start(path, kCheckpointPages);
  if (checkpointer.ok()) {
    store->checkpointer_ = std::move(*checkpointer);
    store->checkpointer_->Install(store->db_.handle());
  }
  return store;
}

Status Store::PrepareStatements() {
  // The log's insert of one row, and of kLogRowsPerInsert rows.
  std::string log_sql =
      "INSERT INTO log(at, level, component, profile, journey, step, "
      "message) VALUES";
  std::string log_rows_sql = log_sql;
  for (int row = 0; row < kLogRowsPerInsert; ++row) {
    std::string values = "(";
    for (int column = 1; column <= kLogColumns; ++column) {
      if (column > 1) values += ", ";
      values += "?" + std::to_string(row * kLogColumns + column);
    }
    values += ")";
    if (row == 0) log_sql += values;
    log_rows_sql += (row == 0 ? "" : ", ") + values;
  }

  struct Wanted {
    Statement* statement;
    const char* sql;
  };
  const Wanted wanted[] = {
      {&upsert_profile_,
       "INSERT INTO profiles(id, attrs, aggregates, segments, entries, "
       "recheck_at, last_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
       "ON CONFLICT(id) DO UPDATE "
       "SET attrs = excluded.attrs, aggregates = excluded.aggregates, "
       "segments = excluded.segments, entries = excluded.entries, "
       "recheck_at = excluded.recheck_at, "
       "last_seq = coalesce(excluded.last_seq, last_seq)"},
      {&upsert_history_,
       "INSERT INTO history(profile, events) VALUES(?1, ?2) "
       "ON CONFLICT(profile) DO UPDATE SET events = excluded.events"},
      {&upsert_instance_,
       "INSERT OR REPLACE INTO instances(profile, journey, seq, step, "
       "step_name, wake_at, entered_at, locals, arrived, waits_since) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
      {&delete_instance_,
       "DELETE FROM instances WHERE profile = ?1 AND journey = ?2"},
      {&insert_processed_chunk_,
       "INSERT INTO processed_chunks(ids) VALUES(?1)"},
      {&insert_pending_rows_, "INSERT INTO pending_rows(rows) VALUES(?1)"},
      {&insert_dead_lettered_,
       "INSERT OR IGNORE INTO dead_letters(key) VALUES(?1)"},
      {&insert_outbox_, "INSERT INTO outbox(seq, id, line) VALUES(?1, ?2, ?3)"},
      {&insert_log_, log_sql.c_str()},
      {&insert_log_rows_, log_rows_sql.c_str()},
      {&upsert_meta_,
       "INSERT INTO meta(key, value) VALUES(?1, ?2) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value"},
  };
  for (const Wanted& each : wanted) {
    Expected<Statement> prepared = db_.Prepare(each.sql);
    if (!prepared.ok()) return prepared.status();
    *each.statement = std::move(*prepared);
  }
  // Log rows repeat their literals and the program's names, and each row
  // of the insert takes its time from the same buffer every run: binds
  // that would change nothing are skipped.
  insert_log_.KeepBindings();
  insert_log_rows_.KeepBindings();
  return Status::Ok();
}

Status Store::Load(State& state) {
  Status status = ReplayPendingRows();
  if (!status.ok()) return status.WithContext(Context() + ": could not load");
  status = LoadMeta(state);
  if (status.ok()) status = CheckSteps(state);
  if (status.ok()) status = LoadProfilesAndInstances(state);
  if (status.ok()) status = LoadProcessed(state);
  if (status.ok()) status = LoadDeadLettered(state);
  if (status.ok()) status = LoadUndelivered(state);
  if (status.ok()) status = LoadPolicyLedger(db_, state);
  if (status.ok()) status = LoadLoyalty(db_, state);
  if (!status.ok()) return status.WithContext(Context() + ": could not load");

  // What was just read is not a change; only the warnings are new.
  state.ForgetDirtiness();
  if (lazy_) state.set_warmer(this);
  return Status::Ok();
}

Status Store::CheckSteps(State& state) {
  Expected<StepHeadings> stored = ReadStepHeadings(db_);
  if (!stored.ok()) return stored.status();
  stored_steps_ = std::move(*stored);
  // The steps the program no longer has keep their headings: contacts
  // left at them, unloaded, are still those of that heading.
  steps_to_save_ = stored_steps_;
  for (auto& [name, heading] : ProgramStepHeadings(state.program())) {
    steps_to_save_[name] = std::move(heading);
  }
  steps_saved_ = steps_to_save_ == stored_steps_;
  // A file no run has saved since schema 17 has nothing to compare with.
  if (steps_saved_ || stored_steps_.empty()) return Status::Ok();

  Expected<std::vector<ChangedStep>> changed =
      FindChangedSteps(db_, state.program(), stored_steps_);
  if (!changed.ok()) return changed.status();

  // Contacts woken after a step other than theirs would be sent what they
  // had (or skip what they had not): the run stops before any of it.
  std::string moved;
  for (const ChangedStep& step : *changed) {
    if (!step.moved()) continue;
    moved += (moved.empty() ? "" : "; ") + DescribeMovedStep(step);
  }
  if (!moved.empty()) {
    return Status::Error("the program moved waiting contacts to other steps: " +
                         moved + ". No event was read");
  }
  for (ChangedStep& step : *changed) {
    Warn(state, "", DescribeEditedStep(step), step.journey);
    state.AddEditedStep(std::move(step));
  }
  return Status::Ok();
}

Status Store::LoadProfilesAndInstances(State& state) {
  // The profiles' re-check times in the file are this program's when
  // it saved them: then the engine need not work each out again, and a
  // large state may leave its profiles unread until they are needed.
  const ir::Program& program = state.program();
  fingerprint_ = RecheckFingerprint(program);
  bool rechecks_saved = stored_fingerprint_ == fingerprint_;
  Expected<int64_t> count = db_.QueryInt("SELECT count(*) FROM profiles");
  if (!count.ok()) return count.status();
  lazy_ = rechecks_saved && *count >= LazyLoadFrom();
  unread_profiles_ = lazy_ ? *count : 0;

  // The instances are read and parsed on a second thread, with a second
  // connection, while this one loads the profiles and their histories:
  // each is about half of a large load. Without that connection (or with
  // an SQLite built without threads) they are read here afterwards, to
  // the same result.
  ReadInstances instances;
  std::optional<Database> instance_db;
  if (sqlite3_threadsafe() != 0) {
    Expected<Database> opened = Database::OpenReadOnly(path_);
    if (opened.ok()) instance_db.emplace(std::move(*opened));
  }
  // A lazy load puts the instances in their profiles while the rest are
  // read, instead of after: the two steps take about as long.
  ReadInstances::Handoff handoff;
  if (instance_db && lazy_) instances.handoff = &handoff;
  // Joined on every way out, before what it reads into is destroyed.
  std::jthread reader;
  if (instance_db) {
    reader = std::jthread([&] {
      ReadInstanceRows(*instance_db, program, stored_steps_, instances, lazy_);
      if (instances.handoff != nullptr) HandOff(instances, true);
    });
  }

  Status status = lazy_ ? LoadRecheckedProfiles(state)
                        : LoadProfiles(state, rechecks_saved);
  if (status.ok() && !lazy_) status = LoadHistories(state);
  while (status.ok() && instances.handoff != nullptr) {
    std::vector<ReadInstances::Loaded> chunk = TakeChunk(handoff);
    if (chunk.empty()) break;
    AttachLoaded(state, chunk, true);
  }
  if (reader.joinable()) reader.join();
  if (!status.ok()) return status;

  // A second connection that could not read (its own lock or I/O error)
  // must not fail a load the first can do; a damaged row gives the same
  // message here. Once instances were handed over, the error stands.
  if (!instance_db || (!instances.status.ok() && handoff.handed == 0)) {
    instances = ReadInstances{};
    ReadInstanceRows(db_, program, stored_steps_, instances, lazy_);
  }
  if (!instances.status.ok()) return instances.status;
  AttachInstances(state, instances, lazy_);
  // A lazy load makes only cold profiles.
  cold_profiles_ = lazy_ ? state.CountProfiles() : 0;
  state.set_rechecks_current(rechecks_saved || state.CountProfiles() == 0);
  return Status::Ok();
}

Status Store::LoadRecheckedProfiles(State& state) {
  // Room for every profile this load can make, at most one per instance
  // and one per re-check.
  Expected<int64_t> instances = db_.QueryInt("SELECT count(*) FROM instances");
  if (!instances.ok()) return instances.status();
  Expected<int64_t> rechecks = db_.QueryInt(
      "SELECT count(*) FROM profiles INDEXED BY profiles_by_recheck "
      "WHERE recheck_at IS NOT NULL");
  if (!rechecks.ok()) return rechecks.status();
  state.ReserveProfiles(static_cast<size_t>(*instances + *rechecks));

  // The profiles whose windows move at a known time, by the index that
  // lists only them; each stays cold until then, or until its first event
  // or timer.
  Expected<Statement> select = db_.Prepare(
      "SELECT id, recheck_at FROM profiles INDEXED BY profiles_by_recheck "
      "WHERE recheck_at IS NOT NULL");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string id = select->Text(0);
    Profile& profile = state.AdoptColdProfile(id, ProfileIndex::Hash(id));
    state.ScheduleRecheck(profile, select->Int(1));
  }
  return Status::Ok();
}

Status Store::LoadMeta(State& state) {
  Expected<Statement> select = db_.Prepare("SELECT key, value FROM meta");
  if (!select.ok()) return select.status();
  std::set<std::string> keys;
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;

    std::string key = select->Text(0);
    keys.insert(key);
    // Only the clock is ever written empty (before it is first set); an
    // empty counter would read as zero, a fresh start.
    if (select->IsNull(1) && key == "clock") continue;
    if (select->IsNull(1)) {
      return Status::Error("`meta` row `" + key +
                           "` is empty, not a whole number" +
                           kRestoreFromBackup);
    }
    Expected<int64_t> value =
        ReadMetaValue(key, std::string(select->TextView(1)));
    if (!value.ok()) return value.status();

    if (key == kRechecksFor) {
      stored_fingerprint_ = *value;
    } else if (key == "clock") {
      state.set_clock(*value);
    } else if (key == "next_seq") {
      state.set_next_seq(*value);
    } else if (key == "applied_line") {
      state.set_applied_line(*value);
    } else if (key == "outbox_delivered") {
      state.set_delivered_through(*value);
    } else {
      state.run_meta()[key] = *value;
    }
  }
  return CheckSavedCounters(keys, state);
}

Status Store::CheckSavedCounters(const std::set<std::string>& keys,
                                 const State& state) {
  std::vector<std::string> missing;
  for (const char* key : kSavedCounters) {
    if (!keys.contains(key)) missing.push_back(key);
  }
  // Rows lost from a file that saved some: it saved them all at once.
  if (!keys.empty() && !missing.empty()) {
    return Status::Error(MissingMetaRows(missing) +
                         ", which every save writes" + kRestoreFromBackup);
  }

  // No `meta` at all is a file no run saved yet, unless it holds what
  // one left.
  if (!missing.empty()) {
    Expected<bool> saved = HoldsSavedRows(db_);
    if (!saved.ok()) return saved.status();
    if (!*saved) return Status::Ok();
    return Status::Error(MissingMetaRows(missing) +
                         ", though the file holds profiles, actions or "
                         "applied events a run saved" +
                         kRestoreFromBackup);
  }
  if (!state.clock()) return Status::Ok();

  // A clock set back (to 0, 1970) would take every later line for one
  // too far ahead. Only the newest action gives a bound cheaply.
  Expected<std::optional<int64_t>> newest = NewestActionTime(db_);
  if (!newest.ok()) return newest.status();
  if (*newest && **newest > *state.clock()) {
    return Status::Error("`meta` row `clock` holds " +
                         common::FormatTime(*state.clock()) +
                         ", before the newest action in the outbox, at " +
                         common::FormatTime(**newest) + kRestoreFromBackup);
  }
  return Status::Ok();
}

Status Store::LoadProfiles(State& state, bool rechecks_saved) {
  // Sized once, instead of rehashing every profile read so far each time
  // the index doubles.
  Expected<int64_t> count = db_.QueryInt("SELECT count(*) FROM profiles");
  if (!count.ok()) return count.status();
  state.ReserveProfiles(static_cast<size_t>(*count));

  // In the order the rows are stored: `ORDER BY id` walked the id index
  // and sought each row in the table, which took as long again as the
  // scan (docs/performance.md, "The reload after a restart").
  Expected<Statement> select = db_.Prepare(
      "SELECT id, attrs, aggregates, segments, entries, recheck_at, "
      "last_seq FROM profiles");
  if (!select.ok()) return select.status();
  ProfileWarnings warnings;
  const ProfileIndex& index = state.profile_index();
  std::unique_ptr<Profile> waiting;
  uint64_t waiting_hash = 0;
  ProfileColumns columns(state.program());
  // Adopts the profile read a row late: its slot in the index, a cache
  // miss, is fetched while the next row is read.
  auto adopt_waiting = [&] {
    Profile& adopted = state.AdoptProfile(std::move(waiting), waiting_hash);
    // A time saved by another program stays out of the queue; the engine
    // compares it with the one it works out (`ScheduleRecheck`).
    if (rechecks_saved && adopted.recheck_at) {
      state.ScheduleRecheck(adopted, adopted.recheck_at);
    }
  };
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;

    auto profile = std::make_unique<Profile>();
    profile->id = select->Text(0);
    profile->record = state.DefaultRecord();
    Status status = ReadProfileColumns(state.program(), *select, 1, columns,
                                       *profile, warnings);
    if (!status.ok()) return status;
    if (!select->IsNull(5)) profile->recheck_at = select->Int(5);
    if (!select->IsNull(6)) profile->last_seq = select->Int(6);

    if (waiting) adopt_waiting();
    waiting_hash = ProfileIndex::Hash(profile->id);
    index.PrefetchSlot(waiting_hash);
    waiting = std::move(profile);
  }
  if (waiting) adopt_waiting();
  LogInIdOrder(state, warnings);
  return Status::Ok();
}

Status Store::LoadHistories(State& state) {
  Expected<Statement> select =
      db_.Prepare("SELECT profile, events FROM history ORDER BY profile");
  if (!select.ok()) return select.status();
  JsonValue events;  // read into again row after row
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;

    Profile* profile = state.FindProfile(select->Text(0));
    if (profile == nullptr) continue;
    Status status = ParseColumn(
        select->TextView(1), "profile `" + profile->id + "` history", events);
    if (!status.ok()) return status;
    // The engine schedules the profile's next re-check before it runs.
    LoadHistory(state, events, *profile);
  }
  return Status::Ok();
}

Status Store::LoadProcessed(State& state) {
  Expected<Statement> select =
      db_.Prepare("SELECT chunk, ids FROM processed_chunks ORDER BY chunk");
  if (!select.ok()) return select.status();
  // The rows of the save that last moved `applied_through` (see
  // `State::MaybeAppliedLast`), when the state recorded where they start.
  std::optional<int64_t> last_from;
  auto found = state.run_meta().find(kAppliedKeysFrom);
  if (found != state.run_meta().end()) {
    last_from = found->second;
    state.set_knows_last_applied_keys();
  }
  last_chunk_ = 0;
  JsonValue ids;  // read into again chunk after chunk
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;

    int64_t chunk = select->Int(0);
    last_chunk_ = std::max(last_chunk_, chunk);
    bool last_save = last_from && chunk >= *last_from;
    std::string what = "processed_chunks row " + std::to_string(chunk);
    std::string problem = ingest::ParseJson(select->TextView(1), ids);
    if (!problem.empty()) {
      return Status::Error(what + " is not valid JSON: " + problem);
    }
    if (ids.kind != JsonValue::Kind::Array) {
      return Status::Error(what + " is not a JSON array");
    }
    for (const JsonValue& id : ids.items) {
      if (id.kind != JsonValue::Kind::String) {
        return Status::Error(what + " holds a " +
                             std::string(ingest::KindName(id.kind)) +
                             " where a key was expected");
      }
      state.AddProcessed(id.text, false);
      if (last_save) state.AddLastAppliedKey(id.text);
    }
  }
  return Status::Ok();
}

Status Store::LoadDeadLettered(State& state) {
  Expected<Statement> select = db_.Prepare("SELECT key FROM dead_letters");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    state.AddDeadLettered(select->Text(0), false);
  }
  return Status::Ok();
}

Status Store::LoadUndelivered(State& state) {
  Expected<int64_t> last =
      db_.QueryInt("SELECT coalesce(max(seq), 0) FROM outbox");
  if (!last.ok()) return last.status();
  last_outbox_seq_ = *last;

  // Rows committed by an earlier run that stopped before its sink got
  // them; they go out again first (their ids let receivers drop repeats).
  Expected<Statement> select = db_.Prepare(
      "SELECT seq, id, line FROM outbox WHERE seq > ?1 ORDER BY seq");
  if (!select.ok()) return select.status();
  select->BindInt(1, state.delivered_through());
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    state.undelivered().push_back(
        {select->Int(0), select->Text(1), select->Text(2)});
  }
  return Status::Ok();
}

Status Store::Save(State& state, Fold fold) {
  // A profile that could not be read holds defaults: saved, they would
  // replace what the file holds.
  if (!state.warm_status().ok()) return state.warm_status();

  // A failed copy of the log lost nothing, but the log would now grow
  // with every batch; the run stops while it can still be rerun.
  if (checkpointer_ != nullptr) {
    Status copied = checkpointer_->failure();
    if (!copied.ok()) return copied.WithContext(Context());
  }

  int64_t last_outbox_seq = last_outbox_seq_;
  pending_writer_.Clear();
  bool folding =
      fold == Fold::Always || (fold == Fold::WhenDue && FoldIsDue(state));
  Status status = db_.Exec("BEGIN IMMEDIATE");
  if (status.ok()) status = WriteChanges(state, folding);
  if (status.ok()) status = db_.Exec("COMMIT");
  if (!status.ok()) {
    (void)db_.Exec("ROLLBACK");
    last_outbox_seq_ = last_outbox_seq;
    for (OutboxRow& row : state.pending_outbox()) row.seq = 0;
    return status.WithContext(Context() + ": could not save");
  }
  if (folding) {
    state.ClearUnflushed();
    pending_entries_ = 0;
    pending_rows_present_ = false;
  } else {
    state.KeepUnflushed();
    pending_entries_ += pending_writer_.entries();
    pending_rows_present_ = pending_rows_present_ || pending_entries_ > 0;
  }
  MarkLoyaltySaved(state);
  steps_saved_ = true;
  state.ClearChanges();
  return Status::Ok();
}

bool Store::FoldIsDue(const State& state) const {
  // Deferred rows cost the disk space of their blobs and, after a crash,
  // a replay at the next load: at most a few times the tables' own rows.
  // The rows of `profiles` a lazy load has not read yet are the table's
  // rows all the same: counted as a full load counts them, a restart
  // folds as often either way.
  int64_t profiles = state.CountProfiles() - cold_profiles_ +
                     std::max<int64_t>(unread_profiles_, 0);
  int64_t live_rows = profiles + state.CountInstances();
  return pending_entries_ >
         kPendingRowsPerLiveRow * live_rows + kPendingRowsAlwaysAllowed;
}

Status Store::WriteChanges(State& state, bool folding) {
  Status status = folding ? WriteUnflushedRows(state) : WritePendingRows(state);
  if (!status.ok()) return status;

  // The rows below live in `state` until the end of the save, so their
  // text is bound without a copy.
  status = WriteProcessed(state);
  if (status.ok()) status = WriteDeadLettered(state);
  if (status.ok()) status = WriteOutbox(state);
  if (status.ok()) status = WriteLog(state);
  if (status.ok()) status = WritePolicyLedger(db_, state);
  if (status.ok()) status = WriteLoyalty(db_, state);
  if (status.ok() && !steps_saved_) {
    status = WriteStepHeadings(db_, steps_to_save_);
  }
  return status.ok() ? WriteMeta(state) : status;
}

Status Store::WriteDeadLettered(const State& state) {
  for (std::string_view key : state.new_dead_lettered()) {
    insert_dead_lettered_.BindBorrowedText(1, key);
    Status status = insert_dead_lettered_.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status Store::WriteOutbox(State& state) {
  for (OutboxRow& row : state.pending_outbox()) {
    row.seq = ++last_outbox_seq_;
    insert_outbox_.BindInt(1, row.seq);
    insert_outbox_.BindBorrowedText(2, row.id);
    insert_outbox_.BindBorrowedText(3, row.line);
    Status status = insert_outbox_.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status Store::WriteLog(const State& state) {
  const std::deque<LogRow>& rows = state.pending_log();
  size_t done = 0;

  // Most rows go kLogRowsPerInsert at a time: each statement run has a
  // cost of its own (starting and halting the VM, resetting), as large
  // as a small row's insert.
  while (rows.size() - done >= size_t{kLogRowsPerInsert}) {
    for (int i = 0; i < kLogRowsPerInsert; ++i) {
      BindLogRow(insert_log_rows_, i * kLogColumns, rows[done + i],
                 log_at_text_[i]);
    }
    Status status = insert_log_rows_.Run();
    if (!status.ok()) return status;
    done += kLogRowsPerInsert;
  }

  for (; done < rows.size(); ++done) {
    BindLogRow(insert_log_, 0, rows[done], log_at_text_[0]);
    Status status = insert_log_.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// Binds `row` to the parameters after `before`; `at` keeps the text of
// its time until the statement runs.
void Store::BindLogRow(Statement& insert, int before, const LogRow& row,
                       std::string& at) {
  common::AssignTime(row.at, at);
  insert.BindBorrowedText(before + 1, at);
  insert.BindBorrowedText(before + 2, row.level);
  insert.BindBorrowedText(before + 3, row.component);
  BindTextOrNull(insert, before + 4, row.profile);
  BindTextOrNull(insert, before + 5, row.journey);
  BindTextOrNull(insert, before + 6, row.step);
  insert.BindBorrowedText(before + 7, row.message);
}

Status Store::WriteProcessed(const State& state) {
  const std::vector<std::string_view>& ids = state.new_processed();
  if (ids.empty()) return Status::Ok();

  // One row for the whole save, appended at the end of the table.
  std::string& text = chunk_text_;
  text.clear();
  text += '[';
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) text += ',';
    AppendKeyJson(ids[i], text);
  }
  text += ']';
  insert_processed_chunk_.BindBorrowedText(1, text);
  Status status = insert_processed_chunk_.Run();
  // A row without AUTOINCREMENT takes the number after the largest.
  if (status.ok()) ++last_chunk_;
  return status;
}

Status Store::WriteUnflushedRows(State& state) {
  // This save's changes join those of the saves since the last fold, and
  // each changed row is written once, as it is now.
  state.KeepUnflushed();
  for (const Profile* profile : state.unflushed_profiles()) {
    Status status = profile->record_unflushed
                        ? WriteProfile(state, *profile, nullptr)
                        : Status::Ok();
    if (status.ok()) {
      status =
          WriteInstances(state, *profile, profile->instance_unflushed, nullptr);
    }
    if (!status.ok()) return status;
  }
  if (!pending_rows_present_) return Status::Ok();
  return db_.Exec("DELETE FROM pending_rows");
}

Status Store::WritePendingRows(const State& state) {
  for (const Profile* profile : state.dirty_profiles()) {
    Status status = profile->record_dirty
                        ? WriteProfile(state, *profile, &pending_writer_)
                        : Status::Ok();
    if (status.ok()) {
      status = WriteInstances(state, *profile, profile->instance_dirty,
                              &pending_writer_);
    }
    if (!status.ok()) return status;
  }
  if (pending_writer_.entries() == 0) return Status::Ok();
  insert_pending_rows_.BindBorrowedBlob(1, pending_writer_.blob());
  return insert_pending_rows_.Run();
}

Status Store::WriteProfile(const State& state, const Profile& profile,
                           PendingRowWriter* defer) {
  const ir::Program& program = state.program();
  const RowText& row_text = state.row_text();
  // Each column's text straight from the record (runtime/store/row_text.h),
  // or from its tree when that text could differ.
  std::string& attrs = column_text_[0];
  std::string& aggregates = column_text_[1];
  std::string& segments = column_text_[2];
  std::string& entries = column_text_[3];
  for (std::string* text : {&attrs, &aggregates, &segments, &entries}) {
    text->clear();
  }
  if (!row_text.AppendAttributes(profile.record, attrs)) {
    attrs = Dump(EncodeAttributes(program, profile.record));
  }
  if (!row_text.AppendAggregates(profile.record, aggregates)) {
    aggregates = Dump(EncodeAggregates(program, profile.record));
  }
  if (!row_text.AppendSegments(profile.record, segments)) {
    segments = Dump(EncodeSegments(program, profile.record));
  }
  if (!row_text.AppendEntries(profile, entries)) {
    entries = Dump(EncodeEntries(program, profile));
  }
  PendingRow row;
  row.kind = PendingKind::Profile;
  row.texts[0] = profile.id;
  row.texts[1] = attrs;
  row.texts[2] = aggregates;
  row.texts[3] = segments;
  row.texts[4] = entries;
  row.recheck_at = profile.recheck_at;
  row.last_seq = profile.last_seq;
  Status status = WriteRow(row, defer);
  if (!status.ok() || profile.history.empty()) return status;

  std::string events = Dump(EncodeHistory(program, profile));
  row.kind = PendingKind::History;
  row.texts[1] = events;
  return WriteRow(row, defer);
}

Status Store::WriteRow(const PendingRow& row, PendingRowWriter* defer) {
  if (defer != nullptr) {
    defer->Add(row);
    return Status::Ok();
  }
  return RunRow(row);
}

Status Store::RunRow(const PendingRow& row) {
  // The texts live in the caller's row until the statement has run:
  // bound without a copy.
  Statement* statement = nullptr;
  switch (row.kind) {
    case PendingKind::Profile:
    case PendingKind::ProfileWithoutSeq:
    case PendingKind::ProfileWithoutRecheck:
      statement = &upsert_profile_;
      for (int i = 0; i < 5; ++i) {
        statement->BindBorrowedText(i + 1, row.texts[i]);
      }
      statement->BindOptional(6, row.recheck_at);
      // An older blob's row, without it, keeps the one in the table.
      statement->BindOptional(7, row.last_seq);
      break;
    case PendingKind::History:
    case PendingKind::Removed:
      statement = row.kind == PendingKind::History ? &upsert_history_
                                                   : &delete_instance_;
      statement->BindBorrowedText(1, row.texts[0]);
      statement->BindBorrowedText(2, row.texts[1]);
      break;
    case PendingKind::Instance:
    case PendingKind::InstanceWithoutWaitsSince:
      statement = &upsert_instance_;
      statement->BindBorrowedText(1, row.texts[0]);
      statement->BindBorrowedText(2, row.texts[1]);
      statement->BindInt(3, row.seq);
      statement->BindInt(4, row.step);
      statement->BindBorrowedText(5, row.texts[2]);
      statement->BindOptional(6, row.wake_at);
      statement->BindInt(7, row.entered_at);
      statement->BindBorrowedText(8, row.texts[3]);
      if (row.arrived) {
        statement->BindBorrowedText(9, *row.arrived);
      } else {
        statement->BindNull(9);
      }
      statement->BindOptional(10, row.waits_since);
      break;
  }
  return statement->Run();
}

Status Store::WriteInstances(const State& state, const Profile& profile,
                             const JourneyFlags& journeys,
                             PendingRowWriter* defer) {
  const ir::Program& program = state.program();
  for (size_t j = 0; j < journeys.size(); ++j) {
    if (!journeys[j]) continue;
    const ir::Journey& journey = program.journeys[j];
    const Instance* instance =
        j < profile.instances.size() ? profile.instances[j].get() : nullptr;

    PendingRow row;
    row.texts[0] = profile.id;
    row.texts[1] = journey.name;
    if (instance == nullptr) {
      row.kind = PendingKind::Removed;
      Status status = WriteRow(row, defer);
      if (!status.ok()) return status;
      continue;
    }

    PARCOURS_CHECK(instance->step >= 0,
                   "an instance is saved only while it waits at a step");
    const ir::EventType& locals_type = ir::LocalsType(program, journey);
    std::string& locals = column_text_[0];
    locals.clear();
    if (!state.row_text().AppendLocals(locals_type, instance->locals, locals)) {
      locals = Dump(EncodeLocals(locals_type, instance->locals));
    }
    std::string arrived;
    if (instance->arrived != nullptr) {
      arrived = Dump(EncodeArrived(program, *instance));
      row.arrived = arrived;
    }
    row.kind = PendingKind::Instance;
    row.seq = instance->seq;
    row.step = instance->step;
    row.texts[2] = journey.steps[instance->step].name;
    row.wake_at = instance->wake_at;
    row.entered_at = instance->entered_at;
    if (journey.steps[instance->step].kind == ir::StepKind::WaitFor) {
      row.waits_since = instance->waits_since;
    }
    row.texts[3] = locals;
    Status status = WriteRow(row, defer);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status Store::ReplayPendingRows() {
  Expected<int64_t> count = db_.QueryInt("SELECT count(*) FROM pending_rows");
  if (!count.ok()) return count.status();
  if (*count == 0) {
    pending_rows_present_ = false;
    return Status::Ok();
  }

  // A run that stopped without its last fold left these: they go to their
  // tables in the order they were saved, row by row as the saves would
  // have written them, whatever the program now declares.
  Status status = db_.Exec("BEGIN IMMEDIATE");
  if (!status.ok()) return status;
  Expected<Statement> select =
      db_.Prepare("SELECT batch, rows FROM pending_rows ORDER BY batch");
  if (!select.ok()) status = select.status();
  while (status.ok()) {
    Expected<bool> row = select->Step();
    if (!row.ok()) status = row.status();
    if (!status.ok() || !*row) break;
    status = ReplayBlob(select->Int(0), select->BlobView(1));
  }
  if (select.ok()) select->Reset();
  if (status.ok()) status = db_.Exec("DELETE FROM pending_rows");
  if (status.ok()) status = db_.Exec("COMMIT");
  if (!status.ok()) {
    (void)db_.Exec("ROLLBACK");
    return status;
  }
  pending_rows_present_ = false;
  return status;
}

Status Store::ReplayBlob(int64_t batch, std::string_view blob) {
  PendingRowReader reader(blob);
  PendingRow row;
  while (reader.Next(row)) {
    Status status = RunRow(row);
    if (!status.ok()) return status;
  }
  if (reader.error().empty()) return Status::Ok();
  return Status::Error("pending_rows batch " + std::to_string(batch) +
                       " is damaged (" + reader.error() +
                       "); the file was not modified");
}

Status Store::PrepareWarmStatements() {
  if (warm_prepared_) return Status::Ok();
  struct Wanted {
    Statement* statement;
    const char* sql;
  };
  const Wanted wanted[] = {
      {&select_profile_,
       "SELECT attrs, aggregates, segments, entries, last_seq FROM profiles "
       "WHERE id = ?1"},
      {&select_history_, "SELECT events FROM history WHERE profile = ?1"},
      {&select_locals_,
       "SELECT journey, locals FROM instances WHERE profile = ?1"},
      {&profile_exists_, "SELECT 1 FROM profiles WHERE id = ?1"},
      {&begin_read_, "BEGIN"},
      {&end_read_, "COMMIT"},
  };
  for (const Wanted& each : wanted) {
    Expected<Statement> prepared = db_.Prepare(each.sql);
    if (!prepared.ok()) return prepared.status();
    *each.statement = std::move(*prepared);
  }
  warm_prepared_ = true;
  return Status::Ok();
}

Status Store::Warm(State& state, Profile& profile) {
  // Defaults first, so that a failure below leaves a profile the engine
  // can run on until the run stops (`Save` refuses to write it).
  --cold_profiles_;
  const ir::Program& program = state.program();
  profile.record = state.DefaultRecord();
  for (const std::unique_ptr<Instance>& instance : profile.instances) {
    if (instance == nullptr) continue;
    const ir::Journey& journey = program.journeys[instance->journey];
    instance->locals =
        common::Record(ir::LocalsType(program, journey).record_words);
  }

  // One read transaction for the profile's few queries: each query on
  // its own took and dropped SQLite's file lock, which cost more than the
  // reading (outside a save, which never warms, no transaction is open).
  Status status = PrepareWarmStatements();
  bool own_transaction = sqlite3_get_autocommit(db_.handle()) != 0;
  if (status.ok() && own_transaction) status = begin_read_.Run();
  bool found = false;
  if (status.ok()) status = WarmRecord(state, profile, found);
  // A full load reads kept events only for the profiles it read from
  // `profiles`: one it makes for an instance whose profile row is gone
  // starts without them, and so does its warming.
  if (status.ok() && found) status = WarmHistory(state, profile);
  if (status.ok()) status = WarmLocals(state, profile);
  if (status.ok()) {
    status = LoadLoyaltyOf(db_, state, profile, account_readers_);
  }
  if (own_transaction && sqlite3_get_autocommit(db_.handle()) == 0) {
    Status ended = end_read_.Run();
    if (status.ok()) status = ended;
  }
  if (status.ok()) SetConsentWords(state, profile);
  if (status.ok()) return status;
  return status.WithContext(Context() + ": could not read profile `" +
                            profile.id + "` when it was first needed");
}

Status Store::WarmRecord(State& state, Profile& profile, bool& found) {
  select_profile_.BindText(1, profile.id);
  Expected<bool> row = select_profile_.Step();
  if (!row.ok()) return row.status();
  found = *row;
  if (!*row) {
    // An instance whose profile had no row, as a damaged file may hold:
    // the profile holds the defaults, as a full load makes it.
    select_profile_.Reset();
    return Status::Ok();
  }
  --unread_profiles_;
  ProfileColumns columns(state.program());
  ProfileWarnings warnings;
  Status status = ReadProfileColumns(state.program(), select_profile_, 0,
                                     columns, profile, warnings);
  if (!select_profile_.IsNull(4)) profile.last_seq = select_profile_.Int(4);
  select_profile_.Reset();
  if (!status.ok()) return status;
  LogInIdOrder(state, warnings);
  return Status::Ok();
}

Status Store::WarmHistory(State& state, Profile& profile) {
  select_history_.BindText(1, profile.id);
  Expected<bool> row = select_history_.Step();
  if (!row.ok()) return row.status();
  Status status = Status::Ok();
  if (*row) {
    JsonValue events;
    status = ParseColumn(select_history_.TextView(0),
                         "profile `" + profile.id + "` history", events);
    if (status.ok()) LoadHistory(state, events, profile);
  }
  select_history_.Reset();
  return status;
}

Status Store::WarmLocals(State& state, Profile& profile) {
  if (profile.instances.empty()) return Status::Ok();
  const ir::Program& program = state.program();
  select_locals_.BindText(1, profile.id);
  std::vector<ReadInstances::Warning> warnings;
  JsonValue tree;
  Status status = Status::Ok();
  while (status.ok()) {
    Expected<bool> row = select_locals_.Step();
    if (!row.ok()) status = row.status();
    if (!status.ok() || !*row) break;
    // Rows of journeys the program lacks stay unloaded, as at the load.
    std::string_view journey = select_locals_.TextView(0);
    for (const std::unique_ptr<Instance>& instance : profile.instances) {
      if (instance == nullptr ||
          program.journeys[instance->journey].name != journey) {
        continue;
      }
      status = DecodeLocals(program, select_locals_.TextView(1), profile.id,
                            tree, *instance, warnings);
    }
  }
  select_locals_.Reset();
  for (const ReadInstances::Warning& warning : warnings) {
    Warn(state, warning.profile, warning.message, warning.journey);
  }
  return status;
}

void Store::SetConsentWords(State& state, Profile& profile) {
  const ir::Program& program = state.program();
  if (program.consent_offset < 0) return;
  for (const std::string& channel : ir::ConsentChannels()) {
    const ConsentRecord* latest =
        state.policy_ledger().LatestConsent(profile.id, channel);
    if (latest != nullptr) SetConsentWord(program, profile, *latest);
  }
}

Expected<Profile*> Store::Fetch(State& state, const std::string& id,
                                uint64_t hash) {
  // Every row of the file is in memory once as many were read as it held.
  if (unread_profiles_ <= 0) return nullptr;
  Status status = PrepareWarmStatements();
  if (!status.ok()) return status.WithContext(Context());
  profile_exists_.BindText(1, id);
  Expected<bool> row = profile_exists_.Step();
  profile_exists_.Reset();
  if (!row.ok()) {
    return row.status().WithContext(Context() +
                                    ": could not look for "
                                    "profile `" +
                                    id + "`");
  }
  if (!*row) return nullptr;
  state.AdoptColdProfile(id, hash);
  ++cold_profiles_;
  return state.FindProfile(id, hash);
}

Status Store::WarmAll(State& state) {
  Status status = PrepareWarmStatements();
  if (!status.ok()) return status;
  Expected<Statement> select = db_.Prepare("SELECT id FROM profiles");
  if (!select.ok()) return select.status();
  std::vector<std::string> ids;
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ids.push_back(select->Text(0));
  }
  select->Reset();
  for (const std::string& id : ids) (void)state.FindProfile(id);
  return Status::Ok();
}

Status Store::WriteMeta(const State& state) {
  const std::pair<const char*, std::optional<int64_t>> values[] = {
      {"clock", state.clock()},
      {"next_seq", state.next_seq()},
      {"applied_line", state.applied_line()},
      {"outbox_delivered", state.delivered_through()},
  };
  for (const auto& [key, value] : values) {
    upsert_meta_.BindText(1, key);
    upsert_meta_.BindOptional(2, value);
    Status status = upsert_meta_.Run();
    if (!status.ok()) return status;
  }
  for (const auto& [key, value] : state.run_meta()) {
    upsert_meta_.BindText(1, key);
    upsert_meta_.BindInt(2, value);
    Status status = upsert_meta_.Run();
    if (!status.ok()) return status;
  }
  // Vouches for every profile's `recheck_at`, or for none.
  if (!state.rechecks_current() || !fingerprint_) {
    return db_.Exec(std::string("DELETE FROM meta WHERE key = '") +
                    kRechecksFor + "'");
  }
  upsert_meta_.BindText(1, kRechecksFor);
  upsert_meta_.BindInt(2, *fingerprint_);
  return upsert_meta_.Run();
}

}  // namespace parcours::store
