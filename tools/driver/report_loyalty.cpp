#include "tools/driver/report_loyalty.h"

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "runtime/common/decimal_text.h"
#include "runtime/common/time_text.h"
#include "runtime/loyalty/liability.h"
#include "runtime/store/sqlite.h"
#include "runtime/store/store.h"

namespace parcours::driver {
namespace {

using common::Expected;
using common::Status;
using loyalty::Ledger;
using loyalty::Lot;
using loyalty::Movement;
using store::Statement;

constexpr int64_t kDay = 86'400;

// A day (`2025-03-31`, meaning the whole day, UTC) or an exact time, as
// a bound of a period (start, end]: `end_of_day` gives the day's last
// second (or the time itself), else the second before the day (or the
// time) starts, so that `--from` includes its own day or instant as
// `--as-of` does.
std::optional<int64_t> ParseDay(const std::string& text, bool end_of_day) {
  if (std::optional<int64_t> time = common::ParseTime(text)) {
    return end_of_day ? *time : *time - 1;
  }
  std::optional<int64_t> midnight = common::ParseTime(text + "T00:00:00Z");
  if (!midnight) return std::nullopt;
  return end_of_day ? *midnight + kDay - 1 : *midnight - 1;
}

// The second before the first day of the calendar quarter holding `time`.
int64_t QuarterStart(int64_t time) {
  std::string day = common::FormatTime(time).substr(0, 10);
  int month = std::stoi(day.substr(5, 2));
  int first = (month - 1) / 3 * 3 + 1;
  std::string start = day.substr(0, 5) + (first < 10 ? "0" : "") +
                      std::to_string(first) + "-01";
  return *ParseDay(start, false);
}

struct Terms {
  std::string name;
  std::string currency;
  int64_t value_per_point = 0;
  int64_t breakage = 0;  // millionths
};

struct Member {
  std::unique_ptr<Ledger> ledger;
  std::string tier;
};

bool SameTerms(const Terms& a, const Terms& b) {
  return a.currency == b.currency && a.value_per_point == b.value_per_point &&
         a.breakage == b.breakage;
}

// Adds the programs of one state file to `programs`, by name. The files
// of a `--partitions` run all hold the same terms; a file with others
// comes from another run, and its figures cannot be added to the rest.
Status ReadPrograms(store::Database& db,
                    std::map<std::string, Terms>& programs) {
  Expected<Statement> select = db.Prepare(
      "SELECT name, currency, value_per_point, breakage FROM "
      "loyalty_programs ORDER BY name");
  if (!select.ok()) return select.status();
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    Terms terms{select->Text(0), select->Text(1), select->Int(2),
                select->Int(3)};
    auto [known, added] = programs.emplace(terms.name, terms);
    if (!added && !SameTerms(known->second, terms)) {
      return Status::Error("its loyalty program `" + terms.name +
                           "` has other terms (currency, value or "
                           "breakage) than in the folder's other files; "
                           "they come from different runs");
    }
  }
}

Status ChooseTerms(const std::map<std::string, Terms>& by_name,
                   const std::optional<std::string>& name, Terms& terms) {
  std::vector<Terms> programs;
  for (const auto& [program_name, program] : by_name) {
    programs.push_back(program);
  }
  if (programs.empty()) {
    return Status::Error("it holds no loyalty program; run one first");
  }
  for (const Terms& program : programs) {
    if (name ? program.name == *name : programs.size() == 1) {
      terms = program;
      return Status::Ok();
    }
  }
  std::string names;
  for (const Terms& program : programs) {
    names += (names.empty() ? "" : ", ") + program.name;
  }
  return Status::Error(name ? "it has no loyalty program `" + *name +
                                  "`; it has " + names
                            : "it has several loyalty programs (" + names +
                                  "); name one with `--program`");
}

// The tier `profile` held at `as_of`, from its history of changes.
Expected<std::string> TierAt(Statement& tiers, const std::string& profile,
                             const std::string& program, int64_t as_of) {
  tiers.BindText(1, profile);
  tiers.BindText(2, program);
  tiers.BindInt(3, as_of);
  std::string tier;
  for (;;) {
    Expected<bool> row = tiers.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    tier = tiers.IsNull(0) ? "" : tiers.Text(0);
  }
  tiers.Reset();
  return tier;
}

Status ReadMembers(store::Database& db, const std::string& program,
                   int64_t as_of, std::vector<Member>& members) {
  Expected<Statement> select = db.Prepare(
      "SELECT profile, held, owed FROM loyalty_members "
      "WHERE program = ?1 ORDER BY profile");
  Expected<Statement> tiers = db.Prepare(
      "SELECT tier FROM loyalty_tiers WHERE profile = ?1 AND program = ?2 "
      "AND at <= ?3 ORDER BY rowid");
  if (!tiers.ok()) return tiers.status();
  // A report reads files it does not migrate: lots from before schema 13
  // have no `bonus` column and were all counted as part of a sale.
  Expected<int64_t> has_bonus = db.QueryInt(
      "SELECT count(*) FROM pragma_table_info('loyalty_lots') "
      "WHERE name = 'bonus'");
  if (!has_bonus.ok()) return has_bonus.status();
  Expected<Statement> lots = db.Prepare(
      std::string("SELECT lot, earned_at, expires_at, earned, refunded, "
                  "qualifying, source, ") +
      (*has_bonus != 0 ? "bonus" : "0") +
      " FROM loyalty_lots WHERE profile = ?1 AND program = ?2 ORDER BY lot");
  Expected<Statement> rows = db.Prepare(
      "SELECT seq, at, kind, points, lot, lot_delta, source FROM "
      "loyalty_ledger WHERE profile = ?1 AND program = ?2 ORDER BY seq");
  if (!select.ok()) return select.status();
  if (!lots.ok()) return lots.status();
  if (!rows.ok()) return rows.status();
  select->BindText(1, program);
  for (;;) {
    Expected<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string profile = select->Text(0);

    std::vector<Lot> member_lots;
    lots->BindText(1, profile);
    lots->BindText(2, program);
    for (;;) {
      Expected<bool> lot_row = lots->Step();
      if (!lot_row.ok()) return lot_row.status();
      if (!*lot_row) break;
      Lot lot;
      lot.id = lots->Int(0);
      lot.earned_at = lots->Int(1);
      lot.expires_at = lots->IsNull(2) ? loyalty::kNeverExpires : lots->Int(2);
      lot.earned = lots->Int(3);
      lot.refunded = lots->Int(4);
      lot.qualifying = lots->Int(5) != 0;
      lot.source = lots->Text(6);
      lot.bonus = lots->Int(7) != 0;
      member_lots.push_back(std::move(lot));
    }
    lots->Reset();  // for the next member

    std::vector<Movement> movements;
    rows->BindText(1, profile);
    rows->BindText(2, program);
    for (;;) {
      Expected<bool> ledger_row = rows->Step();
      if (!ledger_row.ok()) return ledger_row.status();
      if (!*ledger_row) break;
      Movement movement;
      movement.seq = rows->Int(0);
      movement.at = rows->Int(1);
      std::string kind = rows->Text(2);
      for (auto candidate :
           {loyalty::MovementKind::Earn, loyalty::MovementKind::Burn,
            loyalty::MovementKind::Expire, loyalty::MovementKind::Refund,
            loyalty::MovementKind::Repay}) {
        if (kind == loyalty::MovementKindName(candidate)) {
          movement.kind = candidate;
        }
      }
      movement.points = rows->Int(3);
      movement.lot = rows->Int(4);
      movement.lot_delta = rows->Int(5);
      movement.source = rows->Text(6);
      movements.push_back(std::move(movement));
    }
    rows->Reset();

    Member member;
    member.ledger = std::make_unique<Ledger>(
        Ledger::Restore(std::move(member_lots), std::move(movements),
                        select->Int(1), select->Int(2)));
    std::string problem = member.ledger->Verify();
    if (!problem.empty()) {
      return Status::Error("profile `" + profile +
                           "`: the points ledger disagrees with the saved "
                           "balance (" +
                           problem + ")");
    }
    Expected<std::string> tier = TierAt(*tiers, profile, program, as_of);
    if (!tier.ok()) return tier.status();
    member.tier = *tier;
    members.push_back(std::move(member));
  }
  return Status::Ok();
}

std::string Percent(int64_t millionths) {
  return common::FormatScaled(millionths * 100, 6) + "%";
}

void PrintTable(const Terms& terms, const loyalty::LiabilityInputs& inputs,
                const loyalty::LiabilityReport& report, std::ostream& out) {
  auto money = [&](int64_t value) {
    std::string text = loyalty::FormatAmount(value, terms.currency);
    return terms.currency.empty() ? text : text + " " + terms.currency;
  };
  // Without `value ... per point` nothing can be valued: say so.
  std::string value =
      terms.currency.empty()
          ? std::string("no value per point declared")
          : "value " + common::FormatScaled(inputs.value_per_point, 6) + " " +
                terms.currency + " per point";
  out << "loyalty program " << terms.name << ", as of "
      << common::FormatTime(inputs.as_of) << "\n"
      << "period from " << common::FormatTime(inputs.period_start + 1) << ", "
      << value << ", breakage " << Percent(inputs.breakage_millionths);
  if (inputs.opening_breakage_millionths != inputs.breakage_millionths) {
    out << " (" << Percent(inputs.opening_breakage_millionths)
        << " at the start of the period)";
  }
  out << "\n\n";
  const loyalty::PointTotals& end = report.at_end;
  const loyalty::PointTotals& start = report.at_start;
  out << "points                  to date   in period\n";
  auto row = [&](const char* name, int64_t total, int64_t period) {
    std::string text = std::to_string(total);
    std::string in = std::to_string(period);
    out << name << std::string(24 - std::string(name).size(), ' ')
        << std::string(text.size() < 7 ? 7 - text.size() : 0, ' ') << text
        << std::string(in.size() < 12 ? 12 - in.size() : 0, ' ') << in << "\n";
  };
  row("issued", end.issued, end.issued - start.issued);
  row("redeemed", end.redeemed, end.redeemed - start.redeemed);
  row("expired", end.expired, end.expired - start.expired);
  out << "outstanding             " << end.outstanding << "\n";
  out << "owed by members         " << end.owed << "\n\n";
  out << "outstanding by age\n";
  for (const loyalty::AgeBucket& bucket : report.by_age) {
    out << "  " << bucket.label << ": " << bucket.points << "\n";
  }
  out << "outstanding by tier\n";
  for (const auto& [tier, points] : report.by_tier) {
    out << "  " << tier << ": " << points << "\n";
  }
  out << "\nface value of outstanding points  " << money(report.face_value)
      << "\nexpected breakage                 "
      << money(report.expected_breakage)
      << "\nrevenue deferred to date          " << money(report.deferred_total)
      << "\nrevenue recognised to date        "
      << money(report.recognised_total)
      << "\ncontract liability                "
      << money(report.contract_liability)
      << "\nrevenue recognised in period      "
      << money(report.recognised_in_period) << "\n";

  // Bonus points deferred no revenue; shown only when there are some, so
  // that a program without them reads as before.
  const loyalty::PointTotals& bonus = report.bonus_at_end;
  const loyalty::PointTotals& bonus_start = report.bonus_at_start;
  if (bonus.issued == 0 && bonus.redeemed == 0 && bonus.expired == 0 &&
      bonus.outstanding == 0) {
    return;
  }
  out << "\nbonus points (given with no sale, not in the revenue above)\n"
      << "points                  to date   in period\n";
  row("issued", bonus.issued, bonus.issued - bonus_start.issued);
  row("redeemed", bonus.redeemed, bonus.redeemed - bonus_start.redeemed);
  row("expired", bonus.expired, bonus.expired - bonus_start.expired);
  // The provision's roll-forward, in its order: opening + charged -
  // used = closing.
  out << "outstanding             " << bonus.outstanding << "\n\n"
      << "bonus points provision at start   "
      << money(report.bonus_provision_at_start)
      << "\nbonus points charged in period    "
      << money(report.bonus_charge_in_period)
      << "\nbonus points used in period       "
      << money(report.bonus_used_in_period)
      << "\nbonus points provision            " << money(report.bonus_provision)
      << "\n";
}

void PrintJson(const Terms& terms, const loyalty::LiabilityInputs& inputs,
               const loyalty::LiabilityReport& report, std::ostream& out) {
  using Json = nlohmann::ordered_json;
  auto totals = [](const loyalty::PointTotals& points) {
    Json json = Json::object();
    json["issued"] = points.issued;
    json["redeemed"] = points.redeemed;
    json["expired"] = points.expired;
    json["outstanding"] = points.outstanding;
    json["owed"] = points.owed;
    return json;
  };
  Json json = Json::object();
  json["program"] = terms.name;
  json["as_of"] = common::FormatTime(inputs.as_of);
  json["period_from"] = common::FormatTime(inputs.period_start + 1);
  json["currency"] = terms.currency;
  json["value_per_point"] = common::FormatScaled(inputs.value_per_point, 6);
  json["breakage"] = Percent(inputs.breakage_millionths);
  json["breakage_at_start"] = Percent(inputs.opening_breakage_millionths);
  json["at_start"] = totals(report.at_start);
  json["at_end"] = totals(report.at_end);
  Json ages = Json::object();
  for (const loyalty::AgeBucket& bucket : report.by_age) {
    ages[bucket.label] = bucket.points;
  }
  json["outstanding_by_age"] = ages;
  Json tiers = Json::object();
  for (const auto& [tier, points] : report.by_tier) tiers[tier] = points;
  json["outstanding_by_tier"] = tiers;
  auto money = [&terms](int64_t millionths) {
    return loyalty::FormatAmount(millionths, terms.currency);
  };
  json["face_value"] = money(report.face_value);
  json["expected_breakage"] = money(report.expected_breakage);
  json["revenue_deferred_to_date"] = money(report.deferred_total);
  json["revenue_recognised_to_date"] = money(report.recognised_total);
  json["contract_liability"] = money(report.contract_liability);
  json["revenue_recognised_in_period"] = money(report.recognised_in_period);
  json["bonus_at_start"] = totals(report.bonus_at_start);
  json["bonus_at_end"] = totals(report.bonus_at_end);
  json["bonus_provision"] = money(report.bonus_provision);
  json["bonus_charged_in_period"] = money(report.bonus_charge_in_period);
  json["bonus_provision_at_start"] = money(report.bonus_provision_at_start);
  json["bonus_used_in_period"] = money(report.bonus_used_in_period);
  out << json.dump(2) << "\n";
}

}  // namespace

int LoyaltyReport(const LoyaltyReportOptions& options, std::ostream& out,
                  std::ostream& err) {
  const std::string& format = options.format;
  if (format != "table" && format != "json" && format != "csv") {
    err << "parcours: `--format` takes table, json or csv, not `" << format
        << "`\n";
    return 2;
  }
  std::optional<int64_t> as_of = ParseDay(options.as_of, true);
  if (!as_of) {
    err << "parcours: `--as-of` takes a date such as 2025-03-31, not `"
        << options.as_of << "`\n";
    return 2;
  }
  std::optional<int64_t> from =
      options.from ? ParseDay(*options.from, false) : QuarterStart(*as_of);
  if (!from || *from >= *as_of) {
    err << "parcours: `--from` takes a date before `--as-of`, such as "
           "2025-01-01\n";
    return 2;
  }

  // Every option is read before the state, so that a mistyped one is
  // the only thing said, not the last line after notes about the state.
  // The sign is required: `0.18` could mean 18% or 0.18%, and a wrong
  // guess would move the liability a hundredfold without a word.
  auto percentage = [&err](const char* option, const std::string& given,
                           std::optional<int64_t>& millionths) {
    std::string text = given;
    bool has_sign = !text.empty() && text.back() == '%';
    if (has_sign) text.pop_back();
    int64_t percent = 0;
    bool parsed = has_sign && common::ParseScaled(text, 6, percent) ==
                                  common::NumberProblem::None;
    if (!parsed || percent < 0 || percent > 100'000'000) {
      err << "parcours: `" << option
          << "` takes a percentage from 0% to 100%, such as 18%, not `" << given
          << "`\n";
      return false;
    }
    millionths = percent / 100;
    return true;
  };
  std::optional<int64_t> breakage;          // millionths
  std::optional<int64_t> opening_breakage;  // millionths
  if (options.breakage &&
      !percentage("--breakage", *options.breakage, breakage)) {
    return 2;
  }
  if (options.opening_breakage &&
      !percentage("--opening-breakage", *options.opening_breakage,
                  opening_breakage)) {
    return 2;
  }

  // Read only: a report never changes the state. Every member's ledger is
  // in one file (a `--partitions` folder gives one per partition), and the
  // liability is computed once over all of them, so that the recognised
  // share is that of the program's totals, not a sum of shares.
  std::vector<store::Database> files;
  std::map<std::string, Terms> programs;
  for (const std::string& state_path : options.state_files) {
    Expected<store::Database> db = store::OpenStateForReading(state_path);
    if (!db.ok()) {
      err << "parcours: " << db.status().message() << "\n";
      return 2;
    }
    Status status = ReadPrograms(*db, programs);
    if (!status.ok()) {
      std::string context = "state file `" + state_path + "`";
      err << "parcours: " << status.WithContext(context).message() << "\n";
      return 2;
    }
    files.push_back(std::move(*db));
  }

  Terms terms;
  Status chosen = ChooseTerms(programs, options.program, terms);
  if (!chosen.ok()) {
    std::string context = options.state_files.size() == 1 &&
                                  options.state_files[0] == options.state_path
                              ? "state file `" + options.state_path + "`"
                              : "state folder `" + options.state_path + "`";
    err << "parcours: " << chosen.WithContext(context).message() << "\n";
    return 2;
  }
  std::vector<Member> members;
  for (size_t i = 0; i < files.size(); ++i) {
    Status status = ReadMembers(files[i], terms.name, *as_of, members);
    if (!status.ok()) {
      std::string context = "state file `" + options.state_files[i] + "`";
      err << "parcours: " << status.WithContext(context).message() << "\n";
      return 2;
    }
  }

  // A state whose run stopped before the end of the report has not seen
  // the orders and redemptions since: the figures would look complete
  // and be short. Said on stderr, so that the CSV stays the same rows.
  std::optional<int64_t> state_clock;
  for (store::Database& file : files) {
    Expected<int64_t> clock = file.QueryInt(
        "SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta "
        "WHERE key = 'clock'), 0)");
    if (clock.ok() && (!state_clock || *clock < *state_clock)) {
      state_clock = *clock;
    }
  }
  if (state_clock && *state_clock < *as_of) {
    std::string clock_text = common::FormatTime(*state_clock);
    std::string as_of_text = common::FormatTime(*as_of);
    err << "note: the state's clock is at " << clock_text
        << ", before the end of this report (" << as_of_text
        << "): points earned, redeemed or refunded after " << clock_text
        << " are not in these figures; run the period's events first (with "
           "`--until "
        << as_of_text << "` if none came after)\n";
  }

  loyalty::LiabilityInputs inputs;
  inputs.period_start = *from;
  inputs.as_of = *as_of;
  inputs.value_per_point = terms.value_per_point;
  inputs.currency = terms.currency;
  inputs.breakage_millionths = breakage.value_or(terms.breakage);
  // The start of the period is read at the estimate of the last close:
  // the program's, unless that close revised it too. So a revision shows
  // its catch-up in the period of the revision.
  inputs.opening_breakage_millionths =
      opening_breakage.value_or(terms.breakage);

  std::vector<loyalty::MemberBook> books;
  for (const Member& member : members) {
    books.push_back({member.ledger.get(), member.tier});
  }
  loyalty::LiabilityReport report = loyalty::ComputeLiability(books, inputs);
  if (format == "csv") {
    out << loyalty::FormatLiabilityCsv(report, terms.currency);
  } else if (format == "json") {
    PrintJson(terms, inputs, report, out);
  } else {
    PrintTable(terms, inputs, report, out);
  }
  return 0;
}

}  // namespace parcours::driver
