// The policy tables of the state file: what a run loads back.
#include <catch2/catch.hpp>

#include "runtime/store/policy_tables.h"
#include "runtime/store/store.h"
#include "tests/runtime/runtime_test_support.h"

namespace parcours::testing {
namespace {

TEST_CASE(
    "a run loads only the contacts its caps can see, and the latest "
    "consent of each channel",
    "[runtime][policy]") {
  Shop shop = MakeShop();
  ir::Policy policy;
  policy.name = "weekly";
  ir::Cap cap;
  cap.period = ir::CapPeriod::Rolling;
  cap.rolling_seconds = 7 * 86400;
  policy.caps.push_back(cap);
  shop.program.policies.push_back(policy);

  TempDir dir;
  std::string path = dir.File("s.db");
  const int64_t clock = 1'000'000'000;
  {
    auto store = store::Store::Open(path);
    REQUIRE(store.ok());
  }
  {
    auto db = store::Database::Open(path);
    REQUIRE(db.ok());
    std::string sql =
        SavedMetaSql(clock) +
        " INSERT INTO contacts(profile, at, channel) VALUES('p1', " +
        std::to_string(clock - 7 * 86400 - 1) +
        ", 'email'); INSERT INTO contacts(profile, at, channel, category) "
        "VALUES('p1', " +
        std::to_string(clock - 7 * 86400) +
        ", 'push', 'service'); INSERT INTO consent_ledger(profile, at, "
        "channel, purpose, "
        "granted, source, context) VALUES"
        "('p1', 1, 'sms', 'marketing', 1, 'm1', 'Consent Granted'),"
        "('p1', 2, 'sms', 'marketing', 0, 'm2', 'inbound SMS \"STOP\"'),"
        "('p1', 3, 'sms', 'research', 1, 'm3', 'Consent Granted')";
    REQUIRE(db->Exec(sql).ok());
  }

  auto store = store::Store::Open(path);
  REQUIRE(store.ok());
  store::State state(shop.program);
  REQUIRE((*store)->Load(state).ok());
  const store::PolicyLedger& ledger = state.policy_ledger();
  // The contact exactly one window old can still matter (a window that
  // ends later reads it); the one before cannot.
  REQUIRE(ledger.Contacts("p1").size() == 1);
  CHECK(ledger.Contacts("p1")[0].channel == "push");
  CHECK(ledger.Contacts("p1")[0].category == "service");
  // Another purpose does not override marketing consent.
  const store::ConsentRecord* sms = ledger.LatestConsent("p1", "sms");
  REQUIRE(sms != nullptr);
  CHECK_FALSE(sms->granted);
  CHECK(sms->source == "m2");
  CHECK(ledger.LatestConsent("p1", "email") == nullptr);
}

}  // namespace
}  // namespace parcours::testing
