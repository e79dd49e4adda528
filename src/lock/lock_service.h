// LockService: the LockManager contract built once over any LockBackend:
// argument checks, waiting with exponential backoff and jitter, wait
// registration for fairness and deadlock detection, canonical-order
// AcquireAll, client-side lease deadlines, cancellation, and a fresh backend
// connection in a forked child. Thread-safe as its backend is.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "datashard/lock_manager.h"
#include "lock/lock_backend.h"

namespace datashard::lock {

class LockService : public LockManager {
 public:
  using BackendFactory = std::function<std::unique_ptr<LockBackend>()>;

  /// Opens a backend with `open` now, and again on first use in a process
  /// forked from this one (the parent's connection is then neither used nor
  /// closed). `url` is the URL as given, password included.
  LockService(BackendFactory open, std::string url, const LockOptions& options);
  ~LockService() override;

  Lease Acquire(const std::string& resource, const std::string& owner, LockMode mode,
                std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
                const LockCancelCheck& cancelled = {}) override;
  std::optional<Lease> TryAcquire(const std::string& resource, const std::string& owner,
                                  LockMode mode, std::chrono::milliseconds ttl) override;
  Lease Renew(const Lease& lease, std::chrono::milliseconds ttl) override;
  void Release(const Lease& lease) override;
  void CheckHeld(const Lease& lease) const override;
  Lease Renew(const std::string& resource, const std::string& owner,
              std::chrono::milliseconds ttl) override;
  void Release(const std::string& resource, const std::string& owner) override;
  size_t ReleaseAll(const std::string& owner) override;
  std::vector<Lease> AcquireAll(std::vector<LockRequest> requests, const std::string& owner,
                                std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
                                const LockCancelCheck& cancelled = {}) override;
  std::vector<Lease> List() override;
  std::vector<Lease> Inspect(const std::string& resource) override;
  std::string url() const override;
  std::string connection_url() const override { return connection_url_; }

 private:
  /// The backend of this process: reopened after a fork.
  LockBackend& backend();
  /// The client deadline of a lease requested at `sent` for `ttl`.
  std::chrono::steady_clock::time_point HeldUntil(std::chrono::steady_clock::time_point sent,
                                                  std::chrono::milliseconds ttl) const;

  const BackendFactory open_;
  const std::string connection_url_;
  std::function<std::chrono::steady_clock::time_point()> monotonic_;
  const std::chrono::milliseconds max_poll_;
  std::mutex reopen_mu_;
  std::unique_ptr<LockBackend> backend_;
  std::atomic<pid_t> pid_;  // the process backend_ belongs to
  std::string url_;         // the backend's URL for messages, as of opening
};

}  // namespace datashard::lock
