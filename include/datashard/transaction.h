// A write transaction on a table (DESIGN.md §4, §5): appends collected here
// are published by Commit() as one new snapshot, atomically. Appends rebase
// automatically over concurrent commits; an expected snapshot id turns the
// transaction into an optimistic offline lock. A Transaction is used by one
// thread at a time; many transactions (threads, processes) may commit to one
// table at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/expression.h"
#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/snapshot.h"

namespace datashard {

class Table;

/// `expected_snapshot_id` value meaning "the table must have no snapshot yet".
inline constexpr int64_t kNoSnapshot = -1;

struct TransactionOptions {
  /// Optimistic offline lock (DESIGN.md §5, docs/locking.md): Commit()
  /// throws CommitConflict, without retrying, naming the snapshot that
  /// changed the guarded scope since this one (kNoSnapshot: the table was
  /// empty). Without a narrower scope below, the scope is the whole table:
  /// any newer snapshot conflicts. On a table with an ingest log, records
  /// appended to the log after this snapshot are changes too (the commit
  /// folds the log while appends wait, then checks).
  std::optional<int64_t> expected_snapshot_id;
  /// Row scope (needs expected_snapshot_id): a filter in the expression
  /// language of `datashard scan --where`. Commit() conflicts only when the
  /// rows the filter matches differ between the expected snapshot and the
  /// current table (a row of them added, removed or changed in any column);
  /// other commits since are rebased over, a row-level change of this
  /// transaction being applied again to the current snapshot. A filter on
  /// partition source columns is the partition scope: commits whose files
  /// lie in other partitions are told apart from manifests alone.
  std::string guard_where;
  /// Versionless scope (needs expected_snapshot_id; not with guard_where),
  /// Hibernate's dirty checking: Commit() conflicts only when the values of
  /// the columns this transaction's row-level change sets (an update's
  /// assigned columns; every column for a delete or overwrite), in the rows
  /// its filter matches, differ between the expected snapshot and the
  /// current table. A transaction that only appends changes no existing
  /// row and conflicts with nothing.
  bool guard_changed_columns = false;
  /// Fencing (DESIGN.md §7): lock resource -> the fencing token of the lease
  /// held on it. Commit() refuses with StaleFencingToken, before anything is
  /// visible, when the table's metadata holds a higher token for a resource
  /// (table property datashard.fencing.<resource>), and records each token
  /// in the metadata it publishes, checked again on every retry.
  std::map<std::string, uint64_t> fencing_tokens;
  /// Unique id recorded in the snapshot summary (datashard.commit-id); a
  /// random UUID when empty. Reusing an id makes Commit() refuse with
  /// InvalidArgument while the id is within the table's newest
  /// datashard.commit-id.horizon-commits commits (default 1000) or its
  /// snapshot is kept.
  std::string commit_id;
  /// Extra string pairs for the snapshot summary (keys must not collide
  /// with Iceberg's or datashard's own keys).
  std::map<std::string, std::string> snapshot_properties;
};

class Transaction {
 public:
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  /// Without Commit(), removes the data files this transaction wrote (best
  /// effort, never throws).
  ~Transaction();

  /// Validates `records` (positional, one Value per field of `schema`)
  /// against the table schema and `partition_values`, then writes and fsyncs
  /// them as data files; nothing is visible before Commit(). `schema` must
  /// name table columns with their table types; table columns it lacks are
  /// null. SchemaMismatch / InvalidArgument naming the record index and field
  /// on bad input, before anything is written.
  void AppendData(const std::vector<Record>& records, const Schema& schema,
                  const PartitionValues& partition_values = {});
  /// The same for records given by column name.
  void AppendData(const std::vector<NamedRecord>& records, const Schema& schema,
                  const PartitionValues& partition_values = {});
  /// The same for columns: one ColumnVector per field of `schema`, equal lengths.
  void AppendColumns(const std::vector<ColumnVector>& columns, const Schema& schema,
                     const PartitionValues& partition_values = {});

  /// Row-level changes (DESIGN.md §5). Each applies to the rows of the
  /// transaction's base snapshot that `where` (the expression language of
  /// `datashard scan --where`, or an Expression) matches, writing what it
  /// needs at once, the way table property write.delete.mode (Delete,
  /// Overwrite) or write.update.mode (Update) says: copy-on-write (default:
  /// data files holding a matched row are rewritten without it) or
  /// merge-on-read (a position delete file per such data file). Commit()
  /// then publishes one snapshot (operation delete or overwrite) after
  /// checking what committed since the base: a concurrent commit that
  /// removed or deleted rows of a data file this transaction changed, or,
  /// under serializable isolation (write.delete/update.isolation-level or
  /// write.isolation-level; the default), one that added rows `where` may
  /// match, makes it throw CommitConflict naming that snapshot and file.
  /// On a table with an ingest log, the log is folded into a snapshot first
  /// and the change (and this transaction's later appends) is committed as
  /// a snapshot. One row-level change per transaction, before any append
  /// (appends after it are committed with it); InvalidArgument otherwise,
  /// and for a filter naming unknown columns, before anything is written.
  /// If writing fails the transaction is aborted. Each returns the number
  /// of rows it matched.
  int64_t Delete(const std::string& where);
  int64_t Delete(const Expression& where);
  /// Sets the columns named in `set` to their values in every matched row.
  /// Values must fit the column's type (int widens to long, float to
  /// double); null only for optional columns.
  int64_t Update(const std::map<std::string, Value>& set, const std::string& where);
  int64_t Update(const std::map<std::string, Value>& set, const Expression& where);
  /// Deletes the rows `where` matches and appends `records` in the same
  /// snapshot (operation overwrite); records are checked as by AppendData,
  /// before anything is written.
  int64_t Overwrite(const std::string& where, const std::vector<Record>& records,
                    const Schema& schema, const PartitionValues& partition_values = {});

  /// Publishes the appends as one snapshot (DESIGN.md §4) and returns true.
  /// Throws CommitConflict when the retry budget is spent or the expected
  /// snapshot changed, CommitStateUnknown when an I/O error struck after
  /// publication began and left the outcome or its durability unknown (the
  /// new version may be visible and still vanish on a power loss: never
  /// acknowledged without a directory fsync that succeeded after the link),
  /// IOError for failures before publication (then nothing became visible).
  /// With no appends, only the expected snapshot is checked and no snapshot
  /// is made.
  /// InvalidArgument if called twice.
  bool Commit();
  /// Drops the appends and removes their data files.
  void Abort();

  /// Snapshot the transaction started from (nullopt: the table was empty).
  std::optional<int64_t> base_snapshot_id() const;
  /// The snapshot Commit() published; nullopt before.
  std::optional<Snapshot> committed_snapshot() const;
  /// On a table with an ingest log: the log sequence number of the record
  /// Commit() appended (committed_snapshot() stays nullopt, since the rows
  /// reach a snapshot at the next checkpoint). nullopt otherwise.
  std::optional<int64_t> committed_log_lsn() const;
  /// Commit retries after losing the publication race.
  int retries() const;
  const std::string& commit_id() const;
  /// Rows appended so far.
  int64_t pending_records() const;

 private:
  friend class Table;
  class Impl;
  explicit Transaction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace datashard
