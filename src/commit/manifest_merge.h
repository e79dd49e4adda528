// Bounded manifest count (DESIGN.md §6): Iceberg's merge of small manifests
// at commit time (commit.manifest.min-count-to-merge, target-size-bytes).
// Manifests are packed into bins of the target size from the oldest end; a
// bin of several manifests is rewritten as one, except that the bin holding
// the newest manifest is merged only once it has min-count manifests.
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
