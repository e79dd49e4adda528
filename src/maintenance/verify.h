// `verify`: every file a table's metadata references exists with its
// recorded size and row count and parses; manifests agree with their
// manifest lists; sequence numbers and snapshot summaries add up; the
// ingest log's durable tail checks out. Read-only.
#pragma once

#include "datashard/file_io.h"
#include "datashard/maintenance.h"
#include "datashard/table_metadata.h"

namespace datashard {

class IngestLog;

/// Checks the table whose loaded metadata is `metadata` (all of its
/// snapshots) and, when `log` is given, the log records its current
/// snapshot has not folded. Problems are reported, not thrown; only a
/// failure to read `metadata`'s own files in a way that stops the check
/// propagates.
VerifyReport VerifyTable(FileIO& io, const TableMetadata& metadata, IngestLog* log,
                         const VerifyOptions& options);

}  // namespace datashard
