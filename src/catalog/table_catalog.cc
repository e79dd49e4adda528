#include "catalog/table_catalog.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace datashard {
namespace {

// Words of metadata/commit.events.
constexpr size_t kCounterOffset = 0;
constexpr size_t kWaitersOffset = 4;
constexpr size_t kWaitingAppendsOffset = 8;
constexpr size_t kEventsFileBytes = 64;

std::atomic_ref<uint32_t> Word(SharedMemory& events, size_t offset) {
  return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t*>(events.data() + offset));
}

void Signal(SharedMemory& events) noexcept {
  // The counter moves before the waiters are read: a waiter counted after
  // that read finds the counter moved and does not sleep.
  Word(events, kCounterOffset).fetch_add(1);
  if (Word(events, kWaitersOffset).load() != 0) events.WakeAll(kCounterOffset);
}

// The commit lock, raising the commit events once released.
class SignallingLock final : public FileLock {
 public:
  SignallingLock(std::unique_ptr<FileLock> lock, std::shared_ptr<SharedMemory> events)
      : lock_(std::move(lock)), events_(std::move(events)) {}
  ~SignallingLock() override {
    lock_.reset();
    Signal(*events_);
  }

 private:
  std::unique_ptr<FileLock> lock_;
  std::shared_ptr<SharedMemory> events_;
};

}  // namespace

TableCatalog::TableCatalog(std::shared_ptr<FileIO> io, std::string table_path)
    : io_(std::move(io)), table_path_(std::move(table_path)) {}

std::shared_ptr<SharedMemory> TableCatalog::Events() const noexcept {
  std::call_once(events_once_, [&] {
    try {
      events_ = io_->MapShared(metadata_dir() + "/commit.events", kEventsFileBytes);
    } catch (...) {
      events_ = nullptr;  // waits fall back to their timeouts
    }
  });
  return events_;
}

uint32_t TableCatalog::CommitEvents() const noexcept {
  const std::shared_ptr<SharedMemory> events = Events();
  return events ? Word(*events, kCounterOffset).load() : 0;
}

void TableCatalog::WaitForCommitEvent(uint32_t seen,
                                      std::chrono::microseconds timeout) const noexcept {
  timeout = std::clamp<std::chrono::microseconds>(timeout, {}, kMaxCommitEventWait);
  const std::shared_ptr<SharedMemory> events = Events();
  if (!events) {
    std::this_thread::sleep_for(timeout);
    return;
  }
  // A waiter that dies while counted only costs later releases a wake-up.
  Word(*events, kWaitersOffset).fetch_add(1);
  try {
    events->WaitWhileEqual(kCounterOffset, seen, timeout.count());
  } catch (...) {
    std::this_thread::sleep_for(timeout);
  }
  Word(*events, kWaitersOffset).fetch_sub(1);
}

uint32_t TableCatalog::WaitingAppends() const noexcept {
  const std::shared_ptr<SharedMemory> events = Events();
  return events ? Word(*events, kWaitingAppendsOffset).load() : 0;
}

void TableCatalog::CountWaitingAppend(int delta) const noexcept {
  if (const std::shared_ptr<SharedMemory> events = Events())
    Word(*events, kWaitingAppendsOffset).fetch_add(static_cast<uint32_t>(delta));
}

std::unique_ptr<FileLock> TableCatalog::LockCommits(
    std::chrono::microseconds timeout) const noexcept {
  try {
    const std::string path = metadata_dir() + "/commit.lock";
    const std::shared_ptr<SharedMemory> events = Events();
    if (!events) return io_->TryLockFor(path, timeout);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      // Read before trying: a release after a failed try moves it, and the
      // wait below then returns at once.
      const uint32_t seen = CommitEvents();
      if (std::unique_ptr<FileLock> lock = io_->Lock(path, /*wait=*/false))
        return std::make_unique<SignallingLock>(std::move(lock), events);
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return nullptr;
      WaitForCommitEvent(seen,
                         std::chrono::duration_cast<std::chrono::microseconds>(deadline - now));
    }
  } catch (...) {
    return nullptr;  // the lock is for liveness only
  }
}

}  // namespace datashard
