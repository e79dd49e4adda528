// Iceberg v2 manifests and manifest lists (spec "Manifests", "Manifest
// Lists"): the structs a snapshot is made of and their
// Avro files, field by field with the spec's field ids and metadata keys.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/types.h"
#include "datashard/value.h"
#include "util/bounded_memo.h"

namespace datashard {

enum class FileContent { kData = 0, kPositionDeletes = 1, kEqualityDeletes = 2 };
enum class EntryStatus { kExisting = 0, kAdded = 1, kDeleted = 2 };

/// One partition field as the manifest's r102 partition record needs it.
struct PartitionFieldType {
  int field_id = 0;  // 1000 and up
  std::string name;
  DataType type;  // the transform's result type
};

/// Spec's data_file (r2). Bounds are in the single-value binary serialization.
struct DataFile {
  FileContent content = FileContent::kData;
  std::string file_path;
  std::string file_format = "PARQUET";
  std::vector<Value> partition;  // one per partition field, in spec order
  int64_t record_count = 0;
  int64_t file_size_in_bytes = 0;
  std::map<int, int64_t> column_sizes;
  std::map<int, int64_t> value_counts;
  std::map<int, int64_t> null_value_counts;
  std::map<int, int64_t> nan_value_counts;
  std::map<int, std::string> lower_bounds;
  std::map<int, std::string> upper_bounds;
  std::vector<int64_t> split_offsets;
  std::vector<int> equality_ids;
  std::optional<int> sort_order_id;
  std::optional<std::string> referenced_data_file;
};

/// Spec's manifest_entry. After ReadManifest, inherited values are filled in.
struct ManifestEntry {
  EntryStatus status = EntryStatus::kAdded;
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> sequence_number;  // data sequence number
  std::optional<int64_t> file_sequence_number;
  DataFile data_file;
};

struct PartitionFieldSummary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;

  bool operator==(const PartitionFieldSummary&) const = default;
};

/// Spec's manifest_file: one row of a manifest list.
struct ManifestFile {
  std::string manifest_path;
  int64_t manifest_length = 0;
  int partition_spec_id = 0;
  FileContent content = FileContent::kData;  // kData or deletes (1)
  int64_t sequence_number = 0;
  int64_t min_sequence_number = 0;
  int64_t added_snapshot_id = 0;
  int added_files_count = 0;
  int existing_files_count = 0;
  int deleted_files_count = 0;
  int64_t added_rows_count = 0;
  int64_t existing_rows_count = 0;
  int64_t deleted_rows_count = 0;
  std::vector<PartitionFieldSummary> partitions;

  /// The entries the counts say the manifest holds.
  int64_t entry_count() const {
    return int64_t{added_files_count} + existing_files_count + deleted_files_count;
  }

  bool operator==(const ManifestFile&) const = default;
};

/// Room to reserve for `listed` manifest entries: capped, since the counts
/// come from a file.
inline size_t EntriesToReserve(int64_t listed) {
  return static_cast<size_t>(std::clamp<int64_t>(listed, 0, int64_t{1} << 22));
}

/// What a manifest's Avro header states about the table.
struct ManifestContext {
  std::string schema_json;  // the table schema as Iceberg JSON
  int schema_id = 0;
  std::string partition_spec_json;  // JSON array of the spec's partition fields
  int partition_spec_id = 0;
  std::vector<PartitionFieldType> partition_fields;
  FileContent content = FileContent::kData;
};

/// Writes a manifest with `entries`, fsynced, at the new path `path`
/// (AlreadyExists if taken; the name is durable after the caller's SyncDir).
/// ADDED entries are written with a null file sequence number and a null data
/// sequence number unless `sequence_number` is set (an explicitly older data
/// sequence number), so the manifest list stamps them and the file can be
/// reused when a commit is retried; without a snapshot_id they inherit it
/// too (the list row's added_snapshot_id, `snapshot_id` when written). EXISTING and DELETED entries
/// must carry snapshot_id and both sequence numbers. Invalid entries (partition values not matching
/// `context.partition_fields`, data files in a delete manifest, ...) throw
/// InvalidArgument before anything is written. Written with the deflate codec.
/// Returns its manifest_file row with counts and partition summaries (from
/// ADDED and EXISTING entries); sequence_number and min_sequence_number are
/// left for the caller to set.
/// With `sync`, the file is handed to it (durable at its Sync()) instead of
/// fsynced here; the same for WriteManifestList.
ManifestFile WriteManifest(FileIO& io, const std::string& path, const ManifestContext& context,
                           int64_t snapshot_id, const std::vector<ManifestEntry>& entries,
                           SyncGroup* sync = nullptr);

/// Reads a manifest's entries, applying sequence-number and snapshot-id
/// inheritance from `manifest` (spec "Sequence Number Inheritance"; a list
/// sequence number of 0 means a v1 manifest: missing numbers read as 0).
/// Fields are found by field id, else by name; fields datashard does not
/// know are skipped. Corruption naming the file and entry on damaged input.
std::vector<ManifestEntry> ReadManifest(FileIO& io, const ManifestFile& manifest);

/// Reads the ManifestContext stored in a manifest's header; the partition
/// fields' ids and types come from the Avro partition record, their names
/// from the header's partition-spec JSON where it has them.
ManifestContext ReadManifestContext(FileIO& io, const std::string& path);

/// Writes a snapshot's manifest list, fsynced, at the new path `path`.
void WriteManifestList(FileIO& io, const std::string& path, int64_t snapshot_id,
                       std::optional<int64_t> parent_snapshot_id, int64_t sequence_number,
                       const std::vector<ManifestFile>& manifests, SyncGroup* sync = nullptr);

std::vector<ManifestFile> ReadManifestList(FileIO& io, const std::string& path);

/// Manifest lists by path, as read or as written: a list file never changes
/// once written, and its name is unique.
using ManifestListMemo = BoundedMemo<std::shared_ptr<const std::vector<ManifestFile>>>;

/// ReadManifestList through `memo`; straight from the file when it is null.
std::shared_ptr<const std::vector<ManifestFile>> ReadManifestList(FileIO& io,
                                                                  const std::string& path,
                                                                  ManifestListMemo* memo);

/// Iceberg's single-value binary serialization (spec Appendix D) of a value of
/// `type`, used for bounds and partition summaries.
std::string SerializeSingleValue(const DataType& type, const Value& value);
/// A key equal for two partition tuples exactly when their values are
/// (nulls included), for counting and grouping partitions.
std::string PartitionTupleKey(const std::vector<DataType>& types, const std::vector<Value>& tuple);
/// Inverse of SerializeSingleValue; Corruption if the bytes cannot be `type`.
Value DeserializeSingleValue(const DataType& type, const std::string& bytes);

}  // namespace datashard
