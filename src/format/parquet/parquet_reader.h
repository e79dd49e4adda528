// Reads Parquet files written by datashard and by other engines (DuckDB,
// parquet-java): every Iceberg primitive type, PLAIN / dictionary / DELTA /
// BYTE_STREAM_SPLIT encodings, data pages v1 and v2, codecs none, snappy,
// gzip, zstd. Reads a batch at a time with bounded memory. Corrupt or
// truncated input throws Corruption naming the file and offset.
// A reader may be used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/file_io.h"
#include "datashard/record_batch.h"
#include "datashard/types.h"
#include "datashard/value.h"

namespace datashard::parquet {

/// A top-level primitive column of the file.
struct FileColumn {
  std::string name;
  std::optional<int> field_id;  // Parquet field_id (Iceberg's column id) if present
  DataType type;                // Iceberg type the column maps to
  bool required = false;
};

/// Statistics of one column chunk, as the file states them.
struct ChunkStatistics {
  std::optional<Value> min;
  std::optional<Value> max;
  std::optional<int64_t> null_count;
  std::optional<int64_t> nan_count;
  int64_t num_values = 0;  // includes nulls
  int64_t compressed_size = 0;
  int64_t uncompressed_size = 0;
};

struct RowGroupInfo {
  int64_t num_rows = 0;
  int64_t file_offset = 0;
  std::vector<ChunkStatistics> columns;  // in FileColumn order
};

/// One data page of a column chunk, as the file's page index states it.
struct PageInfo {
  int64_t first_row = 0;  // within the row group
  int64_t num_rows = 0;
  /// Bounds and null count when the file has a column index for the chunk,
  /// trusted by the rules of ChunkStatistics.
  std::optional<Value> min;
  std::optional<Value> max;
  std::optional<int64_t> null_count;
  bool all_null = false;
};

/// Rows [begin, end) of a row group.
struct RowRange {
  int64_t begin = 0;
  int64_t end = 0;
};

struct ReadOptions {
  /// Indexes into columns() to read, in output order; empty = all.
  std::vector<int> columns;
  /// Row groups to read; empty = all.
  std::vector<int> row_groups;
  /// Per entry of row_groups, in the same order: the rows of that group to
  /// read, sorted and disjoint (the others are skipped, whole pages without
  /// decompressing them); empty = every row of every group.
  std::vector<std::vector<RowRange>> row_ranges;
  /// Rows per batch returned by Next().
  int64_t batch_size = kDefaultBatchRows;
  /// Byte columns (string, binary, fixed, uuid) hold views into the decoded
  /// pages and dictionaries, which they share (ColumnVector::holds_views),
  /// instead of a string per value.
  bool string_views = false;
};

class ParquetReader {
 public:
  /// Reads and validates the footer. Corruption naming the file on bad input.
  static std::unique_ptr<ParquetReader> Open(std::unique_ptr<RandomAccessFile> file);
  ~ParquetReader();

  const std::vector<FileColumn>& columns() const;
  int64_t num_rows() const;
  const std::vector<RowGroupInfo>& row_groups() const;
  const std::string& created_by() const;
  /// The data pages of column `column` in row group `group` by the file's
  /// offset index (with bounds from its column index, if any); empty when
  /// the file has no page index for the chunk. Corruption naming the file
  /// when the index is malformed or contradicts the row group.
  std::vector<PageInfo> PageIndex(int group, int column) const;
  /// The dictionary of column `column` in row group `group` (one entry per
  /// value, typed as the column) when every data page of the chunk is
  /// dictionary-encoded, so that every non-null value of the chunk is in it:
  /// by the chunk's encoding_stats, or without them by its encodings
  /// (PLAIN_DICTIONARY with only level encodings beside it, as parquet-java
  /// decides). nullopt otherwise. Corruption naming the file on bad data.
  std::optional<ColumnVector> ChunkDictionary(int group, int column) const;

  /// Starts a read; the batch cursor is reset.
  void Start(const ReadOptions& options);
  /// Fills `out` (one ColumnVector per selected column) with up to
  /// batch_size rows, reusing the storage of the columns it holds; returns
  /// false when no rows are left.
  bool Next(std::vector<ColumnVector>* out);

  /// The same a column at a time, so that a caller can decode the columns
  /// its filter needs first and skip the rest of a batch it rejects (whole
  /// pages are skipped undecompressed). NextBatch() starts the next batch
  /// and returns its row count, 0 when no rows are left; then each selected
  /// column i is read (into `out`, reusing its storage) or skipped, once.
  /// Columns neither read nor skipped are skipped by the next NextBatch().
  size_t NextBatch();
  void ReadColumn(size_t i, ColumnVector* out);
  void SkipColumn(size_t i);

  /// Data pages decompressed and decoded, and passed over undecompressed
  /// (inside skipped rows), since Start().
  int64_t pages_read() const;
  int64_t pages_skipped() const;
  /// Columns read (since Start()) into storage too small for the batch, so
  /// that it was allocated or grown: a reader refilling the same columns
  /// allocates for the first batch only.
  int64_t columns_allocated() const;

 private:
  ParquetReader();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace datashard::parquet
