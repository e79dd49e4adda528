// The stream of rows a scan yields and the metrics of what it read and
// skipped (DESIGN.md §6). A ScanReader is used by one thread; metrics() may
// be read while it runs.
#pragma once

#include <cstdint>

#include "datashard/record_batch.h"

namespace datashard {

/// What a scan looked at and what it skipped. "Considered" counts what
/// planning saw; "pruned" the part of it the filter ruled out without
/// reading. Row groups are counted in the data files that were opened.
struct ScanMetrics {
  int64_t manifests_considered = 0;
  int64_t manifests_pruned = 0;
  int64_t data_files_considered = 0;
  int64_t data_files_pruned = 0;
  int64_t row_groups_considered = 0;
  int64_t row_groups_pruned = 0;
  /// Compressed bytes of the column chunks read.
  int64_t bytes_read = 0;
  /// Data pages decompressed and decoded, and data pages passed over without
  /// (their rows ruled out by the file's page index, or by the filter on
  /// the columns read first).
  int64_t pages_read = 0;
  int64_t pages_skipped = 0;
  /// Columns of batches that were decoded into storage allocated (or grown)
  /// for them. A scan recycles the storage of the batches its caller is done
  /// with (passing the same RecordBatch to every Next()), so this stays at a
  /// few per reading thread and column however many batches a scan yields.
  int64_t columns_allocated = 0;
  /// Live delete files (position and equality) in the manifests planned.
  int64_t delete_files = 0;
  /// Rows that delete files removed from what the scan would have returned
  /// (a row group whose rows are all deleted is skipped and counts whole).
  int64_t rows_deleted = 0;
  /// Rows given to the caller (or counted by Count()).
  int64_t rows_returned = 0;
  /// Data files Count() answered from their record_count (and position
  /// deletes) without reading them.
  int64_t files_counted_from_metadata = 0;
};

/// Yields the rows of a scan; metrics() grows while the scan runs. String,
/// binary, fixed and uuid columns of its batches may hold views into pages
/// they were decoded from (ColumnVector::holds_views, read with bytes_at()),
/// which the batch keeps alive.
class ScanReader : public BatchReader {
 public:
  /// The metrics so far; complete once Next() has returned false.
  virtual ScanMetrics metrics() const = 0;
};

}  // namespace datashard
