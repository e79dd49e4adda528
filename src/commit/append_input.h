// Turns appended input (rows, named rows or columns in a caller's schema)
// into validated rows of the table schema, grouped by partition tuple. Every
// check runs before anything is written; errors name the record index and
// the field. Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "datashard/column_vector.h"
#include "datashard/partition_spec.h"
#include "datashard/record_batch.h"
#include "datashard/schema.h"
#include "datashard/value.h"

namespace datashard {

/// Rows of one partition, as table-schema columns.
struct PartitionGroup {
  std::vector<Value> partition;       // the partition tuple, in spec order
  std::vector<ColumnVector> columns;  // one per table field, in table order
  size_t num_rows() const { return columns.empty() ? 0 : columns[0].size(); }
};

/// Validated appended rows.
class AppendInput {
 public:
  /// `input` must name table columns with their table types (ids are not
  /// compared); table columns it lacks must be optional. SchemaMismatch
  /// naming the field otherwise. `partition_values` keys name a table column
  /// or a partition field; each value must fit its type.
  AppendInput(const Schema& table, const PartitionSpec& spec, const Schema& input,
              const PartitionValues& partition_values);

  /// Validates and adds rows; records are numbered from 0 per call in errors.
  /// Int values widen to long columns and float to double.
  void AddRows(const std::vector<Record>& rows);
  void AddNamedRows(const std::vector<NamedRecord>& rows);
  void AddColumns(const std::vector<ColumnVector>& columns);

  /// The rows added so far, grouped by partition tuple (first-seen order).
  std::vector<PartitionGroup> TakeGroups();
  int64_t num_rows() const { return num_rows_; }

 private:
  struct Check {
    int table_index;  // column or, with is_field, partition field index
    bool is_partition_field;
    Value value;
    std::string key;
  };
  Record ToTableRow(const Record& in, size_t index) const;
  void Add(std::vector<Record> rows);

  Schema table_;
  PartitionSpec spec_;
  Schema input_;
  std::vector<int> to_table_;  // input field index -> table field index
  std::vector<Check> checks_;
  std::vector<PartitionGroup> groups_;
  std::vector<std::string> group_keys_;
  int64_t num_rows_ = 0;
};

}  // namespace datashard
