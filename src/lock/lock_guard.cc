#include "datashard/lock_guard.h"

#include <unistd.h>

#include "datashard/errors.h"

namespace datashard {

LockGuard::LockGuard(LockManager& manager, const std::string& resource, const std::string& owner,
                     LockMode mode, std::chrono::milliseconds ttl, std::chrono::milliseconds wait,
                     bool auto_renew, const LockCancelCheck& cancelled)
    : manager_(manager),
      ttl_(ttl),
      lease_(manager.Acquire(resource, owner, mode, ttl, wait, cancelled)),
      pid_(::getpid()) {
  if (auto_renew) renewer_ = std::thread([this] { RenewLoop(); });
}

LockGuard::~LockGuard() {
  try {
    Release();
  } catch (...) {
    // A destructor never throws; a lost lease was reported by CheckHeld().
  }
}

Lease LockGuard::lease() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lease_;
}

void LockGuard::CheckHeld() const {
  Lease lease;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (renew_error_) std::rethrow_exception(renew_error_);
    lease = lease_;
  }
  manager_.CheckHeld(lease);
}

void LockGuard::Release() {
  if (::getpid() != pid_) {
    // A forked child: the renewal thread does not exist here (joining it
    // would wait forever) and the lease is the parent's. Forget both.
    std::lock_guard<std::mutex> lock(mu_);
    if (renewer_.joinable()) new std::thread(std::move(renewer_));  // never joined, never freed
    released_ = true;
    return;
  }
  StopRenewal();
  Lease lease;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_) return;
    released_ = true;
    lease = lease_;
  }
  manager_.Release(lease);
}

void LockGuard::StopRenewal() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

void LockGuard::RenewLoop() {
  const auto period = std::max(ttl_ / 3, std::chrono::milliseconds(1));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, period, [this] { return stopping_; })) return;
    const Lease current = lease_;
    lock.unlock();
    try {
      Lease renewed = manager_.Renew(current, ttl_);
      lock.lock();
      lease_ = renewed;
    } catch (...) {
      lock.lock();
      renew_error_ = std::current_exception();
      return;
    }
  }
}

}  // namespace datashard
