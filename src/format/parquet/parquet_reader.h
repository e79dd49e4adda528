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

struct ReadOptions {
  /// Indexes into columns() to read, in output order; empty = all.
  std::vector<int> columns;
  /// Row groups to read; empty = all.
  std::vector<int> row_groups;
  /// Rows per batch returned by Next().
  int64_t batch_size = 64 * 1024;
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

 private:
  ParquetReader();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace datashard::parquet
