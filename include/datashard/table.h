// An Iceberg v2 table on a plain filesystem (DESIGN.md §3-§6), shared by many
// processes: create, open, append through transactions, read snapshots.
// Table is a cheap handle: copies share one state. All methods are safe to
// call from many threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/maintenance.h"
#include "datashard/partition_spec.h"
#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/schema_update.h"
#include "datashard/snapshot.h"
#include "datashard/spec_update.h"
#include "datashard/table_metadata.h"
#include "datashard/transaction.h"

namespace datashard {

struct TableOptions {
  /// Where all I/O goes; nullptr means DefaultFileIO().
  std::shared_ptr<FileIO> io;
};

/// Counters for monitoring conflict rates (DESIGN.md §5) and table facts.
struct TableStats {
  // Commits through this Table object (all its copies) in this process.
  int64_t commits = 0;           // successful commits
  int64_t retries = 0;           // publication races lost and retried
  int64_t conflicts = 0;         // CommitConflict thrown to the caller
  int64_t unknown_outcomes = 0;  // CommitStateUnknown thrown to the caller
  double commit_seconds = 0;     // time spent inside Commit()
  // The whole table, from the current metadata.
  std::optional<int64_t> current_snapshot_id;
  int64_t metadata_version = 0;  // N of metadata/v<N>.metadata.json
  int64_t snapshots = 0;         // snapshots kept in the metadata
  int64_t data_files = 0;        // total-data-files of the current snapshot
  int64_t records = 0;           // total-records
  int64_t bytes = 0;             // total-files-size
  // Across all processes and the whole history (running totals recorded in
  // snapshot summaries by datashard writers).
  int64_t table_commits = 0;
  int64_t table_retries = 0;
  int64_t table_conflicts = 0;
  // With an ingest log: appends it has taken (durable records, ever), and
  // the records and rows not yet folded into the current snapshot (a scan
  // of the current state returns records + log_rows rows).
  int64_t log_appends = 0;
  int64_t log_records = 0;
  int64_t log_rows = 0;
};

/// What Table::Checkpoint() folded.
struct CheckpointResult {
  int64_t records = 0;                 // ingest-log records (appends) folded
  int64_t rows = 0;                    // rows they held
  int64_t data_files = 0;              // Parquet files written: one per partition
  std::optional<int64_t> snapshot_id;  // the snapshot holding them; nullopt: nothing to fold
};

class TableState;

class Table {
 public:
  /// The table folder opened (absolute); for a table opened by its metadata
  /// file, the path of that file.
  const std::string& location() const;
  /// The metadata as last loaded or refreshed.
  TableMetadata metadata() const;
  Schema schema() const;
  PartitionSpec spec() const;
  /// N of the metadata/v<N>.metadata.json last loaded; for a table opened by
  /// its metadata file, the number its name carries (N of v<N>, NNNNN of
  /// <NNNNN>-<uuid>), 0 when it carries none.
  int64_t metadata_version() const;

  /// Loads the newest metadata version (hint, then probing forward). A table
  /// opened by its metadata file is pinned to it: Refresh reads nothing.
  void Refresh();
  /// Refreshes, then returns the current snapshot (nullopt for an empty table).
  std::optional<Snapshot> CurrentSnapshot();
  /// The snapshot with this id in the loaded metadata, or nullopt.
  std::optional<Snapshot> SnapshotById(int64_t snapshot_id) const;
  /// Snapshots still in the loaded metadata, oldest first.
  std::vector<Snapshot> History() const;

  /// Starts a transaction based on the current snapshot (refreshing first).
  /// NotSupported for a table opened by its metadata file (read-only), and
  /// IOError for a folder that cannot be written here, before any file is
  /// written.
  Transaction NewTransaction(TransactionOptions options = {});
  /// Appends `records` in one transaction and commits it; returns true.
  /// Same validation and errors as Transaction::AppendData and Commit.
  bool AppendRecords(const std::vector<Record>& records, const Schema& schema,
                     const PartitionValues& partition_values = {});
  bool AppendRecords(const std::vector<NamedRecord>& records, const Schema& schema,
                     const PartitionValues& partition_values = {});

  /// Reads every row of a snapshot (the current one when nullopt), in the
  /// table's current schema, `columns` selecting and ordering columns by name
  /// (all when empty). NotFound naming the id for an unknown snapshot. The
  /// batches hold at most `batch_size` rows.
  std::unique_ptr<BatchReader> ScanBatches(std::optional<int64_t> snapshot_id = std::nullopt,
                                           const std::vector<std::string>& columns = {},
                                           int64_t batch_size = kDefaultBatchRows);
  /// All rows of a snapshot at once (small tables, tests).
  std::vector<Record> ScanAll(std::optional<int64_t> snapshot_id = std::nullopt);

  /// Counters and table facts; refreshes first.
  TableStats Stats();

  /// The table's FileIO: confined to the table folder (docs/reading.md).
  FileIO& io() const;

  /// Folds every durable record of the table's ingest log (DESIGN.md §6a)
  /// into one snapshot, one Parquet file per partition, so that other
  /// engines see them. Idempotent: the snapshot records how far the log is
  /// folded, and a checkpoint that finds nothing new commits nothing. Waits
  /// for a checkpoint another process is running. InvalidArgument on a table
  /// without an ingest log.
  CheckpointResult Checkpoint();

  /// Checks, after a refresh, that every file the metadata references (all
  /// snapshots) exists with its recorded size and row count and parses,
  /// that manifests agree with their manifest lists, that sequence numbers
  /// and snapshot summaries add up, and that the ingest log's durable tail
  /// checks out. Problems are reported, not thrown. Read-only.
  VerifyReport Verify(const VerifyOptions& options = {});

  /// Deletes orphan files: those under data/ and metadata/ that no snapshot
  /// of any metadata version present references, once older than the
  /// table's datashard.gc.grace-ms (3 days by default); never a younger
  /// file, a link, or anything outside those folders. With dry_run, only
  /// lists them. InvalidArgument for a table whose metadata names another
  /// location (moved or copied) or a grace period below the commit timeout.
  GcReport CollectGarbage(const GcOptions& options = {});
  /// Rewrites small data files (below three quarters of the target size)
  /// and files that delete files apply to, partition by partition, into
  /// files of about the target size with the deleted rows gone, as one
  /// snapshot of operation replace: an ordinary optimistic commit that
  /// rebases over concurrent appends and throws CommitConflict when a
  /// concurrent commit removed or deleted rows of a file it rewrote. A
  /// partition is rewritten when it has two such files, or one with
  /// deletes. Readers see the same rows before and after.
  CompactReport Compact(const CompactOptions& options = {});

  /// Commits the changes of `update` as a new current schema (Iceberg v2
  /// schema evolution by field id, see schema_update.h) in one metadata
  /// commit through the optimistic commit loop; returns the new current
  /// schema. Files written before read under it by field id: added columns
  /// read as null, widened ones converted, renamed ones by their id. On a
  /// table with an ingest log the log is folded first, appends waiting.
  /// InvalidArgument naming the column and the rule for an unsafe change,
  /// before anything is written; CommitConflict when the schema changed
  /// concurrently since the changes were checked.
  Schema UpdateSchema(const SchemaUpdate& update);
  /// Commits the changes of `update` as a new default partition spec
  /// (Iceberg v2 partition evolution, see spec_update.h) in one metadata
  /// commit; returns it. Appends from then on use it; files written before
  /// keep their spec and are read and pruned by it, and a row-level change
  /// or compaction rewrites their rows under the new one. On a table with an
  /// ingest log the log is folded first, appends waiting. InvalidArgument
  /// naming the field and the rule for a bad change, before anything is
  /// written; CommitConflict when the schema or spec changed concurrently.
  PartitionSpec UpdateSpec(const PartitionSpecUpdate& update);
  /// Sets (and, for `remove`, unsets) table properties in one metadata
  /// commit. InvalidArgument for a value datashard cannot read, or for
  /// datashard.ingest-log.enabled and .segment-bytes (fixed at create),
  /// before anything is written.
  void SetProperties(const std::map<std::string, std::string>& set,
                     const std::vector<std::string>& remove = {});
  /// Expires snapshots of the current branch older than the cutoff except
  /// the newest `retain_last` (never the current one, never one a ref
  /// names) in one metadata commit, then retires the files only they
  /// referenced: manifest lists, manifests, and the data and delete files
  /// that row-level changes and compaction removed, once no kept snapshot
  /// references them. Files are deleted only after the commit published,
  /// after datashard.expire.delete-grace-ms (readers that resolved an
  /// expired snapshot just before may still read them). Time travel to an
  /// expired snapshot then throws NotFound.
  ExpireReport ExpireSnapshots(const ExpireOptions& options = {});

 private:
  friend Table CreateTable(const std::string&, const Schema&, const PartitionSpec&,
                           const std::map<std::string, std::string>&, TableOptions);
  friend Table OpenTable(const std::string&, TableOptions);
  friend Table MakeTable(std::shared_ptr<TableState> state);
  friend class Transaction;
  friend class TableScan;
  const std::shared_ptr<TableState>& state() const;
  class Impl;
  explicit Table(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

/// Creates the table at folder `path` (DESIGN.md §4): exactly one of several
/// concurrent creators writes v1.metadata.json; the others, and a create of an
/// existing table, open it when schema and partition spec match and throw
/// AlreadyExists naming the difference otherwise. NotSupported, naming the
/// SQL catalog as the alternative, when the filesystem lacks atomic
/// put-if-absent (link() with EEXIST). InvalidArgument for a bad schema,
/// spec or property, or a `path` naming a metadata file, before anything is
/// written; AlreadyExists for a folder holding a catalog's metadata files;
/// CommitStateUnknown when publishing v1 failed and left unknown whether v1
/// exists durably (open the table to look).
Table CreateTable(const std::string& path, const Schema& schema,
                  const PartitionSpec& spec = PartitionSpec(),
                  const std::map<std::string, std::string>& properties = {},
                  TableOptions options = {});

/// Opens the table at folder `path`, finding the newest metadata from the
/// version hint and by probing forward. NotFound if there is no table;
/// NotSupported as for CreateTable.
///
/// `path` may also name one metadata file (*.metadata.json, gzip-compressed
/// *.gz.metadata.json or *.metadata.json.gz), as catalogs write them
/// (<NNNNN>-<uuid>.metadata.json) and keep the pointer to the current one in
/// the catalog: the table is pinned to that file (its current snapshot, time
/// travel to its snapshots) and read-only: NewTransaction and every append
/// throw NotSupported naming the file. A folder without v<N>.metadata.json
/// whose metadata folder holds such files opens pinned to the one with the
/// highest sequence number: a guess the catalog would answer better (a failed
/// commit can leave a newer orphan); NotFound naming the files, asking for
/// the file's path, when several share the highest number.
Table OpenTable(const std::string& path, TableOptions options = {});

}  // namespace datashard
