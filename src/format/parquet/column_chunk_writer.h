// Encodes one top-level column of a Parquet file: definition levels, values
// as RLE_DICTIONARY or PLAIN, data pages v1, page compression, chunk
// statistics, the chunk's page index (offsets and bounds of every data page)
// and the file-wide Iceberg metrics. Pages of
// the current row group are kept (compressed) in memory until Flush writes
// the chunk. Each chunk starts with a dictionary and keeps it only if its
// first page is smaller with it than PLAIN (parquet-java's rule), so columns
// of mostly distinct values are PLAIN from the start; past its size limit the
// dictionary is closed and the rest of the chunk is PLAIN. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/file_io.h"
#include "datashard/schema.h"
#include "format/parquet/dictionary_builder.h"
#include "format/parquet/parquet_thrift.h"
#include "format/parquet/parquet_writer.h"
#include "format/parquet/rle_hybrid.h"

namespace datashard::parquet {

/// Byte values longer than this leave a chunk without page bounds, which
/// would otherwise repeat them in the footer area once or twice per page.
constexpr size_t kMaxIndexedValueBytes = 64;

/// The page index of one written chunk: page offsets always; page bounds
/// unless a page's bounds cannot be stated (a float page of only NaN, a byte
/// value longer than kMaxIndexedValueBytes).
struct ChunkPageIndex {
  OffsetIndex offsets;
  std::optional<ColumnIndex> bounds;
};

class ColumnChunkWriter {
 public:
  ColumnChunkWriter(const Field& field, const WriterOptions& options);

  /// Encodes rows [begin, end) of `column` (already validated by the caller).
  void Append(const ColumnVector& column, size_t begin, size_t end);
  /// Bytes this column holds for the current row group (encoded pages plus
  /// an estimate of the open page and the dictionary).
  int64_t BufferedSize() const;
  /// Writes the chunk of the current row group at `offset` of `file` (which
  /// must be the file's current size) and returns its metadata, its page
  /// index into `index`; resets the chunk state for the next row group.
  ColumnChunk Flush(WritableFile* file, int64_t offset, ChunkPageIndex* index);
  /// Metrics over every row written so far.
  ColumnMetrics Metrics() const;

 private:
  enum class Storage { kBool, kInt32, kInt64, kFloat, kDouble, kDecimal, kBytes };

  // Smallest and largest non-null, non-NaN value of a page or chunk, in the
  // column's storage domain (the member of its storage).
  struct Bounds {
    bool has = false;
    int64_t min_i = 0, max_i = 0;  // bool, int32, int64
    double min_f = 0, max_f = 0;   // float, double
    Int128 min_d = 0, max_d = 0;   // decimal
    std::string min_b, max_b;      // bytes
  };

  // Append() of rows that fit in the open page.
  void AppendToPage(const ColumnVector& column, size_t begin, size_t end);
  template <typename F>
  void ForEachPresent(const ColumnVector& column, size_t begin, size_t end, F&& f);
  template <typename T>
  void UpdateMinMax(T v, T* min, T* max);
  void UpdateBytes(std::string_view v);
  // Widens `into` by `b`.
  void Merge(const Bounds& b, Bounds* into) const;
  std::optional<Value> MinOf(const Bounds& b) const;
  std::optional<Value> MaxOf(const Bounds& b) const;
  // Adds the page just appended to pages_ at `offset` to the page index.
  void IndexPage(size_t offset);
  // How the bounds of the chunk's pages that are not all null are ordered.
  BoundaryOrder BoundaryOrderOf() const;
  template <typename T>
  bool AppendPlainRun(const std::vector<T>& values, const ColumnVector& column, size_t begin,
                      size_t end);
  void PutFloating(double v, uint64_t bits, int width);
  void PutBits(uint64_t bits, int width);
  void PutBytes(std::string_view v);
  void MaybeFallBack();
  void DecideDictionary();
  int64_t OpenPageSize() const;
  void FlushPage();
  void AppendPage(PageType type, const std::string& body, int32_t num_values, Encoding encoding,
                  std::string* out);
  void StartChunk();

  Field field_;
  WriterOptions options_;
  SchemaElement leaf_;
  PhysicalType physical_;
  CompressionCodec codec_;
  Storage storage_;
  bool optional_;
  int fixed_length_ = 0;

  // Open page.
  RleEncoder def_levels_{1};
  int32_t page_values_ = 0;
  std::vector<uint32_t> page_indices_;
  std::string page_plain_;
  std::vector<uint8_t> page_bools_;

  // Dictionary of the current chunk.
  bool dictionary_mode_ = false;
  bool dictionary_decided_ = false;  // the first page kept or dropped it
  int64_t page_plain_size_ = 0;      // the open page's values as PLAIN (dictionary mode)
  DictionaryBuilder dict_;

  // Encoded pages of the current chunk.
  std::string pages_;
  int64_t chunk_uncompressed_ = 0;
  int64_t chunk_values_ = 0;
  int32_t dictionary_data_pages_ = 0;  // data pages of dictionary indices
  int32_t plain_data_pages_ = 0;

  // Statistics of the open page and of the current chunk.
  int64_t page_nulls_ = 0;
  Bounds page_bounds_;
  int64_t chunk_nulls_ = 0;
  int64_t chunk_nans_ = 0;
  Bounds chunk_bounds_;

  // Page index of the current chunk; offsets relative to pages_.
  OffsetIndex page_offsets_;
  ColumnIndex page_bounds_index_;
  std::vector<Value> page_mins_, page_maxes_;  // of the pages that are not all null
  bool page_bounds_known_ = true;

  // File-wide metrics.
  ColumnMetrics metrics_;
};

}  // namespace datashard::parquet
