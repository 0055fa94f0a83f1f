#include "runtime/store/loyalty_tables.h"

#include <nlohmann/json.hpp>

#include "runtime/common/decimal_text.h"

namespace parcours::store {

namespace {

using common::Expected;
using common::Status;
using loyalty::Account;
using loyalty::Ledger;
using loyalty::Lot;
using loyalty::Movement;
using loyalty::MovementKind;

int32_t FindProgram(const ir::Program& program, std::string_view name) {
  for (size_t p = 0; p < program.loyalty.size(); ++p) {
    if (program.loyalty[p].name == name) return static_cast<int32_t>(p);
  }
  return -1;
}

std::optional<MovementKind> KindNamed(const std::string& name) {
  for (MovementKind kind :
       {MovementKind::Earn, MovementKind::Burn, MovementKind::Expire,
        MovementKind::Refund, MovementKind::Repay}) {
    if (name == loyalty::MovementKindName(kind)) return kind;
  }
  return std::nullopt;
}

// Sets the words expressions read from the account just loaded.
void SetWords(const ir::LoyaltyProgram& loyalty, const Account& account,
              Profile& profile) {
  profile.record.Set(loyalty.balance_offset, account.ledger.Balance());
  profile.record.Set(loyalty.tier_offset,
                     account.tier.tier == loyalty::kNoTier
                         ? -1
                         : loyalty.tiers[account.tier.tier].value);
}

// Remembers what each lot's refunds were as the store wrote them.
void MarkLotsSaved(Account& account) {
  account.saved_refunds.clear();
  for (const Lot& lot : account.ledger.lots()) {
    account.saved_refunds.emplace_back(lot.refunded, lot.refunded_amount);
  }
}

// `select` is the lots query LoadLoyalty prepares once for every member.
Status LoadLots(Statement& select, const std::string& profile,
                const std::string& program, std::vector<Lot>& lots) {
  select.Reset();
  select.BindText(1, profile);
  select.BindText(2, program);
  for (;;) {
    Expected<bool> row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Lot lot;
    lot.id = select.Int(0);
    lot.earned_at = select.Int(1);
    lot.expires_at = select.IsNull(2) ? loyalty::kNeverExpires : select.Int(2);
    lot.earned = select.Int(3);
    lot.refunded = select.Int(4);
    lot.qualifying = select.Int(5) != 0;
    lot.source = select.Text(6);
    // Lots saved before order amounts were kept have none: a partial
    // refund of them is refused, with a message (runtime/engine/loyalty.h).
    if (!select.IsNull(7)) {
      lot.order_amount = select.Int(7);
      lot.order_currency = ir::PackCurrency(select.Text(8));
    }
    lot.refunded_amount = select.Int(9);
    lot.bonus = select.Int(10) != 0;
    bool amounts_sound =
        lot.refunded_amount >= 0 &&
        (select.IsNull(7) ? lot.refunded_amount == 0
                          : lot.order_amount > 0 && lot.order_currency != 0 &&
                                lot.refunded_amount <= lot.order_amount);
    if (!amounts_sound) {
      return Status::Error("lot " + std::to_string(select.Int(0)) +
                           " has an order amount, currency or refunded "
                           "amount that cannot be (the file was changed "
                           "outside parcours)");
    }
    if (lot.id != static_cast<int64_t>(lots.size()) + 1) {
      return Status::Error("lot " + std::to_string(lot.id) +
                           " is out of sequence");
    }
    lots.push_back(std::move(lot));
  }
  return Status::Ok();
}

// `select` is the rows query LoadLoyalty prepares once for every member.
Status LoadRows(Statement& select, const std::string& profile,
                const std::string& program, std::vector<Movement>& rows) {
  select.Reset();
  select.BindText(1, profile);
  select.BindText(2, program);
  for (;;) {
    Expected<bool> row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Movement movement;
    movement.seq = select.Int(0);
    movement.at = select.Int(1);
    std::optional<MovementKind> kind = KindNamed(select.Text(2));
    if (!kind || movement.seq != static_cast<int64_t>(rows.size()) + 1) {
      return Status::Error("ledger row " + std::to_string(movement.seq) +
                           " is damaged (kind `" + select.Text(2) +
                           "`, or out of sequence)");
    }
    movement.kind = *kind;
    movement.points = select.Int(3);
    movement.lot = select.Int(4);
    movement.lot_delta = select.Int(5);
    movement.source = select.Text(6);
    rows.push_back(std::move(movement));
  }
  return Status::Ok();
}

// The columns of a `loyalty_members` row (as LoadLoyalty selects them)
// that the ledger does not derive: the tier and what the rules remember.
void ReadMemberColumns(Statement& select, const ir::LoyaltyProgram& loyalty,
                       Account& account) {
  account.tier.tier = loyalty::kNoTier;
  if (!select.IsNull(4)) {
    std::string tier = select.Text(4);
    for (size_t t = 0; t < loyalty.tiers.size(); ++t) {
      if (loyalty.tiers[t].name == tier) {
        account.tier.tier = static_cast<int32_t>(t);
      }
    }
  }
  account.tier.since = select.Int(5);
  account.noticed_through_lot = select.Int(6);

  // One entry per `earn ... on` rule; a rule added since starts unearned.
  account.last_earned_on.assign(loyalty.earn_on_event.size(),
                                loyalty::kNeverEarned);
  auto last = nlohmann::json::parse(select.Text(7), nullptr, false);
  for (size_t r = 0;
       last.is_array() && r < last.size() && r < account.last_earned_on.size();
       ++r) {
    if (last[r].is_number_integer()) {
      account.last_earned_on[r] = last[r].get<int64_t>();
    }
  }
}

}  // namespace

// The statements that read members' accounts: every member's, in the
// order of their ids, or one profile's.
struct AccountReaders {
  Statement members;
  Statement lots;
  Statement rows;

  static Expected<AccountReaders> Prepare(Database& db, bool one_profile) {
    Expected<Statement> members = db.Prepare(
        std::string("SELECT profile, program, held, owed, tier, tier_since, "
                    "noticed_through_lot, last_earned_on FROM "
                    "loyalty_members ") +
        (one_profile ? "WHERE profile = ?1 ORDER BY program"
                     : "ORDER BY profile, program"));
    if (!members.ok()) return members.status();
    Expected<Statement> lots = db.Prepare(
        "SELECT lot, earned_at, expires_at, earned, refunded, qualifying, "
        "source, order_amount, order_currency, refunded_amount, bonus FROM "
        "loyalty_lots WHERE profile = ?1 AND program = ?2 ORDER BY lot");
    if (!lots.ok()) return lots.status();
    Expected<Statement> rows = db.Prepare(
        "SELECT seq, at, kind, points, lot, lot_delta, source FROM "
        "loyalty_ledger WHERE profile = ?1 AND program = ?2 ORDER BY seq");
    if (!rows.ok()) return rows.status();
    return AccountReaders{std::move(*members), std::move(*lots),
                          std::move(*rows)};
  }
};

namespace {

// Restores the account of the member row `select` stands on.
Status LoadAccount(const ir::Program& program, AccountReaders& readers,
                   Profile& profile, int32_t index) {
  Statement& select = readers.members;
  std::string program_name = select.Text(1);
  std::string what =
      "profile `" + profile.id + "`, loyalty program `" + program_name + "`";
  const ir::LoyaltyProgram& loyalty = program.loyalty[index];

  std::vector<Lot> lots;
  std::vector<Movement> rows;
  Status status = LoadLots(readers.lots, profile.id, program_name, lots);
  if (status.ok()) {
    status = LoadRows(readers.rows, profile.id, program_name, rows);
  }
  if (!status.ok()) return status.WithContext(what);

  if (profile.loyalty.size() < program.loyalty.size()) {
    profile.loyalty.resize(program.loyalty.size());
  }
  Account& account = profile.loyalty[index];
  size_t row_count = rows.size();
  account.ledger = Ledger::Restore(std::move(lots), std::move(rows),
                                   select.Int(2), select.Int(3));
  std::string problem = account.ledger.Verify();
  if (!problem.empty()) {
    return Status::Error(what +
                         ": the points ledger disagrees with the saved "
                         "balance (" +
                         problem +
                         "); the file was changed outside parcours; "
                         "restore it from a backup");
  }
  account.saved_rows = row_count;
  MarkLotsSaved(account);

  ReadMemberColumns(select, loyalty, account);
  SetWords(loyalty, account, profile);
  return Status::Ok();
}

// Restores the accounts of the member rows `readers.members` yields;
// `only`, when given, is the profile they all belong to.
Status LoadAccounts(State& state, AccountReaders& readers, Profile* only) {
  const ir::Program& program = state.program();
  for (;;) {
    Expected<bool> row = readers.members.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;

    int32_t index = FindProgram(program, readers.members.TextView(1));
    Profile* profile = only;
    if (profile == nullptr) {
      profile = state.profile_index().Find(readers.members.TextView(0));
    }
    // A program no longer declared keeps its rows in the file, unread, as
    // do those of a profile a lazy load left cold (read when it warms).
    if (index < 0 || profile == nullptr || profile->cold) continue;
    Status status = LoadAccount(program, readers, *profile, index);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace

Status LoadLoyalty(Database& db, State& state) {
  Expected<AccountReaders> readers = AccountReaders::Prepare(db, false);
  if (!readers.ok()) return readers.status();
  return LoadAccounts(state, *readers, nullptr);
}

Status LoadLoyaltyOf(Database& db, State& state, Profile& profile,
                     AccountReadersPtr& readers) {
  if (state.program().loyalty.empty()) return Status::Ok();
  if (readers == nullptr) {
    Expected<AccountReaders> prepared = AccountReaders::Prepare(db, true);
    if (!prepared.ok()) return prepared.status();
    readers.reset(new AccountReaders(std::move(*prepared)));
  }
  readers->members.BindText(1, profile.id);
  Status status = LoadAccounts(state, *readers, &profile);
  readers->members.Reset();
  return status;
}

void AccountReadersDeleter::operator()(AccountReaders* readers) const {
  delete readers;
}

namespace {

// The terms a report reads without the program's source.
Status WriteProgramTerms(Database& db, const ir::Program& program) {
  Expected<Statement> terms = db.Prepare(
      "INSERT OR REPLACE INTO loyalty_programs(name, currency, "
      "value_per_point, breakage, tiers) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!terms.ok()) return terms.status();
  for (const ir::LoyaltyProgram& loyalty : program.loyalty) {
    nlohmann::json tiers = nlohmann::json::array();
    for (const ir::LoyaltyTier& tier : loyalty.tiers) {
      tiers.push_back(tier.name);
    }
    terms->BindText(1, loyalty.name);
    terms->BindText(2, loyalty.currency == 0
                           ? std::string()
                           : ir::UnpackCurrency(loyalty.currency));
    terms->BindInt(3, loyalty.value_per_point);
    terms->BindInt(4, loyalty.breakage / 100);
    terms->BindText(5, tiers.dump());
    Status status = terms->Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// The statements that write one member's account, prepared once a save.
struct AccountWriters {
  Statement member;
  Statement lot;
  Statement movement;
  Statement tier;

  static Expected<AccountWriters> Prepare(Database& db) {
    Expected<Statement> member = db.Prepare(
        "INSERT OR REPLACE INTO loyalty_members(profile, program, held, "
        "owed, tier, tier_since, noticed_through_lot, last_earned_on) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!member.ok()) return member.status();
    Expected<Statement> lot = db.Prepare(
        "INSERT OR REPLACE INTO loyalty_lots(profile, program, lot, "
        "earned_at, expires_at, earned, refunded, qualifying, source, "
        "order_amount, order_currency, refunded_amount, bonus) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    if (!lot.ok()) return lot.status();
    Expected<Statement> movement = db.Prepare(
        "INSERT INTO loyalty_ledger(profile, program, seq, at, kind, points, "
        "lot, lot_delta, source) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!movement.ok()) return movement.status();
    Expected<Statement> tier = db.Prepare(
        "INSERT INTO loyalty_tiers(profile, program, at, tier) "
        "VALUES(?1, ?2, ?3, ?4)");
    if (!tier.ok()) return tier.status();
    return AccountWriters{std::move(*member), std::move(*lot),
                          std::move(*movement), std::move(*tier)};
  }
};

// The ledger rows appended since the last save.
Status WriteMovements(Statement& insert, const std::string& profile,
                      const std::string& program, const Account& account) {
  const auto& rows = account.ledger.movements();
  for (size_t i = account.saved_rows; i < rows.size(); ++i) {
    const Movement& row = rows[i];
    insert.BindText(1, profile);
    insert.BindText(2, program);
    insert.BindInt(3, row.seq);
    insert.BindInt(4, row.at);
    insert.BindText(5, loyalty::MovementKindName(row.kind));
    insert.BindInt(6, row.points);
    insert.BindInt(7, row.lot);
    insert.BindInt(8, row.lot_delta);
    insert.BindText(9, row.source);
    Status status = insert.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// Only new lots and lots a refund changed: the other columns of a lot
// never change once it is written.
Status WriteChangedLots(Statement& insert, const std::string& profile,
                        const std::string& program, const Account& account) {
  for (const Lot& lot : account.ledger.lots()) {
    size_t index = static_cast<size_t>(lot.id - 1);
    bool saved = index < account.saved_refunds.size() &&
                 account.saved_refunds[index] ==
                     std::pair{lot.refunded, lot.refunded_amount};
    if (saved) continue;

    insert.BindText(1, profile);
    insert.BindText(2, program);
    insert.BindInt(3, lot.id);
    insert.BindInt(4, lot.earned_at);
    if (lot.expires_at == loyalty::kNeverExpires) {
      insert.BindNull(5);
    } else {
      insert.BindInt(5, lot.expires_at);
    }
    insert.BindInt(6, lot.earned);
    insert.BindInt(7, lot.refunded);
    insert.BindInt(8, lot.qualifying ? 1 : 0);
    insert.BindText(9, lot.source);
    if (lot.order_amount > 0) {
      insert.BindInt(10, lot.order_amount);
      insert.BindText(11, ir::UnpackCurrency(lot.order_currency));
    } else {
      insert.BindNull(10);
      insert.BindNull(11);
    }
    insert.BindInt(12, lot.refunded_amount);
    insert.BindInt(13, lot.bonus ? 1 : 0);
    Status status = insert.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// The changes of tier since the last save: the history a report reads
// the tier at a date from.
Status WriteTierChanges(Statement& insert, const std::string& profile,
                        const ir::LoyaltyProgram& loyalty,
                        const Account& account) {
  for (const auto& [at, tier] : account.unsaved_tiers) {
    insert.BindText(1, profile);
    insert.BindText(2, loyalty.name);
    insert.BindInt(3, at);
    if (tier == loyalty::kNoTier) {
      insert.BindNull(4);
    } else {
      insert.BindText(4, loyalty.tiers[tier].name);
    }
    Status status = insert.Run();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

// The member's own row: balance, tier and what the rules remember.
Status WriteMember(Statement& insert, const std::string& profile,
                   const ir::LoyaltyProgram& loyalty, const Account& account) {
  nlohmann::json last = nlohmann::json::array();
  for (int64_t at : account.last_earned_on) {
    if (at == loyalty::kNeverEarned) {
      last.push_back(nullptr);
    } else {
      last.push_back(at);
    }
  }

  const Ledger& ledger = account.ledger;
  insert.BindText(1, profile);
  insert.BindText(2, loyalty.name);
  insert.BindInt(3, ledger.Balance() + ledger.Owed());
  insert.BindInt(4, ledger.Owed());
  if (account.tier.tier == loyalty::kNoTier) {
    insert.BindNull(5);
  } else {
    insert.BindText(5, loyalty.tiers[account.tier.tier].name);
  }
  insert.BindInt(6, account.tier.since);
  insert.BindInt(7, account.noticed_through_lot);
  insert.BindText(8, last.dump());
  return insert.Run();
}

}  // namespace

Status WriteLoyalty(Database& db, const State& state) {
  const ir::Program& program = state.program();
  if (program.loyalty.empty()) return Status::Ok();

  Status status = WriteProgramTerms(db, program);
  if (!status.ok()) return status;
  Expected<AccountWriters> writers = AccountWriters::Prepare(db);
  if (!writers.ok()) return writers.status();

  for (const Profile* profile : state.dirty_profiles()) {
    for (size_t p = 0; p < profile->loyalty.size(); ++p) {
      const Account& account = profile->loyalty[p];
      if (!account.changed) continue;
      const ir::LoyaltyProgram& loyalty = program.loyalty[p];
      const std::string& id = profile->id;

      status = WriteMovements(writers->movement, id, loyalty.name, account);
      if (status.ok()) {
        status = WriteChangedLots(writers->lot, id, loyalty.name, account);
      }
      if (status.ok()) {
        status = WriteTierChanges(writers->tier, id, loyalty, account);
      }
      if (status.ok())
        status = WriteMember(writers->member, id, loyalty, account);
      if (!status.ok()) return status;
    }
  }
  return Status::Ok();
}

void MarkLoyaltySaved(State& state) {
  for (Profile* profile : state.dirty_profiles()) {
    for (Account& account : profile->loyalty) {
      account.saved_rows = account.ledger.movements().size();
      MarkLotsSaved(account);
      account.unsaved_tiers.clear();
      account.changed = false;
    }
  }
}

}  // namespace parcours::store
