// LockGuard: the command/request lock (PoEAA ch. 16). Holds one lease for a
// scope, optionally renewing it from a background thread while the work runs,
// and releases it on every exit path. The destructor never throws.
//
// Thread-safety: one guard belongs to one thread; its renewal thread is
// internal. The LockManager must outlive the guard.
// Fork: the lease belongs to the process that took it. In a forked child the
// guard neither renews nor releases it (the child has no renewal thread, and
// the parent still holds the lock); Release() there only ends the guard.
#pragma once

#include <sys/types.h>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "datashard/lock_manager.h"

namespace datashard {

class LockGuard {
 public:
  /// Acquires as LockManager::Acquire does (and throws what it throws,
  /// polling `cancelled` while it waits). With `auto_renew`, a thread renews
  /// the lease (by its fencing token) every ttl/3 until the guard ends.
  LockGuard(LockManager& manager, const std::string& resource, const std::string& owner,
            LockMode mode, std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
            bool auto_renew = false, const LockCancelCheck& cancelled = {});
  ~LockGuard();
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

  /// The lease as last granted or renewed.
  Lease lease() const;
  /// Throws the error that ended auto-renewal (LockExpired, Unavailable...),
  /// if any, else LockExpired once the lease's client-side deadline passed
  /// (LockManager::CheckHeld) although a renewal may still be under way: the
  /// work must then stop, it may no longer hold the lock.
  void CheckHeld() const;
  /// Releases now (this grant, by its fencing token) and reports failure
  /// (LockExpired if the lease was lost). Idempotent: later calls and the
  /// destructor do nothing.
  void Release();

 private:
  void StopRenewal();
  void RenewLoop();

  LockManager& manager_;
  std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Lease lease_;
  std::exception_ptr renew_error_;
  bool stopping_ = false;
  bool released_ = false;
  std::thread renewer_;
  pid_t pid_;  // the process that holds the lease
};

}  // namespace datashard
