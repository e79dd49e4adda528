// The Redis lock backend (hiredis). Every primitive is one Lua script, so it
// runs atomically on the server and uses server time (TIME) for expiry:
// a hash of holders per resource (owner -> mode, expiry, token) for shared
// and exclusive leases, a sorted index of held resources for the hierarchy,
// a hash of registered waits, compare-and-delete release and renew.
//
// Fencing tokens come from INCR on one counter that is first raised to the
// server time in microseconds, so they keep increasing even when a Redis
// without persistence restarts and forgets the counter (assuming the server
// clock does not step back). Leases themselves survive a restart only with
// persistence (appendonly yes, appendfsync always); without it a restart
// forgets every lease and the next requester gets one while the old holder
// may still work: fencing then refuses the old holder's writes.
// Keys live under "datashard:lock:"; a standalone server, not a cluster.
#pragma once

#include <memory>
#include <string>

#include "lock/lock_backend.h"

namespace datashard::lock {

/// Connects to `url` (redis://host:port[/db]). Unavailable if the server
/// cannot be reached; InvalidArgument for a malformed URL.
std::unique_ptr<LockBackend> OpenRedisLockBackend(const std::string& url);

}  // namespace datashard::lock
