// The read path of a snapshot: which data files it holds (planning) and a
// BatchReader over them that projects each file onto the table schema by
// field id. Filtered, pruned scans build on these pieces. Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/record_batch.h"
#include "datashard/snapshot.h"
#include "datashard/table_metadata.h"
#include "table/manifest.h"

namespace datashard {

/// One live data file of a snapshot and the spec its partition tuple follows.
struct PlannedFile {
  ManifestEntry entry;
  int spec_id = 0;
};

/// The live (ADDED or EXISTING) data files of `snapshot`, in manifest-list
/// order. NotSupported when the snapshot carries delete files.
std::vector<PlannedFile> PlanDataFiles(FileIO& io, const Snapshot& snapshot);

/// Reads `files` in order, `projection` (fields of the table schema) giving
/// the output columns. A column a file lacks reads as its identity partition
/// value when there is one, else as null; int and float columns of older
/// files widen to long and double.
std::unique_ptr<BatchReader> NewDataFileReader(std::shared_ptr<FileIO> io, TableMetadata metadata,
                                               std::vector<PlannedFile> files, Schema projection,
                                               int64_t batch_size);

}  // namespace datashard
