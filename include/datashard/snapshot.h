// An Iceberg snapshot: the state of a table after one commit (spec
// "Snapshots"). Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace datashard {

/// Summary key under which every datashard commit records its unique commit
/// id, so that a writer whose commit outcome is unknown can find out whether
/// it landed (DESIGN.md §4, §8).
inline constexpr const char* kCommitIdSummaryKey = "datashard.commit-id";
/// Retries the commit needed before it published (a string, like every
/// summary value).
inline constexpr const char* kCommitRetriesSummaryKey = "datashard.commit-retries";
/// Running totals over the table's whole history (they survive retention):
/// number of datashard commits, of their retries, and of commits that gave up
/// with CommitConflict (reported by the same process's next commit).
inline constexpr const char* kTotalCommitsSummaryKey = "datashard.total-commits";
inline constexpr const char* kTotalRetriesSummaryKey = "datashard.total-retries";
inline constexpr const char* kTotalConflictsSummaryKey = "datashard.total-conflicts";
/// On tables with an ingest log (DESIGN.md §6a): the log position up to which
/// the snapshot holds the log's records (byte offset, and the LSN of the
/// first record not folded). Every later snapshot carries them on.
inline constexpr const char* kLogFoldedOffsetSummaryKey = "datashard.log.folded-offset";
inline constexpr const char* kLogFoldedLsnSummaryKey = "datashard.log.folded-lsn";

struct Snapshot {
  int64_t snapshot_id = 0;
  std::optional<int64_t> parent_snapshot_id;
  int64_t sequence_number = 0;
  int64_t timestamp_ms = 0;
  std::string manifest_list;  // absolute location of the manifest list
  /// Iceberg summary: "operation" plus metrics such as added-records,
  /// total-records, added-data-files... All values are strings.
  std::map<std::string, std::string> summary;
  std::optional<int> schema_id;

  /// summary["operation"] ("append", "overwrite", ...), empty if absent.
  std::string operation() const;
  /// A numeric summary value, or `fallback` when absent or not a number.
  int64_t SummaryLong(const std::string& key, int64_t fallback = 0) const;

  bool operator==(const Snapshot&) const = default;
};

}  // namespace datashard
