#include "tools/import/importer.h"

#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "runtime/common/hash.h"
#include "runtime/common/time_text.h"
#include "tools/import/exact_decimal.h"
#include "tools/import/json_text.h"

namespace parcours::import {

using Fields = std::vector<std::string>;

namespace {

// "1 row", "2 rows": counts in reasons and the summary read as English.
std::string CountOfRows(int64_t rows, const std::string& kind = "") {
  std::string noun = kind.empty() ? "row" : kind + " row";
  return std::to_string(rows) + " " + noun + (rows == 1 ? "" : "s");
}

// Whether `value` fits a run's decimals and money: 64 bits in millionths.
// A larger total would be written, then refused by every run.
bool FitsEngine(ExactDecimal value) {
  constexpr int kEngineScale = 6;
  ExactDecimal scaled = RoundTo(value, kEngineScale);
  return scaled.units <= std::numeric_limits<int64_t>::max() &&
         scaled.units >= std::numeric_limits<int64_t>::min();
}

}  // namespace

// Rows of one group key, reduced to what the event needs.
struct Group {
  std::string key;
  Fields first_fields;
  int64_t first_line = 0;
  std::string first_raw;
  int64_t rows = 0;
  // One running sum per property, then per identify trait.
  std::vector<ExactDecimal> sums;
  bool dropped = false;
};

// A value that could not be mapped; becomes the reason of a bad row.
struct RowProblem {
  std::string reason;
};

class Conversion {
 public:
  explicit Conversion(Importer& importer)
      : importer_(importer), mapping_(importer.mapping_) {}

  bool Run(std::istream& input) {
    CsvReader reader(input, mapping_.dialect);
    CsvRecord record;
    errno = 0;
    while (reader.Next(record)) {
      if (!Take(record)) return false;
      if (!importer_.out_) return FailWrite();
    }
    importer_.counts_.blank_lines = reader.blank_lines();
    if (reader.failed())
      return Fail("cannot read the input: " + reader.error());
    if (!header_known_) {
      return Fail("the input is empty: not even a header row");
    }
    if (open_group_) Close(*open_group_);
    for (Group& group : scattered_groups_) Close(group);
    errno = 0;
    importer_.out_.flush();
    if (!importer_.out_) return FailWrite();
    return true;
  }

 private:
  bool Fail(std::string error) {
    importer_.error_ = std::move(error);
    return false;
  }

  // The stream keeps no reason of its own; the failed write left it in
  // errno (a full disk, a closed pipe).
  bool FailWrite() {
    importer_.write_failed_ = true;
    std::string why = errno == 0 ? "a write failed" : std::strerror(errno);
    return Fail("cannot write the events: " + why);
  }

  // The header row, or the first data row when the mapping names the
  // columns itself.
  bool TakeHeader(const CsvRecord& record, bool& is_data) {
    header_known_ = true;
    is_data = !mapping_.header;

    // Spreadsheets save "Unicode text" as UTF-16: read as UTF-8, its
    // header shows as "??c?u?s?t..." and every row is bad. Said at once,
    // with the command that converts it.
    if (record.raw.starts_with("\xFF\xFE") ||
        record.raw.starts_with("\xFE\xFF")) {
      return Fail(
          "line 1: the file is UTF-16 (it starts with a UTF-16 "
          "byte-order mark), and only UTF-8 is read; convert it "
          "first, e.g. iconv -f UTF-16 -t UTF-8");
    }

    if (mapping_.header) {
      if (!record.problem.empty()) {
        return Fail("line " + std::to_string(record.line) +
                    ": the header row is malformed: " + record.problem);
      }
      header_ = record.fields;
      if (!mapping_.columns.empty() && header_ != mapping_.columns) {
        return Fail("line " + std::to_string(record.line) +
                    ": the header row differs from the mapping's "
                    "csv.columns");
      }
    } else {
      header_ = mapping_.columns;
    }
    std::string error;
    if (!Resolve(mapping_, header_, &error)) return Fail(error);
    return true;
  }

  bool Take(const CsvRecord& record) {
    if (!header_known_) {
      bool is_data = false;
      if (!TakeHeader(record, is_data)) return false;
      if (!is_data) return true;
    }
    ImportCounts& counts = importer_.counts_;
    ++counts.rows_read;

    if (!record.problem.empty()) {
      Bad(record.line, record.problem, record.raw);
      return true;
    }
    if (record.fields.size() != header_.size()) {
      size_t fields = record.fields.size();
      Bad(record.line,
          "has " + std::to_string(fields) +
              (fields == 1 ? " field" : " fields") + "; the header has " +
              std::to_string(header_.size()),
          record.raw);
      return true;
    }
    std::string problem = CheckCells(record.fields);
    if (!problem.empty()) {
      Bad(record.line, problem, record.raw);
      return true;
    }
    for (const Condition& condition : mapping_.skip) {
      if (Holds(condition, record.fields)) {
        ++counts.rows_skipped;
        return true;
      }
    }

    if (!mapping_.group) {
      Group single;
      single.first_fields = record.fields;
      single.first_line = record.line;
      single.first_raw = record.raw;
      single.rows = 1;
      Emit(single);
      return true;
    }
    return AddToGroup(record);
  }

  std::string CheckCells(const Fields& fields) const {
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i].find('\0') != std::string::npos) {
        return "column " + header_[i] + " holds a NUL byte";
      }
      if (!IsValidUtf8(fields[i])) {
        return "column " + header_[i] + " is not valid UTF-8";
      }
    }
    return "";
  }

  static bool Holds(const Condition& condition, const Fields& fields) {
    const std::string& cell = fields[condition.column.index];
    switch (condition.test) {
      case Condition::Test::Equals: return cell == condition.values[0];
      case Condition::Test::In:
        for (const std::string& value : condition.values) {
          if (cell == value) return true;
        }
        return false;
      case Condition::Test::StartsWith:
        return cell.rfind(condition.values[0], 0) == 0;
      case Condition::Test::Empty: return cell.empty();
      case Condition::Test::NotEmpty: return !cell.empty();
    }
    return false;
  }

  // Dead-letters a row; `counted` is false for the note that a group was
  // dropped, since its bad row was counted already.
  void Bad(int64_t line, const std::string& reason, const std::string& raw,
           bool counted = true) {
    if (counted) ++importer_.counts_.bad_rows;
    if (importer_.dead_letters_ == nullptr) {
      if (importer_.first_bad_.size() < 10) {
        importer_.first_bad_.push_back({line, reason});
      }
      return;
    }
    std::string text = "{\"line\":" + std::to_string(line) + ",\"reason\":";
    AppendJsonString(text, reason);
    text += ",\"record\":";
    AppendJsonString(text, raw);
    text += "}\n";
    // As for the events, errno holds the reason right after the write
    // that failed, and no later.
    std::ostream& dead_letters = *importer_.dead_letters_;
    bool was_good = dead_letters.good();
    errno = 0;
    dead_letters << text;
    if (was_good && !dead_letters.good()) {
      importer_.dead_letter_error_ =
          errno == 0 ? "a write failed" : std::strerror(errno);
    }
  }

  // --- Groups --------------------------------------------------------------

  std::vector<const Property*> AllProperties() const {
    std::vector<const Property*> all;
    for (const Property& property : mapping_.properties) {
      all.push_back(&property);
    }
    if (mapping_.identify_first) {
      for (const Property& trait : mapping_.identify_first->traits) {
        all.push_back(&trait);
      }
    }
    return all;
  }

  Group NewGroup(const CsvRecord& record, const std::string& key) {
    Group group;
    group.key = key;
    group.first_fields = record.fields;
    group.first_line = record.line;
    group.first_raw = record.raw;
    group.sums.resize(AllProperties().size());
    return group;
  }

  bool AddToGroup(const CsvRecord& record) {
    const std::string& key = record.fields[mapping_.group->key.index];
    Group* group = nullptr;
    if (mapping_.group->sorted) {
      if (open_group_ && open_group_->key == key) {
        group = &*open_group_;
      } else {
        if (open_group_) {
          last_key_ = open_group_->key;
          Close(*open_group_);
          open_group_.reset();
          if (key <= last_key_) {
            return Fail("line " + std::to_string(record.line) + ": " +
                        mapping_.group->key.name + " \"" + key +
                        "\" comes after \"" + last_key_ +
                        "\", but the rows must be sorted by " +
                        mapping_.group->key.name +
                        " (byte order, as `LC_ALL=C sort`); sort the file "
                        "or set \"sorted\": false in \"group\"");
          }
        }
        open_group_ = NewGroup(record, key);
        group = &*open_group_;
      }
    } else {
      auto found = group_index_.find(key);
      if (found == group_index_.end()) {
        found = group_index_.emplace(key, scattered_groups_.size()).first;
        scattered_groups_.push_back(NewGroup(record, key));
      }
      group = &scattered_groups_[found->second];
    }

    ++group->rows;
    std::vector<const Property*> all = AllProperties();
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i]->source != ValueSource::Sum) continue;
      std::optional<RowProblem> problem =
          AddRow(*all[i], record.fields, group->sums[i]);
      if (problem) {
        Bad(record.line, problem->reason, record.raw);
        if (!group->dropped) ++importer_.counts_.groups_dropped;
        group->dropped = true;
        --group->rows;
        return true;
      }
    }
    return true;
  }

  // Adds the product of the row's factor cells to `sum`.
  std::optional<RowProblem> AddRow(const Property& property,
                                   const Fields& fields,
                                   ExactDecimal& sum) const {
    ExactDecimal product{1, 0};
    for (const ColumnRef& factor : property.factors) {
      const std::string& cell = fields[factor.index];
      auto value = ParseDecimal(cell);
      if (!value) return NotANumber(factor.name, cell);
      auto next = Multiply(product, *value);
      if (!next)
        return RowProblem{"the product for " + property.name +
                          " is too large or too precise"};
      product = *next;
    }
    auto total = Add(sum, product);
    if (!total)
      return RowProblem{"the sum for " + property.name +
                        " is too large or too precise"};
    sum = *total;
    return std::nullopt;
  }

  void Close(Group& group) {
    if (group.dropped) {
      importer_.counts_.rows_in_dropped_groups += group.rows;
      Bad(group.first_line,
          "the event of " + mapping_.group->key.name + " \"" + group.key +
              "\" is not written because one of its rows is bad",
          group.first_raw, false);
      return;
    }
    Emit(group);
  }

  // --- Events --------------------------------------------------------------

  static std::optional<RowProblem> NotANumber(const std::string& column,
                                              const std::string& cell) {
    if (cell.empty()) return RowProblem{"column " + column + " is empty"};
    return RowProblem{"column " + column + ": \"" + cell +
                      "\" is not a number"};
  }

  std::optional<RowProblem> ReadTimeOf(const TimeSpec& spec,
                                       const Fields& fields, int64_t& seconds) {
    std::string text;
    std::string names;
    for (const ColumnRef& column : spec.columns) {
      text += (text.empty() ? "" : " ") + fields[column.index];
      names += (names.empty() ? "" : "+") + column.name;
    }
    std::string zone = spec.zone;
    if (spec.zone_column) {
      zone = fields[spec.zone_column->index];
      if (zone.empty()) {
        return RowProblem{"column " + spec.zone_column->name + " is empty"};
      }
    }
    if (text.empty()) return RowProblem{"column " + names + " is empty"};

    TimeReading reading = ReadTime(text, spec.pattern, zone);
    if (!reading.problem.empty()) {
      if (spec.zone_column && reading.problem.rfind("the time zone", 0) == 0) {
        return RowProblem{"column " + spec.zone_column->name + ": " +
                          reading.problem};
      }
      return RowProblem{"column " + names + ": \"" + text + "\" " +
                        reading.problem};
    }
    if (reading.seconds < common::kEarliestTime ||
        reading.seconds > common::kLatestTime) {
      return RowProblem{"column " + names + ": \"" + text +
                        "\" is outside 1900 to 9999"};
    }
    if (reading.ambiguous) ++importer_.counts_.ambiguous_times;
    seconds = reading.seconds;
    return std::nullopt;
  }

  // Appends `"name":value` (and the currency after money) to `json`, or
  // nothing for an empty cell the mapping omits.
  std::optional<RowProblem> AppendProperty(const Property& property,
                                           const Group& group,
                                           const ExactDecimal* sum, bool negate,
                                           std::string& json) {
    const Fields& fields = group.first_fields;
    std::string value;
    std::optional<ExactDecimal> number;

    switch (property.source) {
      case ValueSource::Constant: value = property.constant; break;
      case ValueSource::RowCount: number = ExactDecimal{group.rows, 0}; break;
      case ValueSource::Sum: number = *sum; break;
      case ValueSource::Column: {
        const std::string& cell = fields[property.column.index];
        if (cell.empty() && !(property.type == ValueType::String &&
                              property.when_empty == WhenEmpty::Keep)) {
          switch (property.when_empty) {
            case WhenEmpty::Omit: return std::nullopt;
            case WhenEmpty::Null: value = "null"; break;
            default:
              return RowProblem{"column " + property.column.name + " is empty"};
          }
          break;
        }
        switch (property.type) {
          case ValueType::String: AppendJsonString(value, cell); break;
          case ValueType::Bool: {
            std::string lower;
            for (char c : cell) {
              lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
            }
            if (lower == "true" || lower == "1" || lower == "yes") {
              value = "true";
            } else if (lower == "false" || lower == "0" || lower == "no") {
              value = "false";
            } else {
              return RowProblem{"column " + property.column.name + ": \"" +
                                cell + "\" is not true or false"};
            }
            break;
          }
          case ValueType::Time: {
            int64_t seconds = 0;
            auto problem = ReadTimeOf(property.time, fields, seconds);
            if (problem) return problem;
            AppendJsonString(value, common::FormatTime(seconds));
            break;
          }
          default: {
            number = ParseDecimal(cell);
            if (!number) return NotANumber(property.column.name, cell);
          }
        }
        break;
      }
    }

    std::string currency;
    if (number) {
      if (negate) number->units = -number->units;
      bool amount = property.type == ValueType::Money ||
                    property.type == ValueType::Decimal;
      if (amount && !FitsEngine(*number)) {
        std::string what = property.source == ValueSource::Column
                               ? "column " + property.column.name
                               : "the sum for " + property.name;
        return RowProblem{what + ": " + FormatDecimal(*number) +
                          " is beyond the largest amount a run reads, " +
                          "9223372036854.775807 either way"};
      }
      switch (property.type) {
        case ValueType::Int: {
          auto whole = ToInteger(*number);
          if (!whole) {
            std::string what = property.source == ValueSource::Column
                                   ? "column " + property.column.name
                                   : "the sum for " + property.name;
            return RowProblem{what + ": " + FormatDecimal(*number) +
                              NotAnIntegerReason(*number)};
          }
          value = std::to_string(*whole);
          break;
        }
        case ValueType::Money: {
          currency = property.currency;
          if (property.currency_column) {
            currency = fields[property.currency_column->index];
            bool code = currency.size() == 3;
            for (char c : currency) code = code && c >= 'A' && c <= 'Z';
            if (!code) {
              return RowProblem{"column " + property.currency_column->name +
                                ": \"" + currency +
                                "\" is not a currency code such as EUR"};
            }
          }
          value = FormatDecimal(RoundTo(*number, CurrencyDigits(currency)));
          break;
        }
        default:
          value = FormatDecimal(property.decimals < 0
                                    ? *number
                                    : RoundTo(*number, property.decimals));
      }
    }

    if (json.size() > 1) json += ',';
    AppendJsonString(json, property.name);
    json += ':' + value;
    if (!currency.empty()) {
      json += ',';
      AppendJsonString(json, property.currency_property);
      json += ':';
      AppendJsonString(json, currency);
    }
    return std::nullopt;
  }

  std::string Expand(const Template& text, const Fields& fields,
                     const std::string& user) const {
    std::string expanded;
    for (const Template::Part& part : text.parts) {
      if (part.user_id) {
        expanded += user;
      } else if (part.column) {
        expanded += fields[part.column->index];
      } else {
        expanded += part.literal;
      }
    }
    return expanded;
  }

  // `head` + messageId + `tail`: a template, or a stable hash of the
  // event without its messageId (documented in docs/import.md).
  std::string WithMessageId(const std::string& head, const std::string& tail,
                            const std::optional<Template>& id,
                            const Fields& fields, const std::string& user) {
    std::string message;
    if (id) {
      message = Expand(*id, fields, user);
    } else {
      std::string content = head + "," + tail;
      message = mapping_.hash_prefix + common::Hex64(common::Fnv1a64(content)) +
                common::Hex64(common::Fnv1a64("parcours-import\n" + content));
    }
    std::string json = head + ",\"messageId\":";
    AppendJsonString(json, message);
    return json + "," + tail;
  }

  std::optional<RowProblem> BuildEvent(const Group& group,
                                       std::string& identify,
                                       std::string& event,
                                       std::string& user_out) {
    const Fields& fields = group.first_fields;
    const EventRule* rule = nullptr;
    for (const EventRule& candidate : mapping_.rules) {
      bool all = true;
      for (const Condition& condition : candidate.when) {
        all = all && Holds(condition, fields);
      }
      if (all) {
        rule = &candidate;
        break;
      }
    }
    if (rule == nullptr) {
      return RowProblem{"no event rule matches this row"};
    }
    if (rule->skip) return std::nullopt;

    std::string user = fields[mapping_.user_id.index];
    if (user.empty()) {
      return RowProblem{"the user id (column " + mapping_.user_id.name +
                        ") is empty"};
    }
    if (mapping_.user_id_integer) {
      auto number = ParseDecimal(user);
      auto whole = number ? ToInteger(*number) : std::nullopt;
      if (!whole) {
        std::string reason = " is not a whole number";
        if (number && IsWhole(*number)) {
          // A number too large is still an id: as text it imports.
          reason = NotAnIntegerReason(*number) +
                   "; map the column without \"type\": \"int\" to keep "
                   "the id as text";
        }
        return RowProblem{"the user id (column " + mapping_.user_id.name +
                          ") \"" + user + "\"" + reason};
      }
      user = std::to_string(*whole);
    }

    int64_t timestamp = 0;
    if (auto problem = ReadTimeOf(mapping_.timestamp, fields, timestamp)) {
      return problem;
    }
    std::string times = "\"timestamp\":";
    AppendJsonString(times, common::FormatTime(timestamp));
    if (mapping_.received_at) {
      int64_t received = 0;
      if (auto problem = ReadTimeOf(*mapping_.received_at, fields, received)) {
        return problem;
      }
      times += ",\"receivedAt\":";
      AppendJsonString(times, common::FormatTime(received));
    }

    std::vector<const Property*> all = AllProperties();
    std::string values = "{";
    for (size_t i = 0; i < mapping_.properties.size(); ++i) {
      const Property& property = mapping_.properties[i];
      bool negate = false;
      for (const std::string& name : rule->negate) {
        negate = negate || name == property.name;
      }
      const ExactDecimal* sum = group.sums.empty() ? nullptr : &group.sums[i];
      if (auto problem = AppendProperty(property, group, sum, negate, values)) {
        return problem;
      }
    }
    values += "}";

    std::string head = mapping_.identify ? "{\"type\":\"identify\""
                                         : "{\"type\":\"track\",\"event\":";
    if (!mapping_.identify) AppendJsonString(head, rule->event);
    head += ",\"userId\":";
    AppendJsonString(head, user);
    std::string tail =
        times + (mapping_.identify ? ",\"traits\":" : ",\"properties\":") +
        values + "}";
    event = WithMessageId(head, tail, mapping_.message_id, fields, user);
    user_out = user;

    identify.clear();
    if (mapping_.identify_first && !seen_users_.count(user)) {
      const IdentifyFirst& first = *mapping_.identify_first;
      std::string traits = "{";
      for (size_t i = 0; i < first.traits.size(); ++i) {
        size_t at = mapping_.properties.size() + i;
        const ExactDecimal* sum =
            group.sums.empty() ? nullptr : &group.sums[at];
        if (auto problem =
                AppendProperty(first.traits[i], group, sum, false, traits)) {
          return problem;
        }
      }
      traits += "}";
      std::string identify_head = "{\"type\":\"identify\",\"userId\":";
      AppendJsonString(identify_head, user);
      identify =
          WithMessageId(identify_head, times + ",\"traits\":" + traits + "}",
                        first.message_id, fields, user);
      seen_users_.insert(user);
    }
    return std::nullopt;
  }

  void Emit(const Group& group) {
    std::string identify;
    std::string event;
    std::string user;
    auto problem = BuildEvent(group, identify, event, user);
    if (problem) {
      std::string reason = problem->reason;
      if (mapping_.group) {
        reason = mapping_.group->key.name + " \"" + group.key + "\" (" +
                 CountOfRows(group.rows) + "): " + reason;
        ++importer_.counts_.groups_dropped;
        importer_.counts_.rows_in_dropped_groups += group.rows - 1;
      }
      Bad(group.first_line, reason, group.first_raw);
      return;
    }
    if (event.empty()) {
      importer_.counts_.rows_skipped += group.rows;
      return;
    }
    if (importer_.first_users_ >= 0 && !kept_users_.count(user)) {
      if (static_cast<int64_t>(kept_users_.size()) >= importer_.first_users_) {
        ++importer_.counts_.events_of_later_users;
        return;
      }
      kept_users_.insert(user);
    }
    if (!identify.empty()) {
      importer_.out_ << identify << '\n';
      ++importer_.counts_.identify_events;
    }
    importer_.out_ << event << '\n';
    if (mapping_.identify) {
      ++importer_.counts_.identify_events;
    } else {
      ++importer_.counts_.track_events;
    }
  }

  Importer& importer_;
  Mapping& mapping_;
  bool header_known_ = false;
  Fields header_;
  std::optional<Group> open_group_;
  std::string last_key_;
  std::vector<Group> scattered_groups_;
  std::unordered_map<std::string, size_t> group_index_;
  std::unordered_set<std::string> seen_users_;
  std::unordered_set<std::string> kept_users_;
};

Importer::Importer(Mapping mapping, std::ostream& out,
                   std::ostream* dead_letters)
    : mapping_(std::move(mapping)), out_(out), dead_letters_(dead_letters) {}

bool Importer::Run(std::istream& input) {
  Conversion conversion(*this);
  return conversion.Run(input);
}

std::string Importer::Summary() const {
  const ImportCounts& c = counts_;
  // After a failed write the output holds an unknown part of the events:
  // counting them would claim a file that is not there.
  std::string written =
      write_failed_
          ? std::string("none (the write failed; the output is incomplete)")
          : std::to_string(c.track_events + c.identify_events) + " (" +
                std::to_string(c.track_events) + " track, " +
                std::to_string(c.identify_events) + " identify)";
  std::string text =
      "rows read: " + std::to_string(c.rows_read) + "\n" +
      "events written: " + written + "\n" +
      "rows skipped by filter: " + std::to_string(c.rows_skipped) + "\n" +
      "bad rows: " + std::to_string(c.bad_rows) + "\n";
  if (c.groups_dropped > 0 || c.rows_in_dropped_groups > 0) {
    text +=
        "groups dropped for a bad row: " + std::to_string(c.groups_dropped) +
        " (with " + CountOfRows(c.rows_in_dropped_groups, "good") + ")\n";
  }
  if (c.events_of_later_users > 0) {
    text += "events of users after the first ones kept: " +
            std::to_string(c.events_of_later_users) + "\n";
  }
  if (c.blank_lines > 0) {
    text += "blank lines ignored: " + std::to_string(c.blank_lines) + "\n";
  }
  if (c.ambiguous_times > 0) {
    text += "local times that occur twice (read with the earlier offset): " +
            std::to_string(c.ambiguous_times) + "\n";
  }
  return text;
}

}  // namespace parcours::import
