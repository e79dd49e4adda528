// Scan planning decisions for one manifest or data file: may it hold a row
// the filter keeps (pruning), and does the filter keep all of its rows
// (counting from metadata). Filters are bound and free of `not`
// (Expression::PushNotDown). Stateless functions; safe from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "datashard/expression.h"
#include "datashard/partition_spec.h"
#include "datashard/schema.h"
#include "expr/expression_pruning.h"
#include "metadata/manifest.h"

namespace datashard {

/// False only when no data file of `manifest` (written with `spec`) can hold
/// a row `filter` keeps, judged by the manifest's partition summaries.
bool ManifestMightMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                        const ManifestFile& manifest);

/// False only when no row of `file` can satisfy `filter`, judged by its
/// partition tuple (every transform of `spec`) and its column bounds, null
/// and NaN counts.
bool DataFileMightMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                        const DataFile& file);

/// True only when `filter` is true for every row of `file`: exactly for
/// identity-partitioned columns, and from bounds with no nulls (no NaNs)
/// otherwise. False means "not proven".
bool DataFileAllMatch(const Expression& filter, const Schema& schema, const PartitionSpec& spec,
                      const DataFile& file);

/// The statistics of `file`'s manifest entry for the columns `filter` reads.
DataStats DataFileStats(const Expression& filter, const Schema& schema, const DataFile& file);

/// Decodes a bound or partition summary stored as single-value bytes for
/// `type`, accepting the narrower int/float encoding of a promoted column.
Value DecodeBound(const DataType& type, const std::string& bytes);

}  // namespace datashard
