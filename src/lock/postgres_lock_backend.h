// The PostgreSQL lock backend: a lock table, a waiter table and a fencing
// sequence in the database the URL names. Expiry uses server time
// (clock_timestamp()), so clients need no synchronised clocks. Grants of one
// resource tree serialise on a transaction-scoped advisory lock keyed by the
// tree's root; every statement is prepared. Waiters sleep on LISTEN and are
// woken by the NOTIFY of each release.
#pragma once

#include <memory>
#include <string>

#include "lock/lock_backend.h"

namespace datashard::lock {

/// Connects to `url` (a libpq URI) and creates the lock tables if missing.
/// Unavailable if the server cannot be reached.
std::unique_ptr<LockBackend> OpenPostgresLockBackend(const std::string& url);

}  // namespace datashard::lock
