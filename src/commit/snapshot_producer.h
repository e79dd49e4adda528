// Builds the next table metadata for one commit on top of a base version
// (DESIGN.md §4, §6): the new snapshot with the next sequence number, its
// manifest list (the commit's new manifests, the parent's manifests with the
// data files the commit removes marked DELETED, merged when due), the
// Iceberg summary with running totals and the commit id, and snapshot
// retention; the metadata log is metadata_commit.h's. Every operation (append, checkpoint, delete,
// update, overwrite) goes through here. Writes only new, uniquely named
// files; publication is the caller's. Thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/table_catalog.h"
#include "commit/metadata_commit.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

struct SnapshotInput {
  int64_t snapshot_id = 0;  // the same over all attempts of a commit
  std::string commit_id;
  std::string commit_uuid;  // names the commit's manifest files
  int attempt = 0;          // names this attempt's manifest list
  int retries = 0;          // races lost before this attempt
  int64_t conflicts = 0;    // earlier CommitConflicts of this process, not yet recorded
  /// Iceberg's snapshot operation: append, overwrite or delete.
  std::string operation = "append";
  /// The commit's own manifests of ADDED entries (data files, position
  /// delete files), written once for all attempts; seq fields set here.
  std::vector<ManifestFile> new_manifests;
  /// Live data files of the base that this commit removes (copy-on-write
  /// rewrites, whole-file deletes), as the base's manifests hold them.
  std::vector<DataFile> removed_data;
  /// Live delete files of the base that this commit removes (compaction
  /// applied them to every data file they apply to).
  std::vector<DataFile> removed_deletes;
  /// Live data files of the base that this commit's position deletes
  /// apply to: they must still be live.
  std::vector<std::string> required_data;
  int64_t added_files = 0;
  int64_t added_records = 0;
  int64_t added_size = 0;
  int64_t added_delete_files = 0;
  int64_t added_position_deletes = 0;
  int64_t added_delete_size = 0;
  int64_t changed_partitions = 0;
  std::map<std::string, std::string> extra_summary;
  int64_t now_ms = 0;
  /// The commit ids of the other appends a group publication puts in this
  /// snapshot (their manifests are in new_manifests, their counts added).
  std::vector<std::string> group_commit_ids;
  /// The table's manifest lists already read or written, or null: the
  /// parent's list is then read again, as are retention's.
  ManifestListMemo* manifest_lists = nullptr;
  /// Takes the files this attempt writes, durable at its Sync(); null:
  /// each is fsynced as it is written.
  SyncGroup* sync = nullptr;
};

/// CommitConflict naming the file when a file of `input.removed_data`,
/// `input.removed_deletes` or `input.required_data` is no longer live in
/// `base` (a concurrent commit removed it).
ProducedCommit ProduceSnapshot(FileIO& io, const TableCatalog& catalog, const TableMetadata& base,
                               const MetadataPointer& base_pointer, const SnapshotInput& input);

}  // namespace datashard
