// LockManager: pessimistic offline locks with leases and fencing tokens
// (DESIGN.md §7). One interface, three backends with the same contract:
// a SQLite lock-table file (embedded default, no server), PostgreSQL and Redis.
//
// Resources are '/'-separated paths. A lock on a path covers every path below
// it (coarse-grained lock): `flight/123` covers `flight/123/seat/4A`, so two
// requests conflict when their resources are equal or one is an ancestor of
// the other, they come from different owners, and at least one is exclusive.
// Owners are opaque ids; an owner never renews or releases another's lock.
//
// Every grant carries a fencing token from one counter per backend, so tokens
// strictly increase per resource (and across the hierarchy), also across
// backend restarts. A resource guarded by a lock refuses writes carrying a
// token older than the newest it has seen (see fencing.h).
//
// Thread-safety: a LockManager may be used from many threads at once.
// Fork: a LockManager used in a forked child opens its own connection there
// on first use; the parent's connection is neither used nor closed by it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace datashard {

enum class LockMode { kShared, kExclusive };

/// "shared" or "exclusive".
const char* LockModeName(LockMode mode);

/// A granted lock: valid until `expiry` (server time) unless renewed. The
/// fencing token names this grant: renew and release by Lease act on this
/// grant only, never on a later one of the same owner.
struct Lease {
  std::string resource;
  std::string owner;
  LockMode mode = LockMode::kExclusive;
  std::chrono::system_clock::time_point expiry;
  uint64_t fencing_token = 0;
  /// The holder's own deadline on the client's monotonic clock: the time the
  /// request was sent plus the TTL minus a drift margin (a tenth of the TTL).
  /// Past it the holder must treat the lease as lost (LockManager::CheckHeld),
  /// whatever the server says, as the server may have expired it already.
  std::chrono::steady_clock::time_point held_until{};
};

/// Polled while an acquire waits (every few milliseconds). Returning true, or
/// throwing, cancels the acquire: its wait is withdrawn, a grant that arrived
/// meanwhile is released, and the exception (or LockNotAcquired) propagates.
using LockCancelCheck = std::function<bool()>;

/// One resource of an AcquireAll call.
struct LockRequest {
  std::string resource;
  LockMode mode = LockMode::kExclusive;
};

/// Options of OpenLockManager.
struct LockOptions {
  /// Clock of lease expiry for the SQLite backend (tests advance it to expire
  /// leases). Server backends use server time and refuse a clock (InvalidArgument).
  std::function<std::chrono::system_clock::time_point()> clock;
  /// Clock of the client-side lease deadline (Lease::held_until), for every
  /// backend; tests advance it. Default: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> monotonic_clock;
  /// Longest pause between two attempts of a waiting acquire; waits back off
  /// exponentially with jitter from 1 ms up to this.
  std::chrono::milliseconds max_poll_interval{100};
};

class LockManager {
 public:
  virtual ~LockManager() = default;

  /// Takes `resource` for `owner` with a lease of `ttl`. Waits up to `wait`
  /// (0: fail fast) while conflicting locks are held; waiters are served in
  /// arrival order. Re-acquiring a lock the owner holds replaces it (new mode,
  /// expiry and token). Throws LockNotAcquired naming the holders when the wait
  /// ends, DeadlockDetected when this waiter is the youngest of a wait-for
  /// cycle, Unavailable when the backend cannot be reached, InvalidArgument
  /// for a malformed resource, owner or duration. A wait longer than
  /// kMaxLockDuration is capped to it. `cancelled`, if set, is polled while
  /// waiting (see LockCancelCheck).
  virtual Lease Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                        std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
                        const LockCancelCheck& cancelled = {}) = 0;

  /// Acquire without waiting; returns nullopt when a conflicting lock is held.
  virtual std::optional<Lease> TryAcquire(const std::string& resource, const std::string& owner,
                                          LockMode mode, std::chrono::milliseconds ttl) = 0;

  /// Extends `lease` to now + `ttl`, keeping its mode and fencing token.
  /// LockExpired unless that very grant (same fencing token) is still live:
  /// a lease that expired and was taken again, even by the same owner name,
  /// is not extended.
  virtual Lease Renew(const Lease& lease, std::chrono::milliseconds ttl) = 0;

  /// Releases `lease` (that grant only, by its fencing token). LockExpired if
  /// it had expired or was released (the caller may have lost exclusivity).
  virtual void Release(const Lease& lease) = 0;

  /// LockExpired if the client-side deadline of `lease` (Lease::held_until)
  /// has passed on this manager's monotonic clock. Contacts no server.
  virtual void CheckHeld(const Lease& lease) const = 0;

  /// By name: extends whichever live lease `owner` holds on `resource` now.
  /// For tools that know no token (the CLI); holders should renew their Lease.
  virtual Lease Renew(const std::string& resource, const std::string& owner,
                      std::chrono::milliseconds ttl) = 0;

  /// By name: releases whichever lease `owner` holds on `resource` now.
  /// LockExpired if it had expired or was never held.
  virtual void Release(const std::string& resource, const std::string& owner) = 0;

  /// Releases every live lease of `owner` and withdraws its waits; returns
  /// the number of leases released.
  virtual size_t ReleaseAll(const std::string& owner) = 0;

  /// Takes every request in one canonical order (by path segments, a parent
  /// before its children: `a/b`, `a/b/c`, `a/b-`; the stronger mode for
  /// duplicates), so callers that use it never deadlock each other. `wait`
  /// bounds the whole call. On failure or cancellation releases what it took
  /// and rethrows. Returns the leases in canonical order.
  virtual std::vector<Lease> AcquireAll(std::vector<LockRequest> requests, const std::string& owner,
                                        std::chrono::milliseconds ttl,
                                        std::chrono::milliseconds wait,
                                        const LockCancelCheck& cancelled = {}) = 0;

  /// Every live lease, sorted by resource then owner.
  virtual std::vector<Lease> List() = 0;

  /// The live leases that bear on `resource`: on it, its ancestors and its
  /// descendants, sorted by resource then owner.
  virtual std::vector<Lease> Inspect(const std::string& resource) = 0;

  /// The backend's URL, for messages: a password in it is shown as "***".
  virtual std::string url() const = 0;

  /// The URL as opened, password included, to open the same backend
  /// elsewhere (another process). Never print it; url() is for messages.
  virtual std::string connection_url() const = 0;
};

/// The longest lease TTL (InvalidArgument beyond) and the longest wait (a
/// longer one is capped): ten years, so deadlines never overflow.
inline constexpr std::chrono::milliseconds kMaxLockDuration{10LL * 366 * 24 * 3600 * 1000};

/// Opens the lock manager a URL names: `sqlite:PATH` (the file is created if
/// missing), `postgresql://...` (libpq URI) or `redis://host:port`.
/// InvalidArgument for another scheme; Unavailable if a server cannot be reached.
std::unique_ptr<LockManager> OpenLockManager(const std::string& url,
                                             const LockOptions& options = {});

/// Parses a DURATION of the CLI contract: a number and ms|s|m|h ("500ms", "30s").
/// InvalidArgument names the text otherwise.
std::chrono::milliseconds ParseLockDuration(const std::string& text);

}  // namespace datashard
