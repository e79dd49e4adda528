// Writes appended rows of one partition as a Parquet data file and describes
// it as an Iceberg DataFile with the column metrics the table's metrics mode
// asks for (write.metadata.metrics.default, ...column.<name>): none, counts,
// truncate(N) (Iceberg's default, truncate(16)) or full. Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "commit/append_input.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

/// How much of a column's statistics goes into manifests.
struct MetricsMode {
  enum class Kind { kNone, kCounts, kTruncate, kFull };
  Kind kind = Kind::kTruncate;
  int length = 16;  // for kTruncate

  /// "none", "counts", "truncate(N)", "full"; InvalidArgument naming the text.
  static MetricsMode Parse(const std::string& text);
};

/// Lower bound of `v` truncated to `n` code points (strings) or bytes
/// (binary, fixed); other types unchanged.
Value TruncateLowerBound(const DataType& type, const Value& v, int n);
/// Upper bound of `v` truncated the same way, its last code point/byte
/// incremented when truncation happened; nullopt when no such bound exists.
std::optional<Value> TruncateUpperBound(const DataType& type, const Value& v, int n);

/// Writes `group` as <location>/data/<partition path>/<uuid>.parquet, hands
/// the file to `sync` (durable with its name at sync.Sync(); folders it had
/// to create are durable at once), and returns its DataFile (exact size and
/// record count, split offsets, metrics).
DataFile WriteDataFile(FileIO& io, const TableMetadata& metadata, const PartitionGroup& group,
                       SyncGroup& sync);

/// The ManifestContext of manifests holding `content` files of `spec`, with
/// the current schema.
ManifestContext NewManifestContext(const TableMetadata& metadata, const PartitionSpec& spec,
                                   FileContent content);

/// The ManifestContext of data manifests of the current schema and spec.
ManifestContext DataManifestContext(const TableMetadata& metadata);

}  // namespace datashard
