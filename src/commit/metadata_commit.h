// What every commit does to the table metadata besides its own change
// (DESIGN.md §4, §6): stamp last-updated-ms (never backwards) and move the
// base version into the metadata log, capped at
// write.metadata.previous-versions-max. Snapshot commits (snapshot_producer.h)
// and metadata-only commits (schema and property changes, expiry) both end
// here, so that one commit loop publishes either. Thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/table_catalog.h"
#include "datashard/file_io.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// The outcome of producing one attempt of a commit.
struct ProducedCommit {
  TableMetadata next;
  /// Files this attempt wrote (manifest list, merged and rewritten
  /// manifests): remove them if the attempt does not publish.
  std::vector<std::string> attempt_files;
  /// Files no kept snapshot references once `next` is published.
  std::vector<std::string> obsolete_files;
  /// Metadata files that left the metadata log (delete-after-commit).
  std::vector<std::string> obsolete_metadata;
};

/// Sets next.last_updated_ms to `now_ms` (at least base's) and appends
/// the base's metadata file (`base_pointer`) to next's metadata log,
/// dropping the oldest entries past the cap into `obsolete_metadata` when
/// old versions are deleted.
void FinishMetadata(const TableMetadata& base, const MetadataPointer& base_pointer, int64_t now_ms,
                    ProducedCommit* out);

/// A change of metadata that adds no snapshot: applied to `next` (a copy of
/// the latest metadata) on each attempt; it may add the files it wrote and
/// obsolete files to `out`, and throws to refuse the change.
using MetadataChange = std::function<void(FileIO& io, TableMetadata& next, ProducedCommit& out)>;

/// Applies `change` on top of `base` and finishes the metadata. Writes only
/// what `change` writes (its attempt files), and removes that if it throws.
ProducedCommit ProduceMetadataChange(FileIO& io, const TableMetadata& base,
                                     const MetadataPointer& base_pointer,
                                     const MetadataChange& change, int64_t now_ms);

}  // namespace datashard
