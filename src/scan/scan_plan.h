// Scan planning: the data files of a snapshot that a filter may match, after
// pruning manifests by partition summaries and data files by partition
// values and column statistics, each with the delete files that apply to
// it. Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"
#include "scan/delete_index.h"

namespace datashard {

struct ScanTask {
  PlannedFile file;
  /// The filter is provably true for every row of the file.
  bool all_rows_match = false;
  /// Delete files whose rows the scan must drop from this file.
  DeleteFileList deletes;
};

struct ScanPlan {
  std::vector<ScanTask> tasks;  // manifest-list order
  int64_t manifests_considered = 0;
  int64_t manifests_pruned = 0;
  int64_t data_files_considered = 0;
  int64_t data_files_pruned = 0;
  int64_t delete_files = 0;  // live delete files in the manifests not pruned
  // Delete files looked at while matching them to data files: the planning
  // cost, about one per applying delete (not data files x deletes).
  size_t delete_files_examined = 0;
};

/// Plans a scan of `snapshot` read with `schema` (one of `metadata`'s) and
/// `filter` (bound to `schema`, negations pushed down; nullopt = every
/// row). NotSupported naming the feature for unknown partition specs and
/// delete file formats.
ScanPlan PlanScan(FileIO& io, const TableMetadata& metadata, const Schema& schema,
                  const Snapshot& snapshot, const std::optional<Expression>& filter);

}  // namespace datashard
