// Waiting for a file lock with a deadline. Linux has no timed wait for a
// file lock, so the lock is tried again after each pause: the caller's
// LockWaiter's, or one that grows to 2 ms, so that a released lock is taken
// soon after and a long wait costs little CPU.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

#include "datashard/file_io.h"

namespace datashard {

/// Calls `try_once()` until it returns a non-null result or `timeout` has
/// passed (zero: one try); returns its last result.
template <typename TryOnce>
auto PollForLock(std::chrono::microseconds timeout, LockWaiter* waiter, TryOnce try_once) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause(50);
  for (;;) {
    if (waiter) waiter->BeforeTry();
    auto lock = try_once();
    if (lock) return lock;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return lock;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now);
    if (waiter) {
      waiter->Pause(left);
      continue;
    }
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(pause, left));
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(2));
  }
}

}  // namespace datashard
