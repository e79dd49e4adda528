// The PostgreSQL lock backend: a lock table, a waiter table and a fencing
// sequence in the database the URL names. Expiry uses server time
// (clock_timestamp()), so clients need no synchronised clocks. Grant, renew
// and release are one round trip each: server-side PL/pgSQL functions the
// backend installs on first use (versioned by name). Grants of one resource
// tree serialise on transaction-scoped advisory locks on the resource and
// its ancestors, and find related leases by index. Waiters sleep on LISTEN
// and are woken by the NOTIFY of a release that a related waiter waits for.
// Renewals take the same advisory locks as grants, so no grant treats a
// lease as expired while its renewal commits. Grants and renewals wait for
// their WAL flush; releases do not (a release a server crash loses leaves
// its lease to expire, as a holder that died would). Connections carry timeouts
// (connect, statement, TCP user timeout and keepalives) unless the URL sets
// its own, so a lost server fails a call instead of blocking it forever.
#pragma once

#include <memory>
#include <string>

#include "lock/lock_backend.h"

namespace datashard::lock {

/// Connects to `url` (a libpq URI) and creates the lock tables if missing.
/// Unavailable if the server cannot be reached.
std::unique_ptr<LockBackend> OpenPostgresLockBackend(const std::string& url);

}  // namespace datashard::lock
