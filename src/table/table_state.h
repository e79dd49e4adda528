// The shared state behind Table handles and their transactions: the FileIO,
// the table's catalog, the newest metadata loaded and the commit counters.
// Thread-safe: the metadata cache and counters are guarded by a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "catalog/table_catalog.h"
#include "datashard/errors.h"
#include "datashard/file_io.h"
#include "datashard/table.h"
#include "datashard/table_metadata.h"
#include "log/ingest_log.h"
#include "metadata/manifest.h"

namespace datashard {

/// Metadata as the state caches it: immutable and shared, so that a caller
/// holds a version without copying its snapshots.
using MetadataRef = std::shared_ptr<const TableMetadata>;

class TableState {
 public:
  /// A table of the file catalog in folder `path`.
  TableState(std::shared_ptr<FileIO> io, std::string path);
  /// A table whose current metadata `catalog` keeps; `path` is its folder.
  TableState(std::shared_ptr<FileIO> io, std::string path, std::shared_ptr<TableCatalog> catalog);
  /// Waits for a background checkpoint still running.
  ~TableState();

  FileIO& io() const { return *io_; }
  const std::shared_ptr<FileIO>& shared_io() const { return io_; }
  const TableCatalog& catalog() const { return *catalog_; }
  const std::string& path() const { return path_; }
  /// The manifest lists this table's commits read or wrote lately: each
  /// commit reads its parent's list and retention two more.
  ManifestListMemo& manifest_lists() { return manifest_lists_; }

  /// Finds and reads the newest version (never older than the cached one),
  /// caches it and returns it. NotFound when no version exists. A version
  /// deleted between finding and reading it is retried. A pinned state
  /// returns its pinned metadata and reads nothing.
  std::pair<MetadataRef, MetadataPointer> LoadLatest();
  /// The cached metadata and where it was published.
  std::pair<MetadataRef, MetadataPointer> Cached() const;
  /// Calls `f` with the cached metadata under the state's mutex, without
  /// copying it (for hot paths that only look).
  template <typename F>
  auto WithCached(F f) const {
    std::lock_guard<std::mutex> lock(mu_);
    return f(static_cast<const TableMetadata&>(*metadata_));
  }
  /// Caches `metadata`, published at `pointer`, unless a newer one is cached.
  void Install(TableMetadata metadata, MetadataPointer pointer);

  /// Pins the state to `metadata`, read from one metadata file (`pointer`;
  /// version 0 when its name carries none): LoadLatest returns it from then
  /// on and never looks for newer versions.
  void Pin(TableMetadata metadata, MetadataPointer pointer);

  /// Makes every commit throw `kind` (IOError or NotSupported) with message
  /// `why`: for a table pinned to one metadata file. Before anything is
  /// shared between threads.
  void RefuseCommits(ErrorCode kind, std::string why);
  /// Has CheckCanCommit run `probe` (the file catalog's link probe) until
  /// it succeeds once, so that opening and reading a table writes nothing.
  /// A probe throwing NotSupported refuses every commit with it from then
  /// on; any other Error (a folder readable but not writable here, a full
  /// disk) refuses this commit with an IOError, and the next one probes
  /// again. Before anything is shared between threads.
  void ProbeBeforeFirstCommit(std::function<void()> probe);
  /// Throws the refusal set by RefuseCommits or found by the probe, if any.
  void CheckCanCommit();

  /// The table's ingest log, opened on first use; null when the cached
  /// metadata does not enable one, or the state is pinned to a file.
  std::shared_ptr<IngestLog> Log();

  /// Runs `work` on this state's background thread unless it is busy (then
  /// returns false): automatic checkpoints, so that the append that starts
  /// one does not wait for it.
  bool RunInBackground(std::function<void()> work);

  void CountCommit(int retries, double seconds);
  void CountConflict(int retries, double seconds);
  void CountUnknown(int retries, double seconds);
  TableStats Counters() const;
  /// CommitConflicts not yet recorded in a snapshot summary, and marking
  /// `n` of them recorded.
  int64_t UnreportedConflicts() const;
  void ReportedConflicts(int64_t n);

 private:
  std::shared_ptr<FileIO> io_;
  std::string path_;
  std::shared_ptr<TableCatalog> catalog_;
  mutable std::mutex mu_;
  MetadataRef metadata_;                // guarded by mu_
  MetadataPointer pointer_;             // guarded by mu_
  bool pinned_ = false;                 // guarded by mu_
  ManifestListMemo manifest_lists_{8};  // locks itself
  std::mutex commit_check_mu_;          // guards the three below once shared
  std::function<void()> probe_;
  std::optional<ErrorCode> refusal_kind_;
  std::string refusal_;
  TableStats counters_;               // guarded by mu_
  int64_t unreported_conflicts_ = 0;  // guarded by mu_
  std::mutex background_mu_;
  std::thread background_;  // guarded by background_mu_
  std::atomic<bool> background_busy_{false};
  std::mutex log_mu_;
  std::shared_ptr<IngestLog> log_;  // guarded by log_mu_
};

}  // namespace datashard
