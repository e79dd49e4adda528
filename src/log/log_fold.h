// What a checkpoint or a reader makes of ingest-log records (DESIGN.md §6a):
// where a snapshot's folding stopped, and the rows of a run of records
// gathered per partition in the table's current schema.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commit/append_input.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"
#include "log/ingest_log.h"

namespace datashard {

/// The log position `snapshot` folded up to; the log's start when it folded
/// nothing (or is null: the table has no snapshot yet).
LogPosition FoldedPosition(const Snapshot* snapshot);

struct FoldedRows {
  std::vector<PartitionGroup> groups;  // one per partition tuple, first-seen order
  int64_t records = 0;
  int64_t rows = 0;
};

/// Decodes `records` and merges their rows per partition tuple of the
/// default spec, in the current schema. A record written with an older
/// schema or spec of the table (by a process that had not seen a schema or
/// spec change yet) is read by field id as files are, its rows partitioned
/// anew; one the table does not know, or that the schema cannot read,
/// NotSupported naming the LSN.
FoldedRows FoldRecords(const std::vector<LogRecord>& records, const TableMetadata& metadata,
                       const std::string& log_dir);

}  // namespace datashard
