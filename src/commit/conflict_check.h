// Validation of what committed since a transaction's base (DESIGN.md §5),
// before its changes are rebased onto the current table: a concurrent
// commit that deleted rows of a data file this transaction changed is a
// conflict, and under serializable isolation so is a concurrent commit that
// added data files whose rows may match the transaction's filter. Appends
// need no validation. (A concurrent removal of a changed file is found by
// the snapshot producer, which must find the file live.) Stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "scan/delete_index.h"

namespace datashard {

/// Isolation of row-level changes (Iceberg's write.<op>.isolation-level,
/// datashard's table-wide write.isolation-level).
enum class IsolationLevel { kSerializable, kSnapshot };

/// The level for `operation` ("delete", "update"): write.<op>.isolation-level,
/// else write.isolation-level, else serializable. InvalidArgument naming
/// the property for another value.
IsolationLevel IsolationLevelOf(const TableMetadata& metadata, const std::string& operation);

struct ConflictScope {
  std::optional<int64_t> base_snapshot_id;
  int64_t base_sequence_number = 0;  // later data sequence numbers are concurrent
  std::vector<PlannedFile> touched;  // data files removed or given position deletes
  /// Serializable: the filter whose matching rows the transaction changed.
  std::optional<Expression> filter;
};

/// Throws CommitConflict naming the concurrent snapshot and file when
/// `current` holds a change since the base that `scope` forbids.
void CheckConcurrentChanges(FileIO& io, const TableMetadata& current, const ConflictScope& scope,
                            const std::string& table, int retries);

/// The paths of `scope.touched` that commits since the base changed: no
/// longer live in `current` (removed or rewritten), or given delete files.
/// What a compaction gives back instead of failing.
std::set<std::string> ChangedSinceBase(FileIO& io, const TableMetadata& current,
                                       const ConflictScope& scope);

}  // namespace datashard
