// Maintenance of a table's files: checking that everything its metadata
// references is there and reads back (`datashard verify`), deleting orphan
// files (`gc`), rewriting small files into large ones (`compact`), and
// expiring old snapshots with the files only they reference (`expire`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace datashard {

struct VerifyOptions {
  /// Also decode every page of every data and delete file, not only the
  /// footers (reads every byte of the table).
  bool deep = false;
  /// Called after each file or manifest checked: done, total, what. The
  /// total grows while manifests reveal more files.
  std::function<void(int64_t done, int64_t total, const std::string& what)> progress;
};

/// What Table::Verify found. ok() only when `problems` is empty.
struct VerifyReport {
  int64_t snapshots = 0;       // snapshots in the metadata, all checked
  int64_t manifest_lists = 0;  // distinct manifest lists read
  int64_t manifests = 0;       // distinct manifests read
  int64_t data_files = 0;      // distinct live data files checked
  int64_t delete_files = 0;    // distinct live delete files checked
  int64_t bytes = 0;           // their bytes
  int64_t rows_decoded = 0;    // rows read back by a deep check
  int64_t log_records = 0;     // durable ingest log records not yet folded, all checked
  /// One line per problem, each naming the file or snapshot and what is
  /// wrong; at most kMaxProblems, `problem_count` counts them all.
  std::vector<std::string> problems;
  int64_t problem_count = 0;
  static constexpr size_t kMaxProblems = 1000;

  bool ok() const { return problem_count == 0; }
};

struct GcOptions {
  /// List what would be deleted, delete nothing.
  bool dry_run = false;
};

/// What Table::CollectGarbage found and did.
struct GcReport {
  struct Orphan {
    std::string path;
    uint64_t size = 0;
    int64_t age_ms = 0;  // since it was last modified
  };
  int64_t grace_ms = 0;           // the table's datashard.gc.grace-ms
  int64_t metadata_versions = 0;  // metadata files whose snapshots were followed
  int64_t referenced = 0;         // distinct files some snapshot of them references
  std::vector<Orphan> orphans;    // deleted, or with dry_run to be deleted
  uint64_t bytes = 0;             // their bytes
  int64_t young = 0;              // unreferenced files younger than the grace period, kept
};

struct CompactOptions {
  /// The size compacted files aim at; 0: the table's
  /// write.target-file-size-bytes (512 MiB by default).
  int64_t target_file_size_bytes = 0;
};

/// What Table::Compact did.
struct CompactReport {
  std::optional<int64_t> snapshot_id;  // the replace snapshot; nullopt: nothing to compact
  int64_t files_rewritten = 0;         // data files replaced
  /// Data files it read but left in the table because commits during the
  /// rewrite changed them (their rows in the new files are masked).
  int64_t files_given_back = 0;
  int64_t files_written = 0;
  int64_t rows = 0;          // live rows moved to the new files
  int64_t deleted_rows = 0;  // rows delete files removed, now gone for good
  /// Delete files that applied only to the files rewritten, removed from
  /// the table with them.
  int64_t delete_files_removed = 0;
  int64_t bytes_before = 0;  // of the files replaced
  int64_t bytes_after = 0;   // of the files written
};

struct ExpireOptions {
  /// Expire snapshots older than this many milliseconds before now; nullopt:
  /// the table's history.expire.max-snapshot-age-ms.
  std::optional<int64_t> older_than_ms;
  /// Keep at least the newest N snapshots of the current branch (at least
  /// 1: the current snapshot never expires); nullopt: the table's
  /// history.expire.min-snapshots-to-keep.
  std::optional<int64_t> retain_last;
};

/// What Table::ExpireSnapshots removed. Files are deleted once the commit
/// that expired their snapshots is published, after the table's
/// datashard.expire.delete-grace-ms (at once when it is 0).
struct ExpireReport {
  std::vector<int64_t> expired_snapshot_ids;  // ascending
  int64_t kept_snapshots = 0;                 // snapshots left in the metadata
  int64_t manifest_lists = 0;                 // files retired, by kind
  int64_t manifests = 0;
  int64_t data_files = 0;
  int64_t delete_files = 0;
  int64_t statistics_files = 0;
  int64_t bytes = 0;  // of the retired files whose size is known
  /// The table's datashard.expire.delete-grace-ms: 0 when the files are
  /// gone already, else they are deleted from delete_after_ms (ms since the
  /// epoch) on, by a later commit or expire.
  int64_t grace_ms = 0;
  int64_t delete_after_ms = 0;
};

}  // namespace datashard
