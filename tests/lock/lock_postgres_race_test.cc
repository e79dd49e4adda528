// Races of the PostgreSQL lock backend, forced deterministically: a second
// connection holds a row lock open so a renewal stalls exactly where the
// interleaving needs it (issue 12 items 10 and 12).
#include <gtest/gtest.h>

#include <future>

#include "datashard/errors.h"
#include "datashard/lock_guard.h"
#include "datashard/lock_manager.h"
#include "lock_test_backends.h"
#include "postgres_session.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kX = LockMode::kExclusive;

class PostgresRaceTest : public testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<TestBackend>("postgres");
    ASSERT_TRUE(backend_->ok());
    locks_ = backend_->Open();
    const std::string id = UniqueId();
    resource_ = "t" + id + "/x";
    a_ = "a-" + id;
    b_ = "b-" + id;
    observer_ = std::make_unique<Session>(backend_->url());
  }

  /// Waits until some session waits for `pid` and returns that session's pid.
  int WaitUntilSomeoneWaitsFor(int pid) {
    for (int i = 0; i < 30000; ++i) {
      const int64_t waiter =
          observer_->Number("SELECT coalesce(min(pid), 0) FROM pg_stat_activity WHERE " +
                            std::to_string(pid) + " = ANY(pg_blocking_pids(pid))");
      if (waiter > 0) return static_cast<int>(waiter);
      std::this_thread::sleep_for(milliseconds(1));
    }
    ADD_FAILURE() << "nobody waited for backend " << pid;
    return 0;
  }

  int64_t ServerNowMs() {
    return observer_->Number("SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint");
  }

  std::unique_ptr<TestBackend> backend_;
  std::unique_ptr<LockManager> locks_;
  std::unique_ptr<Session> observer_;
  std::string resource_, a_, b_;
};

int64_t EpochMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// Issue 12 item 10: a renew that began before the lease expired and a grant
// that reads the lease after it expired must not both succeed. The blocker
// holds the lease's row, so the renew stalls mid-statement; the grant then
// runs after the expiry; the blocker lets go. Unserialised, the grant saw the
// old (expired) row, skipped it in the purge and inserted its own lease,
// then the renew committed: two exclusive holders.
TEST_F(PostgresRaceTest, RenewRacingAGrantNeverLeavesTwoExclusiveHolders) {
  const Lease lease = locks_->Acquire(resource_, a_, kX, milliseconds(4000), milliseconds(0));
  std::unique_ptr<LockManager> renewer = backend_->Open();
  std::unique_ptr<LockManager> granter = backend_->Open();
  Session blocker(backend_->url());
  blocker.Query("BEGIN");
  blocker.Query("SELECT 1 FROM datashard_locks WHERE resource = '" + resource_ + "' FOR UPDATE");

  auto renew = std::async(std::launch::async, [&] {
    try {
      renewer->Renew(lease, milliseconds(60000));
      return std::string("renewed");
    } catch (const LockExpired&) {
      return std::string("expired");
    }
  });
  const int renew_pid = WaitUntilSomeoneWaitsFor(blocker.pid());
  ASSERT_LT(ServerNowMs(), EpochMs(lease.expiry)) << "the renew must start before the expiry";
  while (ServerNowMs() <= EpochMs(lease.expiry) + 10) std::this_thread::sleep_for(milliseconds(5));

  auto grant = std::async(std::launch::async, [&] {
    return granter->TryAcquire(resource_, b_, kX, milliseconds(60000)).has_value();
  });
  // Either the grant finishes now (unserialised), or it waits for the renew.
  while (grant.wait_for(milliseconds(1)) != std::future_status::ready) {
    if (observer_->Number("SELECT count(*) FROM pg_stat_activity WHERE " +
                          std::to_string(renew_pid) + " = ANY(pg_blocking_pids(pid))") > 0) {
      break;
    }
  }
  blocker.Query("ROLLBACK");
  const std::string renewed = renew.get();
  const bool granted = grant.get();
  EXPECT_EQ(renewed, "renewed");
  EXPECT_FALSE(granted);
  std::vector<Lease> holders = locks_->Inspect(resource_);
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0].owner, a_);
  EXPECT_EQ(holders[0].fencing_token, lease.fencing_token);
  locks_->ReleaseAll(a_);
  locks_->ReleaseAll(b_);
}

// Issue 12 item 12: a renewal stuck on the server (here: a row lock; in life
// a partitioned server) must not leave the holder believing it holds the
// lock. Its client deadline passes and CheckHeld reports LockExpired.
TEST_F(PostgresRaceTest, GuardReportsTheLeaseLostWhileItsRenewalHangs) {
  {
    LockGuard guard(*locks_, resource_, a_, kX, milliseconds(3000), milliseconds(0),
                    /*auto_renew=*/true);
    Session blocker(backend_->url());
    blocker.Query("BEGIN");
    blocker.Query("SELECT 1 FROM datashard_locks WHERE resource = '" + resource_ + "' FOR UPDATE");
    WaitUntilSomeoneWaitsFor(blocker.pid());  // the renewal (every ttl/3) is stuck
    EXPECT_NO_THROW(guard.CheckHeld());
    backend_->PassMonotonic(milliseconds(3000));
    EXPECT_THROW(guard.CheckHeld(), LockExpired);
    blocker.Query("ROLLBACK");
  }
  locks_->ReleaseAll(a_);
}

}  // namespace
}  // namespace datashard::lock_test
