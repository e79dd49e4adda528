#include "table/scan_plan.h"

#include <string>

#include "datashard/errors.h"
#include "table/scan_pruning.h"

namespace datashard {

ScanPlan PlanScan(FileIO& io, const TableMetadata& metadata, const Snapshot& snapshot,
                  const std::optional<Expression>& filter) {
  ScanPlan plan;
  const Schema& schema = metadata.CurrentSchema();
  for (const ManifestFile& m : ReadManifestList(io, snapshot.manifest_list)) {
    if (m.content != FileContent::kData) {
      throw NotSupported("snapshot " + std::to_string(snapshot.snapshot_id) +
                         " has delete manifest " + m.manifest_path +
                         "; datashard's scan does not apply row-level deletes yet");
    }
    const PartitionSpec* spec = metadata.SpecById(m.partition_spec_id);
    if (spec == nullptr) {
      throw NotSupported("manifest " + m.manifest_path + " uses partition spec " +
                         std::to_string(m.partition_spec_id) +
                         ", which the table metadata does not define");
    }
    ++plan.manifests_considered;
    if (filter && !ManifestMightMatch(*filter, schema, *spec, m)) {
      ++plan.manifests_pruned;
      continue;
    }
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted) continue;
      if (e.data_file.content != FileContent::kData) {
        throw NotSupported("data manifest " + m.manifest_path + " lists delete file " +
                           e.data_file.file_path +
                           "; datashard's scan does not apply row-level deletes yet");
      }
      ++plan.data_files_considered;
      if (filter && !DataFileMightMatch(*filter, schema, *spec, e.data_file)) {
        ++plan.data_files_pruned;
        continue;
      }
      const bool all = !filter || DataFileAllMatch(*filter, schema, *spec, e.data_file);
      plan.tasks.push_back(ScanTask{PlannedFile{std::move(e), m.partition_spec_id}, all});
    }
  }
  return plan;
}

}  // namespace datashard
