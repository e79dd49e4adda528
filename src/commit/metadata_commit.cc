#include "commit/metadata_commit.h"

#include <algorithm>

#include "catalog/file_catalog.h"
#include "catalog/metadata_file.h"
#include "io/delete_quietly.h"

namespace datashard {

namespace tp = table_properties;

void FinishMetadata(const TableMetadata& base, const MetadataPointer& base_pointer, int64_t now_ms,
                    ProducedCommit* out) {
  TableMetadata& next = out->next;
  next.last_updated_ms = std::max(now_ms, base.last_updated_ms);
  next.metadata_log.push_back({base.last_updated_ms, base_pointer.location});
  const int64_t max_log = std::max<int64_t>(
      1,
      base.PropertyLong(tp::kMetadataPreviousVersionsMax, tp::kMetadataPreviousVersionsMaxDefault));
  const bool delete_old =
      base.PropertyBool(tp::kMetadataDeleteAfterCommit, tp::kMetadataDeleteAfterCommitDefault);
  while (static_cast<int64_t>(next.metadata_log.size()) > max_log) {
    const std::string& file = next.metadata_log.front().metadata_file;
    const std::string name = file.substr(file.rfind('/') + 1);
    // The file catalog's v1 stays: it makes every later create of this table
    // find it exists (a SQL catalog's row does that).
    if (delete_old && MetadataFileVersion(name) && FileCatalog::ParseVersionFileName(name) != 1)
      out->obsolete_metadata.push_back(file);
    next.metadata_log.erase(next.metadata_log.begin());
  }
}

ProducedCommit ProduceMetadataChange(FileIO& io, const TableMetadata& base,
                                     const MetadataPointer& base_pointer,
                                     const MetadataChange& change, int64_t now_ms) {
  ProducedCommit out;
  out.next = base;
  try {
    change(io, out.next, out);
  } catch (...) {
    DeleteQuietly(io, out.attempt_files);
    throw;
  }
  FinishMetadata(base, base_pointer, now_ms, &out);
  return out;
}

}  // namespace datashard
