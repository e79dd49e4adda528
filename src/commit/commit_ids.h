// Commit-id deduplication with a horizon that does not depend on retention
// (DESIGN.md §4, rule 6): a commit id is found while its snapshot is kept,
// and after it expired among the ids of the newest
// datashard.commit-id.horizon-commits commits, which retention records in
// the table property datashard.expired-commit-ids ("snapshot-id,
// timestamp-ms,commit-id;" per commit, oldest first, '%', ',', ';' and
// control characters of the id %-escaped). Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// A commit found by its id.
struct CommitRecord {
  int64_t snapshot_id = 0;
  int64_t timestamp_ms = 0;
  /// The snapshot, when it is still kept in the metadata.
  std::optional<Snapshot> snapshot;
};

/// The commit of `metadata` with id `commit_id`, or nullopt when it is
/// neither in a kept snapshot nor among the remembered ids. Corruption
/// naming the property when the remembered entry cannot be read.
std::optional<CommitRecord> FindCommit(const TableMetadata& metadata, const std::string& commit_id);

/// Remembers the commit ids of `expired` (snapshots retention just removed
/// from `metadata`, oldest first) and forgets the oldest remembered ids
/// beyond the horizon, counting the commits still kept.
void RememberExpiredCommits(TableMetadata* metadata, const std::vector<Snapshot>& expired);

}  // namespace datashard
