#include "scan/scan_plan.h"

#include <string>

#include "datashard/errors.h"
#include "scan/scan_pruning.h"

namespace datashard {

namespace {

const PartitionSpec& SpecOf(const TableMetadata& metadata, const ManifestFile& m) {
  const PartitionSpec* spec = metadata.SpecById(m.partition_spec_id);
  if (spec == nullptr) {
    throw NotSupported("manifest " + m.manifest_path + " uses partition spec " +
                       std::to_string(m.partition_spec_id) +
                       ", which the table metadata does not define");
  }
  return *spec;
}

}  // namespace

ScanPlan PlanScan(FileIO& io, const TableMetadata& metadata, const Schema& schema,
                  const Snapshot& snapshot, const std::optional<Expression>& filter) {
  ScanPlan plan;
  const std::vector<ManifestFile> manifests = ReadManifestList(io, snapshot.manifest_list);

  // Delete manifests first: every data file needs to know its deletes. A
  // delete manifest whose partitions the filter rules out can only hold
  // deletes of rows the scan does not return.
  // Counts `m` as considered; false (and counts it pruned) when the filter
  // rules out every partition it summarises.
  const auto keep = [&](const ManifestFile& m, const PartitionSpec& spec) {
    ++plan.manifests_considered;
    if (!filter || ManifestMightMatch(*filter, schema, spec, m)) return true;
    ++plan.manifests_pruned;
    return false;
  };
  DeleteIndex deletes(metadata, schema);
  for (const ManifestFile& m : manifests) {
    if (m.content == FileContent::kData || !keep(m, SpecOf(metadata, m))) continue;
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted) continue;
      deletes.Add(m.manifest_path, std::move(e), m.partition_spec_id);
    }
  }
  plan.delete_files = static_cast<int64_t>(deletes.size());

  for (const ManifestFile& m : manifests) {
    if (m.content != FileContent::kData) continue;
    const PartitionSpec& spec = SpecOf(metadata, m);
    if (!keep(m, spec)) continue;
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted) continue;
      if (e.data_file.content != FileContent::kData) {
        throw Corruption("data manifest " + m.manifest_path + " lists delete file " +
                         e.data_file.file_path);
      }
      ++plan.data_files_considered;
      if (filter && !DataFileMightMatch(*filter, schema, spec, e.data_file)) {
        ++plan.data_files_pruned;
        continue;
      }
      const bool all = !filter || DataFileAllMatch(*filter, schema, spec, e.data_file);
      ScanTask task{PlannedFile{std::move(e), m.partition_spec_id}, all, {}};
      task.deletes = deletes.ForDataFile(task.file, &plan.delete_files_examined);
      plan.tasks.push_back(std::move(task));
    }
  }
  return plan;
}

}  // namespace datashard
