// Pruning: may a data file, row group or partition hold a row a filter keeps?
// Answers "cannot match" only when no row can (Iceberg's inclusive metrics
// evaluator), using per-column bounds and counts, NaN-aware for floats.
// Stateless functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "datashard/expression.h"
#include "datashard/value.h"

namespace datashard {

/// What is known about one column of a file or row group; absent = unknown.
/// Bounds are values of the column's type that no non-null, non-NaN value
/// lies outside of (they may be looser, e.g. truncated strings); a NaN or
/// ill-typed bound is ignored.
struct ColumnStats {
  std::optional<Value> lower;
  std::optional<Value> upper;
  std::optional<int64_t> null_count;
  std::optional<int64_t> nan_count;    // float/double columns
  std::optional<int64_t> value_count;  // values including nulls; row_count if absent
  /// Every non-null value is one of these (e.g. a Parquet chunk's dictionary).
  std::optional<std::vector<Value>> values;
};

struct DataStats {
  std::optional<int64_t> row_count;
  std::map<int, ColumnStats> columns;  // by field id; a missing entry = unknown
};

/// False only when no row described by `stats` can satisfy `filter` (bound).
/// A file whose row_count is 0 matches nothing.
bool MightMatch(const Expression& filter, const DataStats& stats);

/// For a partition whose identity-transformed source columns hold the given
/// values (by source field id; a null Value for a null partition value):
/// false only when no row of the partition can satisfy `filter` (bound).
bool MightMatchPartition(const Expression& filter, const std::map<int, Value>& identity_values);

}  // namespace datashard
