// The SQLite lock backend: a lock table in one database file (WAL,
// synchronous=FULL so fencing tokens survive power loss), shared by every
// process on the machine without a server. Each primitive is one BEGIN
// IMMEDIATE transaction; contention waits in SQLite's busy handler.
#pragma once

#include <memory>
#include <string>

#include "datashard/lock_manager.h"
#include "lock/lock_backend.h"

namespace datashard::lock {

/// Opens (creating if missing) the lock database at `path`. `options.clock`
/// decides lease expiry when set (tests), else the system clock.
std::unique_ptr<LockBackend> OpenSqliteLockBackend(const std::string& path,
                                                   const LockOptions& options);

}  // namespace datashard::lock
