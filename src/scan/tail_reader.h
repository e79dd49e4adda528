// Rows held in memory that a scan yields after the rows of its files: the
// ingest log's durable tail (DESIGN.md §6a), filtered and projected exactly
// as rows read from files are.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "datashard/expression.h"
#include "datashard/record_batch.h"
#include "datashard/scan_reader.h"

namespace datashard {

/// Yields what `files` yields, then the rows of `tail` that `filter` (bound
/// to the tail's schema) keeps, projected to `output_schema` by field id.
std::unique_ptr<ScanReader> WithTailRows(std::unique_ptr<ScanReader> files,
                                         std::vector<RecordBatch> tail,
                                         std::optional<Expression> filter, Schema output_schema);

/// How many rows of `tail` `filter` keeps (all without a filter).
int64_t CountTailRows(const std::vector<RecordBatch>& tail,
                      const std::optional<Expression>& filter);

}  // namespace datashard
