#include "commit/conflict_check.h"

#include "datashard/errors.h"
#include "scan/scan_pruning.h"

namespace datashard {
namespace {

std::string SnapshotText(const std::optional<int64_t>& id) {
  return id ? std::to_string(*id) : std::string("unknown");
}

}  // namespace

IsolationLevel IsolationLevelOf(const TableMetadata& metadata, const std::string& operation) {
  const std::string specific = "write." + operation + ".isolation-level";
  const std::string property =
      metadata.properties.count(specific) ? specific : std::string("write.isolation-level");
  const std::string level = metadata.Property(property, "serializable");
  if (level == "serializable") return IsolationLevel::kSerializable;
  if (level == "snapshot") return IsolationLevel::kSnapshot;
  throw InvalidArgument("table property " + property + " of " + metadata.location + " is '" +
                        level + "'; expected serializable or snapshot");
}

void CheckConcurrentChanges(FileIO& io, const TableMetadata& current, const ConflictScope& scope,
                            const std::string& table, int retries) {
  const Snapshot* snapshot = current.CurrentSnapshot();
  if (snapshot == nullptr || current.last_sequence_number <= scope.base_sequence_number) return;
  const Schema& schema = current.CurrentSchema();
  std::optional<Expression> filter;
  if (scope.filter) filter = scope.filter->PushNotDown();
  const auto conflict = [&](const std::string& what, const std::optional<int64_t>& by) {
    throw CommitConflict("commit to " + table + " conflicts with concurrent snapshot " +
                             SnapshotText(by) + ", committed after base snapshot " +
                             SnapshotText(scope.base_snapshot_id) + ": " + what,
                         scope.base_snapshot_id, snapshot->snapshot_id, by, retries);
  };
  DeleteIndex concurrent_deletes(current, schema);
  for (const ManifestFile& m : ReadManifestList(io, snapshot->manifest_list)) {
    // A manifest written no later than the base holds no later entry.
    if (m.sequence_number <= scope.base_sequence_number) continue;
    if (m.content == FileContent::kData && !filter) continue;
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted ||
          e.sequence_number.value_or(0) <= scope.base_sequence_number)
        continue;
      if (m.content != FileContent::kData) {
        concurrent_deletes.Add(m.manifest_path, std::move(e), m.partition_spec_id);
        continue;
      }
      const PartitionSpec* spec = current.SpecById(m.partition_spec_id);
      if (spec == nullptr || DataFileMightMatch(*filter, schema, *spec, e.data_file)) {
        conflict("it added data file " + e.data_file.file_path + " whose rows may match " +
                     scope.filter->ToString() + " (serializable isolation)",
                 e.snapshot_id);
      }
    }
  }
  if (concurrent_deletes.empty()) return;
  for (const PlannedFile& file : scope.touched) {
    const DeleteFileList deletes = concurrent_deletes.ForDataFile(file);
    if (deletes.empty()) continue;
    conflict("it deleted rows of data file " + file.entry.data_file.file_path +
                 " that this transaction changes (delete file " +
                 deletes.front()->entry.data_file.file_path + ")",
             deletes.front()->entry.snapshot_id);
  }
}

std::set<std::string> ChangedSinceBase(FileIO& io, const TableMetadata& current,
                                       const ConflictScope& scope) {
  std::set<std::string> changed;
  const Snapshot* snapshot = current.CurrentSnapshot();
  if (current.last_sequence_number <= scope.base_sequence_number) return changed;
  for (const PlannedFile& f : scope.touched) changed.insert(f.entry.data_file.file_path);
  if (snapshot == nullptr) return changed;
  DeleteIndex concurrent_deletes(current, current.CurrentSchema());
  for (const ManifestFile& m : ReadManifestList(io, snapshot->manifest_list)) {
    // Every data manifest tells which files are live; only newer delete
    // manifests can hold concurrent deletes.
    if (m.content != FileContent::kData && m.sequence_number <= scope.base_sequence_number)
      continue;
    for (ManifestEntry& e : ReadManifest(io, m)) {
      if (e.status == EntryStatus::kDeleted) continue;
      if (m.content == FileContent::kData) {
        changed.erase(e.data_file.file_path);  // still live
      } else if (e.sequence_number.value_or(0) > scope.base_sequence_number) {
        concurrent_deletes.Add(m.manifest_path, std::move(e), m.partition_spec_id);
      }
    }
  }
  for (const PlannedFile& f : scope.touched) {
    if (!concurrent_deletes.empty() && !concurrent_deletes.ForDataFile(f).empty())
      changed.insert(f.entry.data_file.file_path);
  }
  return changed;
}

}  // namespace datashard
