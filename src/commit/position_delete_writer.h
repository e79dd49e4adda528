// Writes Iceberg position delete files (spec "Position Delete Files"): the
// rows `pos` of data file `file_path` that merge-on-read deletes and updates
// remove. One file per data file, beside it, so that readers find it by
// path (referenced_data_file and equal file_path bounds) and a later
// copy-on-write of the data file leaves no other file's deletes behind.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

#include "datashard/file_io.h"
#include "datashard/table_metadata.h"
#include "metadata/manifest.h"

namespace datashard {

/// The reserved field ids of position delete files.
inline constexpr int kDeleteFilePathFieldId = 2147483546;
inline constexpr int kDeletePosFieldId = 2147483545;

/// Writes the deleted `positions` (sorted, unique) of `data` as a new
/// position delete file in `data`'s folder, fsynced with its directory
/// entry, and returns its DataFile (content position deletes, `data`'s
/// partition tuple).
DataFile WritePositionDeleteFile(FileIO& io, const TableMetadata& metadata, const DataFile& data,
                                 const std::vector<int64_t>& positions);

}  // namespace datashard
