// Snapshot expiry, for `expire` (Table::ExpireSnapshots) and for the
// retention applied at commit time (DESIGN.md §6) with Iceberg's
// history.expire.* semantics: a snapshot of the current branch expires when
// it is older than a cutoff and not among the newest N; snapshots off the
// current branch and those a ref names are kept. What only expired
// snapshots referenced becomes deletable: their manifest lists, manifests no
// kept snapshot lists, statistics files, and the data and delete files that
// a commit removed (row-level changes, compaction) once no kept snapshot
// has them live. Thread-compatible.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

struct RetentionResult {
  std::vector<int64_t> expired_snapshot_ids;  // ascending
  /// Every file below, to delete once the commit published.
  std::vector<std::string> deletable_files;
  /// Files written for the next metadata (the remembered commit ids):
  /// delete them if the commit does not publish.
  std::vector<std::string> written_files;
  int64_t manifest_lists = 0;
  int64_t manifests = 0;
  int64_t data_files = 0;
  int64_t delete_files = 0;
  int64_t statistics_files = 0;
  int64_t bytes = 0;  // of the files whose size the metadata records
};

/// The snapshots of the current branch older than `cutoff_ms` and not among
/// its newest `retain_last` (at least 1: the current one), as the oldest
/// part of the branch: the first snapshot that must stay ends the run.
std::set<int64_t> SelectExpiredSnapshots(const TableMetadata& metadata, int64_t cutoff_ms,
                                         int64_t retain_last);

/// Removes the `expired` snapshots (with their snapshot-log and statistics
/// entries) from `metadata`, whose current snapshot lists
/// `current_manifests`, remembers their commit ids (commit_ids.h, writing
/// under `metadata_dir`), and finds the files only they referenced. A
/// manifest list or manifest that cannot be read only reduces what is
/// deleted, never what is kept; data and delete files are deletable only
/// while every kept snapshot is on the current branch. Manifest lists are
/// read through `memo` when it is not null.
RetentionResult RemoveSnapshots(FileIO& io, const std::string& metadata_dir,
                                TableMetadata* metadata, const std::set<int64_t>& expired,
                                const std::vector<ManifestFile>& current_manifests,
                                ManifestListMemo* memo = nullptr);

/// Commit-time retention: RemoveSnapshots of what the table's
/// history.expire.* properties expire at `now_ms`.
RetentionResult ApplyRetention(FileIO& io, const std::string& metadata_dir, TableMetadata* metadata,
                               int64_t now_ms, const std::vector<ManifestFile>& current_manifests,
                               ManifestListMemo* memo = nullptr);

}  // namespace datashard
