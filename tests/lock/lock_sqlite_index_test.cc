// The SQLite lock backend finds related leases and waits by index (issue 18
// item 3): a grant on a large lock table reads a few pages, not the table.
// Reads are counted at the unix VFS's read system calls.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>

#include "datashard/lock_manager.h"
#include "io/temp_dir.h"
#include "lock_test_backends.h"

namespace datashard::lock_test {
namespace {

constexpr LockMode kX = LockMode::kExclusive;

std::atomic<int64_t> g_reads{0};
sqlite3_syscall_ptr g_pread = nullptr, g_pread64 = nullptr, g_read = nullptr;

ssize_t CountPread(int fd, void* buf, size_t n, off_t off) {
  ++g_reads;
  return reinterpret_cast<ssize_t (*)(int, void*, size_t, off_t)>(g_pread)(fd, buf, n, off);
}
ssize_t CountPread64(int fd, void* buf, size_t n, off64_t off) {
  ++g_reads;
  return reinterpret_cast<ssize_t (*)(int, void*, size_t, off64_t)>(g_pread64)(fd, buf, n, off);
}
ssize_t CountRead(int fd, void* buf, size_t n) {
  ++g_reads;
  return reinterpret_cast<ssize_t (*)(int, void*, size_t)>(g_read)(fd, buf, n);
}

// Routes the default VFS's reads (whichever call this build of SQLite uses)
// through the counters while alive.
class CountReads {
 public:
  CountReads() : vfs_(sqlite3_vfs_find(nullptr)) {
    g_pread = vfs_->xGetSystemCall(vfs_, "pread");
    g_pread64 = vfs_->xGetSystemCall(vfs_, "pread64");
    g_read = vfs_->xGetSystemCall(vfs_, "read");
    vfs_->xSetSystemCall(vfs_, "pread", reinterpret_cast<sqlite3_syscall_ptr>(CountPread));
    vfs_->xSetSystemCall(vfs_, "pread64", reinterpret_cast<sqlite3_syscall_ptr>(CountPread64));
    vfs_->xSetSystemCall(vfs_, "read", reinterpret_cast<sqlite3_syscall_ptr>(CountRead));
  }
  ~CountReads() {
    for (const char* call : {"pread", "pread64", "read"}) vfs_->xSetSystemCall(vfs_, call, nullptr);
  }

 private:
  sqlite3_vfs* vfs_;
};

void Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
}

TEST(SqliteLockIndexTest, GrantReadsIndexPagesNotTheWholeTable) {
  TempDir dir("datashard-lock-index");
  const std::string path = dir.Join("locks.db");
  OpenLockManager("sqlite:" + path);  // creates the tables
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // 20,000 live leases and waits on unrelated resources: about 200 pages each.
  Exec(db,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
       " INSERT INTO datashard_locks SELECT 't/r' || i, 'o' || i, 1, 9000000000000, i FROM n");
  Exec(db,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
       " INSERT INTO datashard_lock_waiters SELECT 'w' || i, 't/r' || i || '/c', 1, i,"
       " 9000000000000 FROM n");
  Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close(db);

  CountReads counting;
  auto locks = OpenLockManager("sqlite:" + path);
  const int64_t before = g_reads.load();
  EXPECT_FALSE(locks->TryAcquire("t/r5/x", "me", kX, milliseconds(60000)).has_value());
  const int64_t reads = g_reads.load() - before;
  EXPECT_GT(reads, 0);  // the counters see SQLite's reads
  EXPECT_LT(reads, 60) << "a grant's lookups read " << reads << " pages";
}

}  // namespace
}  // namespace datashard::lock_test
