// Rows of a table as columns, and a reader that yields them a batch at a
// time (memory bounded by the batch size, not the table size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/schema.h"
#include "datashard/value.h"

namespace datashard {

/// Rows per batch a scan returns unless told otherwise. Small enough that a
/// batch's columns stay in a core's cache and that the few batches in flight,
/// whose storage is refilled from batch to batch, touch little fresh memory.
inline constexpr int64_t kDefaultBatchRows = 16 * 1024;

/// A record given by column name; absent names are null.
using NamedRecord = std::map<std::string, Value>;

/// Values the caller states for partition source columns, by column name
/// (the documented `partition_values={"partition": "2024-01"}`); every record
/// appended with them must hold exactly these values.
using PartitionValues = std::map<std::string, Value>;

/// Columns of one schema, all the same length.
struct RecordBatch {
  Schema schema;
  std::vector<ColumnVector> columns;  // one per schema field, in schema order

  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
  /// Row `i` as one Value per schema field.
  Record Row(size_t i) const;
};

/// Yields the rows of a scan batch by batch. Not thread-safe.
class BatchReader {
 public:
  virtual ~BatchReader() = default;
  /// The schema of every batch.
  virtual const Schema& schema() const = 0;
  /// Fills `batch` with the next rows; false when none are left.
  virtual bool Next(RecordBatch* batch) = 0;
};

}  // namespace datashard
