// LockService: the LockManager contract built once over any LockBackend:
// argument checks, waiting with exponential backoff and jitter, wait
// registration for fairness and deadlock detection, canonical-order
// AcquireAll. Thread-safe as its backend is.
#pragma once

#include <memory>

#include "datashard/lock_manager.h"
#include "lock/lock_backend.h"

namespace datashard::lock {

class LockService : public LockManager {
 public:
  LockService(std::unique_ptr<LockBackend> backend, const LockOptions& options);

  Lease Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                std::chrono::milliseconds ttl, std::chrono::milliseconds wait) override;
  std::optional<Lease> TryAcquire(const std::string& resource, const std::string& owner,
                                  LockMode mode, std::chrono::milliseconds ttl) override;
  Lease Renew(const std::string& resource, const std::string& owner,
              std::chrono::milliseconds ttl) override;
  void Release(const std::string& resource, const std::string& owner) override;
  size_t ReleaseAll(const std::string& owner) override;
  std::vector<Lease> AcquireAll(std::vector<LockRequest> requests, const std::string& owner,
                                std::chrono::milliseconds ttl,
                                std::chrono::milliseconds wait) override;
  std::vector<Lease> List() override;
  std::vector<Lease> Inspect(const std::string& resource) override;
  std::string url() const override { return backend_->url(); }

 private:
  std::unique_ptr<LockBackend> backend_;
  std::chrono::milliseconds max_poll_;
};

}  // namespace datashard::lock
