// Expired rows of the SQLite lock backend: a grant purges the expired leases
// and waits it meets on related resources (a crashed holder's lease, the
// wait of a process that died while waiting) and is not blocked by them,
// while live ones still block. The rows are written straight into the
// database, as a process that died would have left them.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "datashard/lock_manager.h"
#include "io/temp_dir.h"
#include "sql/sqlite_connection.h"

namespace datashard {
namespace {

using std::chrono::milliseconds;
constexpr LockMode kX = LockMode::kExclusive;
constexpr int64_t kPast = 1000;             // 1970: long expired
constexpr int64_t kFuture = 9000000000000;  // 2255: live

class SqliteLockExpiryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenLockManager(url_);  // creates the tables
    db_ = std::make_unique<sql::SqliteConnection>(path_, "lock database");
  }

  int64_t Count(const std::string& sql) { return std::stoll(*db_->Query(sql, {}).at(0).at(0)); }
  void Lease(const std::string& resource, const std::string& owner, int64_t expiry_ms) {
    db_->Run("INSERT INTO datashard_locks VALUES(?1, ?2, 1, ?3, 1)", {resource, owner, expiry_ms});
  }
  void Wait(const std::string& owner, const std::string& resource, int64_t expiry_ms) {
    db_->Run("INSERT INTO datashard_lock_waiters VALUES(?1, ?2, 1, 1, ?3)",
             {owner, resource, expiry_ms});
  }

  TempDir dir_{"datashard-lock-expiry"};
  std::string path_ = dir_.Join("locks.db");
  std::string url_ = "sqlite:" + path_;
  std::unique_ptr<sql::SqliteConnection> db_;
};

TEST_F(SqliteLockExpiryTest, ExpiredLeasesAndWaitsAreIgnoredAndPurged) {
  Lease("f/1", "crashed-holder", kPast);
  Lease("f/1/seat/2", "crashed-child-holder", kPast);
  Wait("dead-waiter", "f/1", kPast);
  Wait("dead-child-waiter", "f/1/seat/3", kPast);
  Lease("f/2", "unrelated", kPast);  // not near the request: left for its own grants
  auto locks = OpenLockManager(url_);
  const std::optional<datashard::Lease> lease =
      locks->TryAcquire("f/1", "me", kX, milliseconds(60000));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_locks WHERE owner = 'me' AND resource = 'f/1'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_locks"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_lock_waiters"), 0);
}

TEST_F(SqliteLockExpiryTest, LiveRowsBlockBesideExpiredOnes) {
  Lease("f/1", "crashed-holder", kPast);
  Wait("waiter", "f/1/seat/3", kFuture);
  auto locks = OpenLockManager(url_);
  // The live wait was queued first: it blocks, and the expired lease goes.
  EXPECT_FALSE(locks->TryAcquire("f/1", "me", kX, milliseconds(60000)).has_value());
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_locks"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_lock_waiters"), 1);
  db_->Exec("DELETE FROM datashard_lock_waiters");
  Lease("f/1/seat/4", "holder", kFuture);
  Wait("dead-waiter", "f/1", kPast);
  EXPECT_FALSE(locks->TryAcquire("f/1", "me", kX, milliseconds(60000)).has_value());
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_lock_waiters"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_locks"), 1);
}

}  // namespace
}  // namespace datashard
