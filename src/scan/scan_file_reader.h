// Reads one planned data file for a scan: opens the Parquet footer, prunes
// row groups by their statistics (and those its position deletes remove
// whole), reads the columns of `read_schema` by field id (through the
// table's name mapping for files without field ids) and keeps the rows that
// no delete file removes and the residual filter accepts. One thread at a
// time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/partition_spec.h"
#include "datashard/record_batch.h"
#include "expr/expression_pruning.h"
#include "format/parquet/parquet_reader.h"
#include "metadata/name_mapping.h"
#include "scan/row_deletes.h"
#include "scan/scan_plan.h"

namespace datashard {

/// Metrics shared by the threads of one scan.
struct ScanCounters {
  std::atomic<int64_t> row_groups_considered{0};
  std::atomic<int64_t> row_groups_pruned{0};
  std::atomic<int64_t> bytes_read{0};
  std::atomic<int64_t> rows_deleted{0};
  std::atomic<int64_t> pages_read{0};
  std::atomic<int64_t> pages_skipped{0};
  std::atomic<int64_t> columns_allocated{0};
};

/// Row groups [first, first + count) of a data file: the part of it one
/// reader reads, so that the row groups of a large file are read in
/// parallel. count < 0: every row group from `first` on.
struct RowGroupSlice {
  int first = 0;
  int count = -1;
};

/// The column storage a reader refills, handed from one reader of a thread
/// to the next so that a scan allocates it once per thread, not per file.
struct ReaderStorage {
  std::vector<ColumnVector> read;   // the file columns decoded
  std::vector<ColumnVector> probe;  // the columns the filter reads first
  std::vector<ColumnVector> count;  // the batches CountRows() selects from
};

class ScanFileReader {
 public:
  /// The number of row groups of the Parquet data file `file` (its footer is
  /// read); 1 for a file of another format, which a reader then refuses.
  static int CountRowGroups(FileIO& io, const PlannedFile& file);

  /// `read_schema`: the table fields to read (output columns plus those the
  /// filter and equality deletes need). `filter`: bound, negations pushed
  /// down; nullopt = keep every row. `spec`: the file's partition spec,
  /// nullptr if unknown. `deletes`: the delete files that apply to the file,
  /// read through `loader` (which may be null when `deletes` is empty).
  /// `name_mapping`: the table's, nullptr if none; it must outlive the reader.
  /// `slice`: the row groups to read (the others are neither read nor
  /// counted in the metrics).
  ScanFileReader(FileIO& io, const PlannedFile& file, const PartitionSpec* spec,
                 const Schema& read_schema, std::optional<Expression> filter, int64_t batch_size,
                 ScanCounters* counters, DeleteFileList deletes = {},
                 DeleteLoader* loader = nullptr, const NameMapping* name_mapping = nullptr,
                 RowGroupSlice slice = {});

  /// Fills `batch` (schema `read_schema`) with the next kept rows, at most
  /// batch_size of them; false at the end of the file.
  bool Next(RecordBatch* batch);
  /// The number of rows Next() would yield from here on, without gathering
  /// them into batches.
  int64_t CountRows();
  /// Exchanges the column storage the reader refills with `storage`, so that
  /// the readers of one thread pass it on instead of allocating anew.
  void SwapStorage(ReaderStorage* storage) {
    std::swap(read_, storage->read);
    std::swap(probe_.columns, storage->probe);
    std::swap(count_.columns, storage->count);
  }

 private:
  // Where output column c comes from: a selected file column or a constant.
  struct Source {
    int read_index = -1;
    Value constant;
  };

  // A run of rows the reader returns in order: rows [start, start + count)
  // of the file.
  struct RowRange {
    int64_t start = 0;
    int64_t count = 0;
  };

  void Open();
  // What the chunk statistics of row group `rg` say of the read columns
  // (`file_index`: the file column of each, -1 if absent).
  DataStats GroupStats(const parquet::RowGroupInfo& rg, const std::vector<int>& file_index) const;
  // Adds the dictionary of each column of `field_ids` in row group `group`
  // whose every value is in its dictionary to `stats`; false if none is.
  bool AddDictionaries(int group, const std::vector<int>& field_ids,
                       const std::vector<int>& file_index, DataStats* stats);
  // The rows of row group `group` on pages the filter may match, by the page
  // index of the file columns it names (all rows when they have none).
  std::vector<parquet::RowRange> PageRows(int group, const DataStats& group_stats,
                                          const std::vector<int>& file_index);
  // Adds the pages read and skipped and the columns allocated since the
  // last call to the counters.
  void ReportReads();
  bool NextUnfiltered(RecordBatch* batch);
  // Moves (widened, or made of the constant) column c of read_schema_ for a
  // batch of n rows into `out`.
  void TakeColumn(size_t c, size_t n, ColumnVector* out);
  // Next() when filter_columns_ is set: decodes those first and skips the
  // rest of a batch none of whose rows match.
  bool NextFilterFirst(RecordBatch* batch);
  // Marks the rows of `batch` to keep in selection_ (filter and deletes);
  // returns how many.
  size_t SelectRows(const RecordBatch& batch);
  // File positions of the next `n` rows read, into row_positions_.
  void TakePositions(size_t n);

  FileIO& io_;
  const PlannedFile& file_;
  const PartitionSpec* spec_;
  const Schema& read_schema_;
  std::optional<Expression> filter_;
  int64_t batch_size_;
  ScanCounters* counters_;
  DeleteFileList deletes_;
  DeleteLoader* loader_;
  const NameMapping* name_mapping_;
  RowGroupSlice slice_;
  std::unique_ptr<RowDeleteFilter> row_deletes_;
  std::vector<RowRange> ranges_;  // of the row groups read, in order
  size_t range_ = 0;              // position cursor: ranges_[range_] ...
  int64_t range_offset_ = 0;      // ... its row range_offset_
  std::vector<int64_t> row_positions_;
  std::unique_ptr<parquet::ParquetReader> reader_;
  int64_t pages_read_ = 0;  // reported to counters_ so far
  int64_t pages_skipped_ = 0;
  int64_t columns_allocated_ = 0;
  std::vector<ColumnVector> read_;  // the file columns of the last batch read
  // Columns of read_schema_ the filter names, in order, when they are read
  // ahead of the others (empty: every column is read); probe_ holds them.
  std::vector<size_t> filter_columns_;
  RecordBatch probe_;
  RecordBatch count_;  // CountRows()'s batches
  std::vector<Source> sources_;
  bool opened_ = false;
  bool reads_columns_ = false;
  int64_t remaining_rows_ = 0;  // rows left when no file column is read
  std::vector<uint8_t> selection_;
};

/// Keeps the entries of `column` whose `selection` byte is 1 (`kept` of
/// them), in order, in place.
void CompactColumn(const std::vector<uint8_t>& selection, size_t kept, ColumnVector* column);

}  // namespace datashard
