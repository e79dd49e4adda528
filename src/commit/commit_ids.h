// Commit-id deduplication with a horizon that does not depend on retention
// (DESIGN.md §4, rule 6): a commit id is found while its snapshot is kept,
// and after it expired while it is among the ids of the newest
// datashard.commit-id.horizon-commits commits. Retention records the ids of
// expired snapshots ("snapshot-id,timestamp-ms,commit-id;" per commit,
// oldest first, '%', ',', ';' and control characters of the id
// %-escaped): the newest in the table property
// datashard.expired-commit-ids, the older ones in an immutable file named
// by datashard.expired-commit-ids-file, rewritten once the property holds
// more than 64. A metadata file then stays small and cheap to parse
// however long the horizon. Files are read once per process (they never
// change). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// Summary key of a group publication's snapshot (DESIGN.md §6): the commit
/// ids of the appends it published besides datashard.commit-id, as a JSON
/// array of strings.
inline constexpr const char* kGroupCommitIdsSummaryKey = "datashard.group-commit-ids";

/// The value of kGroupCommitIdsSummaryKey for `ids`.
std::string GroupCommitIdsText(const std::vector<std::string>& ids);

/// Every commit id `snapshot` carries: datashard.commit-id, then those of
/// a group publication. None for another engine's snapshot. Corruption
/// naming the snapshot when the group's ids are malformed.
std::vector<std::string> CommitIdsOf(const Snapshot& snapshot);
/// CommitIdsOf(snapshot).size(), counted without parsing the group's ids
/// (every commit counts those of each kept snapshot). Text that is not a
/// JSON array of strings goes to CommitIdsOf, which names it.
size_t CommitIdCount(const Snapshot& snapshot);

/// A commit found by its id.
struct CommitRecord {
  int64_t snapshot_id = 0;
  int64_t timestamp_ms = 0;
  /// The snapshot, when it is still kept in the metadata.
  std::optional<Snapshot> snapshot;
};

/// The commit of `metadata` with id `commit_id`, or nullopt when it is
/// neither in a kept snapshot nor among the remembered ids. Corruption
/// naming the property or file when the remembered ids cannot be read,
/// NotFound when the file is missing.
std::optional<CommitRecord> FindCommit(FileIO& io, const TableMetadata& metadata,
                                       const std::string& commit_id);

/// FindCommit for several ids in one metadata: the horizon (which counts
/// every kept snapshot's ids) is counted once, not per id. A lock holder
/// checks its own id and each member of its group against the same
/// metadata. `io` and `metadata` must outlive it.
class CommitFinder {
 public:
  CommitFinder(FileIO& io, const TableMetadata& metadata) : io_(io), metadata_(metadata) {}
  std::optional<CommitRecord> Find(const std::string& commit_id);

 private:
  FileIO& io_;
  const TableMetadata& metadata_;
  std::optional<size_t> remember_;  // ExpiredToRemember, once needed
};

/// How many remembered ids `metadata` holds (property and file), after
/// reading and checking them: Corruption or NotFound as FindCommit.
int64_t CountRememberedCommits(FileIO& io, const TableMetadata& metadata);

/// The file of older remembered ids that `metadata` names, as a local path.
std::optional<std::string> RememberedCommitsFile(const TableMetadata& metadata);

/// Files RememberExpiredCommits wrote and left behind.
struct RememberedCommitsChange {
  /// A new file (fsynced) the metadata now names: delete it if the commit
  /// does not publish.
  std::optional<std::string> written;
  /// The file the metadata named before: obsolete once the commit publishes.
  std::optional<std::string> replaced;
};

/// Remembers the commit ids of `expired` (snapshots retention just removed
/// from `metadata`, oldest first) and forgets those past the horizon,
/// counting the commits still kept. Writes a new file under `metadata_dir`
/// when the property grew past its cap.
RememberedCommitsChange RememberExpiredCommits(FileIO& io, const std::string& metadata_dir,
                                               TableMetadata* metadata,
                                               const std::vector<Snapshot>& expired);

}  // namespace datashard
