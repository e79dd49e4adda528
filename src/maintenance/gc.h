// `gc`: deletes orphan files, the files under a table's data/ and metadata/
// folders that no snapshot of any metadata version present references and
// that are older than the table's grace period (datashard.gc.grace-ms):
// leftovers of crashed or failed writers and of retention that was cut
// short. Never a file younger than the grace period (a writer may still
// publish it), never anything outside those two folders, never through or
// at a symbolic link, and nothing at all when a manifest cannot be read
// (an incomplete picture of what is referenced).
#pragma once

#include "datashard/file_io.h"
#include "datashard/maintenance.h"
#include "datashard/table_metadata.h"

namespace datashard {

/// Collects the orphans of the table in folder `root` whose newest loaded
/// metadata is `current`. InvalidArgument when `current.location` is not
/// `root` (a moved or copied table: its references name other paths);
/// errors reading metadata or manifests propagate before anything is
/// deleted.
GcReport CollectGarbage(FileIO& io, const std::string& root, const TableMetadata& current,
                        int64_t now_ms, const GcOptions& options);

}  // namespace datashard
