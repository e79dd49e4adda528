// LockBackend: the storage primitives one lock backend provides (SQLite,
// PostgreSQL, Redis). LockService builds the LockManager contract (waiting,
// deadlock detection, canonical order) on top, so every backend shares it.
// Each primitive is atomic on the backend: it applies lock_rules.h inside one
// transaction or script, dropping expired leases and stale waits first.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datashard/lock_manager.h"

namespace datashard::lock {

/// One grant attempt.
struct GrantRequest {
  std::string resource;
  std::string owner;
  LockMode mode = LockMode::kExclusive;
  std::chrono::milliseconds ttl{0};
  /// Register (or refresh) a wait when blocked, so this request keeps its
  /// place in the queue and appears in the wait-for graph.
  bool waiting = false;
};

/// A registered wait: `owner` waits for `resource`; lower tickets came first.
struct Waiter {
  std::string owner;
  std::string resource;
  LockMode mode = LockMode::kExclusive;
  int64_t ticket = 0;
};

struct GrantResult {
  std::optional<Lease> lease;  // set when granted
  std::string blockers;        // otherwise: who blocks it, for messages
  bool next_in_line = false;   // blocked by leases only, no earlier waiter
};

/// Live leases and waits, read at one point in time.
struct LockSnapshot {
  std::vector<Lease> leases;
  std::vector<Waiter> waiters;
};

class LockBackend {
 public:
  virtual ~LockBackend() = default;
  /// Grants the request if lock_rules::Decide allows it (replacing the owner's
  /// lease on the same resource and removing its wait), else registers the
  /// wait when asked. The fencing token comes from the backend's counter.
  virtual GrantResult TryGrant(const GrantRequest& request) = 0;
  /// Removes the wait of `owner` for `resource`, if any.
  virtual void Withdraw(const std::string& owner, const std::string& resource) = 0;
  /// Extends the live lease of `owner` on `resource` whose fencing token is
  /// `token` (0: whichever it holds), serialised against grants of related
  /// resources. LockExpired if there is none; nothing else is touched.
  virtual Lease Renew(const std::string& resource, const std::string& owner, uint64_t token,
                      std::chrono::milliseconds ttl) = 0;
  /// Deletes that lease (token 0: whichever); LockExpired if it was not live.
  virtual void Release(const std::string& resource, const std::string& owner, uint64_t token) = 0;
  virtual size_t ReleaseAll(const std::string& owner) = 0;
  virtual LockSnapshot Snapshot() = 0;
  /// Blocks up to `timeout`, returning early when the backend reports a
  /// release (PostgreSQL NOTIFY); others simply sleep.
  virtual void WaitForChange(std::chrono::milliseconds timeout) = 0;
  virtual std::string url() const = 0;
};

/// How long a registered wait stays alive without being refreshed; waiting
/// clients refresh it on every attempt, so a crashed waiter's place lapses.
inline constexpr std::chrono::milliseconds kWaiterTtl{5000};

}  // namespace datashard::lock
