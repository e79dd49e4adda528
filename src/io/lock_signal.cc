#include "io/lock_signal.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace datashard {
namespace {

std::atomic_ref<uint32_t> Word(SharedMemory& memory, size_t offset) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(memory.data() + offset));
}

// A file lock that raises its signal once released.
class SignallingLock final : public FileLock {
 public:
  SignallingLock(std::unique_ptr<FileLock> lock, const LockSignal& signal, bool wake_all)
      : lock_(std::move(lock)), signal_(signal), wake_all_(wake_all) {}
  ~SignallingLock() override {
    lock_.reset();
    signal_.Raise(wake_all_);
  }

 private:
  std::unique_ptr<FileLock> lock_;
  LockSignal signal_;  // a copy: it keeps the shared memory mapped
  bool wake_all_;
};

}  // namespace

LockSignal::LockSignal(std::shared_ptr<SharedMemory> memory, size_t counter_offset,
                       size_t sleepers_offset, std::chrono::microseconds max_sleep)
    : memory_(std::move(memory)),
      counter_offset_(counter_offset),
      sleepers_offset_(sleepers_offset),
      max_sleep_(max_sleep) {}

uint32_t LockSignal::Counter() const noexcept {
  return memory_ ? Word(*memory_, counter_offset_).load() : 0;
}

void LockSignal::Wait(uint32_t seen, std::chrono::microseconds timeout) const noexcept {
  timeout = std::clamp<std::chrono::microseconds>(timeout, {}, max_sleep_);
  if (!memory_) {
    std::this_thread::sleep_for(timeout);
    return;
  }
  // Counted before the futex compares `seen` (both sequentially consistent):
  // a release either sees the count or moved the counter first. A sleeper
  // that dies while counted only costs later releases a wake-up call.
  Word(*memory_, sleepers_offset_).fetch_add(1);
  try {
    memory_->WaitWhileEqual(counter_offset_, seen, timeout.count());
  } catch (...) {
    std::this_thread::sleep_for(timeout);
  }
  Word(*memory_, sleepers_offset_).fetch_sub(1);
}

void LockSignal::Raise(bool wake_all) const noexcept {
  if (!memory_) return;
  Word(*memory_, counter_offset_).fetch_add(1);
  if (Word(*memory_, sleepers_offset_).load() == 0) return;  // a system call saved
  try {
    if (wake_all)
      memory_->WakeAll(counter_offset_);
    else
      memory_->WakeOne(counter_offset_);
  } catch (...) {
    // The sleepers wake after their timeout.
  }
}

std::unique_ptr<FileLock> LockSignal::Lock(FileIO& io, const std::string& path,
                                           std::chrono::microseconds timeout, bool wake_all) const {
  if (!memory_) return io.TryLockFor(path, timeout);
  // The counter is read before each try: a release after a failed try moves
  // it, and the pause then ends at once.
  class Waiter final : public LockWaiter {
   public:
    explicit Waiter(const LockSignal& signal) : signal_(signal) {}
    void BeforeTry() override { seen_ = signal_.Counter(); }
    void Pause(std::chrono::microseconds left) override { signal_.Wait(seen_, left); }

   private:
    const LockSignal& signal_;
    uint32_t seen_ = 0;
  } waiter(*this);
  std::unique_ptr<FileLock> lock = io.TryLockFor(path, timeout, &waiter);
  if (!lock) return nullptr;
  return std::make_unique<SignallingLock>(std::move(lock), *this, wake_all);
}

}  // namespace datashard
