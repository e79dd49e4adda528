// Snapshot retention applied at commit time (DESIGN.md §6), with Iceberg's
// history.expire.* semantics: a snapshot of the current branch expires when
// it is older than max-snapshot-age-ms and not among the newest
// min-snapshots-to-keep; snapshots off the current branch are kept. Only
// manifest lists and manifests that no kept snapshot references, and
// statistics files only expired snapshots had, become deletable; data files
// never do (every appended file stays live).
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

struct RetentionResult {
  std::vector<int64_t> expired_snapshot_ids;
  /// Manifest lists of expired snapshots and manifests only they referenced;
  /// to delete after the commit published.
  std::vector<std::string> deletable_files;
};

/// Removes expired snapshots (and their snapshot-log and statistics entries) from
/// `metadata`, whose current snapshot is the one being committed with
/// `current_manifests`. Manifest lists that cannot be read only reduce what
/// is deleted, never what is kept.
RetentionResult ApplyRetention(FileIO& io, TableMetadata* metadata, int64_t now_ms,
                               const std::vector<ManifestFile>& current_manifests);

}  // namespace datashard
