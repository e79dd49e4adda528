// Pruned, filtered, time-travelling scans of a table (DESIGN.md §6): pick a
// snapshot, project columns by field id, prune manifests, data files and
// Parquet row groups with the filter, filter the remaining rows, and stream
// column batches read by a bounded pool of threads. A TableScan is a value
// builder (not thread-safe); each ScanReader is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datashard/expression.h"
#include "datashard/record_batch.h"
#include "datashard/scan_reader.h"
#include "datashard/schema.h"
#include "datashard/snapshot.h"
#include "datashard/table.h"

namespace datashard {

class TableScan {
 public:
  /// A scan of `table`'s current snapshot, every column, no filter.
  explicit TableScan(Table table);

  /// Reads snapshot `snapshot_id` (NotFound from Open/Count when unknown).
  TableScan& UseSnapshot(int64_t snapshot_id);
  /// Reads the last snapshot of the table's history with timestamp_ms <=
  /// `timestamp_ms` (NotFound when there is none).
  TableScan& AsOf(int64_t timestamp_ms);
  /// Output columns by name, in this order; empty = all. Names are those of
  /// the current schema, or with UseSnapshot/AsOf those of the schema the
  /// snapshot was committed with (its schema id, as Java and Trino read
  /// time travel). Files are read by field id, so renamed columns still read.
  TableScan& Select(std::vector<std::string> columns);
  /// Keeps the rows `filter` is true for; bound at Open to the schema
  /// Select's names come from (InvalidArgument naming a missing column or a
  /// bad literal).
  TableScan& Filter(Expression filter);
  /// The text form of DESIGN.md §11 (EXPR).
  TableScan& Filter(std::string_view text);
  /// At most this many rows per batch (default kDefaultBatchRows, 16 Ki).
  /// InvalidArgument if < 1.
  TableScan& BatchSize(int64_t rows);
  /// Files read at once (default: hardware threads); the row groups of a
  /// large file are shared among them. InvalidArgument if < 1.
  TableScan& Threads(int threads);
  /// When true, batches come in manifest-list order of the data files and
  /// file order of their rows (deterministic); else in completion order.
  TableScan& Ordered(bool ordered = true);

  /// The snapshot the scan reads, after refreshing for the current one;
  /// nullopt for a table without snapshots.
  std::optional<Snapshot> ResolveSnapshot();
  /// Starts the scan. Memory is bounded by batch size x threads, not by the
  /// table size. Errors on worker threads are rethrown by Next().
  std::unique_ptr<ScanReader> Open();
  /// Number of rows the scan would return; files the filter is absent for,
  /// or provably true for every row of, count from their record_count (less
  /// the positions their position delete files remove) without being read,
  /// unless equality deletes apply to them. `metrics` (optional) receives
  /// the metrics.
  int64_t Count(ScanMetrics* metrics = nullptr);

 private:
  Table table_;
  std::optional<int64_t> snapshot_id_;
  std::optional<int64_t> as_of_ms_;
  std::vector<std::string> columns_;
  std::optional<Expression> filter_;
  int64_t batch_size_ = kDefaultBatchRows;
  int threads_ = 0;  // 0: hardware threads
  bool ordered_ = false;
};

/// A scan of `table`: `NewScan(table).Filter("id > 5").Open()`.
inline TableScan NewScan(Table table) { return TableScan(std::move(table)); }

}  // namespace datashard
