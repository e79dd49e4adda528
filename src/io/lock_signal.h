// Waiting for a file lock without polling it. Linux has no timed wait for a
// file lock, and each try costs an open, a fcntl and a close: a waiter
// instead sleeps on a futex word in memory shared by the processes of this
// machine, which every release of the lock moves, and tries again when it
// moved. Liveness only: a release that wakes no one (a holder killed, a
// process of another machine) delays a waiter by its longest sleep.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "datashard/file_io.h"

namespace datashard {

class LockSignal {
 public:
  /// Two 32-bit words of `memory`: a counter that every release bumps (the
  /// futex word) and the number of processes asleep on it. Without memory
  /// (it could not be mapped) waits sleep out their timeout.
  LockSignal(std::shared_ptr<SharedMemory> memory, size_t counter_offset, size_t sleepers_offset,
             std::chrono::microseconds max_sleep);

  uint32_t Counter() const noexcept;
  /// Sleeps while the counter still equals `seen`, at most `timeout`
  /// (capped at the longest sleep).
  void Wait(uint32_t seen, std::chrono::microseconds timeout) const noexcept;
  /// Bumps the counter, then wakes every sleeper (`wake_all`) or one.
  void Raise(bool wake_all) const noexcept;
  /// The lock on `path`, tried until `timeout` passes (zero: once), waking
  /// for releases; nullptr if it stayed held. Releasing the lock raises this
  /// signal. Errors of `io` pass through.
  std::unique_ptr<FileLock> Lock(FileIO& io, const std::string& path,
                                 std::chrono::microseconds timeout, bool wake_all) const;

 private:
  std::shared_ptr<SharedMemory> memory_;
  size_t counter_offset_;
  size_t sleepers_offset_;
  std::chrono::microseconds max_sleep_;
};

}  // namespace datashard
