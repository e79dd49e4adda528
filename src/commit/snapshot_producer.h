// Builds the next table metadata for an append on top of a base version
// (DESIGN.md §4, §6): the new snapshot with the next sequence number, its
// manifest list (the new manifest plus the parent's manifests, merged when
// due), the Iceberg summary with running totals and the commit id, snapshot
// retention and the capped metadata log. Writes only new, uniquely named
// files; publication is the caller's. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/file_catalog.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

struct AppendSnapshotInput {
  int64_t snapshot_id = 0;  // the same over all attempts of a commit
  std::string commit_id;
  std::string commit_uuid;    // names the commit's manifest files
  int attempt = 0;            // names this attempt's manifest list
  int retries = 0;            // races lost before this attempt
  int64_t conflicts = 0;      // earlier CommitConflicts of this process, not yet recorded
  ManifestFile new_manifest;  // the commit's ADDED entries; seq fields set here
  int64_t added_files = 0;
  int64_t added_records = 0;
  int64_t added_size = 0;
  int64_t changed_partitions = 0;
  std::map<std::string, std::string> extra_summary;
  int64_t now_ms = 0;
};

struct ProducedCommit {
  TableMetadata next;
  /// Files this attempt wrote (manifest list, merged manifests): remove them
  /// if the attempt does not publish.
  std::vector<std::string> attempt_files;
  /// Files no kept snapshot references once `next` is published.
  std::vector<std::string> obsolete_files;
  /// Metadata versions that left the metadata log (delete-after-commit).
  std::vector<int64_t> obsolete_versions;
  bool new_manifest_merged = false;
};

ProducedCommit ProduceAppend(FileIO& io, const FileCatalog& catalog, const TableMetadata& base,
                             int64_t base_version, const AppendSnapshotInput& input);

}  // namespace datashard
