// Executes a planned scan: a bounded pool of threads reads data files in
// parallel into bounded per-file queues; a large file of several row groups
// is split into parts of its row groups, each with its own queue, that
// several threads read. The consumer takes batches in file (and row group)
// order (ordered) or as they come. Memory: at most `threads` files in flight
// (and the parts of those split), each with at most two queued batches. Worker exceptions are
// rethrown by Next(). The reader is used by one thread; its destructor stops the workers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/record_batch.h"
#include "datashard/scan_reader.h"
#include "datashard/table_metadata.h"
#include "metadata/name_mapping.h"
#include "scan/row_deletes.h"
#include "scan/scan_plan.h"

namespace datashard {

struct ScanExecution {
  std::shared_ptr<FileIO> io;  // may share ownership of what keeps the FileIO alive
  TableMetadata metadata;
  ScanPlan plan;
  Schema read_schema;                // output fields, then fields only the filter or deletes read
  Schema output_schema;              // the first fields of read_schema
  std::optional<Expression> filter;  // bound, negations pushed down
  std::shared_ptr<DeleteLoader> deletes;            // set when a task has delete files
  std::shared_ptr<const NameMapping> name_mapping;  // the table's; null if none
  int64_t batch_size = kDefaultBatchRows;
  int threads = 1;
  /// Data files at least this large have their footer read before they are
  /// read, so that their row groups can be split among the threads (a
  /// smaller file is one unit: its footer read would cost more than it saves).
  int64_t split_file_bytes = 16 << 20;
  bool ordered = false;
  /// Only count the rows: the reader yields no batches and its metrics'
  /// rows_returned is the count.
  bool count_only = false;
};

std::unique_ptr<ScanReader> NewScanExecutor(ScanExecution execution);

}  // namespace datashard
