#include "lock/lock_service.h"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <vector>

#include "datashard/errors.h"
#include "lock/lock_rules.h"

namespace datashard::lock {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// Removes a registered wait on every exit path except a grant (which removes
// it itself). Errors are ignored: the wait lapses after kWaiterTtl anyway.
class WithdrawOnExit {
 public:
  WithdrawOnExit(LockBackend& backend, const std::string& owner, const std::string& resource)
      : backend_(backend), owner_(owner), resource_(resource) {}
  ~WithdrawOnExit() {
    if (granted_) return;
    try {
      backend_.Withdraw(owner_, resource_);
    } catch (...) {
    }
  }
  void set_granted() { granted_ = true; }

 private:
  LockBackend& backend_;
  const std::string& owner_;
  const std::string& resource_;
  bool granted_ = false;
};

// Longest pause of the waiter next in line, whose turn comes with the
// next release or expiry.
constexpr milliseconds kNextInLinePoll(4);
// Longest pause between two polls of a cancellation check.
constexpr milliseconds kCancelPoll(10);

milliseconds Jitter(milliseconds backoff) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> dist(backoff.count() / 2, backoff.count());
  return milliseconds(std::max<int64_t>(1, dist(rng)));
}

std::string Describe(const std::string& resource, const std::string& owner, LockMode mode) {
  return std::string(LockModeName(mode)) + " lock on '" + resource + "' for owner '" + owner + "'";
}

// Backends inherited across fork(): closing one in the child could end the
// parent's server session (libpq sends Terminate), so they are kept, unused
// and reachable, until the child exits.
void KeepInherited(std::unique_ptr<LockBackend> backend) {
  static std::mutex mu;
  static auto* kept = new std::vector<LockBackend*>;
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(backend.release());
}

}  // namespace

LockService::LockService(BackendFactory open, std::string url, const LockOptions& options)
    : open_(std::move(open)),
      connection_url_(std::move(url)),
      monotonic_(options.monotonic_clock ? options.monotonic_clock : [] { return Steady::now(); }),
      max_poll_(std::max(options.max_poll_interval, milliseconds(1))),
      backend_(open_()),
      pid_(::getpid()),
      url_(backend_->url()) {}

LockService::~LockService() {
  if (pid_.load() != ::getpid()) KeepInherited(std::move(backend_));
}

LockBackend& LockService::backend() {
  const pid_t self = ::getpid();
  if (pid_.load(std::memory_order_acquire) == self) return *backend_;
  std::lock_guard<std::mutex> lock(reopen_mu_);
  if (pid_.load(std::memory_order_relaxed) != self) {
    if (backend_) KeepInherited(std::move(backend_));
    backend_ = open_();  // throws Unavailable if the server cannot be reached
    pid_.store(self, std::memory_order_release);
  }
  return *backend_;
}

std::string LockService::url() const { return url_; }

Steady::time_point LockService::HeldUntil(Steady::time_point sent, milliseconds ttl) const {
  return sent + ttl - ttl / 10;
}

Lease LockService::Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                           milliseconds ttl, milliseconds wait, const LockCancelCheck& cancelled) {
  ValidateResource(resource);
  ValidateOwner(owner);
  ValidateDurations(ttl, wait);
  wait = std::min(wait, kMaxLockDuration);
  LockBackend& b = backend();
  const auto deadline = Steady::now() + wait;
  const GrantRequest request{resource, owner, mode, ttl, wait.count() > 0};
  GrantResult result;
  // One grant attempt; a grant the caller cancelled meanwhile is released.
  auto attempt = [&]() -> bool {
    const auto sent = monotonic_();
    result = b.TryGrant(request);
    if (!result.lease) return false;
    result.lease->held_until = HeldUntil(sent, ttl);
    if (cancelled) {
      try {
        if (cancelled()) {
          throw LockNotAcquired(Describe(resource, owner, mode) + " on " + url_ +
                                ": cancelled by the caller");
        }
      } catch (...) {
        try {
          b.Release(resource, owner, result.lease->fencing_token);
        } catch (...) {
          // Best effort: the lease expires anyway; the cancellation matters.
        }
        throw;
      }
    }
    return true;
  };
  if (attempt()) return *result.lease;
  if (!request.waiting) {
    throw LockNotAcquired(Describe(resource, owner, mode) + " not acquired on " + url_ +
                          ": held by " + result.blockers);
  }
  WithdrawOnExit withdraw(b, owner, resource);
  milliseconds backoff(1);
  while (true) {
    const auto now = Steady::now();
    if (now >= deadline) {
      throw LockNotAcquired(Describe(resource, owner, mode) + " not acquired on " + url_ +
                            " within " + std::to_string(wait.count()) + "ms: blocked by " +
                            result.blockers);
    }
    if (cancelled && cancelled()) {
      throw LockNotAcquired(Describe(resource, owner, mode) + " on " + url_ +
                            ": wait cancelled by the caller");
    }
    if (auto deadlock = FindDeadlock(b.Snapshot(), owner); deadlock && deadlock->victim == owner) {
      std::string cycle;
      for (const std::string& o : deadlock->owners)
        cycle += (cycle.empty() ? "'" : ", '") + o + "'";
      throw DeadlockDetected(Describe(resource, owner, mode) + " on " + url_ + ": owner '" + owner +
                             "' is the youngest waiter of a wait-for cycle between " + cycle +
                             "; release its locks and retry the transaction");
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
    // The next in line polls often; those queued behind it back off further.
    milliseconds cap = result.next_in_line ? kNextInLinePoll : max_poll_;
    if (cancelled) cap = std::min(cap, kCancelPoll);
    b.WaitForChange(std::min(Jitter(std::min(backoff, cap)), left));
    backoff = std::min(backoff * 2, max_poll_);
    if (attempt()) {
      withdraw.set_granted();
      return *result.lease;
    }
  }
}

std::optional<Lease> LockService::TryAcquire(const std::string& resource, const std::string& owner,
                                             LockMode mode, milliseconds ttl) {
  ValidateResource(resource);
  ValidateOwner(owner);
  ValidateDurations(ttl, milliseconds(0));
  const auto sent = monotonic_();
  std::optional<Lease> lease =
      backend().TryGrant(GrantRequest{resource, owner, mode, ttl, false}).lease;
  if (lease) lease->held_until = HeldUntil(sent, ttl);
  return lease;
}

Lease LockService::Renew(const Lease& lease, milliseconds ttl) {
  ValidateResource(lease.resource);
  ValidateOwner(lease.owner);
  ValidateDurations(ttl, milliseconds(0));
  if (lease.fencing_token == 0) {
    throw InvalidArgument("cannot renew lock on '" + lease.resource + "' for owner '" +
                          lease.owner + "': the lease has no fencing token");
  }
  const auto sent = monotonic_();
  Lease renewed = backend().Renew(lease.resource, lease.owner, lease.fencing_token, ttl);
  renewed.held_until = HeldUntil(sent, ttl);
  return renewed;
}

void LockService::Release(const Lease& lease) {
  ValidateResource(lease.resource);
  ValidateOwner(lease.owner);
  if (lease.fencing_token == 0) {
    throw InvalidArgument("cannot release lock on '" + lease.resource + "' for owner '" +
                          lease.owner + "': the lease has no fencing token");
  }
  backend().Release(lease.resource, lease.owner, lease.fencing_token);
}

void LockService::CheckHeld(const Lease& lease) const {
  if (monotonic_() < lease.held_until) return;
  throw LockExpired(Describe(lease.resource, lease.owner, lease.mode) + " (fencing token " +
                    std::to_string(lease.fencing_token) + ") on " + url_ +
                    " is past its client-side deadline: it was not renewed in time and may "
                    "have expired on the server; stop the work it guards");
}

Lease LockService::Renew(const std::string& resource, const std::string& owner, milliseconds ttl) {
  ValidateResource(resource);
  ValidateOwner(owner);
  ValidateDurations(ttl, milliseconds(0));
  const auto sent = monotonic_();
  Lease renewed = backend().Renew(resource, owner, 0, ttl);
  renewed.held_until = HeldUntil(sent, ttl);
  return renewed;
}

void LockService::Release(const std::string& resource, const std::string& owner) {
  ValidateResource(resource);
  ValidateOwner(owner);
  backend().Release(resource, owner, 0);
}

size_t LockService::ReleaseAll(const std::string& owner) {
  ValidateOwner(owner);
  return backend().ReleaseAll(owner);
}

std::vector<Lease> LockService::AcquireAll(std::vector<LockRequest> requests,
                                           const std::string& owner, milliseconds ttl,
                                           milliseconds wait, const LockCancelCheck& cancelled) {
  ValidateOwner(owner);
  ValidateDurations(ttl, wait);
  wait = std::min(wait, kMaxLockDuration);
  for (const LockRequest& r : requests) ValidateResource(r.resource);
  // Canonical order: by path segments, parents first; a resource named twice
  // is taken once, in the stronger mode.
  std::sort(requests.begin(), requests.end(), [](const LockRequest& a, const LockRequest& b) {
    return a.resource != b.resource ? CanonicalLess(a.resource, b.resource) : a.mode > b.mode;
  });
  requests.erase(std::unique(requests.begin(), requests.end(),
                             [](const LockRequest& a, const LockRequest& b) {
                               return a.resource == b.resource;
                             }),
                 requests.end());
  const auto deadline = Steady::now() + wait;
  std::vector<Lease> taken;
  try {
    for (const LockRequest& r : requests) {
      const auto left = std::max(
          milliseconds(0), std::chrono::duration_cast<milliseconds>(deadline - Steady::now()));
      taken.push_back(Acquire(r.resource, owner, r.mode, ttl, left, cancelled));
    }
  } catch (...) {
    for (const Lease& l : taken) {
      try {
        backend().Release(l.resource, owner, l.fencing_token);
      } catch (...) {
        // Best effort: the lease expires anyway; the original error matters.
      }
    }
    throw;
  }
  return taken;
}

std::vector<Lease> LockService::List() {
  std::vector<Lease> leases = backend().Snapshot().leases;
  SortLeases(leases);
  return leases;
}

std::vector<Lease> LockService::Inspect(const std::string& resource) {
  ValidateResource(resource);
  std::vector<Lease> leases = backend().Snapshot().leases;
  std::erase_if(leases, [&](const Lease& l) { return !Related(l.resource, resource); });
  SortLeases(leases);
  return leases;
}

}  // namespace datashard::lock
