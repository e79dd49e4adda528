// Expired rows of the SQLite lock backend: a grant purges the expired leases
// and waits it meets on related resources (a crashed holder's lease, the
// wait of a process that died while waiting) and is not blocked by them,
// while live ones still block. The rows are written straight into the
// database, as a process that died would have left them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "datashard/lock_manager.h"
#include "io/temp_dir.h"

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
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
  }
  void TearDown() override { sqlite3_close(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  }
  int64_t Count(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    const int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
  }
  void Lease(const std::string& resource, const std::string& owner, int64_t expiry_ms) {
    Exec("INSERT INTO datashard_locks VALUES('" + resource + "', '" + owner + "', 1, " +
         std::to_string(expiry_ms) + ", 1)");
  }
  void Wait(const std::string& owner, const std::string& resource, int64_t expiry_ms) {
    Exec("INSERT INTO datashard_lock_waiters VALUES('" + owner + "', '" + resource + "', 1, 1, " +
         std::to_string(expiry_ms) + ")");
  }

  TempDir dir_{"datashard-lock-expiry"};
  std::string path_ = dir_.Join("locks.db");
  std::string url_ = "sqlite:" + path_;
  sqlite3* db_ = nullptr;
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
  Exec("DELETE FROM datashard_lock_waiters");
  Lease("f/1/seat/4", "holder", kFuture);
  Wait("dead-waiter", "f/1", kPast);
  EXPECT_FALSE(locks->TryAcquire("f/1", "me", kX, milliseconds(60000)).has_value());
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_lock_waiters"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM datashard_locks"), 1);
}

}  // namespace
}  // namespace datashard
