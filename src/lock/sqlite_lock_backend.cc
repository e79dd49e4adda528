#include "lock/sqlite_lock_backend.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "datashard/errors.h"
#include "lock/lock_rules.h"
#include "sql/sqlite_connection.h"

namespace datashard::lock {
namespace {

using std::chrono::milliseconds;

int64_t ToMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromMs(int64_t ms) {
  return std::chrono::system_clock::time_point(milliseconds(ms));
}

using Param = sql::SqliteParam;

// The resources related to one (equal, ancestor or descendant) as index
// lookups: the resource and its ancestors by equality, its descendants as
// the byte range [resource + '/', resource + '0') ('0' follows '/'). No IN
// list or subquery: SQLite builds and drops a temporary b-tree for those on
// every statement, which cost more than the lookups themselves.
class RelatedResources {
 public:
  explicit RelatedResources(const std::string& resource)
      : path_(Ancestors(resource)), lo_(resource + '/'), hi_(resource + '0') {
    path_.push_back(resource);
  }
  /// `select` ("SELECT ... FROM table") of the related rows that also meet
  /// `extra` (" AND ..."), one index lookup per branch; params() are its
  /// first parameters.
  std::string Sql(const std::string& select, const std::string& extra = "") const {
    std::string sql;
    for (size_t i = 1; i <= path_.size(); ++i)
      sql += select + " WHERE resource = ?" + std::to_string(i) + extra + " UNION ALL ";
    return sql + select + " WHERE " + Range() + extra;
  }
  /// The condition on `resource` alone, for a DELETE (an OR of index
  /// lookups); params() are its first parameters.
  std::string Where() const {
    std::string sql = "(";
    for (size_t i = 1; i <= path_.size(); ++i) sql += "resource = ?" + std::to_string(i) + " OR ";
    return sql + "(" + Range() + "))";
  }
  std::vector<Param> params() const {
    std::vector<Param> out(path_.begin(), path_.end());
    out.emplace_back(lo_);
    out.emplace_back(hi_);
    return out;
  }

 private:
  std::string Range() const {
    const size_t lo = path_.size() + 1;
    return "resource >= ?" + std::to_string(lo) + " AND resource < ?" + std::to_string(lo + 1);
  }

  std::vector<std::string> path_;
  std::string lo_, hi_;
};

class SqliteLockBackend : public LockBackend {
 public:
  SqliteLockBackend(std::string path, const LockOptions& options)
      : path_(std::move(path)),
        clock_(options.clock ? options.clock : [] { return std::chrono::system_clock::now(); }),
        db_(path_, "lock database") {
    Transaction tx(db_);
    Exec(
        "CREATE TABLE IF NOT EXISTS datashard_locks(resource TEXT NOT NULL, owner TEXT NOT NULL,"
        " mode INTEGER NOT NULL, expiry_ms INTEGER NOT NULL, token INTEGER NOT NULL,"
        " PRIMARY KEY(resource, owner))");
    Exec("CREATE INDEX IF NOT EXISTS datashard_locks_owner ON datashard_locks(owner)");
    Exec(
        "CREATE TABLE IF NOT EXISTS datashard_lock_waiters(owner TEXT NOT NULL,"
        " resource TEXT NOT NULL, mode INTEGER NOT NULL, ticket INTEGER NOT NULL,"
        " expiry_ms INTEGER NOT NULL, PRIMARY KEY(owner, resource))");
    Exec(
        "CREATE INDEX IF NOT EXISTS datashard_lock_waiters_resource ON"
        " datashard_lock_waiters(resource)");
    Exec(
        "CREATE TABLE IF NOT EXISTS datashard_lock_counters(name TEXT PRIMARY KEY,"
        " value INTEGER NOT NULL)");
    Exec("INSERT OR IGNORE INTO datashard_lock_counters VALUES('fence', 0), ('ticket', 0)");
    tx.Commit();
  }

  GrantResult TryGrant(const GrantRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction tx(db_);
    const int64_t now = ToMs(clock_());
    const RelatedResources related(request.resource);
    std::vector<Lease> leases = ReadLeases(
        related.Sql("SELECT resource, owner, mode, expiry_ms, token FROM datashard_locks"),
        related.params());
    std::vector<int64_t> waiter_expiry_ms;
    std::vector<Waiter> waiters = ReadWaiters(
        related.Sql("SELECT owner, resource, mode, ticket, expiry_ms FROM datashard_lock_waiters"),
        related.params(), &waiter_expiry_ms);
    // Expired rows are purged near the request only, and only when the reads
    // met some: two statements fewer under the write lock in the usual case.
    const auto lapsed = [&](int64_t expiry_ms) { return expiry_ms <= now; };
    const auto lapsed_lease = [&](const Lease& l) { return lapsed(ToMs(l.expiry)); };
    if (std::ranges::any_of(leases, lapsed_lease) ||
        std::ranges::any_of(waiter_expiry_ms, lapsed)) {
      std::vector<Param> purge = related.params();
      purge.emplace_back(now);
      const std::string expired = " AND expiry_ms <= ?" + std::to_string(purge.size());
      Run("DELETE FROM datashard_locks WHERE " + related.Where() + expired, purge);
      Run("DELETE FROM datashard_lock_waiters WHERE " + related.Where() + expired, purge);
      std::erase_if(leases, lapsed_lease);
      std::vector<Waiter> live;
      for (size_t i = 0; i < waiters.size(); ++i) {
        if (!lapsed(waiter_expiry_ms[i])) live.push_back(std::move(waiters[i]));
      }
      waiters = std::move(live);
    }
    std::optional<int64_t> my_ticket;
    for (const Waiter& w : waiters) {
      if (w.owner == request.owner && w.resource == request.resource) my_ticket = w.ticket;
    }
    GrantResult result;
    std::vector<std::string> blockers = Blockers(request, my_ticket, leases, waiters);
    if (blockers.empty()) {
      const int64_t token = NextCounter("fence");
      const int64_t expiry = now + request.ttl.count();
      Run("INSERT OR REPLACE INTO datashard_locks VALUES(?1, ?2, ?3, ?4, ?5)",
          {request.resource, request.owner, static_cast<int64_t>(request.mode), expiry, token});
      if (my_ticket) {
        Run("DELETE FROM datashard_lock_waiters WHERE owner = ?1 AND resource = ?2",
            {request.owner, request.resource});
      }
      result.lease = Lease{request.resource, request.owner, request.mode, FromMs(expiry),
                           static_cast<uint64_t>(token)};
    } else {
      result.blockers = JoinBlockers(blockers);
      result.next_in_line = NextInLine(request, my_ticket, leases, waiters);
      if (request.waiting) {
        const int64_t ticket = my_ticket ? *my_ticket : NextCounter("ticket");
        Run("INSERT OR REPLACE INTO datashard_lock_waiters VALUES(?1, ?2, ?3, ?4, ?5)",
            {request.owner, request.resource, static_cast<int64_t>(request.mode), ticket,
             now + kWaiterTtl.count()});
      }
    }
    tx.Commit();
    return result;
  }

  void Withdraw(const std::string& owner, const std::string& resource) override {
    std::lock_guard<std::mutex> lock(mu_);
    Run("DELETE FROM datashard_lock_waiters WHERE owner = ?1 AND resource = ?2", {owner, resource});
  }

  Lease Renew(const std::string& resource, const std::string& owner, uint64_t token,
              milliseconds ttl) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction tx(db_);
    const int64_t now = ToMs(clock_());
    std::vector<Lease> held = Held(resource, owner, token);
    if (held.empty() || ToMs(held[0].expiry) <= now) {
      DeleteHeld(resource, owner, held);
      tx.Commit();
      throw LockExpired(NotHeld(resource, owner, token, held, "renew"));
    }
    held[0].expiry = FromMs(now + ttl.count());
    Run("UPDATE datashard_locks SET expiry_ms = ?3 WHERE resource = ?1 AND owner = ?2"
        " AND token = ?4",
        {resource, owner, ToMs(held[0].expiry), static_cast<int64_t>(held[0].fencing_token)});
    tx.Commit();
    return held[0];
  }

  // One autocommit compare-and-delete, whose RETURNING tells a live lease
  // from an expired one.
  void Release(const std::string& resource, const std::string& owner, uint64_t token) override {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = ToMs(clock_());
    const std::vector<Lease> held = ReadLeases(
        "DELETE FROM datashard_locks WHERE resource = ?1 AND owner = ?2 AND (?3 = 0 OR token = ?3)"
        " RETURNING resource, owner, mode, expiry_ms, token",
        {resource, owner, static_cast<int64_t>(token)});
    if (held.empty() || ToMs(held[0].expiry) <= now) {
      throw LockExpired(NotHeld(resource, owner, token, held, "release"));
    }
  }

  size_t ReleaseAll(const std::string& owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction tx(db_);
    const int64_t now = ToMs(clock_());
    const auto released = static_cast<size_t>(
        Run("DELETE FROM datashard_locks WHERE owner = ?1 AND expiry_ms > ?2", {owner, now}));
    Run("DELETE FROM datashard_locks WHERE owner = ?1", {owner});
    Run("DELETE FROM datashard_lock_waiters WHERE owner = ?1", {owner});
    tx.Commit();
    return released;
  }

  LockSnapshot Snapshot() override {
    std::lock_guard<std::mutex> lock(mu_);
    Exec("BEGIN");
    try {
      const int64_t now = ToMs(clock_());
      LockSnapshot s;
      s.leases = ReadLeases(
          "SELECT resource, owner, mode, expiry_ms, token FROM datashard_locks"
          " WHERE expiry_ms > ?1",
          {now});
      s.waiters = ReadWaiters(
          "SELECT owner, resource, mode, ticket FROM datashard_lock_waiters WHERE expiry_ms > ?1",
          {now});
      Exec("COMMIT");
      return s;
    } catch (...) {
      sqlite3_exec(db_.raw(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void WaitForChange(milliseconds timeout) override { std::this_thread::sleep_for(timeout); }

  std::string url() const override { return "sqlite:" + path_; }

 private:
  using Transaction = sql::SqliteConnection::Transaction;

  void Exec(const char* sql) { db_.Exec(sql); }
  sqlite3_stmt* Prepare(const std::string& sql, const std::vector<Param>& params) {
    return db_.Prepare(sql, params);
  }
  int64_t Run(const std::string& sql, const std::vector<Param>& params) {
    return db_.Run(sql, params);
  }
  [[noreturn]] void Fail(const std::string& what, int rc) { db_.Fail(what, rc); }
  static std::string Text(sqlite3_stmt* stmt, int col) {
    return sql::SqliteConnection::Text(stmt, col);
  }

  // Inside the caller's transaction. Not UPDATE ... RETURNING: SQLite
  // gathers returned rows in a temporary b-tree.
  int64_t NextCounter(const std::string& name) {
    Run("UPDATE datashard_lock_counters SET value = value + 1 WHERE name = ?1", {name});
    sqlite3_stmt* stmt =
        Prepare("SELECT value FROM datashard_lock_counters WHERE name = ?1", {name});
    const int rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) Fail("counter " + name, rc);
    const int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return value;
  }

  std::vector<Lease> ReadLeases(const std::string& sql, const std::vector<Param>& params) {
    sqlite3_stmt* stmt = Prepare(sql, params);
    std::vector<Lease> out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      out.push_back(Lease{Text(stmt, 0), Text(stmt, 1),
                          static_cast<LockMode>(sqlite3_column_int(stmt, 2)),
                          FromMs(sqlite3_column_int64(stmt, 3)),
                          static_cast<uint64_t>(sqlite3_column_int64(stmt, 4))});
    }
    if (rc != SQLITE_DONE) Fail(sql, rc);
    sqlite3_reset(stmt);
    return out;
  }

  // With `expiry_ms`, the query's fifth column is each waiter's expiry.
  std::vector<Waiter> ReadWaiters(const std::string& sql, const std::vector<Param>& params,
                                  std::vector<int64_t>* expiry_ms = nullptr) {
    sqlite3_stmt* stmt = Prepare(sql, params);
    std::vector<Waiter> out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      out.push_back(Waiter{Text(stmt, 0), Text(stmt, 1),
                           static_cast<LockMode>(sqlite3_column_int(stmt, 2)),
                           sqlite3_column_int64(stmt, 3)});
      if (expiry_ms) expiry_ms->push_back(sqlite3_column_int64(stmt, 4));
    }
    if (rc != SQLITE_DONE) Fail(sql, rc);
    sqlite3_reset(stmt);
    return out;
  }

  // The owner's lease on `resource` with fencing token `token` (0: any).
  std::vector<Lease> Held(const std::string& resource, const std::string& owner, uint64_t token) {
    return ReadLeases(
        "SELECT resource, owner, mode, expiry_ms, token FROM datashard_locks"
        " WHERE resource = ?1 AND owner = ?2 AND (?3 = 0 OR token = ?3)",
        {resource, owner, static_cast<int64_t>(token)});
  }

  // Deletes exactly the lease Held returned, if any: never a later grant.
  void DeleteHeld(const std::string& resource, const std::string& owner,
                  const std::vector<Lease>& held) {
    if (held.empty()) return;
    Run("DELETE FROM datashard_locks WHERE resource = ?1 AND owner = ?2 AND token = ?3",
        {resource, owner, static_cast<int64_t>(held[0].fencing_token)});
  }

  std::string NotHeld(const std::string& resource, const std::string& owner, uint64_t token,
                      const std::vector<Lease>& held, const char* op) const {
    const std::string which = token == 0 ? std::string("a lease")
                                         : "the lease with fencing token " + std::to_string(token);
    return "cannot " + std::string(op) + " lock on '" + resource + "' for owner '" + owner +
           "' in " + url() + ": " +
           (held.empty() ? "the owner holds no such lease (" + which +
                               " was never acquired, was released, or expired and was taken "
                               "over)"
                         : "its lease expired");
  }

  const std::string path_;
  std::function<std::chrono::system_clock::time_point()> clock_;
  sql::SqliteConnection db_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<LockBackend> OpenSqliteLockBackend(const std::string& path,
                                                   const LockOptions& options) {
  if (path.empty()) throw InvalidArgument("sqlite lock URL needs a path: sqlite:PATH");
  return std::make_unique<SqliteLockBackend>(path, options);
}

}  // namespace datashard::lock
