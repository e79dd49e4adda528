// Bounded manifest count (DESIGN.md §6) at a cost per commit that does not
// grow with the table: Iceberg's commit.manifest.min-count-to-merge and
// target-size-bytes, with the manifests to merge chosen as a binary counter
// chooses its carries. The newest manifests form a run, each older one
// joining while it holds no more entries than the newer ones of the run
// together and the run stays within the target size; the run is rewritten
// as one manifest once it has min-count manifests. A merged manifest thus
// waits until newer manifests hold as many entries before it is rewritten
// again, so an entry is rewritten about log2(entries / min-count) times in
// all, where packing the oldest manifests first (Java's merge) rewrites the
// big merged manifest with every min-count new ones.
// Entries of earlier snapshots are carried as EXISTING with their sequence
// numbers; DELETED entries of earlier snapshots are dropped.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datashard/file_io.h"
#include "metadata/manifest.h"

namespace datashard {

struct MergeOptions {
  int64_t min_count_to_merge = 100;
  int64_t target_size_bytes = 8 << 20;
  int64_t snapshot_id = 0;      // the committing snapshot
  int64_t sequence_number = 0;  // its sequence number
  /// Path prefix for merged manifests; "-m<k>.avro" is appended.
  std::string path_prefix;
  int first_manifest_index = 1;
  /// Takes the merged manifests (durable at its Sync()); null: fsynced.
  SyncGroup* sync = nullptr;
};

struct MergeResult {
  std::vector<ManifestFile> manifests;  // the snapshot's manifest list, newest first
  std::vector<std::string> written;     // merged manifests this call wrote
  std::vector<std::string> replaced;    // manifests merged away
};

/// Merges `manifests` (newest first; those of `context`'s spec and content
/// are candidates, others pass through) per the rules above.
MergeResult MergeManifests(FileIO& io, const ManifestContext& context,
                           const std::vector<ManifestFile>& manifests, const MergeOptions& options);

}  // namespace datashard
