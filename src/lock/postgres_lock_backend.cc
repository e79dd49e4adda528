#include "lock/postgres_lock_backend.h"

#include <poll.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "datashard/errors.h"
#include "lock/lock_rules.h"
#include "sql/postgres_connection.h"

namespace datashard::lock {
namespace {

using std::chrono::milliseconds;

#define DS_NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

// Statements by name; each is prepared on every new connection. Grant, renew
// and release are one call each of the server-side functions below.
struct Statement {
  const char* name;
  const char* sql;
  int params;
};
constexpr Statement kStatements[] = {
    {"ds_grant",
     "SELECT granted_token, granted_expiry, blockers, next_in_line"
     " FROM datashard_lock_grant_v3($1, $2, $3, $4, $5, $6, $7)",
     7},
    {"ds_unwait", "DELETE FROM datashard_lock_waiters WHERE owner = $1 AND resource = $2", 2},
    // Keyed by the grant's token ($4; 0: whichever lease the owner holds).
    {"ds_renew",
     "SELECT renewed_mode, renewed_expiry, renewed_token FROM datashard_lock_renew_v1($1, $2, $3,"
     " $4)",
     4},
    {"ds_release", "SELECT datashard_lock_release_v2($1, $2, $3)", 3},
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

// The tables (shared with clients of earlier versions, which grant through
// the same advisory locks) and the functions of this version. A function
// whose body changes gets a new version suffix, so clients of both versions
// can use one database. Run inside the transaction of CreateSchema, which
// serialises concurrent creators on an advisory lock.
//
// Related resources (equal, ancestor or descendant) are found by index: the
// path and its ancestors by equality, descendants as the byte range
// [r || '/', r || '0') of a text_pattern_ops index ('0' follows '/').
// Grants and renewals of one resource tree serialise on transaction-scoped
// advisory locks: shared on every ancestor (outermost first), exclusive on
// the resource, so related grants serialise and siblings run in parallel.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS datashard_locks(resource text NOT NULL, owner text NOT NULL,
  mode int NOT NULL, expiry_ms bigint NOT NULL, token bigint NOT NULL,
  PRIMARY KEY(resource, owner));
CREATE INDEX IF NOT EXISTS datashard_locks_owner ON datashard_locks(owner);
CREATE INDEX IF NOT EXISTS datashard_locks_path ON datashard_locks(resource text_pattern_ops);
CREATE TABLE IF NOT EXISTS datashard_lock_waiters(owner text NOT NULL,
  resource text NOT NULL, mode int NOT NULL, ticket bigint NOT NULL,
  expiry_ms bigint NOT NULL, PRIMARY KEY(owner, resource));
CREATE INDEX IF NOT EXISTS datashard_lock_waiters_path
  ON datashard_lock_waiters(resource text_pattern_ops);
CREATE SEQUENCE IF NOT EXISTS datashard_lock_fence;
CREATE SEQUENCE IF NOT EXISTS datashard_lock_ticket;

-- The ancestors of res, outermost first, then res itself.
CREATE OR REPLACE FUNCTION datashard_lock_path_v1(res text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  parts text[] := string_to_array(res, '/');
  path text[] := ARRAY[parts[1]];
BEGIN
  FOR n IN 2 .. cardinality(parts) LOOP
    path := path || (path[n - 1] || '/' || parts[n]);
  END LOOP;
  RETURN path;
END $$;

-- Takes the advisory locks of a grant or renewal of res; returns its path.
CREATE OR REPLACE FUNCTION datashard_lock_enter_v1(res text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  path text[] := datashard_lock_path_v1(res);
BEGIN
  FOR n IN 1 .. cardinality(path) - 1 LOOP
    PERFORM pg_advisory_xact_lock_shared(hashtextextended(path[n], 0));
  END LOOP;
  PERFORM pg_advisory_xact_lock(hashtextextended(res, 0));
  RETURN path;
END $$;

-- The rules of lock_rules.h: blocked by a live conflicting lease of another
-- owner on a related resource and, unless the owner holds a related lease,
-- by a live conflicting wait of another owner queued before its own (or at
-- all, without one). Granted: replaces the owner's lease on res and removes
-- its wait. Blocked: registers or refreshes the wait if asked. Expired rows
-- seen on related resources are purged, skipping rows others hold.
-- anc: the ancestors of res, outermost first (the client splits the path).
-- Built for the cost of a call:
-- * The usual grant, with no other lease or wait on any related resource,
--   is one INSERT guarded by NOT EXISTS probes; the full read below runs
--   only when something is there. Every expression a plpgsql call evaluates
--   is set up again in each transaction, so the fast path evaluates few.
-- * The advisory locks in one statement: shared on each ancestor, outermost
--   first (the aggregate runs before the outer lock), then exclusive on res.
-- * Plans made once and kept on the indexes whatever the table's size, as
--   plain index scans: those mark dead index entries as they pass, bitmap
--   scans do not, and a resource locked and released again and again left
--   thousands of dead entries for every later grant to visit.
-- * Only a grant waits for its WAL flush. A refusal's wait and purges need
--   not survive a server crash: waiters register again as they poll.
CREATE OR REPLACE FUNCTION datashard_lock_grant_v3(res text, own text, req_mode int,
    ttl_ms bigint, waiting bool, waiter_ttl_ms bigint, anc text[], OUT granted_token bigint,
    OUT granted_expiry bigint, OUT blockers text, OUT next_in_line bool)
LANGUAGE plpgsql SET enable_seqscan = off SET enable_bitmapscan = off SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  path text[];
  lo text;
  hi text;
  now_ms bigint;
  my_ticket bigint;
  holds bool := false;
  stale bool := false;
  held text[] := '{}';
  queued text[] := '{}';
  r record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended(res, 0))
    FROM (SELECT count(pg_advisory_xact_lock_shared(hashtextextended(a, 0))) FROM unnest(anc) a) s;
  INSERT INTO datashard_locks AS l
    SELECT res, own, req_mode, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + ttl_ms,
           nextval('datashard_lock_fence')
    WHERE NOT EXISTS (SELECT 1 FROM datashard_locks x WHERE x.resource = ANY(anc))
      AND NOT EXISTS (SELECT 1 FROM datashard_locks x WHERE x.resource = res AND x.owner <> own)
      AND NOT EXISTS (SELECT 1 FROM datashard_locks x
        WHERE x.resource ~>=~ (res || '/') AND x.resource ~<~ (res || '0'))
      AND NOT EXISTS (SELECT 1 FROM datashard_lock_waiters w WHERE w.resource = ANY(anc))
      AND NOT EXISTS (SELECT 1 FROM datashard_lock_waiters w WHERE w.resource = res)
      AND NOT EXISTS (SELECT 1 FROM datashard_lock_waiters w
        WHERE w.resource ~>=~ (res || '/') AND w.resource ~<~ (res || '0'))
    ON CONFLICT (resource, owner) DO UPDATE SET mode = EXCLUDED.mode,
      expiry_ms = EXCLUDED.expiry_ms, token = EXCLUDED.token
    RETURNING l.token, l.expiry_ms INTO granted_token, granted_expiry;
  IF FOUND THEN
    next_in_line := true;
    RETURN;
  END IF;
  path := anc || res;
  lo := res || '/';
  hi := res || '0';
  now_ms := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  -- Leases (kind 0) first, then waits by ticket: the waits queued before the
  -- owner's own come before it.
  FOR r IN SELECT 0 AS kind, l.resource, l.owner, l.mode, l.expiry_ms, 0::bigint AS ticket
      FROM datashard_locks l WHERE l.resource = ANY(path)
    UNION ALL SELECT 0, l.resource, l.owner, l.mode, l.expiry_ms, 0
      FROM datashard_locks l WHERE l.resource ~>=~ lo AND l.resource ~<~ hi
    UNION ALL SELECT 1, w.resource, w.owner, w.mode, w.expiry_ms, w.ticket
      FROM datashard_lock_waiters w WHERE w.resource = ANY(path)
    UNION ALL SELECT 1, w.resource, w.owner, w.mode, w.expiry_ms, w.ticket
      FROM datashard_lock_waiters w WHERE w.resource ~>=~ lo AND w.resource ~<~ hi
    ORDER BY 1, 6 LOOP
    IF r.expiry_ms <= now_ms THEN
      stale := true;
    ELSIF r.kind = 0 THEN
      IF r.owner = own THEN
        holds := true;
      ELSIF r.mode = 1 OR req_mode = 1 THEN
        held := held || format('''%s'' (%s on %s)', r.owner,
                               CASE r.mode WHEN 1 THEN 'exclusive' ELSE 'shared' END, r.resource);
      END IF;
    ELSIF r.owner = own THEN
      IF r.resource = res THEN
        my_ticket := r.ticket;
      END IF;
    ELSIF my_ticket IS NULL AND (r.mode = 1 OR req_mode = 1) THEN
      queued := queued || format('''%s'' (queued earlier for %s on %s)', r.owner,
                                 CASE r.mode WHEN 1 THEN 'exclusive' ELSE 'shared' END,
                                 r.resource);
    END IF;
  END LOOP;
  IF stale THEN
    DELETE FROM datashard_locks WHERE ctid IN (SELECT l.ctid FROM datashard_locks l
      WHERE l.expiry_ms <= now_ms
        AND (l.resource = ANY(path) OR (l.resource ~>=~ lo AND l.resource ~<~ hi))
      FOR UPDATE SKIP LOCKED);
    DELETE FROM datashard_lock_waiters WHERE ctid IN (SELECT w.ctid FROM datashard_lock_waiters w
      WHERE w.expiry_ms <= now_ms
        AND (w.resource = ANY(path) OR (w.resource ~>=~ lo AND w.resource ~<~ hi))
      FOR UPDATE SKIP LOCKED);
  END IF;
  next_in_line := holds OR cardinality(queued) = 0;
  IF NOT holds THEN
    held := held || queued;
  END IF;
  IF cardinality(held) = 0 THEN
    granted_expiry := now_ms + ttl_ms;
    INSERT INTO datashard_locks AS l
      VALUES (res, own, req_mode, granted_expiry, nextval('datashard_lock_fence'))
      ON CONFLICT (resource, owner) DO UPDATE SET mode = EXCLUDED.mode,
        expiry_ms = EXCLUDED.expiry_ms, token = EXCLUDED.token
      RETURNING l.token INTO granted_token;
    IF my_ticket IS NOT NULL THEN
      DELETE FROM datashard_lock_waiters w WHERE w.owner = own AND w.resource = res;
    END IF;
  ELSE
    SET LOCAL synchronous_commit TO off;
    blockers := array_to_string(held, ', ');
    IF waiting THEN
      INSERT INTO datashard_lock_waiters
        VALUES (own, res, req_mode, nextval('datashard_lock_ticket'), now_ms + waiter_ttl_ms)
        ON CONFLICT (owner, resource) DO UPDATE SET mode = EXCLUDED.mode,
          expiry_ms = EXCLUDED.expiry_ms;
    END IF;
  END IF;
END $$;

-- Extends the live lease of own on res with token tok (0: whichever), under
-- the advisory locks a grant of res takes, so a grant that would see the
-- lease as expired runs wholly before or after it. NULLs if there is none.
CREATE OR REPLACE FUNCTION datashard_lock_renew_v1(res text, own text, ttl_ms bigint, tok bigint,
    OUT renewed_mode int, OUT renewed_expiry bigint, OUT renewed_token bigint)
LANGUAGE plpgsql AS $$
DECLARE
  now_ms bigint;
BEGIN
  PERFORM datashard_lock_enter_v1(res);
  now_ms := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  UPDATE datashard_locks l SET expiry_ms = now_ms + ttl_ms
    WHERE l.resource = res AND l.owner = own AND (tok = 0 OR l.token = tok)
      AND l.expiry_ms > now_ms
    RETURNING l.mode, l.expiry_ms, l.token INTO renewed_mode, renewed_expiry, renewed_token;
END $$;

-- Compare-and-delete of the lease of own on res with token tok (0:
-- whichever); true if it was live. Wakes the listeners (NOTIFY, which
-- serialises committing transactions) only when a live wait on a related
-- resource exists: waiters poll anyway, the notice only shortens their sleep.
-- Without any wait at all (the common case) one probe of an index settles
-- it: the related-resource search cost a release a sixth of its time.
-- A release does not wait for its WAL flush (a third of a pair's time): a
-- release lost to a server crash leaves the lease to expire, as a holder
-- that died would, and any grant that saw the release flushes it first,
-- since WAL is flushed in order.
CREATE OR REPLACE FUNCTION datashard_lock_release_v2(res text, own text, tok bigint)
RETURNS bool LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  now_ms bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  expiry bigint;
BEGIN
  SET LOCAL synchronous_commit TO off;
  DELETE FROM datashard_locks l
    WHERE l.resource = res AND l.owner = own AND (tok = 0 OR l.token = tok)
    RETURNING l.expiry_ms INTO expiry;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM datashard_lock_waiters) THEN
    IF EXISTS (SELECT 1 FROM datashard_lock_waiters w WHERE w.expiry_ms > now_ms
               AND (w.resource = ANY(datashard_lock_path_v1(res))
                    OR (w.resource ~>=~ (res || '/') AND w.resource ~<~ (res || '0')))) THEN
      PERFORM pg_notify('datashard_locks', res);
    END IF;
  END IF;
  RETURN expiry > now_ms;
END $$;
)sql";

// The schema objects kSchema creates, visible on the search path: when all
// exist, a new connection skips the DDL (which would wait behind any open
// transaction writing the lock table).
constexpr const char* kSchemaPresent =
    "SELECT (SELECT count(*) FROM pg_class WHERE pg_table_is_visible(oid) AND relname IN"
    " ('datashard_locks', 'datashard_locks_owner', 'datashard_locks_path',"
    " 'datashard_lock_waiters', 'datashard_lock_waiters_path', 'datashard_lock_fence',"
    " 'datashard_lock_ticket')) + (SELECT count(*) FROM pg_proc WHERE"
    " pg_function_is_visible(oid) AND proname IN ('datashard_lock_path_v1',"
    " 'datashard_lock_enter_v1', 'datashard_lock_grant_v3', 'datashard_lock_renew_v1',"
    " 'datashard_lock_release_v2'))";
constexpr int kSchemaObjects = 12;

std::chrono::system_clock::time_point FromMs(int64_t ms) {
  return std::chrono::system_clock::time_point(milliseconds(ms));
}

using Result = sql::PgResult;

class PostgresLockBackend : public LockBackend {
 public:
  explicit PostgresLockBackend(std::string url)
      : conninfo_(std::move(url)), url_(sql::RedactPassword(conninfo_)) {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
  }

  GrantResult TryGrant(const GrantRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Result r = Exec(
        "ds_grant",
        {request.resource, request.owner, std::to_string(static_cast<int>(request.mode)),
         std::to_string(request.ttl.count()), request.waiting ? "t" : "f",
         std::to_string(kWaiterTtl.count()), sql::TextArrayLiteral(Ancestors(request.resource))});
    GrantResult result;
    if (!r.null(0, 0)) {
      result.lease = Lease{request.resource, request.owner, request.mode, FromMs(r.integer(0, 1)),
                           static_cast<uint64_t>(r.integer(0, 0))};
    } else {
      result.blockers = r.text(0, 2);
      result.next_in_line = r.text(0, 3) == "t";
    }
    return result;
  }

  void Withdraw(const std::string& owner, const std::string& resource) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Exec("ds_unwait", {owner, resource});
  }

  Lease Renew(const std::string& resource, const std::string& owner, uint64_t token,
              milliseconds ttl) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Result r =
        Exec("ds_renew", {resource, owner, std::to_string(ttl.count()), std::to_string(token)});
    if (r.null(0, 0)) throw LockExpired(NotHeld(resource, owner, token, "renew"));
    return Lease{resource, owner, static_cast<LockMode>(r.integer(0, 0)), FromMs(r.integer(0, 1)),
                 static_cast<uint64_t>(r.integer(0, 2))};
  }

  void Release(const std::string& resource, const std::string& owner, uint64_t token) override {
    std::lock_guard<std::mutex> lock(mu_);
    Connect();
    Result r = Exec("ds_release", {resource, owner, std::to_string(token)});
    if (r.text(0, 0) != "t") throw LockExpired(NotHeld(resource, owner, token, "release"));
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
      socket = sql::Pq().PQsocket(conn_->raw());
    }
    pollfd pfd{socket, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    std::lock_guard<std::mutex> lock(mu_);
    if (conn_ != nullptr && conn_->healthy()) DrainNotifications();
  }

  std::string url() const override { return url_; }

 private:
  // (Re)connects when there is no healthy connection: creates the schema,
  // prepares the statements and listens for releases.
  void Connect() {
    if (conn_ != nullptr && conn_->healthy()) return;
    conn_.reset();
    auto conn = std::make_unique<sql::PgConnection>(conninfo_, "lock server");
    if (!SchemaComplete(*conn)) CreateSchema(*conn);
    conn->Command("LISTEN datashard_locks", "LISTEN");
    for (const Statement& s : kStatements) conn->Prepare(s.name, s.sql, s.params);
    // Only a fully prepared connection is kept: a half-prepared one must not
    // look healthy to the next call.
    conn_ = std::move(conn);
  }

  bool DrainNotifications() {
    sql::Pq().PQconsumeInput(conn_->raw());
    bool any = false;
    while (PGnotify* n = sql::Pq().PQnotifies(conn_->raw())) {
      any = true;
      sql::Pq().PQfreemem(n);
    }
    return any;
  }

  static bool SchemaComplete(sql::PgConnection& conn) {
    return conn.Exec(kSchemaPresent, {}, "checking the lock tables").integer(0, 0) ==
           kSchemaObjects;
  }

  // Creates what is missing, one creator at a time. A creator that waited
  // finds the schema complete and runs no DDL: CREATE INDEX IF NOT EXISTS
  // locks the table even when the index exists, and deadlocked with other
  // connections' writes. On failure the caller drops the connection, which
  // rolls the transaction back.
  static void CreateSchema(sql::PgConnection& conn) {
    conn.Command("BEGIN; SELECT pg_advisory_xact_lock(1684108136)",
                 "locking the lock tables' creation");
    if (!SchemaComplete(conn)) conn.Command(kSchema, "creating the lock tables");
    conn.Command("COMMIT", "creating the lock tables");
  }

  Result Exec(const char* name, const std::vector<std::string>& params) {
    return conn_->ExecPrepared(name, params);
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
  std::unique_ptr<sql::PgConnection> conn_;
};

}  // namespace

std::unique_ptr<LockBackend> OpenPostgresLockBackend(const std::string& url) {
  return std::make_unique<PostgresLockBackend>(url);
}

}  // namespace datashard::lock
