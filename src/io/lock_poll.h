// Waiting for a file lock with a deadline. Linux has no timed wait for a
// file lock, so the lock is tried with pauses that grow to 2 ms: a released
// lock is taken soon after, and a long wait costs little CPU.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace datashard {

/// Calls `try_once()` until it returns a non-null result or `timeout` has
/// passed (zero: one try); returns its last result.
template <typename TryOnce>
auto PollForLock(std::chrono::microseconds timeout, TryOnce try_once) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause(50);
  for (;;) {
    auto lock = try_once();
    if (lock) return lock;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return lock;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(2));
  }
}

}  // namespace datashard
