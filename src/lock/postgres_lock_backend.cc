#include "lock/postgres_lock_backend.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdlib>
#include <iterator>
#include <mutex>
#include <vector>

#include "datashard/errors.h"
#include "lock/lock_rules.h"

namespace datashard::lock {
namespace {

using std::chrono::milliseconds;

#define DS_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"
#define DS_RELATED \
  "(resource = $1 OR starts_with($1, resource || '/') OR starts_with(resource, $1 || '/'))"

// Statements by name; each is prepared on every new connection.
struct Statement {
  const char* name;
  const char* sql;
  int params;
};
constexpr Statement kStatements[] = {
    // Hierarchical intention locks: shared advisory locks on every ancestor
    // (outermost first), then an exclusive one on the resource itself, so
    // grants of related resources serialise and siblings run in parallel.
    {"ds_lock_ancestors",
     "SELECT count(pg_advisory_xact_lock_shared(hashtextextended(p, 0))) FROM ("
     " SELECT array_to_string(parts[1:n], '/') AS p FROM (SELECT string_to_array($1, '/') AS "
     "parts) s,"
     " generate_series(1, cardinality(parts) - 1) n ORDER BY n) a",
     1},
    {"ds_lock_self", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0)), " DS_NOW_MS, 1},
    // Leases (kind 0) and waits (kind 1) on related resources, expired ones
    // included so the caller knows when to purge.
    {"ds_related",
     "SELECT 0, resource, owner, mode, expiry_ms, token FROM datashard_locks WHERE " DS_RELATED
     " UNION ALL SELECT 1, resource, owner, mode, expiry_ms, ticket FROM datashard_lock_waiters"
     " WHERE " DS_RELATED,
     1},
    // Purges skip rows another transaction holds: they never wait or deadlock.
    {"ds_purge",
     "DELETE FROM datashard_locks WHERE ctid IN (SELECT ctid FROM datashard_locks"
     " WHERE expiry_ms <= $2 AND " DS_RELATED " FOR UPDATE SKIP LOCKED)",
     2},
    {"ds_purge_waiters",
     "DELETE FROM datashard_lock_waiters WHERE ctid IN (SELECT ctid FROM datashard_lock_waiters"
     " WHERE expiry_ms <= $2 AND " DS_RELATED " FOR UPDATE SKIP LOCKED)",
     2},
    {"ds_grant",
     "INSERT INTO datashard_locks VALUES($1, $2, $3, $4, nextval('datashard_lock_fence'))"
     " ON CONFLICT (resource, owner) DO UPDATE SET mode = EXCLUDED.mode,"
     " expiry_ms = EXCLUDED.expiry_ms, token = EXCLUDED.token RETURNING token",
     4},
    {"ds_unwait", "DELETE FROM datashard_lock_waiters WHERE owner = $1 AND resource = $2", 2},
    {"ds_wait",
     "INSERT INTO datashard_lock_waiters VALUES($1, $2, $3, nextval('datashard_lock_ticket'), $4)"
     " ON CONFLICT (owner, resource) DO UPDATE SET mode = EXCLUDED.mode,"
     " expiry_ms = EXCLUDED.expiry_ms",
     4},
    // Keyed by the grant's token ($4; 0: whichever lease the owner holds).
    {"ds_renew",
     "WITH n AS (SELECT " DS_NOW_MS " AS t) UPDATE datashard_locks l SET expiry_ms = n.t + $3"
     " FROM n WHERE l.resource = $1 AND l.owner = $2 AND ($4::bigint = 0 OR l.token = $4)"
     " AND l.expiry_ms > n.t RETURNING l.mode, l.expiry_ms, l.token",
     4},
    // Compare-and-delete; wakes the waiters (NOTIFY) when a row went away.
    {"ds_release",
     "WITH n AS (SELECT " DS_NOW_MS " AS t), d AS (DELETE FROM datashard_locks l USING n"
     " WHERE l.resource = $1 AND l.owner = $2 AND ($3::bigint = 0 OR l.token = $3)"
     " RETURNING (l.expiry_ms > n.t)::int AS live)"
     " SELECT live, pg_notify('datashard_locks', $1) FROM d",
     3},
    {"ds_notify", "SELECT pg_notify('datashard_locks', $1)", 1},
    {"ds_release_all",
     "WITH n AS (SELECT " DS_NOW_MS " AS t),"
     " w AS (DELETE FROM datashard_lock_waiters WHERE owner = $1),"
     " d AS (DELETE FROM datashard_locks l USING n WHERE l.owner = $1"
     " RETURNING (l.expiry_ms > n.t) AS live)"
     " SELECT count(*) FILTER (WHERE live) FROM d",
     1},
    {"ds_snapshot",
     "WITH n AS (SELECT " DS_NOW_MS " AS t)"
     " SELECT 0, resource, owner, mode, expiry_ms, token FROM datashard_locks, n"
     " WHERE expiry_ms > n.t UNION ALL"
     " SELECT 1, resource, owner, mode, expiry_ms, ticket FROM datashard_lock_waiters, n"
     " WHERE expiry_ms > n.t",
     0},
};

constexpr const char* kSchema =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(1684108136);"  // serialises concurrent creators
    "CREATE TABLE IF NOT EXISTS datashard_locks(resource text NOT NULL, owner text NOT NULL,"
    " mode int NOT NULL, expiry_ms bigint NOT NULL, token bigint NOT NULL,"
    " PRIMARY KEY(resource, owner));"
    "CREATE INDEX IF NOT EXISTS datashard_locks_owner ON datashard_locks(owner);"
    "CREATE TABLE IF NOT EXISTS datashard_lock_waiters(owner text NOT NULL,"
    " resource text NOT NULL, mode int NOT NULL, ticket bigint NOT NULL,"
    " expiry_ms bigint NOT NULL, PRIMARY KEY(owner, resource));"
    "CREATE SEQUENCE IF NOT EXISTS datashard_lock_fence;"
    "CREATE SEQUENCE IF NOT EXISTS datashard_lock_ticket;"
    "COMMIT;";

// The schema objects kSchema creates, visible on the search path: when all
// exist, a new connection skips the DDL (which would wait behind any open
// transaction writing the lock table).
constexpr const char* kSchemaPresent =
    "SELECT count(*) FROM pg_class WHERE pg_table_is_visible(oid) AND relname IN"
    " ('datashard_locks', 'datashard_locks_owner', 'datashard_lock_waiters',"
    " 'datashard_lock_fence', 'datashard_lock_ticket')";
constexpr int kSchemaObjects = 5;

// Connection defaults a URL may override: a connect timeout, TCP keepalives
// and a TCP user timeout (a silent server fails the call), and a statement
// timeout (a call stuck on the server fails instead of blocking its holder).
constexpr const char* kDefaultKeywords[] = {
    "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "options"};
constexpr const char* kDefaultValues[] = {
    "10", "1", "5", "2", "3", "10000", "-c statement_timeout=10000"};

std::chrono::system_clock::time_point FromMs(int64_t ms) {
  return std::chrono::system_clock::time_point(milliseconds(ms));
}

class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }
  int64_t integer(int row, int col) const { return std::stoll(PQgetvalue(r_, row, col)); }

 private:
  PGresult* r_;
};

class PostgresLockBackend : public LockBackend {
 public:
  explicit PostgresLockBackend(std::string url)
      : conninfo_(std::move(url)), url_(RedactPassword(conninfo_)) {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
  }
  ~PostgresLockBackend() override { PQfinish(conn_); }

  GrantResult TryGrant(const GrantRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction tx(*this);
    Exec("ds_lock_ancestors", {request.resource});
    const int64_t now = Exec("ds_lock_self", {request.resource}).integer(0, 1);
    std::vector<Lease> leases;
    std::vector<Waiter> waiters;
    std::optional<int64_t> my_ticket;
    bool expired = false;
    {
      Result r = Exec("ds_related", {request.resource});
      for (int i = 0; i < r.rows(); ++i) {
        const auto mode = static_cast<LockMode>(r.integer(i, 3));
        const int64_t expiry = r.integer(i, 4);
        if (expiry <= now) {
          expired = true;
        } else if (r.integer(i, 0) == 0) {
          leases.push_back(Lease{r.text(i, 1), r.text(i, 2), mode, FromMs(expiry),
                                 static_cast<uint64_t>(r.integer(i, 5))});
        } else {
          waiters.push_back(Waiter{r.text(i, 2), r.text(i, 1), mode, r.integer(i, 5)});
          if (waiters.back().owner == request.owner &&
              waiters.back().resource == request.resource) {
            my_ticket = waiters.back().ticket;
          }
        }
      }
    }
    if (expired) {
      const std::string now_text = std::to_string(now);
      Exec("ds_purge", {request.resource, now_text});
      Exec("ds_purge_waiters", {request.resource, now_text});
    }
    const std::string mode = std::to_string(static_cast<int>(request.mode));
    GrantResult result;
    std::vector<std::string> blockers = Blockers(request, my_ticket, leases, waiters);
    if (blockers.empty()) {
      const int64_t expiry = now + request.ttl.count();
      const int64_t token =
          Exec("ds_grant", {request.resource, request.owner, mode, std::to_string(expiry)})
              .integer(0, 0);
      if (my_ticket) Exec("ds_unwait", {request.owner, request.resource});
      result.lease = Lease{request.resource, request.owner, request.mode, FromMs(expiry),
                           static_cast<uint64_t>(token)};
    } else {
      result.blockers = JoinBlockers(blockers);
      result.next_in_line = NextInLine(request, my_ticket, leases, waiters);
      if (request.waiting) {
        Exec("ds_wait",
             {request.owner, request.resource, mode, std::to_string(now + kWaiterTtl.count())});
      }
    }
    tx.Commit();
    return result;
  }

  void Withdraw(const std::string& owner, const std::string& resource) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Exec("ds_unwait", {owner, resource});
  }

  // Takes the advisory locks a grant of `resource` takes, so a grant that
  // would see this lease as expired runs wholly before or after the renewal.
  Lease Renew(const std::string& resource, const std::string& owner, uint64_t token,
              milliseconds ttl) override {
    std::lock_guard<std::mutex> lock(mu_);
    Transaction tx(*this);
    Exec("ds_lock_ancestors", {resource});
    Exec("ds_lock_self", {resource});
    Result r =
        Exec("ds_renew", {resource, owner, std::to_string(ttl.count()), std::to_string(token)});
    tx.Commit();
    if (r.rows() == 0) throw LockExpired(NotHeld(resource, owner, token, "renew"));
    return Lease{resource, owner, static_cast<LockMode>(r.integer(0, 0)), FromMs(r.integer(0, 1)),
                 static_cast<uint64_t>(r.integer(0, 2))};
  }

  void Release(const std::string& resource, const std::string& owner, uint64_t token) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Result r = Exec("ds_release", {resource, owner, std::to_string(token)});
    if (r.rows() == 0 || r.integer(0, 0) == 0) {
      throw LockExpired(NotHeld(resource, owner, token, "release"));
    }
  }

  size_t ReleaseAll(const std::string& owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    const int64_t released = Exec("ds_release_all", {owner}).integer(0, 0);
    if (released > 0) Exec("ds_notify", {owner});
    return static_cast<size_t>(released);
  }

  LockSnapshot Snapshot() override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Result r = Exec("ds_snapshot", {});
    LockSnapshot s;
    for (int i = 0; i < r.rows(); ++i) {
      const auto mode = static_cast<LockMode>(r.integer(i, 3));
      if (r.integer(i, 0) == 0) {
        s.leases.push_back(Lease{r.text(i, 1), r.text(i, 2), mode, FromMs(r.integer(i, 4)),
                                 static_cast<uint64_t>(r.integer(i, 5))});
      } else {
        s.waiters.push_back(Waiter{r.text(i, 2), r.text(i, 1), mode, r.integer(i, 5)});
      }
    }
    return s;
  }

  void WaitForChange(milliseconds timeout) override {
    int socket;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Connect();
      if (DrainNotifications()) return;
      socket = PQsocket(conn_);
    }
    pollfd pfd{socket, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_ != nullptr) DrainNotifications();
  }

  std::string url() const override { return url_; }

 private:
  class Transaction {
   public:
    explicit Transaction(PostgresLockBackend& b) : b_(b) {
      b_.Connect();
      b_.Command("BEGIN", "BEGIN");
    }
    ~Transaction() {
      if (!done_ && b_.conn_ != nullptr && PQstatus(b_.conn_) == CONNECTION_OK) {
        PQclear(PQexec(b_.conn_, "ROLLBACK"));
      }
    }
    void Commit() {
      b_.Command("COMMIT", "COMMIT");
      done_ = true;
    }

   private:
    PostgresLockBackend& b_;
    bool done_ = false;
  };

  // (Re)connects when there is no healthy connection: creates the schema,
  // prepares the statements and listens for releases.
  void Connect() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return;
    PQfinish(conn_);
    // Defaults first, then the URL (expanded from dbname): the URL wins.
    std::vector<const char*> keywords(std::begin(kDefaultKeywords), std::end(kDefaultKeywords));
    std::vector<const char*> values(std::begin(kDefaultValues), std::end(kDefaultValues));
    keywords.push_back("dbname");
    values.push_back(conninfo_.c_str());
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string msg = PQerrorMessage(conn_);
      PQfinish(conn_);
      conn_ = nullptr;
      throw Unavailable("lock server " + url_ + " cannot be reached: " + msg);
    }
    try {
      // IF NOT EXISTS notices are expected; keep them off stderr.
      PQsetNoticeProcessor(
          conn_, [](void*, const char*) {}, nullptr);
      PGresult* present = Check(PQexec(conn_, kSchemaPresent), "checking the lock tables");
      const bool complete = std::atoi(PQgetvalue(present, 0, 0)) == kSchemaObjects;
      PQclear(present);
      if (!complete) Command(kSchema, "creating the lock tables");
      Command("LISTEN datashard_locks", "LISTEN");
      for (const Statement& s : kStatements) {
        PQclear(Check(PQprepare(conn_, s.name, s.sql, s.params, nullptr), s.name));
      }
    } catch (...) {
      // A half-prepared connection must not look healthy to the next call.
      PQfinish(conn_);
      conn_ = nullptr;
      throw;
    }
  }

  bool DrainNotifications() {
    PQconsumeInput(conn_);
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  }

  [[noreturn]] void Fail(const std::string& what) {
    const std::string msg = PQerrorMessage(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      PQfinish(conn_);
      conn_ = nullptr;
      throw Unavailable("lock server " + url_ + " lost during " + what + ": " + msg);
    }
    throw IOError("lock server " + url_ + " refused " + what + ": " + msg);
  }

  // Returns `r` if it reports success; else frees it and throws.
  PGresult* Check(PGresult* r, const std::string& what) {
    if (r == nullptr) Fail(what);
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      PQclear(r);
      Fail(what);
    }
    return r;
  }

  // A multi-statement string reports the first failure or the last result.
  void Command(const char* sql, const char* what) { PQclear(Check(PQexec(conn_, sql), what)); }

  Result Exec(const char* name, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                 nullptr, nullptr, 0);
    return Result(Check(r, name));
  }

  std::string NotHeld(const std::string& resource, const std::string& owner, uint64_t token,
                      const char* op) const {
    return "cannot " + std::string(op) + " lock on '" + resource + "' for owner '" + owner +
           "' in " + url_ + ": the owner holds no live lease " +
           (token == 0 ? std::string("on it") : "with fencing token " + std::to_string(token)) +
           " (expired, released, taken again since, or never acquired)";
  }

  const std::string conninfo_;
  const std::string url_;  // for messages: without the password
  std::mutex mu_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::string RedactPassword(const std::string& url) {
  std::string out = url;
  const size_t scheme = out.find("://");
  const size_t at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos) {
    const size_t colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at)
      out = out.substr(0, colon + 1) + "***" + out.substr(at);
  }
  for (size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const size_t value = pos + 9;
    const size_t end = out.find_first_of("& ", value);
    out = out.substr(0, value) + "***" + (end == std::string::npos ? "" : out.substr(end));
  }
  return out;
}

std::unique_ptr<LockBackend> OpenPostgresLockBackend(const std::string& url) {
  return std::make_unique<PostgresLockBackend>(url);
}

}  // namespace datashard::lock
