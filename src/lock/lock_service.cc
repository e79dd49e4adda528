#include "lock/lock_service.h"

#include <algorithm>
#include <random>

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

milliseconds Jitter(milliseconds backoff) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> dist(backoff.count() / 2, backoff.count());
  return milliseconds(std::max<int64_t>(1, dist(rng)));
}

std::string Describe(const std::string& resource, const std::string& owner, LockMode mode) {
  return std::string(LockModeName(mode)) + " lock on '" + resource + "' for owner '" + owner + "'";
}

}  // namespace

LockService::LockService(std::unique_ptr<LockBackend> backend, const LockOptions& options)
    : backend_(std::move(backend)),
      max_poll_(std::max(options.max_poll_interval, milliseconds(1))) {}

Lease LockService::Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                           milliseconds ttl, milliseconds wait) {
  ValidateResource(resource);
  ValidateOwner(owner);
  ValidateDurations(ttl, wait);
  const auto deadline = Steady::now() + wait;
  GrantRequest request{resource, owner, mode, ttl, wait.count() > 0};
  GrantResult result = backend_->TryGrant(request);
  if (result.lease) return *result.lease;
  if (!request.waiting) {
    throw LockNotAcquired(Describe(resource, owner, mode) + " not acquired on " + backend_->url() +
                          ": held by " + result.blockers);
  }
  WithdrawOnExit withdraw(*backend_, owner, resource);
  milliseconds backoff(1);
  while (true) {
    const auto now = Steady::now();
    if (now >= deadline) {
      throw LockNotAcquired(Describe(resource, owner, mode) + " not acquired on " +
                            backend_->url() + " within " + std::to_string(wait.count()) +
                            "ms: blocked by " + result.blockers);
    }
    if (auto deadlock = FindDeadlock(backend_->Snapshot(), owner);
        deadlock && deadlock->victim == owner) {
      std::string cycle;
      for (const std::string& o : deadlock->owners)
        cycle += (cycle.empty() ? "'" : ", '") + o + "'";
      throw DeadlockDetected(Describe(resource, owner, mode) + " on " + backend_->url() +
                             ": owner '" + owner +
                             "' is the youngest waiter of a wait-for cycle between " + cycle +
                             "; release its locks and retry the transaction");
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1);
    // The next in line polls often; those queued behind it back off further.
    const milliseconds cap = result.next_in_line ? kNextInLinePoll : max_poll_;
    backend_->WaitForChange(std::min(Jitter(std::min(backoff, cap)), left));
    backoff = std::min(backoff * 2, max_poll_);
    result = backend_->TryGrant(request);
    if (result.lease) {
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
  return backend_->TryGrant(GrantRequest{resource, owner, mode, ttl, false}).lease;
}

Lease LockService::Renew(const std::string& resource, const std::string& owner, milliseconds ttl) {
  ValidateResource(resource);
  ValidateOwner(owner);
  ValidateDurations(ttl, milliseconds(0));
  return backend_->Renew(resource, owner, ttl);
}

void LockService::Release(const std::string& resource, const std::string& owner) {
  ValidateResource(resource);
  ValidateOwner(owner);
  backend_->Release(resource, owner);
}

size_t LockService::ReleaseAll(const std::string& owner) {
  ValidateOwner(owner);
  return backend_->ReleaseAll(owner);
}

std::vector<Lease> LockService::AcquireAll(std::vector<LockRequest> requests,
                                           const std::string& owner, milliseconds ttl,
                                           milliseconds wait) {
  ValidateOwner(owner);
  ValidateDurations(ttl, wait);
  for (const LockRequest& r : requests) ValidateResource(r.resource);
  // Canonical order: by resource; a resource named twice is taken once, in
  // the stronger mode.
  std::sort(requests.begin(), requests.end(), [](const LockRequest& a, const LockRequest& b) {
    return a.resource != b.resource ? a.resource < b.resource : a.mode > b.mode;
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
      taken.push_back(Acquire(r.resource, owner, r.mode, ttl, left));
    }
  } catch (...) {
    for (const Lease& l : taken) {
      try {
        backend_->Release(l.resource, owner);
      } catch (...) {
        // Best effort: the lease expires anyway; the original error matters.
      }
    }
    throw;
  }
  return taken;
}

std::vector<Lease> LockService::List() {
  std::vector<Lease> leases = backend_->Snapshot().leases;
  SortLeases(leases);
  return leases;
}

std::vector<Lease> LockService::Inspect(const std::string& resource) {
  ValidateResource(resource);
  std::vector<Lease> leases = backend_->Snapshot().leases;
  std::erase_if(leases, [&](const Lease& l) { return !Related(l.resource, resource); });
  SortLeases(leases);
  return leases;
}

}  // namespace datashard::lock
