// Writes one Parquet file from column batches of an Iceberg schema: field ids
// in the file schema, Iceberg's physical/logical type mapping, PLAIN and
// RLE_DICTIONARY encodings, data page v1, several row groups, column
// statistics with page encoding stats, and the page index (ColumnIndex and
// OffsetIndex of every chunk). Not thread-safe; one writer per file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/file_io.h"
#include "datashard/schema.h"
#include "datashard/value.h"

namespace datashard::parquet {

enum class Codec { kNone, kSnappy, kGzip, kZstd };

/// "zstd", "snappy", "gzip", "none"; InvalidArgument naming the text otherwise.
Codec ParseCodec(const std::string& name);

struct WriterOptions {
  Codec codec = Codec::kZstd;
  int compression_level = 3;
  /// A row group is closed once its uncompressed column data passes this size.
  int64_t row_group_size_bytes = 128ll << 20;
  int64_t page_size_bytes = 1 << 20;
  bool dictionary = true;
  /// Past this many dictionary bytes a column chunk falls back to PLAIN.
  int64_t dictionary_size_limit_bytes = 1 << 20;
  std::map<std::string, std::string> key_value_metadata;
  /// False leaves SchemaElement.field_id unset, as engines that know nothing
  /// of Iceberg write files (tables migrated or files added by path).
  bool write_field_ids = true;
  /// False leaves out the page index, as older writers do.
  bool write_page_index = true;
  /// Where set, Finish hands the file to this group (durable at its Sync())
  /// instead of fsyncing it.
  SyncGroup* sync_group = nullptr;
};

/// Per-column metrics of a finished file, keyed by Iceberg field id, in the
/// shape Iceberg manifests record them (DataFile column_sizes, value_counts,...).
struct ColumnMetrics {
  int64_t compressed_size = 0;
  int64_t value_count = 0;  // includes nulls and NaNs
  int64_t null_count = 0;
  std::optional<int64_t> nan_count;  // float/double only
  std::optional<Value> lower_bound;  // untruncated min over non-null, non-NaN values
  std::optional<Value> upper_bound;
};

struct WriteResult {
  int64_t record_count = 0;
  int64_t file_size = 0;
  std::vector<int64_t> row_group_offsets;  // Iceberg split_offsets
  std::map<int, ColumnMetrics> columns;    // by field id
};

class ParquetWriter {
 public:
  /// Takes the new file to write; `schema` gives column order, types and ids.
  ParquetWriter(std::unique_ptr<WritableFile> file, Schema schema, WriterOptions options = {});
  ~ParquetWriter();
  ParquetWriter(const ParquetWriter&) = delete;
  ParquetWriter& operator=(const ParquetWriter&) = delete;

  /// Appends rows given as one ColumnVector per schema field, all the same
  /// length. SchemaMismatch (naming column and row) for a wrong type or a null
  /// in a required column.
  void Write(const std::vector<ColumnVector>& columns);

  /// Writes the footer, fsyncs and closes the file; returns its metrics.
  WriteResult Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace datashard::parquet
