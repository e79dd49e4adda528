// Where a file that a manifest or manifest list names lies on the local
// filesystem. Iceberg writers store plain absolute paths or file: URIs
// (file:/p, file:///p, file://localhost/p); other schemes are object stores datashard does not
// read.
#pragma once

#include <string>

namespace datashard {

/// The local path of `location`; NotSupported naming `what` (e.g. "data
/// file") and the location for a non-local URI.
std::string LocalFilePath(const std::string& location, const std::string& what);

}  // namespace datashard
