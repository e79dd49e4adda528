// Private state of a Transaction: its base metadata, the data files it wrote
// and the commit loop of DESIGN.md §4. Used by one thread at a time.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commit/append_input.h"
#include "commit/commit_ids.h"
#include "commit/conflict_check.h"
#include "commit/group_publication.h"
#include "commit/guard_check.h"
#include "commit/metadata_commit.h"
#include "commit/row_changes.h"
#include "commit/snapshot_producer.h"
#include "datashard/errors.h"
#include "datashard/table.h"
#include "datashard/transaction.h"
#include "log/ingest_log.h"
#include "metadata/manifest.h"
#include "table/table_state.h"

namespace datashard {

class Transaction::Impl {
 public:
  Impl(std::shared_ptr<TableState> state, MetadataRef base, MetadataPointer base_pointer,
       TransactionOptions options);

  /// Writes the validated rows of `input` as data files of this transaction
  /// or, on a table with an ingest log, keeps them for the log record.
  void Append(AppendInput& input);
  /// Writes `groups` as data files of this transaction.
  void WriteGroups(std::vector<PartitionGroup> groups);
  /// A row-level change (Transaction::Delete, Update, Overwrite).
  int64_t ChangeRows(const Expression& where, bool update,
                     const std::map<std::string, Value>& assignments);
  /// Table::Compact(): rewrites the files PlanCompaction picks and commits.
  CompactReport Compact(const CompactOptions& options);
  bool Commit();
  /// CommitConflict unless what this transaction wrote with the base's
  /// schema and spec still fits `current` (table_evolution.cc).
  void CheckSchemaAndSpec(const TableMetadata& current) const;
  /// Commits `change` as a metadata-only commit. On a table with an ingest
  /// log, the log is folded first while appends wait (DESIGN.md §6a), so
  /// that the change orders after every acknowledged append.
  void CommitMetadataOnly(MetadataChange change);
  /// Removes the files this transaction wrote; idempotent, never throws.
  void Abort() noexcept;

  std::shared_ptr<TableState> state;
  MetadataRef base;  // shared with the table's cache: never copied
  MetadataPointer base_pointer;
  TransactionOptions options;
  std::string commit_id;
  std::vector<DataFile> files;
  std::set<std::string> partitions;
  int64_t records = 0;           // rows of `files` (and of log_groups)
  int64_t appended_records = 0;  // rows the caller appended
  // A row-level change: data files of the base it removes, position delete
  // files it wrote, and what concurrent commits must not have done.
  bool changed_rows = false;
  // The change was made on a table with an ingest log: Commit() folds the
  // log again and publishes while appends wait, so that the change orders
  // after every acknowledged append.
  bool fold_log_at_commit = false;
  bool compaction = false;  // the operation is replace
  // A compaction's rows by the data file they were read from: runs of rows
  // of its new files, for giving that file back (GiveBackChangedInputs).
  struct CompactedRows {
    size_t output = 0;  // index into `files`
    int64_t first = 0;  // row position in that file
    int64_t rows = 0;
  };
  std::map<std::string, std::vector<CompactedRows>> compacted_from;
  int64_t given_back_files = 0;
  int give_back_rounds = 0;
  // A metadata-only commit (schema, properties, expiry): applied to the
  // latest metadata on each attempt instead of producing a snapshot.
  MetadataChange metadata_change;
  std::vector<DataFile> removed;
  std::vector<DataFile> removed_deletes;  // delete files a compaction applied for good
  std::vector<PlannedFile> delete_files;
  std::vector<std::string> required;  // data files the delete files apply to
  int64_t position_deletes = 0;
  std::optional<ConflictScope> scope;
  // The row-level change as requested, to apply it again on a newer
  // snapshot (RebaseChange), and the files it wrote.
  RowChangeRequest change_request;
  IsolationLevel change_isolation = IsolationLevel::kSerializable;
  std::set<std::string> change_outputs;
  // TransactionOptions::guard_where, bound to the base schema.
  std::optional<Expression> guard_filter;
  std::vector<std::string> own_files;  // data files and the commit's manifest
  // When this transaction began writing files: gc may take them once they
  // are older than its grace period, so an older transaction cannot commit.
  std::optional<int64_t> first_write_ms;
  // The files this transaction writes, made durable together before they
  // are published or handed to a group publication's holder.
  std::unique_ptr<SyncGroup> sync_group;
  bool done = false;
  std::optional<Snapshot> committed;
  int retries = 0;

  // Ingest log (DESIGN.md §6a). Appends of a log-mode table wait here for
  // Commit() to write them as one log record.
  bool log_mode = false;
  std::vector<PartitionGroup> log_groups;
  std::optional<int64_t> log_lsn;  // the record Commit() appended
  // A checkpoint's transaction: it folds the log from `from` to `to`, and
  // only while the table's snapshot still folds up to `from`.
  struct Fold {
    LogPosition from;
    LogPosition to;
  };
  std::optional<Fold> fold;

 private:
  bool CommitToLog(IngestLog& log);
  // A compaction whose inputs commits since its base removed, rewrote or
  // gave deletes keeps them in the table instead of failing: their rows in
  // the new files are masked by position deletes, written with a delete
  // manifest added to `input`. CommitConflict when no input is left.
  void GiveBackChangedInputs(const TableMetadata& current, SnapshotInput& input);
  // Applies change_request to the base snapshot (ChangeRows after its checks).
  int64_t ApplyChange();
  // Drops what the row-level change wrote and applies it again on `current`,
  // which a guard check found unchanged in the guarded scope.
  void RebaseChange(MetadataRef current, MetadataPointer pointer);
  // The optimistic offline lock of options.expected_snapshot_id.
  GuardCheck MakeGuard() const;
  // Whether the guard is narrower than the table (then commits since the
  // base may be rebased over, a row-level change applied again).
  bool GuardNarrowed() const;
  // After an append to the log: starts a checkpoint when the log holds
  // enough unfolded records or the newest snapshot is old enough, unless
  // another process is checkpointing. Never throws: the append committed.
  void MaybeCheckpoint(const LogRecord& appended) noexcept;

 public:
  /// Table::Checkpoint(); with wait=false, returns nothing folded at once
  /// when another process holds the checkpoint lock.
  static CheckpointResult Checkpoint(const std::shared_ptr<TableState>& state, bool wait);

 private:
  static std::optional<int64_t> CurrentId(const TableMetadata& m);
  // A snapshot id for messages; "none" for no snapshot.
  static std::string SnapshotText(std::optional<int64_t> id);
  // Iceberg's operation name for what this transaction changes.
  std::string Operation() const;
  // sync_group, made before the transaction's first file.
  SyncGroup& Files();
  // The data and delete manifests of this transaction's new files.
  std::vector<ManifestFile> WriteNewManifests(int64_t snapshot_id, const std::string& commit_uuid);
  // Group publication (commit/group_publication.h) of a plain append.
  enum class GroupWait {
    kPublished,  // a holder published it
    kUnknown,    // a holder took it and ended without telling the outcome
    kHolder,     // `*lock` holds the commit lock: publish it (and others)
    kAlone,      // commit as without a group (the lock wait ran out)
  };
  // Called when the commit lock was found taken: leaves `own` for the
  // holder and waits until it is published or the lock is free.
  GroupWait WaitInGroup(const PendingAppend& own,
                        std::chrono::steady_clock::time_point lock_deadline,
                        std::unique_ptr<FileLock>* lock);
  // Under the commit lock: the pending appends that fit `current`.
  AppendGroup ClaimGroup(const TableMetadata& current, CommitFinder& used, int64_t now_ms);
  // `input` with the members of `group` added.
  SnapshotInput WithGroup(const SnapshotInput& input, const AppendGroup& group) const;
  // Commit() of an append a holder published.
  bool FinishPublishedByGroup(double seconds);
  // Counts an unknown outcome and rethrows it naming the commit id.
  // Tells a catalog whether the current metadata carries this commit, after
  // a swap whose outcome was lost with the connection.
  CommitProbe CarriesCommit() const;
  [[noreturn]] void ReportUnknown(const CommitStateUnknown& e, double seconds);
};

}  // namespace datashard
