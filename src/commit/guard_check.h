// The optimistic offline lock's scopes (DESIGN.md §5): what a commit given
// an expected snapshot checks about the snapshots committed since. The
// table scope refuses any of them. The narrower scopes compare rows: the
// rows a filter matches (whole rows), or the values of the columns a
// row-level change sets in the rows its filter matches (dirty checking),
// between the snapshot checked last and the current one. The snapshots
// since are first pruned by the partitions and column statistics of the
// files they added or removed, so commits elsewhere cost reading their
// manifests only. Used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datashard/expression.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"

namespace datashard {

struct CommitGuard {
  /// The snapshot the guarded read saw; kNoSnapshot: the empty table.
  int64_t expected_snapshot_id = -1;
  /// Narrower scope: the rows this filter (bound to the current schema)
  /// matches; nullopt: the whole table.
  std::optional<Expression> filter;
  /// The columns compared in those rows, by field id; empty: every column.
  std::vector<int> columns;
  /// What the guard says in messages, e.g. "rows matching id = 5".
  std::string description;
};

class GuardCheck {
 public:
  GuardCheck(CommitGuard guard, std::string table);

  /// Throws CommitConflict (no retry is ever implied) naming the snapshot,
  /// its operation and what it changed, when a snapshot committed since the
  /// expected one (or since the last successful Check) changed the guarded
  /// scope, or when the expected snapshot is no longer an ancestor of the
  /// current one. `base_id` and `retries` go into the exception.
  void Check(FileIO& io, const TableMetadata& current, std::optional<int64_t> base_id, int retries);

  const CommitGuard& guard() const { return guard_; }

 private:
  CommitGuard guard_;
  std::string table_;
  // The newest snapshot known to leave the scope as the expected one had it.
  int64_t checked_through_;
};

}  // namespace datashard
