#include "table/table_state.h"

#include <algorithm>
#include <chrono>

#include "catalog/file_catalog.h"
#include "datashard/errors.h"
#include "log/log_fold.h"
#include "metadata/table_metadata_json.h"
#include "util/clock.h"

namespace datashard {

TableState::TableState(std::shared_ptr<FileIO> io, std::string path)
    : io_(std::move(io)),
      path_(path),
      catalog_(std::make_shared<FileCatalog>(io_, path)),
      metadata_(std::make_shared<const TableMetadata>()) {}

TableState::TableState(std::shared_ptr<FileIO> io, std::string path,
                       std::shared_ptr<TableCatalog> catalog)
    : io_(std::move(io)),
      path_(std::move(path)),
      catalog_(std::move(catalog)),
      metadata_(std::make_shared<const TableMetadata>()) {}

TableState::~TableState() {
  std::lock_guard<std::mutex> lock(background_mu_);
  if (background_.joinable()) background_.join();
}

bool TableState::RunInBackground(std::function<void()> work) {
  if (background_busy_.exchange(true)) return false;
  std::lock_guard<std::mutex> lock(background_mu_);
  if (background_.joinable()) background_.join();  // finished: busy was clear
  background_ = std::thread([this, work = std::move(work)] {
    work();
    background_busy_ = false;
  });
  return true;
}

std::pair<MetadataRef, MetadataPointer> TableState::LoadLatest() {
  int64_t known = 0;
  MetadataRef previous;  // its snapshots are shared by the version loaded
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pinned_) return {metadata_, pointer_};
    known = pointer_.version;
    previous = metadata_;
  }
  constexpr int kAttempts = 20;
  for (int attempt = 0;; ++attempt) {
    const std::optional<MetadataPointer> latest = catalog_->FindCurrent(known);
    if (!latest) throw NotFound(catalog_->NoTableMessage());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (latest->location == pointer_.location) return {metadata_, pointer_};
    }
    try {
      TableMetadata m =
          TableMetadataFromJson(catalog_->ReadMetadata(*latest), latest->location, previous.get());
      Install(std::move(m), *latest);
      return Cached();
    } catch (const NotFound&) {
      // Deleted by retention after we found it: a newer version exists.
      if (attempt + 1 >= kAttempts) throw;
    }
  }
}

std::pair<MetadataRef, MetadataPointer> TableState::Cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {metadata_, pointer_};
}

void TableState::Install(TableMetadata metadata, MetadataPointer pointer) {
  MetadataRef next = std::make_shared<const TableMetadata>(std::move(metadata));
  MetadataRef replaced;  // freed after the lock is released
  std::lock_guard<std::mutex> lock(mu_);
  if (!pinned_ && (pointer.version > pointer_.version || pointer_.location.empty())) {
    replaced = std::exchange(metadata_, std::move(next));
    pointer_ = std::move(pointer);
  }
}

std::shared_ptr<IngestLog> TableState::Log() {
  namespace tp = table_properties;
  std::lock_guard<std::mutex> lock(log_mu_);
  if (log_) return log_;
  const MetadataRef m = Cached().first;
  {
    std::lock_guard<std::mutex> state_lock(mu_);
    if (pinned_) return nullptr;
  }
  if (!m->PropertyBool(tp::kIngestLogEnabled, tp::kIngestLogEnabledDefault)) return nullptr;
  const auto segment = static_cast<uint64_t>(
      m->PropertyLong(tp::kIngestLogSegmentBytes, tp::kIngestLogSegmentBytesDefault));
  // Asked only to rebuild the log's header after a reboot.
  auto folded = [this] { return FoldedPosition(LoadLatest().first->CurrentSnapshot()); };
  const std::chrono::milliseconds lock_wait =
      BoundedMillis(m->PropertyLong(tp::kIngestLogLockWaitMs, tp::kIngestLogLockWaitMsDefault));
  log_ = std::make_shared<IngestLog>(io_, path_ + "/log", segment, folded, lock_wait);
  return log_;
}

void TableState::Pin(TableMetadata metadata, MetadataPointer pointer) {
  std::lock_guard<std::mutex> lock(mu_);
  metadata_ = std::make_shared<const TableMetadata>(std::move(metadata));
  pointer_ = std::move(pointer);
  pinned_ = true;
}

void TableState::RefuseCommits(ErrorCode kind, std::string why) {
  std::lock_guard<std::mutex> lock(commit_check_mu_);
  refusal_kind_ = kind;
  refusal_ = std::move(why);
}

void TableState::ProbeBeforeFirstCommit(std::function<void()> probe) {
  std::lock_guard<std::mutex> lock(commit_check_mu_);
  probe_ = std::move(probe);
}

void TableState::CheckCanCommit() {
  std::lock_guard<std::mutex> lock(commit_check_mu_);
  if (probe_ && !refusal_kind_) {
    try {
      probe_();
      probe_ = nullptr;
    } catch (const NotSupported& e) {
      refusal_kind_ = ErrorCode::kNotSupported;
      refusal_ = e.what();
    } catch (const Error& e) {
      throw IOError(std::string("cannot commit to ") + path_ + ": " + e.what());
    }
  }
  if (!refusal_kind_) return;
  if (*refusal_kind_ == ErrorCode::kNotSupported) throw NotSupported(refusal_);
  throw IOError(refusal_);
}

void TableState::CountCommit(int retries, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.commits++;
  counters_.retries += retries;
  counters_.commit_seconds += seconds;
}

void TableState::CountConflict(int retries, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.conflicts++;
  unreported_conflicts_++;
  counters_.retries += retries;
  counters_.commit_seconds += seconds;
}

void TableState::CountUnknown(int retries, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.unknown_outcomes++;
  counters_.retries += retries;
  counters_.commit_seconds += seconds;
}

int64_t TableState::UnreportedConflicts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unreported_conflicts_;
}

void TableState::ReportedConflicts(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  unreported_conflicts_ -= std::min(n, unreported_conflicts_);
}

TableStats TableState::Counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

}  // namespace datashard
