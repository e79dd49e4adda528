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

/// A granted lock: valid until `expiry` unless renewed.
struct Lease {
  std::string resource;
  std::string owner;
  LockMode mode = LockMode::kExclusive;
  std::chrono::system_clock::time_point expiry;
  uint64_t fencing_token = 0;
};

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
  /// for a malformed resource, owner or duration.
  virtual Lease Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                        std::chrono::milliseconds ttl, std::chrono::milliseconds wait) = 0;

  /// Acquire without waiting; returns nullopt when a conflicting lock is held.
  virtual std::optional<Lease> TryAcquire(const std::string& resource, const std::string& owner,
                                          LockMode mode, std::chrono::milliseconds ttl) = 0;

  /// Extends the owner's live lease on `resource` to now + `ttl`, keeping its
  /// mode and fencing token. LockExpired if the owner holds no live lease there.
  virtual Lease Renew(const std::string& resource, const std::string& owner,
                      std::chrono::milliseconds ttl) = 0;

  /// Releases the owner's lease on `resource`. LockExpired if it had expired
  /// or was never held (the caller may have lost exclusivity meanwhile).
  virtual void Release(const std::string& resource, const std::string& owner) = 0;

  /// Releases every live lease of `owner` and withdraws its waits; returns
  /// the number of leases released.
  virtual size_t ReleaseAll(const std::string& owner) = 0;

  /// Takes every request in one canonical order (sorted by resource, the
  /// stronger mode for duplicates), so callers that use it never deadlock each
  /// other. `wait` bounds the whole call. On failure releases what it took and
  /// rethrows. Returns the leases in canonical order.
  virtual std::vector<Lease> AcquireAll(std::vector<LockRequest> requests, const std::string& owner,
                                        std::chrono::milliseconds ttl,
                                        std::chrono::milliseconds wait) = 0;

  /// Every live lease, sorted by resource then owner.
  virtual std::vector<Lease> List() = 0;

  /// The live leases that bear on `resource`: on it, its ancestors and its
  /// descendants, sorted by resource then owner.
  virtual std::vector<Lease> Inspect(const std::string& resource) = 0;

  /// The backend's URL, for messages.
  virtual std::string url() const = 0;
};

/// Opens the lock manager a URL names: `sqlite:PATH` (the file is created if
/// missing), `postgresql://...` (libpq URI) or `redis://host:port`.
/// InvalidArgument for another scheme; Unavailable if a server cannot be reached.
std::unique_ptr<LockManager> OpenLockManager(const std::string& url,
                                             const LockOptions& options = {});

/// Parses a DURATION of the CLI contract: a number and ms|s|m|h ("500ms", "30s").
/// InvalidArgument names the text otherwise.
std::chrono::milliseconds ParseLockDuration(const std::string& text);

}  // namespace datashard
