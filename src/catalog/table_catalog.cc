#include "catalog/table_catalog.h"

#include <atomic>

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

LockSignal TableCatalog::CommitSignal() const noexcept {
  return LockSignal(Events(), kCounterOffset, kWaitersOffset, kMaxCommitEventWait);
}

uint32_t TableCatalog::CommitEvents() const noexcept { return CommitSignal().Counter(); }

void TableCatalog::WaitForCommitEvent(uint32_t seen,
                                      std::chrono::microseconds timeout) const noexcept {
  CommitSignal().Wait(seen, timeout);
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
    // Every waiter wakes: waiters in a group publication learn their
    // outcome from the events too.
    return CommitSignal().Lock(*io_, metadata_dir() + "/commit.lock", timeout, /*wake_all=*/true);
  } catch (...) {
    return nullptr;  // the lock is for liveness only
  }
}

}  // namespace datashard
