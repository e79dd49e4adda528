// Iceberg v2 table metadata (spec "Table Metadata"): the
// content of one metadata/v<N>.metadata.json. Value type; thread-compatible.
// The JSON codec is private (src/table/table_metadata_json.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datashard/partition_spec.h"
#include "datashard/schema.h"
#include "datashard/snapshot.h"

namespace datashard {

struct SnapshotLogEntry {
  int64_t timestamp_ms = 0;
  int64_t snapshot_id = 0;
  bool operator==(const SnapshotLogEntry&) const = default;
};

struct MetadataLogEntry {
  int64_t timestamp_ms = 0;
  std::string metadata_file;
  bool operator==(const MetadataLogEntry&) const = default;
};

/// A named branch or tag.
struct SnapshotRef {
  int64_t snapshot_id = 0;
  std::string type = "branch";  // "branch" or "tag"
  std::optional<int> min_snapshots_to_keep;
  std::optional<int64_t> max_snapshot_age_ms;
  std::optional<int64_t> max_ref_age_ms;
  bool operator==(const SnapshotRef&) const = default;
};

struct SortField {
  std::string transform = "identity";
  int source_id = 0;
  std::string direction = "asc";           // "asc" | "desc"
  std::string null_order = "nulls-first";  // "nulls-first" | "nulls-last"
  bool operator==(const SortField&) const = default;
};

struct SortOrder {
  int order_id = 0;  // 0 = unsorted
  std::vector<SortField> fields;
  bool operator==(const SortOrder&) const = default;
};

/// An entry of "statistics" or "partition-statistics" (spec "Table
/// Statistics", "Partition Statistics"): a file another engine computed for
/// one snapshot. datashard does not read the file; it keeps the entry while
/// the snapshot is kept and drops it, deleting the file, when the snapshot
/// expires.
struct StatisticsFileRef {
  int64_t snapshot_id = 0;
  std::string statistics_path;
  std::string json;  // the whole entry as read, written back unchanged
  bool operator==(const StatisticsFileRef&) const = default;
};

/// Table properties datashard reads, with their defaults (Iceberg's names).
namespace table_properties {
/// Commit retries after losing the publication race (Iceberg default 4;
/// datashard retries more because many local writers share one table).
inline constexpr const char* kCommitNumRetries = "commit.retry.num-retries";
inline constexpr int64_t kCommitNumRetriesDefault = 100;
inline constexpr const char* kCommitMinWaitMs = "commit.retry.min-wait-ms";
inline constexpr int64_t kCommitMinWaitMsDefault = 1;
inline constexpr const char* kCommitMaxWaitMs = "commit.retry.max-wait-ms";
inline constexpr int64_t kCommitMaxWaitMsDefault = 200;
/// Give up retrying once this much time passed since the first attempt.
inline constexpr const char* kCommitTotalTimeoutMs = "commit.retry.total-timeout-ms";
inline constexpr int64_t kCommitTotalTimeoutMsDefault = 120000;
/// Serialise publication between writers of one machine with an advisory
/// OFD lock on metadata/commit.lock (liveness only; link() decides).
inline constexpr const char* kCommitLockEnabled = "datashard.commit.lock.enabled";
inline constexpr bool kCommitLockEnabledDefault = true;
/// A commit waits at most this long in all for the commit lock, and never
/// past commit.retry.total-timeout-ms; then it goes on without the lock (a
/// holder that keeps it longer is taken as stuck: stopped, or in hung I/O).
inline constexpr const char* kCommitLockWaitMs = "datashard.commit.lock.wait-ms";
inline constexpr int64_t kCommitLockWaitMsDefault = 10000;
/// Merge manifests once a snapshot would reference at least this many.
inline constexpr const char* kManifestMinMergeCount = "commit.manifest.min-count-to-merge";
inline constexpr int64_t kManifestMinMergeCountDefault = 100;
inline constexpr const char* kManifestTargetSizeBytes = "commit.manifest.target-size-bytes";
inline constexpr int64_t kManifestTargetSizeBytesDefault = 8 << 20;
inline constexpr const char* kManifestMergeEnabled = "commit.manifest-merge.enabled";
inline constexpr bool kManifestMergeEnabledDefault = true;
/// Retention applied at commit time: a snapshot expires when it is older than
/// max-snapshot-age-ms and not among the newest min-snapshots-to-keep.
/// Defaults differ from Iceberg's (1 snapshot, 5 days) so that a table
/// committed to 100,000 times keeps a bounded history: the newest 100.
inline constexpr const char* kMinSnapshotsToKeep = "history.expire.min-snapshots-to-keep";
inline constexpr int64_t kMinSnapshotsToKeepDefault = 100;
inline constexpr const char* kMaxSnapshotAgeMs = "history.expire.max-snapshot-age-ms";
inline constexpr int64_t kMaxSnapshotAgeMsDefault = 0;
/// Length of the metadata log; with delete-after-commit, metadata files that
/// leave the log are deleted (v1.metadata.json is always kept, so that no
/// creator can ever re-initialise the table). Iceberg's default for
/// delete-after-commit is false; datashard's is true to bound disk use.
inline constexpr const char* kMetadataPreviousVersionsMax = "write.metadata.previous-versions-max";
inline constexpr int64_t kMetadataPreviousVersionsMaxDefault = 100;
inline constexpr const char* kMetadataDeleteAfterCommit =
    "write.metadata.delete-after-commit.enabled";
inline constexpr bool kMetadataDeleteAfterCommitDefault = true;
/// Manifest lists, manifests and metadata files that a commit's retention
/// made unreferenced are deleted this long after that commit, so that a scan
/// or a rebasing writer that resolved an expired snapshot just before can
/// still read it; 0 deletes them at once. The lists of files waiting lie in
/// metadata/deferred-deletes/.
inline constexpr const char* kExpireDeleteGraceMs = "datashard.expire.delete-grace-ms";
inline constexpr int64_t kExpireDeleteGraceMsDefault = 60000;
/// A commit is refused when this process's clock reads more than this ahead
/// of the file system's (the modification time of the manifest it just
/// wrote): snapshot timestamps never go back, so one commit from a clock far
/// ahead would stamp every later snapshot and stop retention.
inline constexpr const char* kCommitMaxClockSkewMs = "datashard.commit.max-clock-skew-ms";
inline constexpr int64_t kCommitMaxClockSkewMsDefault = 60000;
/// Commit ids of expired snapshots are remembered until this many newer
/// commits happened, so that a commit id is refused (and an unknown outcome
/// resolved) within the newest N commits however few snapshots are kept
/// (DESIGN.md §4 rule 6). datashard keeps the newest of them in the
/// property below and the older ones in an immutable file the next one
/// names, about 70 bytes per id.
inline constexpr const char* kCommitIdHorizonCommits = "datashard.commit-id.horizon-commits";
inline constexpr int64_t kCommitIdHorizonCommitsDefault = 1000;
/// Written by datashard only: the newest remembered commit ids of expired
/// snapshots (at most 64 once the table has a file below).
inline constexpr const char* kExpiredCommitIds = "datashard.expired-commit-ids";
/// Written by datashard only: the file holding the older remembered ids, so
/// that every commit does not rewrite and parse them with the metadata.
inline constexpr const char* kExpiredCommitIdsFile = "datashard.expired-commit-ids-file";
/// Parquet codec of data files: zstd, snappy, gzip, none.
inline constexpr const char* kParquetCompression = "write.parquet.compression-codec";
inline constexpr const char* kParquetCompressionDefault = "zstd";
/// Column metrics: "truncate(16)" (Iceberg's default) or "full".
inline constexpr const char* kMetricsDefault = "write.metadata.metrics.default";
inline constexpr const char* kMetricsDefaultDefault = "truncate(16)";
/// Appends commit through the table's ingest log (DESIGN.md §6a) instead of
/// one snapshot each; checkpoints fold the log into snapshots.
inline constexpr const char* kIngestLogEnabled = "datashard.ingest-log.enabled";
inline constexpr bool kIngestLogEnabledDefault = false;
/// Size of each pre-zeroed log segment; one append's record must fit in one.
inline constexpr const char* kIngestLogSegmentBytes = "datashard.ingest-log.segment-bytes";
inline constexpr int64_t kIngestLogSegmentBytesDefault = 64 << 20;
/// An append starts a checkpoint (unless one is running) once this many log
/// records are unfolded, or once the table's newest snapshot is this old and
/// records are waiting.
inline constexpr const char* kCheckpointRecords = "datashard.ingest-log.checkpoint-records";
inline constexpr int64_t kCheckpointRecordsDefault = 100000;
inline constexpr const char* kCheckpointIntervalMs = "datashard.ingest-log.checkpoint-interval-ms";
inline constexpr int64_t kCheckpointIntervalMsDefault = 1000;
/// Log segments a checkpoint folded are reused or deleted only once the
/// snapshot that folded them is this old, so that scans that resolved an
/// older snapshot a moment ago can still read its log tail.
/// The longest wait for the ingest log's append lock (held for microseconds
/// by each append): past it an append fails with LockNotAcquired rather than
/// wait forever behind a stopped or hung holder.
inline constexpr const char* kIngestLogLockWaitMs = "datashard.ingest-log.lock-wait-ms";
inline constexpr int64_t kIngestLogLockWaitMsDefault = 10000;
inline constexpr const char* kIngestLogRecycleGraceMs = "datashard.ingest-log.recycle-grace-ms";
inline constexpr int64_t kIngestLogRecycleGraceMsDefault = 60000;
/// `gc` deletes an unreferenced file only once it is this old (3 days, as
/// Iceberg's remove_orphan_files): younger ones may belong to a commit in
/// progress. Must not be below commit.retry.total-timeout-ms.
inline constexpr const char* kGcGraceMs = "datashard.gc.grace-ms";
inline constexpr int64_t kGcGraceMsDefault = 3 * 24 * 3600 * 1000LL;
/// Size `compact` aims its files at (Iceberg's name and default).
inline constexpr const char* kTargetFileSizeBytes = "write.target-file-size-bytes";
inline constexpr int64_t kTargetFileSizeBytesDefault = 512ll << 20;
/// Reads of files outside the table folder that the metadata or manifests
/// name (e.g. files a migration added in place). Off: such a reference is
/// Corruption. Writes, deletes and gc never leave the folder either way.
inline constexpr const char* kReadAllowOutsidePaths = "datashard.read.allow-outside-paths";
inline constexpr bool kReadAllowOutsidePathsDefault = false;
}  // namespace table_properties

struct TableMetadata {
  int format_version = 2;
  std::string table_uuid;
  std::string location;
  int64_t last_sequence_number = 0;
  int64_t last_updated_ms = 0;
  int last_column_id = 0;
  std::vector<Schema> schemas;
  int current_schema_id = 0;
  std::vector<PartitionSpec> partition_specs;
  int default_spec_id = 0;
  int last_partition_id = 999;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> current_snapshot_id;
  SnapshotList snapshots;
  std::vector<SnapshotLogEntry> snapshot_log;
  std::vector<MetadataLogEntry> metadata_log;
  std::vector<SortOrder> sort_orders{SortOrder{}};
  int default_sort_order_id = 0;
  std::map<std::string, SnapshotRef> refs;
  std::vector<StatisticsFileRef> statistics;
  std::vector<StatisticsFileRef> partition_statistics;
  /// Top-level fields datashard does not know (written by newer or other
  /// engines), by key, as JSON text: written back unchanged on every commit.
  std::map<std::string, std::string> extra_fields;

  /// Corruption naming the id when the current schema or spec is missing.
  const Schema& CurrentSchema() const;
  const PartitionSpec& DefaultSpec() const;
  const Schema* SchemaById(int id) const;
  const PartitionSpec* SpecById(int id) const;
  /// nullptr when the table has no snapshot yet.
  const Snapshot* CurrentSnapshot() const;
  const Snapshot* SnapshotById(int64_t id) const;
  /// The current snapshot and its ancestors still in `snapshots`, oldest first.
  std::vector<const Snapshot*> CurrentAncestry() const;

  std::string Property(const std::string& key, const std::string& fallback) const;
  /// InvalidArgument naming the property when the value is not a number/bool.
  int64_t PropertyLong(const std::string& key, int64_t fallback) const;
  bool PropertyBool(const std::string& key, bool fallback) const;

  bool operator==(const TableMetadata&) const = default;
};

}  // namespace datashard
