#include "catalog/table_catalog.h"

namespace datashard {

TableCatalog::TableCatalog(std::shared_ptr<FileIO> io, std::string table_path)
    : io_(std::move(io)), table_path_(std::move(table_path)) {}

std::unique_ptr<FileLock> TableCatalog::LockCommits(
    std::chrono::microseconds timeout) const noexcept {
  try {
    return io_->TryLockFor(metadata_dir() + "/commit.lock", timeout);
  } catch (...) {
    return nullptr;  // the lock is for liveness only
  }
}

}  // namespace datashard
